"""Walking a collection page by page: the observations most pagination and filter checks reason about."""

from __future__ import annotations

from typing import Any

from conformance.model.exchange import Exchange
from conformance.model.observations import Page, Params, Walk
from conformance.profiles.base import CursorPaging, OffsetPaging

__all__ = ["ApiError", "Page", "Params", "Walk", "page_from", "walk_cursor", "walk_offset"]


class ApiError(Exception):
    """A page request was answered with an error status where a page was expected."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        super().__init__(exchange.summary())


def page_from(exchange: Exchange, params: Params, items_key: str) -> Page:
    if exchange.status != 200:
        raise ApiError(exchange)
    body = exchange.json_object()
    items = body.get(items_key)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        from conformance.model.exchange import BadResponse

        raise BadResponse(exchange, f"{items_key!r} is not a list of objects")
    return Page(params=params, exchange=exchange, body=body, items=tuple(items))


def walk_offset(fetch, paging: OffsetPaging, limit: int, max_pages: int = 10_000) -> Walk:
    """Offset walk: ``offset`` advances by the items received until ``totalCount`` is reached."""
    walk = Walk(limit=limit)
    offset = 0
    while True:
        params: Params = ((paging.limit, str(limit)), (paging.offset, str(offset)))
        page = page_from(fetch(params), params, paging.items)
        walk.pages.append(page)
        total = page.body.get(paging.total)
        offset += len(page.items)
        if not page.items or not isinstance(total, int) or offset >= total:
            walk.stop = "end"
            return walk
        if len(walk.pages) >= max_pages:
            walk.stop = f"stopped after {max_pages} pages"
            return walk


def walk_cursor(fetch, paging: CursorPaging, limit: int | None, filters: Params = (), id_field: str = "id",
                max_pages: int = 10_000) -> Walk:
    """Cursor walk: ``starting_after`` the last item of each page while ``has_more`` is true."""
    walk = Walk(limit=limit, filters=filters)
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
        if not page.items:
            walk.stop = "empty page with has_more true: no cursor to continue from"
            return walk
        cursor = page.items[-1].get(id_field)
        if cursor in seen_cursors:
            walk.stop = f"cursor {cursor!r} came back twice: the walk loops"
            return walk
        seen_cursors.add(cursor)
        if len(walk.pages) >= max_pages:
            walk.stop = f"stopped after {max_pages} pages"
            return walk
