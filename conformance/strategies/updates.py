"""Hypothesis strategies for update (and create) bodies, built from the profile and the spec.

What kind of value a writable field takes (rich text, date-time, URL, list of names, enum, plain
string) is read from the update request schema of the spec, so nothing here names a vendor or a
field. Every value drawn is valid by the documented constraints and already in the form a server
keeps as sent (no leading/trailing blanks, URLs with a lower-case host and a path, instants at the
millisecond), so "the value comes back" needs no guessing about normalisation.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from hypothesis import strategies as st

from conformance.oracles.instants import NS_PER_MS, format_utc
from conformance.profiles.base import Profile
from conformance.strategies.bodies import marked_title

# Field kinds, as read from the update request schema.
RICH_TEXT = "rich-text"  # a markdown string or an array of Slate nodes
DATE_TIME = "date-time"
URI = "uri"
EMAIL = "email"
NAMES = "string-list"  # a list of case-sensitive names (labels)
ENUM = "enum"
TEXT = "string"

# Real UTC offsets in minutes (including the odd ones: -09:30, +05:45, +12:45, +14:00).
UTC_OFFSETS = (-720, -600, -570, -480, -300, -210, -180, 60, 120, 180, 330, 345, 480, 540, 570, 600, 765, 840)
_LO_MS = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
_HI_MS = int(datetime(2032, 12, 31, tzinfo=timezone.utc).timestamp() * 1000)

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZäöüßéñçøÅ"
_LABEL_CHARS = _LETTERS + "0123456789-_"
_HOSTS = ("tracker.example.com", "acme.atlassian.net", "linear.app", "issues.example.org")


# -- reading the spec ---------------------------------------------------------------------------
def _resolve(spec: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = spec
        for part in str(node["$ref"]).lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _types(node: Mapping[str, Any]) -> set[str]:
    kind = node.get("type")
    return set(kind) if isinstance(kind, list) else ({kind} if kind else set())


def update_schema(profile: Profile, spec: Mapping[str, Any]) -> Mapping[str, Any]:
    """The JSON schema of the update request body (empty when the spec has none)."""
    assert profile.writes
    method = profile.writes.update_method.lower()
    operation = spec.get("paths", {}).get(profile.item, {}).get(method, {})
    content = _resolve(spec, operation.get("requestBody", {})).get("content", {})
    schema = next(iter(content.values()), {}).get("schema", {}) if content else {}
    return _resolve(spec, schema)


def _response_schema(profile: Profile, spec: Mapping[str, Any]) -> Mapping[str, Any]:
    assert profile.writes
    operation = spec.get("paths", {}).get(profile.item, {}).get(profile.writes.update_method.lower(), {})
    for status, response in sorted(operation.get("responses", {}).items()):
        if str(status).startswith("2"):
            content = _resolve(spec, response).get("content", {})
            return _resolve(spec, next(iter(content.values()), {}).get("schema", {})) if content else {}
    return {}


def response_properties(profile: Profile, spec: Mapping[str, Any]) -> list[str]:
    """The fields the update's success response documents (its 2xx JSON schema's properties)."""
    return list(_response_schema(profile, spec).get("properties", {}))


def undocumented_in_responses(profile: Profile, spec: Mapping[str, Any]) -> list[str]:
    """Response fields the spec flags ``x-undocumented-in-response`` (accepted on writes, but absent from
    the vendor's response documentation): an endpoint may never return them, so a key missing from
    one side of a comparison is not observable there, not changed."""
    properties = _response_schema(profile, spec).get("properties", {})
    return sorted(n for n, node in properties.items() if _resolve(spec, node).get("x-undocumented-in-response"))


def field_kind(spec: Mapping[str, Any], node: Any) -> str:
    node = _resolve(spec, node)
    alternatives = [_resolve(spec, n) for n in node.get("anyOf", node.get("oneOf", []))]
    if alternatives:
        kinds = {k for a in alternatives for k in _types(a)}
        if "array" in kinds and "string" in kinds:
            return RICH_TEXT
        node = next((a for a in alternatives if _types(a) - {"null"}), node)
    if "enum" in node:
        return ENUM
    types = _types(node) - {"null"}
    if "array" in types:
        return NAMES
    if node.get("format") == "date-time":
        return DATE_TIME
    if node.get("format") in ("uri", "url"):
        return URI
    if node.get("format") == "email":
        return EMAIL
    return TEXT


def field_kinds(profile: Profile, spec: Mapping[str, Any]) -> dict[str, str]:
    """Kind of every field the update can write (``not_nullable`` then ``nullable``, profile order)."""
    assert profile.writes
    properties = update_schema(profile, spec).get("properties", {})
    kinds: dict[str, str] = {}
    for name in (*profile.writes.not_nullable, *profile.writes.nullable):
        if name in profile.enums:
            kinds[name] = ENUM
        elif name in profile.writes.date_fields:
            kinds[name] = DATE_TIME
        else:
            kinds[name] = field_kind(spec, properties.get(name, {}))
    return kinds


# -- values --------------------------------------------------------------------------------------
def words(min_size: int = 1, max_size: int = 6) -> st.SearchStrategy[str]:
    word = st.text(alphabet=_LETTERS, min_size=1, max_size=9)
    return st.lists(word, min_size=min_size, max_size=max_size).map(" ".join)


def markdown() -> st.SearchStrategy[str]:
    """Paragraphs of words, some in bold, separated by blank lines: markdown any renderer keeps."""
    paragraph = st.tuples(words(1, 6), st.booleans(), words(0, 4)).map(
        lambda t: " ".join(p for p in (t[0], f"**{t[0].split()[0]}**" if t[1] else "", t[2]) if p))
    return st.lists(paragraph, min_size=1, max_size=3).map("\n\n".join)


def slate_nodes() -> st.SearchStrategy[list[dict[str, Any]]]:
    leaf = st.tuples(words(1, 5), st.booleans()).map(
        lambda t: {"text": t[0], "bold": True} if t[1] else {"text": t[0]})
    paragraph = st.lists(leaf, min_size=1, max_size=3).map(lambda leaves: {"type": "paragraph", "children": leaves})
    return st.lists(paragraph, min_size=1, max_size=3)


def rich_text() -> st.SearchStrategy[Any]:
    return st.one_of(markdown(), slate_nodes())


def instants_ns() -> st.SearchStrategy[int]:
    """Instants at millisecond precision (as the docs write them), between 2026 and 2032."""
    return st.integers(_LO_MS, _HI_MS).map(lambda ms: ms * NS_PER_MS)


def date_time_text(offsets: tuple[int, ...] = (0, *UTC_OFFSETS)) -> st.SearchStrategy[str]:
    """An ISO 8601 date-time with milliseconds, written in one of ``offsets`` (minutes; 0 = ``Z``)."""
    return st.tuples(instants_ns(), st.sampled_from(offsets)).map(lambda t: format_utc(t[0], 3, t[1]))


def offset_date_time_text() -> st.SearchStrategy[str]:
    """A date-time written with a non-UTC offset such as ``+02:00`` or ``-05:30``."""
    return date_time_text(UTC_OFFSETS)


def names() -> st.SearchStrategy[list[str]]:
    """1..4 distinct case-sensitive names, sometimes two that differ only in case."""
    name = st.text(alphabet=_LABEL_CHARS, min_size=1, max_size=12)
    plain = st.lists(name, min_size=1, max_size=4, unique=True)
    cased = st.text(alphabet="abcdefghij", min_size=2, max_size=8).map(lambda n: [n, n.capitalize()])
    return st.one_of(plain, plain, cased).filter(lambda xs: len(set(xs)) == len(xs))


def urls() -> st.SearchStrategy[str]:
    return st.builds(lambda host, key, n: f"https://{host}/browse/{key}-{n}", st.sampled_from(_HOSTS),
                     st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=5),
                     st.integers(1, 99_999))


def emails() -> st.SearchStrategy[str]:
    """Plain addresses at a reserved domain (RFC 2606), in lower case as services tend to store them."""
    return st.builds(lambda user, n: f"{user}.{n}@example.com",
                     st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10), st.integers(1, 9_999))


def titles(profile: Profile) -> st.SearchStrategy[str]:
    """Titles that keep the suite's marker, within the documented length."""
    return words(1, 5).map(lambda text: marked_title(profile, text))


def values(profile: Profile, kinds: Mapping[str, str], name: str) -> st.SearchStrategy[Any]:
    """A valid, non-empty value for the writable field ``name``."""
    assert profile.writes
    kind = kinds[name]
    if name == profile.writes.title_field:
        return titles(profile)
    if kind == ENUM:
        return st.sampled_from(profile.enums[name])
    if kind == RICH_TEXT:
        return rich_text()
    if kind == DATE_TIME:
        return date_time_text()
    if kind == URI:
        return urls()
    if kind == NAMES:
        return names()
    if kind == EMAIL:
        return emails()
    return words(1, 6)


def clearing_values(profile: Profile, kinds: Mapping[str, str], name: str) -> tuple[Any, ...]:
    """What clears a nullable field: the profile's clear value (``null``; ``""`` where a form body cannot
    send null), and with ``null`` for a list of names also ``[]`` (documented)."""
    assert profile.writes
    clear = profile.writes.clear_value
    return (clear, []) if clear is None and kinds[name] == NAMES else (clear,)


def update_bodies(profile: Profile, kinds: Mapping[str, str], fields: tuple[str, ...] | None = None
                  ) -> st.SearchStrategy[dict[str, Any]]:
    """Partial update bodies: each field absent, a value, or (nullable fields) a clearing value."""
    assert profile.writes
    names_ = fields if fields is not None else tuple(kinds)
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name in names_:
        value = values(profile, kinds, name)
        if name in profile.writes.nullable:
            value = st.one_of(value, value, st.sampled_from(clearing_values(profile, kinds, name)))
        optional[name] = value
    return st.fixed_dictionaries({}, optional=optional).filter(bool)


def invalid_values(profile: Profile, kinds: Mapping[str, str]) -> list[tuple[str, Any]]:
    """(field, value) pairs that break a documented constraint, one rule each, deterministic order.

    Only constraints every reasonable server enforces: the title length bounds, enum membership, a
    date-time that is not one, a list that is not a list, and for ``format: uri`` a text with spaces
    ("not a url"), which is no URI and no URI reference under any reading (the docs' response example
    holds "text" there, so a bare word is not probed: a relative reference is arguable).
    """
    assert profile.writes
    out: list[tuple[str, Any]] = []
    for name, kind in kinds.items():
        if name == profile.writes.title_field:
            if profile.writes.title_length is None:  # no documented bounds: no length is invalid
                continue
            lo, hi = profile.writes.title_length
            if lo >= 1:
                out.append((name, ""))
            too_long = marked_title(profile, "") + "x" * hi
            out.append((name, too_long[: hi + 1]))
        elif kind == ENUM:
            out.append((name, f"NOT_A_{name.upper()}"))
        elif kind == DATE_TIME:
            out.append((name, "not-a-date"))
        elif kind == NAMES:
            out.append((name, "not-a-list"))
        elif kind == URI:
            out.append((name, "not a url"))
    return out


def comparable_key(kind: str, value: Any) -> Any:
    """A key under which two values of ``kind`` count as the same (dates as instants, names as sets)."""
    import json

    from conformance.oracles.instants import parse_instant

    if kind == DATE_TIME and isinstance(value, str):
        return parse_instant(value)
    if kind == NAMES and isinstance(value, list):
        return tuple(sorted(set(value)))
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def distinct_values(profile: Profile, kinds: Mapping[str, str], name: str, count: int = 2
                    ) -> st.SearchStrategy[list[Any]]:
    """``count`` values of ``name`` that differ from each other as the API compares them."""
    return st.lists(values(profile, kinds, name), min_size=count, max_size=count,
                    unique_by=lambda v: comparable_key(kinds[name], v))
