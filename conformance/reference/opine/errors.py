"""Typed errors raised by the store; the app renders them as they are (status + JSON body)."""

from __future__ import annotations

from typing import Any


class OpineError(Exception):
    """An HTTP error answer: ``status`` and the JSON ``body`` to send."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


class InvalidField(Exception):
    """One or more zod-like validation issues for a single value (collected by the store)."""

    def __init__(self, *issues: dict[str, Any]) -> None:
        super().__init__(issues)
        self.issues = list(issues)


def issue(path: list, code: str, message: str, **extra: Any) -> dict[str, Any]:
    """A zod-like issue: ``path``, ``code``, ``message``, then extras (``expected``, ``received``, ...)."""
    return {"path": list(path), "code": code, "message": message, **extra}


def fail(path: list, code: str, message: str, **extra: Any) -> InvalidField:
    """Shorthand: ``raise fail([...], "too_small", "...")``."""
    return InvalidField(issue(path, code, message, **extra))


def validation_error(issues: list[dict[str, Any]]) -> OpineError:
    # Choice (docs silent): validation errors use status 400 (the docs give the body, not the status).
    return OpineError(400, {"error": "Validation error.", "issues": issues})


def unauthorized() -> OpineError:
    # Choice (docs silent): a missing or wrong key is 401; the body carries no ticket data.
    return OpineError(401, {"error": "Unauthorized", "message": "Missing or invalid API key (X-API-Key)."})


def not_found(message: str) -> OpineError:
    # Choice (docs silent): unknown ticket ids and unknown routes are 404 with a JSON body.
    return OpineError(404, {"error": "Not found", "message": message})


def json_type(value: object) -> str:
    """The JavaScript-ish type name zod reports as ``received``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def wrong_type(path: list, expected: str, value: object) -> InvalidField:
    received = json_type(value)
    return fail(path, "invalid_type", f"Expected {expected}, received {received}", expected=expected, received=received)
