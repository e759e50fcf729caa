"""Copper mutants for negative conformance: bad parameters answered with another page or error shape."""

from conformance.reference.copper import CopperStore
from conformance.reference.copper.store import CopperError


class CopperDecimalLimitDigits(CopperStore):
    """A limit like 1.5 is read digit by digit (15 tickets) instead of being refused or rounded."""

    catches = "invalid_parameters_are_refused_or_ignored"

    def _parse_limit(self, raw):
        if raw is not None and "." in raw:
            raw = raw.replace(".", "")
        return super()._parse_limit(raw)


class CopperErrorsInAnotherFrameworksShape(CopperStore):
    """Errors answer with another framework's body ({"detail": ...}) instead of the documented attributes."""

    catches = "error_answers_are_documented"

    @staticmethod
    def _error_body(type_, message, code=None, param=None):
        return {"detail": message}


class CopperUnauthorizedAsBareString(CopperStore):
    """A missing or wrong key is answered with a bare JSON string, not an error object."""

    catches = "error_answers_are_documented"

    def _unauthenticated(self):
        return CopperError(401, "401 Unauthorized")


MUTANTS = [CopperDecimalLimitDigits, CopperErrorsInAnotherFrameworksShape, CopperUnauthorizedAsBareString]
