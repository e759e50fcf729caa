"""Turn a run request (CLI flags or pytest options) into a target, an engine run and report files."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

from conformance.report import baseline
from datetime import datetime, timezone

from conformance.run.engine import Interruption, RunInterrupted, execute, stderr_progress
from conformance.model.errors import ConfigError
from conformance.profiles import get_profile, load_profile
from conformance.profiles.base import Profile
from conformance.report.model import RunReport
from conformance.report.writers import prepare_report_dir, write_all
from conformance.observe.context import RunOptions
from conformance.transport.targets import (Target, live_target, recorded, reference_store, reference_target,
                                          replay_target)
from conformance.transport.cassettes import read_run, vendor_dir
from conformance.transport.client import ClientOptions


@dataclass
class RunRequest:
    vendor: str
    target: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    allow_writes: bool = False
    record: bool = False
    cassettes: Path = Path("cassettes")
    seed: int = 1
    max_examples: int = 12
    max_requests: int | None = None
    rate_limit: float | str | None = None  # requests per second, or "auto" (the default for live targets)
    max_response_bytes: int | None = None  # None: ClientOptions' default (8 MiB)
    response_timeout: float | None = None  # None: ClientOptions' default (30 s)
    max_retry_after: float | None = None  # None: ClientOptions' default (60 s)
    max_duration: float | None = None  # seconds for the whole run; None: unbounded
    max_walk_pages: int | None = None  # None: RunOptions' default (1000)
    retry_budget: int | None = None  # None: ClientOptions' default (1000 retries per run)
    unresponsive_after: int | None = None  # None: ClientOptions' default (3 transport failures in a row)
    checks: list[str] | None = None
    baseline: Path | None = None  # known deviations (conformance.report.baseline), applied before the report is written
    store: Any = None  # a reference store to serve instead of a fresh one (self-tests use mutants)
    profile: Path | None = None  # --profile FILE: the vendor described by a profile file (else --vendor)
    churn: int = 0  # reference only: before every K-th request another user creates a ticket (live accounts)
    churn_updates: bool = False  # with churn: the other user also updates an existing ticket
    workers: int = 1  # checks run side by side (threads); a recording or a replay always runs serially

    @property
    def kind(self) -> str:
        if self.target:
            return self.target
        return "live" if self.base_url else "reference"


def request_profile(request: RunRequest) -> Profile:
    """The profile a run is about: the file ``--profile`` names, else the built-in ``--vendor``."""
    return load_profile(request.profile) if request.profile is not None else get_profile(request.vendor)


def validate(request: RunRequest) -> Profile:
    profile = request_profile(request)
    kind = request.kind
    if kind == "reference" and not profile.reference_module:
        raise ConfigError(f"{profile.name} has no reference server to run against: give --base-url URL "
                          f"(the API root with its version prefix{', ' + profile.version_prefix if profile.version_prefix else ''})")
    if kind == "live" and not request.base_url:
        raise ConfigError("--target live needs --base-url")
    if kind == "reference" and request.base_url:
        raise ConfigError("--base-url implies --target live")
    if request.record and kind != "live":
        raise ConfigError("--record is for live runs (give --base-url)")
    if kind == "replay" and request.base_url:
        raise ConfigError("--base-url is for live runs; --target replay answers from --cassettes")
    if (request.churn or request.churn_updates) and kind != "reference":
        raise ConfigError("--churn is for the reference server (--target reference); a live API has its own writers")
    if request.churn_updates and not request.churn:
        raise ConfigError("--churn-updates needs --churn K")
    return profile


@contextmanager
def open_target(profile: Profile, request: RunRequest) -> Iterator[Target]:
    with ExitStack() as stack:
        if request.kind == "reference":
            store = request.store
            if store is None and request.churn:
                store = reference_store(profile, churn=request.churn, churn_updates=request.churn_updates)
            yield stack.enter_context(reference_target(profile, store))
        elif request.kind == "replay":
            yield stack.enter_context(replay_target(profile, request.cassettes))
        else:
            target = stack.enter_context(live_target(profile, request.base_url or "", request.api_key))
            if request.record:
                settings = {"seed": request.seed, "max_examples": request.max_examples,
                            "allow_writes": bool(request.allow_writes), "max_requests": request.max_requests,
                            "selection": list(request.checks) if request.checks else None}
                target = stack.enter_context(recorded(profile, target, request.cassettes, settings))
            yield target


def recorded_settings(request: RunRequest) -> RunRequest:
    """For a replay, the recorded run's writes, budget and checks; its seed and examples must agree."""
    if request.kind != "replay":
        return request
    profile = request_profile(request)
    recording = read_run(request.cassettes, profile)
    recorded = (recording.get("seed"), recording.get("max_examples"))
    if recorded != (request.seed, request.max_examples):
        raise ConfigError(f"{vendor_dir(request.cassettes, profile)}/ was recorded with --seed {recorded[0]} "
                          f"--max-examples {recorded[1]}: replay with the same values (or re-record)")
    max_requests = request.max_requests if request.max_requests is not None else recording.get("max_requests")
    # A recording of some checks (--check) replays those; a recording of all replays all, new ones included.
    checks = request.checks if request.checks else recording.get("selection")
    return replace(request, allow_writes=bool(recording.get("allow_writes")), max_requests=max_requests,
                   rate_limit=None, checks=list(checks) if checks else None)


def options_for(request: RunRequest) -> tuple[RunOptions, ClientOptions]:
    """Engine and client options for a request whose recorded settings are already adopted."""
    # The reference server is ours to write to; a live vendor only when the user says so.
    writes = request.allow_writes or request.kind == "reference"
    # Adaptive pacing costs nothing until the API sends a 429: on by default for a live vendor.
    auto = request.rate_limit == "auto" or (request.rate_limit is None and request.kind == "live")
    limits = {name: value for name in ("max_response_bytes", "response_timeout", "max_retry_after", "max_duration",
                                         "retry_budget", "unresponsive_after")
              if (value := getattr(request, name)) is not None}
    walks = {"max_walk_pages": request.max_walk_pages} if request.max_walk_pages is not None else {}
    return (RunOptions(seed=request.seed, max_examples=request.max_examples, allow_writes=writes, **walks),
            ClientOptions(rate_limit=request.rate_limit if isinstance(request.rate_limit, (int, float)) else None,
                          adaptive_pacing=auto, max_requests=request.max_requests, **limits,
                          # The embedded server is in this process: a 5xx from it is a finding, never a blip.
                          retries=0 if request.kind == "reference" else ClientOptions.retries))


def run(request: RunRequest, report_dir: Path | None = None, interruption: Interruption | None = None) -> RunReport:
    """Run and write the report. A ConfigError (exit 2) still writes a report saying why (``fatal``);
    an interrupt returns the partial report with ``interrupted`` set (exit 130)."""
    if report_dir is not None:  # first: a report dir that cannot be written is a usage error (exit 2)
        prepare_report_dir(report_dir)
    report: RunReport | None = None
    known = None
    try:
        profile = validate(request)
        if request.baseline is not None:  # read before any request: a bad baseline is a usage error (exit 2)
            known = baseline.load(request.baseline, baseline.catalogue_names(profile))
        request = recorded_settings(request)
        options, client_options = options_for(request)
        with open_target(profile, request) as target:
            report = execute(profile, target, options, client_options, only=request.checks,
                             progress=stderr_progress() if request.kind == "live" else None,
                             interruption=interruption, workers=request.workers)
            if report.interrupted:  # leave the target as an unfinished run (a recording is not kept)
                raise RunInterrupted(report.interrupted)
    except ConfigError as exc:
        if report_dir is not None:
            partial = getattr(exc, "report", None) or _minimal(request)
            partial.fatal = str(exc)
            write_all(partial, report_dir)
        raise
    except KeyboardInterrupt as exc:
        if report is None:
            report = _minimal(request)
            report.interrupted = getattr(exc, "reason", "") or "interrupted"
    if known is not None:
        baseline.apply(report, known)
    if report_dir is not None:
        write_all(report, report_dir)
    return report


def _minimal(request: RunRequest) -> RunReport:
    """The report of a run that ended before its first check: who, where, and (set by the caller) why."""
    return RunReport(vendor=request.vendor, target=request.kind, base_url=request.base_url or "", seed=request.seed,
                     started=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))


__all__ = ["RunRequest", "request_profile", "run", "open_target", "options_for", "recorded_settings", "validate"]
