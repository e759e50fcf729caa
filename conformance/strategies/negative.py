"""Requests that break one documented constraint each, read from the spec (negative conformance).

Deterministic, one violation per request, every other part valid: the type of each body field and
of each array item, required fields, length bounds (counted in characters: the too-long value is
non-ASCII, so it is too long under any count), enum membership, null where the profile documents
"not nullable", numbers outside a documented minimum or maximum, date-time and URI formats, a field
the schema does not allow (``additionalProperties: false``); and for query parameters, integers that
are none and values under a documented minimum, and date-times that are none. Values the docs leave
open (a date-only date-time, a relative URL, null on an optional create field) are never sent as
invalid. A form body (``writes.body_encoding: form``) carries text only: there a wrong type is a text
where a number or boolean is documented, and null, items and a body that is no object cannot be sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from conformance.profiles.base import Profile
from conformance.strategies.bodies import marked_title
from conformance.strategies.updates import _resolve, _types

# One value of each JSON type; a field gets the first whose type its schema does not allow.
_OF_TYPE: tuple[tuple[str, Any], ...] = (("integer", 12345), ("string", "text"), ("boolean", True),
                                         ("object", {"k": "v"}), ("array", ["text"]))
NOT_A_DATE_TIME = ("not-a-date", "2025-13-45T25:61:00Z")
NOT_A_URI = "not a url"
NOT_INTEGERS = ("abc", "1.5")
NON_ASCII = "\u00e9"  # one character, two UTF-8 bytes
UNKNOWN_FIELD = "conformance_unknown_field"
_TEXT_IS_WRONG = {"integer", "number", "boolean"}  # a form value of these types cannot be "text"


@dataclass(frozen=True)
class BadBody:
    what: str  # the constraint broken, for messages
    body: Any  # the JSON body to send
    validation: bool = True  # a documented field constraint: the refusal is a validation error


@dataclass(frozen=True)
class BadQuery:
    what: str
    param: str
    value: str
    number: float | None = None  # the value read as a number, where it is one


def request_schema(spec: Mapping[str, Any], path: str, method: str) -> Mapping[str, Any]:
    operation = spec.get("paths", {}).get(path, {}).get(method.lower(), {})
    content = _resolve(spec, operation.get("requestBody", {})).get("content", {})
    schema = next(iter(content.values()), {}).get("schema", {}) if content else {}
    return _resolve(spec, schema)


def _allowed_types(spec: Mapping[str, Any], node: Mapping[str, Any]) -> set[str]:
    alternatives = [_resolve(spec, n) for n in node.get("anyOf", node.get("oneOf", []))]
    types = set().union(*(_allowed_types(spec, a) for a in alternatives)) if alternatives else _types(node)
    if "enum" in node and not types:
        types = {"string"}
    if "number" in types:
        types.add("integer")
    return types


def _wrong_type(allowed: set[str]) -> tuple[str, Any] | None:
    if not allowed:
        return None
    return next(((t, v) for t, v in _OF_TYPE if t not in allowed), None)


def body_violations(profile: Profile, spec: Mapping[str, Any], schema: Mapping[str, Any],
                    valid: Mapping[str, Any], *, creating: bool,
                    null_fields: Sequence[str] | None = None) -> list[BadBody]:
    """One body per documented constraint of ``schema`` broken, on top of the valid body ``valid``.
    ``null_fields``: the fields sent as null (default: required on create, not nullable on update)."""
    writes = profile.writes
    assert writes
    form = writes.body_encoding == "form"
    out: list[BadBody] = []

    def with_(name: str, value: Any, what: str) -> None:
        out.append(BadBody(what, {**valid, name: value}))

    for name in schema.get("required", []):
        out.append(BadBody(f"the required {name} missing", {k: v for k, v in valid.items() if k != name}))
    if null_fields is None:
        null_fields = writes.required_on_create if creating else writes.not_nullable
    for name in () if form else null_fields:
        with_(name, None, f"{name}: null (not nullable)")
    for name, raw in schema.get("properties", {}).items():
        node = _resolve(spec, raw)
        allowed = _allowed_types(spec, node)
        wrong = _wrong_type(allowed) if not form else ("string", "text") if allowed and allowed <= _TEXT_IS_WRONG else None
        if wrong:
            with_(name, wrong[1], f"{name}: a {wrong[0]} (the spec allows {' | '.join(sorted(allowed))})")
        if "array" in allowed and "anyOf" not in node and not form:
            item = _resolve(spec, node.get("items", {}))
            bad_item = _wrong_type(_allowed_types(spec, item))
            if bad_item:
                with_(name, [bad_item[1]], f"{name}: an item that is a {bad_item[0]}")
        if "minLength" in node and node["minLength"] >= 1:
            with_(name, "", f"{name}: shorter than {node['minLength']} character(s)")
        if "maxLength" in node:
            long_text = marked_title(profile, "") if name == writes.title_field else ""
            long_text += NON_ASCII * (node["maxLength"] + 1 - len(long_text))
            with_(name, long_text, f"{name}: {node['maxLength'] + 1} characters (maximum {node['maxLength']})")
        if allowed & {"integer", "number"} and isinstance(node.get("minimum"), (int, float)):
            with_(name, node["minimum"] - 1, f"{name}: {node['minimum'] - 1} (minimum {node['minimum']})")
        if allowed & {"integer", "number"} and isinstance(node.get("maximum"), (int, float)):
            with_(name, node["maximum"] + 1, f"{name}: {node['maximum'] + 1} (maximum {node['maximum']})")
        enum = node.get("enum") or profile.enums.get(name)
        if enum:
            with_(name, f"NOT_A_{name.upper()}", f"{name}: not one of {', '.join(enum)}")
        if node.get("format") == "date-time":
            for text in NOT_A_DATE_TIME:
                with_(name, text, f"{name}: {text!r} is no date-time")
        if node.get("format") in ("uri", "url"):
            with_(name, NOT_A_URI, f"{name}: {NOT_A_URI!r} is no URI")
    for name, value in unknown_fields(schema):
        with_(name, value, f"{name}: a field the schema does not allow (additionalProperties: false)")
    if not form:
        out.append(BadBody("a JSON array instead of an object", [dict(valid)]))
    return out


def unknown_fields(schema: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """A field a closed request schema (``additionalProperties: false``) does not allow, with a value."""
    if schema.get("additionalProperties") is False and UNKNOWN_FIELD not in schema.get("properties", {}):
        return [(UNKNOWN_FIELD, "1")]
    return []


def query_violations(spec: Mapping[str, Any], path: str) -> list[BadQuery]:
    """One bad value per documented constraint of each query parameter of ``GET path``."""
    operation = spec.get("paths", {}).get(path, {}).get("get", {})
    out: list[BadQuery] = []
    for raw in operation.get("parameters", []):
        parameter = _resolve(spec, raw)
        if parameter.get("in") != "query":
            continue
        name, schema = parameter["name"], _resolve(spec, parameter.get("schema", {}))
        types = _types(schema)
        if types & {"integer", "number"}:
            for text in NOT_INTEGERS:
                out.append(BadQuery(f"{name}={text} (not an integer)", name, text,
                                    float(text) if text.replace(".", "", 1).isdigit() else None))
            if "minimum" in schema:
                low = int(schema["minimum"]) - 1
                out.append(BadQuery(f"{name}={low} (below the minimum {schema['minimum']})", name, str(low), low))
        if schema.get("format") == "date-time":
            for text in NOT_A_DATE_TIME[:1]:
                out.append(BadQuery(f"{name}={text} (not a date-time)", name, text))
    return out
