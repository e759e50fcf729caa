"""The one engine behind the CLI and the pytest plugin: preflight, then each check, into a report."""

from __future__ import annotations

import difflib
import sys
import time
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, ContextManager, Iterable

import yaml

from conformance.model.errors import BudgetExhausted, ConfigError, CredentialsRejected
from conformance.model.exchange import BadResponse
from conformance.profiles.base import Profile
from conformance.report.model import CheckResult, RunReport
from conformance.checks import CATALOGUE, CheckSpec
from conformance.observe.api import Api
from conformance.observe.context import RunContext, RunOptions
from conformance.observe.walks import ApiError
from conformance.transport.targets import Target
from conformance.transport.client import Client, ClientOptions, redact_result, secret_forms
from conformance.model.violations import Skipped, Violation

Progress = Callable[[str], None]
# Entered around the preflight (named "_preflight") and around each check (named by the check):
# cassettes use it to give every check its own recording.
CheckScope = Callable[[str], ContextManager[None]]


def load_spec(profile: Profile) -> dict:
    with open(profile.spec, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def select_checks(profile: Profile, only: Iterable[str] | None = None) -> list[CheckSpec]:
    """Applicable checks, read-only ones first so that writes never disturb what reads observe."""
    checks = CATALOGUE.for_capabilities(profile.capabilities)
    if only:
        wanted = set(only)
        every = {c.name: c for c in CATALOGUE.all()}
        for name in sorted(wanted):
            if name not in every:
                close = difflib.get_close_matches(name, list(every), n=1)
                raise ConfigError(f"unknown check {name!r}" + (f"; did you mean {close[0]!r}?" if close else
                                                               "; `ticket-conformance checks` lists them"))
            if every[name] not in checks:  # named, but it is another vendor's check: never silently dropped
                from conformance.profiles import PROFILES

                owners = ", ".join(sorted(v for v, p in PROFILES.items()
                                          if every[name] in CATALOGUE.for_capabilities(p.capabilities)))
                raise ConfigError(f"check {name!r} does not apply to {profile.name}; it is a check of {owners}")
        checks = [c for c in checks if c.name in wanted]
    return sorted(checks, key=lambda c: ("writes" in c.requires, c.order))


class Session:
    """One run against one target: a client, an API view and a context shared by every check."""

    def __init__(self, profile: Profile, target: Target, options: RunOptions,
                 client_options: ClientOptions = ClientOptions(), progress: Progress | None = None,
                 check_scope: CheckScope | None = None) -> None:
        self.profile = profile
        self.target = target
        self.options = options
        self.progress = progress
        self.check_scope = check_scope or getattr(target, "check_scope", None)
        self.client = Client(target.base_url, profile, target.api_key, client_options, session=target.session,
                             on_request=self._on_request, sleep=getattr(target, "sleep", None))
        self.context = RunContext(profile, Api(self.client, profile), options, load_spec(profile))

    def _on_request(self, exchange) -> None:
        self.context.record(exchange)

    def _scope(self, name: str) -> ContextManager[None]:
        return self.check_scope(name) if self.check_scope else nullcontext()

    def preflight(self) -> None:
        """The first request decides whether there is an API to test at all (else exit 2)."""
        where = self.target.base_url
        try:
            with self._scope("_preflight"):
                exchange = self.context.api.list()
        except BadResponse as exc:
            raise ConfigError(f"{where} did not answer the first request: {exc.reason}") from None
        except BudgetExhausted as exc:
            raise ConfigError(f"--max-requests leaves no request for the first one ({exc})") from None
        if exchange.status in (401, 403):
            raise CredentialsRejected(f"credentials rejected by {where} ({exchange.status}): check ${self.profile.key_env}")
        if exchange.status == 404:
            raise ConfigError(f"no ticket collection at {where}{self.profile.collection} (404): "
                              f"--base-url must include the version prefix {self.profile.version_prefix}")
        if exchange.status >= 500:
            kind = "an HTML page" if exchange.body.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")) else ""
            raise ConfigError(f"{where} answered the first request with {exchange.status}: server error"
                              + (f" ({kind})" if kind else ""))
        try:
            exchange.json()
        except BadResponse as exc:
            raise ConfigError(f"{where} is not a JSON API: {exc.reason}") from None

    def run_check(self, check: CheckSpec) -> CheckResult:
        ctx = self.context
        ctx.exchanges = []
        before = self.client.requests
        result = CheckResult(name=check.name, family=check.family, level=check.level, status="passed",
                             proves=check.proves)
        with self._scope(check.name):
            if self.check_scope:  # a recorded check starts afresh (no memo, no state kept per Api by other
                ctx.api = Api(self.client, self.profile)  # checks): its cassette replays on its own
            try:
                if "writes" in check.requires:
                    ctx.require_writes()
                check.run(ctx)
            except BaseException as exc:  # noqa: BLE001 - every outcome becomes a result; fatal ones re-raise
                _record_outcome(result, _unwrap(exc), ctx.exchanges)
        result.requests = self.client.requests - before
        return redact_result(result, secret_forms(self.profile, self.target.api_key))  # an API may echo the key


def _unwrap(exc: BaseException) -> BaseException:
    """Hypothesis wraps a failure that did not repeat in an exception group: find the violation inside."""
    if isinstance(exc, BaseExceptionGroup):
        found = [_unwrap(inner) for inner in exc.exceptions]
        for kinds in (ConfigError, (Violation, Skipped, BadResponse, ApiError, BudgetExhausted)):
            for inner in found:
                if isinstance(inner, kinds):  # a fatal error (e.g. a replay miss) outranks any verdict
                    return inner
    return exc


def _record_outcome(result: CheckResult, exc: BaseException, exchanges: list) -> None:
    if isinstance(exc, Violation):
        result.status = "failed"
        result.message = exc.describe()
        result.expected, result.actual = exc.expected, exc.actual
        shown = list(exc.exchanges) or exchanges[-1:]
        result.reproduce = [e.curl() for e in shown[-3:]]
    elif isinstance(exc, Skipped):
        result.status, result.message = "skipped", exc.reason
    elif isinstance(exc, BudgetExhausted):
        result.status, result.message = "skipped", f"not finished: {exc} (--max-requests)"
    elif isinstance(exc, BadResponse):
        result.status = "failed"
        result.message = f"unusable response: {exc}"
        result.reproduce = [exc.exchange.curl()]
    elif isinstance(exc, ApiError):
        result.status = "failed"
        result.message = f"expected a page (200), got {exc.exchange.status}: {exc.exchange.body[:200]!r}"
        result.reproduce = [exc.exchange.curl()]
    elif isinstance(exc, (ConfigError, KeyboardInterrupt, SystemExit)):
        raise exc
    else:
        # A check that cannot evaluate the answer must neither pass nor accuse the API.
        result.status = "skipped"
        result.message = f"could not evaluate (suite error {type(exc).__name__}: {exc})"
        result.reproduce = [e.curl() for e in exchanges[-1:]]


def execute(profile: Profile, target: Target, options: RunOptions, client_options: ClientOptions = ClientOptions(),
            only: Iterable[str] | None = None, progress: Progress | None = None) -> RunReport:
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    clock = time.monotonic()
    session = Session(profile, target, options, client_options, progress)
    report = RunReport(vendor=profile.name, target=target.kind, base_url=target.base_url, seed=options.seed,
                       started=started)
    checks = select_checks(profile, only)
    try:
        session.preflight()
        for index, check in enumerate(checks, 1):
            if progress:
                progress(f"[{index}/{len(checks)}] {check.name} ({session.client.requests} requests so far)")
            report.checks.append(session.run_check(check))
    except ConfigError as exc:
        report.fatal = str(exc)
        raise
    finally:
        report.duration_s = time.monotonic() - clock
        report.requests = session.client.requests
        done = getattr(progress, "done", None)
        if done:
            done()
    return report


def stderr_progress() -> Progress | None:
    """Progress lines on stderr for people watching a terminal; silent in CI logs and pipes."""
    if not sys.stderr.isatty():
        return None

    def show(line: str) -> None:
        sys.stderr.write("\r\033[K" + line[:120])
        sys.stderr.flush()

    def done() -> None:  # clear the progress line, so the summary (or an error) starts on a clean line
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()

    show.done = done  # type: ignore[attr-defined]
    return show


__all__ = ["execute", "select_checks", "Session", "load_spec", "stderr_progress", "Path"]
