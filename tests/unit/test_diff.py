"""``ticket-conformance diff OLD NEW``: what broke, what got fixed, what is unchanged; exit 1 on a new break."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import cli
from conformance.report.diff import compare, load_report, render
from conformance.model.errors import ConfigError
from conformance.report.model import CheckResult, RunReport
from conformance.report.writers import write_all


def report(*checks: CheckResult, vendor: str = "copper") -> RunReport:
    return RunReport(vendor=vendor, target="live", base_url="http://127.0.0.1:8082/next", seed=1,
                     started="2026-11-23T20:00:00Z", checks=list(checks))


def c(name: str, status: str, level: str = "MUST", family: str = "pagination", **kw) -> CheckResult:
    return CheckResult(name, family, level, status, kw.pop("message", f"{name} {status}"), **kw)


OLD = report(c("stays_green", "passed"), c("breaks", "passed"), c("gets_fixed", "failed"),
             c("keeps_failing", "failed"), c("known_fixed", "failed", known={"reason": "r"}),
             c("new_should", "passed", level="SHOULD"), c("goes_skipped", "passed"), c("removed", "passed"),
             c("still_skipped", "skipped"))
NEW = report(c("stays_green", "passed"),
             c("breaks", "failed", reproduce=["curl 'http://127.0.0.1:8082/next/tickets?limit=0'"]),
             c("gets_fixed", "passed"), c("keeps_failing", "failed"), c("known_fixed", "passed"),
             c("new_should", "failed", level="SHOULD"), c("goes_skipped", "skipped", message="budget"),
             c("brand_new", "passed"), c("still_skipped", "skipped"))


def test_compare_sorts_every_check_into_one_bucket() -> None:
    d = compare(OLD, NEW)
    assert [x.name for x in d.newly_broken] == ["breaks"]
    assert [n.name for _, n in d.fixed] == ["gets_fixed", "known_fixed"]
    assert [x.name for x in d.still_failing] == ["keeps_failing"]
    assert [x.name for x in d.new_findings] == ["new_should"]
    assert [(n or o).name for o, n in d.not_evaluated] == ["goes_skipped", "removed"]
    assert [x.name for x in d.added] == ["brand_new"]
    assert d.unchanged == 2  # stays_green, still_skipped
    assert d.exit_code == 1


def test_render_is_markdown_for_a_ci_log_or_chat() -> None:
    text = render(compare(OLD, NEW), "old/report.json", "new/report.json")
    first = text.splitlines()[0]
    assert first == "## ticket-conformance diff: copper — **1 newly broken**"
    broken = text.split("### Newly broken (1)")[1].split("###")[0]
    assert "`breaks` (pagination, MUST)" in broken and "reproduce: `curl 'http://127.0.0.1:8082" in broken
    assert "### Fixed (2)" in text and "`known_fixed` (pagination, MUST): was known, now passes — prune" in text
    assert "### Still failing (1)" in text and "### New SHOULD / known findings (1)" in text
    assert "`goes_skipped`: was pass, now skip (budget)" in text
    assert text.rstrip().endswith("Unchanged: 2 checks.")
    assert "`old/report.json`" in text


def test_a_known_new_failure_is_not_a_new_break() -> None:
    d = compare(report(c("x", "passed")), report(c("x", "failed", known={"reason": "r"})))
    assert d.exit_code == 0 and [x.name for x in d.new_findings] == ["x"]


def test_identical_reports() -> None:
    d = compare(OLD, OLD)
    assert d.exit_code == 0 and d.unchanged + len(d.still_failing) == len(OLD.checks)
    assert not (d.fixed or d.new_findings or d.not_evaluated or d.added)
    assert "nothing newly broken" in render(d)


def test_vendor_mismatch_is_flagged() -> None:
    assert "comparing different vendors" in render(compare(report(vendor="opine"), report()))


def _write(tmp_path: Path, name: str, r: RunReport) -> Path:
    return write_all(r, tmp_path / name) / "report.json"


def test_cli_diff_exit_codes(tmp_path: Path, capsys) -> None:
    old, new = _write(tmp_path, "old", OLD), _write(tmp_path, "new", NEW)
    assert cli.main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "Newly broken (1)" in out and "`breaks`" in out
    assert cli.main(["diff", str(new), str(new)]) == 0
    # A report directory works as well as its report.json; fixing things is not a failure.
    fixed = _write(tmp_path, "fixed", report(*(c(x.name, "passed") for x in NEW.checks)))
    assert cli.main(["diff", str(new.parent), str(fixed.parent)]) == 0
    out = capsys.readouterr().out
    assert "nothing newly broken" in out and "### Fixed (3)" in out


@pytest.mark.parametrize("content, fragment", [
    (None, "cannot read report"),
    ("{not json", "is not a JSON report"),
    ('{"hello": 1}', "not a ticket-conformance report"),
    ('{"vendor": "copper", "checks": [{"name": "x"}]}', "bad check entry"),
])
def test_cli_diff_unreadable_report_exits_2(tmp_path: Path, capsys, content, fragment) -> None:
    good = _write(tmp_path, "good", OLD)
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    assert cli.main(["diff", str(bad), str(good)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err
    with pytest.raises(ConfigError):
        load_report(bad)


def test_diff_reads_what_run_writes(tmp_path: Path) -> None:
    path = _write(tmp_path, "r", NEW)
    again = load_report(path)
    assert json.loads(path.read_text())["checks"] == again.to_json()["checks"]
