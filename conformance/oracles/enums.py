"""What must hold for enum fields, title bounds and the closedAt lifecycle.

Pure functions over observations: walks, single exchanges and tickets as the API returned them.
Enum sets and bounds come from the profile; every other expectation comes from what the API itself
returned (a ticket read before a refused write is the oracle for the same ticket read after it).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from conformance.oracles.instants import NotAnInstant, parse_instant
from conformance.model.exchange import Exchange
from conformance.model.observations import Walk
from conformance.model.violations import Violation


def values_at(obj: Any, path: str) -> list[Any]:
    """The values at ``path`` in ``obj``: dotted keys, ``name[]`` steps into every element of a list.

    ``"linkedDeals[].priority"`` -> the priority of every linked deal. Absent keys (and a non-list
    where a list step is asked for) contribute nothing; a present ``null`` is returned as ``None``.
    """
    current = [obj]
    for part in path.split("."):
        many = part.endswith("[]")
        key = part[:-2] if many else part
        found: list[Any] = []
        for value in current:
            if not isinstance(value, Mapping) or key not in value:
                continue
            inner = value[key]
            if many:
                found.extend(inner if isinstance(inner, list) else [])
            else:
                found.append(inner)
        current = found
    return current


def returned_enums_are_documented(walk: Walk, enums: Mapping[str, Sequence[str]], id_field: str) -> None:
    """Every enum value in every walked ticket is one of the documented values, exactly (case included)."""
    bad: list[tuple[Any, str, Any, Exchange]] = []
    for page in walk.pages:
        for item in page.items:
            for path in sorted(enums):
                allowed = enums[path]
                for value in values_at(item, path):
                    if not isinstance(value, str) or value not in allowed:
                        bad.append((item.get(id_field), path, value, page.exchange))
    if bad:
        ticket_id, path, value, _ = bad[0]
        exchanges: list[Exchange] = []
        for *_, exchange in bad:
            if exchange not in exchanges:
                exchanges.append(exchange)
        raise Violation(f"{len(bad)} enum value(s) outside the documented sets; first: ticket {ticket_id!r} "
                        f"has {path} = {value!r}", expected=list(enums[path]), actual=value,
                        exchanges=exchanges[:3])


# -- writes -----------------------------------------------------------------------------------------


def accepted(exchange: Exchange, what: str) -> dict[str, Any]:
    """A valid write succeeded (any 2xx: the status itself is the schema checks' business)."""
    if not 200 <= exchange.status < 300:
        raise Violation(f"{what} was refused", expected="a 2xx answer with the ticket", actual=exchange.status,
                        exchanges=[exchange])
    return exchange.json_object()


def rejected(exchange: Exchange, what: str) -> None:
    """An invalid write was refused with a 4xx (the docs name no validation status)."""
    if not 400 <= exchange.status < 500:
        raise Violation(f"{what} was not rejected", expected="a 4xx validation error", actual=exchange.status,
                        exchanges=[exchange])


def returned_intact(ticket: Mapping[str, Any], field: str, sent: Any, exchange: Exchange, what: str) -> None:
    if ticket.get(field) != sent:
        raise Violation(f"{what}: {field} did not come back as sent", expected=sent, actual=ticket.get(field),
                        exchanges=[exchange])


def documented_value_accepted(exchange: Exchange, field: str, value: str, what: str) -> dict[str, Any]:
    """A documented enum value is accepted (2xx) and comes back exactly as sent."""
    if not 200 <= exchange.status < 300:
        raise Violation(f"{what}: the documented value {value!r} was refused", expected=f"a 2xx with {field} {value!r}",
                        actual=f"{exchange.status} {exchange.body[:300]!r}", exchanges=[exchange])
    ticket = exchange.json_object()
    if ticket.get(field) != value:
        raise Violation(f"{what}: {field} did not come back as the documented value sent", expected=value,
                        actual=ticket.get(field), exchanges=[exchange])
    return ticket


def deal_priority_accepted(exchange: Exchange, links_field: str, deal_id: Any, priority: str, what: str) -> None:
    """A documented deal priority is accepted (2xx) and the link comes back with exactly that priority."""
    if not 200 <= exchange.status < 300:
        raise Violation(f"{what}: the documented priority {priority!r} was refused",
                        expected=f"a 2xx linking deal {deal_id!r} as {priority!r}",
                        actual=f"{exchange.status} {exchange.body[:300]!r}", exchanges=[exchange])
    links = exchange.json_object().get(links_field) or []
    got = [link.get("priority") for link in links if isinstance(link, Mapping) and link.get("id") == deal_id]
    if got != [priority]:
        raise Violation(f"{what}: deal {deal_id!r} is not linked with the documented priority sent",
                        expected=[priority], actual=got, exchanges=[exchange])


def nothing_created(appeared: Sequence[Mapping[str, Any]], exchanges: Sequence[Exchange], id_field: str,
                    what: str) -> None:
    """No ticket titled like a refused create appeared in the list (``appeared``: those that did)."""
    if appeared:
        raise Violation(f"{what} changed the collection: the refused ticket is listed",
                        expected="no new ticket with a refused create's title",
                        actual=[i.get(id_field) for i in appeared][:5], exchanges=list(exchanges)[-3:])


def ticket_unchanged(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                     exchanges: Sequence[Exchange], what: str, skip: Iterable[str] = ()) -> None:
    """The ticket read back after refused writes is the ticket read before them, field for field
    (except the ``skip`` fields: undocumented ones, whose meaning is unknown)."""
    if after is None:
        raise Violation(f"after {what}, the ticket is no longer in the list", expected=before, actual=None,
                        exchanges=list(exchanges)[-3:])
    assert before is not None
    ignored = set(skip)
    changed = sorted(k for k in set(before) | set(after) if k not in ignored and before.get(k) != after.get(k))
    if changed:
        raise Violation(f"{what} changed the ticket (fields {', '.join(changed)})",
                        expected={k: before.get(k) for k in changed}, actual={k: after.get(k) for k in changed},
                        exchanges=list(exchanges)[-3:])


def other_case_is_refused(exchange: Exchange, field: str, sent: str, documented: Iterable[str]) -> None:
    """An enum value differing from a documented one only in case is refused; where it is accepted, the
    returned value must at least be a documented one (exact case)."""
    if 400 <= exchange.status < 500:
        return
    if not 200 <= exchange.status < 300:
        raise Violation(f"{field}={sent!r} (a documented value in another case) was answered with "
                        f"{exchange.status}", expected="a 4xx validation error", actual=exchange.status,
                        exchanges=[exchange])
    returned = exchange.json_object().get(field)
    allowed = list(documented)
    if returned not in allowed:
        raise Violation(f"{field}={sent!r} was accepted and stored as {returned!r}, which is not a documented "
                        f"value", expected=allowed, actual=returned, exchanges=[exchange])
    raise Violation(f"{field}={sent!r} (not a documented value: enums are case-sensitive) was accepted and "
                    f"normalised to {returned!r}", expected="a 4xx validation error", actual=exchange.status,
                    exchanges=[exchange])


def other_case_comes_back_documented(exchange: Exchange, field: str, sent: str, documented: Iterable[str]) -> None:
    """Where a documented value in another case is accepted (refusing it is what
    ``other_case_is_refused`` asks, at SHOULD level), the value that comes back is the documented
    spelling: a value outside the documented set must never be stored."""
    if not 200 <= exchange.status < 300:
        return
    returned = exchange.json_object().get(field)
    spelled = [v for v in documented if v.lower() == sent.lower()]
    if returned not in spelled:
        raise Violation(f"{field}={sent!r} (a documented value in another case) was accepted and comes back as "
                        f"{returned!r}, which is not a documented value", expected=spelled or list(documented),
                        actual=returned, exchanges=[exchange])


def closed_at_is_set(ticket: Mapping[str, Any], field: str, created_field: str, state: str,
                     exchange: Exchange) -> None:
    """A ticket that became ``state`` (closed) carries a parseable closedAt, not before its creation."""
    value = ticket.get(field)
    if value is None:
        raise Violation(f"a ticket moved to {state} has no {field}", expected=f"{field} set", actual=value,
                        exchanges=[exchange])
    try:
        closed = parse_instant(value)
    except NotAnInstant:
        raise Violation(f"{field} of a ticket moved to {state} is not an instant", expected="an ISO 8601 instant",
                        actual=value, exchanges=[exchange]) from None
    try:
        created = parse_instant(ticket.get(created_field))
    except NotAnInstant:
        return  # the schema checks report an unreadable creation instant
    if closed < created:
        raise Violation(f"{field} of a ticket moved to {state} is before its {created_field}",
                        expected=f"{field} >= {ticket.get(created_field)}", actual=value, exchanges=[exchange])


def closed_at_is_cleared(ticket: Mapping[str, Any], field: str, state: str, exchange: Exchange) -> None:
    """A ticket reopened (moved to ``state``) has no closedAt (null or absent)."""
    if ticket.get(field) is not None:
        raise Violation(f"a ticket reopened to {state} still has {field}", expected="null or absent",
                        actual=ticket.get(field), exchanges=[exchange])


__all__ = [
    "values_at", "returned_enums_are_documented", "accepted", "rejected", "returned_intact", "nothing_created",
    "ticket_unchanged", "other_case_is_refused", "closed_at_is_set", "closed_at_is_cleared",
]
