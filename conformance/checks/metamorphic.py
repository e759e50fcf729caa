"""Metamorphic relations (Segura et al., "Metamorphic Testing of RESTful Web APIs", TSE 2018): two
related requests must relate their answers, whatever the data; no model of the API is needed.

Relations already judged by other checks, and where:

* the total and the set of tickets do not depend on the page size, and the union of the pages is the
  unpaged set: ``walk_reaches_every_ticket`` (Copper walk sample vs the walk at the largest size),
  ``offset_walk_is_complete_and_stable`` and ``total_count_is_the_collection_size`` (Opine);
* ``starting_after`` then ``ending_before`` from the same ticket returns the same page:
  ``cursor_navigation_matches_model`` (next then previous) and ``filters_apply_on_every_page`` (filtered);
* nested and differing created bounds (``gte t2`` within ``gte t1``; ``gte t`` minus ``gt t`` is
  what was created at ``t``): the created-filter checks compare each bound with the unfiltered walk,
  which is nested by construction, and ``created_display_agrees_with_filters`` where ``created`` is
  shown coarsely.

Here: a search for a longer query (``ab``) returns a subset of the search for its prefix (``a``).
"""

from __future__ import annotations

from collections import Counter

from conformance.checks.registry import check
from conformance.model.violations import Skipped
from conformance.observe.context import RunContext
from conformance.observe.cursor_walks import newer
from conformance.observe.filtered_walks import SEARCH_PAGES, paging, search_windows, walk_and_timeline
from conformance.observe.memo import memo_key
from conformance.observe.walks import Params, page_from
from conformance.oracles.filters import Window, refinement_narrows

#: Queries refined per run, and the unfiltered pages each prefix is asked over.
REFINED_QUERIES, PREFIX_PAGES = 2, 3


def _refinements(ctx: RunContext) -> list[tuple[str, str]]:
    """``(query, prefix)``: the most shared references (the search checks ask them too) and a prefix of
    each, at most four characters long and shorter than the query."""
    assert ctx.profile.search
    walk, _ = walk_and_timeline(ctx)
    field = ctx.profile.search.field
    refs = [r for p in walk.pages[:SEARCH_PAGES] for r in (i.get(field) for i in p.items) if isinstance(r, str)]
    counts = Counter(r for r in refs if len(r) >= 2)
    shared = sorted(counts, key=lambda r: (-counts[r], r))
    return [(q, q[:min(4, len(q) - 1)]) for q in shared[:REFINED_QUERIES]]


def _prefix_windows(ctx: RunContext, query: str) -> list[Window]:
    assert ctx.profile.search
    walk, _ = walk_and_timeline(ctx)
    p, id_field = paging(ctx), ctx.profile.id_field

    def ask() -> list[Window]:
        windows, start = [], 0
        for index, unfiltered in enumerate(walk.pages[:PREFIX_PAGES]):
            params: Params = ((ctx.profile.search.param, query), (p.limit, str(walk.limit)))
            cursor = walk.pages[index - 1].items[-1].get(id_field) if index else None
            if cursor is not None:
                params += ((p.after, str(cursor)),)
            windows.append(Window(cursor, start, start + len(unfiltered.items),
                                  page_from(ctx.api.list(params), params, p.items)))
            start += len(unfiltered.items)
        return windows

    return ctx.api.memo(memo_key("prefix-search-windows", query, PREFIX_PAGES), ask)


def _newer_at_head(ctx: RunContext) -> int:
    """How many tickets newer than the unfiltered walk head the list now (others created them since),
    counted on a fresh first page at the walk's page size."""
    walk, _ = walk_and_timeline(ctx)
    p = paging(ctx)
    params: Params = ((p.limit, str(walk.limit or p.max_limit)),)
    return newer(ctx)(page_from(ctx.api.list(params), params, p.items).items)


@check(family="consistency", level="MUST", requires=("search", "cursor-pagination"), relies_on=("full-walk",),
       proves="A search for a longer query returns, page by page with the same cursors, a subset of the search for "
              "its prefix (metamorphic relation; judged when the API matches more than equal references).")
def search_refinement_narrows(ctx: RunContext) -> None:
    assert ctx.profile.search
    walk, _ = walk_and_timeline(ctx)
    id_field = ctx.profile.id_field
    references = {i.get(id_field): i.get(ctx.profile.search.field) for i in walk.items}
    order = [i.get(id_field) for i in walk.items]
    pairs = _refinements(ctx)
    if not pairs:
        raise Skipped("no reference shared by two tickets to search for")
    judged = 0
    for query, prefix in pairs:
        narrower, _ = search_windows(ctx, query)
        wider = _prefix_windows(ctx, prefix)
        what = f"{ctx.profile.search.param}={query} vs {ctx.profile.search.param}={prefix}"
        judged += refinement_narrows(query, narrower[:len(wider)], prefix, wider, order, references,
                                     walk.limit or paging(ctx).max_limit, id_field, what,
                                     displaced=lambda: _newer_at_head(ctx))
    if not judged:
        raise Skipped("every search returned only references equal to the query: the API may match exactly, "
                      "where a longer query need not select a subset")
