"""Opine mutants for the write checks: nullable partial updates, atomic validation, updatedAt,
read-back through the list, deal links and their amount sum, offset dates, the stateful model."""

import re

from conformance.reference.opine import OpineStore
from conformance.reference.opine.errors import validation_error
from conformance.reference.opine.model import Ticket


class OpineNullIgnored(OpineStore):
    """A null in a PUT body is ignored: the field keeps its value instead of being cleared."""

    catches = "null_clears_nullable_fields"

    def _apply_update(self, ticket, changes):
        super()._apply_update(ticket, {k: v for k, v in changes.items() if v is not None})


class OpineLabelsNullKept(OpineStore):
    """labels: null keeps the old labels (only [] clears them)."""

    catches = "null_clears_nullable_fields"

    def _apply_update(self, ticket, changes):
        super()._apply_update(ticket, {k: v for k, v in changes.items() if not (k == "labels" and v is None)})


class OpineLabelsEmptyKept(OpineStore):
    """labels: [] keeps the old labels (only null clears them), against the documented "null or empty array"."""

    catches = "null_clears_nullable_fields"

    def _apply_update(self, ticket, changes):
        super()._apply_update(ticket, {k: v for k, v in changes.items() if not (k == "labels" and v == [])})


class OpineAbsentDescriptionCleared(OpineStore):
    """A PUT that does not send description clears it (absent treated like null)."""

    catches = "absent_fields_are_kept"

    def _apply_update(self, ticket, changes):
        super()._apply_update(ticket, {"description": None, **changes})


class OpineAbsentLabelsCleared(OpineStore):
    """A PUT that does not send labels clears them (the list is replaced by an empty one)."""

    catches = "absent_fields_are_kept"

    def _apply_update(self, ticket, changes):
        super()._apply_update(ticket, {"labels": [], **changes})


class OpineDueDateKept(OpineStore):
    """A new targetDueDate does not replace one the ticket already has."""

    catches = "values_replace_fields"

    def _apply_update(self, ticket, changes):
        if ticket.target_due_date is not None and changes.get("targetDueDate") is not None:
            changes = {k: v for k, v in changes.items() if k != "targetDueDate"}
        super()._apply_update(ticket, changes)


class OpineTitleNullAccepted(OpineStore):
    """title: null on a PUT is accepted (200) and silently ignored instead of refused."""

    catches = "required_fields_cannot_be_null"

    def _check_fields(self, body, *, creating):
        if not creating and "title" in body and body["title"] is None:
            body = {k: v for k, v in body.items() if k != "title"}
        return super()._check_fields(body, creating=creating)


class OpineUpdateNotAtomic(OpineStore):
    """A PUT with an invalid field applies its valid fields before answering 400."""

    catches = "failed_update_changes_nothing"

    def _update(self, ticket, body):
        changes, issues = self._check_fields(self._require_object(body), creating=False)
        self._touch(ticket)
        self._apply_update(ticket, changes)
        if issues:
            raise validation_error(issues)


class OpineRefusedUpdateKeepsItsOtherFields(OpineStore):
    """A PUT refused with 400 still applies its valid fields other than the title (validation reverts only
    the title): an update that breaks one field half-applies whenever it changes another."""

    catches = "failed_update_changes_nothing"

    def _update(self, ticket, body):
        changes, issues = self._check_fields(self._require_object(body), creating=False)
        if issues:
            rest = {k: v for k, v in changes.items() if k != "title"}
            if rest:
                self._apply_update(ticket, rest)
            raise validation_error(issues)
        self._touch(ticket)
        self._apply_update(ticket, changes)


class OpineRefusedUpdateTouches(OpineStore):
    """A PUT refused with 400 still moves updatedAt (touched before validation)."""

    catches = "failed_update_changes_nothing"

    def _update(self, ticket, body):
        self._touch(ticket)
        self._apply_update(ticket, self._validate_update(body))


class OpineUnknownIdCreates(OpineStore):
    """A PUT on an unknown id creates a ticket (an upsert) instead of answering 404."""

    catches = "unknown_id_update_is_refused"

    def _missing_ticket(self, raw_id):
        return self._new_ticket({"title": f"Ticket {raw_id}", "type": "BUG", "state": "OPEN"})


class OpineUnknownIdAnswered(OpineStore):
    """A PUT on an unknown id answers 200 with a blank ticket (nothing is stored)."""

    catches = "unknown_id_update_is_refused"

    def _missing_ticket(self, raw_id):
        now = self._clock.now()
        return Ticket(id=0, type="BUG", state="OPEN", title="", created_at=now, updated_at=now,
                      organization_id=self.organization_id, created_by_user_id=0)


class OpineUpdatedAtFrozen(OpineStore):
    """A PUT never moves updatedAt."""

    catches = "updated_at_moves_forward"

    def _touch(self, ticket):
        pass


class OpineOffsetIgnored(OpineStore):
    """A date-time's UTC offset is dropped: 10:00+02:00 is stored as 10:00Z."""

    catches = "offset_dates_are_the_same_instant"

    def _parse_datetime(self, raw):
        return super()._parse_datetime(re.sub(r"[+-]\d{2}:\d{2}$", "Z", raw))


class OpineNewestNotListed(OpineStore):
    """The list lags one write behind: the most recently created ticket is not listed yet."""

    catches = "created_ticket_is_listed"

    def _page(self, tickets, offset, limit):
        newest = max((t.id for t in tickets), default=None)
        return [t for t in super()._page(tickets, offset, limit) if t.id != newest]


class OpineTotalCountCached(OpineStore):
    """totalCount is computed once and cached: it never counts tickets created later."""

    catches = "created_ticket_is_listed"

    def _total(self, tickets, page):
        if not hasattr(self, "_cached_total"):
            self._cached_total = super()._total(tickets, page)
        return self._cached_total


class OpineDealDeleteIgnored(OpineStore):
    """A deal item with delete: true leaves the link in place."""

    catches = "deal_links_follow_updates"

    def _unlink_deal(self, ticket, deal_id):
        pass


class OpinePriorityChangeIgnored(OpineStore):
    """Linking an already linked deal with a new priority keeps the old priority."""

    catches = "deal_links_follow_updates"

    def _link_deal(self, ticket, deal_id, priority):
        ticket.deal_links.setdefault(deal_id, priority)


class OpineDealSumStale(OpineStore):
    """dealAmountSum grows when deals are linked but is not lowered when they are unlinked."""

    catches = "deal_amount_sum_is_consistent"

    def _refresh_deal_amount_sum(self, ticket):
        old = ticket.deal_amount_sum_cents
        super()._refresh_deal_amount_sum(ticket)
        ticket.deal_amount_sum_cents = max(old, ticket.deal_amount_sum_cents)


class OpineDealSumIncremental(OpineStore):
    """dealAmountSum is kept incrementally: re-linking an already linked deal adds its amount again."""

    catches = "deal_amount_sum_is_consistent"

    def _apply_deal_changes(self, ticket, deals):
        for change in deals:
            amount = self._deals[change.id].amount_cents
            if change.delete:
                if change.id in ticket.deal_links:
                    ticket.deal_amount_sum_cents -= amount
                self._unlink_deal(ticket, change.id)
            else:
                ticket.deal_amount_sum_cents += amount
                self._link_deal(ticket, change.id, change.priority)


class OpineDealSumOnlyOnDelete(OpineStore):
    """dealAmountSum is recomputed only when a link is deleted, so it misses newly linked deals."""

    catches = "deal_amount_sum_is_consistent"

    def _apply_deal_changes(self, ticket, deals):
        for change in deals:
            if change.delete:
                self._unlink_deal(ticket, change.id)
            else:
                self._link_deal(ticket, change.id, change.priority)
        if any(change.delete for change in deals):
            self._refresh_deal_amount_sum(ticket)


class OpineFirstFieldOnly(OpineStore):
    """A PUT applies only the first field of its body; the others are silently dropped."""

    catches = "updates_match_model"

    def _apply_update(self, ticket, changes):
        super()._apply_update(ticket, dict(list(changes.items())[:1]))


class OpineUrlNotValidated(OpineStore):
    """Accepts any string as vendorEntityUrl (format: uri not enforced): "not a url" is stored."""

    catches = "failed_update_changes_nothing"

    def _is_http_url(self, text):
        return True


class OpineListedLabelsEmpty(OpineStore):
    """Lists every ticket with an empty labels list (the labels a write answers with are lost)."""

    catches = "created_ticket_is_listed"

    def list_tickets(self, limit=None, offset=None):
        envelope = super().list_tickets(limit, offset)
        for item in envelope["items"]:
            item["labels"] = []
        return envelope


class OpineDealsResetState(OpineStore):
    """A PUT that changes deal links also puts the ticket back in state OPEN."""

    catches = "deal_links_follow_updates"

    def _apply_deal_changes(self, ticket, deals):
        super()._apply_deal_changes(ticket, deals)
        ticket.state = "OPEN"


class OpineDealsReplaceLinks(OpineStore):
    """The deals of a PUT replace every link (as labels do): linking one deal drops the others."""

    catches = "deal_links_change_only_as_named"

    def _apply_deal_changes(self, ticket, deals):
        if any(not change.delete for change in deals):
            ticket.deal_links.clear()
        super()._apply_deal_changes(ticket, deals)


class OpineDealDeleteUnlinksAll(OpineStore):
    """delete: true for one deal removes every link of the ticket."""

    catches = "deal_links_change_only_as_named"

    def _unlink_deal(self, ticket, deal_id):
        if deal_id in ticket.deal_links:
            ticket.deal_links.clear()


MUTANTS = [
    OpineNullIgnored, OpineLabelsNullKept, OpineLabelsEmptyKept, OpineAbsentDescriptionCleared,
    OpineAbsentLabelsCleared,
    OpineDueDateKept, OpineTitleNullAccepted, OpineUpdateNotAtomic, OpineRefusedUpdateKeepsItsOtherFields,
    OpineRefusedUpdateTouches,
    OpineUnknownIdCreates, OpineUnknownIdAnswered, OpineUpdatedAtFrozen, OpineOffsetIgnored,
    OpineNewestNotListed, OpineTotalCountCached, OpineDealDeleteIgnored, OpinePriorityChangeIgnored,
    OpineDealSumStale, OpineDealSumIncremental, OpineDealSumOnlyOnDelete, OpineFirstFieldOnly,
    OpineListedLabelsEmpty, OpineUrlNotValidated, OpineDealsResetState, OpineDealsReplaceLinks,
    OpineDealDeleteUnlinksAll,
]
