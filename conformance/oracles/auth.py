"""What must hold when a request carries no key or a wrong one."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from conformance.model.exchange import Exchange
from conformance.model.violations import Violation

REFUSED = (401, 403)


def carries_a_ticket(value: Any, id_field: str, marker_fields: Sequence[str]) -> bool:
    """Whether a JSON body holds, at any depth, an object with an id and a ticket field."""
    if isinstance(value, dict):
        if id_field in value and any(f in value for f in marker_fields):
            return True
        return any(carries_a_ticket(v, id_field, marker_fields) for v in value.values())
    if isinstance(value, list):
        return any(carries_a_ticket(v, id_field, marker_fields) for v in value)
    return False


def refused_without_ticket_data(exchange: Exchange, id_field: str, marker_fields: tuple[str, ...],
                                what: str) -> None:
    """The request must be refused with 401 or 403, and the body must not leak a ticket."""
    if exchange.status not in REFUSED:
        raise Violation(f"a request with {what} was not refused", expected="401 or 403",
                        actual=exchange.status, exchanges=[exchange])
    try:
        body = exchange.json()
    except Exception:  # noqa: BLE001 - a non-JSON refusal leaks nothing we could parse
        return
    if carries_a_ticket(body, id_field, marker_fields):
        raise Violation(f"the refusal of a request with {what} carries ticket data",
                        expected="an error body without tickets", actual=body, exchanges=[exchange])


def nothing_created(appeared: Sequence[Mapping[str, Any]], id_field: str, exchange: Exchange) -> None:
    """No ticket titled like the refused create appeared in the list (``appeared``: those that did)."""
    if appeared:
        raise Violation("an unauthenticated write changed the collection: the refused ticket is listed",
                        expected="no new ticket with the refused create's title",
                        actual=[i.get(id_field) for i in appeared][:5], exchanges=[exchange])
