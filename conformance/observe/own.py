"""The suite's own tickets on a writable API, and reading a ticket back through the list.

Writes touch only tickets whose title starts with the profile's marker: marked tickets already
listed are reused, and new ones are created only when there are too few. There is no GET by id on
a writable profile, so a ticket is read back from the list: first from a small window around where
it was last seen (one request), else by walking the collection.

``full_create`` is one create with every documented field set, made once per run and judged by
several checks (the values sent, closedAt of a ticket created closed, the deal links and their sum).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from conformance.model.exchange import Exchange, listing
from conformance.oracles import updates as u
from conformance.strategies import updates as s
from conformance.strategies.bodies import minimal_create_body
from conformance.observe.api import Api
from conformance.observe.context import RunContext
from conformance.profiles.base import Profile
from conformance.observe.writes import deal_priorities, draw_once, observed_deal_ids, writing
from conformance.model.violations import Skipped, Violation

WINDOW = 5  # tickets either side of the last known position


def _chosen(ctx: RunContext) -> list[Any]:
    """The tickets the running check's write lane uses (lanes never share one: engine.lane_of)."""
    return ctx.api.notes.setdefault(("own-tickets", ctx.lane), [])


def _claimed(ctx: RunContext) -> set[str]:
    """Own tickets any lane uses (JSON ids)."""
    return ctx.api.notes.setdefault("own-tickets-claimed", set())


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
    with ctx.api.notes_lock:
        chosen = _chosen(ctx)
        if ticket_id not in chosen:
            chosen.append(ticket_id)
            _claimed(ctx).add(_key(ticket_id))


def is_own(ctx: RunContext, ticket: dict[str, Any]) -> bool:
    return _marked(ctx.profile, ticket)


def _marked(profile: Profile, ticket: dict[str, Any]) -> bool:
    """The ticket's title carries the suite's marker: one of its own."""
    writes = profile.writes
    assert writes
    return str(ticket.get(writes.title_field, "")).startswith(writes.marker)


def share_out(api: Api, profile: Profile, lanes: int) -> None:
    """Deal the suite's own tickets already listed (in list order) to the write lanes, round robin,
    before any lane writes: which ticket a lane reuses never depends on when the other lanes run."""
    if not profile.writes:
        return
    listed = [i.get(profile.id_field) for i in api.full_walk().items if _marked(profile, i)]
    with api.notes_lock:
        for lane in range(lanes):
            api.notes[("own-candidates", lane)] = listed[lane::lanes]


def own_tickets(ctx: RunContext, count: int = 1, purpose: str = "updates") -> list[dict[str, Any]]:
    """``count`` of the suite's own tickets as currently listed: ones this lane used before, then the
    marked tickets dealt to this lane (``share_out``; without it, marked tickets no lane uses, in list
    order), then new ones (created only when there are too few). Once a lane has its tickets, each is
    read back from where it was last listed (one request)."""
    id_field = ctx.profile.id_field
    chosen = _chosen(ctx)
    if len(chosen) >= count:
        return [read_back(ctx, i)[0] for i in chosen[:count]]
    items = {_key(t.get(id_field)): t for t in full_walk_items(ctx)}
    dealt = ctx.api.notes.get(("own-candidates", ctx.lane))
    candidates = [_key(i) for i in dealt] if dealt is not None else list(items)
    with ctx.api.notes_lock:  # lanes choosing at the same time never choose the same ticket
        claimed = _claimed(ctx)
        for key in candidates:
            if len(chosen) >= count:
                break
            if key in items and is_own(ctx, items[key]) and key not in claimed:
                chosen.append(items[key].get(id_field))
                claimed.add(key)
    created = False
    while len(chosen) < count:
        exchange = ctx.api.create(minimal_create_body(ctx.profile, f"{purpose} {len(chosen) + 1}"))
        if not 200 <= exchange.status < 300:
            raise Skipped(f"could not create a ticket of the suite's own to write to (status {exchange.status})")
        ticket_id = exchange.json_object().get(id_field)
        if ticket_id is None or ticket_id in chosen:  # never create again for an answer that names no new ticket
            raise Skipped(f"could not create a ticket of the suite's own to write to: the create answered "
                          f"{'without' if ticket_id is None else 'with an id already in use as'} {id_field}")
        remember_own(ctx, ticket_id)
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


FULL_CREATE = "full-create"  # the note holding it, and the salt of what it sends
DEALS_ON_CREATE = 2  # deal links a full create asks for (when the list shows that many deals)


@dataclass(frozen=True)
class FullCreate:
    """A create with every documented field set (state: the closed one; dates with a UTC offset),
    its answer, and the ticket as then listed."""

    body: dict[str, Any]  # what the judged create sent
    exchange: Exchange  # its answer
    listed: dict[str, Any] | None  # the created ticket as the list then showed it (None: not listed)
    page: Exchange | None  # the page that showed it (or the last page walked)
    deal_amounts: dict[str, Any] = field(default_factory=dict)  # JSON deal id -> its amount, where the list shows it
    # Deals on create appear only in the docs' request example, not in the field list: a create with
    # them refused (4xx) is sent again without them, and this is that refusal.
    refused_with_deals: Exchange | None = None

    @property
    def created(self) -> dict[str, Any] | None:
        if not 200 <= self.exchange.status < 300:
            return None
        try:
            return self.exchange.json_object()
        except Exception:  # noqa: BLE001 - an unreadable answer is judged by the checks (write_succeeded)
            return None

    @property
    def evidence(self) -> list[Exchange]:
        return [e for e in (self.refused_with_deals, self.exchange, self.page) if e is not None]


def _known_amounts(ctx: RunContext, shape: u.Shape) -> dict[str, Any]:
    """Deal (JSON id) -> amount, from listed tickets linking only that deal (deal_amount_sum_is_consistent
    judges whether those agree; here they only pick deals whose amount is known)."""
    try:
        return u.single_deal_sums_agree(ctx.api.walk_before_writes().items, shape, [])
    except Violation:
        return {}


def full_create(ctx: RunContext) -> FullCreate:
    """The run's full create (made on first use, then remembered; a recorded check makes its own)."""
    return ctx.api.note(FULL_CREATE, lambda: _make_full_create(ctx))


def _make_full_create(ctx: RunContext) -> FullCreate:
    profile, writes, shape = writing(ctx)
    kinds = shape.kinds
    values = {n: s.values(profile, kinds, n) for n in kinds}
    for name, value in writes.fixed_on_create.items():
        values.setdefault(name, st.just(value))
    values.setdefault(writes.title_field, s.titles(profile))
    if writes.closed_state and writes.closed_state in profile.enums.get(writes.state_field, ()):
        values[writes.state_field] = st.just(writes.closed_state)
    for name in writes.date_fields:
        if name in values:
            values[name] = s.offset_date_time_text()
    known = _known_amounts(ctx, shape)
    deal_ids, priorities = observed_deal_ids(ctx, shape), deal_priorities(ctx, shape)
    pool = [d for d in deal_ids if json.dumps(d) in known]
    pool = pool if len(pool) >= DEALS_ON_CREATE else deal_ids
    count = min(DEALS_ON_CREATE, len(pool))
    deals = (st.lists(st.tuples(st.sampled_from(pool), st.sampled_from(priorities)), min_size=count,
                      max_size=count, unique_by=lambda t: json.dumps(t[0]))
             if count and priorities else st.just([]))
    body, links = draw_once(ctx, st.tuples(st.fixed_dictionaries(values), deals), FULL_CREATE)
    body = dict(body)
    if links:
        body[writes.deals_field] = [{"id": d, "priority": p} for d, p in links]
    exchange, refused = ctx.api.create(body), None
    if 400 <= exchange.status < 500 and writes.deals_field in body:
        refused = exchange
        body = {k: v for k, v in body.items() if k != writes.deals_field}
        exchange = ctx.api.create(body)
    listed = page = None
    result = FullCreate(body, exchange, None, None, known, refused)
    created = result.created
    if created is not None and profile.id_field in created:
        ticket_id = created[profile.id_field]
        listed, page = find_listed(ctx, ticket_id)
        linked = u.deal_links(created, shape)
        if linked and priorities:  # never leave the suite's links on real deals behind
            ctx.api.update(ticket_id, {writes.deals_field: [
                {"id": json.loads(k), "priority": v if v in priorities else priorities[0], "delete": True}
                for k, v in linked.items()]})
    return FullCreate(body, exchange, listed, page, known, refused)
