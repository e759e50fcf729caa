"""Live accounts against the red team: every correct configuration of both independent servers, with
another user writing before every 25th request (creates, and updates of others' tickets), still
passes: exit 0, no MUST failure, at least 75% of the checks passed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alt_servers.copper_alt import TicketStore
from alt_servers.harness import Case, assert_passes, pool_fixture
from alt_servers.opine_alt import Store
from test_alt_copper import CORRECT as COPPER_CORRECT
from test_alt_opine import CORRECT as OPINE_CORRECT

CHURN = 25

CASES = {
    **{f"opine-{name}": Case("opine", replace(cfg, churn=CHURN, churn_updates=True), Store)
       for name, cfg in OPINE_CORRECT.items()},
    **{f"copper-{name}": Case("copper", replace(cfg, churn=CHURN, churn_updates=True), TicketStore)
       for name, cfg in COPPER_CORRECT.items()},
}

outcomes = pool_fixture(CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_correct_configuration_with_churn_passes(case, outcomes):
    result = outcomes.result(case)
    assert_passes(result)
    passed = sum(c["status"] == "passed" for c in result["checks"])
    assert passed >= 0.75 * len(result["checks"]), [(c["name"], c["status"], c["message"][:200])
                                                     for c in result["checks"] if c["status"] != "passed"]
