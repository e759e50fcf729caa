"""The result of a run, shaped exactly as design.md section 1 defines report.json."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CheckResult:
    name: str
    family: str
    level: str  # "MUST" or "SHOULD"
    status: str  # "passed", "failed", "skipped", "blocked" (by a failed root check) or "inconclusive"
    message: str = ""
    reproduce: list[str] = field(default_factory=list)
    proves: str = ""
    expected: Any = None
    actual: Any = None
    requests: int = 0
    known: dict[str, Any] | None = None  # set when a baseline lists this deviation
    blocked_by: str = ""  # the failed check whose observation this one relies on
    suite_error: bool = False  # failed because the suite itself broke: fails the run like a MUST
    explained_by: tuple[str, ...] = ()  # run-time only (not in report.json): see Violation.explained_by

    @property
    def is_must_failure(self) -> bool:
        return self.status == "failed" and (self.level == "MUST" or self.suite_error) and not self.known

    @property
    def is_should_finding(self) -> bool:
        return self.status == "failed" and self.level == "SHOULD" and not self.known

    def to_json(self) -> dict[str, Any]:
        data = {"name": self.name, "family": self.family, "level": self.level, "status": self.status,
                "message": self.message, "reproduce": list(self.reproduce)}
        if self.expected is not None or self.actual is not None:
            data["expected"] = self.expected
            data["actual"] = self.actual
        data["proves"] = self.proves
        data["requests"] = self.requests
        if self.known:
            data["known"] = self.known
        if self.blocked_by:
            data["blocked_by"] = self.blocked_by
        if self.suite_error:
            data["suite_error"] = True
        return data


@dataclass
class RunReport:
    vendor: str
    target: str
    base_url: str
    seed: int
    started: str
    duration_s: float = 0.0
    requests: int = 0
    waited_s: float = 0.0  # time spent waiting on the API's rate limits, retries and pacing
    checks: list[CheckResult] = field(default_factory=list)
    fatal: str = ""  # set when the run ended early with exit code 2
    interrupted: str = ""  # set when SIGINT/SIGTERM ended the run early (exit code 130)
    recorded_from: str = ""  # a replay: the base URL the recording was made from
    reproduce_base: str = ""  # a replay: what curl commands use as the API root (that URL, or "$BASE_URL")
    baseline: dict[str, Any] | None = None  # {"file", "known", "fixed", "not_evaluated"} when a baseline was applied

    @property
    def summary(self) -> dict[str, Any]:
        evaluated = sum(c.status in ("passed", "failed") for c in self.checks)
        return {
            "passed": sum(c.status == "passed" for c in self.checks),
            "failed": sum(c.is_must_failure for c in self.checks),
            "skipped": sum(c.status == "skipped" for c in self.checks),
            "should": sum(c.is_should_finding for c in self.checks),
            "known": sum(bool(c.known) and c.status == "failed" for c in self.checks),
            "blocked": sum(c.status == "blocked" for c in self.checks),
            "inconclusive": sum(c.status == "inconclusive" for c in self.checks),
            "evaluated": evaluated,
            "evaluated_percent": round(100.0 * evaluated / len(self.checks), 1) if self.checks else 0.0,
        }

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        if self.fatal:
            return 2
        return 1 if any(c.is_must_failure for c in self.checks) else 0

    def to_json(self) -> dict[str, Any]:
        data = {"vendor": self.vendor, "target": self.target, "base_url": self.base_url, "seed": self.seed,
                "started": self.started, "duration_s": round(self.duration_s, 3), "requests": self.requests,
                "waited_s": round(self.waited_s, 3), "summary": self.summary, "checks": [c.to_json() for c in self.checks]}
        if self.baseline is not None:
            data["baseline"] = self.baseline
        if self.fatal:
            data["fatal"] = self.fatal
        if self.interrupted:
            data["interrupted"] = self.interrupted
        if self.recorded_from:
            data["recorded_from"] = self.recorded_from
        if self.reproduce_base:
            data["reproduce_base"] = self.reproduce_base
        return data


def report_from_json(data: dict[str, Any]) -> RunReport:
    """The inverse of ``RunReport.to_json`` (the summary is derived, so it is not read back)."""
    report = RunReport(vendor=data["vendor"], target=data.get("target", ""), base_url=data.get("base_url", ""),
                       seed=data.get("seed", 0), started=data.get("started", ""),
                       duration_s=data.get("duration_s", 0.0), requests=data.get("requests", 0),
                       waited_s=data.get("waited_s", 0.0), checks=[result_from_json(c) for c in data["checks"]], fatal=data.get("fatal", ""),
                       interrupted=data.get("interrupted", ""), recorded_from=data.get("recorded_from", ""),
                       reproduce_base=data.get("reproduce_base", ""))
    report.baseline = data.get("baseline")
    return report


def result_from_json(data: dict[str, Any]) -> CheckResult:
    keys = {k: data[k] for k in ("name", "family", "level", "status") if k in data}
    return CheckResult(**keys, message=data.get("message", ""), reproduce=list(data.get("reproduce", [])),
                       proves=data.get("proves", ""), expected=data.get("expected"), actual=data.get("actual"),
                       requests=data.get("requests", 0), known=data.get("known"),
                       blocked_by=data.get("blocked_by", ""), suite_error=bool(data.get("suite_error")))


__all__ = ["CheckResult", "RunReport", "asdict", "report_from_json", "result_from_json"]
