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


MUTANTS = [CopperHasMoreAsString, CopperRetrieveUnknown500, CopperRetrieveWithoutId]
