"""The root-cause rule (run/engine.RootCauses) on hand-made results: one rule for CLI and pytest plugin."""

from __future__ import annotations

from types import SimpleNamespace

from conformance.report.model import CheckResult
from conformance.run.engine import RootCauses

CHECKS = [SimpleNamespace(name="walk", owns=("full-walk",), relies_on=()),
          SimpleNamespace(name="narrow", owns=(), relies_on=("full-walk",)),
          SimpleNamespace(name="filter", owns=(), relies_on=("full-walk",)),
          SimpleNamespace(name="other", owns=(), relies_on=())]


def _failed(name: str, explained_by: tuple[str, ...] = ()) -> CheckResult:
    return CheckResult(name=name, family="pagination", level="MUST", status="failed", explained_by=explained_by)


def test_dependants_of_a_failed_owner_are_blocked_by_it_as_they_arrive() -> None:
    roots = RootCauses(CHECKS)
    results = [roots.judge(_failed(n)) for n in ("walk", "narrow", "filter", "other")]
    assert [(r.status, r.blocked_by) for r in results] == [("failed", ""), ("blocked", "walk"), ("blocked", "walk"),
                                                           ("failed", "")]


def test_an_owner_explained_by_a_narrower_failure_hands_the_root_to_it() -> None:
    roots = RootCauses(CHECKS)
    walk, filt, narrow = roots.judge(_failed("walk", ("narrow",))), roots.judge(_failed("filter")), roots.judge(
        _failed("narrow"))
    assert (narrow.status, walk.status, walk.blocked_by) == ("failed", "blocked", "narrow")
    roots.settle()  # the end of a CLI run: dependants blocked by the owner now name the root
    assert (filt.status, filt.blocked_by) == ("blocked", "narrow")


def test_an_explanation_that_did_not_fail_leaves_the_owner_the_root() -> None:
    roots = RootCauses(CHECKS)
    walk = roots.judge(_failed("walk", ("narrow",)))
    narrow = roots.judge(CheckResult(name="narrow", family="pagination", level="MUST", status="passed"))
    roots.settle()
    assert (walk.status, narrow.status) == ("failed", "passed")


def test_suite_errors_never_block_and_are_never_blocked() -> None:
    roots = RootCauses(CHECKS)
    broken = _failed("walk")
    broken.suite_error = True
    dependant = roots.judge(broken) and roots.judge(_failed("narrow"))
    assert (broken.status, dependant.status) == ("failed", "failed")
