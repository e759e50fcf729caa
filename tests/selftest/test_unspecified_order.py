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
