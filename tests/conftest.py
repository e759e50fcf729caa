"""Shared fixtures for the suite's own tests."""

from __future__ import annotations

import pytest

from conformance.run.runner import RunRequest, run


@pytest.fixture(scope="session")
def clean_reports():
    """One full default run per vendor against the clean reference server, shared by many tests."""
    cache: dict[str, object] = {}

    def get(vendor: str):
        if vendor not in cache:
            cache[vendor] = run(RunRequest(vendor=vendor))
        return cache[vendor]

    return get
