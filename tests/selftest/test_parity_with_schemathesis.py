"""Never weaker than Schemathesis: every fault plain Schemathesis flags, the suite flags too.

Schemathesis runs with every check of `st run --checks all` (less the three that cannot apply, see
st_parity.EXCLUDED), positive and negative generation, on the suite's own specs, against every
reference mutant and every red-team bug, and against the same server without the bug. A fault is
what it flags on the bug beyond what it flags on the clean server. Every server with a fault must be
one the suite catches at MUST level: every mutant is (test_mutants.py), every red-team bug is except
the expected misses and the bugs caught at SHOULD level only (the docs are silent there), listed
below; any of those flagged by Schemathesis would be a gap. What Schemathesis flags on the clean
servers is what the suite deliberately does not follow (NOT_FOLLOWED, each with its reason).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor

import pytest

from alt_servers.copper_bugs import all_bugs as copper_bugs
from alt_servers.opine_bugs import all_bugs as opine_bugs
from conformance.reference.mutants import mutants
from st_parity import target_faults
from test_alt_copper import EXPECTED_MISSES as COPPER_MISSES
from test_alt_opine import EXPECTED_MISSES as OPINE_MISSES

# Red-team bugs the suite reports at SHOULD level only (alt_servers/HISTORY.md): the docs are silent.
SHOULD_ONLY = {"ClosedAtNeverSet", "ClosedAtOnAnyChange", "LimitOverMaxServed", "OffsetsRejected",
               "EndingBeforeHasMoreAlwaysFalse", "UnknownCursorIgnored"}
NOT_CAUGHT_AT_MUST = SHOULD_ONLY | set(COPPER_MISSES) | set(OPINE_MISSES)

# What Schemathesis flags on clean servers that the suite deliberately does not follow: (st's title,
# a pattern of what it names) -> why it is a false alarm under the vendor docs (design §3).
NOT_FOLLOWED = {
    ("Schema-violating request accepted", r"additionalProperties|greater than maximum|less than minimum"):
        "unknown query parameters ignored, and a limit or offset past its bound clamped: the docs say neither "
        "is refused, and the suite accepts clamping (offset_limit_above_max_is_capped, ...)",
    ("Schema-violating request accepted", r"required \(was (X-API-Key|Authorization)\)"):
        "not a violation as sent: the key is the run's to present on every request",
    ("Schema-valid request rejected", r"Valid data should have been accepted"):
        "a schema-valid request may still name what does not exist (an unknown deal id, an unknown cursor or "
        "ticket id): refusing it is documented behaviour, not a fault (unknown_cursor_is_refused)",
    ("Wrong response to undeclared method", r"."):
        "405 for an undeclared method is not documented; 404 is as reasonable",
    ("Missing header not rejected", r"."):
        "the key is the run's to present on every request",
}

TARGETS = ([("opine", "reference", m.__name__) for m in mutants("opine")]
           + [("copper", "reference", m.__name__) for m in mutants("copper")]
           + [("opine", "red-team", b.__name__) for b in opine_bugs()]
           + [("copper", "red-team", b.__name__) for b in copper_bugs()])


def _not_followed(signature: list[str]) -> str | None:
    title, _operation, text = signature
    return next((why for (t, pattern), why in NOT_FOLLOWED.items() if t == title and re.search(pattern, text)), None)


@pytest.fixture(scope="module")
def outcomes():
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {t: pool.submit(target_faults, *t) for t in TARGETS}
        yield {t: f.result(timeout=600) for t, f in futures.items()}


def test_schemathesis_flags_nothing_on_clean_servers_that_the_docs_require(outcomes):
    unexplained = {tuple(s) for o in outcomes.values() for s in o["clean"] if _not_followed(s) is None}
    assert not unexplained, f"Schemathesis flags on a clean server, neither followed nor listed: {unexplained}"


def test_every_fault_schemathesis_flags_the_suite_flags_too(outcomes):
    flagged = {t for t, o in outcomes.items() if o["faults"]}
    gaps = {t: outcomes[t]["faults"] for t in flagged if t[2] in NOT_CAUGHT_AT_MUST}
    assert not gaps, f"Schemathesis flags planted bugs the suite passes at MUST level: {gaps}"
    assert flagged, "Schemathesis flagged no planted bug at all: the comparison would be vacuous"
