"""Opine mutants for the create checks: rules the update path keeps, broken only when a ticket is created."""

import re
from datetime import timedelta

from conformance.reference.opine import OpineStore


class OpineCreateIgnoresLabels(OpineStore):
    """Labels sent on create are dropped (a PUT sets them as documented)."""

    catches = "created_fields_come_back_as_sent"

    def _validate_create(self, body):
        return {k: v for k, v in super()._validate_create(body).items() if k != "labels"}


class OpineCreateOffsetIgnored(OpineStore):
    """On create only, a date-time's UTC offset is dropped: 10:00+02:00 is stored as 10:00Z."""

    catches = "created_fields_come_back_as_sent"

    def _validate_create(self, body):
        if isinstance(body, dict) and isinstance(body.get("targetDueDate"), str):
            body = {**body, "targetDueDate": re.sub(r"[+-]\d{2}:\d{2}$", "Z", body["targetDueDate"])}
        return super()._validate_create(body)


class OpineCreateUpdatedAtEarly(OpineStore):
    """A created ticket's updatedAt is stamped a second before its createdAt (two clock reads)."""

    catches = "created_fields_come_back_as_sent"

    def _new_ticket(self, fields):
        ticket = super()._new_ticket(fields)
        ticket.updated_at = ticket.created_at - timedelta(seconds=1)
        return ticket


class OpineCreateDealsUnsummed(OpineStore):
    """Deals linked on create are not counted in dealAmountSum (it is refreshed on PUT only)."""

    catches = "created_fields_come_back_as_sent"

    def _new_ticket(self, fields):
        ticket = super()._new_ticket(fields)
        ticket.deal_amount_sum_cents = 0
        return ticket


class OpineCreatedClosedWithoutClosedAt(OpineStore):
    """A ticket created CLOSED has no closedAt (it is set only when a PUT closes a ticket)."""

    catches = "closed_at_is_set_on_create"

    def _on_state_change(self, ticket, old, new):
        if old is not None:
            super()._on_state_change(ticket, old, new)


class OpineCreateNullTitleDefaulted(OpineStore):
    """A create with title: null is accepted and given a default title instead of refused."""

    catches = "required_fields_cannot_be_null_on_create"

    def _check_fields(self, body, *, creating):
        if creating and "title" in body and body["title"] is None:
            body = {**body, "title": "Untitled"}
        return super()._check_fields(body, creating=creating)


MUTANTS = [OpineCreateIgnoresLabels, OpineCreateOffsetIgnored, OpineCreateUpdatedAtEarly, OpineCreateDealsUnsummed,
           OpineCreatedClosedWithoutClosedAt, OpineCreateNullTitleDefaulted]
