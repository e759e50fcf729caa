"""Opine mutants for the auth checks."""

from conformance.reference.opine import OpineStore


class OpineAuthOff(OpineStore):
    """Accepts every request, with or without a key."""

    catches = "missing_key_is_refused"

    def _authenticate(self, headers):
        return True


class OpineAnyKeyAccepted(OpineStore):
    """Accepts any X-API-Key value, checking only that the header is present."""

    catches = "wrong_key_is_refused"

    def _authenticate(self, headers):
        return "x-api-key" in headers


MUTANTS = [OpineAuthOff, OpineAnyKeyAccepted]
