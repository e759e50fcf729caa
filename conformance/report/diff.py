"""Compare two runs: ``ticket-conformance diff OLD/report.json NEW/report.json``.

What a nightly job posts to a team: what newly broke (a MUST failure in NEW that was not failing in
OLD), what got fixed, what still fails, new SHOULD findings, and how much is unchanged. The text is
markdown, readable both in a CI log and in a chat post. Exit 1 when something newly broke.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from conformance.model.errors import ConfigError
from conformance.report import escape
from conformance.report.model import CheckResult, RunReport, report_from_json
from conformance.report.view import outcome


def load_report(path: Path | str) -> RunReport:
    """A report.json (or a report directory holding one); anything unusable is a ConfigError."""
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read report {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is not a JSON report: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("checks"), list) or "vendor" not in data:
        raise ConfigError(f"{path} is not a ticket-conformance report (no vendor/checks)")
    try:
        return report_from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path} is not a ticket-conformance report: bad check entry ({exc})") from None


def _state(result: CheckResult | None) -> str:
    """One word per check: fail (counts), should, known, skip, pass or absent."""
    return "absent" if result is None else outcome(result)


@dataclass
class Diff:
    old: RunReport
    new: RunReport
    newly_broken: list[CheckResult] = field(default_factory=list)
    fixed: list[tuple[CheckResult, CheckResult]] = field(default_factory=list)  # (old, new)
    still_failing: list[CheckResult] = field(default_factory=list)
    new_findings: list[CheckResult] = field(default_factory=list)  # SHOULD or baselined, not failing the run
    not_evaluated: list[tuple[CheckResult | None, CheckResult | None]] = field(default_factory=list)
    added: list[CheckResult] = field(default_factory=list)  # new checks that pass
    unchanged: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.newly_broken else 0


def compare(old: RunReport, new: RunReport) -> Diff:
    diff = Diff(old, new)
    before = {c.name: c for c in old.checks}
    after = {c.name: c for c in new.checks}
    for name in [*after, *(n for n in before if n not in after)]:
        o, n = before.get(name), after.get(name)
        was, now = _state(o), _state(n)
        was_failing = was in ("fail", "should", "known")
        if now == "fail" and not was_failing:
            diff.newly_broken.append(n)
        elif now in ("fail", "should", "known") and was_failing:
            diff.still_failing.append(n)
        elif now in ("should", "known"):
            diff.new_findings.append(n)
        elif now == "pass" and was_failing:
            diff.fixed.append((o, n))
        elif now == "pass" and was == "absent":
            diff.added.append(n)
        elif now in ("skip", "inconclusive", "absent") and was != now:
            diff.not_evaluated.append((o, n))
        else:
            diff.unchanged += 1
    return diff


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _item(c: CheckResult, reproduce: bool = False) -> list[str]:
    tag = f"{c.family}, {c.level}" + (", known" if c.known else "")
    lines = [f"- `{c.name}` ({tag})" + (f": {_one_line(c.message)}" if c.message else "")]
    if c.known:
        known = c.known.get("reason", "")
        link = c.known.get("link")
        lines.append(f"  - known: {known}" + (f" ({link})" if link else ""))
    if reproduce and c.reproduce:
        lines.append(f"  - reproduce: `{c.reproduce[0]}`")
    return lines


def _run_line(label: str, path: str, r: RunReport) -> str:
    s = r.summary
    return (f"- {label}: `{path}` — {r.vendor} ({r.target}) started {r.started or '?'}: {s['passed']} passed, "
            f"{s['failed']} failed, {s['should']} should, {s['known']} known, {s['skipped']} skipped")


def render(diff: Diff, old_path: str = "OLD", new_path: str = "NEW") -> str:
    old, new = diff.old, diff.new
    verdict = (f"**{len(diff.newly_broken)} newly broken**" if diff.newly_broken else "**nothing newly broken**")
    lines = [f"## ticket-conformance diff: {new.vendor} — {verdict}", "",
             _run_line("old", old_path, old), _run_line("new", new_path, new), ""]
    if old.vendor != new.vendor:
        lines += [f"> warning: comparing different vendors ({old.vendor} → {new.vendor})", ""]

    def section(title: str, items: list[str]) -> None:
        if items:
            lines.extend([f"### {title}", "", *items, ""])

    section(f"Newly broken ({len(diff.newly_broken)})",
            [line for c in diff.newly_broken for line in _item(c, reproduce=True)])
    section(f"Fixed ({len(diff.fixed)})",
            [f"- `{n.name}` ({n.family}, {n.level}): was {_state(o)}, now passes"
             + (" — prune it from the baseline" if o.known else "") for o, n in diff.fixed])
    section(f"Still failing ({len(diff.still_failing)})",
            [line for c in diff.still_failing for line in _item(c)])
    section(f"New SHOULD / known findings ({len(diff.new_findings)})",
            [line for c in diff.new_findings for line in _item(c)])
    section(f"No longer evaluated ({len(diff.not_evaluated)})",
            [f"- `{(n or o).name}`: was {_state(o)}, now {_state(n)}"
             + (f" ({_one_line(n.message, 120)})" if n is not None and n.message else "")
             for o, n in diff.not_evaluated])
    section(f"New checks, passing ({len(diff.added)})", [f"- `{c.name}` ({c.family})" for c in diff.added])
    lines.append(f"Unchanged: {diff.unchanged} check{'s' if diff.unchanged != 1 else ''}.")
    return "\n".join(lines) + "\n"


def run_diff(old_path: str, new_path: str) -> tuple[str, int]:
    diff = compare(load_report(old_path), load_report(new_path))
    # Report files hold API text: shown through the terminal rule (no ESC, no workflow commands).
    return escape.visible(render(diff, str(old_path), str(new_path))), diff.exit_code


__all__ = ["Diff", "compare", "load_report", "render", "run_diff"]
