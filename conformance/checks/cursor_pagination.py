"""Cursor pagination (``starting_after`` / ``ending_before`` / ``limit`` / ``has_more``).

The oracle is the unfiltered walk at the largest page size; walk-based checks share one *walk
sample* (``conformance.observe.cursor_walks``), drawn once per run from the seed.
"""

from __future__ import annotations


from contextlib import contextmanager
from typing import Any, Iterator

from hypothesis import strategies as st

from conformance.checks.registry import check
from conformance.machines.cursor import cursor_navigation
from conformance.model.exchange import Exchange
from conformance.model.violations import Skipped, Violation
from conformance.observe.context import RunContext
from conformance.observe.cursor_walks import (LARGE_MIN, aligned, draw, full_walk, full_walk_ids, newer, page,
                                              paging, require_tickets, tie_groups, walk_sample)
from conformance.observe.walks import Walk, page_from
from conformance.oracles import cursor_pagination as cp
from conformance.oracles.consistency import unknown_ids
from conformance.strategies.cursors import cursor_pages, positions

TAIL_PAGES = 6  # pages walked before the end when the list is too long to walk whole at a small size
TIE_GROUPS = 3  # tie groups probed by cursor_after_a_tie_keeps_its_siblings
TIE_MEMBERS = 6  # members of one group probed in each direction, at most
REQUIRES = ("cursor-pagination",)


# -- shared observations -------------------------------------------------------------------------


# -- walk-based checks ---------------------------------------------------------------------------


@check(family="pagination", level="MUST", requires=REQUIRES,
       proves="A starting_after walk, at the default, drawn and maximal page sizes, never returns a ticket twice.")
def pages_do_not_overlap(ctx: RunContext) -> None:
    require_tickets(ctx, 2)
    cp.pages_do_not_overlap(full_walk(ctx), ctx.profile.id_field)
    for sampled in walk_sample(ctx):
        cp.pages_do_not_overlap(sampled.walk, ctx.profile.id_field)


@check(family="pagination", level="MUST", requires=REQUIRES,
       proves="A starting_after walk at any page size ends with has_more false and yields exactly the "
              "tickets of the walk at the largest page size.")
def walk_reaches_every_ticket(ctx: RunContext) -> None:
    require_tickets(ctx, 2)
    with _narrower_causes(ctx, full_walk(ctx)):
        cp.walk_terminates(full_walk(ctx))
    complete = [s for s in walk_sample(ctx) if s.complete]
    if not complete:
        # Too long to walk to its end at a small page size: walk the tail of the list instead, from
        # a cursor TAIL_PAGES pages before the end, which must reach exactly the oracle's tail.
        if ctx.profile.paging.next_cursor is not None:
            raise Skipped("the list is too long to walk to its end at a smaller page size, and its cursors "
                          "are opaque (next_cursor): no walk can start near its end")
        _tail_reaches_the_end(ctx, next(s.limit for s in walk_sample(ctx) if s.limit) or LARGE_MIN)
    for sampled in complete:
        with _narrower_causes(ctx, sampled.walk, full_walk(ctx)):
            if not sampled.walk.complete:
                raise Violation(f"the walk at limit={sampled.limit or 'default'} did not end where the list ends",
                                expected=f"has_more false after {len(full_walk_ids(ctx))} tickets",
                                actual=sampled.walk.stop, exchanges=sampled.walk.exchanges[-2:])
            cp.walk_yields_the_oracle_set(*aligned(ctx, sampled.walk), ctx.profile.id_field)


@contextmanager
def _narrower_causes(ctx: RunContext, *walks: Walk) -> Iterator[None]:
    """A broken walk may be the symptom of a narrower bug another check pins down; the violation names
    it (``explained_by``) so that check, if it fails too, is reported as the root cause. Judged from
    the walks at hand only (no request): pages not holding their limit, one walk ending early where
    another goes on (the same tickets up to there), or only tie siblings of a page's last ticket lost."""
    try:
        yield
    except Violation as exc:
        causes: list[str] = []
        if any(_short_or_long_page(ctx, walk) for walk in walks):
            causes.append("limit_is_honoured")
        if len(walks) == 2:
            shorter, longer = sorted(walks, key=lambda w: len(w.items))
            if shorter.complete and _is_prefix(ctx, shorter, longer):
                causes.append("has_more_is_truthful")  # it said has_more false where the other walk went on
            if _only_tie_siblings_lost(ctx, *walks):
                causes.append("cursor_after_a_tie_keeps_its_siblings")
        exc.explained_by = tuple(causes)
        raise


def _is_prefix(ctx: RunContext, shorter: Walk, longer: Walk) -> bool:
    a, b = shorter.ids(ctx.profile.id_field), longer.ids(ctx.profile.id_field)
    return len(a) < len(b) and b[:len(a)] == a


def _short_or_long_page(ctx: RunContext, walk: Walk) -> bool:
    limit = walk.limit if walk.limit is not None else paging(ctx).default_limit
    return any(len(p.items) != limit for p in walk.pages[:-1] if p.items) or any(
        len(p.items) > limit for p in walk.pages)


def _only_tie_siblings_lost(ctx: RunContext, walk: Walk, oracle: Walk) -> bool:
    """Every ticket one walk lacks shares its ``created`` instant with the ticket before it in the other."""
    lost = []
    for a, b in ((walk, oracle), (oracle, walk)):
        have = {repr(i) for i in a.ids(ctx.profile.id_field)}
        items = b.items
        instants = cp.instants_of(items, ctx.profile.created_field)
        for position, item in enumerate(items):
            if repr(item.get(ctx.profile.id_field)) not in have:
                lost.append(position > 0 and instants[position] is not None
                            and instants[position] == instants[position - 1])
    return bool(lost) and all(lost)


def _tail_reaches_the_end(ctx: RunContext, limit: int) -> None:
    ids, p = full_walk_ids(ctx), paging(ctx)
    start = max(0, len(ids) - TAIL_PAGES * limit - 1)
    expected, got, shown = ids[start + 1:], [], []
    cursor, has_more = ids[start], True
    for _ in range(TAIL_PAGES + 2):
        exchange = ctx.api.list([(p.limit, str(limit)), (p.after, str(cursor))])
        shown.append(exchange)
        page_ = page_from(exchange, (), p.items).items
        got += [item.get(ctx.profile.id_field) for item in page_]
        has_more = exchange.json_object().get(p.has_more) is True
        if not has_more or not page_:
            break
        cursor = page_[-1].get(ctx.profile.id_field)
    if has_more or sorted(map(repr, got)) != sorted(map(repr, expected)):
        raise Violation(f"a walk at limit={limit} from {len(expected)} tickets before the end does not reach "
                        "exactly the last tickets of the list", expected=f"the last {len(expected)} tickets, "
                        "then has_more false", actual=f"{len(got)} tickets, has_more {has_more}",
                        exchanges=shown[-2:])


@check(family="pagination", level="MUST", requires=REQUIRES,
       proves="Lists come back newest first: created never increases along a walk, across page boundaries.")
def list_is_newest_first(ctx: RunContext) -> None:
    require_tickets(ctx, 2)
    cp.newest_first(full_walk(ctx), ctx.profile.created_field)
    for sampled in walk_sample(ctx):
        cp.newest_first(sampled.walk, ctx.profile.created_field)


@check(family="pagination", level="MUST", requires=REQUIRES,
       proves="Walks at different page sizes return the tickets in the same order, ties included.")
def tie_order_is_consistent(ctx: RunContext) -> None:
    require_tickets(ctx, 2)
    for sampled in walk_sample(ctx):
        cp.same_order(*aligned(ctx, sampled.walk), ctx.profile.id_field)


def _full_last_page_limits(ctx: RunContext) -> list[int]:
    """Page sizes L probed with an exactly full last page: 1, 10, the maximum and one drawn size, each
    below the number of tickets (so the cursor ``ids[N-L-1]`` exists)."""
    p, n = paging(ctx), len(full_walk_ids(ctx))
    drawn = draw(ctx, st.integers(2, max(2, p.largest_limit - 1)), 1, "full-last-page")
    limits = [1, min(10, p.largest_limit), p.largest_limit] + drawn
    return [limit for limit in dict.fromkeys(limits) if 1 <= limit <= p.largest_limit and limit < n]


@check(family="pagination", level="MUST", requires=REQUIRES,
       proves="On unfiltered walks has_more is true on every page but the last and false on the last, "
              "an exactly full last page (starting_after the ticket limit+1 from the end) says has_more false, "
              "and nothing follows the last page.")
def has_more_is_truthful(ctx: RunContext) -> None:
    p, ids = paging(ctx), full_walk_ids(ctx)
    full = full_walk(ctx)
    if full.complete:
        # Direct probes: a walk only ends on an exactly full page when the count is a multiple of its limit.
        for limit in _full_last_page_limits(ctx):
            probe = page(ctx, ((p.limit, str(limit)), (p.after, str(ids[len(ids) - limit - 1]))))
            cp.last_page_says_no_more(probe, ids, limit, p.items, p.has_more, ctx.profile.id_field)
    cp.has_more_matches_oracle(full, ids, p.has_more, ctx.profile.id_field)
    if full.complete and ids:
        probe = page(ctx, ((p.limit, "1"), (p.after, str(ids[-1]))))
        cp.nothing_after_the_last_page(full, probe, p.items, p.has_more)
    for sampled in walk_sample(ctx):
        cp.has_more_matches_oracle(sampled.walk, ids, p.has_more, ctx.profile.id_field)
        if sampled.complete and not sampled.walk.complete:
            raise Violation(f"the walk at limit={sampled.limit or 'default'} did not end with has_more false",
                            expected="has_more false on the page holding the last ticket",
                            actual=sampled.walk.stop, exchanges=sampled.walk.exchanges[-2:])


@check(family="pagination", level="MUST", requires=REQUIRES,
       proves="An unfiltered page holds exactly min(limit, remaining) tickets, never more than limit, at drawn "
              "page sizes and at the documented maximum.")
def limit_is_honoured(ctx: RunContext) -> None:
    total = len(full_walk_ids(ctx))
    # The documented maximum too: the oracle is the walk at limit=max_limit (it costs nothing more).
    cp.page_sizes_honour_limit(full_walk(ctx), paging(ctx).max_limit, total)
    explicit = [s for s in walk_sample(ctx) if s.limit is not None]
    for sampled in explicit:
        head = cp.newer_head(sampled.walk.items, full_walk(ctx), ctx.profile.id_field, ctx.profile.created_field)
        cp.page_sizes_honour_limit(sampled.walk, sampled.limit, total, head)  # type: ignore[arg-type]


@check(family="schema", level="MUST", requires=REQUIRES,
       proves="Where listed tickets carry `object`, it is one fixed string naming the resource kind on every ticket, "
              "never the list envelope's 'list' (every documented resource carries a fixed `object`).")
def ticket_object_names_one_kind(ctx: RunContext) -> None:
    p = paging(ctx)
    require_tickets(ctx)
    if not p.object_field:
        raise Skipped("the API documents no object field")
    cp.items_name_one_kind(full_walk(ctx), p.object_field, p.object_value or "")


# -- single-request checks -----------------------------------------------------------------------


@check(family="pagination", level="MUST", requires=REQUIRES,
       proves="Without limit a page holds min(default, total) tickets (default 10 for Copper) and has_more "
              "says whether more follow, also after a cursor.")
def default_limit_is_10(ctx: RunContext) -> None:
    p, ids = paging(ctx), full_walk_ids(ctx)
    default, n = p.default_limit, len(ids)
    first = page(ctx, ())
    cp.page_is(first, p.items, ctx.profile.id_field, ids[:default - min(default, newer(ctx)(cp.page_items(first, p.items)))],
               f"the first page without limit is not the first min({default}, {n}) tickets", newer=newer(ctx))
    if not newer(ctx)(cp.page_items(first, p.items)):  # else more tickets exist than the oracle counted
        cp.has_more_is(first, p.has_more, n > default, f"has_more of the first page without limit ({n} tickets)")
    if n < 2:
        return

    def probe(position: int) -> None:
        exchange = page(ctx, ((p.after, str(ids[position])),))
        cp.page_is(exchange, p.items, ctx.profile.id_field, ids[position + 1:position + 1 + default],
                   f"the page after position {position} without limit is not the next min({default}, "
                   f"remaining) tickets")

    for position in draw(ctx, positions(n - 1, []), 2, "default-limit-cursor"):
        probe(position)


@check(family="pagination", level="MUST", requires=REQUIRES,
       proves="limit=0 and limit=-1 are rejected (4xx) or clamped to 1 (the page of limit=1): never a server error, "
              "the default page or more than one ticket.")
def limit_below_1_is_rejected(ctx: RunContext) -> None:
    p = paging(ctx)
    for value in ("0", "-1"):
        exchange = ctx.api.list([(p.limit, value)])
        if 400 <= exchange.status < 500:
            continue
        one = page(ctx, ((p.limit, "1"),))  # asked only when a 200 (or a 5xx) needs comparing
        cp.below_min_is_rejected_or_clamped(exchange, one, p.items, ctx.profile.id_field, value, p.limit)


@check(family="pagination", level="MUST", requires=REQUIRES,
       proves="A limit above the documented maximum is rejected (4xx) or clamped: never more items than the maximum.")
def limit_above_max_is_capped(ctx: RunContext) -> None:
    p = paging(ctx)
    for value in (p.max_limit + 1, p.max_limit * 10):
        cp.capped(ctx.api.list([(p.limit, str(value))]), p.items, p.max_limit,
                  f"limit={value} (documented maximum {p.max_limit})")


def _ending_before_draws(ctx: RunContext) -> list[tuple[int, int]]:
    ids = require_tickets(ctx)
    strategy = cursor_pages(len(ids), tie_groups(ctx), paging(ctx).largest_limit)
    return draw(ctx, strategy, max(4, ctx.options.max_examples // 2), "ending-before")


def _ending_before(ctx: RunContext, position: int, limit: int) -> Exchange:
    p = paging(ctx)
    return page(ctx, ((p.limit, str(limit)), (p.before, str(full_walk_ids(ctx)[position]))))


@check(family="pagination", level="MUST", requires=REQUIRES,
       proves="ending_before=<id> returns the limit tickets immediately before that id, newest first.")
def ending_before_returns_the_preceding_page(ctx: RunContext) -> None:
    p, ids, id_field = paging(ctx), full_walk_ids(ctx), ctx.profile.id_field
    for position, limit in _ending_before_draws(ctx):
        expected = ids[max(0, position - limit):position]
        what = (f"ending_before the ticket at position {position} with limit={limit} is not the "
                f"{len(expected)} ticket(s) right before it")
        exchange = _ending_before(ctx, position, limit)
        cp.page_is(exchange, p.items, id_field, expected, what, cp.exchanges_at(full_walk(ctx), position),
                   newer=newer(ctx))
        items = cp.page_items(exchange, p.items)
        created = newer(ctx)(items)
        if created:  # tickets created since the oracle head the page: they must be the ones right before too
            following = page(ctx, ((p.limit, "1"), (p.after, str(items[created - 1].get(id_field)))))
            cp.page_is(following, p.items, id_field, (expected + [ids[position]])[:1],
                       f"{what}: its newer tickets are not followed by the rest of the list", [exchange])
    _nothing_before_the_newest(ctx)


def _nothing_before_the_newest(ctx: RunContext) -> None:
    """ending_before the list's current first ticket: nothing precedes it (at most tickets created since)."""
    p, id_field = paging(ctx), ctx.profile.id_field
    head = page_from(ctx.api.list([(p.limit, "1")]), (), p.items)
    if not head.items:
        return
    first = head.items[0].get(id_field)
    exchange = ctx.api.list([(p.limit, str(min(10, p.max_limit))), (p.before, str(first))])
    items = cp.page_items(exchange, p.items)
    if cp.newer_head(items, Walk(limit=1, pages=[head]), id_field, ctx.profile.created_field) != len(items):
        raise Violation(f"ending_before the first ticket of the list ({first!r}) returned tickets that do not "
                        "precede it", expected="an empty page (or only tickets created since)",
                        actual=[i.get(id_field) for i in items][:10], exchanges=[head.exchange, exchange])


@check(family="pagination", level="SHOULD", requires=REQUIRES,
       proves="Under ending_before, has_more says whether newer tickets exist beyond the page (the docs' "
              "has_more row is cut off, so this is SHOULD).")
def ending_before_has_more_is_truthful(ctx: RunContext) -> None:
    p = paging(ctx)
    for position, limit in _ending_before_draws(ctx):
        exchange = _ending_before(ctx, position, limit)
        created = newer(ctx)(cp.page_items(exchange, p.items))
        if created and position + created >= limit:
            continue  # tickets created since the oracle fill the page: whether more exist is unknown
        position += created
        cp.has_more_is(exchange, p.has_more, position - limit > 0,
                       f"has_more of ending_before the ticket at position {position} with limit={limit} "
                       f"({position} newer ticket(s) exist)")


@check(family="pagination", level="SHOULD", requires=REQUIRES,
       proves="starting_after together with ending_before (documented as mutually exclusive) is refused with a 4xx.")
def both_cursors_are_refused(ctx: RunContext) -> None:
    p, ids = paging(ctx), require_tickets(ctx, 2)
    after, before = ids[len(ids) // 2], ids[0]
    cp.both_cursors_refused(ctx.api.list([(p.after, str(after)), (p.before, str(before))]))


def _spread(members: range) -> list[int]:
    """All members when there are at most TIE_MEMBERS, else TIE_MEMBERS of them evenly spread, both ends included."""
    if len(members) <= TIE_MEMBERS:
        return list(members)
    return sorted({members[i * (len(members) - 1) // (TIE_MEMBERS - 1)] for i in range(TIE_MEMBERS)})


@check(family="pagination", level="SHOULD", requires=REQUIRES,
       proves="starting_after or ending_before an id the list never returned is refused (4xx) or answers an empty "
              "page, never silently the first page (the docs are silent, so this is SHOULD).")
def unknown_cursor_is_refused(ctx: RunContext) -> None:
    p, ids = paging(ctx), require_tickets(ctx)
    unknown = unknown_ids(ids)
    if not unknown:
        raise Skipped("could not derive an id the list never returned")
    for param in (name for name in (p.after, p.before) if name is not None):
        cp.unknown_cursor_refused(ctx.api.list([(param, unknown[0])]), p.items, ctx.profile.id_field, param,
                                  unknown[0])


@check(family="pagination", level="MUST", requires=REQUIRES,
       proves="starting_after a member of a created tie group returns its following siblings next, and "
              "ending_before a member returns the preceding ones: no tie is lost at a cursor.")
def cursor_after_a_tie_keeps_its_siblings(ctx: RunContext) -> None:
    p, ids, id_field = paging(ctx), full_walk_ids(ctx), ctx.profile.id_field
    groups = tie_groups(ctx)
    if not groups:
        raise Skipped("no two tickets share a created instant in this data: no tie to page across")
    chosen = sorted(groups, key=lambda g: (-(g[1] - g[0]), g[0]))[:TIE_GROUPS]
    for start, stop in sorted(chosen):
        # Every limit sent stays within the documented maximum (a large tie group is compared with a
        # clamped page's worth of siblings); a group larger than TIE_MEMBERS is probed at spread members.
        for q in _spread(range(start, stop - 1)):
            limit = min(stop - q, p.largest_limit)
            exchange = page(ctx, ((p.limit, str(limit)), (p.after, str(ids[q]))))
            cp.page_is(exchange, p.items, id_field, ids[q + 1:q + 1 + limit],
                       f"starting_after tie member {q - start + 1} of {stop - start} (position {q}) with "
                       f"limit={limit} does not return its following siblings next", cp.exchanges_at(full_walk(ctx), q))
        for q in _spread(range(start + 1, stop)):
            limit = min(q - start + 1, p.largest_limit)
            exchange = page(ctx, ((p.limit, str(limit)), (p.before, str(ids[q]))))
            cp.page_is(exchange, p.items, id_field, ids[max(0, q - limit):q],
                       f"ending_before tie member {q - start + 1} of {stop - start} (position {q}) with "
                       f"limit={limit} does not return its preceding siblings", cp.exchanges_at(full_walk(ctx), q),
                       newer=newer(ctx))


@check(family="pagination", level="MUST", requires=REQUIRES,
       proves="Interleaved first/next/previous/jump navigation (a state machine) always returns the model's "
              "slice of the list, with a truthful has_more on forward pages.")
def cursor_navigation_matches_model(ctx: RunContext) -> None:
    ids = require_tickets(ctx, 2)
    _after_the_last_is_an_empty_end(ctx, ids[-1])
    machine = cursor_navigation(lambda params: ctx.api.list(list(params)), paging(ctx), ids,
                                ctx.profile.id_field, tie_groups(ctx), newer=newer(ctx))
    examples = max(5, ctx.options.max_examples // 3)  # each step is one request: about 10 per example
    ctx.run_machine(machine, examples=examples, steps=10)


def _after_the_last_is_an_empty_end(ctx: RunContext, last: Any) -> None:
    """The walk's last step, asked directly (a drawn navigation reaches it only by luck): a cursor at
    the very last ticket is a valid id, so the answer is the empty end of the list, not an error and
    not the list again."""
    p = paging(ctx)
    exchange = page(ctx, ((p.after, str(last)),))
    what = f"starting_after the last listed ticket ({last!r}) must answer the empty end of the list"
    if exchange.status != 200:
        raise Violation(what, expected="200 with no tickets and has_more false", actual=exchange.status,
                        exchanges=[exchange])
    cp.page_is(exchange, p.items, ctx.profile.id_field, [], what)
    cp.has_more_is(exchange, p.has_more, False, what)
