"""Shared observations for filter checks: the unfiltered walk with its timeline of ``created``
instants (the oracle every filtered query is compared with) and filtered walks, memoized per query
so that checks asking the same question share the requests."""

from __future__ import annotations

from dataclasses import dataclass, replace

from conformance.model.exchange import Exchange
from conformance.model.violations import Skipped
from conformance.observe.context import RunContext
from conformance.observe.cursor_walks import newer
from conformance.observe.walks import ApiError, Params, Walk, page_from, walk_cursor, walk_offset
from conformance.oracles.filters import Timeline, Window
from conformance.oracles.instants import NotAnInstant
from conformance.profiles.base import OPTIONS, CursorPaging, OffsetPaging
from conformance.strategies import bounds as B


def paging(ctx: RunContext) -> CursorPaging:
    assert isinstance(ctx.profile.paging, CursorPaging)
    return ctx.profile.paging


def newest_first(ctx: RunContext) -> bool:
    """Whether filtered results come newest first: a cursor list in these conventions is (Copper's and
    Stripe's docs), unless its profile says the order is unspecified (``paging.order``); an offset list's
    order is not documented (Opine's, json-server's). Otherwise a filter is judged by the set it selects."""
    return OPTIONS["paging.newest_first"](ctx.profile)


def walk_and_timeline(ctx: RunContext) -> tuple[Walk, Timeline]:
    """The unfiltered walk and its timeline; skipped when the walk cannot serve as an oracle."""
    walk = ctx.api.full_walk()
    if not walk.complete:
        raise Skipped(f"the unfiltered walk did not complete ({walk.stop}): no oracle for filters")
    if not walk.items:
        raise Skipped("the collection is empty: no tickets to draw bounds from")
    field = ctx.profile.created_filters.field if ctx.profile.created_filters else ctx.profile.created_field

    def build() -> Timeline:
        try:
            return Timeline.from_items(walk.items, ctx.profile.id_field, field, grain(ctx).step)
        except NotAnInstant as exc:
            raise Skipped(f"a ticket's {field!r} is not an instant ({exc}): no oracle for created bounds") from None

    return walk, ctx.api.memo(("filters-timeline",), build)


def max_items(ctx: RunContext) -> int:
    """The largest filtered walk a bound may ask for: two pages at the largest page size."""
    return 2 * ctx.profile.paging.largest_limit


@dataclass(frozen=True)
class Rejected:
    """The first page of a filtered query was refused with a 4xx."""

    exchange: Exchange


def budget_stop(max_pages: int) -> str:
    return f"stopped after {max_pages} pages"


def filtered_walk(ctx: RunContext, filters: Params, limit: int | None = None, max_pages: int = 4) -> Walk | Rejected:
    """Walk a filtered query (a ``starting_after`` chain, or offsets on an offset list; the filters on
    every page), memoized.

    A 4xx on the first page is a ``Rejected``; an error status later in the walk is an ``ApiError``.
    """
    page_size = limit or ctx.profile.paging.largest_limit

    def walk() -> Walk | Rejected:
        calls = 0

        def fetch(params: Params) -> Exchange:
            nonlocal calls
            calls += 1
            return ctx.api.list(params)

        try:
            if isinstance(ctx.profile.paging, OffsetPaging):
                return walk_offset(lambda params: fetch(tuple(filters) + tuple(params)), ctx.profile.paging,
                                   page_size, max_pages, ctx.profile.id_field)
            return walk_cursor(fetch, paging(ctx), page_size, tuple(filters), ctx.profile.id_field, max_pages)
        except ApiError as exc:
            if calls == 1 and 400 <= exc.exchange.status < 500:
                return Rejected(exc.exchange)
            raise

    return ctx.api.memo(("filtered-walk", page_size, tuple(filters), max_pages), walk)


def grain(ctx: RunContext) -> B.Grain:
    """How the API's created bounds are written (ISO 8601, or unix seconds/milliseconds)."""
    return B.grain_of(ctx.profile.timestamp_formats)


def pages_for(ctx: RunContext, items: int, limit: int | None = None) -> int:
    """A page budget for a walk expected to hold ``items`` tickets (room for one extra page)."""
    size = limit or ctx.profile.paging.largest_limit
    return items // size + 2


def describe(filters: Params) -> str:
    return "&".join(f"{k}={v}" for k, v in filters)


#: Unfiltered pages a search is walked over (each costs one request per query).
SEARCH_PAGES = 5


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
            if cursor is None:  # tickets created since the unfiltered walk may head it: out of its scope
                page = replace(page, items=page.items[newer(ctx)(page.items):])
            windows.append(Window(cursor, start, start + len(unfiltered.items), page))
            start += len(unfiltered.items)
        return windows

    windows = ctx.api.memo(("search-windows", query), ask)
    return windows, len(walk.pages) <= SEARCH_PAGES
