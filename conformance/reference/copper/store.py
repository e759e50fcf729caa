"""The Copper reference store: the one state store of a Copper reference server.

All behaviour lives here, split into small methods ("seams") so that a mutant is a subclass that
overrides ONE seam. The WSGI layer (``app.py``) only parses HTTP, calls a public method
(``require_auth``, ``list_tickets``, ``retrieve``) and renders the returned dict or the raised
``CopperError`` as JSON.

Documented facts (vendor page and basics pages): HTTP Basic with the secret key as user name and
an empty password; list envelope ``{"object": "list", "data": [...], "has_more": bool}``, newest
first; ``limit`` 1..100, default 10; ``starting_after`` / ``ending_before`` cursors, mutually
exclusive; ``location``; ``created[gte|gt|lte|lt]`` taking ISO 8601; ``search_query`` is a
post-hoc filter on ``reference`` applied after the database page is fetched, so pages can be short
(even empty) while ``has_more`` is true; error attributes ``type``, ``code``, ``message``,
``param``.

Everything marked "Choice (docs silent)" below is this server's reading where the docs say
nothing; a real vendor may differ, and the suite must accept both.
"""

from __future__ import annotations

import base64
import hmac
import random
import re
import threading
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Iterable, Sequence

from . import seed as _seed
from . import timefmt
from .seed import Ticket

DEFAULT_API_KEY = "sk_test_reference"

#: The ``created`` filter operators, in the order they are read from the query.
CREATED_OPS = ("gte", "gt", "lte", "lt")
#: The query parameters the list endpoint reads.
LIST_PARAMS = ("limit", "starting_after", "ending_before", "location", "search_query") + tuple(
    f"created[{op}]" for op in CREATED_OPS
)

_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)


class CopperError(Exception):
    """A typed error carrying the HTTP status, the JSON body and any extra headers."""

    def __init__(self, status: int, body: dict[str, Any], headers: Sequence[tuple[str, str]] = ()):
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = tuple(headers)


@dataclass(frozen=True)
class ListParams:
    """A validated list query. Cursors are resolved to tickets; created bounds are exact ms."""

    limit: int
    starting_after: Ticket | None = None
    ending_before: Ticket | None = None
    location: str | None = None
    created: tuple[tuple[str, Fraction], ...] = ()
    search_query: str | None = None


class Clock:
    """Deterministic time in epoch milliseconds (no wall clock): each ``tick()`` issues the next
    instant, ``step_ms`` after the previous one."""

    def __init__(self, start_ms: int, step_ms: int) -> None:
        self._start_ms = start_ms
        self._step_ms = step_ms
        self._issued = 0

    def tick(self) -> int:
        instant = self._start_ms + self._issued * self._step_ms
        self._issued += 1
        return instant


#: Other writers' tickets (churn) are created from a minute after the newest seeded ticket on.
CLOCK_START_MS = _seed.NEWEST_MS + 60_000
CLOCK_STEP_MS = 1_007


class CopperStore:
    """Seeded ticket store with every behaviour behind a small overridable method. The API cannot
    write; only other writers (``churn``) add or change tickets while it serves.

    ``tickets=None`` seeds the default data set (``seed.DEFAULT_COUNT`` tickets); an ``int`` seeds
    that many; a sequence of ``Ticket`` uses those tickets as they are.
    """

    def __init__(self, seed: int = 0, tickets: int | Iterable[Ticket] | None = None,
                 api_key: str = DEFAULT_API_KEY, churn: int = 0, churn_updates: bool = False,
                 clock: Clock | None = None) -> None:
        # Choice: an RLock (a threading lock that a mutant calling a public method from inside a
        # seam cannot deadlock).
        self._lock = threading.RLock()
        self._api_key = api_key
        self.seed = seed
        # Other writers (serve --churn K): before every K-th request another user creates a ticket
        # now (it heads the newest-first list) and, with ``churn_updates``, changes one's status.
        self.churn = churn
        self.churn_updates = churn_updates
        self._requests = 0
        self._churn_rng = random.Random(f"copper-churn-{seed}")
        self._clock = clock if clock is not None else Clock(CLOCK_START_MS, CLOCK_STEP_MS)
        if tickets is None or isinstance(tickets, int):
            data = _seed.generate(seed, tickets)
            self._locations = data.locations
            items = data.tickets
        else:
            items = tuple(tickets)
            self._locations = tuple(dict.fromkeys(t.location for t in items))
        # Stored in list order so the per-request sort in ``_ordered`` is a linear pass.
        self._tickets: tuple[Ticket, ...] = tuple(sorted(items, key=self._sort_key, reverse=True))
        self._by_id: dict[str, Ticket] = {t.id: t for t in self._tickets}
        if len(self._by_id) != len(self._tickets):
            raise ValueError("ticket ids must be unique")

    # ------------------------------------------------------------------ read-only accessors
    @property
    def api_key(self) -> str:
        return self._api_key

    @property
    def tickets(self) -> tuple[Ticket, ...]:
        """All tickets in the default list order (newest first)."""
        return self._tickets

    @property
    def locations(self) -> tuple[str, ...]:
        return self._locations

    # ------------------------------------------------------------------ other writers (churn)
    def before_request(self) -> None:
        """Called by the app before it handles each request: every ``churn``-th one, another user
        writes first."""
        with self._lock:
            self._requests += 1
            if self.churn and self._requests % self.churn == 0:
                self._other_user_creates()
                if self.churn_updates:
                    self._other_user_updates()

    def _other_user_creates(self) -> None:
        """A ticket created now: newer than every other, so it heads the newest-first list."""
        rng = self._churn_rng
        ticket_id = f"tkt_{''.join(rng.choices(_seed.BASE62, k=16))}"
        while ticket_id in self._by_id:
            ticket_id = f"tkt_{''.join(rng.choices(_seed.BASE62, k=16))}"
        reference = (rng.choice(_seed.SHARED_REFERENCES) if rng.random() < 0.45
                     else f"INV-{rng.randrange(100_000):05d}")
        ticket = Ticket(ticket_id, self._clock.tick(), rng.choice(self._locations or ("loc_churn",)),
                        reference, rng.choice(_seed.STATUSES), rng.randrange(100, 50_000))
        self._store_tickets((ticket, *self._tickets))

    def _other_user_updates(self) -> None:
        """Another user settles or voids a ticket (its position in the list does not change)."""
        if not self._tickets:
            return
        rng = self._churn_rng
        old = rng.choice(self._tickets)
        new = replace(old, status=rng.choice([s for s in _seed.STATUSES if s != old.status]))
        self._store_tickets(tuple(new if t.id == old.id else t for t in self._tickets))

    def _store_tickets(self, ordered: tuple[Ticket, ...]) -> None:
        self._tickets = ordered
        self._by_id = {t.id: t for t in ordered}

    # ------------------------------------------------------------------ public operations
    def require_auth(self, authorization: str | None) -> None:
        """Raise 401 unless the ``Authorization`` header carries the key."""
        if not self._authenticate(authorization):
            raise self._unauthenticated()

    def list_tickets(self, query: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """``GET /next/tickets``: ``query`` is the decoded (name, value) pairs, in order."""
        with self._lock:
            params = self._parse_list_params(query)
            candidates = self._filtered(self._ordered(self._tickets), params)
            page, has_more = self._apply_cursor(candidates, params.starting_after,
                                                params.ending_before, params.limit)
            page = self._post_filter(page, params)
            return self._render_list(page, has_more)

    def retrieve(self, ticket_id: str) -> dict[str, Any]:
        """``GET /next/tickets/{id}``."""
        with self._lock:
            ticket = self._find(ticket_id)
            if ticket is None:
                return self._missing(ticket_id)
            return self._render_retrieved(ticket)

    # ------------------------------------------------------------------ seams: auth
    def _authenticate(self, authorization: str | None) -> bool:
        """HTTP Basic, key as the user name.

        Choice (docs silent): the password is ignored (the docs send it empty); a header without
        the ``user:password`` colon, with bad base64, or another scheme is rejected. The scheme
        name is case-insensitive (RFC 7235).
        """
        if not authorization:
            return False
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return False
        user, colon, _password = decoded.partition(":")
        return bool(colon) and hmac.compare_digest(user.encode(), self._api_key.encode())

    # ------------------------------------------------------------------ seams: query parsing
    def _parse_list_params(self, query: Sequence[tuple[str, str]]) -> ListParams:
        values = self._single_values(query)
        limit = self._parse_limit(values.get("limit"))
        after_id, before_id = self._exclusive_cursors(values.get("starting_after"), values.get("ending_before"))
        created = []
        for op in CREATED_OPS:
            raw = values.get(f"created[{op}]")
            if raw is not None:
                instant = self._parse_created(raw, f"created[{op}]")
                if instant is not None:
                    created.append((op, instant))
        return ListParams(
            limit=limit,
            starting_after=self._resolve_cursor(after_id, "starting_after"),
            ending_before=self._resolve_cursor(before_id, "ending_before"),
            location=values.get("location"),
            created=tuple(created),
            search_query=values.get("search_query"),
        )

    def _exclusive_cursors(self, after_id: str | None, before_id: str | None) -> tuple[str | None, str | None]:
        """Documented: the cursors are mutually exclusive. Choice (docs silent on the status): both -> 400
        parameters_exclusive."""
        if after_id is not None and before_id is not None:
            raise self._invalid("ending_before", "parameters_exclusive",
                                "starting_after and ending_before are mutually exclusive; "
                                "send only one of them.")
        return after_id, before_id

    def _single_values(self, query: Sequence[tuple[str, str]]) -> dict[str, str]:
        """Choice (docs silent): a repeated known parameter is 400 (code parameter_duplicated);
        unknown parameters are ignored."""
        values: dict[str, str] = {}
        for name, value in query:
            if name not in LIST_PARAMS:
                continue
            if name in values:
                raise self._invalid(name, "parameter_duplicated",
                                    f"The parameter {name} was sent more than once.")
            values[name] = value
        return values

    def _default_limit(self) -> int:
        return 10  # documented default

    def _parse_limit(self, raw: str | None) -> int:
        """Documented: integer 1..100, default 10. Choice (docs silent): a value that is not a
        plain ASCII integer (``""``, ``"1.0"``, ``"+5"``, ``" 5"``) is 400
        parameter_invalid_integer; a value outside 1..100 (including > 100) is REJECTED with 400
        parameter_out_of_range rather than clamped."""
        if raw is None:
            return self._default_limit()
        if not _ASCII_DIGITS.fullmatch(raw):
            raise self._invalid("limit", "parameter_invalid_integer",
                                f"Invalid integer: {raw!r}. limit must be an integer between 1 and 100.")
        digits = raw.lstrip("0") or "0"
        n = int(digits) if len(digits) <= 18 else 10**18  # never hit int()'s digit limit
        if not self._limit_in_range(n):
            raise self._invalid("limit", "parameter_out_of_range",
                                f"limit must be between 1 and 100; got {raw}.")
        return n

    def _limit_in_range(self, n: int) -> bool:
        return 1 <= n <= 100

    def _resolve_cursor(self, ticket_id: str | None, param: str) -> Ticket | None:
        if ticket_id is None:
            return None
        ticket = self._find(ticket_id)
        if ticket is None:
            return self._unknown_cursor(ticket_id, param)
        return ticket

    def _unknown_cursor(self, ticket_id: str, param: str) -> Ticket | None:
        """Choice (docs silent): an unknown cursor id (including ``""``) is 400 resource_missing."""
        raise self._invalid(param, "resource_missing", f"No such ticket: {ticket_id!r}")

    def _parse_created(self, raw: str, param: str) -> Fraction | None:
        """ISO 8601 -> exact instant (ms since the epoch, a Fraction: no rounding of 7+ digits).

        Choice (docs silent): anything ``timefmt.parse_iso8601`` does not accept, and any value
        ``_to_instant`` refuses, is 400 parameter_invalid_date with ``param`` = e.g. ``created[gt]``.
        """
        try:
            return self._to_instant(timefmt.parse_iso8601(raw))
        except ValueError:
            return self._invalid_created(raw, param)

    def _invalid_created(self, raw: str, param: str) -> Fraction | None:
        raise self._invalid(param, "parameter_invalid_date",
                            f"Invalid ISO 8601 value for {param}: {raw!r}")

    def _to_instant(self, parsed: timefmt.ParsedInstant) -> Fraction:
        """Apply the UTC offset. Choice (docs silent): a date-only value is midnight UTC (its
        ``wall_ms`` already is)."""
        return parsed.wall_ms - self._offset_ms(parsed)

    def _offset_ms(self, parsed: timefmt.ParsedInstant) -> int:
        """Choice (docs silent): a date-time without an offset is read as UTC."""
        return (parsed.offset_minutes or 0) * 60_000

    # ------------------------------------------------------------------ seams: ordering & lookup
    def _sort_key(self, ticket: Ticket) -> tuple:
        """Choice (docs silent): ties in ``created`` are broken by id (both descending)."""
        return (ticket.created_ms, ticket.id)

    def _ordered(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """Documented: newest first."""
        return sorted(tickets, key=self._sort_key, reverse=True)

    def _find(self, ticket_id: str) -> Ticket | None:
        return self._by_id.get(ticket_id)

    # ------------------------------------------------------------------ seams: filters
    def _filtered(self, ordered: list[Ticket], params: ListParams) -> list[Ticket]:
        """The "database query": location and created filters, applied on every page."""
        loc = params.location
        bounds = params.created
        return [t for t in ordered
                if (loc is None or self._matches_location(t, loc))
                and all(self._matches_created(t, op, instant) for op, instant in bounds)]

    def _matches_location(self, ticket: Ticket, location: str) -> bool:
        """Choice (docs silent): an unknown location id simply matches nothing (200, empty)."""
        return ticket.location == location

    def _matches_created(self, ticket: Ticket, op: str, instant: Fraction) -> bool:
        """Documented: gte >=, gt >, lte <=, lt <. Bounds combine with AND (an empty or inverted
        range is a 200 with an empty list)."""
        created = ticket.created_ms
        if op == "gte":
            return created >= instant
        if op == "gt":
            return created > instant
        if op == "lte":
            return created <= instant
        if op == "lt":
            return created < instant
        raise AssertionError(op)

    def _post_filter(self, page: list[Ticket], params: ListParams) -> list[Ticket]:
        """Documented: ``search_query`` is post-hoc, applied to the database page after paging."""
        if params.search_query is None:
            return page
        return [t for t in page if self._matches_search(t, params.search_query)]

    def _matches_search(self, ticket: Ticket, query: str) -> bool:
        """Choice (docs silent): case-insensitive substring match via ``str.casefold`` (so
        ``strasse`` matches ``Straße``; an empty query matches everything)."""
        return query.casefold() in ticket.reference.casefold()

    # ------------------------------------------------------------------ seams: cursor paging
    def _apply_cursor(self, ordered: list[Ticket], starting_after: Ticket | None,
                      ending_before: Ticket | None, limit: int) -> tuple[list[Ticket], bool]:
        """One database page and its ``has_more`` (true when more items exist beyond the page in
        the direction of travel). The cursor ticket need not match the filters: its position is
        found by its sort key."""
        if ending_before is not None:
            available = self._before(ordered, ending_before)
            return self._nearest_before(available, limit), self._has_more(len(available), limit)
        available = ordered if starting_after is None else self._after(ordered, starting_after)
        return available[:limit], self._has_more(len(available), limit)

    def _after(self, ordered: list[Ticket], cursor: Ticket) -> list[Ticket]:
        """Documented: the items strictly after the cursor in list order (older)."""
        key = self._sort_key(cursor)
        return [t for t in ordered if self._sort_key(t) < key]

    def _before(self, ordered: list[Ticket], cursor: Ticket) -> list[Ticket]:
        """Documented: the items strictly before the cursor in list order (newer), in list order."""
        key = self._sort_key(cursor)
        return [t for t in ordered if self._sort_key(t) > key]

    def _nearest_before(self, before: list[Ticket], limit: int) -> list[Ticket]:
        """Choice (docs silent): ending_before returns the ``limit`` items closest to the cursor
        (the previous page), newest first like every list."""
        return before[max(len(before) - limit, 0):]

    def _has_more(self, available: int, limit: int) -> bool:
        return available > limit

    # ------------------------------------------------------------------ seams: rendering & errors
    def _render(self, ticket: Ticket) -> dict[str, Any]:
        """Choice (docs unreadable): the Ticket resource shape. ``created`` is an ISO 8601 UTC
        string with milliseconds and ``Z``; ``amount`` is in minor units."""
        return {
            "id": ticket.id,
            "object": "ticket",
            "created": timefmt.format_ms(ticket.created_ms),
            "location": ticket.location,
            "reference": ticket.reference,
            "status": ticket.status,
            "amount": ticket.amount,
            "currency": ticket.currency,
            "metadata": dict(ticket.metadata),
        }

    def _render_retrieved(self, ticket: Ticket) -> dict[str, Any]:
        """Retrieve renders exactly like a list item."""
        return self._render(ticket)

    def _render_list(self, page: list[Ticket], has_more: bool) -> dict[str, Any]:
        return {"object": "list", "data": [self._render(t) for t in page], "has_more": has_more}

    def _missing(self, ticket_id: str) -> dict[str, Any]:
        """Choice (docs silent): an unknown ticket id is 404 resource_missing."""
        raise CopperError(404, self._error_body("invalid_request_error", f"No such ticket: {ticket_id!r}",
                                                code="resource_missing", param="id"))

    def _unauthenticated(self) -> CopperError:
        """Choice (docs silent on the status): 401, no ticket data, a Basic challenge."""
        return CopperError(
            401,
            self._error_body("authentication_error",
                             "Invalid API key provided. Use HTTP Basic with your secret key as the "
                             "user name and an empty password."),
            headers=[("WWW-Authenticate", 'Basic realm="Copper"')],
        )

    def _invalid(self, param: str, code: str, message: str) -> CopperError:
        """Choice (docs silent): 400 for any bad parameter."""
        return CopperError(400, self._error_body("invalid_request_error", message, code=code, param=param))

    def route_not_found(self, method: str, path: str) -> CopperError:
        """Choice (docs silent): every other route or method is 404."""
        return CopperError(404, self._error_body(
            "invalid_request_error", f"Unrecognized request URL ({method}: {path}).",
            code="route_not_found"))

    @staticmethod
    def _error_body(type_: str, message: str, code: str | None = None,
                    param: str | None = None) -> dict[str, Any]:
        """Choice (docs silent on nesting): ``{"error": {type, code, message, param}}``; ``code`` and
        ``param`` are omitted when there is none (the docs: "when there is one")."""
        error: dict[str, Any] = {"type": type_}
        if code is not None:
            error["code"] = code
        error["message"] = message
        if param is not None:
            error["param"] = param
        return {"error": error}
