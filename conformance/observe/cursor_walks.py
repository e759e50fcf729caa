"""Shared observations of a cursor-paged list: the unfiltered walk, its tie groups, one memoized
page per query, and the *walk sample* every walk-based check reasons about, drawn once per run:

* the walk at the default limit (no ``limit`` parameter);
* ``LARGE_DRAWS`` walks at a drawn limit >= 7, favouring limits whose page boundaries fall inside a
  tie group; each is a complete walk when the collection is small enough to walk in
  ``WALK_PAGES`` pages at that limit, otherwise the first ``WALK_PAGES`` pages;
* ``SMALL_DRAWS`` prefix walks at a drawn limit 1..6 (the first ``SMALL_WALK_PAGES`` pages).

So a default run pays for about three walks at limit >= 7 plus two short ones, whatever the
number of walk-based checks, and a live vendor with a large collection is never walked at a
small page size to its end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from conformance.model.exchange import Exchange
from conformance.model.violations import Skipped
from conformance.observe.context import RunContext
from conformance.observe.walks import Params, Walk, walk_cursor
from conformance.oracles import cursor_pagination as cp
from conformance.profiles.base import CursorPaging
from conformance.strategies.cursors import walk_limits

WALK_PAGES = 50  # a walk needing more pages than this is cut to its first WALK_PAGES pages


SMALL_WALK_PAGES = 8


PREFIX_PAGES = 6  # a walk cut to its first pages on a deep collection (see walk_sample)


LARGE_DRAWS = 2  # plus the walk at the default limit


SMALL_DRAWS = 2


LARGE_MIN = 7


SMALL_MAX = 6


UNKNOWN_DEFAULT_PAGE = 10  # the page size assumed without a limit where the profile states no default




def paging(ctx: RunContext) -> CursorPaging:
    assert isinstance(ctx.profile.paging, CursorPaging)
    return ctx.profile.paging


def full_walk(ctx: RunContext) -> Walk:
    return ctx.api.full_walk()


def full_walk_ids(ctx: RunContext) -> list[Any]:
    return full_walk(ctx).ids(ctx.profile.id_field)


def newer(ctx: RunContext) -> cp.Newer:
    """How many leading items of a page are tickets other writers created after the oracle walk
    (they head pages at the top of a newest-first list; out of the oracle's window, not extras)."""
    oracle, id_field, created_field = full_walk(ctx), ctx.profile.id_field, ctx.profile.created_field
    return lambda items: cp.newer_head(items, oracle, id_field, created_field)


def aligned(ctx: RunContext, walk: Walk) -> tuple[Walk, Walk]:
    """``walk`` and the oracle walk, restricted to the time window both cover."""
    return cp.aligned(walk, full_walk(ctx), ctx.profile.id_field, ctx.profile.created_field)


def tie_groups(ctx: RunContext) -> list[tuple[int, int]]:
    """Tie groups of the oracle walk: positions of tickets sharing one ``created`` instant."""
    return ctx.api.memo(("cursor-tie-groups",), lambda: cp.tie_groups(
        cp.instants_of(full_walk(ctx).items, ctx.profile.created_field)))


def page(ctx: RunContext, params: Params) -> Exchange:
    """One list request, memoized by its exact parameters (checks asking the same page share it)."""
    return ctx.api.memo(("cursor-page", tuple(params)), lambda: ctx.api.list(list(params)))


def draw(ctx: RunContext, strategy: st.SearchStrategy, examples: int, salt: str) -> list[Any]:
    """Distinct values drawn from ``strategy``, reproducibly from the run's seed."""
    drawn: list[Any] = []

    def keep(value: Any) -> None:
        if value not in drawn:
            drawn.append(value)

    ctx.explore(strategy, keep, max_examples=examples, salt=salt)
    return drawn


@dataclass(frozen=True)
class Sampled:
    walk: Walk
    limit: int | None  # None: no limit parameter (the default)
    complete: bool  # walked to the end (else: the first pages only, by design)


def walk_at(ctx: RunContext, limit: int | None, pages: int) -> Walk:
    return ctx.api.memo(("cursor-walk", limit, pages), lambda: walk_cursor(
        ctx.api.list, paging(ctx), limit, (), ctx.profile.id_field, max_pages=pages))


def sampled_walk(ctx: RunContext, limit: int | None, budget: int) -> Sampled:
    size = limit if limit is not None else (paging(ctx).default_limit or UNKNOWN_DEFAULT_PAGE)
    needed = len(full_walk_ids(ctx)) // size + 1
    if needed + 2 <= budget:
        # Room for the end, an empty last page and slack: the guard only fires on a walk that fails to end.
        return Sampled(walk_at(ctx, limit, needed + 3), limit, True)
    return Sampled(walk_at(ctx, limit, budget), limit, False)


def walk_sample(ctx: RunContext) -> list[Sampled]:
    """The walks every walk-based check reasons about (see the module docstring)."""

    def build() -> list[Sampled]:
        p = paging(ctx)
        n, groups = len(full_walk_ids(ctx)), tie_groups(ctx)
        # Complete walks where affordable: the smallest limit that walks n tickets in WALK_PAGES pages.
        lo = max(LARGE_MIN, -(-(n + 1) // (WALK_PAGES - 3)))
        if lo > p.largest_limit - 1:
            lo = LARGE_MIN
        large = draw(ctx, walk_limits(groups, lo, p.largest_limit - 1), LARGE_DRAWS, "walk-sample-large")
        small = draw(ctx, walk_limits(groups, 1, min(SMALL_MAX, p.largest_limit), SMALL_WALK_PAGES),
                     SMALL_DRAWS, "walk-sample-small")
        # On a collection too large to walk whole at the default size, its walk is a prefix of PREFIX_PAGES
        # pages, and only the first large draw is walked whole (the other one: a prefix), so the sample
        # stays within the run's budget at any depth (the oracle walk reaches the end anyway).
        deep = n // p.default_limit + 2 > WALK_PAGES
        walks = [lambda: sampled_walk(ctx, None, PREFIX_PAGES if deep else WALK_PAGES)]
        walks += [lambda index=index, limit=limit: sampled_walk(ctx, limit, PREFIX_PAGES if deep and index else WALK_PAGES)
                  for index, limit in enumerate(large)]
        walks += [lambda limit=limit: Sampled(walk_at(ctx, limit, SMALL_WALK_PAGES), limit, False) for limit in small]
        return ctx.api.side_by_side(walks)  # each walk on its own, so a parallel run asks them at once

    return ctx.api.memo(("cursor-walk-sample",), build)


def require_tickets(ctx: RunContext, at_least: int = 1) -> list[Any]:
    ids = full_walk_ids(ctx)
    if len(ids) < at_least:
        raise Skipped(f"needs at least {at_least} ticket(s); the list holds {len(ids)}")
    return ids
