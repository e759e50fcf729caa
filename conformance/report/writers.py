"""Write a run's report files: report.json, junit.xml, summary.md and report.html."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

from conformance.report.html import report_html
from conformance.report.model import CheckResult, RunReport
from conformance.report.view import OUTCOME_LABELS, as_text, matrix, ordered, outcome, totals, verdict

def write_all(report: RunReport, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.json").write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
    (directory / "junit.xml").write_text(junit_xml(report), encoding="utf-8")
    (directory / "summary.md").write_text(summary_md(report), encoding="utf-8")
    (directory / "report.html").write_text(report_html(report), encoding="utf-8")
    return directory


# --- junit.xml -----------------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    """Response bodies can hold characters XML 1.0 forbids; a CI system then rejects the whole file."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def _detail(c: CheckResult) -> str:
    parts = [c.message]
    if c.expected is not None or c.actual is not None:
        parts += [f"expected: {as_text(c.expected)}", f"actual:   {as_text(c.actual)}"]
    if c.reproduce:
        parts += ["reproduce:", *c.reproduce]
    return _xml("\n".join(p for p in parts if p))


def _first_line(text: str, limit: int = 500) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return _xml(line[:limit])


def junit_xml(report: RunReport) -> str:
    """One testcase per check. MUST failure -> <failure>; skipped and known (baselined, like pytest's
    xfail) -> <skipped> with the reason; a SHOULD finding passes with the finding in <system-out>."""
    suite = ET.Element("testsuite", name=f"ticket-conformance.{report.vendor}")
    props = ET.SubElement(suite, "properties")
    for name, value in (("vendor", report.vendor), ("target", report.target), ("base_url", report.base_url),
                        ("seed", report.seed), ("requests", report.requests)):
        ET.SubElement(props, "property", name=name, value=_xml(str(value)))
    failures = skipped = 0
    for c in report.checks:
        case = ET.SubElement(suite, "testcase", classname=f"{report.vendor}.{c.family}", name=c.name, time="0")
        kind = outcome(c)
        if kind == "fail":
            failures += 1
            node = ET.SubElement(case, "failure", message=_first_line(c.message), type=c.level)
            node.text = _detail(c)
        elif kind == "known":
            skipped += 1
            known = c.known or {}
            why = f"known deviation: {known.get('reason', '')}" + (f" ({known['link']})" if known.get("link") else "")
            node = ET.SubElement(case, "skipped", message=_xml(why[:500]), type="known")
            node.text = _detail(c)
        elif kind == "skip":
            skipped += 1
            ET.SubElement(case, "skipped", message=_first_line(c.message) or "skipped", type="skipped")
        elif kind == "should":
            ET.SubElement(case, "system-out").text = "[SHOULD finding, does not fail the run]\n" + _detail(c)
    counts = {"tests": str(len(report.checks)), "failures": str(failures), "errors": "0", "skipped": str(skipped),
              "time": f"{report.duration_s:.3f}"}
    suite.attrib.update(counts)
    if report.started:
        suite.set("timestamp", report.started.removesuffix("Z"))
    root = ET.Element("testsuites", name="ticket-conformance", **counts)
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- summary.md ----------------------------------------------------------------------------------

def _cell(text: str, limit: int = 160) -> str:
    line = " ".join(text.split()).replace("|", "\\|")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _fenced(text: str, lang: str = "") -> list[str]:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + lang, text, fence]


def _finding_md(c: CheckResult) -> list[str]:
    lines = [f"### `{c.name}` · {c.family} · {c.level} · {OUTCOME_LABELS[outcome(c)]}", ""]
    if c.known:
        link = f" — {c.known['link']}" if c.known.get("link") else ""
        since = f" (since {c.known['since']})" if c.known.get("since") else ""
        lines += [f"> known deviation: {c.known.get('reason', '')}{since}{link}", ""]
    if c.proves:
        lines += [f"*Must hold:* {c.proves}", ""]
    if c.message:  # raw text from responses can hold markdown/HTML: fence anything but a plain line
        plain = "\n" not in c.message.strip() and not re.search(r"[<>`*_\[\]|]", c.message)
        lines += [c.message, ""] if plain else [*_fenced(c.message.strip(), "text"), ""]
    if c.expected is not None or c.actual is not None:
        lines += ["**Expected**", "", *_fenced(as_text(c.expected)), "", "**Actual**", "", *_fenced(as_text(c.actual)), ""]
    if c.reproduce:
        lines += ["**Reproduce**", "", *_fenced("\n".join(c.reproduce), "sh"), ""]
    return lines


def summary_md(report: RunReport) -> str:
    lines = [f"# ticket-conformance: {report.vendor} ({report.target}) — {verdict(report)}", "",
             f"`{report.base_url}` · seed {report.seed} · {report.requests} requests · {report.duration_s:.1f} s · "
             f"started {report.started}", "",
             f"**{totals(report)}**", ""]
    if report.fatal:
        lines += [f"> Run stopped: {report.fatal}", ""]
    if report.baseline is not None:
        b = report.baseline
        lines += [f"Baseline `{b['file']}`:", ""]
        lines.append(f"- known, not failing the run ({len(b['known'])}): "
                     + (", ".join(f"`{e['check']}`" for e in b["known"]) or "none"))
        if b["fixed"]:
            lines.append(f"- **Fixed** — now passing, prune from the baseline ({len(b['fixed'])}): "
                         + ", ".join(f"`{e['check']}`" for e in b["fixed"]))
        if b.get("not_evaluated"):
            lines.append(f"- not evaluated in this run ({len(b['not_evaluated'])}): "
                         + ", ".join(f"`{e['check']}`" for e in b["not_evaluated"]))
        lines.append("")
    lines += ["| family | pass | fail | should | known | skip |", "|---|---|---|---|---|---|"]
    for family, counts in matrix(report):
        name = f"**{family}**" if family == "all" else family
        lines.append(f"| {name} | " + " | ".join(str(counts[o]) for o in ("pass", "fail", "should", "known", "skip"))
                     + " |")
    lines.append("")
    checks = ordered(report)
    for kind, title in (("fail", "MUST failures"), ("should", "SHOULD findings"), ("known", "Known deviations")):
        group = [c for c in checks if outcome(c) == kind]
        if group:
            lines += [f"## {title} ({len(group)})", ""]
            for c in group:
                lines += _finding_md(c)
    lines += ["## All checks", "", "| check | family | level | result | message |", "|---|---|---|---|---|"]
    for c in checks:
        lines.append(f"| `{c.name}` | {c.family} | {c.level} | {OUTCOME_LABELS[outcome(c)]} | {_cell(c.message)} |")
    return "\n".join(lines) + "\n"
