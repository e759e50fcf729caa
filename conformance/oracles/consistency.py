"""What must hold between answers of the same API: retrieve vs list, repeated queries, unknown ids."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from conformance.oracles.auth import carries_a_ticket
from conformance.oracles.instants import NotAnInstant, parse_instant
from conformance.model.exchange import BadResponse, Exchange
from conformance.model.violations import Violation


def _same_value(field: str, listed: Any, retrieved: Any, instant_fields: Sequence[str]) -> bool:
    if listed == retrieved and type(listed) is type(retrieved):
        return True
    if field in instant_fields:
        # The docs leave the format open (ISO string or unix seconds): the same instant is the same value.
        try:
            return parse_instant(listed) == parse_instant(retrieved)
        except NotAnInstant:
            return False
    return False


def retrieved_matches_listed(listed: Mapping[str, Any], retrieved: Exchange, list_exchange: Exchange | None,
                             instant_fields: Sequence[str] = ()) -> None:
    """Every field of the list item is present in the retrieved ticket, with an equal value.

    Extra fields in the retrieved ticket are allowed: the docs do not say list items are complete.
    """
    shown = [retrieved] + ([list_exchange] if list_exchange is not None else [])
    if retrieved.status != 200:
        raise Violation("retrieving a ticket the list returned failed", expected=200, actual=retrieved.status,
                        exchanges=shown)
    body = retrieved.json()
    if not isinstance(body, dict):
        raise Violation("the retrieved ticket is not a JSON object", expected="a ticket object",
                        actual=type(body).__name__, exchanges=shown)
    missing = sorted(k for k in listed if k not in body)
    differing = sorted(k for k in listed if k in body and not _same_value(k, listed[k], body[k], instant_fields))
    if missing or differing:
        raise Violation(
            f"the retrieved ticket differs from the list item (missing {missing}, different {differing})",
            expected={k: listed[k] for k in missing + differing},
            actual={k: body.get(k, "<absent>") for k in missing + differing}, exchanges=shown)


def unknown_id_refused(exchange: Exchange, id_field: str, markers: Sequence[str]) -> None:
    """An id the list never returned is refused with a 4xx whose body carries no ticket."""
    if not 400 <= exchange.status < 500:
        raise Violation("retrieving an id the list never returned was not refused", expected="any 4xx",
                        actual=exchange.status, exchanges=[exchange])
    try:
        body = exchange.json()
    except BadResponse:
        return  # a non-JSON refusal carries no ticket we could read
    if carries_a_ticket(body, id_field, markers):
        raise Violation("the refusal of an unknown id carries ticket data", expected="an error body without a ticket",
                        actual=body, exchanges=[exchange])


def same_ids(first: Exchange, second: Exchange, items_key: str, has_more_key: str, id_field: str) -> bool:
    """Both answers list the same ids in the same order with the same has_more (fields may differ)."""
    def key(exchange: Exchange) -> Any:
        body = exchange.json_object() if exchange.status == 200 else {}
        items = body.get(items_key)
        ids = [i.get(id_field) if isinstance(i, dict) else i for i in items] if isinstance(items, list) else items
        return exchange.status, ids, body.get(has_more_key)

    return key(first) == key(second)


def same_answer(first: Exchange, second: Exchange, items_key: str, has_more_key: str) -> None:
    """The same query asked twice, with no write in between, gets the same items and has_more."""
    if first.status != second.status:
        raise Violation("the same query asked twice got different statuses", expected=first.status,
                        actual=second.status, exchanges=[first, second])
    a, b = first.json_object(), second.json_object()
    if a.get(items_key) != b.get(items_key) or a.get(has_more_key) != b.get(has_more_key):
        def ids(body: Mapping[str, Any]) -> Any:
            items = body.get(items_key)
            return [i.get("id") if isinstance(i, dict) else i for i in items] if isinstance(items, list) else items

        raise Violation("the same query asked twice got different answers",
                        expected={"ids": ids(a), has_more_key: a.get(has_more_key)},
                        actual={"ids": ids(b), has_more_key: b.get(has_more_key)}, exchanges=[first, second])


def _next_of_its_kind(char: str) -> str:
    """Another character of the same class (digit, lower, upper), so the id stays well-formed."""
    for alphabet in ("0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
        if char in alphabet:
            return alphabet[(alphabet.index(char) + 1) % len(alphabet)]
    return "0" if char != "0" else "1"


def unknown_ids(known: Sequence[Any]) -> list[str]:
    """Well-formed ids derived from real ones (the last one or two characters changed within their class,
    so a lenient parser cannot read them as the real id) that the list never returned."""
    seen = {str(k) for k in known}
    found: list[str] = []
    for base in [str(k) for k in known[:5] if str(k)]:
        last = base[:-1] + _next_of_its_kind(base[-1])
        two = (base[:-2] + _next_of_its_kind(base[-2]) + _next_of_its_kind(base[-1])) if len(base) >= 2 else last
        for candidate in (last, two):
            if candidate not in seen and candidate not in found:
                found.append(candidate)
    return found
