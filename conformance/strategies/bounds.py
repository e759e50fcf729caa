"""Bounds for the ``created`` filters, drawn from the instants an API actually returned.

Everything works on a ``checks.filters.Timeline`` (the unfiltered walk). A bound's cost is the size
of the filtered walk it asks for: lower bounds (gt/gte) select the newest tickets, upper bounds
(lt/lte) the oldest, so the cheap lower bounds lie near the newest end of the list and the cheap
upper bounds near the oldest end, whatever the volume of data. ``max_items`` caps that size.

Deterministic picks (``key_*``) make sure every run tries what finds bugs (ties, 1 ms neighbours,
whole seconds, the ends of the list); the Hypothesis strategies add seeded variety on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

from hypothesis import strategies as st

from conformance.oracles.filters import LOWER, UPPER, Timeline
from conformance.oracles.instants import NS_PER_MS, NS_PER_S, format_utc

MS = NS_PER_MS
DAY_NS = 86_400 * NS_PER_S
#: Non-UTC offsets (minutes) an instant is rewritten in: east, west, and a half-hour zone.
OFFSETS = (120, -300, 330)
#: Sub-millisecond displacements (ns) and the fraction digits that write them exactly.
SUB_MS = ((MS // 2, 4), (1_000, 6), (-(MS // 10), 4), (MS - 1_000, 6), (1, 9))


@dataclass(frozen=True)
class Grain:
    """How a created bound is written, and so the finest step between two instants a bound can name:
    ISO 8601 (``unit`` None; steps of 1 ms, finer where a check writes more digits) or a unix number
    of seconds or milliseconds (profile ``timestamp_formats`` without ``iso``: unix-s, unix-ms)."""

    step: int = MS
    unit: int | None = None  # ns per unit of a unix value

    def spell(self, ns: int) -> str:
        if self.unit is None:
            return spell(ns)
        whole, rest = divmod(ns, self.unit)
        # Checks name whole units only (``nameable``); an instant between two is written as it is.
        return str(whole) if not rest else str(Decimal(ns) / self.unit)


ISO = Grain()


def grain_of(formats: Sequence[str]) -> Grain:
    """The grain of the filter values an API takes: ISO 8601 when it writes instants that way, else
    its unix format (Stripe-style APIs take ``created[gt]`` in the unit they return ``created`` in)."""
    if "iso" in formats or not formats:
        return ISO
    unit = NS_PER_MS if formats[0] == "unix-ms" else NS_PER_S
    return Grain(step=unit, unit=unit)


def around(step: int = MS) -> tuple[int, int, int]:
    """Displacements of a bound: the instant itself and one step (1 ms in ISO 8601) either side."""
    return (-step, 0, step)


def side_of(op: str) -> str:
    return "lower" if op in LOWER else "upper"


def spell(ns: int, digits: int | None = None, offset_minutes: int = 0) -> str:
    """ISO 8601 for ``ns``: UTC ``Z`` or a numeric offset; by default with 3 fraction digits, or 6/9
    when the instant needs them (never rounded)."""
    if digits is None:
        digits = 3 if ns % MS == 0 else 6 if ns % 1_000 == 0 else 9
    return format_utc(ns, digits, offset_minutes)


def cost(timeline: Timeline, side: str, ns: int) -> int:
    """Tickets a lower (>=) or upper (<=) bound at ``ns`` selects: the size of its filtered walk."""
    return timeline.count_between(low=ns) if side == "lower" else timeline.count_between(high=ns)


def nameable(instants: Sequence[int], step: int = MS) -> list[int]:
    """The instants a bound can name: all of them in ISO 8601 (any precision can be written), only
    whole units in a unix format (``step`` coarser than 1 ms)."""
    return list(instants) if step <= MS else [ns for ns in instants if ns % step == 0]


def cheap_instants(timeline: Timeline, side: str, max_items: int, step: int = MS) -> list[int]:
    """Distinct instants whose bound on ``side`` selects at most ``max_items`` tickets (even one
    ``step`` outward), newest first; only instants a bound can name."""
    instants = nameable(timeline.instants(), step)
    if side == "lower":
        return [ns for ns in instants if cost(timeline, side, ns - step) <= max_items]
    return [ns for ns in instants if cost(timeline, side, ns + step) <= max_items]


def _tie_straddles(timeline: Timeline, ns: int, page: int) -> bool:
    positions = [p for p, i in enumerate(timeline.ids) if timeline.created[i] == ns]
    first, last = positions[0], positions[-1]
    return any(first < k * page <= last for k in range(1, last // page + 2))


def key_instants(timeline: Timeline, side: str, max_items: int, page: int, step: int = MS) -> list[int]:
    """What every run tries on ``side``: the end of the list, two tie instants (one whose group a
    page boundary splits, where there is one), an instant with a ticket one step away, a whole second."""
    cheap = cheap_instants(timeline, side, max_items, step)
    if not cheap:
        return []
    ordered = cheap if side == "lower" else cheap[::-1]  # cheapest first
    picks: list[int] = [ordered[0]]
    ties = [ns for ns, _ in timeline.tie_groups() if ns in set(cheap)]
    ties = ties if side == "lower" else ties[::-1]
    picks += ties[:1]
    if side == "lower":
        picks += [ns for ns in ties if _tie_straddles(timeline, ns, page)][:1]
    picks += ties[1:2]
    have = set(timeline.created.values())
    picks += [ns for ns in ordered if ns - step in have or ns + step in have][:1]
    picks += [ns for ns in ordered if ns % NS_PER_S == 0][:1]
    return list(dict.fromkeys(picks))


def key_bounds(timeline: Timeline, op: str, max_items: int, page: int, step: int = MS) -> list[int]:
    """Each key instant, and one step (1 ms) before and after it."""
    found = [ns + d for ns in key_instants(timeline, side_of(op), max_items, page, step) for d in around(step)]
    return list(dict.fromkeys(found))


def bound_instants(timeline: Timeline, op: str, max_items: int, step: int = MS) -> st.SearchStrategy[int]:
    """A cheap instant for ``op``: a present instant (tie instants twice as likely), one step (1 ms)
    either side of it, or a point between two neighbouring instants."""
    cheap = cheap_instants(timeline, side_of(op), max_items, step)
    if not cheap:
        return st.nothing()
    ties = [ns for ns, _ in timeline.tie_groups() if ns in set(cheap)]
    present = st.sampled_from(cheap + ties)
    near = st.tuples(present, st.sampled_from(around(step))).map(sum)
    middles = [(a + b) // 2 - (a + b) // 2 % step for a, b in zip(cheap, cheap[1:])]
    between = [m for m, a, b in zip(middles, cheap, cheap[1:]) if b < m < a]  # whole steps: exact everywhere
    return st.one_of(near, st.sampled_from(between)) if between else near


def ranges(timeline: Timeline, max_items: int, step: int = MS,
           ops: Sequence[str] = (*LOWER, *UPPER)) -> st.SearchStrategy[tuple[str, int, str, int]]:
    """``(lower op, lower ns, upper op, upper ns)`` around two tickets at most ``max_items`` apart,
    anywhere in the list, each bound on or one step (1 ms) beside a present instant; operators among ``ops``."""
    n = len(timeline)
    lower, upper = [o for o in LOWER if o in ops], [o for o in UPPER if o in ops]
    if n == 0 or not lower or not upper:
        return st.nothing()
    neighbours = around(step)

    def build(first: int) -> st.SearchStrategy[tuple[str, int, str, int]]:
        span = st.integers(0, min(max_items - 1, n - 1 - first))
        return st.tuples(span, st.sampled_from(lower), st.sampled_from(neighbours),
                         st.sampled_from(upper), st.sampled_from(neighbours)).map(
            lambda t: (t[1], timeline.created[timeline.ids[first + t[0]]] + t[2],
                       t[3], timeline.created[timeline.ids[first]] + t[4]))

    return st.integers(0, n - 1).flatmap(build)


def key_ranges(timeline: Timeline, max_items: int, step: int = MS) -> list[tuple[str, int, str, int]]:
    """Ranges every run tries: between two tie instants (both inclusive, so both groups are whole),
    one tie instant alone (gte X and lte X), a point between two tickets one step apart (gt X and
    lt X + step: empty), and the whole list (oldest..newest) when it is small."""
    found: list[tuple[str, int, str, int]] = []
    ties = nameable([ns for ns, _ in timeline.tie_groups()], step)
    for newer, older in zip(ties, ties[1:]):
        if timeline.count_between(older, newer) <= max_items:
            found.append(("gte", older, "lte", newer))
            break
    if ties:
        found.append(("gte", ties[len(ties) // 2], "lte", ties[len(ties) // 2]))
    instants = nameable(timeline.instants(), step)
    have = set(instants)
    chain = [ns for ns in instants if ns + step in have]
    x = chain[0] if chain else (instants[0] if instants else None)
    if x is not None:
        found.append(("gt", x, "lt", x + step))
    if instants and len(timeline) <= max_items:
        found.append(("gte", instants[-1], "lte", instants[0]))
    return found


def inverted_ranges(timeline: Timeline, step: int = MS) -> list[tuple[str, int, str, int]]:
    """Ranges whose lower bound lies after their upper bound (nothing can match): one step apart
    around a present instant, and gt X with lt X."""
    instants = nameable(timeline.instants(), step)
    if not instants:
        return []
    x = instants[len(instants) // 3]
    return [("gte", x + step, "lte", x), ("gt", x, "lt", x)]


def whole_seconds(timeline: Timeline, side: str, max_items: int) -> list[int]:
    return [ns for ns in cheap_instants(timeline, side, max_items) if ns % NS_PER_S == 0]


def dates(timeline: Timeline, side: str, max_items: int) -> list[str]:
    """``YYYY-MM-DD`` days of tickets whose midnight, read in any zone (UTC-14..UTC+14), is a cheap
    bound on ``side``; best first: days with a ticket exactly at 00:00 UTC, then the ticket closest
    after midnight."""
    slack = 14 * 3600 * NS_PER_S
    ranked: dict[str, int] = {}
    for ns in timeline.created.values():
        midnight = ns - ns % DAY_NS
        probe = midnight - slack if side == "lower" else midnight + slack
        if cost(timeline, side, probe) > max_items:
            continue
        day = format_utc(midnight, 0)[:10]
        ranked[day] = min(ranked.get(day, DAY_NS), ns - midnight)
    return [day for day, _ in sorted(ranked.items(), key=lambda kv: (kv[1], kv[0]))]


def pick(values: Sequence[Any], index: int) -> Any:
    return values[index % len(values)] if values else None
