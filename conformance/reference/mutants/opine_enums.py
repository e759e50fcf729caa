"""Opine mutants for the enum, title-length and closedAt lifecycle checks."""

from conformance.reference.opine import OpineStore
from conformance.reference.opine.errors import issue, validation_error, wrong_type
from conformance.reference.opine.model import CLOSED, DealChange


class OpineEnumLowercaseForSomeTickets(OpineStore):
    """Renders the type of every tenth ticket in lower case ("bug")."""

    catches = "returned_enums_are_documented"

    def _render(self, t):
        rendered = super()._render(t)
        if t.id % 10 == 3:
            rendered["type"] = rendered["type"].lower()
        return rendered


class OpineLegacyTicketKeepsItsOldState(OpineStore):
    """Pages asked with an offset are served from a replica where one ticket, the last of the seeded list, still
    has the state ARCHIVED from before a migration: only a check reading every ticket of a walk sees it."""

    catches = "returned_enums_are_documented"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        ordered = self._ordered_tickets()
        self._legacy_id = ordered[-1].id if ordered else None

    def list_tickets(self, limit=None, offset=None):
        page = super().list_tickets(limit, offset)
        if offset is not None:
            for item in page.get("items", []):
                if item.get("id") == self._legacy_id:
                    item["state"] = "ARCHIVED"
        return page


class OpineUnknownStateAccepted(OpineStore):
    """Accepts any string as a ticket state."""

    catches = "unknown_enum_values_are_rejected"

    def _validate_state(self, value, path):
        if not isinstance(value, str):
            raise wrong_type(path, "string", value)
        return value


class OpineUnknownDealPriorityAccepted(OpineStore):
    """Accepts any string as a deal-link priority."""

    catches = "unknown_enum_values_are_rejected"

    def _validate_deal_item(self, item, path):
        if not isinstance(item, dict) or not isinstance(item.get("priority"), str):
            raise wrong_type(path, "object with a priority", item)
        deal_id = self._validate_deal_id(item.get("id"), [*path, "id"])
        return DealChange(id=deal_id, priority=item["priority"], delete=item.get("delete") is True)


class OpineRefusedEnumUpdateTouches(OpineStore):
    """Moves updatedAt before validating a PUT, so a refused update still changes the ticket."""

    catches = "unknown_enum_values_are_rejected"

    def _update(self, ticket, body):
        self._touch(ticket)
        self._apply_update(ticket, self._validate_update(body))


class OpineEnumCaseInsensitive(OpineStore):
    """Matches enum values case-insensitively and stores the documented spelling ("bug" -> "BUG")."""

    catches = "lowercase_enum_values_are_rejected"

    def _validate_enum(self, value, options, path):
        if isinstance(value, str):
            value = next((o for o in options if o.lower() == value.lower()), value)
        return super()._validate_enum(value, options, path)


class OpineEnumCaseInsensitiveStoredAsSent(OpineStore):
    """Accepts enum values in any case and stores them as sent ("bug" stays "bug")."""

    catches = "unknown_enum_values_are_rejected"

    def _validate_enum(self, value, options, path):
        if isinstance(value, str) and value not in options and value.upper() in options:
            return value
        return super()._validate_enum(value, options, path)


class OpineTitleMax255(OpineStore):
    """Rejects titles of the documented maximum length (256): the bound is off by one."""

    catches = "title_length_is_enforced"
    title_max = 255


class OpineTitleMaxInUtf8Bytes(OpineStore):
    """Counts the title maximum in UTF-8 bytes, so 256 non-ASCII characters are refused."""

    catches = "title_length_is_enforced"

    def _validate_title(self, value, path):
        title = super()._validate_title(value, path)
        if len(title.encode("utf-8")) > self.title_max:
            return super()._validate_title("x" * (self.title_max + 1), path)
        return title


class OpineTitleMax257(OpineStore):
    """Accepts titles one character longer than the documented maximum of 256."""

    catches = "title_length_is_enforced"
    title_max = 257


class OpineEmptyTitleAccepted(OpineStore):
    """Accepts an empty title."""

    catches = "title_length_is_enforced"
    title_min = 0


class OpineTitleUnboundedOnUpdate(OpineStore):
    """Checks the title length on create only: a PUT accepts an empty or over-long title."""

    catches = "title_length_is_enforced"

    def _check_fields(self, body, *, creating):
        changes, issues = super()._check_fields(body, creating=creating)
        if not creating and isinstance(body.get("title"), str):
            issues = [i for i in issues if i.get("path") != ["title"]]
            changes["title"] = body["title"]
        return changes, issues


class OpineClosedAtNotSet(OpineStore):
    """Never sets closedAt when a ticket is closed (it is only cleared on reopening)."""

    catches = "closed_at_follows_state"

    def _on_state_change(self, ticket, old, new):
        if old == CLOSED:
            ticket.closed_at = None


class OpineClosedAtNotCleared(OpineStore):
    """Keeps closedAt when a closed ticket is reopened."""

    catches = "closed_at_follows_state"

    def _on_state_change(self, ticket, old, new):
        if new == CLOSED:
            ticket.closed_at = self._clock.now()


class OpineDeferredRefusedOnUpdate(OpineStore):
    """Refuses the documented state DEFERRED on PUT (create still accepts it)."""

    catches = "documented_enum_values_are_accepted"

    def _validate_update(self, body):
        if isinstance(body, dict) and body.get("state") == "DEFERRED":
            self._validate_enum("DEFERRED", (), ["state"])
        return super()._validate_update(body)


class OpineLastPriorityStoredAsFirst(OpineStore):
    """Stores the documented deal priority NICE_TO_HAVE as BLOCKER."""

    catches = "documented_enum_values_are_accepted"

    def _link_deal(self, ticket, deal_id, priority):
        super()._link_deal(ticket, deal_id, "BLOCKER" if priority == "NICE_TO_HAVE" else priority)


class OpineUndocumentedTransitionRefused(OpineStore):
    """Enforces a workflow the docs do not have: a ticket on the ROADMAP cannot move straight to DEFERRED
    (400); every other move between documented states is applied."""

    catches = "documented_enum_values_are_accepted"

    def _update(self, ticket, body):
        if isinstance(body, dict) and ticket.state == "ROADMAP" and body.get("state") == "DEFERRED":
            raise validation_error([issue(["state"], "custom", "A ticket on the ROADMAP cannot be DEFERRED")])
        super()._update(ticket, body)


MUTANTS = [
    OpineEnumLowercaseForSomeTickets, OpineLegacyTicketKeepsItsOldState, OpineUnknownStateAccepted,
    OpineUnknownDealPriorityAccepted,
    OpineRefusedEnumUpdateTouches, OpineEnumCaseInsensitive, OpineTitleMax255, OpineTitleMax257,
    OpineEmptyTitleAccepted,
    OpineTitleUnboundedOnUpdate, OpineClosedAtNotSet, OpineClosedAtNotCleared,
    OpineDeferredRefusedOnUpdate, OpineLastPriorityStoredAsFirst, OpineEnumCaseInsensitiveStoredAsSent,
    OpineTitleMaxInUtf8Bytes, OpineUndocumentedTransitionRefused,
]
