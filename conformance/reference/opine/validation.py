"""Request validation for the Opine reference store (a mixin of OpineStore).

Every rule is a small method, so a mutant can bend exactly one of them. Validators take the value
and its JSON path and return the value to store, or raise InvalidField with zod-like issues.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Callable
from urllib.parse import urlsplit

from .errors import InvalidField, fail, issue, validation_error, wrong_type
from .model import DEAL_PRIORITIES, TICKET_STATES, TICKET_TYPES, DealChange, parse_instant

# (JSON key, validator method). Order = the order issues are reported in.
FIELD_VALIDATORS = (
    ("title", "_validate_title"),
    ("type", "_validate_type"),
    ("state", "_validate_state"),
    ("description", "_validate_description"),
    ("targetDueDate", "_validate_datetime"),
    ("labels", "_validate_labels"),
    ("vendorEntityUrl", "_validate_url"),
    ("deals", "_validate_deals"),
)
REQUIRED_ON_CREATE = frozenset({"title", "type", "state"})
# Documented as nullable on PUT: null clears the field.
NULLABLE_ON_UPDATE = frozenset({"description", "targetDueDate", "labels", "vendorEntityUrl"})

_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_SATURATE = 10**18  # Choice (docs silent): integers beyond ±10^18 saturate there (no huge-int parsing).


class TicketValidation:
    """Validation seams; mixed into OpineStore (which provides ``_deals``)."""

    title_min = 1
    title_max = 256  # counted in characters (code points), not bytes
    default_limit = 100
    max_limit = 1000

    # -- bodies ------------------------------------------------------------------------------
    def parse_body(self, raw: bytes, content_type: str) -> object:
        """Choice (docs silent): the body is parsed as UTF-8 JSON whatever the Content-Type says;
        empty, malformed, non-UTF-8 or NaN/Infinity bodies are a 400 validation error."""
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError):
            raise validation_error([issue([], "custom", "Request body is not valid JSON.")]) from None

    def _validate_create(self, body: object) -> dict[str, Any]:
        changes, issues = self._check_fields(self._require_object(body), creating=True)
        if issues:
            raise validation_error(issues)
        return changes

    def _validate_update(self, body: object) -> dict[str, Any]:
        """All fields are checked before anything is applied: one bad field -> 400, no change."""
        changes, issues = self._check_fields(self._require_object(body), creating=False)
        if issues:
            raise validation_error(issues)
        return changes

    def _require_object(self, body: object) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise validation_error(wrong_type([], "object", body).issues)
        return body

    def _check_fields(self, body: dict[str, Any], *, creating: bool) -> tuple[dict[str, Any], list]:
        """Return (changes from the valid fields, issues from the invalid ones).

        Choice (docs silent): unknown keys are ignored. On create, null is not accepted for any
        field (the create schema marks nothing nullable); on update, null clears the nullable ones.
        """
        changes: dict[str, Any] = {}
        issues: list[dict[str, Any]] = []
        for key, method in FIELD_VALIDATORS:
            if key not in body:
                if creating and key in REQUIRED_ON_CREATE:
                    issues.append(issue([key], "invalid_type", "Required", expected="string", received="undefined"))
                continue
            value = body[key]
            if value is None and not creating and key in NULLABLE_ON_UPDATE:
                changes[key] = None
                continue
            try:
                changes[key] = getattr(self, method)(value, [key])
            except InvalidField as exc:
                issues.extend(exc.issues)
        return changes, issues

    # -- fields ------------------------------------------------------------------------------
    def _validate_title(self, value: object, path: list) -> str:
        """Not nullable; length in characters (code points). Choice (docs silent): no trimming."""
        if not isinstance(value, str):
            raise wrong_type(path, "string", value)
        if len(value) < self.title_min:
            raise fail(path, "too_small", f"String must contain at least {self.title_min} character(s)",
                       minimum=self.title_min, type="string", inclusive=True, exact=False)
        if len(value) > self.title_max:
            raise fail(path, "too_big", f"String must contain at most {self.title_max} character(s)",
                       maximum=self.title_max, type="string", inclusive=True, exact=False)
        return value

    def _validate_type(self, value: object, path: list) -> str:
        return self._validate_enum(value, TICKET_TYPES, path)

    def _validate_state(self, value: object, path: list) -> str:
        return self._validate_enum(value, TICKET_STATES, path)

    def _validate_enum(self, value: object, options: tuple[str, ...], path: list) -> str:
        """Exact, case-sensitive match against ``options``."""
        expected = " | ".join(f"'{o}'" for o in options)
        if not isinstance(value, str):
            raise wrong_type(path, expected, value)
        if value not in options:
            raise fail(path, "invalid_enum_value", f"Invalid enum value. Expected {expected}, received '{value}'",
                       received=value, options=list(options))
        return value

    def _validate_description(self, value: object, path: list) -> str | list:
        """A markdown string or an array of Slate nodes (objects).

        Choice (docs silent): Slate nodes are checked only for being objects; a Slate array is
        stored and returned as sent (not converted to markdown); an empty string or array is kept.
        """
        if isinstance(value, str):
            return value
        if not isinstance(value, list):
            raise wrong_type(path, "string | array", value)
        bad = [wrong_type([*path, i], "object", node).issues[0] for i, node in enumerate(value)
               if not isinstance(node, dict)]
        if bad:
            raise InvalidField(*bad)
        return copy.deepcopy(value)

    def _validate_datetime(self, value: object, path: list):
        if not isinstance(value, str):
            raise wrong_type(path, "string", value)
        try:
            return self._parse_datetime(value)
        except ValueError:
            raise fail(path, "invalid_string", "Invalid datetime", validation="datetime") from None

    def _parse_datetime(self, raw: str):
        """ISO 8601 with Z or ±HH:MM -> the same instant as an aware UTC datetime."""
        return parse_instant(raw)

    def _validate_url(self, value: object, path: list) -> str:
        """Choice (docs silent): an absolute http(s) URL with a host, no whitespace; stored as sent."""
        if not isinstance(value, str):
            raise wrong_type(path, "string", value)
        if not self._is_http_url(value):
            raise fail(path, "invalid_string", "Invalid url", validation="url")
        return value

    def _is_http_url(self, text: str) -> bool:
        if any(c.isspace() or ord(c) < 32 for c in text):
            return False
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            return False
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)

    def _validate_labels(self, value: object, path: list) -> list[str]:
        """Case-sensitive names. Choice (docs silent): names are non-empty strings; duplicates are
        dropped (first occurrence kept); the order given is kept."""
        if not isinstance(value, list):
            raise wrong_type(path, "array", value)
        issues = []
        for i, name in enumerate(value):
            if not isinstance(name, str):
                issues.append(wrong_type([*path, i], "string", name).issues[0])
            elif not name:
                issues.append(issue([*path, i], "too_small", "String must contain at least 1 character(s)",
                                    minimum=1, type="string", inclusive=True, exact=False))
        if issues:
            raise InvalidField(*issues)
        return list(dict.fromkeys(value))

    def _validate_deals(self, value: object, path: list) -> list[DealChange]:
        """Items ``{id, priority, delete?}``. Choice (docs silent): ``id`` must be an integer of a
        deal in the table (unknown -> 400); ``priority`` is required on every item, as in the docs'
        example, also with ``delete: true``; ``deals: null`` is rejected."""
        if not isinstance(value, list):
            raise wrong_type(path, "array", value)
        changes, issues = [], []
        for i, item in enumerate(value):
            try:
                changes.append(self._validate_deal_item(item, [*path, i]))
            except InvalidField as exc:
                issues.extend(exc.issues)
        if issues:
            raise InvalidField(*issues)
        return changes

    def _validate_deal_item(self, item: object, path: list) -> DealChange:
        if not isinstance(item, dict):
            raise wrong_type(path, "object", item)
        issues = []
        deal_id = self._collect(issues, self._validate_deal_id, item.get("id"), [*path, "id"])
        priority = self._collect(issues, self._validate_enum, item.get("priority"), DEAL_PRIORITIES, [*path, "priority"])
        delete = item.get("delete", False)
        if not isinstance(delete, bool):
            issues.extend(wrong_type([*path, "delete"], "boolean", delete).issues)
        if issues:
            raise InvalidField(*issues)
        return DealChange(id=deal_id, priority=priority, delete=delete)

    def _validate_deal_id(self, value: object, path: list) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong_type(path, "integer", value)
        if value not in self._deals:
            raise fail(path, "custom", f"Deal {value} not found")
        return value

    # -- query parameters --------------------------------------------------------------------
    def _parse_limit(self, raw: str | None) -> int:
        """Default 100; integer >= 1 (else 400); larger than the maximum -> ``_cap_limit``."""
        if raw is None:
            return self.default_limit
        limit = self._parse_integer(raw, ["limit"])
        if limit < 1:
            raise fail(["limit"], "too_small", "Number must be greater than or equal to 1",
                       minimum=1, type="number", inclusive=True, exact=False)
        return self._cap_limit(limit)

    def _cap_limit(self, limit: int) -> int:
        """Choice (docs silent): a limit above 1000 is clamped to 1000 (and echoed as 1000)."""
        return min(limit, self.max_limit)

    def _parse_offset(self, raw: str | None) -> int:
        """Default 0; integer >= 0 (else 400). Choice (docs silent): negative offsets are a 400."""
        if raw is None:
            return 0
        offset = self._parse_integer(raw, ["offset"])
        if offset < 0:
            raise fail(["offset"], "too_small", "Number must be greater than or equal to 0",
                       minimum=0, type="number", inclusive=True, exact=False)
        return offset

    def _parse_integer(self, raw: str, path: list) -> int:
        """Choice (docs silent): only a decimal integer literal (optional sign, no spaces) is an
        integer; ``1.5``, ``10.0``, ``1e2`` -> 400 invalid_type (float); anything else, including
        the empty string -> 400 invalid_type (nan)."""
        if _INTEGER.fullmatch(raw):
            digits = raw.lstrip("+-").lstrip("0") or "0"
            sign = -1 if raw.startswith("-") else 1
            return sign * (_SATURATE if len(digits) > 18 else int(digits))
        if _DECIMAL.fullmatch(raw):
            raise fail(path, "invalid_type", "Expected integer, received float", expected="integer", received="float")
        raise fail(path, "invalid_type", "Expected number, received nan", expected="number", received="nan")

    # -- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _collect(issues: list, validator: Callable[..., Any], *args: Any) -> Any:
        try:
            return validator(*args)
        except InvalidField as exc:
            issues.extend(exc.issues)
            return None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


__all__ = ["TicketValidation", "FIELD_VALIDATORS", "NULLABLE_ON_UPDATE", "REQUIRED_ON_CREATE"]
