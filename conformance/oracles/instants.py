"""Instants as APIs write them: ISO 8601 strings (any offset, any precision) or unix seconds.

Everything is converted to exact integer nanoseconds since the epoch (UTC), so comparisons at a
1 ms or sub-millisecond boundary are never rounded the wrong way.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000

_ISO = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?"
    r"(?P<tz>Z|z|[+-]\d{2}(?::?\d{2})?)?)?$"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class NotAnInstant(ValueError):
    pass


def parse_instant(value: object) -> int:
    """Nanoseconds since the epoch for an ISO 8601 string or a unix-seconds number.

    An ISO value without an offset is read as UTC here; an API may read it otherwise, which is
    why checks never compare offset-less values against this reading.
    """
    if isinstance(value, bool):
        raise NotAnInstant(repr(value))
    if isinstance(value, (int, float)):
        try:
            return int(Decimal(str(value)) * NS_PER_S)
        except InvalidOperation:
            raise NotAnInstant(repr(value)) from None
    if not isinstance(value, str):
        raise NotAnInstant(repr(value))
    match = _ISO.match(value.strip())
    if not match:
        raise NotAnInstant(value)
    try:
        day = datetime.strptime(match["date"], "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise NotAnInstant(value) from None
    seconds = int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + int(match["s"] or 0)
    if int(match["h"] or 0) > 23 or int(match["m"] or 0) > 59 or int(match["s"] or 0) > 59:
        raise NotAnInstant(value)
    frac = match["frac"] or ""
    frac_ns = int((frac + "0" * 9)[:9]) if frac else 0
    offset_s = 0
    tz = match["tz"]
    if tz and tz not in ("Z", "z"):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset_s = sign * (int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60)
    whole = int((day - _EPOCH).total_seconds()) + seconds - offset_s
    return whole * NS_PER_S + frac_ns


def format_utc(ns: int, digits: int = 3, offset_minutes: int = 0, zulu: bool = True) -> str:
    """Write ``ns`` as ISO 8601 with ``digits`` fraction digits (0 = none) in the given UTC offset.

    ``ns`` must be representable exactly with ``digits`` digits, otherwise it is truncated.
    """
    seconds, rest = divmod(ns, NS_PER_S)
    moment = _EPOCH + timedelta(seconds=seconds, minutes=offset_minutes)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{rest:09d}"[:digits].ljust(digits, "0")
    if offset_minutes == 0 and zulu:
        return text + "Z"
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


