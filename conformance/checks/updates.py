"""Write checks: nullable partial updates, atomic validation, read-back through the list, updatedAt,
deal links and their amount sum, and a stateful model of interleaved updates.

Every check here writes, and only to the suite's own tickets (title starting with the profile's
marker): it reuses marked tickets the list already shows and creates one only when there are
too few. There is no GET by id, so a ticket is read back by walking the list at the largest page
size (memoized until the next write) and finding its id; both the write's response and the listed
ticket are judged.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Mapping

from hypothesis import strategies as st

from conformance.oracles import updates as u
from conformance.model.exchange import Exchange
from conformance.strategies import updates as s
from conformance.strategies.bodies import marked_title, minimal_create_body
from conformance.strategies.negative import request_schema, unknown_fields
from conformance.observe.context import RunContext
from conformance.observe.writes import deal_priorities, explore, observed_deal_ids, put, returned, writing
from conformance.observe.stability import appeared_with_titles
from conformance.observe.own import own_tickets, read_back, remember_own  # noqa: F401  (also used by the machine)
from conformance.checks.registry import check
from conformance.model.violations import Skipped, Violation

WRITE = ("update", "writes")
CREATE = ("create", "writes")


# -- shared helpers -------------------------------------------------------------------------------
def _examples(ctx: RunContext, divisor: int, least: int = 1) -> int:
    return max(least, ctx.options.max_examples // divisor)


def _restore_title(ctx: RunContext, ticket_id: Any, before: Mapping[str, Any], exchange: Exchange) -> None:
    """After a write that should have failed but did not, keep the ticket recognisably the suite's."""
    writes = ctx.profile.writes
    assert writes
    if 200 <= exchange.status < 300:
        try:
            title = str(exchange.json_object().get(writes.title_field, ""))
        except Exception:  # noqa: BLE001 - an unreadable answer: restore to be safe
            title = ""
        if not title.startswith(writes.marker):
            ctx.api.update(ticket_id, {writes.title_field: before.get(writes.title_field)})


def _judge_value(ctx: RunContext, shape: u.Shape, name: str, sent: Any, ticket: Mapping[str, Any], where: str,
                 exchanges: list[Exchange]) -> None:
    if name in ticket or returned(ctx, name, ticket):
        u.field_holds(ticket, name, shape.kind(name), sent, where, exchanges)


# -- nullable updates -----------------------------------------------------------------------------
@check(family="nullable-update", level="MUST", requires=WRITE,
       proves="Sending null for each nullable field (and [] for labels; the profile's clear value where it is "
              "not null) clears it, in the update's response and in the list.")
def null_clears_nullable_fields(ctx: RunContext) -> None:
    profile, writes, shape = writing(ctx)
    (ticket,) = own_tickets(ctx)
    ticket_id = ticket[profile.id_field]
    strategy = st.fixed_dictionaries({n: s.values(profile, shape.kinds, n) for n in writes.nullable})

    def test(drawn: dict[str, Any]) -> None:
        for name in writes.nullable:
            kind = shape.kind(name)
            for clear in s.clearing_values(profile, shape.kinds, name):  # null; for labels also [] (documented)
                sent = json.dumps(clear)
                filled, set_exchange = put(ctx, ticket_id, {name: drawn[name]}, f"setting {name}")
                _judge_value(ctx, shape, name, drawn[name], filled, "response to setting a value", [set_exchange])
                cleared, exchange = put(ctx, ticket_id, {name: clear}, f"{name}: {sent}")
                u.field_cleared(cleared, name, kind, f"response to {name}: {sent}", [set_exchange, exchange])
                listed, page = read_back(ctx, ticket_id)
                u.field_cleared(listed, name, kind, f"listed after {name}: {sent}", [set_exchange, exchange, page])

    explore(ctx, strategy, test, max_examples=_examples(ctx, 6))


@check(family="nullable-update", level="MUST", requires=WRITE,
       proves="An update that sends one field leaves every field it does not send unchanged (an absent field is kept).")
def absent_fields_are_kept(ctx: RunContext) -> None:
    profile, writes, shape = writing(ctx)
    (ticket,) = own_tickets(ctx)
    ticket_id = ticket[profile.id_field]
    fill = st.fixed_dictionaries({n: s.values(profile, shape.kinds, n) for n in writes.nullable})
    changes = st.fixed_dictionaries({
        n: (st.one_of(s.values(profile, shape.kinds, n), st.none()) if n in writes.nullable
            else s.values(profile, shape.kinds, n)) for n in shape.kinds})

    def test(drawn: tuple[dict[str, Any], dict[str, Any]]) -> None:
        filled, changes_ = drawn
        before, exchange = put(ctx, ticket_id, filled, "filling every nullable field")
        for name in shape.kinds:
            change = {name: changes_[name]}
            after, exchange = put(ctx, ticket_id, change, f"changing only {name}")
            u.others_kept(before, after, change, shape, f"response to an update of only {name}", [exchange])
            listed, page = read_back(ctx, ticket_id)
            u.others_kept(before, listed, change, shape, f"listed after an update of only {name}", [exchange, page])
            before = listed

    explore(ctx, st.tuples(fill, changes), test, max_examples=1,
            skip_simplest=True)


@check(family="nullable-update", level="MUST", requires=WRITE,
       proves="A value sent for a writable field replaces the old one (dates as the same instant, labels as a set), "
              "in the response and in the list.")
def values_replace_fields(ctx: RunContext) -> None:
    profile, _, shape = writing(ctx)
    (ticket,) = own_tickets(ctx)
    ticket_id = ticket[profile.id_field]
    strategy = st.fixed_dictionaries({n: s.distinct_values(profile, shape.kinds, n) for n in shape.kinds})

    def test(drawn: dict[str, list[Any]]) -> None:
        for name, (first, second) in drawn.items():
            got, first_exchange = put(ctx, ticket_id, {name: first}, f"setting {name}")
            _judge_value(ctx, shape, name, first, got, f"response to setting {name}", [first_exchange])
            got, exchange = put(ctx, ticket_id, {name: second}, f"replacing {name}")
            _judge_value(ctx, shape, name, second, got, f"response to replacing {name}", [first_exchange, exchange])
            listed, page = read_back(ctx, ticket_id)
            _judge_value(ctx, shape, name, second, listed, f"listed after replacing {name}",
                         [first_exchange, exchange, page])

    explore(ctx, strategy, test, max_examples=_examples(ctx, 6))


@check(family="nullable-update", level="MUST", requires=WRITE,
       proves="title, type and state cannot be set to null: the update is refused with a 4xx and the ticket "
              "is unchanged.")
def required_fields_cannot_be_null(ctx: RunContext) -> None:
    profile, writes, shape = writing(ctx)
    (before,) = own_tickets(ctx)
    ticket_id = before[profile.id_field]
    for name in writes.not_nullable:
        exchange = ctx.api.update(ticket_id, {name: None})
        try:
            u.write_refused(exchange, f"{name}: null")
        finally:
            _restore_title(ctx, ticket_id, before, exchange)
        after, page = read_back(ctx, ticket_id)
        u.unchanged(before, after, shape, f"listed after a refused {name}: null", [exchange, page])


@check(family="nullable-update", level="MUST", requires=WRITE,
       proves="An update with one valid change and one invalid field is refused with a 4xx and changes nothing "
              "(not the valid part, not updatedAt).")
def failed_update_changes_nothing(ctx: RunContext) -> None:
    profile, writes, shape = writing(ctx)
    (ticket,) = own_tickets(ctx)
    ticket_id = ticket[profile.id_field]
    update_schema = request_schema(ctx.spec, profile.item, writes.update_method)
    invalid = s.invalid_values(profile, shape.kinds) + unknown_fields(update_schema)
    if not invalid:
        raise Skipped("the profile documents no constraint to break")

    def valid_for(bad: tuple[str, Any]) -> st.SearchStrategy:
        others = [n for n in shape.kinds if n != bad[0]]
        return st.sampled_from(others).flatmap(
            lambda n: s.distinct_values(profile, shape.kinds, n).map(lambda vs: (n, vs)))

    # Every invalid value is sent (each next to a drawn valid change): none may be left out by the draw.
    strategy = st.tuples(*(st.tuples(st.just(bad), valid_for(bad)) for bad in invalid))

    def test(drawn: tuple[tuple[tuple[str, Any], tuple[str, list[Any]]], ...]) -> None:
        for pair in drawn:
            probe(pair)

    def probe(drawn: tuple[tuple[str, Any], tuple[str, list[Any]]]) -> None:
        (bad_name, bad_value), (name, candidates) = drawn
        before, _ = read_back(ctx, ticket_id)
        kind = shape.kind(name)
        value = next((v for v in candidates if not (name in before and u.value_matches(kind, v, before[name]))),
                     candidates[0])
        exchange = ctx.api.update(ticket_id, {name: value, bad_name: bad_value})
        try:
            u.write_refused(exchange, f"an update with a valid {name} and an invalid {bad_name}")
        finally:
            _restore_title(ctx, ticket_id, before, exchange)
        after, page = read_back(ctx, ticket_id)
        u.unchanged(before, after, shape, f"listed after a refused update (valid {name}, invalid {bad_name})",
                    [exchange, page])

    explore(ctx, strategy, test, max_examples=_examples(ctx, 12),
            skip_simplest=True)


@check(family="nullable-update", level="MUST", requires=WRITE,
       proves="An update of an id that does not exist is refused with a 4xx (404 expected) and creates nothing.")
def unknown_id_update_is_refused(ctx: RunContext) -> None:
    profile = ctx.profile
    walk = ctx.api.full_walk()
    ids = walk.ids(profile.id_field)
    if ids and all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        missing: Any = max(ids) + 10**6
    else:
        missing = next(f"conformance-missing-{n}" for n in range(len(ids) + 1) if f"conformance-missing-{n}" not in ids)
    title = marked_title(profile, "must not exist")
    exchange = ctx.api.update(missing, {profile.writes.title_field: title})
    u.write_refused(exchange, f"an update of the unknown id {missing!r}")
    # Looked for by id and by title, not by count: other writers may create tickets meanwhile.
    appeared, after_walk = appeared_with_titles(ctx, walk, [title])
    if missing in after_walk.ids(profile.id_field) or appeared:
        raise Violation("an update of an unknown id created a ticket", expected=f"no ticket {missing!r} or titled {title!r}",
                        actual=[missing] if missing in after_walk.ids(profile.id_field) else
                        [i.get(profile.id_field) for i in appeared][:5],
                        exchanges=[exchange, *after_walk.exchanges[-1:]])


@check(family="nullable-update", level="MUST", requires=WRITE,
       proves="Every successful update moves updatedAt strictly forward (and never before createdAt), "
              "in the response and in the list.")
def updated_at_moves_forward(ctx: RunContext) -> None:
    profile, writes, shape = writing(ctx)
    (before,) = own_tickets(ctx)
    ticket_id = before[profile.id_field]
    for step in ("A", "B"):
        title = marked_title(profile, f"updatedAt probe {step}")
        if before.get(writes.title_field) == title:
            title = marked_title(profile, f"updatedAt probe {step}{step}")
        ctx.wait(0.01)  # a live clock: never two writes in the same millisecond
        after, exchange = put(ctx, ticket_id, {writes.title_field: title}, "an update of the title")
        if u.comparable(after, shape).get(shape.updated_at) == u.comparable(before, shape).get(shape.updated_at):
            # A server stamping whole seconds needs a second to show a later instant: retry once.
            ctx.wait(1.1)
            after, exchange = put(ctx, ticket_id, {writes.title_field: title + "."}, "an update of the title")
        u.updated_at_later(before, after, shape, "response to an update", [exchange])
        listed, page = read_back(ctx, ticket_id)
        u.updated_at_later(before, listed, shape, "listed after an update", [exchange, page])
        before = listed


# -- consistency of writes with the list -------------------------------------------------------------
@check(family="consistency", level="MUST", requires=CREATE,
       proves="A created ticket comes back (2xx) with the fields sent, is listed exactly as the response shows it, "
              "and totalCount grows by one.")
def created_ticket_is_listed(ctx: RunContext) -> None:
    profile, writes, shape = writing(ctx)
    optional = st.fixed_dictionaries({}, optional={n: s.values(profile, shape.kinds, n) for n in writes.nullable})
    required = st.fixed_dictionaries({n: s.values(profile, shape.kinds, n)
                                      for n in writes.required_on_create if n in shape.kinds})
    total_key = getattr(profile.paging, "total_key", None)

    def test(drawn: tuple[dict[str, Any], dict[str, Any]]) -> None:
        body = {**minimal_create_body(profile, "created and listed"), **drawn[0], **drawn[1]}
        walk = ctx.api.full_walk()
        before = walk.pages[-1].body.get(total_key) if total_key and walk.pages else None
        known = {repr(i) for i in walk.ids(profile.id_field)}
        exchange = ctx.api.create(body)
        created = u.write_succeeded(exchange, profile.id_field, "creating a ticket")
        ticket_id = created[profile.id_field]
        remember_own(ctx, ticket_id)
        for name, value in body.items():
            if name in shape.kinds:
                _judge_value(ctx, shape, name, value, created, "response to the create", [exchange])
        listed, page = read_back(ctx, ticket_id)
        u.listed_like_response(listed, created, shape, "listed after the create", [exchange, page])
        if before is not None:
            after_walk = ctx.api.full_walk()
            after = after_walk.pages[-1].body.get(total_key)
            # Other writers may create tickets meanwhile: totalCount grows by every ticket that appeared.
            grown = len({repr(i) for i in after_walk.ids(profile.id_field)} - known)
            gone = len(known - {repr(i) for i in after_walk.ids(profile.id_field)})
            u.total_grew_by(before, after, max(1, grown - gone), [exchange, page])

    explore(ctx, st.tuples(required, optional.filter(bool)), test, max_examples=1, skip_simplest=True)


def _observed_deal_ids(ctx: RunContext, shape: u.Shape) -> list[Any]:
    return observed_deal_ids(ctx, shape)


def _priorities(ctx: RunContext, shape: u.Shape) -> tuple[str, ...]:
    return deal_priorities(ctx, shape)


def _deal_item(deal_id: Any, priority: str, delete: bool = False) -> dict[str, Any]:
    # The docs' example: priority on every item, ``"delete": true`` to remove the link.
    return {"id": deal_id, "priority": priority, **({"delete": True} if delete else {})}


@check(family="consistency", level="MUST", requires=WRITE,
       proves="A deal link added by an update appears with its priority, a new priority replaces the old one, "
              "and delete: true removes it, in the response and in the list; an update sending only deals "
              "changes nothing else.")
def deal_links_follow_updates(ctx: RunContext) -> None:
    profile, writes, shape = writing(ctx)
    deal_ids, priorities = _observed_deal_ids(ctx, shape), _priorities(ctx, shape)
    if not deal_ids:
        raise Skipped("no listed ticket links a deal: no deal id to link")
    if len(priorities) < 2:
        raise Skipped("the profile lists fewer than two deal priorities: nothing to re-prioritise to")
    (ticket,) = own_tickets(ctx)
    ticket_id = ticket[profile.id_field]
    linked = u.deal_links(ticket, shape)
    free = [d for d in deal_ids if json.dumps(d) not in linked]
    if not free:
        raise Skipped("every deal seen in the list is already linked to the suite's ticket")
    strategy = st.tuples(st.sampled_from(free), st.permutations(priorities).map(lambda p: p[:2]))
    deals = writes.deals_field

    # A deals-only update may change the links and their sum (and updatedAt), nothing else.
    link_fields = {shape.linked_deals: None, shape.deal_sum: None}

    def test(drawn: tuple[Any, tuple[str, str]]) -> None:
        deal_id, (first, second) = drawn
        try:
            before, _ = read_back(ctx, ticket_id)
            states = [v for v in profile.enums.get(shape.state, ())[1:-1] if v != before.get(shape.state)]
            if states:   # a state other than the first and the closed one: a reset to a default shows
                before, _ = put(ctx, ticket_id, {shape.state: states[0]}, "moving the ticket to another state")
            got, added = put(ctx, ticket_id, {deals: [_deal_item(deal_id, first)]}, "linking a deal")
            u.deal_linked(got, deal_id, first, shape, "response to linking a deal", [added])
            u.others_kept(before, got, link_fields, shape, "response to an update of only deals", [added])
            got, changed = put(ctx, ticket_id, {deals: [_deal_item(deal_id, second)]}, "re-prioritising a deal link")
            u.deal_linked(got, deal_id, second, shape, "response to re-prioritising", [added, changed])
            listed, page = read_back(ctx, ticket_id)
            u.deal_linked(listed, deal_id, second, shape, "listed after re-prioritising", [added, changed, page])
            got, removed = put(ctx, ticket_id, {deals: [_deal_item(deal_id, second, delete=True)]}, "deleting a link")
            u.deal_unlinked(got, deal_id, shape, "response to delete: true", [added, removed])
            listed, page = read_back(ctx, ticket_id)
            u.deal_unlinked(listed, deal_id, shape, "listed after delete: true", [added, removed, page])
            u.others_kept(before, listed, link_fields, shape, "listed after updates of only deals",
                          [added, changed, removed, page])
        except Violation:
            ctx.api.update(ticket_id, {deals: [_deal_item(deal_id, second, delete=True)]})  # leave no link behind
            raise

    explore(ctx, strategy, test, max_examples=1,
            skip_simplest=True)


@check(family="consistency", level="MUST", requires=WRITE,
       proves="An update naming one deal link changes only that link: the ticket's other links keep their "
              "priorities, an update without deals keeps every link, and delete: true removes only the named one, "
              "in the response and in the list.")
def deal_links_change_only_as_named(ctx: RunContext) -> None:
    # The docs' PUT example sends deal items with "delete": true to remove one link: items are changes to
    # the named links, not a replacement list (unlike labels, documented to replace all).
    profile, writes, shape = writing(ctx)
    deal_ids, priorities = _observed_deal_ids(ctx, shape), _priorities(ctx, shape)
    if not priorities:
        raise Skipped("the profile lists no deal priority")
    (ticket,) = own_tickets(ctx)
    ticket_id = ticket[profile.id_field]
    start = u.deal_links(ticket, shape)
    free = [d for d in deal_ids if json.dumps(d) not in start]
    if len(free) < 2:
        raise Skipped("fewer than two deals seen in the list are free to link to the suite's ticket")
    size = min(3, len(free))
    strategy = st.tuples(st.lists(st.sampled_from(free), min_size=size, max_size=size, unique=True),
                         st.lists(st.sampled_from(priorities), min_size=4, max_size=4))
    deals = writes.deals_field

    def test(drawn: tuple[list[Any], list[str]]) -> None:
        chosen, prios = drawn
        first, second, third = chosen[0], chosen[1], chosen[2] if len(chosen) > 2 else None
        expected = dict(start)
        seen = [dict(start)]  # the links last observed: what is left to clean up
        evidence: list[Exchange] = []

        def step(body: dict[str, Any], what: str, link: dict[Any, str | None]) -> None:
            got, exchange = put(ctx, ticket_id, body, what)
            evidence.append(exchange)
            for deal_id, priority in link.items():
                if priority is None:
                    expected.pop(json.dumps(deal_id), None)
                else:
                    expected[json.dumps(deal_id)] = priority
            seen[0] = u.deal_links(got, shape)
            u.links_are(got, expected, shape, f"response to {what}", evidence[-3:])

        def listed(what: str) -> None:
            got, page = read_back(ctx, ticket_id)
            seen[0] = u.deal_links(got, shape)
            u.links_are(got, expected, shape, f"listed after {what}", [*evidence[-3:], page])

        try:
            step({deals: [_deal_item(first, prios[0]), _deal_item(second, prios[1])]}, "linking two deals",
                 {first: prios[0], second: prios[1]})
            if third is not None:
                step({deals: [_deal_item(third, prios[2])]}, "linking one more deal alone", {third: prios[2]})
            other = next((p for p in priorities if p != prios[1]), prios[1])
            step({deals: [_deal_item(second, other)]}, "re-prioritising one linked deal", {second: other})
            title = marked_title(profile, "deal links kept")
            if ticket.get(writes.title_field) == title:
                title = marked_title(profile, "deal links kept again")
            step({writes.title_field: title}, "an update without deals", {})
            listed("an update without deals")
            step({deals: [_deal_item(first, prios[0], delete=True)]}, "delete: true for one deal", {first: None})
            listed("delete: true for one deal")
        finally:
            left = [d for d in chosen if json.dumps(d) in seen[0]]
            if left:  # leave no link of the suite's on real deals behind
                ctx.api.update(ticket_id, {deals: [_deal_item(d, priorities[0], delete=True) for d in left]})

    explore(ctx, strategy, test, max_examples=1, skip_simplest=True)


@check(family="consistency", level="MUST", requires=WRITE,
       proves="dealAmountSum is 0 (or null) without linked deals, grows by the same amount on two tickets linking "
              "the same deals, and returns to its old value when those links are removed.")
def deal_amount_sum_is_consistent(ctx: RunContext) -> None:
    profile, writes, shape = writing(ctx)
    walk = ctx.api.full_walk()
    u.unlinked_sums_are_zero(walk.items, shape, walk.exchanges[:1])
    single = u.single_deal_sums_agree(walk.items, shape, walk.exchanges[:1])
    deal_ids, priorities = _observed_deal_ids(ctx, shape), _priorities(ctx, shape)
    if not deal_ids or not priorities:
        raise Skipped("no listed ticket links a deal: no deal id to link")
    first, second = own_tickets(ctx, 2)
    ids = (first[profile.id_field], second[profile.id_field])
    busy = set(u.deal_links(first, shape)) | set(u.deal_links(second, shape))
    free = [d for d in deal_ids if json.dumps(d) not in busy]
    if not free:
        raise Skipped("every deal seen in the list is already linked to the suite's tickets")
    # Deals whose amount the list already shows (a ticket linking only that deal) give an exact oracle.
    known = [d for d in free if json.dumps(d) in single]
    pool = known if len(known) >= 2 else free
    strategy = st.lists(st.sampled_from(pool), min_size=min(2, len(pool)), max_size=min(3, len(pool)), unique=True)
    deals = writes.deals_field

    def test(chosen: list[Any]) -> None:
        link = {deals: [_deal_item(d, priorities[0]) for d in chosen]}
        relink = {deals: [_deal_item(d, priorities[-1]) for d in chosen]}
        unlink = {deals: [_deal_item(d, priorities[0], delete=True) for d in chosen]}
        tickets = [read_back(ctx, i) for i in ids]
        start = [u.deal_sum(t, shape, "before linking", [page]) for t, page in tickets]
        grown, evidence = [], []
        try:
            for ticket_id in ids:
                got, exchange = put(ctx, ticket_id, link, f"linking deals {chosen}")
                evidence.append(exchange)
                grown.append(u.deal_sum(got, shape, "response to linking deals", [exchange]))
            added = [g - s0 for g, s0 in zip(grown, start)]
            u.amounts_equal(added[0], added[1], f"linking the same deals {chosen} to two tickets added different "
                            f"amounts to {shape.deal_sum}", evidence)
            if all(json.dumps(d) in single for d in chosen):
                u.amounts_equal(sum((single[json.dumps(d)] for d in chosen), Decimal(0)), added[0],
                                f"linking deals {chosen} added an amount other than the sum of what tickets linking "
                                "only one of them show", evidence)
            got, exchange = put(ctx, ids[0], relink, f"re-prioritising deals {chosen}")
            evidence.append(exchange)
            u.amounts_equal(grown[0], u.deal_sum(got, shape, "response to re-prioritising", [exchange]),
                            f"re-prioritising linked deals changed {shape.deal_sum}", evidence[-2:])
            for ticket_id, expected in zip(ids, grown):
                listed, page = read_back(ctx, ticket_id)
                u.amounts_equal(expected, u.deal_sum(listed, shape, "listed", [page]),
                                f"the listed {shape.deal_sum} differs from the update's response", [*evidence, page])
            for ticket_id, expected in zip(ids, start):
                got, exchange = put(ctx, ticket_id, unlink, f"unlinking deals {chosen}")
                u.amounts_equal(expected, u.deal_sum(got, shape, "response to unlinking", [exchange]),
                                f"{shape.deal_sum} did not return to its value before the links were added",
                                [evidence[0], exchange])
                evidence.append(exchange)
            for ticket_id, expected in zip(ids, start):
                listed, page = read_back(ctx, ticket_id)
                u.amounts_equal(expected, u.deal_sum(listed, shape, "listed", [page]),
                                f"the listed {shape.deal_sum} did not return to its value before the links were added",
                                [*evidence[-2:], page])
                u.unlinked_sums_are_zero([listed], shape, [page])
        except Violation:
            for ticket_id in ids:
                ctx.api.update(ticket_id, unlink)  # leave no link behind
            raise

    explore(ctx, strategy, test, max_examples=1,
            skip_simplest=True)


# -- dates ----------------------------------------------------------------------------------------------
@check(family="nullable-update", level="MUST", requires=WRITE,
       proves="A date-time sent with a non-UTC offset (+02:00, -05:30, ...) comes back as the same instant.")
def offset_dates_are_the_same_instant(ctx: RunContext) -> None:
    profile, writes, shape = writing(ctx)
    fields = [n for n in writes.date_fields if n in shape.kinds]
    if not fields:
        raise Skipped("no writable date-time field")
    (ticket,) = own_tickets(ctx)
    ticket_id = ticket[profile.id_field]
    strategy = st.fixed_dictionaries({n: s.offset_date_time_text() for n in fields})

    def test(drawn: dict[str, str]) -> None:
        for name, text in drawn.items():
            got, exchange = put(ctx, ticket_id, {name: text}, f"setting {name} with a UTC offset")
            _judge_value(ctx, shape, name, text, got, f"response to {name} {text}", [exchange])
            listed, page = read_back(ctx, ticket_id)
            _judge_value(ctx, shape, name, text, listed, f"listed after {name} {text}", [exchange, page])

    explore(ctx, strategy, test, max_examples=_examples(ctx, 4, 2))


# -- the stateful model ---------------------------------------------------------------------------------
@check(family="nullable-update", level="MUST", requires=WRITE,
       proves="Interleaved partial updates (values, nulls, absent fields, deal links) leave the "
              "ticket exactly as a model of the documented semantics predicts, in every response and in the list.")
def updates_match_model(ctx: RunContext) -> None:
    from conformance.machines.opine_updates import updates_machine

    profile, _, shape = writing(ctx)
    (ticket,) = own_tickets(ctx)
    ticket_id = ticket[profile.id_field]
    known = {name for item in ctx.api.full_walk().items for name in item}
    machine = updates_machine(
        profile=profile, shape=shape,
        fetch=lambda: read_back(ctx, ticket_id),
        send=lambda body: ctx.api.update(ticket_id, body),
        returned=lambda name, current: name in known or name in current,
        deal_ids=_observed_deal_ids(ctx, shape), priorities=_priorities(ctx, shape))
    ctx.run_machine(machine, examples=3, steps=6)
