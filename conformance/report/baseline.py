"""Known vendor deviations: a small committed YAML file per vendor (``baselines/<vendor>.yaml``).

A baseline is a list of entries::

    - check: created_gt_is_exclusive
      reason: "created[gt] includes the boundary ticket"
      link: https://tracker.example/VENDOR-123
      since: 2026-11-23

``check`` and ``reason`` are required, and at least one of ``link`` or ``since``. Applied to a run:
a listed check that fails is marked ``known`` (reported, not counted as a MUST failure, no effect on
the exit code); a listed check that passes is reported as *fixed* (prune the entry); a listed check
that was skipped or not run is *not evaluated*. Every other failure still fails the run.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

from conformance.model.errors import ConfigError
from conformance.report.model import RunReport

FIELDS = ("check", "reason", "link", "since")


@dataclass(frozen=True)
class Entry:
    check: str
    reason: str
    link: str = ""
    since: str = ""

    def as_known(self) -> dict[str, str]:
        """What a report carries in ``CheckResult.known``."""
        data = {"reason": self.reason}
        if self.link:
            data["link"] = self.link
        if self.since:
            data["since"] = self.since
        return data


@dataclass(frozen=True)
class Baseline:
    file: str
    entries: dict[str, Entry]

    def get(self, check: str) -> Entry | None:
        return self.entries.get(check)


def _text(value: Any) -> str:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return "" if value is None else str(value).strip()


def parse(data: Any, file: str, known_checks: Iterable[str] | None = None) -> Baseline:
    """Validate parsed YAML; every problem is a ConfigError naming the file and the entry."""
    if data is None:
        data = []
    if not isinstance(data, list):
        raise ConfigError(f"baseline {file}: expected a list of entries, got {type(data).__name__}")
    known = set(known_checks) if known_checks is not None else None
    entries: dict[str, Entry] = {}
    for index, raw in enumerate(data, 1):
        where = f"baseline {file}: entry {index}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: expected a mapping with check, reason, link/since")
        extra = sorted(set(map(str, raw)) - set(FIELDS))
        if extra:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(extra)} (allowed: {', '.join(FIELDS)})")
        check, reason = _text(raw.get("check")), _text(raw.get("reason"))
        link, since = _text(raw.get("link")), _text(raw.get("since"))
        if not check:
            raise ConfigError(f"{where}: missing 'check'")
        where = f"baseline {file}: entry {index} ({check})"
        if not reason:
            raise ConfigError(f"{where}: missing 'reason'")
        if not (link or since):
            raise ConfigError(f"{where}: give a 'link' or a 'since' date")
        if since:
            try:
                _dt.date.fromisoformat(since[:10])
            except ValueError:
                raise ConfigError(f"{where}: 'since' is not a date (YYYY-MM-DD): {since!r}") from None
        if known is not None and check not in known:
            raise ConfigError(f"{where}: unknown check {check!r}")
        if check in entries:
            raise ConfigError(f"{where}: check listed twice")
        entries[check] = Entry(check, reason, link, since)
    return Baseline(file, entries)


def load(path: Path | str, known_checks: Iterable[str] | None = None) -> Baseline:
    """Read and validate a baseline file; unreadable, malformed or naming an unknown check -> ConfigError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"cannot read baseline {path}: {reason}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"baseline {path} is not valid YAML{at}: {getattr(exc, 'problem', None) or exc}") from None
    return parse(data, str(path), known_checks)


def apply(report: RunReport, baseline: Baseline) -> dict[str, Any]:
    """Mark listed failures as known and record what the baseline says about this run in ``report.baseline``."""
    results = {c.name: c for c in report.checks}
    known, fixed, not_evaluated = [], [], []
    for name, entry in baseline.entries.items():
        result = results.get(name)
        if result is None or result.status == "skipped":
            not_evaluated.append({"check": name, **entry.as_known()})
        elif result.status == "failed":
            result.known = entry.as_known()
            known.append({"check": name, **entry.as_known()})
        else:
            fixed.append({"check": name, **entry.as_known()})
    report.baseline = {"file": baseline.file, "known": known, "fixed": fixed, "not_evaluated": not_evaluated}
    return report.baseline


def catalogue_names(vendor: str | None = None) -> list[str]:
    """Check names a baseline may list: the checks that apply to ``vendor`` (all checks if None)."""
    from conformance.checks import CATALOGUE

    if vendor is None:
        return [c.name for c in CATALOGUE.all()]
    from conformance.profiles import get_profile

    return [c.name for c in CATALOGUE.for_capabilities(get_profile(vendor).capabilities)]


__all__ = ["Baseline", "Entry", "apply", "catalogue_names", "load", "parse"]
