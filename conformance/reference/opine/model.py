"""Plain data for the Opine reference server: enums, tickets, deals, instants and the clock."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

# Enum lists come from the community client (vendor-facts 1.6); the vendor pages list none.
TICKET_TYPES = ("BUG", "FEATURE", "CUSTOM_1", "CUSTOM_2", "CUSTOM_3", "CUSTOM_4", "CUSTOM_5")
TICKET_STATES = ("OPEN", "PRIORITIZING", "ROADMAP", "DEFERRED", "IN_PROGRESS", "CLOSED")
DEAL_PRIORITIES = ("BLOCKER", "IMPORTANT", "NICE_TO_HAVE")
CLOSED = "CLOSED"

UTC = timezone.utc


@dataclass(frozen=True, slots=True)
class Deal:
    """A row of the fixed deal table. The API cannot create deals, only link them."""

    id: int
    evaluation_id: int
    name: str
    amount_cents: int  # kept in cents so sums are exact; rendered as a JSON number
    shared_with_buyer: bool


@dataclass(frozen=True, slots=True)
class DealChange:
    """One validated item of a request's ``deals`` array."""

    id: int
    priority: str
    delete: bool = False


@dataclass(slots=True)
class Ticket:
    id: int
    type: str
    state: str
    title: str
    created_at: datetime
    updated_at: datetime
    organization_id: int
    created_by_user_id: int
    closed_at: datetime | None = None
    description: str | list[Any] | None = None
    vendor_entity_id: str | None = None
    vendor_entity_key: str | None = None
    integration_installation_id: int | None = None
    target_due_date: datetime | None = None
    deal_links: dict[int, str] = field(default_factory=dict)  # deal id -> priority, in link order
    deal_amount_sum_cents: int = 0  # derived from deal_links; refreshed whenever they change
    vendor_entity_url: str | None = None
    labels: list[str] = field(default_factory=list)


def amount_sum_cents(deals: Mapping[int, Deal], deal_ids: Iterable[int]) -> int:
    return sum(deals[deal_id].amount_cents for deal_id in deal_ids)


def render_amount(cents: int) -> int | float:
    """Whole amounts render as integers (as a JavaScript server would: 12500, not 12500.0)."""
    return cents // 100 if cents % 100 == 0 else cents / 100


def format_instant(value: datetime | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC (sub-millisecond digits are truncated), or None."""
    if value is None:
        return None
    v = value.astimezone(UTC)
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
        f".{v.microsecond // 1000:03d}Z"
    )


_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})", re.ASCII
)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 date-time with ``Z`` or ``±HH:MM``; return the same instant in UTC.

    Choice (docs silent): an offset is required (no local times, no date-only values), ``T`` and
    ``Z`` must be upper case, fractional seconds may have any number of digits (kept to the
    microsecond, rendered to the millisecond). Raises ValueError for anything else.
    """
    m = _DATE_TIME.fullmatch(text)
    if m is None:
        raise ValueError(f"not an ISO 8601 date-time with offset: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    zone = m.group(8)
    if zone == "Z":
        tz = UTC
    else:
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError(f"bad UTC offset: {zone}")
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz).astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+01:00 is before datetime.min in UTC
        raise ValueError(str(exc)) from exc


class Clock:
    """Deterministic time: no wall clock. Each ``tick()`` issues the next instant.

    Instants start at ``start`` and grow by ``step`` per tick, so every timestamp a write produces
    is unique and strictly later than every earlier one.
    """

    def __init__(self, start: datetime, step: timedelta) -> None:
        self._start = start
        self._step = step
        self._issued = 0

    def tick(self) -> datetime:
        instant = self._start + self._issued * self._step
        self._issued += 1
        return instant

    def now(self) -> datetime:
        """The instant issued last (the start instant before the first tick)."""
        return self._start + max(self._issued - 1, 0) * self._step
