"""The one engine behind the CLI and the pytest plugin: preflight, then each check, into a report."""

from __future__ import annotations

import contextvars
import copy
import queue
import functools
import sys
import threading
import time
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterable, Iterator

import yaml
from urllib.parse import urlsplit

from conformance.report.escape import safe_link, visible

from conformance.model.errors import BudgetExhausted, ConfigError, CredentialsRejected, RunEnded
from conformance.model.exchange import BadResponse
from conformance.profiles.base import Profile
from conformance.report.model import CheckResult, RunReport
from conformance.checks import CheckSpec
from conformance.checks.registry import select_checks
from conformance.observe.api import Api
from conformance.observe.own import share_out
from conformance.observe.context import RunContext, RunOptions, seed_only_generation
from conformance.observe.walks import ApiError
from conformance.transport.targets import Target
from conformance.transport.client import Client, ClientOptions, NoAnswer, redact, redact_result, secret_forms
from conformance.model.violations import Inconclusive, Skipped, Violation

Progress = Callable[[str], None]


class RunInterrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: the run stops, writes what it has, exits 130."""

    def __init__(self, reason: str = "interrupted") -> None:
        super().__init__(reason)
        self.reason = reason


class Interruption:
    """Remembers that a signal arrived, so an interrupt swallowed somewhere (a library's cleanup, a
    __del__) is raised again at the next request or between checks: it can never be lost."""

    def __init__(self) -> None:
        self.reason = ""

    def signal(self, reason: str) -> None:
        self.reason = reason
        raise RunInterrupted(reason)

    def check(self) -> None:
        if self.reason:
            raise RunInterrupted(self.reason)
# Entered around the preflight (named "_preflight") and around each check (named by the check):
# cassettes use it to give every check its own recording.
CheckScope = Callable[[str], ContextManager[None]]


def load_spec(profile: Profile) -> dict:
    """The profile's OpenAPI spec, parsed once per process for the same bytes (parsing costs ~0.4 s);
    each caller gets its own copy, so no run can change what the next one reads."""
    with open(profile.spec, "rb") as handle:
        return copy.deepcopy(_parse_spec(handle.read()))


@functools.lru_cache(maxsize=8)
def _parse_spec(data: bytes) -> dict:
    return yaml.safe_load(data.decode("utf-8"))


class Session:
    """One run against one target: a client, an API view and a context shared by every check."""

    def __init__(self, profile: Profile, target: Target, options: RunOptions,
                 client_options: ClientOptions = ClientOptions(), progress: Progress | None = None,
                 check_scope: CheckScope | None = None, interruption: Interruption | None = None,
                 workers: int = 1) -> None:
        self.profile = profile
        self.interruption = interruption
        self.label = ""  # the running check, for progress lines
        self.target = target
        self.options = options
        self.progress = progress
        self.check_scope = check_scope or getattr(target, "check_scope", None)
        # Cassettes patch HTTP process-wide, one check at a time: a recording or a replay runs serially.
        self.workers = 1 if self.check_scope else max(1, workers)
        # The context of the check running here: a context variable, so that the helper threads a check's
        # fanout (transport/fanout.py) sends its requests from record them to that check too.
        self._running: contextvars.ContextVar[RunContext | None] = contextvars.ContextVar("running_check", default=None)
        self.client = Client(target.base_url, profile, target.api_key, client_options, session=target.session,
                             on_request=self._on_request, sleep=getattr(target, "sleep", None),
                             on_wait=self._on_wait, before_send=self._before_send, connections=self.workers)
        self.context = RunContext(profile, Api(self.client, profile, options.max_walk_pages), options, load_spec(profile))
        self.api = self.context.api  # the view read-only checks share (serial runs reassign context.api)
        self._lanes: dict[int, Api] = {}  # write lane -> its view of the API (made when the lane starts)
        self._lanes_lock = threading.Lock()

    def lane_api(self, lane: int) -> Api:
        """The API view of write lane ``lane``: made on first use from the shared one, so it starts with
        every observation the read-only checks made (the unfiltered walk above all)."""
        with self._lanes_lock:
            if not self._lanes and self.options.allow_writes:  # before any lane writes
                share_out(self.api, self.profile, WRITE_LANES)
            if lane not in self._lanes:
                self._lanes[lane] = self.api.lane()
            return self._lanes[lane]

    def _on_request(self, exchange) -> None:
        ctx = self._running.get() or self.context
        ctx.record(exchange.trimmed())  # kept for reproductions only: a huge body is not kept whole
        if self.progress and self.label:
            self.progress(f"{self.label} ({self.client.requests} requests so far)")
        if self.interruption:
            self.interruption.check()

    def _before_send(self) -> None:
        if self.interruption:  # after Ctrl-C no worker sends another request
            self.interruption.check()

    def _on_wait(self, seconds: float, why: str) -> None:
        if self.progress:
            self.progress(f"waiting {seconds:.1f} s ({why}); {self.client.waited_s + seconds:.1f} s waited so far")

    def _scope(self, name: str) -> ContextManager[None]:
        return self.check_scope(name) if self.check_scope else nullcontext()

    @property
    def reproduce_base(self) -> str:
        """Where a replay's curl commands point: the recorded API when it is a real host, else $BASE_URL."""
        if self.target.kind != "replay":
            return ""
        recorded = safe_link(self.target.recorded_from)
        host = urlsplit(recorded).hostname if recorded else None
        if recorded and host and host not in ("localhost", "recorded.invalid") and not host.startswith("127."):
            return recorded.rstrip("/")
        return "$BASE_URL"

    def reproducible(self, command: str) -> str:
        """A replay answers from ``http://replay.invalid``: its curl commands name the recorded API instead."""
        base = self.reproduce_base
        if not base:
            return command
        fake = self.target.base_url
        if base == "$BASE_URL":  # outside single quotes, so the shell expands it
            return command.replace("'" + fake, "\"$BASE_URL\"'").replace(fake, '"$BASE_URL"')
        return command.replace(fake, base)

    def preflight(self) -> None:
        """The first request decides whether there is an API to test at all (else exit 2)."""
        try:
            self._preflight()
        except ConfigError as exc:  # the lines below may quote the API's answer, which may echo the key
            raise type(exc)(redact(str(exc), secret_forms(self.profile, self.target.api_key))) from None

    def _preflight(self) -> None:
        where = self.target.base_url
        try:
            with self._scope("_preflight"):
                exchange = self.context.api.list()
        except BadResponse as exc:
            raise ConfigError(f"{where} did not answer the first request: {exc.reason}") from None
        except BudgetExhausted as exc:
            raise ConfigError(f"--max-requests leaves no request for the first one ({exc})") from None
        if exchange.status in (401, 403):
            raise CredentialsRejected(f"credentials rejected by {where} ({exchange.status}): check the key (--api-key, "
                                     f"or ${self.profile.key_env})")
        if 300 <= exchange.status < 400:
            location = next((v for k, v in exchange.response_headers.items() if k.lower() == "location"), "")
            raise ConfigError(f"{where} answered the first request with a redirect ({exchange.status}) to "
                              f"{location[:200] or 'nowhere'}: give the final --base-url (redirects are not "
                              f"followed, so the key stays with {where})")
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

    def run_check(self, check: CheckSpec, own_context: bool = False, lane: int | None = None) -> CheckResult:
        """Run one check. ``own_context``: in a context of its own (its own exchanges and name) on the
        shared API and memo, as a worker does; else in the session's context (serial runs). ``lane``:
        the write lane of a check that writes (``lane_of``), whose API view it then uses."""
        ctx = self.context
        if own_context:
            ctx = RunContext(self.profile, self.api, self.options, self.context.spec)
        ctx.api = self.api
        ctx.lane = lane or 0
        ctx.exchanges = []
        ctx.check_name = check.name
        self._running.set(ctx)
        before = self.client.requests_here  # other workers' requests are not this check's
        result = CheckResult(name=check.name, family=check.family, level=check.level_for(self.profile),
                             status="passed", proves=check.proves)
        not_applicable = check.not_applicable(self.profile)
        if not_applicable:  # a profile option it needs is unset: no request, no verdict
            result.status, result.message = "skipped", not_applicable
            return result
        with self._scope(check.name):
            if self.check_scope:  # a recorded check starts afresh (no memo, no state kept per Api by other
                ctx.api = Api(self.client, self.profile, self.options.max_walk_pages)  # checks): its cassette replays on its own
            try:
                if "writes" in check.requires:
                    ctx.require_writes()
                if lane is not None and not self.check_scope:  # a recorded check has an API of its own
                    ctx.api = self.lane_api(lane)  # in here: a walk failing while dealing is the check's outcome
                check.run(ctx)
            except BaseException as exc:  # noqa: BLE001 - every outcome becomes a result; fatal ones re-raise
                _record_outcome(result, _unwrap(exc), ctx.exchanges)
        if self.interruption:  # an interrupt swallowed inside the check: its verdict is not to be trusted
            self.interruption.check()
        result.requests = self.client.requests_here - before
        result.reproduce = [self.reproducible(cmd) for cmd in result.reproduce]
        return redact_result(result, secret_forms(self.profile, self.target.api_key))  # an API may echo the key


def _unwrap(exc: BaseException) -> BaseException:
    """Hypothesis wraps a failure that did not repeat in an exception group: find the outcome inside.
    An interrupt (Ctrl-C, SIGTERM, sys.exit) outranks everything: it is never turned into a verdict."""
    if isinstance(exc, BaseExceptionGroup):
        found = [_unwrap(inner) for inner in exc.exceptions]
        for kinds in ((KeyboardInterrupt, SystemExit), (ConfigError, RunEnded),
                      (Violation, Skipped, Inconclusive, BadResponse, ApiError, BudgetExhausted)):
            for inner in found:
                if isinstance(inner, kinds):  # a fatal error (e.g. a replay miss) outranks any verdict
                    return inner
    if not isinstance(exc, (KeyboardInterrupt, SystemExit)):
        cause = exc.__cause__ or exc.__context__
        while cause is not None:  # an interrupt wrapped by a library (e.g. re-raised as its own error)
            if isinstance(cause, (KeyboardInterrupt, SystemExit)):
                return cause
            cause = cause.__cause__ or cause.__context__
    return exc


def _record_outcome(result: CheckResult, exc: BaseException, exchanges: list) -> None:
    if isinstance(exc, (ConfigError, RunEnded, KeyboardInterrupt, SystemExit)):
        raise exc
    if isinstance(exc, Violation):
        result.status = "failed"
        result.message = exc.message  # expected and actual are their own fields, not repeated here
        result.expected, result.actual = exc.expected, exc.actual
        result.explained_by = exc.explained_by
        shown = list(exc.exchanges) or exchanges[-1:]
        result.reproduce = [e.curl() for e in shown[-3:]]
    elif isinstance(exc, Skipped):
        result.status, result.message = "skipped", exc.reason
    elif isinstance(exc, Inconclusive):  # other writers changed the data under the check: no verdict
        result.status, result.message = "inconclusive", exc.reason
        result.reproduce = [e.curl() for e in exchanges[-1:]]
    elif isinstance(exc, BudgetExhausted):
        result.status, result.message = "skipped", f"not finished: {exc} (--max-requests)"
    elif isinstance(exc, NoAnswer):  # a transport problem, not a finding about the API's contract
        result.status, result.message = "skipped", f"not evaluated: {exc.reason}"
        result.reproduce = [exc.exchange.curl()]
    elif isinstance(exc, BadResponse):
        result.status = "failed"
        result.message = f"unusable response: {exc}"
        result.reproduce = [exc.exchange.curl()]
    elif isinstance(exc, ApiError):
        result.status = "failed"
        result.message = f"expected a page (200), got {exc.exchange.status}: {exc.exchange.body[:200]!r}"
        result.reproduce = [exc.exchange.curl()]
    else:
        # The suite itself broke: that must fail the run (as a MUST would), never pass as a quiet skip.
        result.status = "failed"
        result.suite_error = True
        result.message = f"suite error: {type(exc).__name__}: {exc}"
        result.reproduce = [e.curl() for e in exchanges[-1:]]


INTERRUPTED = "not evaluated: interrupted"


def _not_evaluated(check: CheckSpec, reason: str, profile: Profile) -> CheckResult:
    return CheckResult(name=check.name, family=check.family, level=check.level_for(profile), status="skipped",
                       message=reason, proves=check.proves)


def execute(profile: Profile, target: Target, options: RunOptions, client_options: ClientOptions = ClientOptions(),
            only: Iterable[str] | None = None, progress: Progress | None = None,
            interruption: Interruption | None = None, workers: int = 1) -> RunReport:
    """Run the checks into a report. An interrupt (KeyboardInterrupt, SystemExit, SIGTERM) ends the
    run early: the report comes back with ``interrupted`` set and unfinished checks "not evaluated:
    interrupted" (the caller writes it and exits 130). A ConfigError is re-raised with the partial
    report attached as ``exc.report``. ``workers`` > 1 runs the checks in that many threads
    (``run_parallel``) with the same verdicts and requests as a serial run."""
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    clock = time.monotonic()
    interruption = interruption or Interruption()  # how an interrupt reaches the workers
    session = Session(profile, target, options, client_options, progress, interruption=interruption,
                      workers=workers)
    report = RunReport(vendor=profile.name, target=target.kind, base_url=target.base_url, seed=options.seed,
                       started=started)
    report.recorded_from = getattr(target, "recorded_from", "") or ""
    report.reproduce_base = session.reproduce_base
    checks = select_checks(profile, only)
    unfinished = INTERRUPTED
    try:
        session.preflight()
        if session.workers > 1:
            run_parallel(session, checks, report.checks)
        lanes = lane_of(checks)
        for index, check in enumerate(run_order(checks), 1):
            if session.workers > 1:
                break
            session.label = f"[{index}/{len(checks)}] {check.name}"
            if progress:
                progress(f"{session.label} ({session.client.requests} requests so far)")
            session.client.check_time_left()
            report.checks.append(session.run_check(check, lane=lanes.get(check.name)))
            if interruption:
                interruption.check()
    except RunEnded as exc:  # the API stopped answering, or time is up: report what was evaluated, exit 2
        report.fatal = exc.reason
        unfinished = f"not evaluated: {exc.reason}"
    except (KeyboardInterrupt, SystemExit) as exc:
        report.interrupted = getattr(exc, "reason", "") or "interrupted"
    except ConfigError as exc:
        report.fatal = str(exc)
        unfinished = f"not evaluated: the run stopped ({exc})"
        exc.report = report  # type: ignore[attr-defined]
        raise
    finally:
        done = {c.name for c in report.checks}
        report.checks += [_not_evaluated(c, unfinished, profile) for c in checks if c.name not in done]
        position = {c.name: index for index, c in enumerate(checks)}
        report.checks.sort(key=lambda r: position.get(r.name, len(position)))  # run order, however scheduled
        apply_blocking(report, checks)
        report.duration_s = time.monotonic() - clock
        report.requests = session.client.requests
        report.waited_s = session.client.waited_s
        finished = getattr(progress, "done", None)
        if finished:
            finished()
    return report


WRITE_LANES = 8  # how many lanes (each with tickets of its own) the write checks are dealt into (lane_of)


FILLS, READS, WRITES = 0, 1, 2  # the phases of a run, in order


def phase_of(check: CheckSpec) -> int:
    """``FILLS``: read-only, but may first grow a small collection; ``READS``: the other read-only
    checks; ``WRITES``: the checks that write (in lanes)."""
    return WRITES if "writes" in check.requires else FILLS if check.fills else READS


def run_order(checks: list[CheckSpec]) -> list[CheckSpec]:
    """The order checks run in (reports keep the catalogue's): phase by phase (``phase_of``)."""
    return sorted(checks, key=phase_of)


def lane_of(checks: list[CheckSpec]) -> dict[str, int]:
    """Check name -> write lane, for the checks that write: the longest first (``CheckSpec.cost``), each
    to the lane with the least to do so far, so that the lanes end together. A lane has its own tickets
    and its own view of the API (``Session.lane_api``), so what a lane writes and reads does not depend
    on when the other lanes run: fixed, whatever ``--workers``, a serial run writes exactly as a
    parallel one does, and gets the same verdicts."""
    writes = [c for c in checks if phase_of(c) == WRITES]
    load = [0] * WRITE_LANES
    lanes: dict[str, int] = {}
    for check in sorted(writes, key=lambda c: -c.cost):  # stable: equal costs in run order
        lane = load.index(min(load))
        lanes[check.name] = lane
        load[lane] += check.cost
    return lanes


def run_parallel(session: Session, checks: list[CheckSpec], results: list[CheckResult]) -> None:
    """Run ``checks`` in ``session.workers`` threads, appending each result as it finishes.

    Same verdicts and the same requests as a serial run: the read-only checks run side by side on one
    shared memo (an observation is computed once, whoever asks first; the rest wait for it), then the
    write lanes (``lane_of``) run side by side, each lane's checks one at a time in run order, just as
    the serial order puts them last; a check that may grow a small collection (``fills``) runs first,
    alone, as it does in the serial order (``run_order``). Every draw is seeded by the check's name,
    so scheduling changes no request. A fatal end (RunEnded, a ConfigError) lets the running checks finish, then is raised;
    an interrupt is raised at once (workers stop at their next request).
    """
    lanes = lane_of(checks)
    fills = [(c, None) for c in checks if phase_of(c) == FILLS]
    jobs: list[list[list[tuple[CheckSpec, int | None]]]] = [
        [fills] if fills else [],  # one job: the fills run one after another
        [[(c, None)] for c in checks if phase_of(c) == READS],  # a job per check: side by side
        [[(c, lane) for c in checks if lanes.get(c.name) == lane] for lane in sorted(set(lanes.values()))]]
    warm_imports()
    # Once around all workers: Hypothesis' pool and ast.parse are patched process-wide.
    with seed_only_generation(), one_parse_at_a_time():
        for phase in jobs:
            _run_phase(session, phase, len(checks), results)


# Modules the checks import lazily (Schemathesis above all), imported before any worker starts. CPython
# 3.11 can fail with "SystemError: AST constructor recursion depth mismatch" when two threads compile at
# once, and under pytest every module of a plugin's distribution (Schemathesis', this package's) is
# compiled afresh by the assertion-rewriting import hook when first imported.
WARM_IMPORTS = (
    "schemathesis.specs.openapi.schemas", "schemathesis.specs.openapi.stateful", "schemathesis.specs.openapi.coverage",
    "schemathesis.specs.openapi.negative", "schemathesis.specs.openapi.examples", "schemathesis.transport.requests",
    "schemathesis.transport.wsgi", "schemathesis.transport.asgi", "schemathesis.generation.hypothesis.examples",
    "schemathesis.generation.hypothesis.reporting", "schemathesis.generation.stateful.state_machine",
    "schemathesis.engine.supervisor", "schemathesis.engine.recorder", "schemathesis.engine.link_calibration",
    "schemathesis.python._constants.orchestrator", "hypothesis.strategies._internal.flatmapped", "hypothesis.stateful",
    "schemathesis.generation._hooks", "schemathesis.generation.body_overrides", "schemathesis.generation.dictionaries",
    "conformance.machines.opine_updates", "encodings.ascii", "_strptime", "secrets",
)


@contextmanager
def one_parse_at_a_time() -> Iterator[None]:
    """``ast.parse`` under a lock while workers run. CPython 3.11 can fail with "SystemError: AST
    constructor recursion depth mismatch" when two threads build an AST at once, and Hypothesis parses
    source on the fly (the key of each test function, lambdas it describes); checks that run side by
    side hit it. Restored afterwards: nothing outside a parallel run is affected."""
    import ast

    original = ast.parse
    lock = threading.Lock()

    def parse(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(*args, **kwargs)

    ast.parse = parse  # type: ignore[assignment]
    try:
        yield
    finally:
        ast.parse = original  # type: ignore[assignment]


def warm_imports() -> None:
    import importlib

    for name in WARM_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:  # another Schemathesis release may lay its modules out differently
            pass


def _run_phase(session: Session, phase: list[list[tuple[CheckSpec, int | None]]], total: int,
               results: list[CheckResult]) -> None:
    """Run the jobs of ``phase`` in up to ``session.workers`` threads; a job is checks (each with its
    write lane, None for a read-only check) that run one after another."""
    if not phase:
        return
    todo = list(phase)
    lock = threading.Lock()
    done: queue.Queue[tuple[CheckResult | None, BaseException | None]] = queue.Queue()
    stop = threading.Event()
    started = [len(results)]

    def work() -> None:
        while not stop.is_set():
            with lock:
                if not todo:
                    return
                job = todo.pop(0)
            for check, lane in job:
                if stop.is_set():
                    return
                with lock:
                    started[0] += 1
                    session.label = f"[{started[0]}/{total}] {check.name}"  # the latest started, for progress
                try:
                    session.client.check_time_left()
                    done.put((session.run_check(check, own_context=True, lane=lane), None))
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which decides
                    done.put((None, exc))
                    return

    # Daemon threads: after Ctrl-C the main thread writes the partial report without waiting for them.
    threads = [threading.Thread(target=work, name=f"conformance-worker-{n}", daemon=True)
               for n in range(min(session.workers, len(phase)))]
    for thread in threads:
        thread.start()
    error: BaseException | None = None
    try:
        while any(t.is_alive() for t in threads) or not done.empty():
            try:  # a timeout, so that a signal reaches the main thread promptly
                result, exc = done.get(timeout=0.2)
            except queue.Empty:
                continue
            if exc is not None:
                error = error or exc
                stop.set()  # the running checks finish; no new one starts
            elif result is not None:
                results.append(result)
                if session.progress:
                    session.progress(f"{session.label} ({session.client.requests} requests so far)")
            if session.interruption:
                session.interruption.check()
    except BaseException as exc:
        stop.set()
        if session.interruption and not session.interruption.reason:
            session.interruption.reason = getattr(exc, "reason", "") or "interrupted"
        raise
    if error is not None:
        raise error
class RootCauses:
    """Root causes first. A failed check that relies on an observation whose owner failed earlier is
    ``blocked`` by that owner (visible, not a separate MUST failure); an owner whose violation names a
    narrower check that explains it (``Violation.explained_by``) is blocked by that check once it fails,
    and the owner's dependants then name that root too. ``judge`` decides one result as it arrives (the
    pytest plugin, which reports each check at once); ``settle`` revisits earlier owners at the end of
    a run (the CLI), so both report the same roots whenever the owner runs after its explanation."""

    def __init__(self, checks: Iterable[CheckSpec]) -> None:
        self.by_name = {c.name: c for c in checks}
        self.results: list[CheckResult] = []

    def root_of(self, name: str) -> str:
        by_result = {r.name: r for r in self.results}
        seen = {name}
        while name in by_result and by_result[name].blocked_by and by_result[name].blocked_by not in seen:
            name = by_result[name].blocked_by
            seen.add(name)
        return name

    def judge(self, result: CheckResult) -> CheckResult:
        spec = self.by_name.get(result.name)
        if result.status == "failed" and not result.suite_error and spec is not None:
            # Owners of what this check relies on that failed (a blocked owner failed too, before blocking).
            owners = [r for r in self.results if r.status in ("failed", "blocked") and not r.suite_error
                      and set(getattr(self.by_name.get(r.name), "owns", ())) & set(spec.relies_on)]
            for owner in owners:
                if result.name in owner.explained_by and owner.status == "failed":
                    owner.status, owner.blocked_by = "blocked", result.name  # this check is the narrower root
            explained = [r.name for r in self.results if r.name in result.explained_by and r.status == "failed"]
            roots = [self.root_of(o.name) for o in owners if result.name not in o.explained_by]
            roots = [root for root in roots if root != result.name]
            if explained or roots:
                result.status, result.blocked_by = "blocked", (explained or roots)[0]
        self.results.append(result)
        return result

    def settle(self) -> None:
        """An owner that failed before the narrower check explaining it: blocked by that check now, and
        whatever was blocked by the owner names the new root."""
        failed = {r.name for r in self.results if r.status == "failed" and not r.suite_error}
        for result in self.results:
            explained = [name for name in result.explained_by if name in failed and name != result.name]
            if result.status == "failed" and explained:
                result.status, result.blocked_by = "blocked", explained[0]
                failed.discard(result.name)
        for result in self.results:
            if result.status == "blocked" and result.blocked_by:
                result.blocked_by = self.root_of(result.blocked_by)
        for result in self.results:  # a check blocked only by its own explanation is itself the root
            if result.status == "blocked" and result.blocked_by == result.name:
                result.status, result.blocked_by = "failed", ""


def apply_blocking(report: RunReport, checks: list[CheckSpec]) -> None:
    """Root causes first over a whole report (see RootCauses)."""
    roots = RootCauses(checks)
    for result in report.checks:
        roots.judge(result)
    roots.settle()


class ProgressLine:
    """Progress on stderr: on a terminal one live line rewritten in place; in a CI log (not a TTY) one
    line every ``interval`` seconds naming the check and the request count. The clock is injectable."""

    def __init__(self, stream: Any = None, clock: Callable[[], float] = time.monotonic, interval: float = 15.0,
                 tty: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.clock, self.interval = clock, interval
        self.last = clock()

    def __call__(self, line: str) -> None:
        line = visible(line, one_line=True)
        if self.tty:
            self.stream.write("\r\033[K" + line[:120])
        else:
            now = self.clock()
            if now - self.last < self.interval:
                return
            self.last = now
            self.stream.write(f"progress: {line}\n")
        self.stream.flush()

    def done(self) -> None:  # clear the live line, so the summary (or an error) starts on a clean line
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()


def stderr_progress() -> Progress:
    return ProgressLine()


__all__ = ["ProgressLine", "execute", "Interruption", "RunInterrupted", "apply_blocking", "RootCauses", "select_checks", "Session", "load_spec", "stderr_progress", "Path"]
