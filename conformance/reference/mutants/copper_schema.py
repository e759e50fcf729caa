"""Copper mutants for the spec conformance (Schemathesis) checks."""

from conformance.reference.copper import CopperError, CopperStore


class CopperHasMoreAsString(CopperStore):
    """Renders has_more as the string "true"/"false" instead of a boolean."""

    catches = "list_responses_match_spec"

    def _render_list(self, page, has_more):
        body = super()._render_list(page, has_more)
        body["has_more"] = "true" if has_more else "false"
        return body


class CopperRetrieveUnknown500(CopperStore):
    """Retrieving an unknown id is a 500 server error instead of a 4xx."""

    catches = "retrieve_responses_match_spec"

    def _missing(self, ticket_id):
        raise CopperError(500, {"error": {"type": "api_error", "message": "ticket lookup failed"}})


class CopperRetrieveWithoutId(CopperStore):
    """Retrieve renders the ticket without its id."""

    catches = "retrieve_responses_match_spec"

    def _render_retrieved(self, ticket):
        rendered = self._render(ticket)
        del rendered["id"]
        return rendered


class CopperPreEpochBoundCrashes(CopperStore):
    """A created bound before 1970 (a negative unix time) breaks the date conversion: 500. Every bound a
    ticket's own history suggests is later, so only spec-valid draws reach it."""

    catches = "list_responses_match_spec"

    def _to_instant(self, parsed):
        instant = super()._to_instant(parsed)
        if instant < 0:
            raise OverflowError("timestamp out of range for platform time_t")
        return instant


class CopperLetterIdTakenForASlug(CopperStore):
    """An id made only of ASCII letters is taken for a slug and looked up by title, a lookup that crashes
    (500) when nothing matches; every other unknown id is a clean 404."""

    catches = "retrieve_responses_match_spec"

    def _missing(self, ticket_id):
        if ticket_id.isascii() and ticket_id.isalpha():
            raise LookupError(f"no ticket titled {ticket_id!r}")
        return super()._missing(ticket_id)


MUTANTS = [CopperHasMoreAsString, CopperRetrieveUnknown500, CopperRetrieveWithoutId, CopperPreEpochBoundCrashes,
           CopperLetterIdTakenForASlug]
