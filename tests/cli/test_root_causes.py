"""Root causes first: one planted pagination bug is one root failure plus checks blocked by it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.checks import CATALOGUE
from conformance.checks.registry import OBSERVATIONS
from conformance.reference.mutants import find
from conformance.report.terminal import terminal_summary
from conformance.report.writers import summary_md
from conformance.run.runner import RunRequest, run


def test_every_declared_observation_is_known_and_owned() -> None:
    checks = CATALOGUE.all()
    owned = {obs for c in checks for obs in c.owns}
    for c in checks:
        assert set(c.relies_on) <= set(OBSERVATIONS) and set(c.relies_on) <= owned, c.name
    assert owned == set(OBSERVATIONS)  # an observation no check owns could never block anything


def test_an_offset_walk_bug_is_one_root_failure_and_blocked_dependants(tmp_path: Path) -> None:
    report = run(RunRequest(vendor="opine", store=find("opine", "OpineOffsetOffByOne")()), report_dir=tmp_path)
    failed = [c.name for c in report.checks if c.status == "failed"]
    blocked = [c for c in report.checks if c.status == "blocked"]
    assert failed == ["offset_walk_is_complete_and_stable"]
    assert blocked and all(c.blocked_by == "offset_walk_is_complete_and_stable" for c in blocked)
    assert report.summary["failed"] == 1 and report.exit_code == 1  # blocked ones are not MUST failures
    out = terminal_summary(report).splitlines()
    assert out[0].startswith("FAIL offset_walk_is_complete_and_stable")
    assert any(line.startswith(f"not evaluated: {len(blocked)} of") and "blocked by offset_walk_is_complete_and_stable"
               in line for line in out)
    md = summary_md(report)
    assert md.index("## MUST failures") < md.index("offset_walk_is_complete_and_stable") < md.index("## Blocked by")


def test_a_dropped_ticket_is_one_root_failure_and_blocked_dependants(tmp_path: Path) -> None:
    report = run(RunRequest(vendor="copper", store=find("copper", "CopperCursorSkipsNextItem")()))
    failed = [c.name for c in report.checks if c.status == "failed"]
    blocked = [c for c in report.checks if c.status == "blocked"]
    assert failed == ["walk_reaches_every_ticket"]
    assert all(c.blocked_by == "walk_reaches_every_ticket" for c in blocked)
    # Filters that work and the narrower pagination checks whose oracle is the walk are not blamed.
    names = {c.name for c in blocked}
    assert {"created_lt_is_exclusive", "location_filter_selects_exactly_that_location", "filters_apply_on_every_page",
            "tie_order_is_consistent", "has_more_is_truthful", "limit_is_honoured",
            "cursor_after_a_tie_keeps_its_siblings"} <= names
    assert report.summary["failed"] == 1 and report.exit_code == 1
    first = terminal_summary(report).splitlines()[0]
    assert first.startswith("FAIL walk_reaches_every_ticket (pagination, MUST)")


@pytest.mark.parametrize(("mutant", "root"), [("CopperHasMoreFalseNearTheEnd", "has_more_is_truthful"),
                                              ("CopperCursorDropsTieSiblings", "cursor_after_a_tie_keeps_its_siblings"),
                                              ("CopperShortPages", "limit_is_honoured")])
def test_a_walk_broken_by_a_narrower_bug_names_that_bug_as_the_root(mutant: str, root: str) -> None:
    checks = ["walk_reaches_every_ticket", "pages_do_not_overlap", root, "tie_order_is_consistent",
              "created_lt_is_exclusive"]
    report = run(RunRequest(vendor="copper", store=find("copper", mutant)(), checks=checks))
    assert [c.name for c in report.checks if c.status == "failed"] == [root]
    by_name = {c.name: c for c in report.checks}
    assert (by_name["walk_reaches_every_ticket"].status, by_name["walk_reaches_every_ticket"].blocked_by) == (
        "blocked", root)
    assert all(c.blocked_by == root for c in report.checks if c.status == "blocked")
