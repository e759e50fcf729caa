"""Deterministic seed data for the Copper reference server.

Everything comes from one ``random.Random(seed)``; nothing reads the wall clock. Tickets are
generated newest first: position 0 is the newest ticket and each next position is older by a
random gap, except at the *planned* positions below, which build the edge cases a conformance
suite needs. Positions are 0-based indices into the newest-first list (the list order of
``GET /next/tickets`` without filters), so ``[8, 9, 10]`` straddles the first page boundary at
``limit=10``. A planned structure is only built when all its positions exist (``count`` large
enough); the random edge cases (ties, 1 ms gaps, exact seconds) are sprinkled everywhere else.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import timefmt

DEFAULT_COUNT = 320

#: The newest ticket of every data set (the example timestamp of the resource choice).
NEWEST_MS = timefmt.parse_ms("2026-03-14T09:26:53.589Z")
#: The data set spans about this long, whatever the count (so 50,000 tickets are dense).
SPAN_MS = 165 * timefmt.MS_PER_DAY

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# --- the plan -------------------------------------------------------------------------------
#: Tie groups: (positions, same_location). Every member has exactly the same ``created`` ms.
TIE_GROUPS: tuple[tuple[tuple[int, ...], bool], ...] = (
    ((2, 3), True),                 # straddles limit=3 (the docs' example limit)
    ((8, 9, 10), False),            # straddles limit=10 (default), also limit=5/9
    ((19, 20), False),              # straddles limit=20
    ((49, 50), True),               # straddles limit=50 / 25 / 10
    ((98, 99, 100, 101), True),     # straddles limit=100 (and 50 / 20 / 10)
    ((150, 151, 152), False),
    ((231, 232, 233, 234), True),
)
#: Chains where each ticket is exactly 1 ms older than the previous one: (first, length).
ONE_MS_CHAINS: tuple[tuple[int, int], ...] = ((30, 3), (120, 2))
#: A tie group whose last member is followed by a ticket 1 ms older.
TIE_THEN_ONE_MS: tuple[int, ...] = (70, 71, 72)
#: Triplets around an exact boundary: [p] = boundary + 1 ms, [p+1] = boundary, [p+2] = boundary - 1 ms.
EXACT_SECOND_TRIPLET = 40           # [41] is at HH:MM:SS.000
EXACT_MIDNIGHT_TRIPLET = 60         # [61] is at 00:00:00.000 UTC
#: Two tickets sharing one exact-second created (``.000``).
EXACT_SECOND_TIE = (80, 81)
#: A ticket at 00:00:00.000 UTC that ties with another (date-only bound hits a tie group).
MIDNIGHT_TIE = (180, 181)

#: References shared by many tickets; several are prefixes / substrings / case variants of others.
SHARED_REFERENCES = (
    "Table 1", "Table 12", "TABLE 12", "table 12-b",
    "Order 1", "Order 12", "Order 123", "order 1234",
    "Bar Tab", "BAR TAB", "bar tab",
    "Patio 3", "Café-Ŝ-17", "Ünïcödé", "Straße 5",
)
#: References placed only at fixed positions (deep in the list), so a post-hoc search for them
#: returns short or empty early pages while ``has_more`` is still true.
PLACED_REFERENCES: dict[int, str] = {
    0: "Table 12",
    1: "Café-Ŝ-17",
    5: "Ünïcödé",
    137: "注文-0042",
    212: "注文-0042",
    213: "注文-00421",
    251: "🎟-ticket",
    252: "🎟-ticket",
    290: "🎟-ticket",
    305: "🎟-ticket-VIP",
    182: "STRASSE 5",       # casefolds equal to "Straße 5"
    9: "cafÉ-ŝ-17",         # a case variant of "Café-Ŝ-17" at the limit=10 boundary
}

STATUSES = ("open", "paid", "void")
STATUS_WEIGHTS = (30, 60, 10)


@dataclass(frozen=True)
class Ticket:
    id: str
    created_ms: int
    location: str
    reference: str
    status: str
    amount: int
    currency: str = "usd"
    metadata: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class SeedData:
    locations: tuple[str, ...]
    tickets: tuple[Ticket, ...]  # newest first (created desc, id desc)


def _token(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(BASE62, k=n))


def _plan(count: int) -> dict[int, tuple]:
    """Position -> how its created relates to the previous position (only complete structures)."""
    kinds: dict[int, tuple] = {}

    def fits(*positions: int) -> bool:
        return max(positions) < count

    for positions, _same in TIE_GROUPS:
        if fits(*positions):
            for p in positions[1:]:
                kinds[p] = ("tie",)
    for first, length in ONE_MS_CHAINS:
        if fits(first + length - 1):
            for p in range(first + 1, first + length):
                kinds[p] = ("gap", 1)
    if fits(*TIE_THEN_ONE_MS):
        kinds[TIE_THEN_ONE_MS[1]] = ("tie",)
        kinds[TIE_THEN_ONE_MS[2]] = ("gap", 1)
    for start, unit in ((EXACT_SECOND_TRIPLET, timefmt.MS_PER_SECOND),
                        (EXACT_MIDNIGHT_TRIPLET, timefmt.MS_PER_DAY)):
        if fits(start + 2):
            kinds[start] = ("just_after_boundary", unit)
            kinds[start + 1] = ("gap", 1)
            kinds[start + 2] = ("gap", 1)
    for (a, b), unit in ((EXACT_SECOND_TIE, timefmt.MS_PER_SECOND),
                         (MIDNIGHT_TIE, timefmt.MS_PER_DAY)):
        if fits(b):
            kinds[a] = ("on_boundary", unit)
            kinds[b] = ("tie",)
    return kinds


def _created_values(rng: random.Random, count: int, kinds: dict[int, tuple]) -> list[int]:
    mean_gap = max(SPAN_MS / max(count, 1), 4.0)
    created: list[int] = []
    tie_left = 0  # members still to place in a random tie group
    for i in range(count):
        if i == 0:
            created.append(NEWEST_MS)
            continue
        prev = created[-1]
        kind = kinds.get(i)
        if kind is None and tie_left:
            tie_left -= 1
            kind = ("tie",)
        elif kind is None:
            # Random sprinkles, never merging with a planned structure: a random tie group only
            # starts where the next few positions are unplanned.
            roll = rng.random()
            if roll < 0.025 and all(i + k not in kinds for k in range(1, 5)):
                tie_left = rng.randint(1, 3)  # group of 2..4 including position i
            elif roll < 0.035:
                kind = ("gap", 1)
            elif roll < 0.04:
                kind = ("on_boundary", timefmt.MS_PER_SECOND)
        if kind is None:
            value = prev - max(2, int(rng.expovariate(1.0 / mean_gap)))
        elif kind[0] == "tie":
            value = prev
        elif kind[0] == "gap":
            value = prev - kind[1]
        elif kind[0] == "just_after_boundary":
            unit = kind[1]
            value = (prev - 2) // unit * unit + 1
        else:  # on_boundary: the boundary at or before prev - 1
            unit = kind[1]
            value = (prev - 1) // unit * unit
        created.append(value)
    return created


def generate(seed: int = 0, count: int | None = None) -> SeedData:
    """Build ``count`` tickets (default ``DEFAULT_COUNT``) deterministically from ``seed``."""
    count = DEFAULT_COUNT if count is None else count
    if count < 0:
        raise ValueError("count must be >= 0")
    rng = random.Random(seed)
    locations = tuple(f"loc_{_token(rng, 12)}" for _ in range(4 + rng.randrange(3)))
    loc_weights = [rng.randint(5, 40) for _ in locations]
    kinds = _plan(count)
    created = _created_values(rng, count, kinds)
    same_location_members = {p for positions, same in TIE_GROUPS if same and max(positions) < count
                             for p in positions[1:]}

    seen_ids: set[str] = set()
    tickets: list[Ticket] = []
    for i, created_ms in enumerate(created):
        tid = f"tkt_{_token(rng, 16)}"
        while tid in seen_ids:
            tid = f"tkt_{_token(rng, 16)}"
        seen_ids.add(tid)
        if i in same_location_members:
            location = tickets[-1].location
        else:
            location = rng.choices(locations, weights=loc_weights)[0]
        reference = PLACED_REFERENCES.get(i)
        if reference is None:
            if rng.random() < 0.45:
                reference = rng.choice(SHARED_REFERENCES)
            else:
                reference = f"INV-{rng.randrange(100_000):05d}"
        status = rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0]
        amount = rng.randrange(100, 50_000)
        metadata: tuple[tuple[str, str], ...] = ()
        if rng.random() < 0.1:
            metadata = (("table", str(rng.randint(1, 40))),)
        tickets.append(Ticket(tid, created_ms, location, reference, status, amount, "usd", metadata))

    # List order: created desc, id desc. Tie groups keep their positions (created is
    # non-increasing by construction); only the members' order inside a group follows the ids.
    tickets.sort(key=lambda t: (t.created_ms, t.id), reverse=True)
    return SeedData(locations, tuple(tickets))
