"""Self-test: the clean reference servers pass everything; every mutant is caught by its check.

This is what makes each conformance check trustworthy: a check that no mutant trips could be a
check that cannot fire, and a finding against the clean server would be a false alarm.
"""

from __future__ import annotations

import pytest

from conformance.run.engine import select_checks
from conformance.profiles import get_profile
from conformance.reference.mutants import VENDORS, describe, mutants
from conformance.run.runner import RunRequest, run
from conformance.checks import CATALOGUE

ALL_MUTANTS = [(vendor, mutant) for vendor in VENDORS for mutant in mutants(vendor)]


@pytest.mark.parametrize("vendor", VENDORS)
def test_clean_server_passes_everything(vendor, clean_reports):
    report = clean_reports(vendor)
    bad = [(c.name, c.level, c.message) for c in report.checks if c.status != "passed"]
    assert bad == [], f"clean {vendor} server: findings or skips {bad}"
    assert report.exit_code == 0
    expected = {c.name for c in select_checks(get_profile(vendor))}
    assert {c.name for c in report.checks} == expected


@pytest.mark.parametrize(("vendor", "mutant"), ALL_MUTANTS, ids=[f"{v}-{m.__name__}" for v, m in ALL_MUTANTS])
def test_mutant_is_caught_by_its_check(vendor, mutant):
    assert describe(mutant), f"{mutant.__name__} needs a one-line docstring saying what bug it plants"
    spec = CATALOGUE.get(mutant.catches)
    # With the checks owning what it relies on: if one of them fails too, the intended check is reported
    # "blocked" (not caught), so a dependency declared too broadly shows up here.
    owners = {c.name for c in select_checks(get_profile(vendor)) if set(c.owns) & set(spec.relies_on)} - {spec.name}
    report = run(RunRequest(vendor=vendor, store=mutant(), checks=[spec.name, *sorted(owners)]))
    result = next(c for c in report.checks if c.name == spec.name)
    assert result.status == "failed", f"{mutant.__name__} ({describe(mutant)}) not caught by {spec.name}: {result}"
    if spec.level == "MUST":
        assert report.exit_code == 1
    assert result.reproduce, "a failure must carry a curl reproduction"


@pytest.mark.parametrize("vendor", VENDORS)
def test_every_check_has_a_mutant(vendor):
    caught = {m.catches for m in mutants(vendor)}
    checks = {c.name for c in select_checks(get_profile(vendor))}
    assert checks - caught == set(), f"{vendor} checks no mutant proves: {sorted(checks - caught)}"
