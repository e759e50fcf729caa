"""What the CLI prints at the end of a run, readable in a CI log by someone in a hurry.

Each failing check (root causes first): name, level, one line expected vs actual, one curl; then
one line per group of checks that did not reach a verdict (skipped or blocked) with the reason;
then the summary line. Every API value goes through the terminal escaping rule.
"""

from __future__ import annotations

import json
from pathlib import Path

from conformance.report.escape import visible
from conformance.report.model import CheckResult, RunReport
from conformance.report.view import not_evaluated_groups, ordered, outcome

LINE = 240


def _short(value: object, limit: int = LINE) -> str:
    # Compact JSON on one line: pretty-printed JSON would show as escaped newlines ("{\n ...").
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(visible(text[: limit * 4], one_line=True).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _failure(c: CheckResult) -> list[str]:
    tag = {"fail": "FAIL", "should": "SHOULD", "known": "KNOWN"}[outcome(c)]
    lines = [f"{tag} {c.name} ({c.family}, {'MUST (suite error)' if c.suite_error else c.level})"
             + (f": {_short(c.message)}" if c.message else "")]
    if c.expected is not None or c.actual is not None:
        lines.append(f"  expected: {_short(c.expected, 110)} | actual: {_short(c.actual, 110)}")
    if c.reproduce:
        lines.append(f"  reproduce: {visible(c.reproduce[-1], one_line=True)}")
    return lines


def terminal_summary(report: RunReport, report_dir: Path | str | None = None) -> str:
    lines: list[str] = []
    for c in ordered(report):
        if outcome(c) in ("fail", "should", "known"):
            lines += _failure(c)
    total = len(report.checks)
    for reason, group in not_evaluated_groups(report):
        names = ", ".join(c.name for c in group[:6]) + (", …" if len(group) > 6 else "")
        reason = reason.removeprefix("not evaluated: ")  # the line says it already (engine reasons carry it)
        lines.append(f"not evaluated: {len(group)} of {total} check{'s' if total != 1 else ''}: "
                     f"{_short(reason, 160)} ({names})")
    s = report.summary
    blocked = f", {s['blocked']} blocked" if s["blocked"] else ""
    blocked += f", {s['inconclusive']} inconclusive" if s["inconclusive"] else ""
    where = f"; report in {report_dir}" if report_dir is not None else ""
    lines.append(f"{report.vendor} ({report.target}): {s['passed']} passed, {s['failed']} failed, {s['should']} should, "
                 f"{s['known']} known{blocked}, {s['skipped']} skipped; evaluated {s['evaluated']} of {total} "
                 f"({s['evaluated_percent']:g}%); {report.requests} requests in {report.duration_s:.1f}s{where}")
    if report.baseline is not None:
        b = report.baseline
        fixed = ", ".join(e["check"] for e in b["fixed"])
        lines.append(f"baseline {b['file']}: {len(b['known'])} known, {len(b['fixed'])} fixed"
                     + (f" (now passing, prune: {fixed})" if fixed else ""))
    return "\n".join(visible(line) for line in lines)


__all__ = ["terminal_summary"]
