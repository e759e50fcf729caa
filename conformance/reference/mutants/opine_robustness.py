"""Opine mutants for the malformed-input check."""

from conformance.reference.opine import OpineStore


class OpineBadOffsetCrashes(OpineStore):
    """A non-integer offset reaches int() unguarded and the server answers 500."""

    catches = "malformed_parameters_never_cause_server_errors"

    def _parse_offset(self, raw):
        return 0 if raw is None else max(0, int(raw))


class OpineExponentLimitCrashes(OpineStore):
    """A limit written with an exponent (limit=1e3) takes a float path that fails: 500. Other non-integers
    ("abc", "1.5") are refused as they should be."""

    catches = "malformed_parameters_never_cause_server_errors"

    def _parse_limit(self, raw):
        if raw is not None and "e" in raw.lower():
            raise OverflowError("cannot convert float to page size")
        return super()._parse_limit(raw)


MUTANTS = [OpineBadOffsetCrashes, OpineExponentLimitCrashes]
