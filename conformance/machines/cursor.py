"""Cursor navigation as a state machine: first, next, previous and jump, against the walk's order.

The model is the oracle walk's id sequence (what the API returned at the largest page size). The
state is the current page as a ``[start, stop)`` slice of that sequence. Each rule asks for one page
with a drawn ``limit``; the invariant compares the answer with the model slice:

* first page (no cursor, once per run) -> ``ids[0:limit]``,        has_more == ``limit < n``
* next page (``starting_after`` the last id)  -> ``ids[stop:stop+limit]``, has_more == more follow
* jump (``starting_after`` any known id at p) -> ``ids[p+1:p+1+limit]``,  has_more == more follow
* previous page (``ending_before`` the first id) -> ``ids[max(0,start-limit):start]``

``has_more`` is asserted only on forward pages: its meaning under ``ending_before`` is not
documented (its own SHOULD check covers it).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from conformance.oracles.cursor_pagination import has_more_is, page_is
from conformance.model.exchange import Exchange
from conformance.profiles.base import CursorPaging
from conformance.strategies.cursors import positions

Fetch = Callable[[Sequence[tuple[str, str]]], Exchange]


def cursor_navigation(fetch: Fetch, paging: CursorPaging, ids: Sequence[Any], id_field: str,
                      groups: Sequence[tuple[int, int]], max_page: int = 8) -> type[RuleBasedStateMachine]:
    """A machine class navigating the list with cursors; ``ids`` is the model (newest first)."""
    n = len(ids)
    ids = list(ids)
    small = st.integers(1, min(max_page, paging.largest_limit))
    limits = st.one_of(small, small, small, st.integers(1, paging.largest_limit))  # mostly small pages
    where = positions(n, groups)

    class CursorNavigation(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.current: tuple[int, int] | None = None
            self.pending: tuple[Exchange, list[Any], bool | None, str] | None = None
            self.trail: list[Exchange] = []  # the previous pages, so a failure shows how it got there

        def _ask(self, params: list[tuple[str, str]], start: int, stop: int, forward: bool, what: str) -> None:
            exchange = fetch(params)
            self.pending = (exchange, ids[start:stop], (stop < n) if forward else None, what)
            self.current = (start, stop)

        def _forward(self, after: int | None, limit: int, what: str) -> None:
            params = [(paging.limit, str(limit))]
            start = 0
            if after is not None:
                params.append((paging.after, str(ids[after])))
                start = after + 1
            self._ask(params, start, min(n, start + limit), True, what)

        @initialize(limit=limits)
        def first_page(self, limit: int) -> None:
            self._forward(None, limit, f"first page at limit={limit}")

        @precondition(lambda self: self.current is not None and self.current[0] < self.current[1] < n)
        @rule(limit=limits)
        def next_page(self, limit: int) -> None:
            assert self.current is not None
            last = self.current[1] - 1
            self._forward(last, limit, f"next page: starting_after the last id (position {last}), limit={limit}")

        @precondition(lambda self: self.current is not None and self.current[0] < self.current[1])
        @rule(limit=limits)
        def previous_page(self, limit: int) -> None:
            assert self.current is not None
            first = self.current[0]
            params = [(paging.limit, str(limit)), (paging.before, str(ids[first]))]
            self._ask(params, max(0, first - limit), first, False,
                      f"previous page: ending_before the first id (position {first}), limit={limit}")

        @rule(position=where, limit=limits)
        def jump(self, position: int, limit: int) -> None:
            self._forward(position, limit, f"jump: starting_after the id at position {position}, limit={limit}")

        @invariant()
        def page_matches_model(self) -> None:
            if self.pending is None:
                return
            exchange, expected, more, what = self.pending
            self.pending = None
            context = list(reversed(self.trail[-2:]))
            page_is(exchange, paging.items, id_field, expected,
                    f"{what}: the page is not the model's slice of the list", context)
            if more is not None:
                has_more_is(exchange, paging.has_more, more, f"{what}: has_more disagrees with the model")
            self.trail.append(exchange)

    return CursorNavigation
