"""What every report medium shows the same way: outcomes, their order, the family matrix, totals."""

from __future__ import annotations

import json

from conformance.report.model import CheckResult, RunReport

# One word per outcome, shared by summary.md, report.html and junit.xml; listed worst first.
OUTCOMES = ("fail", "should", "known", "blocked", "inconclusive", "skip", "pass")
OUTCOME_LABELS = {"fail": "FAIL", "should": "should", "known": "known", "blocked": "blocked",
                  "inconclusive": "inconclusive", "skip": "skip", "pass": "pass"}


def outcome(c: CheckResult) -> str:
    """fail (a MUST failure that counts), should, known (baselined), blocked, inconclusive (other
    writers changed the data under the check), skip or pass."""
    if c.status == "failed":
        return "known" if c.known else ("fail" if c.level == "MUST" else "should")
    return {"passed": "pass", "skipped": "skip", "blocked": "blocked", "inconclusive": "inconclusive"}.get(c.status, "skip")


def ordered(report: RunReport) -> list[CheckResult]:
    """Worst first (MUST failures, SHOULD findings, known, blocked, skipped, passed); among them root
    causes (checks that block others) first, then by family and name."""
    roots = {c.blocked_by for c in report.checks if c.blocked_by}
    return sorted(report.checks, key=lambda c: (OUTCOMES.index(outcome(c)), c.name not in roots, c.family, c.name))


def not_evaluated_groups(report: RunReport) -> list[tuple[str, list[CheckResult]]]:
    """Skipped and blocked checks grouped by reason (one line each in a CI log), largest group first."""
    groups: dict[str, list[CheckResult]] = {}
    for c in report.checks:
        if c.status == "blocked":
            groups.setdefault(f"blocked by {c.blocked_by} (its failure breaks what they rely on)", []).append(c)
        elif c.status in ("skipped", "inconclusive"):
            reason = " ".join((c.message or "skipped").split())
            groups.setdefault(reason, []).append(c)
    return sorted(groups.items(), key=lambda kv: -len(kv[1]))


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
    if report.interrupted:
        return "INTERRUPTED"
    if report.fatal:
        return "STOPPED"
    return f"FAIL ({s['failed']} MUST failure{'s' if s['failed'] != 1 else ''})" if s["failed"] else "PASS"


def totals(report: RunReport) -> str:
    s = report.summary
    should = f"{s['should']} SHOULD finding{'s' if s['should'] != 1 else ''}"
    blocked = f", {s['blocked']} blocked" if s["blocked"] else ""
    blocked += f", {s['inconclusive']} inconclusive" if s["inconclusive"] else ""
    return (f"{s['passed']} passed, {s['failed']} failed (MUST), {should}, {s['known']} known{blocked}, "
            f"{s['skipped']} skipped; {s['evaluated']} of {len(report.checks)} checks evaluated "
            f"({s['evaluated_percent']:g}%)")


def as_text(value: object, limit: int = 2000) -> str:
    """Expected/actual values for people: strings as they are, anything else as (pretty) JSON."""
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
        if len(text) > 100:
            text = json.dumps(value, ensure_ascii=False, default=str, indent=2)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"
