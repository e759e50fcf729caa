"""Depth: the whole default run against reference servers seeded with 3,000 tickets (past offset
1,000, past the 1,000th cursor item, a last page exactly full at the maximum limit) passes every
check within the normal budget of 600 requests per vendor. The depth mutants (mutants/*_depth.py,
seeded with 3,000 tickets each) are run by test_mutants.py like every other mutant."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

from conformance.reference.mutants import copper_depth, opine_depth

BUDGET = 600
DEPTH = {"copper": copper_depth.DEPTH_TICKETS, "opine": opine_depth.DEPTH_TICKETS}


def _clean_run(vendor: str) -> dict:
    from conformance.reference.copper import CopperStore
    from conformance.reference.opine.store import OpineStore
    from conformance.run.runner import RunRequest, run

    store = {"copper": CopperStore, "opine": OpineStore}[vendor](tickets=DEPTH[vendor])
    report = run(RunRequest(vendor=vendor, store=store, allow_writes=True, max_requests=BUDGET))
    return {"rc": report.exit_code, "requests": report.requests,
            "not_passed": [(c.name, c.status, c.message[:300]) for c in report.checks if c.status != "passed"]}


@pytest.fixture(scope="module")
def depth_runs():
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {vendor: pool.submit(_clean_run, vendor) for vendor in DEPTH}
        yield {vendor: future.result(timeout=600) for vendor, future in futures.items()}


@pytest.mark.parametrize("vendor", sorted(DEPTH))
def test_clean_server_at_depth_passes_within_budget(vendor, depth_runs):
    result = depth_runs[vendor]
    assert DEPTH[vendor] >= 3000
    assert result["not_passed"] == [], result["not_passed"]
    assert result["rc"] == 0
    assert result["requests"] <= BUDGET
