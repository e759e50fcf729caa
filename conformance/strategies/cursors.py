"""Hypothesis strategies for cursor pagination, built from the profile's bounds and an observed walk.

Everything here is drawn from what the API returned: ``n`` is the number of tickets in the oracle
walk and ``groups`` are its tie groups (``(start, stop)`` positions of tickets sharing one
``created`` instant). Draws favour what finds bugs (page boundaries inside tie groups, small pages,
cursors on tie members) while keeping the request cost bounded by the caller.
"""

from __future__ import annotations

from typing import Sequence

from hypothesis import strategies as st

Groups = Sequence[tuple[int, int]]


def splits_a_group(limit: int, groups: Groups, within: int | None = None) -> bool:
    """True when a walk from the top at ``limit`` puts a page boundary inside a tie group.

    A boundary at ``k * limit`` splits group ``[start, stop)`` when ``start < k * limit < stop``.
    ``within`` ignores groups that start at or past that many items (a walk stopped early).
    """
    for start, stop in groups:
        if within is not None and start >= within:
            continue
        first_boundary = (start // limit + 1) * limit
        if first_boundary < stop:
            return True
    return False


def splitting_limits(groups: Groups, lo: int, hi: int, within_pages: int | None = None) -> list[int]:
    """Limits in ``lo..hi`` whose page boundaries (from the top) fall inside a tie group."""
    return [limit for limit in range(max(1, lo), hi + 1)
            if splits_a_group(limit, groups, None if within_pages is None else limit * within_pages)]


def favouring(preferred: Sequence[int], lo: int, hi: int) -> st.SearchStrategy[int]:
    """An integer in ``lo..hi``, drawn from ``preferred`` about two times in three (first example: the
    smallest preferred value)."""
    anything = st.integers(lo, hi)
    if not preferred:
        return anything
    preferred = sorted(set(preferred))
    chosen = st.sampled_from(preferred)
    return st.one_of(chosen, chosen, anything)


def walk_limits(groups: Groups, lo: int, hi: int, within_pages: int | None = None) -> st.SearchStrategy[int]:
    """Page sizes for walks from the top, favouring those that split a tie group."""
    return favouring(splitting_limits(groups, lo, hi, within_pages), lo, hi)


def tie_positions(groups: Groups) -> list[int]:
    return [p for start, stop in groups for p in range(start, stop)]


def positions(n: int, groups: Groups) -> st.SearchStrategy[int]:
    """A position in the oracle (``0..n-1``), favouring tie members, the first and the last ticket."""
    assert n > 0
    special = sorted(set(tie_positions(groups)) | {0, n - 1})
    return favouring(special, 0, n - 1)


def small_limits(max_limit: int, hi: int = 12) -> st.SearchStrategy[int]:
    """Page sizes for single-page probes: mostly small, sometimes anything up to the maximum."""
    return st.one_of(st.integers(1, min(hi, max_limit)), st.integers(1, min(hi, max_limit)),
                     st.integers(1, max_limit))


def cursor_pages(n: int, groups: Groups, max_limit: int) -> st.SearchStrategy[tuple[int, int]]:
    """(position, limit) pairs for one cursor request: a ticket of the oracle and a page size.

    Favours pairs where the page does not reach the end of the list (``limit < position``), so a
    page holding the wrong end of the range is visible, and cursors on tie members.
    """
    return st.tuples(positions(n, groups), small_limits(max_limit))
