"""Hypothesis strategies for offset pagination, built from the profile's bounds and the observed size.

``total`` is always the number of tickets the API itself showed (the oracle walk), never seed data.
Draws favour what finds bugs (short last pages, offsets at the end of the collection, page sizes
above the caps servers like to apply silently) while keeping each walk's request cost bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

SMALL = 50  # the largest "small" page size drawn for walks


@dataclass(frozen=True, order=True)
class WalkPlan:
    """Walk ``pages`` pages at ``limit`` from offset ``start`` (``start == 0`` and enough pages: the
    whole collection)."""

    limit: int
    start: int
    pages: int


def non_divisors(total: int, lo: int, hi: int) -> list[int]:
    """Limits in ``lo..hi`` that do not divide ``total`` (so the last page of a walk is short)."""
    limits = list(range(max(1, lo), max(lo, hi) + 1))
    if total < 2:
        return limits
    return [limit for limit in limits if total % limit != 0] or limits


def walk_plans(total: int, max_limit: int, page_budget: int = 25, window_pages: int = 8) -> st.SearchStrategy[WalkPlan]:
    """Small page sizes to walk at. When the whole collection fits in ``page_budget`` pages at some
    limit up to ``SMALL``, each plan walks all of it; otherwise (a large live collection) each plan
    walks ``window_pages`` pages from a drawn offset, to be compared with the same slice of the oracle.
    """
    hi_small = max(2, min(SMALL, max_limit - 1))
    lo = max(2, -(-total // page_budget))  # ceil(total / page_budget)
    if lo <= hi_small:
        hi = min(hi_small, max(lo + 12, 2 * lo))
        return st.builds(WalkPlan, st.sampled_from(non_divisors(total, lo, hi)), st.just(0),
                         st.just(page_budget + 1))
    return st.builds(WalkPlan, st.sampled_from(non_divisors(total, 2, hi_small)), st.integers(0, max(0, total - 1)),
                     st.just(window_pages))


def _offsets_for(limit: int, total: int) -> st.SearchStrategy[int]:
    """Offsets where a page's size changes: the start, just before the last full page, the end."""
    edges = sorted({max(0, o) for o in (0, 1, total - limit - 1, total - limit, total - limit + 1, total - 1,
                                        total, total + 1)})
    return st.one_of(st.sampled_from(edges), st.integers(0, total + limit))


def limit_offset_pairs(total: int, default_limit: int, max_limit: int) -> st.SearchStrategy[tuple[int, int]]:
    """``(limit, offset)`` with ``1 <= limit <= max_limit`` and ``0 <= offset``: small and large page
    sizes (including just above the usual silent caps 50 and ``default_limit``), offsets at the edges."""
    caps = sorted({v for v in (1, 2, 51, default_limit, default_limit + 1, max_limit) if 1 <= v <= max_limit})
    limits = st.one_of(st.integers(1, min(12, max_limit)), st.sampled_from(caps), st.integers(1, max_limit))
    return limits.flatmap(lambda limit: st.tuples(st.just(limit), _offsets_for(limit, total)))


__all__ = ["WalkPlan", "walk_plans", "limit_offset_pairs", "non_divisors", "SMALL"]
