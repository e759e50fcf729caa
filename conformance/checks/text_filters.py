"""Location and search checks, and filters on every page of a small-page walk.

Oracle: the memoized unfiltered walk. ``location`` must select exactly the tickets with that
location; ``search_query`` is documented as a post-hoc filter, so it is walked with the cursors of
the unfiltered walk at the same page size (a page may be short or empty while ``has_more`` is
true; a client continuing from the unfiltered cursors must still find every match).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

from conformance.checks.registry import check
from conformance.model.violations import Skipped, Violation
from conformance.observe.context import RunContext
from conformance.observe.cursor_walks import newer
from conformance.observe.filtered_walks import (
    SEARCH_PAGES,
    Rejected,
    budget_stop,
    describe,
    filtered_walk,
    grain,
    newest_first,
    pages_for,
    paging,
    search_windows,
    walk_and_timeline,
)
from conformance.model.observations import Page
from conformance.observe.walks import Params, Walk, page_from
from conformance.oracles import cursor_pagination as cp
from conformance.oracles import filters as F
from conformance.oracles.filters import (
    Expected,
    Window,
    empty_or_rejected,
    expected_subset,
    loosely_matches,
    no_match_query,
    search_results_match,
    selects_exactly,
    subset_where,
    walk_ended,
)
from conformance.observe.memo import memo_key

#: At most this many pages of a location walk at the largest page size, and of a small-page walk;
#: a longer walk is compared as a prefix of the oracle subset.
LOCATION_PAGES = 3
SMALL_PAGES = 8
#: At most this many pages of a combined walk (a longer one is compared as a prefix), whatever the volume.
COMBINED_PAGES = 3


# -- location -------------------------------------------------------------------------------------


def _selects_exactly(ctx: RunContext, walk: Walk, timeline: F.Timeline, expected: Expected, what: str,
                     complete: bool) -> None:
    """``selects_exactly`` with the profile's id field and list order."""
    selects_exactly(walk, timeline, expected, what, ctx.profile.id_field, complete, newest_first(ctx))


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
        _selects_exactly(ctx, walk, timeline, expected, what, complete)
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
    for index in _back_pages(walk) if p.before else ():  # no ending_before in the profile: forward only
        first = walk.pages[index].items[0].get(id_field)
        params = tuple(filters) + ((p.limit, str(limit)), (p.before, str(first)))
        exchange = ctx.api.memo(memo_key("filtered-before", params), lambda: ctx.api.list(params))
        created_field = ctx.profile.created_field
        cp.ending_before_pages_back(walk, index, exchange, limit, p.items, id_field, what,
                                    lambda items: cp.newer_head(items, walk, id_field, created_field))


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
            _selects_exactly(ctx, walk, timeline, expected, what, complete)
            _has_more_and_back(ctx, walk, filters, limit, what)
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
        filters = tuple((params[op], grain(ctx).spell(instant)) for op, instant in bounds)
        expected = expected_subset(timeline, bounds)
        pages = min(pages_for(ctx, len(expected.must) + len(expected.may), limit), SMALL_PAGES)
        walk = filtered_walk(ctx, filters, limit, pages)
        if isinstance(walk, Rejected):
            raise Violation(f"{describe(filters)}: a valid ISO 8601 bound was rejected", expected=200,
                            actual=walk.exchange.status, exchanges=[walk.exchange])
        complete = walk_ended(walk, describe(filters), budget_stop(pages))
        what = f"{describe(filters)} at limit={limit}"
        _selects_exactly(ctx, walk, timeline, expected, what, complete)
        _has_more_and_back(ctx, walk, filters, limit, what)
        ran += 1
    if not ran:
        raise Skipped("no location or created filter to walk")


@check(family="pagination", level="MUST", requires=("cursor-pagination",),
       proves="A walk at a small page size keeps applying location and created filters on every page: each page "
              "holds only matching tickets, the walk returns exactly the matching subset, has_more is true only "
              "when more matching tickets follow, and ending_before a page's first ticket returns the page before "
              "(filters together: filters_combine_as_intersection).")
def filters_apply_on_every_page(ctx: RunContext) -> None:
    if not (ctx.profile.location or ctx.profile.created_filters):
        raise Skipped("the API documents no location or created filter")
    walk_and_timeline(ctx)
    ctx.explore(st.integers(3, 15), lambda limit: _small_walks(ctx, limit), max_examples=2)


# -- filters in combination ----------------------------------------------------------------------


@dataclass(frozen=True)
class Combination:
    """The filters of one combined query, drawn from one stretch of the unfiltered walk."""

    location: str | None
    bounds: tuple[tuple[str, int], ...]  # (op, instant): a created range
    query: str | None


def _combination_parts(ctx: RunContext, limit: int) -> Combination:
    """A created range holding about three small pages of the list, the location most common in it and
    the reference most common among that location's tickets in it (preferably one other locations share,
    so that a dropped location filter shows)."""
    walk, timeline = walk_and_timeline(ctx)
    id_field = ctx.profile.id_field
    items = walk.items
    start = min(len(items) // 3, max(0, len(items) - 3 * limit - 1))
    stop = min(len(items) - 1, start + 3 * limit)
    bounds: tuple[tuple[str, int], ...] = ()
    if ctx.profile.created_filters and {"gte", "lt"} <= set(ctx.profile.created_filters.params) and start > 0:
        bounds = (("gte", timeline.created[items[stop].get(id_field)]),
                  ("lt", timeline.created[items[start - 1].get(id_field)]))
    inside = expected_subset(timeline, bounds) if bounds else Expected(tuple(timeline.ids))
    members = set(inside.must) | set(inside.may)
    stretch = [i for i in items if i.get(id_field) in members]
    location = query = None
    if ctx.profile.location:
        field = ctx.profile.location.field
        counts = Counter(v for v in (i.get(field) for i in stretch) if isinstance(v, str) and v)
        location = min(counts, key=lambda v: (-counts[v], v)) if counts else None
    if ctx.profile.search:
        field = ctx.profile.search.field
        here = [i for i in stretch if location is None or i.get(ctx.profile.location.field) == location]  # type: ignore[union-attr]
        refs = Counter(r for r in (i.get(field) for i in here) if isinstance(r, str) and r)
        shared = {i.get(field) for i in walk.items if location is None
                  or i.get(ctx.profile.location.field) != location}  # type: ignore[union-attr]
        query = min(refs, key=lambda r: (r not in shared, -refs[r], r)) if refs else None
    return Combination(location, bounds, query)


def _base_filters(ctx: RunContext, combo: Combination, location: bool, created: bool) -> Params:
    filters: Params = ()
    if location and combo.location is not None:
        assert ctx.profile.location
        filters += ((ctx.profile.location.param, combo.location),)
    if created:
        filters += tuple((_created_param(ctx, op), grain(ctx).spell(ns)) for op, ns in combo.bounds)
    return filters


def _created_param(ctx: RunContext, op: str) -> str:
    assert ctx.profile.created_filters
    return ctx.profile.created_filters.params[op]


def _intersection(ctx: RunContext, combo: Combination, location: bool, created: bool) -> Expected:
    """The tickets of the unfiltered walk both single filters select (created: with its display tolerance)."""
    walk, timeline = walk_and_timeline(ctx)
    by_created = expected_subset(timeline, combo.bounds if created else ())
    if not (location and combo.location is not None):
        return by_created
    assert ctx.profile.location
    field, id_field = ctx.profile.location.field, ctx.profile.id_field
    here = {i.get(id_field) for i in walk.items if i.get(field) == combo.location}
    return Expected(tuple(i for i in by_created.must if i in here), frozenset(by_created.may & here))


def _combined_walk(ctx: RunContext, filters: Params, expected: Expected, limit: int) -> tuple[Walk, bool]:
    pages = min(pages_for(ctx, len(expected.must) + len(expected.may), limit), COMBINED_PAGES)
    walk = filtered_walk(ctx, filters, limit, pages)
    if isinstance(walk, Rejected):
        raise Violation(f"{describe(filters)}: valid filters combined were rejected", expected=200,
                        actual=walk.exchange.status, exchanges=[walk.exchange])
    return walk, walk_ended(walk, describe(filters), budget_stop(pages))


def _search_on(ctx: RunContext, base: Walk, base_filters: Params, query: str, limit: int, complete: bool) -> None:
    """The search added to a walked query, asked with that walk's own cursors forward and once backward:
    judged against the base walk (the single-filter results) like a search of the whole list. Tickets
    newer than the unfiltered walk (other writers') head pages at the top of the list: out of scope,
    left out of the base walk and of every page asked without a cursor or back to the top."""
    assert ctx.profile.search
    p, id_field = paging(ctx), ctx.profile.id_field
    references = _references(ctx)
    in_scope = cp.without_head(base, newer(ctx)(base.items))  # same pages, same cursors
    order = in_scope.ids(id_field)
    filters = tuple(base_filters) + ((ctx.profile.search.param, query),)
    what = f"{describe(filters)} at limit={limit}"

    def trimmed(page: Page) -> Page:
        return replace(page, items=page.items[newer(ctx)(page.items):])

    def ask() -> list[Window]:
        windows, start = [], 0
        for index, unfiltered in enumerate(in_scope.pages):
            params: Params = filters + ((p.limit, str(limit)),)
            cursor = base.pages[index - 1].items[-1].get(id_field) if index else None
            if cursor is not None:
                params += ((p.after, str(cursor)),)
            page = page_from(ctx.api.list(params), params, p.items)
            windows.append(Window(cursor, start, start + len(unfiltered.items),
                                  trimmed(page) if cursor is None else page))
            start += len(unfiltered.items)
        return windows

    windows = ctx.api.memo(memo_key("combined-search-windows", filters, limit, len(base.pages)), ask)
    search_results_match(query, windows, references, id_field, what)
    F.search_walk_finds_every_match(query, windows, order, references, id_field, p.has_more, what,
                                    displaced=lambda: _filtered_head_moved(ctx, base, base_filters))
    if p.before and len(base.pages) > 1 and base.pages[1].items:
        cursor = base.pages[1].items[0].get(id_field)
        params = filters + ((p.limit, str(limit)), (p.before, str(cursor)))
        page = page_from(ctx.api.memo(memo_key("combined-before", params), lambda: ctx.api.list(params)),
                         params, p.items)
        F.search_back_window(query, Window(cursor, 0, len(in_scope.pages[0].items), trimmed(page)), order,
                             references, limit, id_field, f"{what} with ending_before={cursor}")


def _filtered_head_moved(ctx: RunContext, base: Walk, base_filters: Params) -> bool:
    """Whether the first ticket the other filters select is no longer the base walk's first (others created
    tickets those filters select: an upper created bound keeps them out, a location alone does not)."""
    p, id_field = paging(ctx), ctx.profile.id_field
    params = tuple(base_filters) + ((p.limit, "1"),)
    first = page_from(ctx.api.list(params), params, p.items).items
    return bool(first) and bool(base.items) and first[0].get(id_field) != base.items[0].get(id_field)


def _combine(ctx: RunContext, limit: int, every_pair: bool = True) -> int:
    combo = _combination_parts(ctx, limit)
    _, timeline = walk_and_timeline(ctx)
    judged = 0
    have_location, have_created = combo.location is not None, bool(combo.bounds)
    # location with created: the walk forward, has_more, and each page back (ending_before).
    if have_location and have_created:
        filters = _base_filters(ctx, combo, True, True)
        walk, complete = _combined_walk(ctx, filters, _intersection(ctx, combo, True, True), limit)
        what = f"{describe(filters)} at limit={limit}"
        _selects_exactly(ctx, walk, timeline, _intersection(ctx, combo, True, True), what, complete)
        _has_more_and_back(ctx, walk, filters, limit, what)
        judged += 1
    if combo.query is not None:
        # search with location, with created, and with both: on the walk of the other filters.
        pairs = ((True, False), (False, True), (True, True)) if every_pair else ((True, True),)
        for location, created in pairs:
            if (location and not have_location) or (created and not have_created):
                continue
            filters = _base_filters(ctx, combo, location, created)
            expected = _intersection(ctx, combo, location, created)
            base, complete = _combined_walk(ctx, filters, expected, limit)
            _selects_exactly(ctx, base, timeline, expected, f"{describe(filters)} at limit={limit}", complete)
            _search_on(ctx, base, filters, combo.query, limit, complete)
            judged += 1
    return judged


@check(family="consistency", level="MUST", requires=("cursor-pagination",), relies_on=("full-walk",),
       proves="Filters in combination (location with created bounds, search with location, search with created "
              "bounds, all three) select exactly the intersection of the single-filter results, paged forward "
              "with starting_after and back with ending_before, at the largest and at a small page size.")
def filters_combine_as_intersection(ctx: RunContext) -> None:
    walk_and_timeline(ctx)
    p = paging(ctx)
    judged = _combine(ctx, p.max_limit)
    # A small page size: several pages, so cursors carry the filters; all filters at once only (budget).
    ctx.explore(st.integers(3, 8), lambda limit: _combine(ctx, limit, every_pair=False), max_examples=1)
    if not judged:
        raise Skipped("fewer than two of location, created and search filters to combine")


# -- search ---------------------------------------------------------------------------------------


def _references(ctx: RunContext) -> dict[Any, Any]:
    assert ctx.profile.search
    walk, _ = walk_and_timeline(ctx)
    return {item.get(ctx.profile.id_field): item.get(ctx.profile.search.field) for item in walk.items}


def _head_moved(ctx: RunContext) -> bool:
    """Whether the list's first ticket is no longer the unfiltered walk's first (others created tickets)."""
    walk, _ = walk_and_timeline(ctx)
    p = paging(ctx)
    first = page_from(ctx.api.list(((p.limit, "1"),)), (), p.items).items
    return bool(first) and first[0].get(ctx.profile.id_field) != walk.items[0].get(ctx.profile.id_field)


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
        if cursor_paging.before and len(walk.pages) > 1 and walk.pages[1].items:
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
                                      paging(ctx).has_more, f"{ctx.profile.search.param}={query}",
                                      displaced=lambda: _head_moved(ctx))

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
