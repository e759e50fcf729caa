"""ISO 8601 parsing and formatting for the Copper reference server (stdlib only, exact arithmetic).

Instants are milliseconds since the Unix epoch (UTC). Ticket ``created`` values are whole
milliseconds (``int``); parsed filter bounds are exact ``Fraction`` values, so a bound written
with 7 or more fraction digits (``...53.5890000001Z``) is never rounded onto the wrong side of a
ticket's millisecond.

Accepted forms (anything else raises ``ValueError``):

* ``YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM|+HHMM|-HHMM)``, any number (>= 1) of
  fraction digits;
* the same without an offset. Choice (docs silent): read as UTC;
* ``YYYY-MM-DD``. Choice (docs silent): read as midnight UTC of that day.

Choice (docs silent): strict shape. Upper-case ``T`` and ``Z`` only, no space separator, no
leap second (``:60``), no week or ordinal dates, no unix timestamps, offsets below 24 h, years
0001-9999. A ``+`` sent unencoded in a query string arrives as a space and is therefore rejected,
as any form decoder would do.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from fractions import Fraction

MS_PER_SECOND = 1000
MS_PER_DAY = 86_400_000

_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()

_DATE_TIME = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"T(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:\.(?P<frac>\d+))?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2}|[+-]\d{4})?",
    re.ASCII,
)
_DATE_ONLY = re.compile(r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})", re.ASCII)


@dataclass(frozen=True)
class ParsedInstant:
    """A parsed ISO 8601 value before its UTC offset is applied.

    ``wall_ms`` is the written wall-clock time read as if it were UTC (exact, in ms since the
    epoch); ``offset_minutes`` is the written offset (``None`` when there is none, 0 for ``Z``);
    ``date_only`` is true for ``YYYY-MM-DD``.
    """

    text: str
    wall_ms: Fraction
    offset_minutes: int | None
    date_only: bool


def _days(year: int, month: int, day: int) -> int:
    # datetime.date validates the calendar (month 13, Feb 30, year 0 all raise ValueError).
    return _dt.date(year, month, day).toordinal() - _EPOCH_ORDINAL


def parse_iso8601(text: str) -> ParsedInstant:
    """Parse ``text`` (see the module docstring); raise ``ValueError`` if it is not accepted."""
    m = _DATE_ONLY.fullmatch(text)
    if m:
        days = _days(int(m["y"]), int(m["mo"]), int(m["d"]))
        return ParsedInstant(text, Fraction(days * MS_PER_DAY), None, True)
    m = _DATE_TIME.fullmatch(text)
    if not m:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}")
    days = _days(int(m["y"]), int(m["mo"]), int(m["d"]))
    hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"])
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"time of day out of range: {text!r}")
    frac = m["frac"]
    sub_ms = Fraction(int(frac), 10 ** len(frac)) * MS_PER_SECOND if frac else Fraction(0)
    wall = Fraction(((days * 24 + hour) * 60 + minute) * 60 + second) * MS_PER_SECOND + sub_ms
    return ParsedInstant(text, wall, _offset_minutes(m["tz"]), False)


def _offset_minutes(tz: str | None) -> int | None:
    if tz is None:
        return None
    if tz == "Z":
        return 0
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ValueError(f"UTC offset out of range: {tz!r}")
    return sign * (hours * 60 + minutes)


def format_ms(ms: int) -> str:
    """``2026-03-14T09:26:53.589Z``: UTC, millisecond precision, ``Z`` suffix."""
    days, rem = divmod(ms, MS_PER_DAY)
    date = _dt.date.fromordinal(days + _EPOCH_ORDINAL)
    secs, milli = divmod(rem, MS_PER_SECOND)
    minutes, second = divmod(secs, 60)
    hour, minute = divmod(minutes, 60)
    return f"{date.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}.{milli:03d}Z"


def parse_ms(text: str) -> int:
    """Whole milliseconds of an ISO 8601 value (for seeding and tests); the offset is applied."""
    p = parse_iso8601(text)
    instant = p.wall_ms - (p.offset_minutes or 0) * 60_000
    if instant.denominator != 1:
        raise ValueError(f"not a whole millisecond: {text!r}")
    return int(instant)
