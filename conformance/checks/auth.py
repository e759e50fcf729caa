"""Auth checks: no key and a wrong key are refused on every operation, without leaking tickets."""

from __future__ import annotations

from conformance.model.exchange import listing
from conformance.oracles.auth import refused_without_ticket_data
from conformance.strategies.bodies import minimal_create_body
from conformance.observe.context import RunContext
from conformance.observe.writes import shape_of
from conformance.checks.registry import check


def _markers(ctx: RunContext) -> tuple[str, ...]:
    return (ctx.profile.created_field, "title", "reference")


def _refused_everywhere(ctx: RunContext, auth: str, what: str) -> None:
    api, profile = ctx.api, ctx.profile
    refused_without_ticket_data(api.list(auth=auth), profile.id_field, _markers(ctx), what)
    if "retrieve" in profile.operations:
        items = api.full_walk().items
        if items:
            exchange = api.retrieve(items[0][profile.id_field], auth=auth)
            refused_without_ticket_data(exchange, profile.id_field, _markers(ctx), what)


@check(family="auth", level="MUST", proves="Reading without an API key is refused with 401/403 and no ticket data.")
def missing_key_is_refused(ctx: RunContext) -> None:
    _refused_everywhere(ctx, "none", "no API key")


@check(family="auth", level="MUST", proves="Reading with a wrong API key is refused with 401/403 and no ticket data.")
def wrong_key_is_refused(ctx: RunContext) -> None:
    _refused_everywhere(ctx, "wrong", "a wrong API key")


@check(family="auth", level="MUST", requires=("create", "writes"),
       proves="Writing (create, and update of the suite's own ticket) without a valid key is refused with 401/403 "
              "and creates or changes nothing.")
def unauthenticated_writes_are_refused(ctx: RunContext) -> None:
    from conformance.oracles.auth import nothing_created

    api, profile = ctx.api, ctx.profile
    total_key = getattr(profile.paging, "total_key", None)
    items_key = profile.paging.items_key
    before = listing(api.list({profile.paging.limit: 1}), items_key, total_key).get(total_key) if total_key else None
    body = minimal_create_body(profile, "unauthenticated")
    for auth, what in (("none", "no API key"), ("wrong", "a wrong API key")):
        exchange = api.create(body, auth=auth)
        refused_without_ticket_data(exchange, profile.id_field, _markers(ctx), f"{what} (create)")
        if before is not None:
            after = listing(api.list({profile.paging.limit: 1}), items_key, total_key).get(total_key)
            nothing_created(before, after, exchange)
    if "update" in profile.operations:
        _unauthenticated_updates_change_nothing(ctx)


def _unauthenticated_updates_change_nothing(ctx: RunContext) -> None:
    """An update without a key or with a wrong one, of one of the suite's own tickets: refused, and the
    ticket read back through the list is as before (a server must not apply it, then refuse)."""
    from conformance.oracles import updates as u
    from conformance.strategies.bodies import marked_title
    from conformance.observe.own import own_tickets, read_back

    api, profile = ctx.api, ctx.profile
    writes = profile.writes
    assert writes
    (ticket,) = own_tickets(ctx)
    ticket_id = ticket[profile.id_field]
    title = marked_title(profile, "unauthenticated update")
    if ticket.get(writes.title_field) == title:
        title = marked_title(profile, "unauthenticated update again")
    for auth, what in (("none", "no API key"), ("wrong", "a wrong API key")):
        before, _ = read_back(ctx, ticket_id)
        exchange = api.update(ticket_id, {writes.title_field: title}, auth=auth)
        try:
            refused_without_ticket_data(exchange, profile.id_field, _markers(ctx), f"{what} (update)")
            after, page = read_back(ctx, ticket_id)
            u.unchanged(before, after, shape_of(ctx), f"listed after an update with {what}", [exchange, page])
        except Exception:
            api.update(ticket_id, {writes.title_field: before.get(writes.title_field)})  # put it back
            raise
