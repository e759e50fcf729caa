"""Typed outcomes a check raises: a violation (with evidence) or a reasoned skip."""

from __future__ import annotations

import json
from typing import Any, Sequence

from conformance.model.exchange import Exchange


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 600 else text[:600] + "…"


class Violation(Exception):
    """What must hold did not: carries the expectation, the observation and the exchanges that show it."""

    def __init__(self, message: str, *, expected: Any = None, actual: Any = None,
                 exchanges: Sequence[Exchange] = (), robust: bool = False,
                 explained_by: Sequence[str] = ()) -> None:
        self.message = message
        self.robust = robust  # judged on what held throughout: stands even if others wrote meanwhile
        # Checks whose narrower bug would explain this failure: when one of them fails in the same
        # run, it is the root cause and this failure is reported as blocked by it.
        self.explained_by = tuple(explained_by)
        self.expected = expected
        self.actual = actual
        self.exchanges = tuple(exchanges)
        super().__init__(self.describe())

    def describe(self) -> str:
        parts = [self.message]
        if self.expected is not None or self.actual is not None:
            parts.append(f"expected {_show(self.expected)}, got {_show(self.actual)}")
        return ": ".join(parts)


class Skipped(Exception):
    """The check could not run here (writes not allowed, no data to draw from, budget spent)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)




class Inconclusive(Exception):
    """The API's data changed under the check (other writers), so it could not decide either way.
    Not a failure: reported with status "inconclusive" and the reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason if reason.startswith("inconclusive") else f"inconclusive: {reason}"
        super().__init__(self.reason)
