"""Malformed query parameters and ids: whatever an API chooses to do with them, it must not be a 5xx.

The vendors document 4xx as "a problem with the request" and 5xx as their own fault (C-ERR, O-DL),
so a 5xx answer to bad input contradicts the docs; refusing (any 4xx) and ignoring (a 2xx) both pass.
"""

from __future__ import annotations

from conformance.oracles.robustness import no_server_error
from conformance.profiles.base import CursorPaging, OffsetPaging
from conformance.observe.context import RunContext
from conformance.checks.registry import check

NOT_INTEGERS = ("abc", "1.5", "", "1e3", "\uff19", "99999999999999999999999")
ODD_TEXT = ("'", '"%_\\', "\u00e9\u0301", "\U0001F3AB", "a" * 2000)


def _malformed_queries(ctx: RunContext) -> list[tuple[tuple[str, str], ...]]:
    paging = ctx.profile.paging
    queries: list[tuple[tuple[str, str], ...]] = [((paging.limit, value),) for value in NOT_INTEGERS]
    if isinstance(paging, OffsetPaging):
        queries += [((paging.offset, value),) for value in NOT_INTEGERS]
    if isinstance(paging, CursorPaging):
        queries += [((paging.after, value),) for value in ("", *ODD_TEXT[:3])]
        if paging.before is not None:  # an API without a backward cursor (profile option paging.before)
            queries += [((paging.before, value),) for value in ("", ODD_TEXT[0])]
    for text_filter in (ctx.profile.location, ctx.profile.search):
        if text_filter is not None:
            queries += [((text_filter.param, value),) for value in ODD_TEXT]
    return queries


ODD_IDS = ("'", "\u00e9", "0" * 40, "-1", "1.5")


@check(family="schema", level="MUST", requires=("list",),
       proves="Malformed or odd query parameters (non-integer limits and offsets, empty or odd cursors, quotes "
              "and long strings in text filters) are refused with a 4xx or ignored, never answered with a 5xx.")
def malformed_parameters_never_cause_server_errors(ctx: RunContext) -> None:
    for query in _malformed_queries(ctx):
        shown = "&".join(f"{k}={v[:20]!r}" for k, v in query)
        no_server_error(ctx.api.list(list(query)), f"the query {shown}")
    if "retrieve" in ctx.profile.operations:
        for ticket_id in ODD_IDS:
            no_server_error(ctx.api.retrieve(ticket_id), f"retrieving the id {ticket_id!r}")
