"""The catalogue of checks: name, family, level, what it proves, which capabilities it needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Literal

if TYPE_CHECKING:
    from conformance.observe.context import RunContext

FAMILIES = ("pagination", "enum", "nullable-update", "created-filter", "schema", "auth", "consistency")
Level = Literal["MUST", "SHOULD"]


@dataclass(frozen=True)
class CheckSpec:
    name: str
    family: str
    level: Level
    proves: str  # one sentence: what holds when this check passes
    requires: frozenset[str]  # profile capabilities, plus "writes" for checks that change data
    run: Callable[["RunContext"], None]
    order: int


class Catalogue:
    """Registered checks in registration order. Built once at import, read-only afterwards."""

    def __init__(self) -> None:
        self._checks: dict[str, CheckSpec] = {}

    def register(self, *, family: str, level: Level, proves: str, requires: tuple[str, ...] = (),
                 name: str | None = None) -> Callable[[Callable[["RunContext"], None]], Callable[["RunContext"], None]]:
        if family not in FAMILIES:
            raise ValueError(f"unknown family {family!r}")

        def decorate(fn: Callable[["RunContext"], None]) -> Callable[["RunContext"], None]:
            check_name = name or fn.__name__
            if check_name in self._checks:
                raise ValueError(f"check {check_name!r} registered twice")
            self._checks[check_name] = CheckSpec(check_name, family, level, proves, frozenset(requires), fn,
                                                 len(self._checks))
            return fn

        return decorate

    def all(self) -> list[CheckSpec]:
        return list(self._checks.values())

    def get(self, name: str) -> CheckSpec:
        return self._checks[name]

    def for_capabilities(self, capabilities: frozenset[str]) -> list[CheckSpec]:
        """Checks this API can be asked about; "writes" is decided per run, not per profile."""
        return [c for c in self._checks.values() if (c.requires - {"writes"}) <= capabilities]


CATALOGUE = Catalogue()
check = CATALOGUE.register
