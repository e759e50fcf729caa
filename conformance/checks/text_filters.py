"""Location and search checks, and filters on every page of a small-page walk.

Oracle: the memoized unfiltered walk. ``location`` must select exactly the tickets with that
location; ``search_query`` is documented as a post-hoc filter, so it is walked with the cursors of
the unfiltered walk at the same page size (a page may be short or empty while ``has_more`` is
true; a client continuing from the unfiltered cursors must still find every match).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import strategies as st

from conformance.oracles import cursor_pagination as cp
from conformance.oracles import filters as F
from conformance.oracles.filters import (Expected, Window, empty_or_rejected, expected_subset, loosely_matches,
                                        no_match_query, search_results_match, selects_exactly, subset_where, walk_ended)
from conformance.strategies import bounds as B
from conformance.observe.context import RunContext
from conformance.observe.filtered_walks import (Rejected, budget_stop, describe, filtered_walk, pages_for, paging,
                                                walk_and_timeline)
from conformance.checks.registry import check
from conformance.observe.walks import Params, Walk, page_from
from conformance.model.violations import Skipped, Violation
from conformance.observe.memo import memo_key

#: Unfiltered pages a search is walked over (each costs one request per query).
SEARCH_PAGES = 6
#: At most this many pages of a location walk at the largest page size, and of a small-page walk;
#: a longer walk is compared as a prefix of the oracle subset.
LOCATION_PAGES = 3
SMALL_PAGES = 8


# -- location -------------------------------------------------------------------------------------


def _locations(ctx: RunContext) -> Counter:
    assert ctx.profile.location
    walk, _ = walk_and_timeline(ctx)
    values = [item.get(ctx.profile.location.field) for item in walk.items]
    return Counter(v for v in values if isinstance(v, str) and v)


def _location_walk(ctx: RunContext, value: str, count: int, limit: int | None = None) -> tuple[Walk, bool]:
    assert ctx.profile.location
    filters: Params = ((ctx.profile.location.param, value),)
    pages = min(pages_for(ctx, count, limit), SMALL_PAGES if limit else LOCATION_PAGES)
    walk = filtered_walk(ctx, filters, limit, pages)
    if isinstance(walk, Rejected):
        raise Violation(f"{describe(filters)}: a location observed on tickets was refused",
                        expected="200 and that location's tickets", actual=walk.exchange.status,
                        exchanges=[walk.exchange])
    return walk, walk_ended(walk, describe(filters), budget_stop(pages))


def _unknown_locations(counts: Counter) -> list[str]:
    """Values no ticket has: a proper prefix of an observed location id (a prefix match would
    select its tickets) and a made-up id."""
    found = []
    for value in sorted(counts):
        if len(value) > 3 and value[:-2] not in counts:
            found.append(value[:-2])
            break
    made_up = "loc_conformance0unknown"
    while made_up in counts:
        made_up += "0"
    return found + [made_up]


@check(family="consistency", level="MUST", requires=("location-filter", "cursor-pagination"),
       proves="location=<id> returns exactly the tickets of the unfiltered list with that location, in order; an "
              "unknown location id returns an empty list or a 4xx.")
def location_filter_selects_exactly_that_location(ctx: RunContext) -> None:
    assert ctx.profile.location
    _, timeline = walk_and_timeline(ctx)
    walk_all, _ = walk_and_timeline(ctx)
    counts = _locations(ctx)
    if not counts:
        raise Skipped(f"no ticket has a {ctx.profile.location.field!r} value to filter by")
    field = ctx.profile.location.field
    for value, count in sorted(counts.items(), key=lambda kv: (kv[1], kv[0]))[:3]:  # the cheapest three
        walk, complete = _location_walk(ctx, value, count)
        expected = subset_where(timeline, (i.get(ctx.profile.id_field) for i in walk_all.items if i.get(field) == value))
        what = describe(((ctx.profile.location.param, value),))
        selects_exactly(walk, timeline, expected, what, ctx.profile.id_field, complete)
        cp.filtered_has_more_is_truthful(walk, paging(ctx).has_more, what)
    for value in _unknown_locations(counts):
        exchange = ctx.api.list(((ctx.profile.location.param, value),))
        empty_or_rejected(exchange, paging(ctx).items, f"{ctx.profile.location.param}={value} (no ticket has it)")


# -- filters on every page ------------------------------------------------------------------------


def _back_pages(walk: Walk) -> list[int]:
    """Pages probed with ending_before their first ticket: the first, the second and the last non-empty one."""
    filled = [index for index, page in enumerate(walk.pages) if page.items]
    return sorted(set(filled[:2] + filled[-1:]))


def _has_more_and_back(ctx: RunContext, walk: Walk, filters: Params, limit: int, what: str) -> None:
    """On a filtered walk: has_more is true only when more matching tickets follow, and ending_before the
    first ticket of a page (same filters and limit) returns the page before it (nothing, for the first)."""
    p, id_field = paging(ctx), ctx.profile.id_field
    cp.filtered_has_more_is_truthful(walk, p.has_more, what)
    for index in _back_pages(walk):
        first = walk.pages[index].items[0].get(id_field)
        params = tuple(filters) + ((p.limit, str(limit)), (p.before, str(first)))
        exchange = ctx.api.memo(memo_key("filtered-before", params), lambda: ctx.api.list(params))
        cp.ending_before_pages_back(walk, index, exchange, limit, p.items, id_field, what)


def _location_with_created(ctx: RunContext, walk: Walk, value: str, at_location: Expected, limit: int) -> None:
    """location combined with a created[gte] bound halfway down that location's walk selects exactly the
    intersection (a server dropping one filter when both are given shows)."""
    assert ctx.profile.location
    if not ctx.profile.created_filters or "gte" not in ctx.profile.created_filters.params or len(walk.items) < 2:
        return
    _, timeline = walk_and_timeline(ctx)
    middle = walk.items[len(walk.items) // 2].get(ctx.profile.id_field)
    if middle not in timeline.created:
        return
    bounds = [("gte", timeline.created[middle])]
    filters: Params = ((ctx.profile.location.param, value),
                       (ctx.profile.created_filters.params["gte"], B.spell(timeline.created[middle])))
    by_created = expected_subset(timeline, bounds)
    keep = set(at_location.must) | set(at_location.may)
    expected = Expected(tuple(i for i in by_created.must if i in keep), frozenset(by_created.may & keep))
    pages = min(pages_for(ctx, len(expected.must) + len(expected.may), limit), SMALL_PAGES)
    combined = filtered_walk(ctx, filters, limit, pages)
    if isinstance(combined, Rejected):
        raise Violation(f"{describe(filters)}: a location and a valid ISO 8601 bound together were rejected",
                        expected=200, actual=combined.exchange.status, exchanges=[combined.exchange])
    complete = walk_ended(combined, describe(filters), budget_stop(pages))
    selects_exactly(combined, timeline, expected, f"{describe(filters)} at limit={limit}", ctx.profile.id_field,
                    complete)


def _small_walks(ctx: RunContext, limit: int) -> None:
    walk_all, timeline = walk_and_timeline(ctx)
    id_field = ctx.profile.id_field
    ran = 0
    if ctx.profile.location:
        counts = _locations(ctx)
        # A location filling several small pages: closest to four pages' worth.
        several = sorted(counts.items(), key=lambda kv: (abs(kv[1] - 4 * limit), kv[0]))
        if several:
            value, count = several[0]
            walk, complete = _location_walk(ctx, value, count, limit)
            field = ctx.profile.location.field
            expected = subset_where(timeline, (i.get(id_field) for i in walk_all.items if i.get(field) == value))
            filters: Params = ((ctx.profile.location.param, value),)
            what = f"{describe(filters)} at limit={limit}"
            selects_exactly(walk, timeline, expected, what, id_field, complete)
            _has_more_and_back(ctx, walk, filters, limit, what)
            _location_with_created(ctx, walk, value, expected, limit)
            ran += 1
    if ctx.profile.created_filters:
        # About four small pages: an upper bound (lt) half a page down the list, so that newer tickets exist
        # outside the range (an ending_before that forgets the bounds shows), and a lower bound (gte) four
        # pages further.
        params = ctx.profile.created_filters.params
        top = min(limit // 2 + 1, len(timeline) - 1)
        position = min(top + 4 * limit - 1, len(timeline) - 1)
        ns = timeline.created[timeline.ids[position]]
        bounds = [("gte", ns)]
        if "lt" in params:
            bounds.append(("lt", timeline.created[timeline.ids[top]]))
        filters = tuple((params[op], B.spell(instant)) for op, instant in bounds)
        expected = expected_subset(timeline, bounds)
        pages = min(pages_for(ctx, len(expected.must) + len(expected.may), limit), SMALL_PAGES)
        walk = filtered_walk(ctx, filters, limit, pages)
        if isinstance(walk, Rejected):
            raise Violation(f"{describe(filters)}: a valid ISO 8601 bound was rejected", expected=200,
                            actual=walk.exchange.status, exchanges=[walk.exchange])
        complete = walk_ended(walk, describe(filters), budget_stop(pages))
        what = f"{describe(filters)} at limit={limit}"
        selects_exactly(walk, timeline, expected, what, id_field, complete)
        _has_more_and_back(ctx, walk, filters, limit, what)
        ran += 1
    if not ran:
        raise Skipped("no location or created filter to walk")


@check(family="pagination", level="MUST", requires=("cursor-pagination",),
       proves="A walk at a small page size keeps applying location and created filters on every page: each page "
              "holds only matching tickets, the walk returns exactly the matching subset, has_more is true only "
              "when more matching tickets follow, ending_before a page's first ticket returns the page before, and "
              "location together with created[gte] selects exactly the intersection.")
def filters_apply_on_every_page(ctx: RunContext) -> None:
    if not (ctx.profile.location or ctx.profile.created_filters):
        raise Skipped("the API documents no location or created filter")
    walk_and_timeline(ctx)
    ctx.explore(st.integers(3, 15), lambda limit: _small_walks(ctx, limit), max_examples=2)


# -- search ---------------------------------------------------------------------------------------


def _references(ctx: RunContext) -> dict[Any, Any]:
    assert ctx.profile.search
    walk, _ = walk_and_timeline(ctx)
    return {item.get(ctx.profile.id_field): item.get(ctx.profile.search.field) for item in walk.items}


def search_windows(ctx: RunContext, query: str) -> tuple[list[Window], bool]:
    """The search asked once per unfiltered page cursor (same page size), memoized per query.

    Returns the windows and whether they reach the end of the list (the last page had has_more false).
    """
    assert ctx.profile.search
    walk, _ = walk_and_timeline(ctx)
    cursor_paging, id_field = paging(ctx), ctx.profile.id_field

    def ask() -> list[Window]:
        windows: list[Window] = []
        start = 0
        for index, unfiltered in enumerate(walk.pages[:SEARCH_PAGES]):
            params: Params = ((ctx.profile.search.param, query), (cursor_paging.limit, str(walk.limit)))
            cursor = None
            if index:
                cursor = walk.pages[index - 1].items[-1].get(id_field)
                params += ((cursor_paging.after, str(cursor)),)
            page = page_from(ctx.api.list(params), params, cursor_paging.items)
            windows.append(Window(cursor, start, start + len(unfiltered.items), page))
            start += len(unfiltered.items)
        return windows

    windows = ctx.api.memo(memo_key("search-windows", query), ask)
    return windows, len(walk.pages) <= SEARCH_PAGES


def _covered_references(ctx: RunContext) -> list[str]:
    """References of the tickets the search windows cover (the first ``SEARCH_PAGES`` pages), in
    list order: queries come from there, so that their matches can be checked (and so that
    choosing them stays cheap on a large collection)."""
    assert ctx.profile.search
    walk, _ = walk_and_timeline(ctx)
    field = ctx.profile.search.field
    return [r for p in walk.pages[:SEARCH_PAGES] for r in (i.get(field) for i in p.items) if isinstance(r, str) and r]


def _queries(ctx: RunContext) -> list[str]:
    """Queries drawn from the observed references, one of each kind (distinct): the most shared
    reference; the most shared non-ASCII one; the shared one whose first ticket is deepest in the
    list (early pages without a match); the one with most near misses (other references sharing
    its first half without containing it); one contained in another reference; a slice from
    inside a non-ASCII one."""
    refs = _covered_references(ctx)
    if not refs:
        return []
    counts = Counter(refs)
    first_at: dict[str, int] = {}
    for position, ref in enumerate(refs):
        first_at.setdefault(ref, position)
    folded = {r: r.casefold() for r in counts}
    distinct = sorted(counts)

    def near_misses(r: str) -> int:
        head = folded[r][:max(1, len(r) // 2)]
        return sum(1 for o in distinct if folded[o].startswith(head) and folded[r] not in folded[o])

    shared = sorted((r for r in distinct if counts[r] > 1), key=lambda r: (-counts[r], r))
    non_ascii = [r for r in shared if not r.isascii()] or [r for r in distinct if not r.isascii()]
    kinds = [
        shared,
        non_ascii,
        sorted(shared or distinct, key=lambda r: (-first_at[r], r)),
        sorted((r for r in distinct if near_misses(r)), key=lambda r: (-near_misses(r), r)),
        sorted((r for r in distinct if any(r != o and folded[r] in folded[o] for o in distinct)),
               key=lambda r: (-first_at[r], r)),
        [r[1:-1] for r in non_ascii[::-1] if len(r) >= 4],
    ]
    picks: list[str] = []
    for candidates in kinds:
        fresh = [c for c in candidates if c not in picks]
        picks += fresh[:1]
    return picks


def _each_query(ctx: RunContext, test) -> None:
    queries = _queries(ctx)
    if not queries:
        raise Skipped("no ticket has a reference to search for")
    for query in queries:
        test(query)
    refs = sorted(set(_covered_references(ctx)))
    ctx.explore(st.sampled_from(refs), test, max_examples=1)


@check(family="consistency", level="MUST", requires=("search", "cursor-pagination"),
       proves="Every ticket a search_query returns is a ticket of the unfiltered list whose reference contains the "
              "query (under any case or accent folding), paging forward or back (ending_before).")
def search_results_match_the_query(ctx: RunContext) -> None:
    assert ctx.profile.search
    references = _references(ctx)

    walk, _ = walk_and_timeline(ctx)
    cursor_paging, id_field = paging(ctx), ctx.profile.id_field

    def test(query: str) -> None:
        windows, _ = search_windows(ctx, query)
        what = f"{ctx.profile.search.param}={query}"
        search_results_match(query, windows, references, id_field, what)
        if len(walk.pages) > 1 and walk.pages[1].items:
            # The same search paging back: ending_before the first ticket of the second unfiltered page.
            cursor = walk.pages[1].items[0].get(id_field)
            params: Params = ((ctx.profile.search.param, query), (cursor_paging.limit, str(walk.limit)),
                              (cursor_paging.before, str(cursor)))
            exchange = ctx.api.memo(memo_key("search-before", query), lambda: ctx.api.list(params))
            if exchange.status == 200:
                page = page_from(exchange, params, cursor_paging.items)
                search_results_match(query, [Window(cursor, 0, len(walk.pages[0].items), page)], references,
                                     id_field, f"{what} with ending_before={cursor}")

    _each_query(ctx, test)


@check(family="pagination", level="MUST", requires=("search", "cursor-pagination"),
       proves="Walking a post-hoc search_query with the unfiltered cursors finds every ticket whose reference equals "
              "the query, in list order, with has_more true whenever a match lies beyond the page (short or empty "
              "pages allowed).")
def search_walk_finds_every_match(ctx: RunContext) -> None:
    assert ctx.profile.search
    walk, _ = walk_and_timeline(ctx)
    references = _references(ctx)
    order = [item.get(ctx.profile.id_field) for item in walk.items]

    def test(query: str) -> None:
        windows, _ = search_windows(ctx, query)
        F.search_walk_finds_every_match(query, windows, order, references, ctx.profile.id_field,
                                      paging(ctx).has_more, f"{ctx.profile.search.param}={query}")

    _each_query(ctx, test)


@check(family="consistency", level="MUST", requires=("search", "cursor-pagination"),
       proves="A search_query no reference contains returns 200 with an empty list on every page, and has_more "
              "false after the last ticket (the walk ends).")
def search_without_matches_is_empty(ctx: RunContext) -> None:
    assert ctx.profile.search
    references = _references(ctx)
    query = no_match_query(references.values())
    if any(loosely_matches(query, r) for r in references.values()):  # pragma: no cover - no_match_query guarantees
        raise Skipped("could not build a query that matches nothing")
    windows, reaches_end = search_windows(ctx, query)
    F.search_without_matches_is_empty(query, windows, paging(ctx).has_more, reaches_end,
                                    f"{ctx.profile.search.param}={query}")
