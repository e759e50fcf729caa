"""What every report medium shows the same way: outcomes, their order, the family matrix, totals."""

from __future__ import annotations

import json

from conformance.report.model import CheckResult, RunReport

# One word per outcome, shared by summary.md, report.html and junit.xml; listed worst first.
OUTCOMES = ("fail", "should", "known", "skip", "pass")
OUTCOME_LABELS = {"fail": "FAIL", "should": "should", "known": "known", "skip": "skip", "pass": "pass"}


def outcome(c: CheckResult) -> str:
    """fail (a MUST failure that counts), should, known (baselined), skip or pass."""
    if c.status == "failed":
        return "known" if c.known else ("fail" if c.level == "MUST" else "should")
    return {"passed": "pass", "skipped": "skip"}.get(c.status, c.status)


def ordered(report: RunReport) -> list[CheckResult]:
    """Worst first (MUST failures, SHOULD findings, known, skipped, passed), then by family and name."""
    return sorted(report.checks, key=lambda c: (OUTCOMES.index(outcome(c)), c.family, c.name))


def families(report: RunReport) -> list[str]:
    return sorted({c.family for c in report.checks})


def matrix(report: RunReport) -> list[tuple[str, dict[str, int]]]:
    """Per family (then "all"): how many checks have each outcome."""
    rows = []
    for family in [*families(report), None]:
        group = [c for c in report.checks if family is None or c.family == family]
        rows.append((family or "all", {o: sum(outcome(c) == o for c in group) for o in OUTCOMES}))
    return rows


def verdict(report: RunReport) -> str:
    s = report.summary
    if report.fatal:
        return "STOPPED"
    return f"FAIL ({s['failed']} MUST failure{'s' if s['failed'] != 1 else ''})" if s["failed"] else "PASS"


def totals(report: RunReport) -> str:
    s = report.summary
    should = f"{s['should']} SHOULD finding{'s' if s['should'] != 1 else ''}"
    return f"{s['passed']} passed, {s['failed']} failed (MUST), {should}, {s['known']} known, {s['skipped']} skipped"


def as_text(value: object, limit: int = 2000) -> str:
    """Expected/actual values for people: strings as they are, anything else as (pretty) JSON."""
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
        if len(text) > 100:
            text = json.dumps(value, ensure_ascii=False, default=str, indent=2)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"
