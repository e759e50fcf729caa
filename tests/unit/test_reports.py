"""Report files built from a hand-made RunReport: report.json, summary.md, junit.xml, report.html."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conformance.report.html import report_html
from conformance.report.model import CheckResult, RunReport, report_from_json
from conformance.report.writers import junit_xml, summary_md, write_all

CURL = "curl -u \"$COPPER_API_KEY:\" 'http://127.0.0.1:8082/next/tickets?created%5Bgt%5D=2026-01-01T00%3A00%3A00Z'"


def sample_report() -> RunReport:
    report = RunReport(vendor="copper", target="live", base_url="http://127.0.0.1:8082/next", seed=7,
                       started="2026-11-23T20:00:00Z", duration_s=12.3, requests=840, checks=[
                           CheckResult("pages_do_not_overlap", "pagination", "MUST", "passed", proves="no overlap"),
                           CheckResult("update_sets_null", "nullable-update", "MUST", "skipped",
                                       "needs --allow-writes"),
                           CheckResult("wrong_key_is_refused", "auth", "MUST", "failed", "200 for a wrong key",
                                       known={"reason": "vendor bug", "link": "https://example.invalid/7"}),
                           CheckResult("enum_values_documented", "enum", "SHOULD", "failed",
                                       "status 'weird' not in the enum", expected=["OPEN"], actual="weird"),
                           CheckResult("created_gt_is_exclusive", "created-filter", "MUST", "failed",
                                       "created[gt] returned the boundary <ticket>\nsecond line",
                                       [CURL], proves="created[gt] excludes the boundary",
                                       expected={"excluded": ["t1"]},
                                       actual={"ids": ["t1", "t2"], "body": "nul\x00 and ``` fence"}, requests=3),
                       ])
    report.baseline = {"file": "baselines/copper.yaml", "fixed": [{"check": "pages_do_not_overlap", "reason": "x"}],
                       "known": [{"check": "wrong_key_is_refused", "reason": "vendor bug"}], "not_evaluated": []}
    return report


def test_write_all_writes_four_files_and_json_round_trips(tmp_path: Path) -> None:
    report = sample_report()
    write_all(report, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml", "report.html", "report.json", "summary.md"]
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["summary"] == {"passed": 1, "failed": 1, "skipped": 1, "should": 1, "known": 1, "blocked": 0,
                               "inconclusive": 0, "evaluated": 4, "evaluated_percent": 80.0}
    assert data["baseline"]["fixed"][0]["check"] == "pages_do_not_overlap"
    again = report_from_json(data)
    assert again.to_json() == data
    assert again.exit_code == 1


def test_summary_md_puts_failures_first_with_expected_actual_and_curl() -> None:
    text = summary_md(sample_report())
    assert text.splitlines()[0] == "# ticket-conformance: copper (live) — FAIL (1 MUST failure)"
    # Matrix row per family plus a total, columns pass/fail/should/known/blocked/skip.
    assert "| family | pass | fail | should | known | blocked | skip |" in text
    assert "| created-filter | 0 | 1 | 0 | 0 | 0 |" in text
    assert "| **all** | 1 | 1 | 1 | 1 | 0 | 1 |" in text
    # Failures first: the MUST failure's section precedes the SHOULD and known sections and the full table.
    order = [text.index(h) for h in ("## MUST failures (root causes first) (1)", "## SHOULD findings (1)", "## Known deviations (1)",
                                     "## All checks")]
    assert order == sorted(order)
    failure = text[order[0]:order[1]]
    assert "**Expected**" in failure and '{"excluded": ["t1"]}' in failure
    assert "**Actual**" in failure and "```sh\n" + CURL + "\n```" in failure
    # A value containing ``` is wrapped in a longer fence so the markdown stays intact.
    assert "````\n" in failure
    # A multi-line message or one with markup is fenced, not rendered as HTML.
    assert "```text\ncreated[gt] returned the boundary <ticket>\nsecond line\n```" in failure
    assert "known deviation: vendor bug" in text and "https://example.invalid/7" in text
    assert "**Fixed**" in text and "`pages_do_not_overlap`" in text
    # In the full table, worst first.
    rows = [line.split("|")[4].strip() for line in text.split("## All checks")[1].splitlines() if line.startswith("| `")]
    assert rows == ["FAIL", "should", "known", "skip", "pass"]


def test_summary_md_passing_run() -> None:
    report = RunReport(vendor="opine", target="reference", base_url="http://x/v1", seed=1, started="s",
                       checks=[CheckResult("a", "auth", "MUST", "passed")])
    text = summary_md(report)
    assert "— PASS" in text.splitlines()[0] and "## MUST failures" not in text
    assert "1 passed, 0 failed (MUST), 0 SHOULD findings, 0 known, 0 skipped" in text


def test_junit_xml_is_valid_and_maps_each_outcome() -> None:
    text = junit_xml(sample_report())
    root = ET.fromstring(text.encode("utf-8"))  # would raise on a NUL or any XML-illegal character
    assert root.tag == "testsuites"
    (suite,) = root
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert len(cases) == 5 == int(suite.get("tests"))
    assert suite.get("failures") == "1" and suite.get("skipped") == "2" and suite.get("errors") == "0"
    assert root.get("failures") == "1" and root.get("tests") == "5"
    # Counts match the elements, as CI systems recount them.
    assert len(list(suite.iter("failure"))) == 1 and len(list(suite.iter("skipped"))) == 2
    fail = cases["created_gt_is_exclusive"].find("failure")
    assert fail.get("type") == "MUST" and fail.get("message") == "created[gt] returned the boundary <ticket>"
    assert "expected:" in fail.text and "actual:" in fail.text and CURL in fail.text
    assert "\x00" not in text
    known = cases["wrong_key_is_refused"].find("skipped")
    assert known.get("type") == "known" and "vendor bug" in known.get("message")
    skipped = cases["update_sets_null"].find("skipped")
    assert skipped.get("message") == "needs --allow-writes"
    should = cases["enum_values_documented"]
    assert should.find("failure") is None and should.find("skipped") is None
    assert "SHOULD" in should.find("system-out").text
    assert list(cases["pages_do_not_overlap"]) == []
    assert cases["created_gt_is_exclusive"].get("classname") == "copper.created-filter"
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["vendor"] == "copper" and props["seed"] == "7"


def test_report_html_is_self_contained_and_escaped() -> None:
    html = report_html(sample_report())
    assert html.startswith("<!DOCTYPE html>")
    # Nothing fetched from anywhere: no external scripts, styles, images, fonts or imports.
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)
    assert "@import" not in html and "url(" not in html
    assert "<style>" in html and "<script>" in html
    # Every check is there, with its family and outcome for the filters; failing ones open.
    for name, status in (("created_gt_is_exclusive", "fail"), ("enum_values_documented", "should"),
                         ("wrong_key_is_refused", "known"), ("update_sets_null", "skip"),
                         ("pages_do_not_overlap", "pass")):
        assert re.search(rf'<details class="check {status}" id="check-{name}" data-family="[a-z-]+" '
                         rf'data-status="{status}"', html), name
    assert html.index("check-created_gt_is_exclusive") < html.index("check-pages_do_not_overlap")
    assert '<option value="created-filter">' in html
    # Response text is escaped, never markup.
    assert "boundary &lt;ticket&gt;" in html and "<ticket>" not in html
    assert "$COPPER_API_KEY" in html and "created%5Bgt%5D" in html


@pytest.mark.parametrize("writer", [summary_md, junit_xml, report_html])
def test_writers_handle_an_empty_run(writer) -> None:
    report = RunReport(vendor="opine", target="reference", base_url="http://x/v1", seed=1, started="")
    assert writer(report)


def test_terminal_and_summary_md_say_each_thing_once() -> None:
    from conformance.report.terminal import terminal_summary

    report = RunReport(vendor="copper", target="live", base_url="http://127.0.0.1:8082/next", seed=1,
                       started="2026-11-23T20:00:00Z", interrupted="SIGINT", checks=[
                           CheckResult("walk", "pagination", "MUST", "failed", "the walk skips a ticket"),
                           CheckResult("filter", "created-filter", "MUST", "blocked", "a ticket missing",
                                       blocked_by="walk"),
                           CheckResult("limit", "pagination", "MUST", "skipped", "not evaluated: interrupted"),
                           CheckResult("gt", "created-filter", "MUST", "skipped", "not evaluated: interrupted")])
    out = terminal_summary(report)
    assert "not evaluated: 2 of 4 checks: interrupted (limit, gt)" in out.splitlines(), out
    assert "blocked by walk" in out
    for text in (out, summary_md(report)):
        for line in text.splitlines():
            assert line.count("not evaluated") <= 1 and line.count("blocked by") + line.count("Blocked by") <= 1, line
            words = line.lower().split()
            assert not any(a == b and len(a) > 3 for a, b in zip(words, words[1:])), line  # no "x x" repeats


def test_terminal_shows_structured_expected_and_actual_as_one_line_of_json() -> None:
    from conformance.report.terminal import terminal_summary

    report = RunReport(vendor="copper", target="live", base_url="http://127.0.0.1:8082/next", seed=1,
                       started="2026-11-23T20:00:00Z", checks=[CheckResult(
                           "walk", "pagination", "MUST", "failed", "a walk misses tickets", expected="the same 317 tickets",
                           actual={"missing": ["tkt_a", "tkt_b", "tkt_c", "tkt_d", "tkt_e", "tkt_f"], "missing_count": 26})])
    line = next(x for x in terminal_summary(report).splitlines() if x.startswith("  expected:"))
    assert '| actual: {"missing": ["tkt_a", "tkt_b"' in line and "\\n" not in line, line
