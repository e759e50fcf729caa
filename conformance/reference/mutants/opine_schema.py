"""Opine mutants for the schema checks: responses that contradict the spec."""

from conformance.reference.opine import OpineStore


class OpineTotalCountAsString(OpineStore):
    """Renders totalCount as a JSON string ("130") instead of a number."""

    catches = "list_responses_match_spec"

    def _total(self, tickets, page):
        return str(len(tickets))


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


MUTANTS = [OpineTotalCountAsString, OpineCreateAnswersWithoutId, OpineUpdateCrashesOnSeveralFields,
           OpineLabelsAsOneString]
