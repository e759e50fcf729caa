"""Mutants: reference stores with one deliberate bug each, which one named check must catch.

A mutant is a subclass of a reference store that overrides ONE seam, with a one-line docstring and
a ``catches`` attribute naming the check it must trip. The self-test (tests/selftest/test_mutants.py) serves
each one and asserts that check fails while the clean store passes everything.

Mutants name checks by string only: like the servers, they import nothing from checks or profiles.
"""

from __future__ import annotations

import importlib
from typing import Any

VENDORS = ("opine", "copper")


def mutants(vendor: str) -> list[type]:
    """Every mutant of ``vendor``, in definition order, gathered from the modules of this package."""
    found: list[type] = []
    for module_name in _modules(vendor):
        module = importlib.import_module(f"conformance.reference.mutants.{module_name}")
        found += [m for m in getattr(module, "MUTANTS", [])]
    return found


def find(vendor: str, name: str) -> type:
    for mutant in mutants(vendor):
        if mutant.__name__ == name:
            return mutant
    raise KeyError(name)


def _modules(vendor: str) -> list[str]:
    import pkgutil

    package = importlib.import_module("conformance.reference.mutants")
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith(vendor + "_"))


def describe(mutant: Any) -> str:
    return (mutant.__doc__ or "").strip().splitlines()[0] if mutant.__doc__ else ""
