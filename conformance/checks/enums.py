"""Enum, title-bound and lifecycle checks: what the API returns is documented, what it accepts is bounded.

Writes touch only tickets this suite created (their titles carry ``profile.writes.marker``); a
refused write is judged by reading the ticket (and ``totalCount``) back through the list.
"""

from __future__ import annotations

from typing import Any

from conformance.oracles import enums as en
from conformance.oracles import updates as u
from conformance.model.exchange import Exchange, listing
from conformance.profiles.base import Profile, Writes, writable_enum_fields
from conformance.strategies.bodies import marked_title, minimal_create_body
from conformance.observe.context import RunContext
from conformance.observe.writes import shape_of
from conformance.observe.own import find_listed, own_tickets
from conformance.observe.stability import appeared_with_titles
from conformance.checks.registry import check
from conformance.model.violations import Skipped



def _writes(ctx: RunContext) -> Writes:
    writes = ctx.profile.writes
    assert writes is not None
    return writes


def _enum_fields(profile: Profile) -> list[str]:
    """Enum fields the suite may write (``type``, ``state``): those the profile's writes name (required on
    create, or updatable), required ones first, in the profile's order."""
    assert profile.writes
    return writable_enum_fields(profile)


def _unknown(profile: Profile, key: str) -> str:
    """A value that is in no documented set for ``key``."""
    name = key.split(".")[-1].replace("[]", "").upper()
    value = f"NOT_A_{name}"
    while value in profile.enums.get(key, ()):
        value += "_X"
    return value


def _unchanged(ctx: RunContext, before: Any, after: Any, exchanges: list[Exchange], what: str) -> None:
    """``en.ticket_unchanged`` over the fields a comparison judges (documented ones; see ``u.not_compared``)."""

    skip = u.not_compared(before, after, shape_of(ctx)) if before is not None and after is not None else set()
    en.ticket_unchanged(before, after, exchanges, what, skip=sorted(skip))


def _total(ctx: RunContext) -> tuple[Any, Exchange]:
    paging = ctx.profile.paging
    exchange = ctx.api.list({paging.limit: 1})
    total_key = paging.total_key
    body = listing(exchange, paging.items_key, total_key) if exchange.status == 200 and total_key else {}
    return body.get(total_key, None) if total_key else None, exchange


def _title(profile: Profile, length: int, text: str) -> str:
    """An ASCII title of exactly ``length`` characters, carrying the marker wherever it fits."""
    assert profile.writes
    marker = profile.writes.marker
    if length <= len(marker) + 1:
        return "x" * length
    return f"{marker} {text} ".ljust(length, "x")[:length]


NON_ASCII = "é日ñ語ü中"  # BMP characters: one code point and one UTF-16 unit each, 2-3 bytes in UTF-8


def _non_ascii_title(profile: Profile, length: int) -> str:
    """A title of exactly ``length`` characters (code points, and UTF-16 units alike): the marker, then
    non-ASCII characters, so that a bound counted in bytes shows."""
    assert profile.writes
    head = f"{profile.writes.marker} "
    filler = NON_ASCII * (length // len(NON_ASCII) + 1)
    return (head + filler)[:length] if length > len(head) else filler[:length]


@check(family="enum", level="MUST", requires=("enums",),
       proves="Every type, state and deal priority the API returns is one of the documented values, exactly.")
def returned_enums_are_documented(ctx: RunContext) -> None:
    en.returned_enums_are_documented(ctx.api.full_walk(), ctx.profile.enums, ctx.profile.id_field)


@check(family="enum", level="MUST", requires=("enums", "create", "update", "writes"),
       proves="Unknown type/state/priority values are rejected on create and update, changing nothing; a documented "
              "value in lower case, where accepted, comes back in the documented spelling.")
def unknown_enum_values_are_rejected(ctx: RunContext) -> None:
    profile, writes = ctx.profile, _writes(ctx)
    before = ctx.api.full_walk()
    refused: list[Exchange] = []
    titles: list[Any] = []
    for field in _enum_fields(profile):
        body = minimal_create_body(profile, f"unknown {field}")
        body[field] = _unknown(profile, field)
        exchange = ctx.api.create(body)
        en.rejected(exchange, f"creating a ticket with {field}={body[field]!r}")
        refused.append(exchange)
        titles.append(body.get(writes.title_field))
    appeared, after = appeared_with_titles(ctx, before, titles)
    en.nothing_created(appeared, refused + after.exchanges[-1:], profile.id_field, "refused creates")

    (ticket,) = own_tickets(ctx, 1, purpose="enum and lifecycle probe")
    ticket_id = ticket[profile.id_field]
    bodies = [{field: _unknown(profile, field)} for field in _enum_fields(profile)]
    priority_key = f"{writes.linked_deals_field}[].priority"
    deal_ids = [d for item in ctx.api.full_walk().items for d in en.values_at(item, f"{writes.linked_deals_field}[].id")
                if d is not None]
    if priority_key in profile.enums and deal_ids:
        bodies.append({writes.deals_field: [{"id": deal_ids[0], "priority": _unknown(profile, priority_key)}]})
    refused = []
    try:
        for body in bodies:
            exchange = ctx.api.update(ticket_id, body)
            refused.append(exchange)
            en.rejected(exchange, f"updating a ticket with {body}")
    finally:
        if any(200 <= e.status < 300 for e in refused):  # put the suite's ticket back as it was
            ctx.api.update(ticket_id, {f: ticket[f] for f in _enum_fields(profile) if f in ticket})
    now, read = find_listed(ctx, ticket_id)
    _unchanged(ctx, ticket, now, refused + ([read] if read else []), "refused updates with unknown enum values")

    # A documented value in lower case: refusing it is a SHOULD (lowercase_enum_values_are_rejected);
    # accepting it and storing it as sent puts an undocumented value in the ticket (MUST).
    probes: list[Exchange] = []
    try:
        for field in _enum_fields(profile):
            documented = profile.enums[field]
            lower = next((v.lower() for v in documented if v.lower() not in documented), None)
            if lower is not None:
                probes.append(ctx.api.update(ticket_id, {field: lower}))
                en.other_case_comes_back_documented(probes[-1], field, lower, documented)
    finally:
        if any(200 <= e.status < 300 for e in probes):
            ctx.api.update(ticket_id, {f: now[f] for f in _enum_fields(profile) if now and f in now})


@check(family="enum", level="MUST", requires=("enums", "create", "update", "writes"),
       proves="Every documented type and state is accepted on update (and on create) and comes back exactly; so is "
              "every documented deal priority on a deal link.")
def documented_enum_values_are_accepted(ctx: RunContext) -> None:
    profile, writes = ctx.profile, _writes(ctx)
    id_field, fields = profile.id_field, _enum_fields(profile)
    # One create carries the last documented value of each field (the first is what every create sends).
    body = minimal_create_body(profile, "documented enum values")
    body.update({field: profile.enums[field][-1] for field in fields})
    exchange = ctx.api.create(body)
    for field in fields:
        en.documented_value_accepted(exchange, field, body[field], f"creating a ticket with {field}={body[field]!r}")

    (ticket,) = own_tickets(ctx, 1, purpose="enum and lifecycle probe")
    ticket_id = ticket[id_field]
    links_field, priority_key = writes.linked_deals_field, f"{writes.linked_deals_field}[].priority"
    linked = {repr(d) for d in en.values_at(ticket, f"{links_field}[].id")}
    deal_ids = [d for item in ctx.api.full_walk().items for d in en.values_at(item, f"{links_field}[].id")
                if d is not None and repr(d) not in linked]
    try:
        for field in fields:
            for value in profile.enums[field]:
                exchange = ctx.api.update(ticket_id, {field: value})
                en.documented_value_accepted(exchange, field, value, f"updating a ticket to {field}={value!r}")
        if priority_key in profile.enums and deal_ids:
            deal_id = deal_ids[0]
            try:
                for priority in profile.enums[priority_key]:
                    exchange = ctx.api.update(ticket_id, {writes.deals_field: [{"id": deal_id, "priority": priority}]})
                    en.deal_priority_accepted(exchange, links_field, deal_id, priority,
                                              f"linking deal {deal_id!r} with priority {priority!r}")
            finally:
                ctx.api.update(ticket_id, {writes.deals_field: [
                    {"id": deal_id, "priority": profile.enums[priority_key][0], "delete": True}]})
    finally:  # put the suite's ticket back as it was
        ctx.api.update(ticket_id, {f: ticket[f] for f in fields if f in ticket})


@check(family="enum", level="SHOULD", requires=("enums", "create", "writes"),
       proves="Enum values are case-sensitive: a documented value in lower case is rejected on create.")
def lowercase_enum_values_are_rejected(ctx: RunContext) -> None:
    profile = ctx.profile
    for field in _enum_fields(profile):
        documented = profile.enums[field]
        candidates = [v.lower() for v in documented if v.lower() not in documented]
        if not candidates:
            continue
        body = minimal_create_body(profile, f"lowercase {field}")
        body[field] = candidates[0]
        en.other_case_is_refused(ctx.api.create(body), field, candidates[0], documented)


@check(family="enum", level="MUST", requires=("create", "update", "writes"),
       proves="Titles of 1 and of the maximum length (also of non-ASCII characters) are accepted intact on create "
              "and update; "
              "empty and over-long titles are rejected, changing nothing.")
def title_length_is_enforced(ctx: RunContext) -> None:
    profile, writes = ctx.profile, _writes(ctx)
    assert writes.title_length  # NEEDS writes.title_length
    lo, hi = writes.title_length
    field, id_field = writes.title_field, profile.id_field

    before = ctx.api.full_walk()
    refused: list[Exchange] = []
    titles: list[Any] = []
    for length in (lo - 1, hi + 1):
        body = minimal_create_body(profile, "title bound")
        body[field] = _title(profile, length, "title over the bound")
        exchange = ctx.api.create(body)
        en.rejected(exchange, f"creating a ticket with a title of {length} characters")
        refused.append(exchange)
        titles.append(body[field])
    appeared, after = appeared_with_titles(ctx, before, titles)
    en.nothing_created(appeared, refused + after.exchanges[-1:], id_field, "refused creates")

    for length, title, kind in ((hi, _title(profile, hi, "title at the bound"), ""),
                                (hi, _non_ascii_title(profile, hi), " non-ASCII"),
                                (lo, _title(profile, lo, "title at the bound"), "")):
        body = minimal_create_body(profile, "title bound")
        body[field] = title
        exchange = ctx.api.create(body)
        created = en.accepted(exchange, f"creating a ticket with a title of {length}{kind} characters")
        try:
            en.returned_intact(created, field, body[field], exchange,
                               f"a title of {length}{kind} characters on create")
        finally:
            if not body[field].startswith(writes.marker) and id_field in created:
                # Too short for the marker: retitle it at once, so the suite recognises it later.
                ctx.api.update(created[id_field], {field: marked_title(profile, "title bound")})

    (ticket,) = own_tickets(ctx, 1, purpose="enum and lifecycle probe")
    ticket_id = ticket[id_field]
    refused = []
    try:
        for length in (lo - 1, hi + 1):
            exchange = ctx.api.update(ticket_id, {field: _title(profile, length, "title over the bound")})
            refused.append(exchange)
            en.rejected(exchange, f"updating a ticket with a title of {length} characters")
        now, read = find_listed(ctx, ticket_id)
        _unchanged(ctx, ticket, now, refused + ([read] if read else []), "refused title updates")
        for length, title, kind in ((lo, _title(profile, lo, "title updated at the bound"), ""),
                                    (hi, _title(profile, hi, "title updated at the bound"), ""),
                                    (hi, _non_ascii_title(profile, hi), " non-ASCII")):
            exchange = ctx.api.update(ticket_id, {field: title})
            updated = en.accepted(exchange, f"updating a ticket with a title of {length}{kind} characters")
            en.returned_intact(updated, field, title, exchange, f"a title of {length}{kind} characters on update")
    finally:
        ctx.api.update(ticket_id, {field: ticket[field]})


@check(family="enum", level="SHOULD", requires=("update", "writes"),
       proves="closedAt is set when a ticket is closed and cleared when it is reopened.")
def closed_at_follows_state(ctx: RunContext) -> None:
    profile, writes = ctx.profile, _writes(ctx)
    states = profile.enums.get(writes.state_field, ())
    reopen = next((s for s in states if s != writes.closed_state), None)
    if reopen is None:
        raise Skipped("the profile documents no state other than the closed one")
    (ticket,) = own_tickets(ctx, 1, purpose="enum and lifecycle probe")
    ticket_id = ticket[profile.id_field]
    if ticket.get(writes.state_field) == writes.closed_state:
        en.accepted(ctx.api.update(ticket_id, {writes.state_field: reopen}), f"reopening a ticket to {reopen}")
    exchange = ctx.api.update(ticket_id, {writes.state_field: writes.closed_state})
    closed = en.accepted(exchange, f"moving a ticket to {writes.closed_state}")
    en.closed_at_is_set(closed, writes.closed_at_field, profile.created_field, writes.closed_state, exchange)
    exchange = ctx.api.update(ticket_id, {writes.state_field: reopen})
    reopened = en.accepted(exchange, f"reopening a ticket to {reopen}")
    en.closed_at_is_cleared(reopened, writes.closed_at_field, reopen, exchange)
