"""A cursor API whose docs fix no list order (profile ``paging.order: unspecified``): the order is not
judged. Copper listing oldest first passes every check but ``list_is_newest_first``, which does not
apply; with the default order (newest first, documented) the same server fails that check."""

from __future__ import annotations

from pathlib import Path

from conformance.reference.mutants.copper_pagination import CopperOldestFirst
from conformance.run.runner import RunRequest, run
from profile_variants import edited_profile


def test_an_oldest_first_cursor_list_passes_when_the_order_is_unspecified(tmp_path: Path) -> None:
    path = edited_profile(tmp_path, "copper", lambda data: data["paging"].update(order="unspecified"))
    report = run(RunRequest(vendor="copper", profile=path, store=CopperOldestFirst()))
    by_name = {r.name: r for r in report.checks}
    assert by_name["list_is_newest_first"].status == "skipped"
    assert "paging.newest_first" in by_name["list_is_newest_first"].message
    wrong = [(r.name, r.message) for r in report.checks if r.status not in ("passed", "skipped")]
    assert wrong == []
    assert sum(r.status == "passed" for r in report.checks) >= 40


def test_the_documented_order_still_fails_an_oldest_first_list() -> None:
    report = run(RunRequest(vendor="copper", store=CopperOldestFirst()))
    assert "list_is_newest_first" in {r.name for r in report.checks if r.status == "failed"}


def test_an_offset_list_is_judged_by_the_order_its_profile_documents(tmp_path: Path) -> None:
    """Opine's docs fix no order (the shipped profile: unspecified, no capability documented-order). Declared,
    the order is judged: the reference server lists by creation, so exactly one declaration holds, and the
    other fails naming the position where the walk turns."""
    verdicts = {}
    for order in ("oldest-first", "newest-first"):
        path = edited_profile(tmp_path, "opine", lambda data, o=order: data["paging"].update(order=o))
        report = run(RunRequest(vendor="opine", profile=path, checks=["list_follows_documented_order"]))
        (result,) = report.checks
        verdicts[order] = (result.status, result.message)
    assert sorted(status for status, _ in verdicts.values()) == ["failed", "passed"], verdicts
    failed = next(message for status, message in verdicts.values() if status == "failed")
    assert " first at position " in failed
    assert "list_follows_documented_order" not in {r.name for r in run(RunRequest(vendor="opine")).checks}


def test_a_cursor_list_documented_oldest_first_is_judged_by_that_order(tmp_path: Path) -> None:
    """paging.order: oldest-first on a cursor list: Copper listing oldest first passes every check (the
    filtered lists judged as sets) and list_follows_documented_order with it; the clean Copper server,
    newest first, fails that check."""
    path = edited_profile(tmp_path, "copper", lambda data: data["paging"].update(order="oldest-first"))
    report = run(RunRequest(vendor="copper", profile=path, store=CopperOldestFirst()))
    by_name = {r.name: r for r in report.checks}
    assert by_name["list_follows_documented_order"].status == "passed"
    assert by_name["list_is_newest_first"].status == "skipped"
    wrong = [(r.name, r.message) for r in report.checks if r.status not in ("passed", "skipped")]
    assert wrong == []
    clean = run(RunRequest(vendor="copper", profile=path, checks=["list_follows_documented_order"]))
    assert [(r.status, "oldest first" in r.message) for r in clean.checks] == [("failed", True)]
