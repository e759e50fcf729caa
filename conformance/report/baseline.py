"""Known vendor deviations: a small committed YAML file per vendor (``baselines/<vendor>.yaml``).

A baseline is a list of entries::

    - check: created_gt_is_exclusive
      reason: "created[gt] includes the boundary ticket"
      link: https://tracker.example/VENDOR-123
      since: 2026-11-23

``check`` and ``reason`` are required, and at least one of ``link`` or ``since``. An optional
``match`` (a regular expression, searched in the failure message) pins the entry to one failure, so a
known vendor bug does not hide a new one in the same check; a check may then have several entries.
Applied to a run: a listed check that fails with a message the entry matches is marked ``known``
(reported, not counted as a MUST failure, no effect on the exit code); one that fails otherwise still
fails and the entry is *unmatched*; a listed check that passes is reported as *fixed* (prune the
entry: reported, never a failure, in the CLI and under pytest alike); a listed check that was skipped
or not run is *not evaluated*. Every other failure still fails the run.

``update`` adds the run's unlisted failures as entries (keeping every entry already there) and
``prune`` removes the fixed ones; both rewrite the file, keeping its leading comment.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import yaml

from conformance.model.errors import ConfigError
from conformance.report.model import RunReport

FIELDS = ("check", "reason", "link", "since", "match")


@dataclass(frozen=True)
class Entry:
    check: str
    reason: str
    link: str = ""
    since: str = ""
    match: str = ""  # a regular expression searched in the failure message; empty: any failure of the check

    def covers(self, message: str) -> bool:
        return not self.match or re.search(self.match, message or "") is not None

    def as_yaml(self) -> dict[str, str]:
        return {k: v for k, v in (("check", self.check), ("reason", self.reason), ("link", self.link),
                                  ("since", self.since), ("match", self.match)) if v}

    def as_known(self) -> dict[str, str]:
        """What a report carries in ``CheckResult.known``."""
        data = {"reason": self.reason}
        if self.link:
            data["link"] = self.link
        if self.since:
            data["since"] = self.since
        if self.match:
            data["match"] = self.match
        return data


@dataclass(frozen=True)
class Baseline:
    file: str
    entries: tuple[Entry, ...]

    def for_check(self, check: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.check == check)


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
    entries: dict[tuple[str, str], Entry] = {}
    for index, raw in enumerate(data, 1):
        where = f"baseline {file}: entry {index}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: expected a mapping with check, reason, link/since")
        extra = sorted(set(map(str, raw)) - set(FIELDS))
        if extra:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(extra)} (allowed: {', '.join(FIELDS)})")
        check, reason = _text(raw.get("check")), _text(raw.get("reason"))
        link, since, match = _text(raw.get("link")), _text(raw.get("since")), _text(raw.get("match"))
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
        if match:
            try:
                re.compile(match)
            except re.error as exc:
                raise ConfigError(f"{where}: 'match' is not a regular expression: {exc}") from None
        if known is not None and check not in known:
            close = difflib.get_close_matches(check, list(known), n=1)
            raise ConfigError(f"{where}: unknown check {check!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
        if (check, match) in entries:
            raise ConfigError(f"{where}: check listed twice" + (" with the same 'match'" if match else
                                                                 " (give each entry its own 'match')"))
        entries[(check, match)] = Entry(check, reason, link, since, match)
    return Baseline(file, tuple(entries.values()))


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
    known, fixed, not_evaluated, unmatched = [], [], [], []
    for entry in baseline.entries:
        name = entry.check
        result = results.get(name)
        if result is None or result.status in ("skipped", "blocked", "inconclusive"):
            not_evaluated.append({"check": name, **entry.as_known()})
        elif result.status == "failed" and entry.covers(result.message):
            result.known = result.known or entry.as_known()
            known.append({"check": name, **entry.as_known()})
        elif result.status == "failed":  # failing, but not the way this entry pins: the failure counts
            unmatched.append({"check": name, **entry.as_known()})
        else:
            fixed.append({"check": name, **entry.as_known()})
    report.baseline = {"file": baseline.file, "known": known, "fixed": fixed, "not_evaluated": not_evaluated}
    if unmatched:
        report.baseline["unmatched"] = unmatched
    return report.baseline


def update(report: RunReport, path: Path | str, known_checks: Iterable[str] | None = None) -> list[Entry]:
    """Add each failure of ``report`` that no entry of ``path`` covers; keep every entry already there.

    A new entry's reason is the failure's first line (edit it; add a link) and its since is the run's date.
    Returns the added entries. ``path`` need not exist yet.
    """
    path = Path(path)
    current = load(path, known_checks) if path.exists() else Baseline(str(path), ())
    added = []
    for result in report.checks:
        if result.status != "failed" or any(e.covers(result.message) for e in current.for_check(result.name)):
            continue
        reason = (result.message or "fails").strip().splitlines()[0][:200]
        added.append(Entry(result.name, reason, since=report.started[:10]))
    _write(path, [*current.entries, *added])
    return added


def prune(report: RunReport, path: Path | str, known_checks: Iterable[str] | None = None) -> list[Entry]:
    """Remove the entries of ``path`` whose check passed in ``report`` (fixed); returns the removed ones."""
    path = Path(path)
    current = load(path, known_checks)
    passed = {c.name for c in report.checks if c.status == "passed"}
    removed = [e for e in current.entries if e.check in passed]
    _write(path, [e for e in current.entries if e not in removed])
    return removed


def _write(path: Path, entries: list[Entry]) -> None:
    """Rewrite ``path`` with ``entries``, keeping its leading comment lines."""
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        header = "".join(line + "\n" for line in itertools.takewhile(lambda s: s.startswith("#"), old.splitlines()))
        body = yaml.safe_dump([e.as_yaml() for e in entries], sort_keys=False, allow_unicode=True, width=110) \
            if entries else "[]\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + body, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write baseline {path}: {exc.strerror or exc}") from None


def catalogue_names(vendor: str | Profile | None = None) -> list[str]:
    """Check names a baseline may list: the checks that apply to ``vendor`` (a built-in vendor's name or
    a profile read from a file; all checks if None)."""
    from conformance.checks import CATALOGUE

    if vendor is None:
        return [c.name for c in CATALOGUE.all()]
    from conformance.profiles import get_profile

    profile = get_profile(vendor) if isinstance(vendor, str) else vendor
    return [c.name for c in CATALOGUE.for_capabilities(profile.capabilities)]


if TYPE_CHECKING:
    from conformance.profiles.base import Profile

__all__ = ["Baseline", "Entry", "apply", "catalogue_names", "load", "parse", "prune", "update"]
