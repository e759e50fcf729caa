"""An independent Opine Tickets server, written from the vendor material only.

It exists to red-team the suite: the suite must pass it in every CORRECT configuration (each makes
its own choice wherever the vendor docs are silent, see ``OpineAltConfig``) and must fail it when a
single subtle bug is planted (a ``Store`` subclass overriding one seam, see opine_bugs.py).

It deliberately shares nothing with ``conformance/`` (neither the reference server nor the profiles).

    server = OpineAltServer(OpineAltConfig(order="newest_first", validation_status=422), store_cls=Store)
    server.start()        # -> server.base_url == "http://127.0.0.1:PORT/v1", server.api_key
    ...
    server.stop()
"""

from __future__ import annotations

import json
import random
import re
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TYPES = ("BUG", "FEATURE", "CUSTOM_1", "CUSTOM_2", "CUSTOM_3", "CUSTOM_4", "CUSTOM_5")
STATES = ("OPEN", "PRIORITIZING", "ROADMAP", "DEFERRED", "IN_PROGRESS", "CLOSED")
PRIORITIES = ("BLOCKER", "IMPORTANT", "NICE_TO_HAVE")
UTC = timezone.utc

# Marks closedAt to be stamped with the write's updatedAt once the write is done.
PENDING: Any = object()


@dataclass(frozen=True)
class OpineAltConfig:
    """Choices the vendor docs leave open; every combination is meant to be correct."""

    api_key: str = "alt-opine-key"
    tickets: int = 90                       # seeded tickets (all types and states)
    order: str = "id_asc"                   # id_asc | newest_first | title | updated_desc
    limit_over_max: str = "clamp"           # clamp | reject
    limit_zero: str = "reject"              # reject | clamp (to 1)
    negative_offset: str = "reject"         # reject | clamp (to 0)
    validation_status: int = 400            # 400 | 422
    error_shape: str = "documented"         # documented {error, issues} | other {message, errors}
    unknown_id_status: int = 404            # 404 | 400
    auth_status: int = 401                  # 401 | 403
    optional_style: str = "null"            # null | absent  (unset optional fields)
    labels_in_response: bool = True
    slate_as: str = "array"                 # array (kept as sent) | markdown (converted to text)
    date_style: str = "ms_z"                # ms_z ...00.000Z | compact_z (no .000) | offset (+00:00) | micro
    closed_at_lifecycle: bool = True        # set on CLOSED, cleared on reopen
    deal_sum_empty: Any = 0                 # 0 | None when no deals are linked
    deal_amounts: str = "int"               # int | decimal (cents, floats rounded to 2 places)
    extra_fields: bool = False              # undocumented fields on tickets and envelopes
    clock: str = "step"                     # step (deterministic, +1 s per write) | real (ms)
    bump_on_noop: bool = True               # a PUT changing nothing still stamps updatedAt
    unknown_keys: str = "ignore"            # ignore | reject (400/422)
    created_by_user: int | None = 7         # createdByUserId for API-created tickets (or null)
    charset: bool = False                   # Content-Type: application/json; charset=utf-8
    title_units: str = "codepoints"         # codepoints | utf16 (JS string length)
    accept_date_only: bool = False          # targetDueDate "2025-10-30" accepted (as midnight UTC)
    limit_echo: str = "applied"             # applied | requested (envelope limit after clamping)
    seed_deals: bool = True                 # seeded tickets link deals (else no link anywhere)
    description_canonical: str = "as_sent"  # as_sent | slate | slate_parsed (markdown stored as Slate)
    unknown_deal_status: int | None = None  # None = the validation status; else e.g. 404
    labels_order: str = "as_sent"           # as_sent | sorted (and deduplicated)
    validate_before_lookup: bool = False    # PUT body validated before the id is looked up
    created_ties: str = "some"              # some | all (every seeded ticket shares createdAt)
    labels_style: str = "names"             # names | objects ({id, name, color})
    rate_limit_every: int = 0               # every Nth request answers 429 Retry-After: 1 (0 = off)
    strict_query: bool = False              # unknown query parameters are a validation error
    delete_unlinked: str = "noop"           # noop | reject: delete: true for a deal not linked
    title_blank_reject: bool = False        # a whitespace-only title is refused (stored as sent otherwise)
    error_body: str = "json"                # json | text | empty: body of 401/403 (gateway-style)
    deals_on_create: str = "accept"         # accept | ignore (create links no deal) | reject
    labels_where: str = "everywhere"        # everywhere | writes (only in POST/PUT responses)
    extra_version: bool = False             # an undocumented "version" bumped on every update
    extra_volatile: bool = False            # an undocumented "fetchedAt" (wall clock of the read)
    delete_requires_priority: bool = False  # deals items need priority even with delete: true
    strict_create_nulls: bool = False       # null for an optional field on POST is a validation error
    label_max_len: int = 0                  # > 0: longer label names are a validation error
    reject_control_chars: bool = False      # NUL / C0 controls in strings are a validation error
    offset_past_end: str = "empty"          # empty | reject (an offset past the last ticket is a 400)
    enum_case: str = "strict"               # strict | normalize ('bug' accepted and stored as 'BUG')
    empty_description: str = "keep"         # keep | null (description "" stored as null)
    empty_put: str = "accept"               # accept | reject (a PUT with no known field is a 400)
    deals_order: str = "link"               # link (order linked) | id (linkedDeals sorted by deal id)
    title_trim: bool = False                # titles stored with surrounding whitespace trimmed
    churn: int = 0                          # > 0: another user creates a ticket before every Nth request
    churn_updates: bool = False             # with churn: that user also retitles one of the others' tickets


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(status)
        self.status = status
        self.body = body


# ---------------------------------------------------------------------------------------------
# Dates

_DT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|z|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_datetime(value: str, *, date_only: bool) -> datetime:
    """An RFC 3339 date-time (offset required) as an aware UTC datetime, microsecond precision."""
    m = _DT.match(value)
    if m is None:
        if date_only and _DATE.match(value):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        raise ValueError("not a date-time")
    y, mo, d, h, mi, s, frac, off = m.groups()
    micro = int(((frac or ".")[1:] + "000000")[:6])
    if off in ("Z", "z"):
        tz = UTC
    else:
        sign = 1 if off[0] == "+" else -1
        oh, om = int(off[1:3]), int(off[4:6])
        if oh > 23 or om > 59:
            raise ValueError("bad offset")
        tz = timezone(sign * timedelta(hours=oh, minutes=om))
    try:
        dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, tzinfo=tz)
        return dt.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError("out of range") from exc


class _RawDate(str):
    """A date-time string stored unparsed (rendered as it was sent)."""


def render_datetime(dt: Any, style: str) -> str | None:
    if dt is None:
        return None
    if isinstance(dt, _RawDate):
        return str(dt)
    dt = dt.astimezone(UTC)
    ms = dt.microsecond // 1000
    base = (f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}"
            f"T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}")
    if style == "compact_z" and ms == 0:
        return base + "Z"
    if style == "offset":
        return f"{base}.{ms:03d}+00:00"
    if style == "micro":
        return f"{base}.{dt.microsecond:06d}Z"
    return f"{base}.{ms:03d}Z"


# ---------------------------------------------------------------------------------------------
# Slate -> markdown (only used when slate_as == "markdown")

def slate_to_markdown(nodes: list[Any]) -> str:
    def text_of(node: Any) -> str:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                t = node["text"]
                if node.get("bold"):
                    t = f"**{t}**"
                if node.get("italic"):
                    t = f"_{t}_"
                return t
            return "".join(text_of(c) for c in node.get("children", []) or [])
        if isinstance(node, str):
            return node
        return ""

    blocks = []
    for node in nodes:
        t = text_of(node)
        kind = node.get("type") if isinstance(node, dict) else None
        if kind in ("heading-one", "h1"):
            t = "# " + t
        elif kind in ("heading-two", "h2"):
            t = "## " + t
        elif kind in ("list-item", "li"):
            t = "- " + t
        blocks.append(t)
    return "\n\n".join(blocks)


def _has_control(value: Any) -> bool:
    if isinstance(value, str):
        return any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value)
    if isinstance(value, list):
        return any(_has_control(v) for v in value)
    if isinstance(value, dict):
        return any(_has_control(v) for v in value.values())
    return False


def markdown_to_slate(text: str) -> list[dict[str, Any]]:
    """Blank-line separated paragraphs; **bold** and _italic_/*italic* runs become marked leaves."""
    out = []
    for para in re.split(r"\n\s*\n", text.strip()):
        kind = "paragraph"
        if para.startswith("# "):
            kind, para = "heading-one", para[2:]
        leaves = []
        for m in re.finditer(r"\*\*(.+?)\*\*|(?<!\w)[_*](.+?)[_*](?!\w)|([^*_]+|[*_])", para):
            if m.group(1) is not None:
                leaves.append({"text": m.group(1), "bold": True})
            elif m.group(2) is not None:
                leaves.append({"text": m.group(2), "italic": True})
            else:
                leaves.append({"text": m.group(3)})
        out.append({"type": kind, "children": leaves or [{"text": ""}]})
    return out


# ---------------------------------------------------------------------------------------------
# The store

@dataclass
class Deal:
    id: int
    evaluation_id: int
    name: str
    amount: Any
    shared_with_buyer: bool
    vendor_id: str


@dataclass
class Ticket:
    id: int
    type: str
    state: str
    title: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    organization_id: int = 31
    created_by_user_id: int | None = 3
    description: Any = None                 # None | str | list (Slate)
    vendor_entity_id: str | None = None
    vendor_entity_key: str | None = None
    integration_installation_id: int | None = None
    target_due_date: datetime | None = None
    vendor_entity_url: str | None = None
    labels: list[str] = field(default_factory=list)
    deals: dict[int, str] = field(default_factory=dict)         # deal id -> priority (link order)
    ever_linked: dict[int, str] = field(default_factory=dict)   # every deal ever linked (deleted links too)
    version: int = 1


class Store:
    """A correct store (for every OpineAltConfig). Each planted bug (opine_bugs.py) overrides one seam."""

    default_limit = 100          # documented
    default_offset = 0           # documented
    create_status = 201          # documented
    update_status = 200          # documented

    def __init__(self, cfg: OpineAltConfig):
        self.cfg = cfg
        self.lock = threading.RLock()
        self.tickets: dict[int, Ticket] = {}
        self.log: list[tuple[str, str, str | None]] = []    # (method, path, key) of every request
        self._label_ids: dict[str, int] = {}
        self._current_links: set[int] = set()
        self._creating = False
        self._requests = 0
        self._churn_requests = 0
        self._churn_rng = random.Random("opine-alt-churn")
        self.deals: dict[int, Deal] = {}
        self.next_id = 1
        self._clock = datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC)
        self._seed()

    # -- other writers (a shared account) ---------------------------------------------------------
    def other_writers(self) -> None:
        """Before every ``churn``-th request another user (id 13) creates a ticket, and with
        ``churn_updates`` retitles a ticket the API's user did not create."""
        if not self.cfg.churn:
            return
        with self.lock:
            self._churn_requests += 1
            if self._churn_requests % self.cfg.churn:
                return
            rng, now = self._churn_rng, self.now()
            t = Ticket(id=self.next_id, type=rng.choice(TYPES), state="OPEN",
                       title=rng.choice(["Export fails", "Zebra request", "Add SSO", "Mobile crash"]) +
                       f" #{self.next_id}", created_at=now, updated_at=now, created_by_user_id=13)
            self.next_id += 1
            self.tickets[t.id] = t
            if self.cfg.churn_updates:
                others = [x for x in self.tickets.values() if x.created_by_user_id != self.cfg.created_by_user]
                victim = rng.choice(sorted(others, key=lambda x: x.id))
                victim.title = f"{victim.title[:200]} (edited)"
                victim.updated_at = self.now()

    # -- clock ----------------------------------------------------------------------------------
    def now(self) -> datetime:
        if self.cfg.clock == "real":
            n = datetime.now(UTC)
            return n.replace(microsecond=(n.microsecond // 1000) * 1000)
        self._clock += timedelta(seconds=1, milliseconds=250)
        return self._clock

    # -- seed -----------------------------------------------------------------------------------
    def _seed(self) -> None:
        decimal = self.cfg.deal_amounts == "decimal"
        for i in range(1, 13):
            amount = round(1000 * i + 0.25 * i + (0.1 if i % 3 == 0 else 0), 2) if decimal else 5000 * i
            # deal ids are deliberately not 1..n
            self.deals[700 + 3 * i] = Deal(700 + 3 * i, 40 + i, f"Deal Ω{i} – Acme GmbH", amount,
                                           i % 2 == 0, f"crm-{i:04d}")
        deal_ids = sorted(self.deals)
        titles = [
            "Login fails on Safari", "Export CSV truncates rows", "Dark mode", "Crash beim Öffnen",
            "Ünïcödé ☃ title", "日本語のチケット", "emoji 🚀 launch", "  leading spaces",
            "Zebra", "apple", "Apple", "a" * 256, "x", "Ticket with \"quotes\" and \\ backslash",
        ]
        base = datetime(2024, 11, 5, 8, 30, 0, tzinfo=UTC)
        created = base
        n = self.cfg.tickets
        for k in range(n):
            if k % 7 != 3 and (self.cfg.created_ties == "some" or k == 0):   # ties
                created = created + timedelta(minutes=37, milliseconds=(k * 113) % 1000)
            ttype = TYPES[k % len(TYPES)]
            state = STATES[(k * 5) % len(STATES)]
            updated = created + timedelta(hours=(k % 4), milliseconds=k)
            t = Ticket(
                id=self.next_id, type=ttype, state=state,
                title=titles[k % len(titles)] if k < 40 else f"Seeded ticket #{k:03d} — {ttype.lower()}",
                created_at=created, updated_at=updated,
                created_by_user_id=(None if k % 11 == 5 else 3 + k % 4),
            )
            if state == "CLOSED":
                t.closed_at = updated
            if k % 3 == 0:
                t.description = None
            elif k % 3 == 1:
                t.description = f"Steps to reproduce **#{k}**\n\n- open\n- click"
            else:
                t.description = [{"type": "paragraph", "children": [{"text": f"Slate body {k} ✓"}]}]
            if k % 4 == 1:
                t.vendor_entity_id = f"100{k:02d}"
                t.vendor_entity_key = f"PROJ-{k}"
                t.integration_installation_id = 12
                t.vendor_entity_url = f"https://acme.atlassian.net/browse/PROJ-{k}"
            if k % 5 == 2:
                t.target_due_date = created + timedelta(days=30)
            if k % 6 == 0:
                t.labels = ["backend", "P1"] if k % 12 == 0 else ["ux"]
            if k % 4 == 2 and self.cfg.seed_deals:
                d1 = deal_ids[k % len(deal_ids)]
                t.deals[d1] = PRIORITIES[k % 3]
                if k % 8 == 2:
                    d2 = deal_ids[(k + 5) % len(deal_ids)]
                    t.deals[d2] = PRIORITIES[(k + 1) % 3]
                t.ever_linked.update(t.deals)
            self.tickets[t.id] = t
            self.next_id += 1 if k % 9 else 2       # ids have gaps
        self._clock = max((t.updated_at for t in self.tickets.values()), default=base) + timedelta(days=1)
        self._first_api_id = self.next_id

    # -- auth (seams for the HTTP layer) --------------------------------------------------------
    def key_ok(self, key: str | None) -> bool:
        return key == self.cfg.api_key

    def refused(self, method: str, ticket_id: str | None, body: Any, key: str | None) -> None:
        """Called when a request is refused for its key: a correct server does nothing."""

    # -- rendering ------------------------------------------------------------------------------
    def render(self, t: Ticket, *, listed: bool = False) -> dict[str, Any]:
        c = self.cfg
        ds = c.date_style
        out: dict[str, Any] = {
            "type": t.type, "state": t.state, "id": t.id,
            "createdAt": render_datetime(t.created_at, ds),
            "updatedAt": render_datetime(t.updated_at, ds),
            "closedAt": render_datetime(t.closed_at, ds),
            "organizationId": t.organization_id,
            "createdByUserId": t.created_by_user_id,
            "title": t.title,
            "description": (slate_to_markdown(t.description)
                            if isinstance(t.description, list) and c.slate_as == "markdown"
                            else t.description),
            "vendorEntityId": t.vendor_entity_id,
            "vendorEntityKey": t.vendor_entity_key,
            "integrationInstallationId": t.integration_installation_id,
            "targetDueDate": render_datetime(t.target_due_date, ds),
            "linkedDeals": [
                {"id": d, "evaluationId": self.deals[d].evaluation_id, "name": self.deals[d].name,
                 "priority": p, "sharedWithBuyer": self.deals[d].shared_with_buyer}
                for d, p in (sorted(t.deals.items()) if c.deals_order == "id" else t.deals.items())
            ],
            "dealAmountSum": self.deal_sum(t),
            "vendorEntityUrl": t.vendor_entity_url,
        }
        if c.labels_in_response and not (listed and c.labels_where == "writes"):
            if c.labels_style == "objects":
                out["labels"] = [{"id": self._label_id(n), "name": n, "color": "#888888"} for n in t.labels]
            else:
                out["labels"] = list(t.labels)
        if c.extra_version:
            out["version"] = t.version
        if c.extra_volatile:
            out["fetchedAt"] = render_datetime(datetime.now(UTC), "ms_z")
        if c.extra_fields:
            for link in out["linkedDeals"]:
                link["amount"] = self.deals[link["id"]].amount
                link["currency"] = "USD"
            out["assigneeUserId"] = None
            out["url"] = f"https://app.tryopine.com/tickets/{t.id}"
            out["requestCount"] = len(t.deals)
        if c.optional_style == "absent":
            for k in ("closedAt", "createdByUserId", "description", "vendorEntityId",
                      "vendorEntityKey", "integrationInstallationId", "targetDueDate",
                      "vendorEntityUrl", "dealAmountSum"):
                if out.get(k, 0) is None:
                    del out[k]
        return out

    def render_listed(self, t: Ticket) -> dict[str, Any]:
        return self.render(t, listed=True)

    def _label_id(self, name: str) -> int:
        return self._label_ids.setdefault(name, len(self._label_ids) + 1)

    def deal_sum(self, t: Ticket) -> Any:
        if not t.deals:
            return self.cfg.deal_sum_empty
        total = sum(self.deals[d].amount for d in t.deals)
        return round(total, 2) if self.cfg.deal_amounts == "decimal" else total

    # -- errors ---------------------------------------------------------------------------------
    def validation(self, issues: list[dict[str, Any]]) -> ApiError:
        if self.cfg.error_shape == "documented":
            body = {"error": "Validation error.", "issues": issues}
        else:
            body = {"message": "Request validation failed",
                    "errors": [{"field": ".".join(map(str, i["path"])), "reason": i["message"]}
                               for i in issues]}
        return ApiError(self.cfg.validation_status, body)

    # -- list -----------------------------------------------------------------------------------
    def ordered(self) -> list[Ticket]:
        ts = list(self.tickets.values())
        o = self.cfg.order
        if o == "id_asc":
            ts.sort(key=lambda t: t.id)
        elif o == "newest_first":
            ts.sort(key=lambda t: (t.created_at, t.id), reverse=True)
        elif o == "title":
            ts.sort(key=lambda t: (t.title.casefold(), t.title, t.id))
        elif o == "id_desc":
            ts.sort(key=lambda t: t.id, reverse=True)
        elif o == "updated_desc":
            ts.sort(key=lambda t: (t.updated_at, t.id), reverse=True)
        else:
            raise ValueError(o)
        return ts

    def _int_param(self, query: dict[str, list[str]], name: str) -> int | None:
        vals = query.get(name)
        if not vals:
            return None
        raw = vals[-1]
        if not re.fullmatch(r"-?\d+", raw.strip()):
            raise self.validation([{"code": "invalid_type", "path": [name], "expected": "number",
                                    "received": "nan", "message": f"Expected number, received {raw!r}"}])
        return int(raw)

    def check_limit(self, limit: int) -> int:
        """The limit applied for a limit asked (1..1000 documented)."""
        if limit < 1:
            if self.cfg.limit_zero == "reject":
                raise self.validation([{"code": "too_small", "path": ["limit"], "minimum": 1,
                                        "message": "Number must be greater than or equal to 1"}])
            return 1
        if limit > 1000:
            if self.cfg.limit_over_max == "reject":
                raise self.validation([{"code": "too_big", "path": ["limit"], "maximum": 1000,
                                        "message": "Number must be less than or equal to 1000"}])
            return 1000
        return limit

    def check_offset(self, offset: int) -> int:
        if offset < 0:
            if self.cfg.negative_offset == "reject":
                raise self.validation([{"code": "too_small", "path": ["offset"], "minimum": 0,
                                        "message": "Number must be greater than or equal to 0"}])
            return 0
        return offset

    def page(self, ts: list[Ticket], offset: int, limit: int) -> list[Ticket]:
        return ts[offset:offset + limit] if offset >= 0 else ts[offset:][:limit]

    def total(self, ts: list[Ticket], page: list[Ticket]) -> int:
        return len(ts)

    def envelope(self, items: list[dict[str, Any]], limit: int, offset: int, total: int) -> dict[str, Any]:
        env: dict[str, Any] = {"items": items, "limit": limit, "offset": offset, "totalCount": total}
        if self.cfg.extra_fields:
            env["hasMore"] = offset + len(items) < total
        return env

    def list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        c = self.cfg
        if c.strict_query:
            extra = [k for k in query if k not in ("limit", "offset")]
            if extra:
                raise self.validation([{"code": "unrecognized_keys", "path": [], "keys": extra,
                                        "message": f"Unrecognized key(s) in object: {', '.join(extra)}"}])
        limit = self._int_param(query, "limit")
        offset = self._int_param(query, "offset")
        asked_limit = self.default_limit if limit is None else limit
        asked_offset = 0 if offset is None else offset
        limit = self.check_limit(asked_limit)
        offset = self.check_offset(self.default_offset if offset is None else offset)
        with self.lock:
            ts = self.ordered()
            if c.offset_past_end == "reject" and offset > len(ts):
                raise self.validation([{"code": "too_big", "path": ["offset"], "maximum": len(ts),
                                        "message": "Offset is past the end of the collection"}])
            page = self.page(ts, offset, limit)
            items = [self.render_listed(t) for t in page]
            total = self.total(ts, page)
        if c.limit_echo == "requested":
            limit, offset = asked_limit, asked_offset
        return self.envelope(items, limit, offset, total)

    # -- validation of write bodies -------------------------------------------------------------
    def title_len(self, s: str) -> int:
        if self.cfg.title_units == "utf16":
            return len(s.encode("utf-16-le")) // 2
        return len(s)

    def title_bounds(self, create: bool) -> tuple[int, int]:
        return 1, 256

    def parse_title(self, value: Any, create: bool) -> tuple[Any, dict | None]:
        if not isinstance(value, str):
            return value, {"code": "invalid_type", "path": ["title"], "expected": "string",
                           "received": "null" if value is None else type(value).__name__,
                           "message": "Expected string"}
        n = self.title_len(value)
        low, high = self.title_bounds(create)
        if n < low or (self.cfg.title_blank_reject and not value.strip()):
            return value, {"code": "too_small", "path": ["title"], "minimum": 1,
                           "message": "String must contain at least 1 character(s)"}
        if n > high:
            return value, {"code": "too_big", "path": ["title"], "maximum": 256,
                           "message": "String must contain at most 256 character(s)"}
        return value, None

    def check_enum(self, value: Any, allowed: tuple[str, ...], path: list[Any]) -> tuple[str | None, dict | None]:
        if isinstance(value, str):
            if value in allowed:
                return value, None
            if self.cfg.enum_case == "normalize" and value.upper() in allowed:
                return value.upper(), None
        return None, {"code": "invalid_enum_value", "path": path, "received": value,
                      "options": list(allowed),
                      "message": f"Invalid enum value. Expected {' | '.join(allowed)}, received '{value}'"}

    def description_ok(self, value: Any) -> bool:
        return value is None or isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(n, dict) for n in value))

    def url_ok(self, value: Any) -> bool:
        return value is None or (isinstance(value, str) and re.match(
            r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s/]+\S*$", value) is not None)

    def parse_due_date(self, value: str, create: bool) -> Any:
        """An RFC 3339 date-time; ValueError when it is not one."""
        return parse_datetime(value, date_only=self.cfg.accept_date_only)

    def parse_priority(self, prio: Any, delete: bool, path: list[Any]) -> tuple[Any, dict | None]:
        if not delete or prio is not None or self.cfg.delete_requires_priority:
            return self.check_enum(prio, PRIORITIES, path)
        return prio, None

    def _parse_deals(self, value: Any, create: bool) -> tuple[Any, dict | None]:
        c = self.cfg
        if not isinstance(value, list):
            return value, {"code": "invalid_type", "path": ["deals"], "expected": "array",
                           "message": "Expected array"}
        parsed = []
        for i, d in enumerate(value):
            if not isinstance(d, dict):
                return value, {"code": "invalid_type", "path": ["deals", i], "message": "Expected object"}
            did = self._deal_id(d.get("id"))
            if did is None:
                if c.unknown_deal_status is not None:
                    raise ApiError(c.unknown_deal_status, {"error": f"Deal {d.get('id')!r} not found."})
                return value, {"code": "custom", "path": ["deals", i, "id"],
                               "message": f"Deal {d.get('id')!r} not found"}
            delete = d.get("delete", False)
            if not isinstance(delete, bool):
                return value, {"code": "invalid_type", "path": ["deals", i, "delete"],
                               "message": "Expected boolean"}
            prio, issue = self.parse_priority(d.get("priority"), delete, ["deals", i, "priority"])
            if issue:
                return value, issue
            if delete and c.delete_unlinked == "reject" and not create and did not in self._current_links:
                return value, {"code": "custom", "path": ["deals", i, "id"],
                               "message": f"Deal {did} is not linked to this ticket"}
            parsed.append((did, prio, delete))
        return parsed, None

    def _parse_field(self, key: str, value: Any, create: bool) -> tuple[Any, dict | None]:
        if key == "title":
            return self.parse_title(value, create)
        if key in ("type", "state"):
            return self.check_enum(value, TYPES if key == "type" else STATES, [key])
        if key == "description":
            if self.description_ok(value):
                return value, None
            return value, {"code": "invalid_union", "path": ["description"],
                           "message": "Expected Slate nodes or a markdown string"}
        if key == "targetDueDate":
            if value is None:
                return None, None
            if not isinstance(value, str):
                return value, {"code": "invalid_type", "path": [key], "expected": "string",
                               "message": "Expected string"}
            try:
                return self.parse_due_date(value, create), None
            except ValueError:
                return value, {"code": "invalid_string", "validation": "datetime", "path": [key],
                               "message": "Invalid datetime"}
        if key == "labels":
            if value is None:
                return None, None
            if not (isinstance(value, list) and all(isinstance(x, str) for x in value)):
                return value, {"code": "invalid_type", "path": [key], "expected": "array",
                               "message": "Expected array of strings"}
            mx = self.cfg.label_max_len
            if mx and any(len(x) > mx or not x for x in value):
                return value, {"code": "too_big", "path": [key], "maximum": mx,
                               "message": f"Label names are 1-{mx} characters"}
            return value, None
        if key == "vendorEntityUrl":
            if self.url_ok(value):
                return value, None
            return value, {"code": "invalid_string", "validation": "url", "path": [key], "message": "Invalid url"}
        return self._parse_deals(value, create)

    def _parse_body(self, body: Any, *, create: bool) -> tuple[list[tuple[str, Any, bool]], list[dict]]:
        """Validate a write body; returns (ordered changes (key, value, valid), issues)."""
        c = self.cfg
        issues: list[dict[str, Any]] = []
        changes: list[tuple[str, Any, bool]] = []
        self._creating = create
        if not isinstance(body, dict):
            return [], [{"code": "invalid_type", "path": [], "expected": "object",
                         "received": type(body).__name__, "message": "Expected object"}]
        known = {"title", "type", "state", "description", "targetDueDate", "labels",
                 "vendorEntityUrl", "deals"}
        if c.unknown_keys == "reject":
            extra = [k for k in body if k not in known]
            if extra:
                issues.append({"code": "unrecognized_keys", "path": [], "keys": extra,
                               "message": f"Unrecognized key(s) in object: {', '.join(extra)}"})
        if create:
            for req in ("title", "type", "state"):
                if req not in body:
                    issues.append({"code": "invalid_type", "path": [req], "expected": "string",
                                   "received": "undefined", "message": "Required"})
        for key, value in body.items():
            if key not in known:
                continue
            if create and value is None and c.strict_create_nulls:
                issues.append({"code": "invalid_type", "path": [key], "received": "null",
                               "message": "Expected a value, received null"})
                continue
            if c.reject_control_chars and _has_control(value):
                issues.append({"code": "invalid_string", "path": [key],
                               "message": "Control characters are not allowed"})
                continue
            if key == "deals" and create and c.deals_on_create != "accept":
                if c.deals_on_create == "reject":
                    issues.append({"code": "unrecognized_keys", "path": [], "keys": ["deals"],
                                   "message": "Unrecognized key(s) in object: deals"})
                continue
            value, issue = self._parse_field(key, value, create)
            if issue is None and key in ("title", "type", "state") and value is None:
                issue = {"code": "invalid_type", "path": [key], "message": "Expected string, received null"}
            if issue:
                issues.append(issue)
            changes.append((key, value, issue is None))
        return changes, issues

    def _deal_id(self, raw: Any) -> int | None:
        if isinstance(raw, bool):
            return None
        if isinstance(raw, int) and raw in self.deals:
            return raw
        if isinstance(raw, str):
            if raw.startswith("eid:"):
                for d in self.deals.values():
                    if d.vendor_id == raw[4:]:
                        return d.id
                return None
            if raw.isdigit() and int(raw) in self.deals:
                return int(raw)
        return None

    # -- applying one field (self._creating says POST or PUT) -----------------------------------
    def apply(self, t: Ticket, key: str, value: Any) -> None:
        getattr(self, "apply_" + key)(t, value)

    def apply_title(self, t: Ticket, value: str) -> None:
        t.title = value.strip() if self.cfg.title_trim and value.strip() else value

    def apply_type(self, t: Ticket, value: str) -> None:
        t.type = value

    def apply_state(self, t: Ticket, value: str) -> None:
        old, t.state = t.state, value
        if self.cfg.closed_at_lifecycle:
            if value == "CLOSED" and old != "CLOSED":
                t.closed_at = PENDING            # stamped with updatedAt once the write is done
            elif value != "CLOSED":
                t.closed_at = None

    def apply_description(self, t: Ticket, value: Any) -> None:
        c = self.cfg
        if isinstance(value, str) and c.description_canonical == "slate_parsed":
            value = markdown_to_slate(value)
        elif isinstance(value, str) and c.description_canonical == "slate":
            value = [{"type": "paragraph", "children": [{"text": line}]} for line in value.split("\n")]
        if value == "" and c.empty_description == "null":
            value = None
        t.description = value

    def apply_targetDueDate(self, t: Ticket, value: Any) -> None:   # noqa: N802 (the field's name)
        t.target_due_date = value

    def apply_labels(self, t: Ticket, value: list[str] | None) -> None:
        names = list(dict.fromkeys(value or []))
        if self.cfg.labels_order == "sorted":
            names.sort()
        t.labels = names

    def apply_vendorEntityUrl(self, t: Ticket, value: str | None) -> None:   # noqa: N802
        t.vendor_entity_url = value

    def apply_deals(self, t: Ticket, value: list[tuple[int, str, bool]]) -> None:
        for did, prio, delete in value:
            if delete:
                t.deals.pop(did, None)
            else:
                t.deals[did] = prio
                t.ever_linked[did] = prio

    # -- create / update ------------------------------------------------------------------------
    def refuse_create(self, issues: list[dict[str, Any]]) -> ApiError:
        return self.validation(issues)

    def create(self, body: Any) -> dict[str, Any]:
        changes, issues = self._parse_body(body, create=True)
        if issues:
            raise self.refuse_create(issues)
        with self.lock:
            now = self.now()
            t = Ticket(id=self.next_id, type="BUG", state="OPEN", title="", created_at=now,
                       updated_at=now, created_by_user_id=self.cfg.created_by_user)
            self.next_id += 1
            for key, value, _ in changes:
                self.apply(t, key, value)
            if t.closed_at is PENDING:
                t.closed_at = now
            self.tickets[t.id] = t
            return self.render(t)

    def unknown_ticket(self, raw_id: str, body: Any) -> dict[str, Any]:
        raise ApiError(self.cfg.unknown_id_status, {"error": f"Ticket {raw_id} not found."})

    def refused_update(self, t: Ticket, changes: list[tuple[str, Any, bool]]) -> None:
        """Called when a PUT body is invalid: a correct server leaves the ticket as it was."""

    def apply_update(self, t: Ticket, changes: list[tuple[str, Any, bool]], body: dict[str, Any]) -> None:
        for key, value, _ in changes:
            self.apply(t, key, value)

    def stamp_updated(self, t: Ticket) -> None:
        t.updated_at = max(self.now(), t.updated_at + timedelta(milliseconds=1)) \
            if self.cfg.clock == "step" else self.now()

    def lookup(self, raw_id: str) -> Ticket | None:
        tid = int(raw_id) if re.fullmatch(r"\d{1,12}", raw_id) else None
        return self.tickets.get(tid) if tid is not None else None

    def update(self, raw_id: str, body: Any) -> dict[str, Any]:
        c = self.cfg
        with self.lock:
            if c.validate_before_lookup:
                _, early = self._parse_body(body, create=False)
                if early:
                    raise self.validation(early)
            t = self.lookup(raw_id)
            if t is None:
                return self.unknown_ticket(raw_id, body)
            self._current_links = set(t.deals)
            changes, issues = self._parse_body(body, create=False)
            if issues:
                self.refused_update(t, changes)
                raise self.validation(issues)
            if c.empty_put == "reject" and not changes:
                raise self.validation([{"code": "custom", "path": [],
                                        "message": "At least one field must be sent"}])
            before = self.render(t)
            self.apply_update(t, changes, body)
            pending = t.closed_at is PENDING
            if pending:
                t.closed_at = None
            changed = pending or self.render(t) != before
            if changed or c.bump_on_noop:
                t.version += 1
                self.stamp_updated(t)
            if pending:
                t.closed_at = t.updated_at
            return self.render(t)


# ---------------------------------------------------------------------------------------------
# HTTP

class _Handler(BaseHTTPRequestHandler):
    server_version = "OpineAlt/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: Any) -> None:   # quiet
        pass

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without this, Nagle + delayed ACK cost ~40 ms each
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @property
    def store(self) -> Store:
        return self.server.store   # type: ignore[attr-defined]

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        ctype = "application/json; charset=utf-8" if self.store.cfg.charset else "application/json"
        if status in (401, 403) and self.store.cfg.error_body != "json":
            ctype = "text/plain; charset=utf-8"
            data = b"" if self.store.cfg.error_body == "empty" else \
                {401: b"Unauthorized", 403: b"Forbidden", 404: b"Not Found"}[status]
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read_body_raw(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _read_body(self) -> Any:
        raw = self._read_body_raw()
        try:
            return json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(400, {"error": "Invalid JSON body."})

    def _auth(self) -> bool:
        return self.store.key_ok(self.headers.get("X-API-Key"))

    def _route(self, method: str) -> None:
        cfg = self.store.cfg
        self.store.log.append((method, self.path, self.headers.get("X-API-Key")))
        if cfg.rate_limit_every:
            with self.store.lock:
                self.store._requests += 1
                limited = self.store._requests % cfg.rate_limit_every == 0
            if limited:
                if method in ("POST", "PUT"):
                    self._read_body_raw()
                data = b'{"error": "Too many requests."}'
                self.send_response(429)
                self.send_header("Retry-After", "1")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
        self.store.other_writers()
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/")
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            body = self._read_body() if method in ("POST", "PUT") else None
            m = re.fullmatch(r"/v1/tickets/([^/]+)", path)
            if path != "/v1/tickets" and m is None:
                raise ApiError(404, {"error": "Not found."})
            if not self._auth():
                self.store.refused(method, m.group(1) if m else None, body, self.headers.get("X-API-Key"))
                raise ApiError(cfg.auth_status, {"error": "Unauthorized." if cfg.auth_status == 401
                                                 else "Forbidden."})
            if path == "/v1/tickets" and method == "GET":
                self._send(200, self.store.list(query))
            elif path == "/v1/tickets" and method == "POST":
                self._send(self.store.create_status, self.store.create(body))
            elif m and method == "PUT":
                self._send(self.store.update_status, self.store.update(m.group(1), body))
            else:
                raise ApiError(405, {"error": "Method not allowed."})
        except ApiError as e:
            self._send(e.status, e.body)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def do_PATCH(self) -> None:
        self._route("PATCH")


class OpineAltServer:
    def __init__(self, cfg: OpineAltConfig | None = None, store_cls: type[Store] | None = None):
        self.cfg = cfg or OpineAltConfig()
        self.store = (store_cls or Store)(self.cfg)
        self.httpd: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def api_key(self) -> str:
        return self.cfg.api_key

    @property
    def base_url(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def start(self) -> "OpineAltServer":
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.store = self.store   # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)   # a short poll: stop() returns at once
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self) -> "OpineAltServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()



if __name__ == "__main__":     # manual use: python tests/selftest/alt_servers/opine_alt.py
    import time
    srv = OpineAltServer().start()
    print(f"listening on {srv.base_url} key={srv.api_key}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()
