"""Created-filter checks: every bound selects exactly the subset of the unfiltered walk it names.

The oracle is the memoized unfiltered walk (``ctx.api.full_walk()``, largest page size); bounds
are drawn from the ``created`` values it holds (``strategies.bounds``); each filtered query is
walked at the largest page size (``starting_after``, or offsets on an offset list), the filter on
every page, and compared with the oracle subset: its order too on a newest-first (cursor) list. Filtered walks are memoized per query, so checks that ask the same
question share the requests. Bounds are chosen so that a filtered walk stays short (at most
``_max_items`` tickets) on any volume of data.
"""

from __future__ import annotations

from typing import Sequence

from hypothesis import strategies as st

from conformance.oracles.filters import (LOWER, OPS, Expected, Timeline, expected_subset, operators_split_at, rejected,
                                        same_selection, selects_one_of, walk_ended, window_holds_what_it_shows)
from conformance.oracles.instants import NS_PER_S, parse_instant
from conformance.strategies import bounds as B
from conformance.observe.context import RunContext
from conformance.observe.filtered_walks import (Rejected, budget_stop, describe, filtered_walk, grain, max_items,
                                                newest_first, pages_for, walk_and_timeline)
from conformance.checks.registry import check
from conformance.observe.walks import Params, Walk
from conformance.model.violations import Skipped, Violation

REQUIRES = ("created-filters",)
#: Values no ISO 8601 reader accepts. Not included: "" (a form decoder may read an empty parameter
#: as absent) and words like "yesterday" (SQL databases parse those; the docs do not forbid extras).
UNPARSABLE = ("not-a-date", "2026-13-45T00:00:00Z", "2026-03-14T24:30:00Z")


# -- shared machinery (also used by text_filters) -----------------------------------------------


def _param(ctx: RunContext, op: str) -> str:
    assert ctx.profile.created_filters
    return ctx.profile.created_filters.params[op]


def _named(ctx: RunContext) -> tuple[str, ...]:
    """The created operators the profile names, in ``OPS`` order (json-server: gte and lte)."""
    params = ctx.profile.created_filters.params if ctx.profile.created_filters else {}
    return tuple(op for op in OPS if params.get(op))


def _usable(ctx: RunContext, probes: list, what: str) -> list:
    """The probes (operator first) whose operator the profile names; skipped when none is left."""
    kept = [p for p in probes if p[0] in _named(ctx)]
    if not kept:
        raise Skipped(f"no {what} probe uses an operator the profile names ({', '.join(_named(ctx))})")
    return kept


def ask(ctx: RunContext, bounds: Sequence[tuple[str, int, str]]) -> tuple[Params, Walk | Rejected, int]:
    """Walk the query with ``(op, instant, spelling)`` bounds; its page budget (returned third)
    follows the oracle, with room for the same bounds rounded to the millisecond."""
    _, timeline = walk_and_timeline(ctx)
    filters: Params = tuple((_param(ctx, op), text) for op, _, text in bounds)
    step = grain(ctx).step
    widest = timeline.count([(op, ns - step if op in LOWER else ns + step) for op, ns, _ in bounds])
    pages = pages_for(ctx, widest)
    return filters, filtered_walk(ctx, filters, max_pages=pages), pages


def judge(ctx: RunContext, filters: Params, walk: Walk, pages: int, alternatives: Sequence[Expected],
          note: str = "") -> None:
    """The walk (stopped after at most ``pages``) agrees with one of the oracle subsets."""
    _, timeline = walk_and_timeline(ctx)
    what = describe(filters) + (f" ({note})" if note else "")
    complete = walk_ended(walk, what, budget_stop(pages))
    selects_one_of(walk, timeline, alternatives, what, ctx.profile.id_field, complete, newest_first(ctx))


def expect_exact(ctx: RunContext, bounds: Sequence[tuple[str, int, str]], must_accept: bool = True) -> bool:
    """The walk of these bounds selects exactly the oracle subset. Returns False when the API
    rejected the query (and ``must_accept`` is off); a rejection of a valid bound is a violation."""
    _, timeline = walk_and_timeline(ctx)
    filters, walk, pages = ask(ctx, bounds)
    if isinstance(walk, Rejected):
        if must_accept:
            raise Violation(f"{describe(filters)}: a valid bound was rejected",
                            expected="200 and the matching tickets", actual=walk.exchange.status,
                            exchanges=[walk.exchange])
        return False
    judge(ctx, filters, walk, pages, [expected_subset(timeline, [(op, ns) for op, ns, _ in bounds])])
    return True


def _drawn(ctx: RunContext) -> int:
    return max(2, ctx.options.max_examples // 3)


def _drawable(ctx: RunContext, timeline: Timeline, cap: int) -> list[str]:
    """The profile's operators with at least one cheap bound to draw (all of them, unless the data are odd)."""
    return [op for op in _named(ctx) if B.cheap_instants(timeline, B.side_of(op), cap)]


# -- one operator at a time ---------------------------------------------------------------------


def _single_bound(ctx: RunContext, op: str) -> None:
    _, timeline = walk_and_timeline(ctx)
    limit, cap, spelling = ctx.profile.paging.largest_limit, max_items(ctx), grain(ctx)
    keys = B.key_bounds(timeline, op, cap, limit, spelling.step)
    if not keys:
        raise Skipped(f"no {op} bound selects at most {cap} tickets")
    for ns in keys:
        expect_exact(ctx, [(op, ns, spelling.spell(ns))])
    # The API's own spelling of a key instant, when it writes ``created`` as text.
    own = next((raw for i, raw in timeline.raw.items() if isinstance(raw, str) and timeline.created[i] in keys), None)
    if own is not None and spelling.unit is None:
        expect_exact(ctx, [(op, parse_instant(own), own)])
    ctx.explore(B.bound_instants(timeline, op, cap, spelling.step),
                lambda ns: expect_exact(ctx, [(op, ns, spelling.spell(ns))]), max_examples=_drawn(ctx))


@check(family="created-filter", level="MUST", requires=REQUIRES,
       proves="created[gt] returns exactly the tickets created strictly after the bound (at, and 1 ms either side "
              "of, present instants and tie instants), newest first on a cursor list.")
def created_gt_is_exclusive(ctx: RunContext) -> None:
    _single_bound(ctx, "gt")


@check(family="created-filter", level="MUST", requires=REQUIRES,
       proves="created[gte] returns exactly the tickets created at or after the bound; no member of a tie group "
              "at the bound is lost.")
def created_gte_is_inclusive(ctx: RunContext) -> None:
    _single_bound(ctx, "gte")


@check(family="created-filter", level="MUST", requires=REQUIRES,
       proves="created[lt] returns exactly the tickets created strictly before the bound, newest first on a cursor list.")
def created_lt_is_exclusive(ctx: RunContext) -> None:
    _single_bound(ctx, "lt")


@check(family="created-filter", level="MUST", requires=REQUIRES,
       proves="created[lte] returns exactly the tickets created at or before the bound; no member of a tie group "
              "at the bound is lost.")
def created_lte_is_inclusive(ctx: RunContext) -> None:
    _single_bound(ctx, "lte")


# -- ranges -------------------------------------------------------------------------------------


def _inverted(lop: str, lns: int, uop: str, uns: int) -> bool:
    """No instant satisfies both bounds (the lower one lies after the upper one, or on it with an
    exclusive operator)."""
    return lns > uns or (lns == uns and (lop == "gt" or uop == "lt"))


def _range(ctx: RunContext, lop: str, lns: int, uop: str, uns: int) -> None:
    """Exactly the intersection; an inverted range may instead be refused (docs silent)."""
    spell = grain(ctx).spell
    bounds = [(lop, lns, spell(lns)), (uop, uns, spell(uns))]
    if not _inverted(lop, lns, uop, uns):
        expect_exact(ctx, bounds)
        return
    filters, walk, pages = ask(ctx, bounds)
    if not isinstance(walk, Rejected):
        judge(ctx, filters, walk, pages, [Expected(())])


def _same_side_pairs(timeline: Timeline, cap: int, step: int = B.MS) -> list[tuple[tuple[str, int], tuple[str, int]]]:
    """Both operators of one side sent together, at cheap present instants: at one instant (the
    exclusive one is tighter) and at two instants with a ticket between them (the inclusive one at
    the nearer instant is tighter), so a server dropping either operator of the pair shows."""
    pairs: list[tuple[tuple[str, int], tuple[str, int]]] = []
    for side, (strict, loose) in (("lower", ("gt", "gte")), ("upper", ("lt", "lte"))):
        cheap = B.cheap_instants(timeline, side, cap, step)
        ordered = cheap if side == "lower" else cheap[::-1]  # cheapest first, inward
        ties = [ns for ns, _ in timeline.tie_groups() if ns in set(ordered)]
        ties = ties if side == "lower" else ties[::-1]
        at = B.pick(ties, 0) if ties else B.pick(ordered, 0)
        if at is not None:
            pairs.append(((strict, at), (loose, at)))
        if len(ordered) >= 3:
            # The inclusive bound at the outermost instant is tighter than the exclusive one two instants
            # inward, which alone would also admit the instant between them.
            pairs.append(((loose, ordered[0]), (strict, ordered[2])))
    return pairs


@check(family="created-filter", level="MUST", requires=REQUIRES,
       proves="A lower and an upper created bound together select exactly the intersection; an empty range is "
              "200 with an empty list; an inverted range is an empty list or a 4xx; gt with gte (and lt with "
              "lte) sent together both apply (the tighter one wins).")
def created_range_combines_bounds(ctx: RunContext) -> None:
    _, timeline = walk_and_timeline(ctx)
    cap, spelling = max_items(ctx), grain(ctx)
    step = spelling.step
    named = _named(ctx)
    for lop, lns, uop, uns in B.key_ranges(timeline, cap, step) + B.inverted_ranges(timeline, step):
        if lop in named and uop in named:
            _range(ctx, lop, lns, uop, uns)
    for (aop, ans), (bop, bns) in _same_side_pairs(timeline, cap, step):
        if aop in named and bop in named:
            expect_exact(ctx, [(aop, ans, spelling.spell(ans)), (bop, bns, spelling.spell(bns))])
    ctx.explore(B.ranges(timeline, cap, step, named), lambda r: _range(ctx, *r), max_examples=_drawn(ctx))


# -- spellings of one instant ----------------------------------------------------------------------


def _offset_probes(ctx: RunContext) -> list[tuple[str, int, int]]:
    """``(op, instant, offset minutes)`` at present instants, paired so that an offset read wrongly in
    either direction moves the bound across the ticket at that instant: inclusive lower bounds
    with offsets east of UTC, inclusive upper bounds west of it, exclusive ones the other way; one
    at a midnight, so the written date differs from the UTC date."""
    _, timeline = walk_and_timeline(ctx)
    cap, limit = max_items(ctx), ctx.profile.paging.largest_limit
    lower = B.key_instants(timeline, "lower", cap, limit)
    upper = B.key_instants(timeline, "upper", cap, limit)
    midnights = [ns for ns in B.cheap_instants(timeline, "lower", cap) if ns % B.DAY_NS == 0]
    east, west, half = B.OFFSETS
    probes = [("gte", B.pick(lower, 1), east), ("lte", B.pick(upper, 1), west),
              ("gt", B.pick(midnights or lower, 0), west), ("gte", B.pick(lower, 2), half),
              ("lt", B.pick(upper, 0), east)]
    return _usable(ctx, [p for p in probes if p[1] is not None], "UTC offset")


def _offset_walk(ctx: RunContext, op: str, ns: int, offset: int) -> tuple[Params, Walk | Rejected, int]:
    return ask(ctx, [(op, ns, B.spell(ns, offset_minutes=offset))])


def _offset_agrees(ctx: RunContext, op: str, ns: int, offset: int) -> None:
    filters, walk, pages = _offset_walk(ctx, op, ns, offset)
    if isinstance(walk, Rejected):
        return  # created_accepts_utc_offsets reports it
    _, timeline = walk_and_timeline(ctx)
    judge(ctx, filters, walk, pages, [expected_subset(timeline, [(op, ns)])], f"the instant {B.spell(ns)}")


@check(family="created-filter", level="MUST", requires=REQUIRES,
       proves="A bound written with a UTC offset (+02:00, -05:00, +05:30) selects the same tickets as the same "
              "instant written in UTC (when the API accepts offsets).")
def created_offsets_name_the_same_instant(ctx: RunContext) -> None:
    for op, ns, offset in _offset_probes(ctx):
        _offset_agrees(ctx, op, ns, offset)
    _, timeline = walk_and_timeline(ctx)
    cap = max_items(ctx)
    drawn = st.sampled_from(_drawable(ctx, timeline, cap)).flatmap(
        lambda op: st.tuples(st.just(op), B.bound_instants(timeline, op, cap), st.sampled_from(B.OFFSETS)))
    ctx.explore(drawn, lambda p: _offset_agrees(ctx, *p), max_examples=_drawn(ctx))


@check(family="created-filter", level="SHOULD", requires=REQUIRES,
       proves="created bounds written with a numeric UTC offset (ISO 8601 allows +hh:mm) are accepted, not "
              "refused with 4xx.")
def created_accepts_utc_offsets(ctx: RunContext) -> None:
    for op, ns, offset in _offset_probes(ctx):
        filters, walk, _ = _offset_walk(ctx, op, ns, offset)
        if isinstance(walk, Rejected):
            raise Violation(f"{describe(filters)}: an ISO 8601 instant with a UTC offset was refused",
                            expected="200 (the same tickets as the UTC spelling)", actual=walk.exchange.status,
                            exchanges=[walk.exchange])


def _precision_agrees(ctx: RunContext, op: str, ns: int, digits: int) -> None:
    """Exact when ``ns`` is written exactly at whole milliseconds or coarser; else rounding to the
    millisecond (down or up) is also accepted. A refusal is not this check's business."""
    _, timeline = walk_and_timeline(ctx)
    text = B.spell(ns, digits)
    if parse_instant(text) != ns:  # finer instants than these digits hold: write them in full
        text = B.spell(ns)
    filters, walk, pages = ask(ctx, [(op, ns, text)])
    if isinstance(walk, Rejected):
        return
    alternatives = [expected_subset(timeline, [(op, ns)])]
    if ns % B.MS:
        floor = ns - ns % B.MS
        alternatives += [expected_subset(timeline, [(op, floor)]), expected_subset(timeline, [(op, floor + B.MS)])]
    judge(ctx, filters, walk, pages, alternatives, f"the instant {B.spell(ns)}")


def _inside_a_second(timeline: Timeline, side: str, cap: int) -> int | None:
    """The cheapest present instant on ``side`` lying strictly inside a second (not at .000), whose
    whole second is a cheap bound too; None when every instant is a whole second."""
    cheap = B.cheap_instants(timeline, side, cap)
    for ns in cheap if side == "lower" else cheap[::-1]:
        second = ns - ns % NS_PER_S
        if ns % NS_PER_S and B.cost(timeline, side, second - B.MS if side == "lower" else second + NS_PER_S) <= cap:
            return ns
    return None


def _precision_probes(ctx: RunContext) -> list[tuple[str, int, int]]:
    """``(op, instant, fraction digits)``: whole seconds without a fraction, 6 and 9 digits, and
    sub-millisecond points between two milliseconds."""
    _, timeline = walk_and_timeline(ctx)
    cap, limit = max_items(ctx), ctx.profile.paging.largest_limit
    probes: list[tuple[str, int, int]] = []
    for side, ops in (("lower", ("gte", "gt")), ("upper", ("lte", "lt"))):
        seconds = B.whole_seconds(timeline, side, cap)
        if seconds:
            probes += [(op, seconds[0], 0) for op in ops]
        # A whole second without a fraction, with a ticket later in that second: the bound is that
        # instant, not the whole second (lte 12:00:00 excludes 12:00:00.5; gt 12:00:00 includes it).
        inside = _inside_a_second(timeline, side, cap)
        if inside is not None:
            probes += [(op, inside - inside % NS_PER_S, 0) for op in ops]
        keys = B.key_instants(timeline, side, cap, limit)
        first, second = B.pick(keys, 1), B.pick(keys, 2)
        if first is not None:
            probes += [(ops[1], first, 6), (ops[0], first, 9)]
            for (delta, digits), op in zip(B.SUB_MS[:2] if side == "lower" else B.SUB_MS[2:4], ops):
                probes.append((op, second + delta, digits))
    return _usable(ctx, probes, "precision")


@check(family="created-filter", level="MUST", requires=REQUIRES,
       proves="A bound is read at its written precision: a whole second without a fraction and 6 or 9 fraction "
              "digits select exactly; a sub-millisecond bound selects as written or as rounded to the millisecond.")
def created_precision_is_read_exactly(ctx: RunContext) -> None:
    for op, ns, digits in _precision_probes(ctx):
        _precision_agrees(ctx, op, ns, digits)
    _, timeline = walk_and_timeline(ctx)
    cap = max_items(ctx)
    drawn = st.sampled_from(_drawable(ctx, timeline, cap)).flatmap(lambda op: st.tuples(
        st.just(op), B.bound_instants(timeline, op, cap), st.sampled_from(B.SUB_MS + ((0, 6), (0, 9)))))
    ctx.explore(drawn, lambda p: _precision_agrees(ctx, p[0], p[1] + p[2][0], p[2][1]),
                max_examples=_drawn(ctx))


#: Display windows probed per run (the newest shown instants), and tickets whose stored instant is
#: recovered by bisection when ``created`` is shown more coarsely than milliseconds.
WINDOWS_FINE, WINDOWS_COARSE, BISECTED = 3, 6, 2


def _window_walk(ctx: RunContext, bounds: Sequence[tuple[str, int]]) -> tuple[Params, Walk]:
    _, timeline = walk_and_timeline(ctx)
    filters: Params = tuple((_param(ctx, op), B.spell(ns)) for op, ns in bounds)
    low = next((ns for op, ns in bounds if op in LOWER), None)
    high = next((ns for op, ns in bounds if op in ("lt", "lte")), None)
    span = timeline.count_between(None if low is None else low - timeline.fuzz_ns,
                                  None if high is None else high + timeline.fuzz_ns)
    pages = pages_for(ctx, span)
    walk = filtered_walk(ctx, filters, max_pages=pages)
    if isinstance(walk, Rejected):
        raise Violation(f"{describe(filters)}: valid ISO 8601 bounds were rejected", expected="200",
                        actual=walk.exchange.status, exchanges=[walk.exchange])
    walk_ended(walk, describe(filters))
    return filters, walk


def _holds(ctx: RunContext, bounds: Sequence[tuple[str, int]], ticket_id: object) -> tuple[bool, Walk]:
    _, walk = _window_walk(ctx, bounds)
    return repr(ticket_id) in set(map(repr, walk.ids(ctx.profile.id_field))), walk


@check(family="created-filter", level="MUST", requires=REQUIRES, relies_on=("full-walk",),
       proves="The filters agree with the created values shown: a window [t, t + display unit) holds exactly the "
              "tickets shown in it, and at each probed ticket's stored instant (recovered with the filters by "
              "bisection at 1 ms steps when created is shown as whole seconds) exactly one of gt and lte selects "
              "it.")
def created_display_agrees_with_filters(ctx: RunContext) -> None:
    _, timeline = walk_and_timeline(ctx)
    unit = max(timeline.fuzz_ns, B.MS)
    unit_name = "1 ms" if unit == B.MS else f"{unit / NS_PER_S:g} s"
    # The display grid: shown instants cut to the unit (finer data shown exactly is cut to the millisecond).
    starts = list(dict.fromkeys(ns - ns % unit for ns in timeline.instants()))
    coarse = unit > B.MS
    for low in starts[:WINDOWS_COARSE if coarse else WINDOWS_FINE]:
        filters, walk = _window_walk(ctx, [("gte", low), ("lt", low + unit)])
        window_holds_what_it_shows(walk, timeline, low, low + unit, unit_name, describe(filters),
                                   ctx.profile.id_field)
    for low in starts[:BISECTED if coarse else 1]:
        ticket = next(i for i in timeline.ids if low <= timeline.created[i] < low + unit)
        # Invariant: the ticket is in gte(lo) and not in gte(hi), inside the window [low, low + unit).
        lo, hi = low, low + unit
        while hi - lo > B.MS:
            mid = lo + (hi - lo) // B.MS // 2 * B.MS
            inside, _ = _holds(ctx, [("gte", mid), ("lt", low + unit)], ticket)
            lo, hi = (mid, hi) if inside else (lo, mid)
        after, gt_walk = _holds(ctx, [("gt", lo), ("lt", low + unit)], ticket)
        at_or_before, lte_walk = _holds(ctx, [("gte", low), ("lte", lo)], ticket)
        operators_split_at(timeline.describe(ticket), B.spell(lo), after, at_or_before,
                           gt_walk.exchanges[:1] + lte_walk.exchanges[:1])


@check(family="created-filter", level="MUST", requires=REQUIRES,
       proves="A date-only bound (YYYY-MM-DD), where accepted, with each created operator, selects the same "
              "tickets as that day at 00:00:00 "
              "written without an offset (read in whatever zone the API reads such values) or at midnight UTC.")
def created_date_only_matches_midnight(ctx: RunContext) -> None:
    _, timeline = walk_and_timeline(ctx)
    cap = max_items(ctx)
    tried = 0
    for side, op in (("lower", "gte"), ("upper", "lt"), ("lower", "gt"), ("upper", "lte")):
        if op not in _named(ctx):
            continue
        days = B.dates(timeline, side, cap)
        if not days:
            continue
        tried += 1
        day = days[0]
        pages = pages_for(ctx, cap)
        walks = []
        for text in (day, f"{day}T00:00:00"):
            filters: Params = ((_param(ctx, op), text),)
            walk = filtered_walk(ctx, filters, max_pages=pages)
            if isinstance(walk, Rejected):
                break  # docs silent on date-only and offset-less values: a refusal is fine
            walk_ended(walk, describe(filters), budget_stop(pages))  # a budget stop: compare equal prefixes
            walks.append(walk)
        if len(walks) == 2:
            try:
                same_selection(walks[0], walks[1], f"{_param(ctx, op)}={day} vs {day}T00:00:00",
                               ctx.profile.id_field, timeline)
            except Violation as offsetless:
                # A date is also commonly read as midnight UTC while offset-less times are local
                # (JavaScript's Date does exactly that): the docs allow either reading.
                utc = filtered_walk(ctx, ((_param(ctx, op), f"{day}T00:00:00Z"),), max_pages=pages)
                if isinstance(utc, Rejected):
                    raise offsetless from None
                try:
                    same_selection(walks[0], utc, f"{_param(ctx, op)}={day} vs {day}T00:00:00Z", ctx.profile.id_field,
                                   timeline)
                except Violation:
                    raise offsetless from None
    if not tried:
        raise Skipped(f"no day whose midnight is a bound selecting at most {cap} tickets")


@check(family="created-filter", level="MUST", requires=REQUIRES,
       proves="A created bound that is not an ISO 8601 instant (e.g. 'not-a-date', month 13, 24:30) is refused "
              "with a 4xx, neither ignored nor a server error.")
def created_unparsable_is_rejected(ctx: RunContext) -> None:
    for index, value in enumerate(UNPARSABLE):
        # The first value on every operator, the others on alternating pairs of operators.
        ops = [op for op in (OPS if index == 0 else OPS[index % 2::2]) if op in _named(ctx)] or _named(ctx)
        for op in ops:
            param = _param(ctx, op)
            rejected(ctx.api.list(((param, value),)), f"{param}={value}")
