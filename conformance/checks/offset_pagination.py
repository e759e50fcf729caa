"""Offset pagination checks (``limit`` / ``offset`` / ``totalCount``), drawn with Hypothesis.

The oracle is the walk at the largest page size (``ctx.api.full_walk()``); every other observation
is compared with it. Walks and pages are memoized per run (until a write), so checks that look at
the same observation from different angles pay for it once.
"""

from __future__ import annotations

from typing import Any

from conformance.oracles import offset_pagination as op
from conformance.profiles.base import OPTIONS, OffsetPaging
from conformance.strategies.bodies import minimal_create_body
from conformance.strategies.pages import WalkPlan, limit_offset_pairs, walk_plans
from conformance.observe.context import RunContext
from conformance.observe.stability import judged_while_stable
from conformance.model.violations import Inconclusive, Violation
from conformance.checks.registry import check
from conformance.observe.api import WALK_AHEAD
from conformance.observe.walks import Page, Params, Walk, page_from
from conformance.model.exchange import Exchange
from conformance.observe.memo import memo_key

NEGATIVE_OFFSETS = (-1, -5)
FILLER_MARGIN = 20  # a collection must exceed the default page size by this much to show silent caps
MAX_FILLERS = 150  # never create more than this many tickets to grow a small collection


def _paging(ctx: RunContext) -> OffsetPaging:
    paging = ctx.profile.paging
    assert isinstance(paging, OffsetPaging)
    return paging


def _echoes(ctx: RunContext) -> bool:
    """Whether the body echoes the applied limit and offset (option ``paging.echoes``)."""
    return OPTIONS["paging.echoes"](ctx.profile)


def _oracle(ctx: RunContext) -> tuple[Walk, int]:
    """The walk at the maximum page size and the number of distinct tickets it showed."""
    walk = ctx.api.full_walk()
    return walk, len({repr(i) for i in walk.ids(ctx.profile.id_field)})


def _request(ctx: RunContext, params: Params) -> Exchange:
    return ctx.api.memo(memo_key("offset-request", params), lambda: ctx.api.list(params))


def _page(ctx: RunContext, limit: int | None, offset: int | None) -> Page:
    """One page (memoized); a non-200 answer raises ``ApiError``, which fails the check."""
    paging = _paging(ctx)
    params: Params = tuple((k, str(v)) for k, v in ((paging.limit, limit), (paging.offset, offset)) if v is not None)
    return page_from(_request(ctx, params), params, paging.items_key, paging.total_key)


def _unstated_limit(ctx: RunContext) -> int | None:
    """The limit of a request that is about the offset: none (the default applies) when a default is
    documented; else the largest page size, since without a default an offset alone may not page at all
    (json-server slices only when a limit is sent)."""
    paging = _paging(ctx)
    return None if paging.default_limit is not None else paging.largest_limit


def _page_unless_refused_past_end(ctx: RunContext, limit: int | None, offset: int, total: int) -> Page | None:
    """Like ``_page``, but None when an offset past the end was refused with a 4xx (a choice the docs
    allow: offset has no documented maximum; offset_past_the_end_is_empty judges that answer)."""
    paging = _paging(ctx)
    params: Params = tuple((k, str(v)) for k, v in ((paging.limit, limit), (paging.offset, offset)) if v is not None)
    exchange = _request(ctx, params)
    if offset >= total and 400 <= exchange.status < 500:
        return None
    return page_from(exchange, params, paging.items_key, paging.total_key)


def _walk(ctx: RunContext, plan: WalkPlan, total: int) -> Walk:
    """Pages at ``plan.limit`` from ``plan.start``, advancing the offset by the limit, until a short page
    (the end) or ``plan.pages`` pages. The end is judged from page sizes only, not from totalCount; the
    oracle's ``total`` only says how many pages a parallel run may ask at once (``Api.prefetch``): as
    many as the one-by-one walk asks for while the collection holds still."""

    def compute() -> Walk:
        walk = Walk(limit=plan.limit)
        reach = max(0, total - plan.start) // plan.limit + 1  # pages up to the first short one
        while len(walk.pages) < plan.pages:
            k = len(walk.pages)
            batch = [plan.start + (k + j) * plan.limit for j in range(max(1, min(WALK_AHEAD, reach - k, plan.pages - k)))]
            for opened in ctx.api.prefetch([lambda at=at: _page(ctx, plan.limit, at) for at in batch]):
                page = opened()
                walk.pages.append(page)
                if len(page.items) < plan.limit:
                    walk.stop = "end"
                    return walk
        walk.stop = f"window of {plan.pages} pages"
        return walk

    return ctx.api.memo(memo_key("offset-walk", plan), compute)


def _drawn(ctx: RunContext, strategy: Any, salt: str, total: int, examples: int) -> list[Any]:
    """Values drawn reproducibly from the run's seed, deduplicated in draw order (memoized per run, so
    checks sharing a draw also share the requests it leads to)."""

    def draw() -> list[Any]:
        values: list[Any] = []
        ctx.explore(strategy, lambda v: values.append(v) if v not in values else None, max_examples=examples,
                    salt=salt)
        return values

    return ctx.api.memo(memo_key("offset-draw", salt, total, examples), draw)


def _plans(ctx: RunContext, total: int) -> list[WalkPlan]:
    return _drawn(ctx, walk_plans(total, _paging(ctx).largest_limit), "offset-walk-plans", total,
                  max(3, ctx.options.max_examples // 3))


def _pairs(ctx: RunContext, total: int) -> list[tuple[int, int]]:
    paging = _paging(ctx)
    return _drawn(ctx, limit_offset_pairs(total, paging.default_limit or 1, paging.largest_limit), "offset-limit-offset-pairs", total,
                  ctx.options.max_examples)


@check(family="pagination", level="MUST", requires=("offset-pagination",),
       proves="Walking all pages at any limit visits every ticket exactly once, in the same order as at the "
              "maximum limit.")
def offset_walk_is_complete_and_stable(ctx: RunContext) -> None:
    judged_while_stable(ctx, lambda: _offset_walk_is_complete_and_stable(ctx), "offset walk is complete and stable")


def _offset_walk_is_complete_and_stable(ctx: RunContext) -> None:
    oracle, total = _oracle(ctx)
    id_field = ctx.profile.id_field
    op.walk_reached_the_end(oracle)
    op.no_ticket_twice(oracle, id_field)
    op.walk_covers_the_total(oracle, _paging(ctx).total_key, id_field)
    undecided = ""
    for plan in _plans(ctx, total):
        walk = _walk(ctx, plan, total)
        counts = {page.body.get(_paging(ctx).total_key) for page in walk.pages}
        if counts <= {oracle.pages[-1].body.get(_paging(ctx).total_key)}:  # the collection held still
            op.no_ticket_twice(walk, id_field)
            op.walk_matches_oracle(walk, plan.start, oracle, id_field)
            continue
        # Others wrote during the walk: judge the tickets present throughout (before and after it).
        ctx.api.forget()
        undecided = op.walk_matches_moving_oracle(walk, plan.start, oracle, ctx.api.full_walk(), id_field) or undecided
    if undecided:
        raise Inconclusive(undecided)


@check(family="pagination", level="MUST", requires=("offset-pagination",),
       proves="totalCount is the number of tickets in the collection on every page, whatever limit and offset.")
def total_count_is_the_collection_size(ctx: RunContext) -> None:
    judged_while_stable(ctx, lambda: _total_count_is_the_collection_size(ctx), "total count is the collection size")


def _total_count_is_the_collection_size(ctx: RunContext) -> None:
    paging = _paging(ctx)
    oracle, total = _oracle(ctx)
    walks = [oracle] + [_walk(ctx, plan, total) for plan in _plans(ctx, total)]
    beyond = _page_unless_refused_past_end(ctx, _unstated_limit(ctx), total + 50, total)
    if beyond is not None:  # an offset past the end may be refused (offset_past_the_end_is_empty)
        walks.append(Walk(limit=None, pages=[beyond], stop="end"))
    try:
        op.total_count_is_constant(walks, paging.total_key, total)
    except Violation:
        ctx.api.forget()
        after = ctx.api.full_walk()
        old, new = {repr(i) for i in oracle.ids(ctx.profile.id_field)}, {repr(i) for i in after.ids(ctx.profile.id_field)}
        if new == old or not old <= new:  # nothing appeared (a true finding), or tickets disappeared
            raise
        # Others created tickets meanwhile: a count between the sizes before and after is true.
        op.total_count_is_constant(walks, paging.total_key, total, len(new))


def _grow_small_collection(ctx: RunContext, total: int) -> None:
    """With writes allowed, create marked tickets until the collection exceeds the default page size by
    ``FILLER_MARGIN`` (a silent cap below that would be invisible). Idempotent across runs: the
    tickets created by earlier runs count, so a second run creates none."""
    paging = _paging(ctx)
    wanted = (paging.default_limit or 0) + FILLER_MARGIN + 1
    if not ctx.options.allow_writes or not ctx.profile.writes or total >= wanted:
        return
    for n in range(min(wanted - total, MAX_FILLERS)):
        ctx.api.create(minimal_create_body(ctx.profile, f"pagination filler {total + n + 1}"))


@check(family="pagination", level="MUST", requires=("offset-pagination",), fills=True,
       proves="Every page holds exactly min(limit, totalCount - offset) tickets: no silent cap on page sizes.")
def offset_page_size_is_exact(ctx: RunContext) -> None:
    judged_while_stable(ctx, lambda: _offset_page_size_is_exact(ctx), "offset page size is exact")


def _offset_page_size_is_exact(ctx: RunContext) -> None:
    paging = _paging(ctx)
    _, total = _oracle(ctx)
    _grow_small_collection(ctx, total)
    _, total = _oracle(ctx)
    # Always asked: the largest page and one just above the default (what a silent cap would cut).
    pairs = [(paging.largest_limit, 0), (min((paging.default_limit or 1) + 1, paging.largest_limit), 0)]
    pairs += [p for p in _pairs(ctx, total) if p not in pairs]
    for limit, offset in pairs:
        page = _page_unless_refused_past_end(ctx, limit, offset, total)
        if page is not None:
            op.page_size_is_exact(page, limit, offset, total)


@check(family="pagination", level="MUST", requires=("offset-pagination",),
       proves="The envelope echoes the limit and offset a request asked for.")
def limit_and_offset_are_echoed(ctx: RunContext) -> None:
    judged_while_stable(ctx, lambda: _limit_and_offset_are_echoed(ctx), "limit and offset are echoed")


def _limit_and_offset_are_echoed(ctx: RunContext) -> None:
    paging = _paging(ctx)
    _, total = _oracle(ctx)
    for limit, offset in _pairs(ctx, total):
        if offset < max(total, 1):  # past the end, a server may echo the offset it applied
            op.envelope_echoes(_page(ctx, limit, offset), paging.limit, paging.offset, limit, offset)


@check(family="pagination", level="MUST", requires=("offset-pagination",),
       proves="Without a limit a page holds the documented default number of tickets and (where the body echoes "
              "the applied values) echoes that limit.")
def offset_default_limit_is_documented(ctx: RunContext) -> None:
    judged_while_stable(ctx, lambda: _offset_default_limit_is_documented(ctx), "offset default limit is documented")


def _offset_default_limit_is_documented(ctx: RunContext) -> None:
    paging = _paging(ctx)
    _, total = _oracle(ctx)
    op.default_page(_page(ctx, None, None), paging.limit, paging.default_limit, total, echoes=_echoes(ctx))


@check(family="pagination", level="MUST", requires=("offset-pagination",),
       proves="Without an offset a list starts at offset 0 (the documented default) and (where the body echoes "
              "the applied values) echoes offset 0.")
def offset_defaults_to_0(ctx: RunContext) -> None:
    judged_while_stable(ctx, lambda: _offset_defaults_to_0(ctx), "offset defaults to 0")


def _offset_defaults_to_0(ctx: RunContext) -> None:
    paging = _paging(ctx)
    _, total = _oracle(ctx)
    small = min(10, paging.largest_limit, max(total, 1))
    op.default_offset_is_0(_page(ctx, small, None), _page(ctx, small, 0), paging.offset, ctx.profile.id_field,
                           echoes=_echoes(ctx))
    op.default_offset_is_0(_page(ctx, None, None), _page(ctx, paging.default_limit, 0), paging.offset,
                           ctx.profile.id_field, echoes=_echoes(ctx))


@check(family="pagination", level="MUST", requires=("offset-pagination",),
       proves="A limit below 1 (0, -1) is rejected, or served as 1 (the limit=1 page); never an empty or a "
              "default-sized page.")
def offset_limit_below_1_is_rejected(ctx: RunContext) -> None:
    judged_while_stable(ctx, lambda: _offset_limit_below_1_is_rejected(ctx), "offset limit below 1 is rejected")


def _offset_limit_below_1_is_rejected(ctx: RunContext) -> None:
    paging = _paging(ctx)
    one = _page(ctx, 1, 0)
    for limit in (0, -1):
        exchange = _request(ctx, ((paging.limit, str(limit)),))
        op.below_min_is_rejected_or_clamped(exchange, one, paging.items_key, paging.limit, ctx.profile.id_field, limit,
                                            echoes=paging.echoes)


@check(family="pagination", level="MUST", requires=("offset-pagination",),
       proves="A limit above the maximum is rejected, or served as the maximum (or the default) would be: a "
              "full page of that size, never more tickets than the maximum and never a short page.")
def offset_limit_above_max_is_capped(ctx: RunContext) -> None:
    judged_while_stable(ctx, lambda: _offset_limit_above_max_is_capped(ctx), "offset limit above max is capped")


def _above_max_query(ctx: RunContext, limit: int) -> Params:
    """A limit above the maximum from offset 0, stated: the default offset is another check's rule."""
    paging = _paging(ctx)
    return ((paging.limit, str(limit)), (paging.offset, "0"))


def _offset_limit_above_max_is_capped(ctx: RunContext) -> None:
    paging = _paging(ctx)
    _, total = _oracle(ctx)
    for limit in (paging.max_limit + 1, 5 * paging.max_limit):
        exchange = _request(ctx, _above_max_query(ctx, limit))
        op.over_max_is_rejected_or_capped(exchange, paging.items_key, paging.limit, limit, paging.max_limit,
                                          echoes=paging.echoes, total=total, default_limit=paging.default_limit)


@check(family="pagination", level="SHOULD", requires=("offset-pagination",),
       proves="A limit above the maximum that is clamped is echoed as the limit applied, never above the maximum.")
def clamped_limit_is_echoed_as_applied(ctx: RunContext) -> None:
    paging = _paging(ctx)
    for limit in (paging.max_limit + 1, 5 * paging.max_limit):
        exchange = _request(ctx, _above_max_query(ctx, limit))
        op.clamped_limit_is_echoed_as_applied(exchange, paging.limit, limit, paging.max_limit)


@check(family="pagination", level="MUST", requires=("offset-pagination",),
       proves="A negative offset is rejected, or treated as 0; never read from the end of the collection.")
def negative_offset_is_rejected(ctx: RunContext) -> None:
    judged_while_stable(ctx, lambda: _negative_offset_is_rejected(ctx), "negative offset is rejected")


def _negative_offset_is_rejected(ctx: RunContext) -> None:
    paging = _paging(ctx)
    limit = min(10, paging.largest_limit)
    first = _page(ctx, limit, 0)
    for offset in NEGATIVE_OFFSETS:
        exchange = _request(ctx, ((paging.limit, str(limit)), (paging.offset, str(offset))))
        op.negative_offset_is_rejected_or_clamped(exchange, first, paging.items_key, ctx.profile.id_field, offset)


@check(family="pagination", level="MUST", requires=("offset-pagination",),
       proves="An offset at or past the end gives an empty page with totalCount still the collection size, or a 4xx.")
def offset_past_the_end_is_empty(ctx: RunContext) -> None:
    judged_while_stable(ctx, lambda: _offset_past_the_end_is_empty(ctx), "offset past the end is empty")


def _offset_past_the_end_is_empty(ctx: RunContext) -> None:
    paging = _paging(ctx)
    _, total = _oracle(ctx)
    for offset in (total, total + 50):
        limit = _unstated_limit(ctx)
        exchange = _request(ctx, ((paging.offset, str(offset)),) + (((paging.limit, str(limit)),) if limit else ()))
        op.past_the_end_is_empty(exchange, paging.items_key, paging.total_key, offset, total)
