"""The "inconclusive" status (other writers changed the data under a check): counted, shown in every
medium, never a failure."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from conformance.report.html import report_html
from conformance.report.model import CheckResult, RunReport
from conformance.report.terminal import terminal_summary
from conformance.report.writers import junit_xml, summary_md

REASON = "inconclusive: the collection changed during the walk, 2 tickets appeared"


def _report() -> RunReport:
    report = RunReport(vendor="opine", target="reference", base_url="http://x/v1", seed=1, started="")
    report.checks = [CheckResult("offset_walk_is_complete_and_stable", "pagination", "MUST", "inconclusive", REASON),
                     CheckResult("offset_defaults_to_0", "pagination", "MUST", "passed")]
    return report


def test_inconclusive_is_counted_and_does_not_fail_the_run():
    report = _report()
    assert report.summary["inconclusive"] == 1 and report.summary["failed"] == 0
    assert report.summary["evaluated"] == 1
    assert report.exit_code == 0
    assert report.to_json()["checks"][0]["status"] == "inconclusive"


def test_inconclusive_is_shown_in_every_medium():
    report = _report()
    case = ET.fromstring(junit_xml(report)).find(".//testcase[@name='offset_walk_is_complete_and_stable']")
    skipped = case.find("skipped")
    assert skipped is not None and skipped.get("message") == REASON and skipped.get("type") == "inconclusive"
    md = summary_md(report)
    assert "| inconclusive |" in md and "Inconclusive: the data changed under the check" in md and REASON in md
    text = terminal_summary(report)
    assert "1 inconclusive" in text and REASON in text
    html = report_html(report)
    assert 'data-status="inconclusive"' in html and REASON in html
