"""Live accounts: other writers during a run (``serve --churn K``, ``RunRequest(churn=K)``).

Against a correct server where another user creates (and updates) a ticket before every 25th
request, a default run exits 0 with no MUST failure and at least 75% of the checks passed; and
tolerance never becomes blindness: every mutant is still caught, with churn on, as a failure (an
"inconclusive" verdict on a mutant does not count as caught).
"""

from __future__ import annotations

import pytest

from conformance.checks import CATALOGUE
from conformance.profiles import get_profile
from conformance.reference.mutants import VENDORS, describe, mutants
from conformance.run.engine import select_checks
from conformance.run.runner import RunRequest, run

CHURN = 25


@pytest.mark.parametrize("updates", [False, True], ids=["creates", "creates-and-updates"])
@pytest.mark.parametrize("vendor", VENDORS)
def test_correct_server_with_churn_passes(vendor, updates):
    report = run(RunRequest(vendor=vendor, churn=CHURN, churn_updates=updates))
    failed = [(c.name, c.message[:300]) for c in report.checks if c.status == "failed"]
    assert failed == [] and report.exit_code == 0, failed
    assert report.summary["passed"] >= 0.75 * len(report.checks), report.summary


def test_every_mutant_is_caught_with_churn():
    """All mutants of both vendors in one process, each run with its check and the checks owning what
    that check relies on (as tests/selftest/test_mutants.py does without churn)."""
    missed = []
    for vendor in VENDORS:
        profile = get_profile(vendor)
        for mutant in mutants(vendor):
            spec = CATALOGUE.get(mutant.catches)
            owners = {c.name for c in select_checks(profile) if set(c.owns) & set(spec.relies_on)} - {spec.name}
            report = run(RunRequest(vendor=vendor, store=mutant(churn=CHURN, churn_updates=True),
                                    checks=[spec.name, *sorted(owners)]))
            result = next(c for c in report.checks if c.name == spec.name)
            if result.status != "failed":
                missed.append(f"{mutant.__name__} ({describe(mutant)}): {result.status} {result.message[:200]}")
    assert missed == [], "not caught with churn on:\n" + "\n".join(missed)


def test_churn_is_for_the_reference_server_only():
    from conformance.model.errors import ConfigError

    with pytest.raises(ConfigError, match="--churn is for the reference server"):
        run(RunRequest(vendor="opine", base_url="http://127.0.0.1:9/v1", api_key="k", churn=CHURN))
    with pytest.raises(ConfigError, match="--churn-updates needs --churn"):
        run(RunRequest(vendor="opine", churn_updates=True))
