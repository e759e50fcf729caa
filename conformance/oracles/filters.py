"""What must hold for filtered lists (created bounds, location, search), judged against the API itself.

Pure functions over observations. The oracle is always the unfiltered walk the API returned: its
``created`` values (ISO strings or unix seconds, read exactly by ``checks.instants``) decide which
tickets a bound selects, its ``location`` and ``reference`` values decide the rest.

Tolerances (where the docs are silent), applied everywhere below:

* Tickets sharing one ``created`` instant may come in any order; a filtered list must contain the
  same tickets as the oracle subset and be newest first, but ties may be permuted.
* When the API writes ``created`` more coarsely than milliseconds (whole seconds, unix integers),
  the hidden part is unknown: a ticket whose written instant is within one display unit of a bound
  may be on either side of it (``Expected.may``). With millisecond (or finer) values the written
  value is the truth.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from conformance.oracles.instants import NS_PER_MS, NotAnInstant, parse_instant
from conformance.model.exchange import Exchange
from conformance.model.violations import Violation

if TYPE_CHECKING:
    from conformance.model.observations import Page, Walk

OPS = ("gt", "gte", "lt", "lte")
LOWER = ("gt", "gte")
UPPER = ("lt", "lte")
SYMBOL = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}

Bounds = Sequence[tuple[str, int]]  # (operator, exact instant in ns)


def satisfies(created: int, op: str, bound: int) -> bool:
    if op == "gt":
        return created > bound
    if op == "gte":
        return created >= bound
    if op == "lt":
        return created < bound
    if op == "lte":
        return created <= bound
    raise ValueError(f"unknown operator {op!r}")


# -- the oracle --------------------------------------------------------------------------------


def _fraction_digits(value: Any) -> int | None:
    """Digits after the decimal point as the API wrote the instant (``None``: not a number/ISO)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        exponent = Decimal(str(value)).normalize().as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else None
    if isinstance(value, str):
        time = value.partition("T")[2] or value.partition(" ")[2]
        for sep in ".,":
            if sep in time:
                digits = time.split(sep, 1)[1]
                return len(digits) - len(digits.lstrip("0123456789"))
        return 0
    return None


@dataclass(frozen=True)
class Timeline:
    """The unfiltered walk reduced to what filters are judged by: ids in list order and instants."""

    ids: tuple[Any, ...]
    created: Mapping[Any, int]  # id -> ns since the epoch
    raw: Mapping[Any, Any]  # id -> ``created`` as the API wrote it
    fuzz_ns: int = 0  # 0: written instants are exact; else how far the hidden true instant may be
    created_field: str = ""

    def beyond(self, item: Mapping[str, Any], id_field: str) -> bool:
        """A ticket created after the unfiltered walk began (by another writer): unknown to it and no
        older than its newest ticket. It lies outside the walk's time window: out of scope, not an extra."""
        if item.get(id_field) in self.created or not self.created:
            return False
        try:
            return parse_instant(item.get(self.created_field)) >= self.newest
        except NotAnInstant:
            return False

    @cached_property
    def newest(self) -> int:
        return max(self.created.values())

    @classmethod
    def from_items(cls, items: Sequence[Mapping[str, Any]], id_field: str, created_field: str,
                   filter_step: int = NS_PER_MS) -> "Timeline":
        """Raises ``NotAnInstant`` when an item's ``created`` is not an instant (the oracle is unusable).
        ``filter_step``: the finest step a bound can name (1 ms in ISO 8601, 1 s in unix seconds); an
        instant shown at least that finely is exact, a coarser one hides its true instant (fuzz)."""
        ids, created, raw = [], {}, {}
        digits = 0
        for item in items:
            ticket_id = item.get(id_field)
            value = item.get(created_field)
            created[ticket_id] = parse_instant(value)
            raw[ticket_id] = value
            ids.append(ticket_id)
            digits = max(digits, _fraction_digits(value) or 0)
        shown = 10 ** (9 - min(digits, 9))  # the step of the instants as shown
        fuzz = 0 if shown <= max(filter_step, NS_PER_MS) or not ids else shown
        return cls(tuple(ids), created, raw, fuzz, created_field)

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def ascending(self) -> list[int]:
        """Every ticket's instant, oldest first (for counting with bisect on large collections)."""
        return sorted(self.created.values())

    def count_between(self, low: int | None = None, high: int | None = None) -> int:
        """Tickets with ``low <= created <= high`` (either side open when None)."""
        start = 0 if low is None else bisect_left(self.ascending, low)
        stop = len(self.ascending) if high is None else bisect_right(self.ascending, high)
        return max(0, stop - start)

    def instants(self) -> list[int]:
        """Distinct instants, newest first."""
        return sorted(set(self.created.values()), reverse=True)

    def tie_groups(self) -> list[tuple[int, tuple[Any, ...]]]:
        """Instants shared by two or more tickets, newest first, with their ids in list order."""
        members: dict[int, list[Any]] = {}
        for ticket_id in self.ids:
            members.setdefault(self.created[ticket_id], []).append(ticket_id)
        return [(ns, tuple(group)) for ns, group in sorted(members.items(), reverse=True) if len(group) > 1]

    def count(self, bounds: Bounds) -> int:
        """Tickets that may satisfy every bound (certain or not): the size of a filtered walk."""
        expected = expected_subset(self, bounds)
        return len(expected.must) + len(expected.may)

    def describe(self, ticket_id: Any) -> str:
        return f"{ticket_id} (created {self.raw.get(ticket_id)!r})"


@dataclass(frozen=True)
class Expected:
    """The oracle subset: ``must`` (in list order) has to be returned, ``may`` may be or not."""

    must: tuple[Any, ...]
    may: frozenset[Any] = frozenset()


def _certainly(created: int, fuzz: int, op: str, bound: int) -> bool | None:
    """Whether a ticket written as ``created`` satisfies the bound whatever its hidden part (None: unknown)."""
    if fuzz == 0:
        return satisfies(created, op, bound)
    # The true instant lies in the open interval (created - fuzz, created + fuzz).
    low, high = created - fuzz, created + fuzz
    if op in LOWER:
        return True if low >= bound else False if high <= bound else None
    return True if high <= bound else False if low >= bound else None


def expected_subset(timeline: Timeline, bounds: Bounds) -> Expected:
    must, may = [], set()
    for ticket_id in timeline.ids:
        verdicts = [_certainly(timeline.created[ticket_id], timeline.fuzz_ns, op, ns) for op, ns in bounds]
        if any(v is False for v in verdicts):
            continue
        if all(v is True for v in verdicts):
            must.append(ticket_id)
        else:
            may.add(ticket_id)
    return Expected(tuple(must), frozenset(may))


def subset_where(timeline: Timeline, keep: Iterable[Any]) -> Expected:
    """An exact oracle subset (location, search): the ids in ``keep``, in list order."""
    wanted = set(keep)
    return Expected(tuple(i for i in timeline.ids if i in wanted))


# -- comparing a filtered walk with the oracle -------------------------------------------------


def _page_of(walk: Walk, position: int) -> Exchange | None:
    seen = 0
    for page in walk.pages:
        seen += len(page.items)
        if position < seen:
            return page.exchange
    return walk.pages[-1].exchange if walk.pages else None


def _evidence(walk: Walk, *positions: int) -> list[Exchange]:
    found: list[Exchange] = []
    for position in positions:
        exchange = _page_of(walk, position)
        if exchange is not None and exchange not in found:
            found.append(exchange)
    return found[:3]


def selection_error(walk: Walk, timeline: Timeline, expected: Expected, what: str, id_field: str,
                    complete: bool = True, newest_first: bool = True) -> Violation | None:
    """The first way the walked ``ids`` differ from the oracle subset, as a violation (None: they agree).

    ``complete=False`` means the walk was stopped early on purpose (a page budget): then only the
    tickets strictly newer than the last one received are required, on a newest-first list; on a list
    in no documented order (``newest_first=False``, an offset list) none is, and the order is not judged.
    """
    ids = [item.get(id_field) for item in walk.items if not timeline.beyond(item, id_field)]
    seen: dict[Any, int] = {}
    for position, ticket_id in enumerate(ids):
        key = repr(ticket_id)
        if key in seen:
            return Violation(f"{what}: ticket {ticket_id} came back twice (positions {seen[key]} and {position})",
                             expected="each ticket once", actual=ids[:40], exchanges=_evidence(walk, seen[key], position))
        seen[key] = position
    for position, ticket_id in enumerate(ids):
        if ticket_id not in timeline.created:
            return Violation(f"{what}: returned {ticket_id}, which the unfiltered walk does not have",
                             expected="only tickets of the unfiltered list", actual=ticket_id,
                             exchanges=_evidence(walk, position))
    allowed = set(expected.must) | expected.may
    foreign = [(p, i) for p, i in enumerate(ids) if i not in allowed]
    if foreign:
        shown = [timeline.describe(i) for _, i in foreign[:5]]
        return Violation(f"{what}: returned {len(foreign)} ticket(s) the filter excludes, e.g. {', '.join(shown)}",
                         expected=f"{len(expected.must)} ticket(s)", actual=shown,
                         exchanges=_evidence(walk, foreign[0][0]))
    for position in range(1 if newest_first else len(ids), len(ids)):
        newer, older = timeline.created[ids[position - 1]], timeline.created[ids[position]]
        if older > newer:
            return Violation(f"{what}: not newest first at position {position}",
                             expected=f"{timeline.describe(ids[position])} before {timeline.describe(ids[position - 1])}",
                             actual=ids[max(0, position - 2):position + 2], exchanges=_evidence(walk, position))
    got = set(ids)
    required = expected.must
    if not complete and not newest_first:
        required = ()  # the tickets not reached may be any of them
    elif not complete and ids:
        last = timeline.created[ids[-1]]
        required = tuple(i for i in required if timeline.created[i] > last)
    missing = [i for i in required if i not in got]
    if missing:
        shown = [timeline.describe(i) for i in missing[:5]]
        at = len(ids) - 1
        for position, ticket_id in enumerate(ids):  # cite the page where the first missing one belonged
            if timeline.created[ticket_id] <= timeline.created[missing[0]]:
                at = position
                break
        return Violation(f"{what}: {len(missing)} matching ticket(s) missing, e.g. {', '.join(shown)}",
                         expected=f"{len(expected.must)} ticket(s) incl. {shown}", actual=f"{len(ids)} ticket(s)",
                         exchanges=_evidence(walk, max(at, 0)))
    if walk.limit:
        # location and created are query filters, not post-hoc ones: every page a further page follows is full.
        for index, page in enumerate(walk.pages[:-1]):
            if len(page.items) != walk.limit:
                return Violation(f"{what}: page {index + 1} holds {len(page.items)} ticket(s) at limit={walk.limit}, "
                                 f"yet another page follows it",
                                 expected=f"{walk.limit} tickets on every page but the last", actual=len(page.items),
                                 exchanges=[page.exchange])
    return None


def selects_exactly(walk: Walk, timeline: Timeline, expected: Expected, what: str, id_field: str,
                    complete: bool = True, newest_first: bool = True) -> None:
    error = selection_error(walk, timeline, expected, what, id_field, complete, newest_first)
    if error is not None:
        raise error


def selects_one_of(walk: Walk, timeline: Timeline, alternatives: Sequence[Expected], what: str, id_field: str,
                   complete: bool = True, newest_first: bool = True) -> None:
    """Passes when the walk agrees with any alternative; else reports the first (the exact reading)."""
    errors = [selection_error(walk, timeline, e, what, id_field, complete, newest_first) for e in alternatives]
    if all(e is not None for e in errors):
        first = errors[0]
        assert first is not None
        if len(alternatives) > 1:
            first.message += " (the bound rounded down or up to the millisecond was also accepted, and differs too)"
            first.args = (first.describe(),)
        raise first


def walk_ended(walk: Walk, what: str, budget_stop: str = "") -> bool:
    """True when the walk ended on ``has_more`` false; False when stopped by our page budget; else a violation."""
    if walk.complete:
        return True
    if budget_stop and walk.stop == budget_stop:
        return False
    raise Violation(f"{what}: the walk did not end ({walk.stop})", expected="has_more false on a last page",
                    actual=walk.stop, exchanges=walk.exchanges[-2:])


def same_selection(first: Walk, second: Walk, what: str, id_field: str, timeline: Timeline | None = None) -> None:
    """Two spellings of the same bound must select the same tickets (ties may be permuted); tickets
    created after the ``timeline``'s walk (by other writers, between the two queries) are out of scope."""
    a = [i.get(id_field) for i in first.items if timeline is None or not timeline.beyond(i, id_field)]
    b = [i.get(id_field) for i in second.items if timeline is None or not timeline.beyond(i, id_field)]
    if sorted(map(repr, a)) != sorted(map(repr, b)):
        only_a = [i for i in a if i not in b][:5]
        only_b = [i for i in b if i not in a][:5]
        raise Violation(f"{what}: the two spellings select different tickets "
                        f"(only the first: {only_a}; only the second: {only_b})",
                        expected=f"{len(a)} ticket(s) {a[:8]}", actual=f"{len(b)} ticket(s) {b[:8]}",
                        exchanges=[first.exchanges[0], second.exchanges[0]])


def empty_or_rejected(exchange: Exchange, items_key: str, what: str) -> None:
    """A request that can match nothing: 200 with an empty list, or any 4xx."""
    if 400 <= exchange.status < 500:
        return
    if exchange.status != 200:
        raise Violation(f"{what}: expected 200 with an empty list or a 4xx", expected="200 [] or 4xx",
                        actual=exchange.status, exchanges=[exchange])
    items = exchange.json_object().get(items_key)
    if items != []:
        count = len(items) if isinstance(items, list) else items
        raise Violation(f"{what}: returned tickets", expected="an empty list", actual=f"{count} item(s)",
                        exchanges=[exchange])


def rejected(exchange: Exchange, what: str) -> None:
    """An unparsable value must be refused with a 4xx (neither ignored nor a server error)."""
    if 400 <= exchange.status < 500:
        return
    hint = "the value was accepted (ignored or guessed)" if exchange.status < 400 else "a server error"
    raise Violation(f"{what}: {hint}", expected="any 4xx", actual=exchange.status, exchanges=[exchange])


# -- search ------------------------------------------------------------------------------------


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _readings(text: str) -> tuple[str, ...]:
    return (text.casefold(), text.lower(), _strip_marks(text).casefold(),
            unicodedata.normalize("NFKC", text).casefold())


def loosely_matches(query: str, reference: Any) -> bool:
    """The loosest reasonable reading of "matches": a case-insensitive substring (casefold or lower,
    with or without accents, NFKC-normalised). Exact, prefix and case-sensitive matches are all
    special cases of it."""
    text = reference if isinstance(reference, str) else ""
    return any(q in r for q, r in zip(_readings(query), _readings(text)))


def _after(cursor: Any) -> str:
    return "on the first page" if cursor is None else f"after {cursor!r}"


@dataclass(frozen=True)
class Window:
    """One search request made with a cursor of the unfiltered walk at the same limit.

    ``start`` is the position (in the unfiltered walk) of the first ticket after the cursor;
    ``end`` the position after the unfiltered page that cursor opens (the "database page").
    """

    cursor: Any
    start: int
    end: int
    page: Page


def search_results_match(query: str, windows: Sequence[Window], references: Mapping[Any, Any], id_field: str,
                         what: str) -> None:
    """Every returned ticket is a ticket of the unfiltered walk whose reference matches the query.
    (Windows hold no ticket created after the unfiltered walk: ``search_windows`` leaves them out.)"""
    for window in windows:
        for item in window.page.items:
            ticket_id = item.get(id_field)
            if ticket_id not in references:
                raise Violation(f"{what}: returned {ticket_id}, which the unfiltered walk does not have",
                                expected="only tickets of the unfiltered list", actual=ticket_id,
                                exchanges=[window.page.exchange])
            if not loosely_matches(query, references[ticket_id]):
                raise Violation(f"{what}: returned {ticket_id} whose reference {references[ticket_id]!r} "
                                f"does not contain {query!r} under any case or accent folding",
                                expected=f"references containing {query!r}", actual=references[ticket_id],
                                exchanges=[window.page.exchange])


def search_walk_finds_every_match(query: str, windows: Sequence[Window], order: Sequence[Any],
                                  references: Mapping[Any, Any], id_field: str, has_more_field: str,
                                  what: str, displaced: Callable[[], bool] | None = None) -> None:
    """Post-hoc search walked with the unfiltered cursors: each page is an in-order subsequence of the
    matching tickets after its cursor; together the pages hold every ticket whose reference equals
    the query; ``has_more`` is true whenever such a ticket lies beyond the page. ``displaced()`` says
    whether tickets were created at the head of the list since the unfiltered walk (asked only when a
    match of the first window is missing)."""
    position = {repr(i): p for p, i in enumerate(order)}
    exact = [p for p, i in enumerate(order) if references.get(i) == query]
    found: set[int] = set()
    last_seen: list[int] = []
    for window in windows:
        previous = window.start - 1
        for item in window.page.items:
            p = position.get(repr(item.get(id_field)))
            if p is None or p < window.start or p <= previous:
                where = "before its cursor" if p is not None and p < window.start else "out of list order"
                raise Violation(f"{what}: the page {_after(window.cursor)} returned {item.get(id_field)} {where}",
                                expected="matching tickets after the cursor, newest first",
                                actual=[i.get(id_field) for i in window.page.items][:10],
                                exchanges=[window.page.exchange])
            previous = p
            found.add(p)
        last_seen.append(previous)
    covered_until = max((w.end for w in windows), default=0)
    missing = [p for p in exact if p not in found and p < covered_until]
    if missing and displaced is not None and windows and windows[0].cursor is None \
            and all(p < windows[0].end for p in missing) and displaced():
        # Tickets created since the unfiltered walk filled the first database page: the last ones of
        # the walk's first page moved to a page no window asked for. Not decidable; judge the rest.
        missing = []
    if missing:
        p = missing[0]
        window = next((w for w in windows if w.start <= p < w.end), windows[-1])
        raise Violation(f"{what}: ticket {order[p]} (reference {references.get(order[p])!r}, position {p}) "
                        f"was on no page of the walk", expected=f"{len(exact)} ticket(s) with reference {query!r}",
                        actual=f"{len(found)} found", exchanges=[window.page.exchange])
    for window, previous in zip(windows, last_seen):
        beyond = max(window.end, previous + 1)
        remaining = [p for p in exact if p >= beyond]
        if remaining and window.page.body.get(has_more_field) is not True:
            raise Violation(f"{what}: has_more is {window.page.body.get(has_more_field)!r} {_after(window.cursor)} "
                            f"although {order[remaining[0]]} (reference {query!r}) follows",
                            expected=f"{has_more_field}: true", actual=window.page.body.get(has_more_field),
                            exchanges=[window.page.exchange])


def search_without_matches_is_empty(query: str, windows: Sequence[Window], has_more_field: str,
                                    last_is_end: bool, what: str) -> None:
    """Every page of a search that matches nothing is empty, and the last unfiltered cursor ends the walk."""
    for window in windows:
        if window.page.items:
            raise Violation(f"{what}: the page {_after(window.cursor)} is not empty",
                            expected="an empty list", actual=f"{len(window.page.items)} item(s)",
                            exchanges=[window.page.exchange])
    if last_is_end and windows and windows[-1].page.body.get(has_more_field) is not False:
        window = windows[-1]
        raise Violation(f"{what}: has_more stays {window.page.body.get(has_more_field)!r} after the last ticket "
                        f"of the list ({window.cursor!r}), so the walk never ends",
                        expected=f"{has_more_field}: false", actual=window.page.body.get(has_more_field),
                        exchanges=[window.page.exchange])


def no_match_query(references: Iterable[Any], base: str = "zq-conformance-no-such-reference") -> str:
    """A query no observed reference contains, under any reading ``loosely_matches`` accepts."""
    texts = [r for r in references if isinstance(r, str)]
    n = 0
    while True:
        query = f"{base}-{n}" if n else base
        if not any(loosely_matches(query, t) for t in texts):
            return query
        n += 1



# -- stored instants recovered with the filters ------------------------------------------------


def window_holds_what_it_shows(walk: Walk, timeline: Timeline, low: int, high: int, unit_name: str, what: str,
                               id_field: str) -> None:
    """A window ``created >= low and < high`` (``low`` and ``high`` on the display grid) holds exactly
    the tickets whose shown ``created`` lies in it: a shown value is the stored instant cut to the
    display unit (``shown <= stored < shown + unit``), so a ticket shown in the window is stored in it."""
    got = set(map(repr, walk.ids(id_field)))
    for ticket_id in timeline.ids:
        shown = timeline.created[ticket_id]
        inside = low <= shown < high
        if inside and repr(ticket_id) not in got:
            raise Violation(f"{what}: ticket {timeline.describe(ticket_id)} is shown inside the window but not "
                            f"returned: its stored instant lies before the value shown (created is shown rounded "
                            f"up, not cut to the display unit of {unit_name}), or the filters compare another value",
                            expected=f"{ticket_id} (shown <= stored < shown + {unit_name})",
                            actual=walk.ids(id_field)[:20], exchanges=walk.exchanges[:2])
        if not inside and repr(ticket_id) in got:
            raise Violation(f"{what}: ticket {timeline.describe(ticket_id)} is shown outside the window yet "
                            f"returned: the value shown is not its stored instant cut to the display unit of {unit_name}",
                            expected="only tickets shown in the window", actual=walk.ids(id_field)[:20],
                            exchanges=walk.exchanges[:2])


def operators_split_at(ticket: str, instant: str, after: bool, at_or_before: bool, exchanges: Sequence[Exchange]) -> None:
    """At a ticket's recovered stored instant ``b`` (it satisfies gte b and not gte b + 1 ms),
    exactly one of ``gt b`` and ``lte b`` selects it: both when gt is inclusive or lte reaches
    past the bound, neither when lte is exclusive (or gt skips sub-millisecond instants)."""
    if after != at_or_before:
        return
    how = "both" if after else "neither"
    raise Violation(f"ticket {ticket}, whose stored instant the filters place at {instant} (gte selects it, gte 1 ms "
                    f"later does not): {how} of created[gt]={instant} and created[lte]={instant} select it",
                    expected="exactly one of gt and lte selects it", actual=f"gt: {after}, lte: {at_or_before}",
                    exchanges=list(exchanges)[:3])


def search_back_window(query: str, window: Window, order: Sequence[Any], references: Mapping[Any, Any],
                       limit: int, id_field: str, what: str) -> None:
    """A search paged back (``ending_before`` the ticket at ``window.end`` of ``order``, same filters):
    only matching tickets before the cursor, in list order, and every ticket whose reference equals
    the query among the ``limit`` tickets right before it (the database page; a search run as a
    database filter returns the nearest matches, which include those)."""
    position = {repr(i): p for p, i in enumerate(order)}
    previous = -1
    found = set()
    for item in window.page.items:
        ticket_id = item.get(id_field)
        p = position.get(repr(ticket_id))
        if p is None or p >= window.end or p <= previous:
            where = "not in the list the other filters select" if p is None else (
                "at or after its cursor" if p >= window.end else "out of list order")
            raise Violation(f"{what}: returned {ticket_id} {where}", expected="matching tickets before the cursor, "
                            "newest first", actual=[i.get(id_field) for i in window.page.items][:10],
                            exchanges=[window.page.exchange])
        if not loosely_matches(query, references.get(ticket_id)):
            raise Violation(f"{what}: returned {ticket_id} whose reference {references.get(ticket_id)!r} does not "
                            f"contain {query!r}", expected=f"references containing {query!r}",
                            actual=references.get(ticket_id), exchanges=[window.page.exchange])
        previous = p
        found.add(p)
    missing = [p for p in range(max(0, window.end - limit), window.end)
               if references.get(order[p]) == query and p not in found]
    if missing:
        raise Violation(f"{what}: ticket {order[missing[0]]} (reference {query!r}) right before the cursor is missing",
                        expected=f"every ticket with reference {query!r} among the {limit} before the cursor",
                        actual=[i.get(id_field) for i in window.page.items][:10], exchanges=[window.page.exchange])


def refinement_narrows(query: str, narrower: Sequence[Window], wider_query: str, wider: Sequence[Window],
                       order: Sequence[Any], references: Mapping[Any, Any], limit: int, id_field: str,
                       what: str, displaced: Callable[[], int] | None = None) -> bool:
    """Metamorphic relation: a query extending another (``wider_query`` is its prefix) selects a subset.

    Both are asked with the same cursors. A ticket the narrower query returns in a window must be in
    the wider query's page of that window when it lies within what that page covers (the whole
    database page for a post-hoc search; up to its last ticket for a full page of a search run as a
    database filter). Returns False, judging nothing, when the wider query returned only tickets whose
    reference equals it: the API may match exactly, where the relation does not hold.

    Only tickets of ``order`` (the oracle walk) are judged: others' newer tickets are out of scope.
    ``displaced()`` says how many such newer tickets now head the list (asked only when a first page,
    asked without a cursor, would fail): they pushed as many tickets off the end of the database page
    between the two requests, so the tail of the first page that could have moved is not judged."""
    wider_refs = [references[i.get(id_field)] for w in wider for i in w.page.items if i.get(id_field) in references]
    if not any(r != wider_query for r in wider_refs):
        return False
    position = {repr(i): p for p, i in enumerate(order)}
    pushed: list[int] = []  # displaced(), asked at most once
    for small, large in zip(narrower, wider):
        got = {repr(i.get(id_field)) for i in large.page.items}
        covered = float("inf")
        if len(large.page.items) >= limit:
            covered = position.get(repr(large.page.items[-1].get(id_field)), -1)
        for item in small.page.items:
            ticket_id = item.get(id_field)
            p = position.get(repr(ticket_id))
            if p is None or p > covered or repr(ticket_id) in got:
                continue
            if small.cursor is None and displaced is not None:
                if not pushed:
                    pushed.append(displaced())
                if p >= limit - pushed[0]:
                    continue
            raise Violation(f"{what}: {ticket_id} (reference {references.get(ticket_id)!r}) is returned for "
                            f"{query!r} but not for its prefix {wider_query!r} on the same page "
                            f"({_after(small.cursor)})", expected=f"results for {query!r} within those for "
                            f"{wider_query!r}", actual=[i.get(id_field) for i in large.page.items][:10],
                            exchanges=[small.page.exchange, large.page.exchange])
    return True
