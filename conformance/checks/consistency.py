"""Consistency between answers: a retrieved ticket is its list item; unknown ids are refused; the same
query asked twice gives the same answer. Oracles: the unfiltered walk at the largest page size."""

from __future__ import annotations

from typing import Any, Mapping

from conformance.oracles import consistency as cc
from conformance.oracles.cursor_pagination import in_created_order
from conformance.strategies.cursors import positions
from conformance.observe.context import RunContext
from conformance.observe.cursor_walks import draw, full_walk, full_walk_ids, paging, tie_groups
from conformance.checks.registry import check
from conformance.observe.walks import Walk, page_from
from conformance.model.violations import Skipped, Violation


def _non_ascii(value: Any) -> bool:
    if isinstance(value, str):
        return not value.isascii()
    if isinstance(value, dict):
        return any(_non_ascii(v) for v in value.values())
    if isinstance(value, list):
        return any(_non_ascii(v) for v in value)
    return False


def _page_holding(walk: Walk, position: int):
    seen = 0
    for page in walk.pages:
        seen += len(page.items)
        if position < seen:
            return page
    return None


@check(family="consistency", level="MUST", requires=("retrieve",),
       proves="GET /tickets/{id} returns the ticket the list returns for that id: every listed field, equal.")
def retrieve_matches_list_item(ctx: RunContext) -> None:
    full = full_walk(ctx)
    items = full.items
    if not items:
        raise Skipped("the list is empty: no ticket to retrieve")
    chosen: list[int] = []
    groups = tie_groups(ctx)
    if groups:
        chosen.append(groups[0][1] - 1)  # a tie member (the last of the first group)
    odd = next((i for i, item in enumerate(items) if _non_ascii(item)), None)
    if odd is not None:
        chosen.append(odd)
    chosen += draw(ctx, positions(len(items), groups), 3, "retrieve-positions")
    created = (ctx.profile.created_field,)
    for position in dict.fromkeys(chosen):
        item: Mapping[str, Any] = items[position]
        exchange = ctx.api.retrieve(item[ctx.profile.id_field])
        holder = _page_holding(full, position)
        try:
            cc.retrieved_matches_listed(item, exchange, holder.exchange if holder else None, created)
        except Violation:
            if holder is None:
                raise
            # Another writer may have changed the ticket since the list was read: read both again, the
            # list page first; the verdict is theirs.
            again = page_from(ctx.api.list(list(holder.params)), holder.params, paging(ctx).items)
            fresh = next((i for i in again.items if i.get(ctx.profile.id_field) == item[ctx.profile.id_field]), None)
            if fresh is None or fresh == item:
                raise
            cc.retrieved_matches_listed(fresh, ctx.api.retrieve(item[ctx.profile.id_field]), again.exchange, created)


@check(family="consistency", level="MUST", requires=("retrieve",),
       proves="Retrieving an id the list never returned is refused with a 4xx that carries no ticket.")
def unknown_id_is_refused(ctx: RunContext) -> None:
    ids = full_walk_ids(ctx)
    if not ids:
        raise Skipped("the list is empty: no real id to derive an unknown one from")
    profile = ctx.profile
    markers = (profile.created_field,) + tuple(f.field for f in (profile.search, profile.location) if f is not None)
    for unknown in cc.unknown_ids(ids)[:2]:
        cc.unknown_id_refused(ctx.api.retrieve(unknown), ctx.profile.id_field, markers)


@check(family="consistency", level="MUST", requires=("cursor-pagination",),
       proves="The same page query asked twice (deep in the list, no writes between) gets the same items and has_more.")
def same_query_same_answer(ctx: RunContext) -> None:
    p, ids = paging(ctx), full_walk_ids(ctx)
    n = len(ids)
    if n < 3:
        raise Skipped(f"needs at least 3 tickets; the list holds {n}")
    # A page deep in the list (new tickets arrive at the top) that holds a tie group when there is one.
    deep = [g for g in tie_groups(ctx) if g[0] >= 1 and g[1] < n]
    deep = [g for g in deep if g[0] >= n // 2] or deep
    if deep:
        start, stop = deep[-1]
        queries = [((p.limit, str(stop - start + 2)), (p.after, str(ids[start - 1]))),
                   ((p.limit, str(stop - start + 1)), (p.before, str(ids[stop])))]
    else:
        middle = n // 2
        queries = [((p.limit, "5"), (p.after, str(ids[middle]))), ((p.limit, "5"), (p.before, str(ids[middle])))]
    for query in queries:
        first = ctx.api.list(list(query))
        second = ctx.api.list(list(query))
        try:
            cc.same_answer(first, second, p.items, p.has_more)
        except Violation:
            if cc.same_ids(first, second, p.items, p.has_more, ctx.profile.id_field):
                # Only field values differ: another writer may have updated a ticket in between. A
                # change that stays (a third answer equal to the second) is an update, not a flip.
                cc.same_answer(second, ctx.api.list(list(query)), p.items, p.has_more)
            else:
                raise


@check(family="pagination", level="MUST", requires=("list", "documented-order"),
       proves="A list whose docs fix an order list_is_newest_first does not judge (paging.order oldest-first, "
              "or newest-first on an offset list) keeps it: created never decreases (or never increases) along "
              "the walk, across page boundaries.")
def list_follows_documented_order(ctx: RunContext) -> None:
    # Others' creates only insert tickets where the order puts them: the walk stays monotonic.
    in_created_order(ctx.api.full_walk(), ctx.profile.created_field,
                     newest_first=ctx.profile.paging.order == "newest-first")
