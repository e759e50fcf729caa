"""What must hold when a request carries no key, a wrong one, or a near miss of the real one."""

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


def near_misses_refused(probes: Sequence[tuple[str, Exchange]], id_field: str,
                        marker_fields: tuple[str, ...]) -> None:
    """Each near miss of the key (described, with its exchange) must be refused: any 4xx (an empty or
    malformed credential may well be a 400; the docs name no status), and no body may leak a ticket.
    One violation names every probe that got through."""
    let_through: dict[str, Any] = {}
    failing: list[Exchange] = []
    for what, exchange in probes:
        if not 400 <= exchange.status < 500:
            let_through[what] = exchange.status
        else:
            try:
                body = exchange.json()
            except Exception:  # noqa: BLE001 - a non-JSON refusal leaks nothing we could parse
                continue
            if not carries_a_ticket(body, id_field, marker_fields):
                continue
            let_through[what] = f"{exchange.status} with ticket data"
        failing.append(exchange)
    if let_through:
        first = next(iter(let_through))
        more = f" (and {len(let_through) - 1} more)" if len(let_through) > 1 else ""
        raise Violation(f"a request with {first} was not refused{more}",
                        expected="a 4xx refusal without ticket data (401 or 403 expected) for each",
                        actual=let_through, exchanges=failing[::-1])  # the one named first, last: shown


def nothing_created(appeared: Sequence[Mapping[str, Any]], id_field: str, exchange: Exchange) -> None:
    """No ticket titled like the refused create appeared in the list (``appeared``: those that did)."""
    if appeared:
        raise Violation("an unauthenticated write changed the collection: the refused ticket is listed",
                        expected="no new ticket with the refused create's title",
                        actual=[i.get(id_field) for i in appeared][:5], exchanges=[exchange])
