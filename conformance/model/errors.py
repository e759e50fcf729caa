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
