"""Auth checks: no key, a wrong key and near misses of the real key are refused, without leaking tickets.

Near misses (``transport/credentials.py``) are derived from the key inside the transport: a check
names only their kinds, so no key reaches a check, a message or a reproduction.
"""

from __future__ import annotations

from conformance.oracles.auth import near_misses_refused, refused_without_ticket_data
from conformance.strategies.bodies import minimal_create_body
from conformance.observe.context import RunContext
from conformance.observe.stability import appeared_with_titles
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


def _near_misses_refused(ctx: RunContext, scheme: bool) -> None:
    """Each near miss (of the key's value, or the real key in another scheme), on the list."""
    api, profile = ctx.api, ctx.profile
    probes = [n for n in api.client.near_misses() if n.scheme == scheme]
    # Every probe is sent before judging, so one finding names each one the API lets through.
    near_misses_refused([(n.what, api.list({profile.paging.limit: 1}, auth=n.kind)) for n in probes],
                        profile.id_field, _markers(ctx))


@check(family="auth", level="MUST",
       proves="Near misses of the real key (a prefix, the key minus or plus one character, its case swapped, an "
              "empty value) are refused with a 4xx and no ticket data: the whole key is compared, exactly.")
def near_miss_keys_are_refused(ctx: RunContext) -> None:
    _near_misses_refused(ctx, scheme=False)


@check(family="auth", level="SHOULD",
       proves="The real key presented in a scheme the vendor does not document (as a Bearer token; Opine: as HTTP "
              "Basic; Copper: as the Basic password) is refused with a 4xx and no ticket data.")
def key_in_another_scheme_is_refused(ctx: RunContext) -> None:
    # SHOULD: the docs name one scheme but do not say another is refused (Stripe-style APIs accept Bearer too).
    _near_misses_refused(ctx, scheme=True)


@check(family="auth", level="MUST", requires=("create", "writes"),
       proves="Writing (create, and update of the suite's own ticket) without a valid key is refused with 401/403 "
              "and creates or changes nothing.")
def unauthenticated_writes_are_refused(ctx: RunContext) -> None:
    from conformance.oracles.auth import nothing_created

    api, profile = ctx.api, ctx.profile
    assert profile.writes
    before = api.full_walk()
    body = minimal_create_body(profile, "unauthenticated")
    for auth, what in (("none", "no API key"), ("wrong", "a wrong API key")):
        exchange = api.create(body, auth=auth)
        refused_without_ticket_data(exchange, profile.id_field, _markers(ctx), f"{what} (create)")
        appeared, before = appeared_with_titles(ctx, before, [body[profile.writes.title_field]])
        nothing_created(appeared, profile.id_field, exchange)
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
