"""Errors that end a run with exit code 2: bad usage, bad configuration, an unusable target.

A ``Violation`` (a check failing) is not one of these: it is a finding, reported, exit code 1.
"""

from __future__ import annotations


class ConfigError(Exception):
    """Usage or configuration problem; the message is the one line printed on stderr (exit 2)."""

    exit_code = 2


class TransportError(ConfigError):
    """The target could not be talked to at all (refused, DNS, TLS, timeout after retries)."""


class CredentialsRejected(ConfigError):
    """The first authenticated request was refused with 401/403."""


class CassetteMiss(ConfigError):
    """A replay needed a request that the cassette does not hold."""


class BudgetExhausted(Exception):
    """``--max-requests`` was reached; the running check is reported as skipped, not passed."""


class RunEnded(Exception):
    """The run cannot usefully go on (the API stopped answering, time is up): the running and remaining
    checks are reported as not evaluated with ``reason``, the report is written, and the exit code is 2."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class ApiUnresponsive(RunEnded):
    """Transport failures in a row, or a rate limit asking for a wait beyond ``--max-retry-after``."""


class DurationReached(RunEnded):
    """``--max-duration`` is spent."""
