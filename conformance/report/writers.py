"""Write a run's report files: report.json, junit.xml and summary.md."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from conformance.report.model import CheckResult, RunReport

STATUS_ORDER = {"failed": 0, "skipped": 2, "passed": 3}


def write_all(report: RunReport, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.json").write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
    (directory / "junit.xml").write_text(junit_xml(report), encoding="utf-8")
    (directory / "summary.md").write_text(summary_md(report), encoding="utf-8")
    return directory


def _ordered(report: RunReport) -> list[CheckResult]:
    def key(c: CheckResult) -> tuple:
        rank = 0 if c.is_must_failure else 1 if c.is_should_finding else 1.5 if c.known else STATUS_ORDER[c.status]
        return (rank, c.family, c.name)

    return sorted(report.checks, key=key)


def junit_xml(report: RunReport) -> str:
    summary = report.summary
    suite = ET.Element("testsuite", name=f"ticket-conformance.{report.vendor}", tests=str(len(report.checks)),
                       failures=str(summary["failed"]), skipped=str(summary["skipped"]), errors="0",
                       time=f"{report.duration_s:.3f}", timestamp=report.started)
    for result in report.checks:
        case = ET.SubElement(suite, "testcase", classname=f"{report.vendor}.{result.family}", name=result.name)
        text = "\n".join([result.message, *result.reproduce])
        if result.is_must_failure:
            node = ET.SubElement(case, "failure", message=result.message[:500], type=result.level)
            node.text = text
        elif result.status == "skipped":
            ET.SubElement(case, "skipped", message=result.message[:500])
        elif result.status == "failed":  # a SHOULD finding or a known deviation: visible, not failing
            ET.SubElement(case, "system-out").text = f"[{'known' if result.known else result.level}] {text}"
    root = ET.Element("testsuites", name="ticket-conformance")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _badge(c: CheckResult) -> str:
    if c.status == "failed":
        return "known" if c.known else ("FAIL" if c.level == "MUST" else "should")
    return {"passed": "pass", "skipped": "skip"}[c.status]


def summary_md(report: RunReport) -> str:
    s = report.summary
    lines = [f"# ticket-conformance: {report.vendor} ({report.target})", "",
             f"`{report.base_url}` · seed {report.seed} · {report.requests} requests · {report.duration_s:.1f} s · "
             f"started {report.started}", "",
             f"**{s['passed']} passed, {s['failed']} failed (MUST), {s['should']} SHOULD findings, "
             f"{s['known']} known, {s['skipped']} skipped**", ""]
    if report.fatal:
        lines += [f"> Run stopped: {report.fatal}", ""]
    families = sorted({c.family for c in report.checks})
    lines += ["| family | pass | fail | should | known | skip |", "|---|---|---|---|---|---|"]
    for family in families:
        group = [c for c in report.checks if c.family == family]
        counts = [sum(_badge(c) == b for c in group) for b in ("pass", "FAIL", "should", "known", "skip")]
        lines.append(f"| {family} | " + " | ".join(map(str, counts)) + " |")
    lines += ["", "| check | family | level | result | message |", "|---|---|---|---|---|"]
    for c in _ordered(report):
        message = c.message.replace("|", "\\|").replace("\n", " ")[:200]
        lines.append(f"| `{c.name}` | {c.family} | {c.level} | {_badge(c)} | {message} |")
    details = [c for c in _ordered(report) if c.status == "failed"]
    if details:
        lines += ["", "## Findings", ""]
        for c in details:
            lines += [f"### `{c.name}` ({c.level}{', known' if c.known else ''})", "", c.message, ""]
            if c.expected is not None or c.actual is not None:
                lines += [f"- expected: `{json.dumps(c.expected, ensure_ascii=False, default=str)[:300]}`",
                          f"- actual: `{json.dumps(c.actual, ensure_ascii=False, default=str)[:300]}`", ""]
            if c.reproduce:
                lines += ["```sh", *c.reproduce, "```", ""]
    return "\n".join(lines) + "\n"
