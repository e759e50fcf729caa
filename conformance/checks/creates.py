"""Create checks: the rules about what a field holds after a write, on the write that creates.

The update checks prove each rule on PUT; a create sets the same fields and must keep the same
rules. One create with every documented field set (``observe.own.full_create``: state closed, a
date with a UTC offset, labels, a description, a URL and deal links) is made once per run and
judged by several checks, in its response and as the list then shows it.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.oracles import enums as en
from conformance.oracles import updates as u
from conformance.strategies.bodies import marked_title, minimal_create_body
from conformance.observe.context import RunContext
from conformance.observe.own import FullCreate, full_create
from conformance.observe.stability import appeared_with_titles
from conformance.observe.writes import returned, writing
from conformance.checks.registry import check
from conformance.model.violations import Skipped, Violation

CREATE = ("create", "writes")


def _created(ctx: RunContext, made: FullCreate) -> tuple[dict[str, Any], dict[str, Any]]:
    """The created ticket as answered and as listed; violations when the create failed or is not listed."""
    profile = ctx.profile
    created = u.write_succeeded(made.exchange, profile.id_field, "creating a ticket with every documented field")
    if made.listed is None:
        raise Violation(f"ticket {created[profile.id_field]!r} is missing from the list after it was created",
                        expected=f"{profile.id_field} {created[profile.id_field]!r} among the listed tickets",
                        actual="not listed", exchanges=made.evidence)
    return created, made.listed


@check(family="consistency", level="MUST", requires=CREATE,
       proves="A create with every documented field set (labels, description, a date with a UTC offset, a URL, "
              "deal links) answers with each value as sent and is listed with it; createdAt <= updatedAt; deal "
              "links sent on create are either all linked with their priorities (dealAmountSum their sum) or "
              "none.")
def created_fields_come_back_as_sent(ctx: RunContext) -> None:
    _, writes, shape = writing(ctx)
    made = full_create(ctx)
    created, listed = _created(ctx, made)
    for where, ticket in (("response to the create", created), ("listed after the create", listed)):
        for name, value in made.body.items():
            if name in shape.kinds and (name in ticket or returned(ctx, name, created, listed)):
                u.field_holds(ticket, name, shape.kind(name), value, where, made.evidence)
        u.stamps_in_order(ticket, shape, where, made.evidence)
        sent = {json.dumps(d["id"]): d["priority"] for d in made.body.get(writes.deals_field) or []}
        u.deals_linked_as_sent(ticket, sent, made.deal_amounts, shape, where, made.evidence)
    u.listed_like_response(listed, created, shape, "listed after the create", made.evidence)


@check(family="consistency", level="SHOULD", requires=CREATE,
       proves="A ticket created in the closed state has closedAt set (not before createdAt), in the response and "
              "in the list.")
def closed_at_is_set_on_create(ctx: RunContext) -> None:
    # SHOULD, as closed_at_follows_state: the docs imply the lifecycle of closedAt but never state it.
    profile, writes, _ = writing(ctx)
    made = full_create(ctx)
    if made.body.get(writes.state_field) != writes.closed_state:
        raise Skipped(f"the profile documents no state {writes.closed_state!r} to create a ticket in")
    created, listed = _created(ctx, made)
    for ticket, exchange in ((created, made.exchange), (listed, made.page or made.exchange)):
        en.closed_at_is_set(ticket, writes.closed_at_field, profile.created_field, writes.closed_state, exchange)


@check(family="nullable-update", level="MUST", requires=CREATE,
       proves="A create sending null for a required field (title, type, state) is refused with a 4xx and "
              "creates nothing.")
def required_fields_cannot_be_null_on_create(ctx: RunContext) -> None:
    profile, writes, _ = writing(ctx)
    required = [n for n in writes.required_on_create if n in writes.not_nullable]
    if not required:
        raise Skipped("the profile names no required field")
    before = ctx.api.full_walk()  # the refused tickets are looked for by title: others may create meanwhile
    refused, titles = [], []
    for name in required:
        body = {**minimal_create_body(profile, f"null {name}"), name: None}
        if isinstance(body.get(writes.title_field), str):
            titles.append(body[writes.title_field])
        exchange = ctx.api.create(body)
        refused.append(exchange)
        if 200 <= exchange.status < 300:
            _keep_marked(ctx, exchange)
        u.write_refused(exchange, f"a create with {name}: null")
    appeared, after = appeared_with_titles(ctx, before, titles)
    en.nothing_created(appeared, [*refused, *after.exchanges[-1:]], profile.id_field, "a refused create")


def _keep_marked(ctx: RunContext, exchange: Any) -> None:
    """A create that should have been refused but was not: keep the ticket recognisably the suite's."""
    profile, writes = ctx.profile, ctx.profile.writes
    assert writes
    try:
        ticket = exchange.json_object()
    except Exception:  # noqa: BLE001 - nothing to retitle
        return
    if profile.id_field in ticket and not str(ticket.get(writes.title_field) or "").startswith(writes.marker):
        ctx.api.update(ticket[profile.id_field], {writes.title_field: marked_title(profile, "null on create")})
