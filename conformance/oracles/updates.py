"""What must hold when tickets are written: partial updates with nullable fields, atomic validation,
read-back through the list, ``updatedAt``, deal links and their amount sum.

Pure functions over observed tickets and exchanges. Where the docs leave a form open they accept
every reasonable one: a cleared field may be ``null`` or absent (a cleared list of names also
``[]``), instants are compared as instants whatever the offset, lists of names as sets, a Slate
description may come back as the same array or converted to a string with the same words, and a
field the API never returns at all is not judged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping, Sequence

from conformance.oracles.instants import NotAnInstant, parse_instant
from conformance.model.exchange import Exchange
from conformance.model.violations import Violation

Ticket = Mapping[str, Any]

RICH_TEXT, DATE_TIME, NAMES = "rich-text", "date-time", "string-list"
# Half a cent: amounts are money, and a server summing binary floats may be off in the last digits.
AMOUNT_TOLERANCE = Decimal("0.005")


@dataclass(frozen=True)
class Shape:
    """How to read a ticket: which fields hold instants, which are writable and of what kind."""

    id_field: str
    created_at: str
    updated_at: str
    closed_at: str
    state: str
    kinds: Mapping[str, str]  # writable field -> kind (see conformance.strategies.updates)
    linked_deals: str
    deal_sum: str
    instants: tuple[str, ...] = ()  # response fields compared as instants
    derived: tuple[str, ...] = field(default=())  # read-only fields an integration may fill from a URL
    documented: tuple[str, ...] = field(default=())  # response fields the docs name (empty: all count)
    # Fields an endpoint may never return (undocumented in responses): a key missing on one side of a
    # comparison is not observable there.
    unobservable: tuple[str, ...] = field(default=())

    def kind(self, name: str) -> str:
        return self.kinds.get(name, "")


# -- reading values ---------------------------------------------------------------------------------
def _instant(value: Any) -> Any:
    try:
        return parse_instant(value)
    except NotAnInstant:
        return value


def amount(value: Any) -> Decimal | None:
    """A JSON number as an exact decimal (None for null/absent/non-numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def is_cleared(ticket: Ticket, name: str, kind: str) -> bool:
    """Cleared: absent or null; an empty list of names; an empty description ("" or [])."""
    if name not in ticket or ticket[name] is None:
        return True
    value = ticket[name]
    if kind == NAMES:
        return value == []
    if kind == RICH_TEXT:
        return value in ("", [])
    return False


def slate_text(nodes: Any) -> str:
    """The text of a Slate node tree, leaves joined by spaces."""
    if isinstance(nodes, list):
        return " ".join(slate_text(n) for n in nodes)
    if isinstance(nodes, Mapping):
        parts = [nodes["text"]] if isinstance(nodes.get("text"), str) else []
        if "children" in nodes:
            parts.append(slate_text(nodes["children"]))
        return " ".join(parts)
    return ""


def names_of(value: Any) -> list[str] | None:
    """A returned list of names: strings, or objects with a ``name`` (labels are entities with an id
    on some servers; the response form is undocumented). None when it is neither."""
    if not isinstance(value, list):
        return None
    names = [v if isinstance(v, str) else v.get("name") if isinstance(v, Mapping) else None for v in value]
    return None if any(not isinstance(n, str) for n in names) else names


def _letters(text: str) -> str:
    """The letters and digits of ``text``, in order (no spacing, punctuation or markup)."""
    return "".join(re.findall(r"[^\W_]+", text))


def value_matches(kind: str, sent: Any, got: Any) -> bool:
    """Does ``got`` hold the value that was sent, as the docs let an API write it back?"""
    if kind == DATE_TIME:
        try:
            return parse_instant(got) == parse_instant(sent)
        except NotAnInstant:
            return False
    if kind == NAMES:
        names = names_of(got)
        return names is not None and set(names) == set(sent)
    if kind == RICH_TEXT:
        if got == sent:
            return True
        if isinstance(sent, str) and isinstance(got, str):  # a markdown round trip may re-space lines
            return got.split() == sent.split()
        # Docs: input is Slate or markdown, the response type is open. Across forms, the letters and digits
        # must survive in order: leaves of one block run together when rendered ("Ea" + "Lb" is "EaLb"), and
        # markup (**, _, #) and spacing are the renderer's.
        if isinstance(sent, list) != isinstance(got, list) and isinstance(got, (str, list)):
            text = lambda v: slate_text(v) if isinstance(v, list) else v  # noqa: E731
            return _letters(text(got)) == _letters(text(sent))
        return False
    return got == sent


def comparable(ticket: Ticket, shape: Shape) -> dict[str, Any]:
    """A ticket in a form where equal means "the same data": nulls dropped (null = absent), instants
    as instants, names as sorted sets, empty lists dropped, deal links sorted by id, amounts exact."""
    out: dict[str, Any] = {}
    for key in sorted(ticket):
        value = ticket[key]
        if value is None:
            continue
        if key in shape.instants:
            value = _instant(value)
        elif shape.kind(key) == NAMES and isinstance(value, list):
            if not value:
                continue
            value = sorted({json.dumps(v, ensure_ascii=False) for v in value})
        elif key == shape.linked_deals and isinstance(value, list):
            if not value:
                continue
            value = sorted((json.dumps(v, sort_keys=True, ensure_ascii=False) for v in value))
        elif key == shape.deal_sum and amount(value) is not None:
            value = amount(value)
        out[key] = value
    return out


def not_compared(before: Ticket, after: Ticket, shape: Shape) -> set[str]:
    """Keys a comparison of two tickets does not judge: undocumented extra fields (their meaning is
    unknown: a read-time stamp or a version counter may differ on every read), and fields an endpoint
    may never return when one side lacks the key (not observable there: compare like with like)."""
    keys = set(before) | set(after)
    skip = keys - set(shape.documented) if shape.documented else set()
    skip |= {k for k in shape.unobservable if (k in before) != (k in after)}
    return skip


def differences(before: Ticket, after: Ticket, shape: Shape, ignore: Iterable[str] = ()) -> dict[str, Any]:
    """Fields (not in ``ignore``, and judged at all: ``not_compared``) whose data differ:
    name -> {"before": ..., "after": ...}."""
    a, b = comparable(before, shape), comparable(after, shape)
    skip = set(ignore) | not_compared(before, after, shape)
    return {k: {"before": before.get(k), "after": after.get(k)}
            for k in sorted(set(a) | set(b)) if k not in skip and a.get(k) != b.get(k)}


def allowed_side_effects(before: Ticket, changes: Mapping[str, Any], shape: Shape) -> set[str]:
    """Fields an update may change besides the ones it names: updatedAt always, closedAt when the
    state changes, linked deals and their sum when deals are sent, and read-only integration fields
    when a URL field changes (a server may derive them from the URL; the docs are silent)."""
    allowed = {shape.updated_at, *changes}
    if shape.state in changes and changes[shape.state] != before.get(shape.state):
        allowed.add(shape.closed_at)
    if any(shape.kind(n) == "uri" for n in changes):
        allowed.update(shape.derived)
    return allowed


# -- checks over one exchange ---------------------------------------------------------------------
def write_succeeded(exchange: Exchange, id_field: str, what: str, ticket_id: Any = None) -> dict[str, Any]:
    """A valid write must succeed (2xx) and answer with the ticket (with the same id for an update)."""
    if not 200 <= exchange.status < 300:
        raise Violation(f"{what}: a valid request was refused", expected="2xx with the ticket",
                        actual=f"{exchange.status} {exchange.body[:300]!r}", exchanges=[exchange])
    ticket = exchange.json_object()
    if id_field not in ticket or (ticket_id is not None and ticket[id_field] != ticket_id):
        raise Violation(f"{what}: the response is not the written ticket",
                        expected=f"a ticket with {id_field} {ticket_id!r}" if ticket_id is not None else "a ticket",
                        actual=ticket, exchanges=[exchange])
    return ticket


def write_refused(exchange: Exchange, what: str) -> None:
    """An invalid or impossible write must be refused with a 4xx (the docs name no status)."""
    if not 400 <= exchange.status < 500:
        raise Violation(f"{what}: not refused", expected="a 4xx refusal",
                        actual=f"{exchange.status} {exchange.body[:300]!r}", exchanges=[exchange])


# -- checks over tickets --------------------------------------------------------------------------
def field_cleared(ticket: Ticket, name: str, kind: str, where: str, exchanges: Sequence[Exchange]) -> None:
    if not is_cleared(ticket, name, kind):
        raise Violation(f"{where}: {name} was not cleared", expected=f"{name} null or absent",
                        actual={name: ticket.get(name)}, exchanges=exchanges)


def field_holds(ticket: Ticket, name: str, kind: str, sent: Any, where: str, exchanges: Sequence[Exchange]) -> None:
    """The field holds the value sent (callers skip fields the API never returns)."""
    got = ticket.get(name)
    if not value_matches(kind, sent, got):
        expected = sent
        if kind == DATE_TIME:
            expected = f"the instant {sent}"
        elif kind == NAMES:
            expected = f"the set {sorted(set(sent))}"
        raise Violation(f"{where}: {name} does not hold the value sent", expected={name: expected},
                        actual={name: got} if name in ticket else f"{name} absent", exchanges=exchanges)


def others_kept(before: Ticket, after: Ticket, changes: Mapping[str, Any], shape: Shape, where: str,
                exchanges: Sequence[Exchange]) -> None:
    """Fields the update did not name keep their values (an absent field is kept). Undocumented extra
    fields are not judged: their meaning is unknown (a version counter may move on every write)."""
    ignore = allowed_side_effects(before, changes, shape)
    changed = differences(before, after, shape, ignore=ignore)
    if changed:
        raise Violation(f"{where}: fields the update did not send changed", expected="unchanged",
                        actual=changed, exchanges=exchanges)


def unchanged(before: Ticket, after: Ticket, shape: Shape, where: str, exchanges: Sequence[Exchange]) -> None:
    """Nothing changed, updatedAt included (of what is compared at all: ``not_compared``)."""
    changed = differences(before, after, shape)
    if changed:
        raise Violation(f"{where}: the ticket changed", expected="the ticket exactly as before",
                        actual=changed, exchanges=exchanges)


def updated_at_later(before: Ticket, after: Ticket, shape: Shape, where: str, exchanges: Sequence[Exchange]) -> None:
    """updatedAt after a successful update is strictly later than before, and not before createdAt."""
    try:
        old, new = parse_instant(before.get(shape.updated_at)), parse_instant(after.get(shape.updated_at))
        created = parse_instant(after.get(shape.created_at))
    except NotAnInstant as exc:
        raise Violation(f"{where}: {shape.updated_at}/{shape.created_at} is not an instant",
                        expected="ISO 8601 instants", actual=str(exc), exchanges=exchanges) from None
    if not new > old:
        raise Violation(f"{where}: {shape.updated_at} did not move forward",
                        expected=f"later than {before.get(shape.updated_at)}",
                        actual=after.get(shape.updated_at), exchanges=exchanges)
    if new < created:
        raise Violation(f"{where}: {shape.updated_at} is before {shape.created_at}",
                        expected=f"not before {after.get(shape.created_at)}", actual=after.get(shape.updated_at),
                        exchanges=exchanges)


def stamps_in_order(ticket: Ticket, shape: Shape, where: str, exchanges: Sequence[Exchange]) -> None:
    """A written ticket carries createdAt and updatedAt as instants, updatedAt not before createdAt."""
    if not shape.updated_at:  # the API keeps no update instant (a Stripe charge)
        return
    try:
        created, updated = parse_instant(ticket.get(shape.created_at)), parse_instant(ticket.get(shape.updated_at))
    except NotAnInstant as exc:
        raise Violation(f"{where}: {shape.created_at}/{shape.updated_at} is not an instant",
                        expected="ISO 8601 instants", actual=str(exc), exchanges=exchanges) from None
    if updated < created:
        raise Violation(f"{where}: {shape.updated_at} is before {shape.created_at}",
                        expected=f"not before {ticket.get(shape.created_at)}", actual=ticket.get(shape.updated_at),
                        exchanges=exchanges)


def listed_like_response(listed: Ticket, response: Ticket, shape: Shape, where: str,
                         exchanges: Sequence[Exchange]) -> None:
    """The list shows the ticket as the write answered it (of what is compared at all: ``not_compared``)."""
    changed = differences(response, listed, shape)
    if changed:
        raise Violation(f"{where}: the listed ticket differs from the write's response",
                        expected="the same fields", actual={k: {"response": v["before"], "listed": v["after"]}
                                                            for k, v in changed.items()}, exchanges=exchanges)


def total_grew_by(before: Any, after: Any, count: int, exchanges: Sequence[Exchange]) -> None:
    if not isinstance(before, int) or not isinstance(after, int) or after != before + count:
        raise Violation(f"totalCount did not grow by {count}", expected=before + count if isinstance(before, int)
                        else f"{count} more than before", actual=after, exchanges=exchanges)


def total_unchanged(before: Any, after: Any, exchanges: Sequence[Exchange], what: str = "a refused update") -> None:
    if after != before:
        raise Violation(f"{what} changed the collection size", expected=before, actual=after,
                        exchanges=exchanges)


# -- deals ----------------------------------------------------------------------------------------
def deal_links(ticket: Ticket, shape: Shape) -> dict[str, Any]:
    """Linked deals as JSON-encoded id -> priority."""
    links = ticket.get(shape.linked_deals) or []
    return {json.dumps(d.get("id")): d.get("priority") for d in links if isinstance(d, Mapping)}


def deal_linked(ticket: Ticket, deal_id: Any, priority: str, shape: Shape, where: str,
                exchanges: Sequence[Exchange]) -> None:
    """The deal is linked exactly once, with ``priority``."""
    links = deal_links(ticket, shape)
    key = json.dumps(deal_id)
    entries = [d for d in ticket.get(shape.linked_deals) or []
               if isinstance(d, Mapping) and json.dumps(d.get("id")) == key]
    if len(entries) > 1:
        raise Violation(f"{where}: deal {deal_id} is linked more than once", expected="one link per deal",
                        actual=entries, exchanges=exchanges)
    if links.get(key) != priority:
        actual = f"deal {deal_id} not linked" if key not in links else {"priority": links[key]}
        raise Violation(f"{where}: deal {deal_id} is not linked with priority {priority}",
                        expected={"id": deal_id, "priority": priority}, actual=actual, exchanges=exchanges)


def links_are(ticket: Ticket, expected: Mapping[str, Any], shape: Shape, where: str,
              exchanges: Sequence[Exchange]) -> None:
    """The ticket links exactly the deals ``expected`` (JSON id -> priority), each once, with that priority."""
    links = deal_links(ticket, shape)
    entries = [d for d in ticket.get(shape.linked_deals) or [] if isinstance(d, Mapping)]
    if links == dict(expected) and len(entries) == len(links):
        return
    problems = {}
    for key in sorted(set(links) | set(expected)):
        if key not in links:
            problems[key] = "link removed"
        elif key not in expected:
            problems[key] = "link not asked for"
        elif links[key] != expected[key]:
            problems[key] = f"priority {links[key]!r} instead of {expected[key]!r}"
    if len(entries) != len(links):
        problems["duplicates"] = f"{len(entries)} links for {len(links)} deals"
    raise Violation(f"{where}: the deal links are not what the updates asked for", expected=dict(sorted(expected.items())),
                    actual={"links": dict(sorted(links.items())), "differences": problems}, exchanges=exchanges)


def deal_unlinked(ticket: Ticket, deal_id: Any, shape: Shape, where: str, exchanges: Sequence[Exchange]) -> None:
    if json.dumps(deal_id) in deal_links(ticket, shape):
        raise Violation(f"{where}: deal {deal_id} is still linked after delete: true",
                        expected=f"no link to deal {deal_id}", actual=ticket.get(shape.linked_deals),
                        exchanges=exchanges)


def deals_linked_as_sent(ticket: Ticket, sent: Mapping[str, Any], amounts: Mapping[str, Decimal], shape: Shape,
                         where: str, exchanges: Sequence[Exchange]) -> None:
    """After a write that asked for the deal links ``sent`` (JSON id -> priority) on a ticket with none:
    either no link at all (a create may ignore deals, which only its request example shows), with a
    sum of 0 or null; or exactly those links with those priorities, and, where each deal's amount is
    known (``amounts``), a sum of those amounts."""
    links = deal_links(ticket, shape)
    if not links:
        unlinked_sums_are_zero([ticket], shape, exchanges)
        return
    for key, priority in sent.items():
        deal_linked(ticket, json.loads(key), priority, shape, where, exchanges)
    extra = sorted(set(links) - set(sent))
    if extra:
        raise Violation(f"{where}: deals linked that the write did not send", expected=sorted(sent),
                        actual=sorted(links), exchanges=exchanges)
    if sent and all(k in amounts for k in sent):
        amounts_equal(sum((amounts[k] for k in sent), Decimal(0)), deal_sum(ticket, shape, where, exchanges),
                      f"{where}: {shape.deal_sum} is not the sum of the linked deals' amounts (as tickets linking "
                      "only one of them show)", exchanges)


def deal_sum(ticket: Ticket, shape: Shape, where: str, exchanges: Sequence[Exchange]) -> Decimal:
    """dealAmountSum as a number; null/absent counts as 0 only when no deal is linked."""
    value = ticket.get(shape.deal_sum)
    number = amount(value)
    if number is not None:
        return number
    if value is None and not deal_links(ticket, shape):
        return Decimal(0)
    raise Violation(f"{where}: {shape.deal_sum} is not a number", expected="a number",
                    actual={shape.deal_sum: value}, exchanges=exchanges)


def amounts_equal(expected: Decimal, actual: Decimal, what: str, exchanges: Sequence[Exchange]) -> None:
    if abs(expected - actual) > AMOUNT_TOLERANCE:
        raise Violation(what, expected=str(expected), actual=str(actual), exchanges=exchanges)


def unlinked_sums_are_zero(tickets: Iterable[Ticket], shape: Shape, exchanges: Sequence[Exchange]) -> None:
    """A ticket without linked deals has a deal amount sum of 0 (or null/absent)."""
    for ticket in tickets:
        if deal_links(ticket, shape):
            continue
        value = ticket.get(shape.deal_sum)
        if value is not None and amount(value) != 0:
            raise Violation(f"ticket {ticket.get(shape.id_field)!r} links no deal but has {shape.deal_sum} {value}",
                            expected="0 or null", actual=value, exchanges=exchanges)


def single_deal_sums_agree(tickets: Iterable[Ticket], shape: Shape, exchanges: Sequence[Exchange]
                           ) -> dict[str, Decimal]:
    """Tickets linking exactly the same one deal show the same sum (that deal's amount); returns
    deal (JSON id) -> that amount, as observed."""
    seen: dict[str, tuple[Decimal, Any]] = {}
    for ticket in tickets:
        links = deal_links(ticket, shape)
        number = amount(ticket.get(shape.deal_sum))
        if len(links) != 1 or number is None:
            continue
        (key,) = links
        if key in seen and abs(seen[key][0] - number) > AMOUNT_TOLERANCE:
            other = seen[key][1]
            raise Violation(f"two tickets linking only deal {key} show different {shape.deal_sum}",
                            expected=f"{seen[key][0]} (as on ticket {other!r})",
                            actual=f"{number} on ticket {ticket.get(shape.id_field)!r}", exchanges=exchanges)
        seen.setdefault(key, (number, ticket.get(shape.id_field)))
    return {k: v[0] for k, v in seen.items()}
