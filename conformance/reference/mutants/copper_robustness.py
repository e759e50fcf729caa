"""Copper mutants for the malformed-input check."""

from conformance.reference.copper import CopperStore


class CopperBadLimitCrashes(CopperStore):
    """A non-integer limit reaches int() unguarded and the server answers 500."""

    catches = "malformed_parameters_never_cause_server_errors"

    def _parse_limit(self, raw):
        return self._default_limit() if raw is None else int(raw)


class CopperQuoteInSearchCrashes(CopperStore):
    """A quote in search_query breaks the (string-built) matcher and the server answers 500."""

    catches = "malformed_parameters_never_cause_server_errors"

    def _matches_search(self, ticket, query):
        if "'" in query:
            raise RuntimeError("unterminated quoted string")
        return super()._matches_search(ticket, query)


MUTANTS = [CopperBadLimitCrashes, CopperQuoteInSearchCrashes]
