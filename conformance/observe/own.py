"""The suite's own tickets on a writable API, and reading a ticket back through the list.

Writes touch only tickets whose title starts with the profile's marker: marked tickets already
listed are reused, and new ones are created only when there are too few. There is no GET by id on
a writable profile, so a ticket is read back from the list: first from a small window around where
it was last seen (one request), else by walking the collection.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.model.exchange import Exchange, listing
from conformance.strategies.bodies import minimal_create_body
from conformance.observe.context import RunContext
from conformance.model.violations import Skipped, Violation

WINDOW = 5  # tickets either side of the last known position


def _chosen(ctx: RunContext) -> list[Any]:
    return ctx.api.notes.setdefault("own-tickets", [])


def _positions(ctx: RunContext) -> dict[str, int]:
    return ctx.api.notes.setdefault("list-positions", {})


def _key(ticket_id: Any) -> str:
    return json.dumps(ticket_id)


def full_walk_items(ctx: RunContext) -> list[dict[str, Any]]:
    """The whole list (memoized until the next write), remembering where each ticket sits in it."""
    items = ctx.api.full_walk().items
    positions = _positions(ctx)
    for index, item in enumerate(items):
        positions[_key(item.get(ctx.profile.id_field))] = index
    return [dict(i) for i in items]


def remember_own(ctx: RunContext, ticket_id: Any) -> None:
    chosen = _chosen(ctx)
    if ticket_id not in chosen:
        chosen.append(ticket_id)


def is_own(ctx: RunContext, ticket: dict[str, Any]) -> bool:
    writes = ctx.profile.writes
    assert writes
    return str(ticket.get(writes.title_field, "")).startswith(writes.marker)


def own_tickets(ctx: RunContext, count: int = 1, purpose: str = "updates") -> list[dict[str, Any]]:
    """``count`` of the suite's own tickets as currently listed: ones this run used before, then
    marked tickets in list order, then new ones (created only when there are too few)."""
    id_field = ctx.profile.id_field
    chosen = _chosen(ctx)
    items = {_key(t.get(id_field)): t for t in full_walk_items(ctx)}
    for item in items.values():
        if len(chosen) >= count:
            break
        if is_own(ctx, item) and item.get(id_field) not in chosen:
            chosen.append(item.get(id_field))
    created = False
    while len(chosen) < count:
        exchange = ctx.api.create(minimal_create_body(ctx.profile, f"{purpose} {len(chosen) + 1}"))
        if not 200 <= exchange.status < 300:
            raise Skipped(f"could not create a ticket of the suite's own to write to (status {exchange.status})")
        chosen.append(exchange.json_object().get(id_field))
        created = True
    if created:
        items = {_key(t.get(id_field)): t for t in full_walk_items(ctx)}
    return [dict(items[_key(i)]) if _key(i) in items else read_back(ctx, i)[0] for i in chosen[:count]]


def find_listed(ctx: RunContext, ticket_id: Any) -> tuple[dict[str, Any] | None, Exchange | None]:
    """The ticket as the list shows it now, and the page that shows it (None when it is not listed)."""
    paging, id_field = ctx.profile.paging, ctx.profile.id_field
    hint = _positions(ctx).get(_key(ticket_id))
    if hint is not None and hasattr(paging, "offset"):
        offset = max(0, hint - WINDOW)
        exchange = ctx.api.list({paging.limit: 2 * WINDOW + 1, paging.offset: offset})
        if exchange.status == 200:
            for index, item in enumerate(listing(exchange, paging.items_key).get(paging.items_key) or []):
                if isinstance(item, dict) and item.get(id_field) == ticket_id:
                    _positions(ctx)[_key(ticket_id)] = offset + index
                    return dict(item), exchange
    walk = ctx.api.full_walk()
    full_walk_items(ctx)
    for page in walk.pages:
        for item in page.items:
            if item.get(id_field) == ticket_id:
                return dict(item), page.exchange
    return None, (walk.exchanges[-1] if walk.exchanges else None)


def read_back(ctx: RunContext, ticket_id: Any) -> tuple[dict[str, Any], Exchange]:
    """The ticket as the list shows it; a violation when the list does not show it at all."""
    item, exchange = find_listed(ctx, ticket_id)
    if item is not None and exchange is not None:
        return item, exchange
    walk = ctx.api.full_walk()
    writes = [e for e in ctx.exchanges if e.method != "GET"][-1:]  # the write that should show up
    raise Violation(f"ticket {ticket_id!r} is missing from the list",
                    expected=f"{ctx.profile.id_field} {ticket_id!r} among the listed tickets",
                    actual=f"{len(walk.items)} tickets without it ({walk.stop})",
                    exchanges=[*writes, *walk.exchanges[-2:]])
