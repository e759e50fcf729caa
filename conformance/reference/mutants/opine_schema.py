"""Opine mutants for the schema checks: responses that contradict the spec."""

from conformance.reference.opine import OpineStore


class OpineTotalCountAsString(OpineStore):
    """Renders totalCount as a JSON string ("130") instead of a number."""

    catches = "list_responses_match_spec"

    def _total(self, tickets, page):
        return str(len(tickets))


class OpineEmptyPageEchoesRawLimit(OpineStore):
    """An empty page (offset past the end) asked with a limit above the default (100) echoes that limit as
    the raw query text ("418"): the empty-page shortcut skips the integer rendering. Every other page is right."""

    catches = "list_responses_match_spec"

    def list_tickets(self, limit=None, offset=None):
        page = super().list_tickets(limit, offset)
        if not page["items"] and offset is not None and (limit or "").isdigit() and int(limit) > self.default_limit:
            page["limit"] = limit
        return page


class OpineCreateAnswersWithoutId(OpineStore):
    """Answers a successful create with the ticket minus its id."""

    catches = "create_responses_match_spec"

    def create_ticket(self, body):
        rendered = super().create_ticket(body)
        rendered.pop("id", None)
        return rendered


class OpineUpdateCrashesOnSeveralFields(OpineStore):
    """Crashes (500) on a valid PUT that changes two or more fields at once."""

    catches = "update_responses_match_spec"

    def _update(self, ticket, body):
        changes = self._validate_update(body)
        if len(changes) >= 2:
            raise RuntimeError("cannot apply several changes")
        self._touch(ticket)
        self._apply_update(ticket, changes)


class OpineLabelsAsOneString(OpineStore):
    """Renders labels as one comma-joined string instead of a list (of names or label objects)."""

    catches = "list_responses_match_spec"

    def _render(self, t):
        rendered = super()._render(t)
        rendered["labels"] = ",".join(rendered["labels"])
        return rendered


class OpineCreateAnswers200(OpineStore):
    """A successful create answers 200 OK (with the ticket) instead of the documented 201 Created."""

    catches = "create_responses_match_spec"
    created_status = 200


class OpineUpdateAnswers201(OpineStore):
    """A successful update answers 201 Created (with the ticket) instead of the documented 200 OK."""

    catches = "update_responses_match_spec"
    updated_status = 201


MUTANTS = [OpineTotalCountAsString, OpineCreateAnswersWithoutId, OpineUpdateCrashesOnSeveralFields,
           OpineLabelsAsOneString, OpineCreateAnswers200, OpineUpdateAnswers201, OpineEmptyPageEchoesRawLimit]
