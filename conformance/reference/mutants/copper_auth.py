"""Copper mutants for the auth checks."""

from conformance.reference.copper import CopperStore


class CopperAuthOff(CopperStore):
    """Accepts every request, with or without a key."""

    catches = "missing_key_is_refused"

    def _authenticate(self, authorization):
        return True


class CopperAnyKeyAccepted(CopperStore):
    """Accepts any Basic credential, checking only that one was sent."""

    catches = "wrong_key_is_refused"

    def _authenticate(self, authorization):
        return bool(authorization)


MUTANTS = [CopperAuthOff, CopperAnyKeyAccepted]
