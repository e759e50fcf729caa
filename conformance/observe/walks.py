"""Walking a collection page by page: the observations most pagination and filter checks reason about."""

from __future__ import annotations

from typing import Any, Callable

from conformance.model.exchange import Exchange, listing
from conformance.model.observations import Page, Params, Walk
from conformance.profiles.base import CursorPaging, OffsetPaging

__all__ = ["ApiError", "Page", "Params", "Walk", "page_from", "walk_cursor", "walk_offset"]


class ApiError(Exception):
    """A page request was answered with an error status where a page was expected."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        super().__init__(exchange.summary())


def page_from(exchange: Exchange, params: Params, items_key: str, total_key: str | None = None) -> Page:
    if exchange.status != 200:
        raise ApiError(exchange)
    body = listing(exchange, items_key, total_key)
    items = body.get(items_key)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        from conformance.model.exchange import BadResponse

        raise BadResponse(exchange, f"{items_key!r} is not a list of objects")
    return Page(params=params, exchange=exchange, body=body, items=tuple(items))


RUN_PAGE_CAP = 1000  # pages one walk may take by default (--max-walk-pages): 100,000 tickets at limit 100
MAX_WALK_BYTES = 256 * 1024 * 1024  # body bytes one walk may hold: pages are kept as evidence


# Fanout.prefetch: openers of calls' values, run ahead when a parallel run has idle connections.
Prefetch = Callable[[list[Callable[[], Exchange]]], list[Callable[[], Exchange]]]


def overrun_margin(total: int, limit: int) -> int:
    """How far past a first page's ``totalCount`` a walk may run before it is stopped: tickets created
    by other writers during the walk are fine, a walk many times longer than announced is not."""
    return max(2 * limit, total // 10, 50)


class _Guard:
    """The stops every walk shares: a page that repeats an earlier one, too many pages, too many bytes."""

    def __init__(self, id_field: str, max_pages: int, run_cap: int | None) -> None:
        self.id_field = id_field
        self.max_pages = max_pages
        self.run_cap = run_cap
        self.seen: dict[tuple, int] = {}
        self.bytes = 0

    def stop(self, walk: Walk, page: Page) -> str:
        """Why the walk must stop after ``page`` (already appended), or ""."""
        number = len(walk.pages)
        ids = tuple(repr(item.get(self.id_field)) for item in page.items)
        if ids:
            if ids in self.seen:
                return (f"page {number} repeated page {self.seen[ids]} (the same {len(ids)} ids): the API ignores "
                        f"the paging parameter, so the walk would never end")
            self.seen[ids] = number
        self.bytes += len(page.exchange.body)
        if self.run_cap is not None and number >= self.run_cap:
            return (f"no end after {number} pages (the run-wide cap, --max-walk-pages): pagination never ends, "
                    f"or the collection is larger than the cap")
        if number >= self.max_pages:
            return f"stopped after {self.max_pages} pages"
        if self.bytes > MAX_WALK_BYTES:
            return f"no end after {self.bytes // (1024 * 1024)} MiB of pages: the walk holds too much to go on"
        return ""


def walk_offset(fetch, paging: OffsetPaging, limit: int, max_pages: int = 10_000, id_field: str = "id",
                run_cap: int | None = None, prefetch: Prefetch | None = None, ahead: int = 1) -> Walk:
    """Offset walk: ``offset`` advances by the items received until ``totalCount`` is reached.

    Stops early, with the reason in ``walk.stop``, when a page repeats an earlier one, when the walk
    runs far past the first page's ``totalCount``, or at the page caps.

    With ``prefetch`` (``Fanout.prefetch``) and ``ahead`` > 1, once the first page announced the total, up
    to ``ahead`` of the next pages are asked at once, at the offsets full pages would put them: the pages
    a one-by-one walk asks for, as long as every page is full. After a short page the pages asked beyond
    it are not used (nor their errors), and the walk goes on from where that page says."""
    walk = Walk(limit=limit)
    guard = _Guard(id_field, max_pages, run_cap)
    offset = 0
    announced: int | None = None
    while True:
        offsets = [offset]
        if prefetch is not None and ahead > 1 and announced is not None:
            caps = [max_pages, run_cap if run_cap is not None else max_pages]
            room = min(caps) - len(walk.pages)
            offsets = [offset + k * limit for k in range(max(1, min(ahead, room, -(-(announced - offset) // limit))))]
        asked: list[Params] = [((paging.limit, str(limit)), (paging.offset, str(at))) for at in offsets]
        calls = [lambda params=params: fetch(params) for params in asked]
        for at, params, answer in zip(offsets, asked, prefetch(calls) if prefetch and len(calls) > 1 else calls):
            if at != offset:  # an earlier page of the batch was short: the walk does not go here
                break
            page = page_from(answer(), params, paging.items_key, paging.total_key)
            walk.pages.append(page)
            total = page.body.get(paging.total_key) if paging.total_key else None
            if announced is None and isinstance(total, int) and not isinstance(total, bool):
                announced = total
            offset += len(page.items)
            # Without a total (none documented) a short page is the last one.
            ended = offset >= total if paging.total_key else len(page.items) < limit
            if not page.items or (paging.total_key and not isinstance(total, int)) or ended:
                walk.stop = "end"
                return walk
            stop = guard.stop(walk, page)
            if not stop and announced is not None and offset > announced + overrun_margin(announced, limit):
                stop = (f"{offset} tickets walked, far past the {paging.total_key} of {announced} announced on the "
                        f"first page: the walk would never end")
            if stop:
                walk.stop = stop
                return walk


def walk_cursor(fetch, paging: CursorPaging, limit: int | None, filters: Params = (), id_field: str = "id",
                max_pages: int = 10_000, run_cap: int | None = None) -> Walk:
    """Cursor walk: ``starting_after`` the last item of each page (or the opaque cursor the page hands
    out in the profile's ``next_cursor`` field) while ``has_more`` is true.

    Stops early, with the reason in ``walk.stop``, on an empty page claiming more, a cursor that comes
    back, a page that repeats an earlier one (the cursor ignored), or at the page caps."""
    walk = Walk(limit=limit, filters=filters)
    guard = _Guard(id_field, max_pages, run_cap)
    cursor: Any = None
    seen_cursors: set[Any] = set()
    while True:
        params: Params = tuple(filters)
        if limit is not None:
            params += ((paging.limit, str(limit)),)
        if cursor is not None:
            params += ((paging.after, str(cursor)),)
        page = page_from(fetch(params), params, paging.items)
        walk.pages.append(page)
        if page.body.get(paging.has_more) is not True:
            walk.stop = "end"
            return walk
        if paging.next_cursor is not None:  # an opaque cursor the answer hands out (profile next_cursor)
            cursor = page.body.get(paging.next_cursor)
            if cursor is None or cursor == "":
                walk.stop = f"has_more true but no {paging.next_cursor}: no cursor to continue from"
                return walk
        elif not page.items:
            walk.stop = "empty page with has_more true: no cursor to continue from"
            return walk
        else:
            cursor = page.items[-1].get(id_field)
        if repr(cursor) in seen_cursors:
            walk.stop = f"cursor {cursor!r} came back twice: the walk loops"
            return walk
        seen_cursors.add(repr(cursor))
        stop = guard.stop(walk, page)
        if stop:
            walk.stop = stop
            return walk
