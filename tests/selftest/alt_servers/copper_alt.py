"""An independent Copper Tickets server, written only from the vendor material.

Sources: seeds/copper-tickets-api.txt, vendor-facts.md section 2 and its gaps, design.md sections
1 and 3. It deliberately does not look at (or import) conformance/reference: it is a second,
independent reading of the docs, used to find false alarms (a correct server the suite fails) and
misses (a subtly buggy server the suite passes).

Every place where the docs are silent is a field of :class:`AltConfig`; a correct implementation
may choose any of the values. Bugs are small subclasses of :class:`TicketStore` overriding one
seam each (copper_bugs.py), never flags inside the handler.

    server = AltCopperServer(AltConfig(created_format="unix"), store_cls=TicketStore).start()
    server.base_url  # http://127.0.0.1:PORT/next
    server.stop()
"""

from __future__ import annotations

import base64
import json
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

API_KEY = "sk_test_altcopper0123456789abcdef"
MAX_LIMIT = 100
DEFAULT_LIMIT = 10


# --------------------------------------------------------------------------------------------
# Configuration: the documented-silent choices
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AltConfig:
    # rendering of `created` in responses: "unix" (int seconds; data then has 1 s resolution),
    # "iso_ms" (2024-03-10T12:00:00.123Z), "iso_offset" (2024-03-10T12:00:00.123+00:00),
    # "iso_python" (datetime.isoformat(): no fraction when whole, else 6 digits, +00:00), "iso_us" (6 digits, Z),
    # "iso_local" (the account's zone, -05:00), "unix_float" (seconds with a fraction, ms resolution)
    created_format: str = "iso_ms"
    error_envelope: str = "top"            # "top": {type, message, param}; "nested": {"error": {...}}
    bad_param_status: int = 400            # 400 or 422
    unknown_id_status: int = 404           # 404 or 400
    missing_key_status: int = 401          # 401 or 403
    wrong_key_status: int = 401            # 401 or 403
    limit_over_max: str = "clamp"          # "clamp" or "reject"
    both_cursors: str = "reject"           # "reject", "starting_after_wins", "ending_before_wins"
    unknown_cursor: str = "bad_param"      # "bad_param" (bad_param_status), "404", "empty"
    unknown_location: str = "empty"        # "empty", "404" or "400" (bad_param_status)
    tie_order: str = "id_asc"              # "id_asc", "id_desc", "insertion"
    search_match: str = "exact"            # "exact", "icase_substring", "prefix", "substring"
    naive_created: str = "utc"             # offset-less filter values: "utc", "reject", "local_minus5"
    date_only: str = "accept"              # "accept" (midnight UTC) or "reject"
    unix_filter: str = "reject"            # filter given as unix seconds: "reject" or "accept"
    extra_fields: bool = False             # status, amount, currency, metadata, line items, nested customer
    optional_fields: str = "absent"        # optional fields when unset: "absent" or "null"
    null_references: bool = False          # a few tickets have reference null (reference is not documented required)
    reject_unknown_params: bool = False    # Stripe-like: an unknown query parameter is a 400
    id_format: str = "tic_hex"             # "tic_hex" (tic_ + uuid hex), "short" (tkt_ + 14 base62), "bare" (uuid4 str)
    content_type: str = "application/json"
    ensure_ascii: bool = True
    search_mode: str = "posthoc"           # "posthoc" (as documented) or "prefilter" (a real DB search: full pages)
    empty_search: str = "ignore"           # search_query= (empty): "ignore" or "literal" (matches what it matches)
    limit_below_min: str = "reject"        # limit=0: "reject" or "clamp" (to 1)
    sub_ms_bounds: str = "exact"           # filter bounds finer than 1 ms: "exact" or "truncate" (JS Date does this)
    date_only_zone: str = "naive"          # date-only bounds: "naive" (same zone as offset-less values) or "utc" (JS)
    location_shape: str = "id"             # ticket's location: "id" (string), "object" ({"id", "object"})
    object_field: bool = True              # tickets carry object: "ticket"
    retrieve_detail: bool = False          # retrieve adds detail fields the list omits (receipt_url, events)
    bulk_tie: int = 0                      # one extra group of this many tickets sharing one created ms (an import)
    rate_limit_rps: float = 0              # > 0: token bucket; over it, 429 with Retry-After: 1 (undocumented)
    http10: bool = False                   # HTTP/1.0, a connection per request
    ticket_count: int = 300
    seed: int = 7
    churn: int = 0                         # > 0: another user creates a ticket (now) before every Nth request
    churn_updates: bool = False            # with churn: that user also settles or voids a ticket


# --------------------------------------------------------------------------------------------
# Seed data
# --------------------------------------------------------------------------------------------

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_REF_WORDS = ["Table", "table", "TABLE", "Bar", "Patio", "Café", "Crème brûlée", "Straße", "Ärger",
              "日本茶", "Тикет", "Order", "ORDER", "order", "Tab", "Tab-", "Room", "Zürich", "Ñandú"]


@dataclass
class Ticket:
    id: str
    seq: int                 # insertion order
    created_ms: int          # unix milliseconds (UTC)
    location: str
    reference: str | None
    extras: dict[str, Any] = field(default_factory=dict)
    optional: dict[str, Any] = field(default_factory=dict)   # values may be None ("unset")


def _make_id(rng: random.Random, fmt: str) -> str:
    if fmt == "tic_hex":
        return "tic_" + uuid.UUID(int=rng.getrandbits(128)).hex
    if fmt == "short":
        return "tkt_" + "".join(rng.choice(_ALNUM) for _ in range(14))
    if fmt == "bare":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    raise ValueError(fmt)


def make_tickets(cfg: AltConfig) -> list[Ticket]:
    """A few hundred tickets: same-ms ties, 1 ms gaps, whole seconds, midnights, non-ASCII refs."""
    rng = random.Random(cfg.seed)
    locations = ["loc_" + "".join(rng.choice(_ALNUM) for _ in range(12)) for _ in range(5)]
    base = datetime(2024, 3, 9, 23, 59, 58, 997000, tzinfo=timezone.utc)
    t_ms = int(base.timestamp() * 1000)
    stamps: list[int] = []
    # midnight itself, 1 ms either side, and a tie at midnight
    midnight = int(datetime(2024, 3, 10, tzinfo=timezone.utc).timestamp() * 1000)
    stamps += [midnight - 1, midnight, midnight, midnight + 1]
    t_ms = midnight + 1
    while len(stamps) < cfg.ticket_count:
        kind = rng.random()
        if kind < 0.15:
            t_ms += 1                                    # 1 ms gap
        elif kind < 0.3:
            t_ms = (t_ms // 1000 + rng.randint(1, 90)) * 1000   # a whole second
        elif kind < 0.35:
            t_ms = (t_ms // 86_400_000 + 1) * 86_400_000        # next midnight
        else:
            t_ms += rng.randint(2, 4_000_000)
        n = 1
        if rng.random() < 0.12:
            n = rng.randint(2, 5)                        # ties in the same ms
        stamps += [t_ms] * n
    stamps = stamps[: cfg.ticket_count]
    if cfg.bulk_tie and stamps:
        stamps = sorted(stamps)
        at = stamps[len(stamps) // 3]
        stamps += [at] * cfg.bulk_tie
    if cfg.created_format == "unix":
        # an API rendering whole seconds stores whole seconds; collisions become ties
        stamps = [s // 1000 * 1000 for s in stamps]
    # insertion order is not creation order for ties (ids random, insertion shuffled within ties)
    order = list(range(len(stamps)))
    rng.shuffle(order)
    tickets: list[Ticket] = []
    for seq, i in enumerate(sorted(order, key=lambda k: (stamps[k], rng.random()))):
        ref: str | None
        word = rng.choice(_REF_WORDS)
        r = rng.random()
        if r < 0.5:
            ref = f"{word} {rng.randint(1, 40)}"
        elif r < 0.7:
            ref = word
        elif r < 0.8:
            ref = f"{word}-{rng.randint(1, 9)}{rng.choice(['a', 'B', 'ß', 'é'])}"
        else:
            ref = f"#{rng.randint(1000, 1100)}"
        if cfg.null_references and rng.random() < 0.05:
            ref = None
        loc = locations[min(int(rng.expovariate(0.9)), len(locations) - 1)]
        t = Ticket(id=_make_id(rng, cfg.id_format), seq=seq, created_ms=stamps[i], location=loc, reference=ref)
        status = rng.choice(["open", "open", "paid", "settled", "void"])
        amount = rng.randint(0, 250_00)
        t.extras = {
            "status": status,
            "amount": amount,
            "tip_amount": rng.choice([0, 0, 150, 300]),
            "currency": "usd",
            "metadata": rng.choice([{}, {"table": str(rng.randint(1, 30))}, {"server": "Zoë", "covers": "2"}]),
            "line_items": [
                {"object": "line_item", "name": rng.choice(["Burger", "Pho", "Kaffee", "Crêpe"]),
                 "quantity": rng.randint(1, 3), "amount": rng.randint(100, 5000),
                 "modifiers": [{"name": "extra", "amount": 50}] if rng.random() < 0.3 else []}
                for _ in range(rng.randint(0, 3))
            ],
            "livemode": False,
        }
        t.optional = {
            "settled_at": (t.created_ms // 1000 + 3600) if status == "settled" else None,
            "customer": {"name": "Ana Müller", "email": None} if rng.random() < 0.3 else None,
            "note": "Allergie: Nüsse" if rng.random() < 0.2 else None,
        }
        tickets.append(t)
    return tickets


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    def __init__(self, status: int, type_: str, message: str, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.type, self.message, self.param, self.code = status, type_, message, param, code


# --------------------------------------------------------------------------------------------
# Instants (created filters)
# --------------------------------------------------------------------------------------------

_ISO = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?"
    r"(?P<tz>Z|z|[+-]\d{2}(?::?\d{2})?)?)?$"
)


def _exact_seconds(dt_naive_utc: datetime, frac: Fraction) -> Fraction:
    epoch = datetime(1970, 1, 1)
    delta = dt_naive_utc - epoch
    return Fraction(delta.days * 86400 + delta.seconds) + frac


# --------------------------------------------------------------------------------------------
# The store: parse -> select -> page -> render, each seam overridable
# --------------------------------------------------------------------------------------------


class TicketStore:
    """A correct store (for every AltConfig). Bugs override exactly one method."""

    default_limit = DEFAULT_LIMIT
    accepts_any_key = False        # the HTTP layer: a wrong key is refused
    retrieve_skips_auth = False    # the HTTP layer: retrieve needs a key like the list

    def __init__(self, cfg: AltConfig):
        self.cfg = cfg
        self.tickets = make_tickets(cfg)
        self.by_id = {t.id: t for t in self.tickets}
        self.locations = {t.location for t in self.tickets}
        self.ordered = sorted(self.tickets, key=self._order_key)
        self.index = {t.id: i for i, t in enumerate(self.ordered)}
        self._churn_requests = 0
        self._churn_rng = random.Random(f"copper-alt-churn-{cfg.seed}")

    def other_writers(self) -> None:
        """Before every ``churn``-th request another user creates a ticket now (a second after the
        newest), and with ``churn_updates`` changes one ticket's status."""
        if not self.cfg.churn:
            return
        self._churn_requests += 1
        if self._churn_requests % self.cfg.churn:
            return
        rng = self._churn_rng
        newest = max((t.created_ms for t in self.tickets), default=1_700_000_000_000)
        t = Ticket(id=_make_id(rng, self.cfg.id_format), seq=len(self.tickets), created_ms=newest + 1000,
                   location=rng.choice(sorted(self.locations)), reference=f"{rng.choice(_REF_WORDS)} {rng.randint(1, 40)}")
        t.extras = {"status": "open", "amount": rng.randint(0, 250_00), "tip_amount": 0, "currency": "usd",
                    "metadata": {}, "line_items": [], "livemode": False}
        t.optional = {"settled_at": None, "customer": None, "note": None}
        if self.cfg.churn_updates and self.tickets:
            victim = rng.choice(self.tickets)
            victim.extras = {**victim.extras, "status": rng.choice(["paid", "void"])}
        self.tickets.append(t)
        self.by_id[t.id] = t
        self.ordered = sorted(self.tickets, key=self._order_key)
        self.index = {x.id: i for i, x in enumerate(self.ordered)}

    # ---- ordering ------------------------------------------------------------------------

    def _order_key(self, t: Ticket):
        tie = self.cfg.tie_order
        if tie == "id_asc":
            return (-t.created_ms, t.id)
        if tie == "id_desc":
            return (-t.created_ms, tuple(-ord(c) for c in t.id))
        if tie == "insertion":
            return (-t.created_ms, t.seq)
        raise ValueError(tie)

    def _list_order(self) -> list[Ticket]:
        return self.ordered

    # ---- parameter parsing ---------------------------------------------------------------

    def _bad(self, message: str, param: str) -> ApiError:
        return ApiError(self.cfg.bad_param_status, "invalid_request_error", message, param, "parameter_invalid")

    def parse_limit(self, raw: str | None) -> int:
        if raw is None:
            return self.default_limit
        if not re.fullmatch(r"[0-9]+", raw):
            raise self._bad(f"Invalid integer: {raw}", "limit")
        value = int(raw)
        if value < 1:
            if self.cfg.limit_below_min == "clamp":
                return 1
            raise self._bad("limit must be at least 1", "limit")
        if value > MAX_LIMIT:
            if self.cfg.limit_over_max == "reject":
                raise self._bad(f"limit must be at most {MAX_LIMIT}", "limit")
            value = MAX_LIMIT
        return value

    def parse_instant(self, raw: str, param: str) -> Fraction:
        """An ISO 8601 value as exact unix seconds (a Fraction)."""
        if self.cfg.unix_filter == "accept" and re.fullmatch(r"[0-9]{9,11}", raw):
            return Fraction(int(raw))
        m = _ISO.match(raw.strip() if raw.strip() == raw else "\0")
        if not m:
            raise self._bad(f"Invalid ISO 8601 timestamp for {param}: {raw!r}", param)
        try:
            date_part = datetime(int(m["y"]), int(m["mo"]), int(m["d"]))
        except ValueError:
            raise self._bad(f"Invalid date for {param}: {raw!r}", param) from None
        if m["h"] is None:
            if self.cfg.date_only == "reject":
                raise self._bad(f"{param} must include a time and a UTC offset", param)
            if self.cfg.date_only_zone == "naive" and self.cfg.naive_created != "reject":
                return _exact_seconds(date_part - self._offset(None, raw, param), Fraction(0))
            return _exact_seconds(date_part, Fraction(0))
        h, mi, s = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
        if h > 23 or mi > 59 or s > 59:
            raise self._bad(f"Invalid time for {param}: {raw!r}", param)
        frac = Fraction(int(m["f"]), 10 ** len(m["f"])) if m["f"] else Fraction(0)
        if self.cfg.sub_ms_bounds == "truncate":
            frac = Fraction(int(frac * 1000), 1000)
        local = date_part + timedelta(hours=h, minutes=mi, seconds=s)
        return _exact_seconds(local - self._offset(m["tz"], raw, param), frac)

    def _offset(self, tz: str | None, raw: str, param: str) -> timedelta:
        if tz is None:
            if self.cfg.naive_created == "reject":
                raise self._bad(f"{param} must carry a UTC offset (e.g. Z): {raw!r}", param)
            if self.cfg.naive_created == "local_minus5":
                return timedelta(hours=-5)
            return timedelta(0)
        if tz in ("Z", "z"):
            return timedelta(0)
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        hh, mm = int(digits[:2]), int(digits[2:4] or 0)
        if hh > 23 or mm > 59:
            raise self._bad(f"Invalid UTC offset for {param}: {raw!r}", param)
        return sign * timedelta(hours=hh, minutes=mm)

    # ---- selection -----------------------------------------------------------------------

    def _created_seconds(self, t: Ticket) -> Fraction:
        return Fraction(t.created_ms, 1000)

    def _matches_created(self, t: Ticket, bounds: dict[str, Fraction]) -> bool:
        c = self._created_seconds(t)
        if "gt" in bounds and not c > bounds["gt"]:
            return False
        if "gte" in bounds and not c >= bounds["gte"]:
            return False
        if "lt" in bounds and not c < bounds["lt"]:
            return False
        if "lte" in bounds and not c <= bounds["lte"]:
            return False
        return True

    def _matches_location(self, t: Ticket, location: str | None, *, after_cursor: bool) -> bool:
        return location is None or t.location == location

    def _matches_search(self, t: Ticket, q: str) -> bool:
        ref = t.reference
        if ref is None:
            return False
        mode = self.cfg.search_match
        if mode == "exact":
            return ref == q
        if mode == "icase_substring":
            return q.casefold() in ref.casefold()
        if mode == "prefix":
            return ref.startswith(q)
        if mode == "substring":
            return q in ref
        raise ValueError(mode)

    # ---- paging --------------------------------------------------------------------------

    def _cursor_index(self, cursor: str, param: str) -> int | None:
        """Position of the cursor in list order, or None for 'answer with an empty list'."""
        if cursor in self.index:
            return self.index[cursor]
        if self.cfg.unknown_cursor == "404":
            raise ApiError(404, "invalid_request_error", f"No such ticket: '{cursor}'", param, "resource_missing")
        if self.cfg.unknown_cursor == "empty":
            return None
        raise self._bad(f"{param} is not a known ticket id: '{cursor}'", param)

    def _after(self, items: list[Ticket], cursor_idx: int) -> list[Ticket]:
        return [t for t in items if self.index[t.id] > cursor_idx]

    def _before(self, items: list[Ticket], cursor_idx: int) -> list[Ticket]:
        return [t for t in items if self.index[t.id] < cursor_idx]

    def _page_forward(self, rest: list[Ticket], limit: int) -> tuple[list[Ticket], bool]:
        return rest[:limit], len(rest) > limit

    def _page_backward(self, rest: list[Ticket], limit: int) -> tuple[list[Ticket], bool]:
        """The `limit` items immediately before the cursor, in list order; more = newer ones remain."""
        start = max(0, len(rest) - limit)
        return rest[start:], start > 0

    def _has_more_after_search(self, db_page: list[Ticket], shown: list[Ticket], db_more: bool, limit: int) -> bool:
        return db_more   # post-hoc filter: has_more describes the database page (as documented)

    def list(self, params: dict[str, str]) -> dict[str, Any]:
        limit = self.parse_limit(params.get("limit"))
        bounds: dict[str, Fraction] = {}
        for op in ("gt", "gte", "lt", "lte"):
            key = f"created[{op}]"
            if key in params:
                bounds[op] = self.parse_instant(params[key], key)
        location = params.get("location")
        if location is not None and location not in self.locations:
            if self.cfg.unknown_location == "404":
                raise ApiError(404, "invalid_request_error", f"No such location: '{location}'", "location",
                               "resource_missing")
            if self.cfg.unknown_location == "400":
                raise self._bad(f"No such location: '{location}'", "location")
        after, before = params.get("starting_after"), params.get("ending_before")
        if after is not None and before is not None:
            if self.cfg.both_cursors == "reject":
                raise self._bad("starting_after and ending_before are mutually exclusive", "ending_before")
            if self.cfg.both_cursors == "starting_after_wins":
                before = None
            else:
                after = None
        after_idx = before_idx = None
        if after is not None:
            after_idx = self._cursor_index(after, "starting_after")
            if after_idx is None:
                return self._envelope([], False)
        if before is not None:
            before_idx = self._cursor_index(before, "ending_before")
            if before_idx is None:
                return self._envelope([], False)
        cursor_given = after is not None or before is not None
        candidates = [t for t in self._list_order()
                      if self._matches_location(t, location, after_cursor=cursor_given)
                      and self._matches_created(t, bounds)]
        q = params.get("search_query")
        if q is not None and q == "" and self.cfg.empty_search == "ignore":
            q = None
        if q is not None and self.cfg.search_mode == "prefilter":
            candidates = [t for t in candidates if self._matches_search(t, q)]
            q = None
        if after_idx is not None:
            page, more = self._page_forward(self._after(candidates, after_idx), limit)
        elif before_idx is not None:
            page, more = self._page_backward(self._before(candidates, before_idx), limit)
        else:
            page, more = self._page_forward(candidates, limit)
        if q is not None:   # post-hoc, as documented: filter the database page, keep its has_more
            shown = [t for t in page if self._matches_search(t, q)]
            more = self._has_more_after_search(page, shown, more, limit)
            page = shown
        return self._envelope([self.render(t) for t in page], more)

    def _envelope(self, data: list[dict[str, Any]], more: bool) -> dict[str, Any]:
        return {"object": "list", "data": data, "has_more": more}

    def retrieve(self, ticket_id: str) -> dict[str, Any]:
        t = self.by_id.get(ticket_id)
        if t is None:
            return self.unknown_id(ticket_id)
        return self.render_retrieved(t)

    def unknown_id(self, ticket_id: str) -> dict[str, Any]:
        raise ApiError(self.cfg.unknown_id_status, "invalid_request_error", f"No such ticket: '{ticket_id}'", "id",
                       "resource_missing")

    # ---- rendering -----------------------------------------------------------------------

    def render_created(self, created_ms: int) -> Any:
        fmt = self.cfg.created_format
        dt = datetime.fromtimestamp(created_ms / 1000, tz=timezone.utc).replace(
            microsecond=(created_ms % 1000) * 1000)
        if fmt == "unix":
            return created_ms // 1000
        if fmt == "iso_ms":
            return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created_ms % 1000:03d}Z"
        if fmt == "iso_offset":
            return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created_ms % 1000:03d}+00:00"
        if fmt == "iso_python":
            return dt.isoformat()
        if fmt == "iso_us":
            return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if fmt == "iso_local":   # rendered in the account's zone (UTC-05:00), an ISO 8601 instant all the same
            local = dt.astimezone(timezone(timedelta(hours=-5)))
            return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created_ms % 1000:03d}-05:00"
        if fmt == "unix_float":
            return created_ms / 1000
        raise ValueError(fmt)

    def render(self, t: Ticket) -> dict[str, Any]:
        out: dict[str, Any] = {"id": t.id}
        if self.cfg.object_field:
            out["object"] = "ticket"
        if t.reference is not None or self.cfg.optional_fields == "null":
            out["reference"] = t.reference
        out["created"] = self.render_created(t.created_ms)
        out["location"] = t.location if self.cfg.location_shape == "id" else {"id": t.location, "object": "location"}
        if self.cfg.extra_fields:
            out.update(json.loads(json.dumps(t.extras)))
            for k, v in t.optional.items():
                if v is not None or self.cfg.optional_fields == "null":
                    out[k] = v
        return out

    def render_retrieved(self, t: Ticket) -> dict[str, Any]:
        out = self.render(t)
        if self.cfg.retrieve_detail:
            out["receipt_url"] = f"https://pay.example/r/{t.id}"
            out["events"] = [{"type": "created", "at": out["created"]}]
        return out


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


def _handler_for(store: TicketStore, cfg: AltConfig):
    known_params = {"limit", "starting_after", "ending_before", "location", "search_query",
                    "created[gt]", "created[gte]", "created[lt]", "created[lte]"}

    bucket = {"lock": threading.Lock(), "tokens": float(cfg.rate_limit_rps), "t": time.monotonic()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0" if cfg.http10 else "HTTP/1.1"
        server_version = "AltCopper/1.0"
        disable_nagle_algorithm = True
        wbufsize = 1 << 16

        def log_message(self, *args):   # quiet
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body, ensure_ascii=cfg.ensure_ascii).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", cfg.content_type)
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(raw)

        def _error(self, err: ApiError, headers: dict[str, str] | None = None) -> None:
            body: dict[str, Any] = {"type": err.type, "message": err.message}
            if err.param is not None:
                body["param"] = err.param
            if err.code is not None:
                body["code"] = err.code
            if cfg.error_envelope == "nested":
                body = {"error": body}
            self._send(err.status, body, headers)

        def _throttled(self) -> bool:
            if cfg.rate_limit_rps <= 0:
                return False
            with bucket["lock"]:
                now = time.monotonic()
                bucket["tokens"] = min(cfg.rate_limit_rps, bucket["tokens"] + (now - bucket["t"]) * cfg.rate_limit_rps)
                bucket["t"] = now
                if bucket["tokens"] >= 1:
                    bucket["tokens"] -= 1
                    return False
            self._error(ApiError(429, "rate_limit_error", "Too many requests"), {"Retry-After": "1"})
            return True

        def _authorised(self) -> bool:
            header = self.headers.get("Authorization")
            if not header:
                self._error(ApiError(cfg.missing_key_status, "authentication_error",
                                     "No API key provided. Use HTTP Basic auth with your key as the username."),
                            {"WWW-Authenticate": 'Basic realm="Copper"'})
                return False
            key = None
            scheme, _, value = header.partition(" ")
            if scheme.lower() == "basic":
                try:
                    key = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[0]
                except Exception:
                    key = None
            if key == API_KEY or (store.accepts_any_key and key):
                return True
            self._error(ApiError(cfg.wrong_key_status, "authentication_error", "Invalid API key provided."),
                        {"WWW-Authenticate": 'Basic realm="Copper"'} if cfg.wrong_key_status == 401 else None)
            return False

        def do_GET(self) -> None:
            try:
                url = urlsplit(self.path)
                path = url.path.rstrip("/") if url.path != "/" else url.path
                if self._throttled():
                    return
                store.other_writers()
                if not (path == "/next/tickets" or path.startswith("/next/tickets/")):
                    self._error(ApiError(404, "invalid_request_error", f"Unrecognized request URL: {url.path}"))
                    return
                skip_auth = path != "/next/tickets" and store.retrieve_skips_auth
                if not skip_auth and not self._authorised():
                    return
                if path == "/next/tickets":
                    pairs = parse_qsl(url.query, keep_blank_values=True)
                    params: dict[str, str] = {}
                    for k, v in pairs:
                        if cfg.reject_unknown_params and k not in known_params:
                            raise store._bad(f"Received unknown parameter: {k}", k)
                        params[k] = v
                    self._send(200, store.list(params))
                    return
                ticket_id = unquote(path[len("/next/tickets/"):])
                if "/" in ticket_id:
                    raise ApiError(404, "invalid_request_error", f"Unrecognized request URL: {url.path}")
                self._send(200, store.retrieve(ticket_id))
            except ApiError as err:
                self._error(err)
            except Exception as exc:  # pragma: no cover - a crash is a finding
                self._error(ApiError(500, "api_error", f"internal error: {exc!r}"))

        def do_HEAD(self) -> None:
            self.do_GET()

        def _not_allowed(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self._error(ApiError(405, "invalid_request_error", f"{self.command} is not allowed here"),
                        {"Allow": "GET"})

        do_POST = do_PUT = do_PATCH = do_DELETE = _not_allowed

    return Handler


class AltCopperServer:
    def __init__(self, cfg: AltConfig | None = None, store_cls: type[TicketStore] | None = None):
        self.cfg = cfg or AltConfig()
        self.store = (store_cls or TicketStore)(self.cfg)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self.store, self.cfg))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), name="alt-copper",
                                       daemon=True)   # a short poll: stop() returns at once

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/next"

    api_key = API_KEY

    def start(self) -> "AltCopperServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def __enter__(self) -> "AltCopperServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":   # manual poking: python copper_alt.py [field=value ...]
    import sys
    overrides: dict[str, Any] = {}
    for a in sys.argv[1:]:
        k, _, v = a.partition("=")
        default = getattr(AltConfig(), k)
        overrides[k] = (v == "true") if isinstance(default, bool) else type(default)(v)
    srv = AltCopperServer(AltConfig(**overrides)).start()
    print(srv.base_url, srv.api_key, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        srv.stop()
