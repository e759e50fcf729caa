"""Opine mutants for the malformed-input check."""

from conformance.reference.opine import OpineStore


class OpineBadOffsetCrashes(OpineStore):
    """A non-integer offset reaches int() unguarded and the server answers 500."""

    catches = "malformed_parameters_never_cause_server_errors"

    def _parse_offset(self, raw):
        return 0 if raw is None else max(0, int(raw))


MUTANTS = [OpineBadOffsetCrashes]
