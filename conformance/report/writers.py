"""Write a run's report files: report.json, junit.xml, summary.md and report.html."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from xml.etree import ElementTree as ET

from conformance.model.errors import ConfigError
from conformance.report import escape
from conformance.report.html import report_html
from conformance.report.model import CheckResult, RunReport
from conformance.report.view import OUTCOME_LABELS, as_text, matrix, ordered, outcome, totals, verdict

ARTIFACTS = ("report.json", "junit.xml", "summary.md", "report.html")


def prepare_report_dir(directory: Path) -> Path:
    """Create the report directory, or say in one line (exit 2) why reports cannot be written there."""
    directory = Path(directory)
    if directory.is_symlink():
        raise ConfigError(f"--report-dir {directory} is a symbolic link: refusing to write reports through it")
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"--report-dir {directory} is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create --report-dir {directory}: {exc.strerror or exc}") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ConfigError(f"--report-dir {directory} is not writable")
    for name in ARTIFACTS:
        if (directory / name).is_symlink():
            raise ConfigError(f"{directory / name} is a symbolic link: refusing to write a report through it")
    return directory


def write_artifact(path: Path, text: str) -> None:
    """Write through a temporary file and a rename: a failure never leaves a truncated file, and a
    planted symlink is refused rather than followed."""
    if path.is_symlink():
        raise ConfigError(f"{path} is a symbolic link: refusing to write a report through it")
    data = escape.encodable(text)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_all(report: RunReport, directory: Path) -> Path:
    directory = prepare_report_dir(directory)
    write_artifact(directory / "report.json",
                   escape.json_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False)) + "\n")
    write_artifact(directory / "junit.xml", junit_xml(report))
    write_artifact(directory / "summary.md", summary_md(report))
    write_artifact(directory / "report.html", report_html(report))
    return directory


# --- junit.xml -----------------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\ufffe\uffff]")


def _xml(text: str) -> str:
    """Response bodies can hold characters XML 1.0 forbids (a CI system then rejects the whole file) or
    a CI log misreads: escaped by the one rule for every medium."""
    return _XML_ILLEGAL.sub("\ufffd", escape.xml(text))


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
            link = escape.safe_link(known.get("link"))
            why = f"known deviation: {known.get('reason', '')}" + (f" ({link})" if link else "")
            node = ET.SubElement(case, "skipped", message=_xml(why[:500]), type="known")
            node.text = _detail(c)
        elif kind in ("skip", "blocked", "inconclusive"):  # inconclusive: skipped with its reason
            skipped += 1
            why = f"blocked by {c.blocked_by}: {c.message}" if kind == "blocked" else c.message
            ET.SubElement(case, "skipped", message=_first_line(why) or "skipped", type=kind)
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
    return escape.markdown_cell(text, limit)


def _fenced(text: str, lang: str = "") -> list[str]:
    return escape.markdown_block(text, lang)


def _finding_md(c: CheckResult) -> list[str]:
    lines = [f"### `{c.name}` · {c.family} · {c.level} · {OUTCOME_LABELS[outcome(c)]}", ""]
    if c.blocked_by:
        lines += [f"Blocked by `{c.blocked_by}`: its failure breaks the observation this check relies on.", ""]
    if c.known:
        link = escape.safe_link(c.known.get("link"))
        link = f" — <{link}>" if link else ""
        since = f" (since {escape.markdown_inline(c.known['since'])})" if c.known.get("since") else ""
        lines += [f"> known deviation: {escape.markdown_inline(c.known.get('reason', ''))}{since}{link}", ""]
    if c.proves:
        lines += [f"*Must hold:* {c.proves}", ""]
    if c.message:  # raw text from responses can hold markdown/HTML: fence anything but a plain line
        plain = re.fullmatch(r"[A-Za-z0-9 ,.;'\"=+%()/-]*", c.message.strip()) is not None
        lines += [c.message, ""] if plain else [*_fenced(c.message.strip(), "text"), ""]
    if c.expected is not None or c.actual is not None:
        lines += ["**Expected**", "", *_fenced(as_text(c.expected)), "", "**Actual**", "", *_fenced(as_text(c.actual)), ""]
    if c.reproduce:
        lines += ["**Reproduce**", "", *_fenced("\n".join(c.reproduce), "sh"), ""]
    return lines


def summary_md(report: RunReport) -> str:
    lines = [f"# ticket-conformance: {report.vendor} ({report.target}) — {verdict(report)}", "",
             f"{escape.markdown_cell(report.base_url, 300)} · seed {report.seed} · {report.requests} requests · {report.duration_s:.1f} s · "
             f"started {report.started}", "",
             f"**{totals(report)}**", ""]
    if report.fatal:
        lines += [f"> Run stopped: {escape.markdown_inline(report.fatal)}", ""]
    if report.interrupted:
        lines += [f"> Run interrupted ({escape.markdown_inline(report.interrupted)}): unfinished checks not evaluated", ""]
    if report.reproduce_base == "$BASE_URL":
        lines += [f"Replayed from a recording of {escape.markdown_cell(report.recorded_from or 'an unknown API', 300)}: "
                  "the curl commands use `$BASE_URL`; set it to the API root (with its version prefix) and "
                  "export the key to run them against the live API.", ""]
    elif report.reproduce_base:
        lines += [f"Replayed from a recording of {escape.markdown_cell(report.recorded_from, 300)}: "
                  "the curl commands target it.", ""]
    if report.baseline is not None:
        b = report.baseline
        lines += [f"Baseline {escape.markdown_cell(b['file'], 300)}:", ""]
        lines.append(f"- known, not failing the run ({len(b['known'])}): "
                     + (", ".join(f"`{e['check']}`" for e in b["known"]) or "none"))
        if b["fixed"]:
            lines.append(f"- **Fixed** — now passing, prune from the baseline ({len(b['fixed'])}): "
                         + ", ".join(f"`{e['check']}`" for e in b["fixed"]))
        if b.get("not_evaluated"):
            lines.append(f"- not evaluated in this run ({len(b['not_evaluated'])}): "
                         + ", ".join(f"`{e['check']}`" for e in b["not_evaluated"]))
        lines.append("")
    columns = ["pass", "fail", "should", "known", "blocked", "skip"]
    if any(outcome(c) == "inconclusive" for c in report.checks):  # the column only when there is one
        columns.insert(5, "inconclusive")
    lines += ["| family | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for family, counts in matrix(report):
        name = f"**{family}**" if family == "all" else family
        lines.append(f"| {name} | " + " | ".join(str(counts[o]) for o in columns) + " |")
    lines.append("")
    checks = ordered(report)
    for kind, title in (("fail", "MUST failures (root causes first)"), ("should", "SHOULD findings"),
                        ("known", "Known deviations"), ("blocked", "Blocked by a failure above"),
                        ("inconclusive", "Inconclusive: the data changed under the check (other writers)")):
        group = [c for c in checks if outcome(c) == kind]
        if group:
            lines += [f"## {title} ({len(group)})", ""]
            for c in group:
                lines += _finding_md(c)
    lines += ["## All checks", "", "| check | family | level | result | message |", "|---|---|---|---|---|"]
    for c in checks:
        lines.append(f"| `{c.name}` | {c.family} | {c.level} | {OUTCOME_LABELS[outcome(c)]} | {_cell(c.message)} |")
    return "\n".join(lines) + "\n"
