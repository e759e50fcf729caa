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


class OpineCreateWithoutKey(OpineStore):
    """Leaves POST /v1/tickets unguarded: anyone can create tickets without a key."""

    catches = "unauthenticated_writes_are_refused"

    def _key_required(self, method):
        return method != "POST"


MUTANTS = [OpineAuthOff, OpineAnyKeyAccepted, OpineCreateWithoutKey]
