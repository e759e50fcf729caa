"""One HTTP request and its response, as observed; the unit every check reasons about."""

from __future__ import annotations

import json
import math
import re
import shlex
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode


class BadResponse(Exception):
    """The response is not what an API sends (HTML error page, truncated JSON, empty body)."""

    def __init__(self, exchange: "Exchange", reason: str) -> None:
        self.exchange = exchange
        self.reason = reason
        super().__init__(f"{exchange.method} {exchange.url} -> {exchange.status}: {reason}")


class UnsafeJson(BadResponse):
    """Syntactically JSON, but not something plain Python may hold safely: nesting deeper than
    ``MAX_DEPTH``, a number out of range, a lone surrogate, bytes that are not UTF-8."""


MAX_DEPTH = 64  # far beyond any ticket; deep enough that no parser or validator recursion can overflow
MAX_DIGITS = 400  # an integer longer than this is no ticket field (and int() refuses 4300+ digits anyway)
KEPT_BODY_BYTES = 64 * 1024  # body bytes an exchange keeps once it is only evidence (reports, reproductions)
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON ``text`` (brackets inside strings ignored)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0  # cannot be too deep: skip the scan for the common case
    depth = deepest = 0
    for bracket in re.findall(r"[\[\]{}]", _STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _has_surrogate(value: Any) -> bool:
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return False


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _OutOfRange(f"number {text[:20]}{'...' if len(text) > 20 else ''} is out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _OutOfRange(f"integer of {len(text.lstrip('-'))} digits")
    return int(text)


def _no_constant(text: str) -> Any:
    raise _OutOfRange(f"{text} is not JSON")


class _OutOfRange(ValueError):
    pass


def parse_json(body: bytes) -> Any:
    """``body`` parsed as JSON into plain, JSON-safe Python; ``ValueError`` when it is not JSON, an
    ``_OutOfRange`` (a ``ValueError``) naming the reason when it is JSON no one should send."""
    try:
        text = body.decode(json.detect_encoding(body))
    except UnicodeDecodeError as exc:
        raise _OutOfRange(f"not UTF-8 text (invalid byte at offset {exc.start})") from None
    if nesting_depth(text) > MAX_DEPTH:
        raise _OutOfRange(f"nested too deep (more than {MAX_DEPTH} levels)")
    data = json.loads(text, parse_float=_finite, parse_int=_bounded_int, parse_constant=_no_constant)
    if _SURROGATE_ESCAPE.search(text) and _has_surrogate(data):
        raise _OutOfRange("a string holds a lone surrogate (\\ud800-\\udfff), which no text can carry")
    return data


@dataclass(frozen=True)
class Exchange:
    method: str
    url: str  # full URL including the query string
    status: int
    body: bytes
    response_headers: dict[str, str] = field(default_factory=dict)
    request_body: Any = None  # the JSON-able body sent, if any
    request_encoding: str = "json"  # how request_body was sent: "json", or "form" (its form_pairs)
    auth: str = "key"  # how the request was authenticated: "key", "none" or "wrong"
    curl_auth: str = ""  # curl arguments that authenticate the reproduction (never the secret itself)

    @property
    def content_type(self) -> str:
        for name, value in self.response_headers.items():
            if name.lower() == "content-type":
                return value
        return ""

    def json(self) -> Any:
        """The parsed JSON body; a ``BadResponse`` when the body is not JSON at all."""
        if not self.body:
            raise BadResponse(self, "empty body where JSON was expected")
        try:
            return parse_json(self.body)
        except _OutOfRange as exc:
            raise UnsafeJson(self, f"answer is not valid JSON: {exc}") from None
        except RecursionError:  # cannot happen after the depth scan; kept so no input can crash a run
            raise UnsafeJson(self, "answer is not valid JSON: nested too deep") from None
        except (ValueError, UnicodeDecodeError):
            snippet = self.body[:80].decode("utf-8", "replace").replace("\n", " ")
            kind = "an HTML page" if snippet.lstrip().lower().startswith(("<!doctype", "<html")) else "not JSON"
            raise BadResponse(self, f"body is {kind} ({self.content_type or 'no content type'}): {snippet!r}")

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise BadResponse(self, f"expected a JSON object, got {type(data).__name__}")
        return data

    def trimmed(self, limit: int = KEPT_BODY_BYTES) -> "Exchange":
        """This exchange with at most ``limit`` body bytes: what is kept as evidence once checked."""
        return self if len(self.body) <= limit else replace(self, body=self.body[:limit])

    def curl(self) -> str:
        """A curl command that reproduces the request; secrets appear only as environment variables."""
        parts = ["curl", "-sS"]
        if self.method != "GET":
            parts += ["-X", self.method]
        cmd = " ".join(parts)
        if self.curl_auth:
            cmd += " " + self.curl_auth
        if self.request_body is not None and self.request_encoding == "form":
            cmd += " -H 'Content-Type: application/x-www-form-urlencoded' --data " + shlex.quote(
                urlencode(form_pairs(self.request_body)))
        elif self.request_body is not None:
            cmd += " -H 'Content-Type: application/json' --data " + shlex.quote(
                json.dumps(self.request_body, ensure_ascii=False))
        return f"{cmd} {shlex.quote(self.url)}"

    def summary(self) -> str:
        return f"{self.method} {self.url} -> {self.status}"


def form_pairs(body: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A JSON-able body as form fields, nested the way Stripe-style APIs read them: ``metadata[k]=v``,
    ``labels[0]=a``; null and an empty list go as an empty value (how such APIs clear a field)."""
    if isinstance(body, dict):
        return [pair for key, value in body.items()
                for pair in form_pairs(value, f"{prefix}[{key}]" if prefix else str(key))]
    if isinstance(body, (list, tuple)):
        if not body:
            return [(prefix, "")]
        return [pair for index, value in enumerate(body) for pair in form_pairs(value, f"{prefix}[{index}]")]
    if body is None:
        return [(prefix, "")]
    if isinstance(body, bool):
        return [(prefix, "true" if body else "false")]
    return [(prefix, str(body))]


#: The items key of a list answer that is a bare JSON array (json-server): ``listing`` puts the array
#: under this key, so oracles read every list answer as one mapping and their messages say where.
BARE_ARRAY = "(the body)"
#: A total key ending in this suffix is a response header (``X-Total-Count header``), not a body field.
HEADER_TOTAL = " header"


def listing(exchange: Exchange, items_key: str, total_key: str | None = None) -> dict[str, Any]:
    """A list answer as one mapping: the JSON object, or a bare array under ``BARE_ARRAY``; a total
    sent in a header (``total_key`` "<name> header") added under ``total_key`` (an int when it is one)."""
    if items_key == BARE_ARRAY:
        data = exchange.json()
        if not isinstance(data, list):
            raise BadResponse(exchange, f"expected a JSON array, got {type(data).__name__}")
        body: dict[str, Any] = {BARE_ARRAY: data}
    else:
        body = exchange.json_object()
    if total_key and total_key.endswith(HEADER_TOTAL):
        name = total_key[:-len(HEADER_TOTAL)].lower()
        raw = next((v for k, v in exchange.response_headers.items() if k.lower() == name), None)
        body = {**body, total_key: int(raw) if raw is not None and raw.strip().isdigit() else raw}
    return body


def with_query(url: str, params: list[tuple[str, str]] | None) -> str:
    return f"{url}?{urlencode(params)}" if params else url
