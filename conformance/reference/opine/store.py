"""The one state store of the Opine reference server.

Everything the server does happens here, under one lock, in small methods ("seams"). A mutant is a
subclass that overrides exactly one seam. The store never reads the wall clock and draws all
randomness from ``random.Random(seed)``.
"""

from __future__ import annotations

import copy
import random
import threading
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Mapping

from .errors import not_found, unauthorized, validation_error
from .model import (
    CLOSED,
    TICKET_STATES,
    TICKET_TYPES,
    UTC,
    Clock,
    DealChange,
    Ticket,
    amount_sum_cents,
    format_instant,
    render_amount,
)
from .seed import DEALS, DEFAULT_TICKET_COUNT, ORGANIZATION_ID, SEED_USER_IDS, seed_tickets
from .validation import TicketValidation

DEFAULT_API_KEY = "opine-reference-key"
CLOCK_START = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)  # after every seeded timestamp
CLOCK_STEP = timedelta(seconds=1, milliseconds=7)
API_USER_ID = 7  # Choice (docs silent): tickets created through the API belong to the key's user, 7

# JSON key -> Ticket attribute for the fields a write sets directly.
_ATTRIBUTES = MappingProxyType({
    "title": "title",
    "type": "type",
    "description": "description",
    "targetDueDate": "target_due_date",
    "vendorEntityUrl": "vendor_entity_url",
})


class OpineStore(TicketValidation):
    created_status = 201  # documented (O-TK): the status of a successful create
    updated_status = 200  # documented (SEED-O): the status of a successful update

    def __init__(self, seed: int = 0, tickets: int | None = None, api_key: str = DEFAULT_API_KEY,
                 churn: int = 0, churn_updates: bool = False, clock: Clock | None = None) -> None:
        self.seed = seed
        self.api_key = api_key
        self.organization_id = ORGANIZATION_ID
        self._lock = threading.RLock()  # re-entrant, so a mutant may call super() while holding it
        self._clock = clock if clock is not None else Clock(CLOCK_START, CLOCK_STEP)
        # Other writers (serve --churn K): before every K-th request another user writes. Their
        # draws come from their own generator, so churn never changes the seeded data.
        self.churn = churn
        self.churn_updates = churn_updates
        self._requests = 0
        self._churn_rng = random.Random(f"opine-churn-{seed}")
        self._position: dict[int, float] = {}  # list position of other writers' tickets (else the id)
        self._deals = {deal.id: deal for deal in DEALS}
        count = DEFAULT_TICKET_COUNT if tickets is None else tickets
        seeded = seed_tickets(random.Random(seed), count, self._deals)
        self._tickets: dict[int, Ticket] = {t.id: t for t in seeded}
        self._labels: dict[str, int] = {}  # name -> label id; labels are created on first use
        for ticket in seeded:
            self._intern_labels(ticket.labels)
        self._next_id = max(self._tickets, default=0) + 1

    # == operations (public; each one runs under the lock) ====================================
    def authenticate(self, headers: Mapping[str, str], method: str = "GET") -> None:
        """``headers`` keys are lower case. Raises a 401 OpineError unless the key matches."""
        with self._lock:
            if self._key_required(method) and not self._authenticate(headers):
                raise unauthorized()

    def list_tickets(self, limit: str | None = None, offset: str | None = None) -> dict[str, Any]:
        """GET /v1/tickets with the raw query values (None when absent)."""
        with self._lock:
            issues: list = []
            limit_value = self._collect(issues, self._parse_limit, limit)
            offset_value = self._collect(issues, self._parse_offset, offset)
            if issues:
                raise validation_error(issues)
            tickets = self._ordered_tickets()
            page = self._page(tickets, offset_value, limit_value)
            return self._envelope([self._render(t) for t in page], limit_value, offset_value,
                                  self._total(tickets, page))

    def create_ticket(self, body: object) -> dict[str, Any]:
        """POST /v1/tickets with the parsed JSON body. A failed validation creates nothing."""
        with self._lock:
            return self._render(self._new_ticket(self._validate_create(body)))

    def update_ticket(self, raw_id: str, body: object) -> dict[str, Any]:
        """PUT /v1/tickets/{raw_id}. Choice (docs silent): the id is looked up (404) before the
        body is validated (400); JSON syntax is checked by the app before either."""
        with self._lock:
            ticket = self._find_ticket(raw_id)
            self._update(ticket, body)
            return self._render(ticket)

    def before_request(self) -> None:
        """Called by the app before it handles each request: every ``churn``-th one, another user
        creates a ticket first (and, with ``churn_updates``, updates one of the others' tickets)."""
        with self._lock:
            self._requests += 1
            if self.churn and self._requests % self.churn == 0:
                self._other_user_creates()
                if self.churn_updates:
                    self._other_user_updates()

    # == other writers (churn) =================================================================
    def _other_user_creates(self) -> None:
        """A normal create by another user, listed wherever a seeded draw puts it (the docs do not
        fix the list order, so a new ticket need not come last)."""
        rng = self._churn_rng
        ticket = self._new_ticket({"type": rng.choice(TICKET_TYPES), "state": rng.choice(TICKET_STATES),
                                   "title": f"Customer request {rng.randrange(10_000):04d}"})
        ticket.created_by_user_id = rng.choice(SEED_USER_IDS)
        self._position[ticket.id] = rng.uniform(0, ticket.id)

    def _other_user_updates(self) -> None:
        """Another user retitles one of the tickets the API's own user did not create."""
        candidates = [t for t in self._tickets.values() if t.created_by_user_id != API_USER_ID]
        if candidates:
            ticket = self._churn_rng.choice(sorted(candidates, key=lambda t: t.id))
            self._touch(ticket)
            ticket.title = f"{ticket.title[:200]} (edited)"

    # == auth ==================================================================================
    def _key_required(self, method: str) -> bool:
        """Every known route needs the key, whatever the method."""
        return True

    def _authenticate(self, headers: Mapping[str, str]) -> bool:
        """The ``X-API-Key`` header must equal the store's key exactly. Scopes are not modelled."""
        return headers.get("x-api-key") == self.api_key

    # == listing ===============================================================================
    def _ordered_tickets(self) -> list[Ticket]:
        """Choice (docs silent): lists are ordered by id ascending (new tickets come last); other
        users' tickets under churn are placed by a seeded draw."""
        return sorted(self._tickets.values(), key=lambda t: (self._position.get(t.id, t.id), t.id))

    def _page(self, tickets: list[Ticket], offset: int, limit: int) -> list[Ticket]:
        """Skip ``offset``, take ``limit``. An offset past the end gives an empty page."""
        return tickets[offset:offset + limit]

    def _total(self, tickets: list[Ticket], page: list[Ticket]) -> int:
        """totalCount: every ticket in the collection, independent of limit/offset."""
        return len(tickets)

    def _envelope(self, items: list[dict[str, Any]], limit: int, offset: int, total: int) -> dict[str, Any]:
        """The list envelope; ``limit`` and ``offset`` are echoed as applied."""
        return {"items": items, "limit": limit, "offset": offset, "totalCount": total}

    # == create ================================================================================
    def _new_ticket(self, fields: dict[str, Any]) -> Ticket:
        """Insert a ticket built from validated ``fields`` (createdAt = updatedAt = next instant)."""
        now = self._clock.tick()
        ticket = Ticket(
            id=self._next_id,
            type=fields["type"],
            state=fields["state"],
            title=fields["title"],
            created_at=now,
            updated_at=now,
            organization_id=self.organization_id,
            created_by_user_id=API_USER_ID,
        )
        self._next_id += 1
        self._tickets[ticket.id] = ticket
        self._apply_update(ticket, {k: v for k, v in fields.items() if k not in ("type", "state", "title")})
        self._on_state_change(ticket, None, ticket.state)  # created CLOSED -> closedAt = createdAt
        return ticket

    # == update ================================================================================
    def _find_ticket(self, raw_id: str) -> Ticket:
        ticket_id = self._parse_ticket_id(raw_id)
        ticket = None if ticket_id is None else self._tickets.get(ticket_id)
        return self._missing_ticket(raw_id) if ticket is None else ticket

    def _parse_ticket_id(self, raw_id: str) -> int | None:
        """Choice (docs silent): a path id is decimal digits (leading zeros allowed); else 404."""
        if raw_id.isascii() and raw_id.isdigit() and len(raw_id.lstrip("0")) <= 18:
            return int(raw_id)
        return None

    def _missing_ticket(self, raw_id: str) -> Ticket:
        """Unknown id: 404 and nothing is created."""
        raise not_found(f"Ticket {raw_id} not found.")

    def _update(self, ticket: Ticket, body: object) -> None:
        """Validate the whole body first, then touch and apply: a 400 leaves the ticket as it was."""
        changes = self._validate_update(body)
        self._touch(ticket)
        self._apply_update(ticket, changes)

    def _apply_update(self, ticket: Ticket, changes: dict[str, Any]) -> None:
        """Partial update: a key absent from ``changes`` is kept; a None value clears the field."""
        for key, value in changes.items():
            if key == "deals":
                self._apply_deal_changes(ticket, value)
            elif key == "labels":  # null or [] clears; the list replaces the old labels
                ticket.labels = self._intern_labels(value or [])
            elif key == "state":
                old, ticket.state = ticket.state, value
                if old != value:
                    self._on_state_change(ticket, old, value)
            else:
                setattr(ticket, _ATTRIBUTES[key], value)

    def _on_state_change(self, ticket: Ticket, old: str | None, new: str) -> None:
        """Choice (docs silent): closedAt is set when the state becomes CLOSED (to the write's
        instant) and cleared (null) when it leaves CLOSED. ``old`` is None on create."""
        if new == CLOSED:
            ticket.closed_at = self._clock.now()
        elif old == CLOSED:
            ticket.closed_at = None

    def _touch(self, ticket: Ticket) -> None:
        """Every successful PUT (even an empty one) moves updatedAt to the clock's next instant."""
        ticket.updated_at = self._clock.tick()

    # == deals and labels ======================================================================
    def _apply_deal_changes(self, ticket: Ticket, deals: list[DealChange]) -> None:
        """In order: ``delete: true`` unlinks, otherwise link or change the priority."""
        for change in deals:
            if change.delete:
                self._unlink_deal(ticket, change.id)
            else:
                self._link_deal(ticket, change.id, change.priority)
        self._refresh_deal_amount_sum(ticket)

    def _link_deal(self, ticket: Ticket, deal_id: int, priority: str) -> None:
        """Choice (docs silent): a re-linked deal keeps its position in linkedDeals."""
        ticket.deal_links[deal_id] = priority

    def _unlink_deal(self, ticket: Ticket, deal_id: int) -> None:
        """Choice (docs silent): deleting a link that does not exist is a no-op."""
        ticket.deal_links.pop(deal_id, None)

    def _refresh_deal_amount_sum(self, ticket: Ticket) -> None:
        ticket.deal_amount_sum_cents = amount_sum_cents(self._deals, ticket.deal_links)

    def _intern_labels(self, names: list[str]) -> list[str]:
        """Labels that don't exist yet are created (case-sensitive names)."""
        for name in names:
            self._labels.setdefault(name, len(self._labels) + 1)
        return list(names)

    # == rendering =============================================================================
    def _render(self, t: Ticket) -> dict[str, Any]:
        """The Ticket in the docs' key order, plus ``labels``.

        Choice (docs silent): optional values are rendered as null (never omitted), and labels are
        returned although the docs' example does not show them.
        """
        return {
            "type": t.type,
            "state": t.state,
            "id": t.id,
            "createdAt": format_instant(t.created_at),
            "updatedAt": format_instant(t.updated_at),
            "closedAt": format_instant(t.closed_at),
            "organizationId": t.organization_id,
            "createdByUserId": t.created_by_user_id,
            "title": t.title,
            "description": copy.deepcopy(t.description),  # callers never share stored state
            "vendorEntityId": t.vendor_entity_id,
            "vendorEntityKey": t.vendor_entity_key,
            "integrationInstallationId": t.integration_installation_id,
            "targetDueDate": format_instant(t.target_due_date),
            "linkedDeals": [self._render_deal_link(deal_id, p) for deal_id, p in t.deal_links.items()],
            "dealAmountSum": render_amount(t.deal_amount_sum_cents),
            "vendorEntityUrl": t.vendor_entity_url,
            "labels": list(t.labels),
        }

    def _render_deal_link(self, deal_id: int, priority: str) -> dict[str, Any]:
        deal = self._deals[deal_id]
        return {
            "id": deal.id,
            "evaluationId": deal.evaluation_id,
            "name": deal.name,
            "priority": priority,
            "sharedWithBuyer": deal.shared_with_buyer,
        }


__all__ = ["OpineStore", "DEFAULT_API_KEY"]
