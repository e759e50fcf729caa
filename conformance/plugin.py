"""pytest entry point: ``pytest --conformance-vendor copper [--conformance-base-url URL]`` (or
``--conformance-profile FILE --conformance-base-url URL`` for any API a profile file describes) runs the
same checks as the CLI.

Inert unless ``--conformance-vendor`` or ``--conformance-profile`` is given: without it the plugin adds no markers, no items and no
output to anyone's pytest run. Every option carries the ``--conformance-`` prefix so that it cannot
clash with other plugins (pytest-base-url's ``--base-url``, pytest-recording's ``--record-mode``, ...).
Each applicable check becomes one test item ``<vendor>::<check>`` under one collector per vendor; all
items share one engine session (one target, one memo of walks), exactly as ``ticket-conformance run`` does.

Scale-out: with ``--conformance-workers N`` (N > 1), or under pytest-xdist (``-n N``), the checks run once,
in one engine session with N threads (``run --workers N``), and each item reports its check's result.
Under xdist the first worker process to get there runs that session (under a file lock in the run's
temporary directory) and writes the results; the others read them. So the walks are fetched once, and
the request budget and rate limit are those of one run, whatever the number of processes.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Iterator

import pytest

from conformance.model.errors import ConfigError

_STATE = pytest.StashKey[dict]()
FAMILIES = ("pagination", "enum", "nullable_update", "created_filter", "schema", "auth", "consistency")
# The CLI's option names that engine messages mention, each of which the plugin spells --conformance-NAME.
_SHARED = ("base-url", "api-key", "target", "record", "cassettes", "allow-writes", "seed", "max-examples",
           "max-requests", "rate-limit", "check", "baseline", "max-response-bytes", "response-timeout",
           "max-retry-after", "max-duration", "max-walk-pages", "retry-budget", "unresponsive-after", "min-evaluated",
           "churn", "churn-updates")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ticket-conformance", "ticket-conformance (inert unless --conformance-vendor or "
                                                  "--conformance-profile is given)")
    add = group.addoption
    add("--conformance-vendor", dest="conformance_vendor", choices=("opine", "copper"),
        help="run the conformance checks for this vendor (nothing happens without it)")
    add("--conformance-profile", dest="conformance_profile", default=None, metavar="FILE",
        help="run the checks for the API this profile file describes (instead of --conformance-vendor)")
    add("--conformance-target", dest="conformance_target", choices=("reference", "live", "replay"), default=None,
        help="reference (default: the built-in server), live, or replay (cassettes)")
    add("--conformance-base-url", dest="conformance_base_url",
        help="API root incl. version prefix, e.g. https://api.usecopper.com/next (implies live)")
    add("--conformance-api-key", dest="conformance_api_key",
        help="else the variable the profile names (auth.key_env: $OPINE_API_KEY, $COPPER_API_KEY)")
    add("--conformance-allow-writes", dest="conformance_allow_writes", action="store_true",
        help="live only: let the suite create and update its own marked tickets")
    add("--conformance-record", dest="conformance_record", action="store_true", help="live only: write cassettes")
    add("--conformance-cassettes", dest="conformance_cassettes", default="cassettes",
        help="cassette directory (default cassettes)")
    add("--conformance-seed", dest="conformance_seed", type=int, default=1)
    add("--conformance-max-examples", dest="conformance_max_examples", type=int, default=12)
    add("--conformance-max-requests", dest="conformance_max_requests", type=int, default=None)
    from conformance.cli import RUN_LIMITS  # the CLI's table: same names, types and help

    for name, kind, metavar, text in RUN_LIMITS:
        add(f"--conformance-{name}", dest=_dest(name), type=kind, metavar=metavar, default=None, help=text)
    add("--conformance-check", dest="conformance_checks", action="append", default=None,
        help="run only this check (repeatable)")
    add("--conformance-churn", dest="conformance_churn", type=int, default=0, metavar="K",
        help="reference only: before every K-th request another user creates a ticket")
    add("--conformance-churn-updates", dest="conformance_churn_updates", action="store_true",
        help="with --conformance-churn: the other user also updates one")
    add("--conformance-workers", dest="conformance_workers", type=int, default=None, metavar="N",
        help="run the checks in N threads, once for all items (default 1; under xdist -n N: N)")
    add("--conformance-baseline", dest="conformance_baseline", default=None, metavar="FILE",
        help="known deviations: a listed failure is xfailed; a listed check that passes is fixed (a warning)")


def _dest(name: str) -> str:
    return "conformance_" + name.replace("-", "_")


def plugin_words(message: str) -> str:
    """An engine message with the CLI's option names spelled as this plugin's (``--base-url`` ->
    ``--conformance-base-url``), except inside a quoted ``ticket-conformance run ...`` command."""
    protected = [m.span() for m in re.finditer(r"ticket-conformance run[^,;)]*", message)]

    def swap(match: re.Match[str]) -> str:
        if any(a <= match.start() < b for a, b in protected):
            return match.group(0)
        return f"--conformance-{match.group(1)}"

    return re.sub(r"(?<![\w-])--(" + "|".join(map(re.escape, _SHARED)) + r")(?![\w-])", swap, message)


def _active(config: pytest.Config) -> bool:
    return bool(config.getoption("conformance_vendor", None) or config.getoption("conformance_profile", None))


def _profile(config: pytest.Config) -> Any:
    """The profile the run is about (--conformance-profile FILE, else --conformance-vendor); UsageError."""
    from conformance.profiles import get_profile, load_profile

    path, vendor = config.getoption("conformance_profile"), config.getoption("conformance_vendor")
    if path and vendor:
        raise ConfigError("give --conformance-vendor or --conformance-profile, not both")
    return load_profile(Path(path)) if path else get_profile(vendor)


def _request(config: pytest.Config) -> Any:
    from conformance.cli import RUN_LIMITS
    from conformance.run.runner import RunRequest

    opt = config.getoption
    profile = opt("conformance_profile")
    return RunRequest(vendor=_profile(config).name, profile=Path(profile) if profile else None,
                      target=opt("conformance_target"),
                      base_url=opt("conformance_base_url"), api_key=opt("conformance_api_key"),
                      allow_writes=opt("conformance_allow_writes"), record=opt("conformance_record"),
                      cassettes=Path(opt("conformance_cassettes")), seed=opt("conformance_seed"),
                      max_examples=opt("conformance_max_examples"), max_requests=opt("conformance_max_requests"),
                      checks=opt("conformance_checks"),
                      churn=opt("conformance_churn"), churn_updates=opt("conformance_churn_updates"),
                      **{name.replace("-", "_"): opt(_dest(name)) for name, *_ in RUN_LIMITS if name != "min-evaluated"})


class VendorChecks(pytest.Collector):
    """The checks of one vendor: gives items the node id ``<vendor>::<check>`` and JUnit class name ``<vendor>``."""

    def __init__(self, *, checks: list[Any], baseline: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._checks, self._baseline = checks, baseline

    def collect(self) -> Iterator[pytest.Item]:
        for spec in self._checks:
            yield ConformanceItem.from_parent(self, name=spec.name, spec=spec,
                                              entries=self._baseline.for_check(spec.name) if self._baseline else ())


class ConformanceItem(pytest.Item):
    def __init__(self, *, spec: Any, entries: Any = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.entries = entries
        self.add_marker(getattr(pytest.mark, spec.family.replace("-", "_")))

    def runtest(self) -> None:
        if _batched(self.config):
            result = _batch_results(self.config, self.session)[self.spec.name]
        else:
            session = _engine_session(self.config)
            try:
                # Root causes first, as in the CLI: a failure that a failed earlier check explains is blocked by it.
                result = self.config.stash[_STATE]["roots"].judge(session.run_check(self.spec))
            except ConfigError as exc:  # e.g. a replay miss or an unreachable target: end the run, exit 2
                pytest.exit(f"ticket-conformance: {plugin_words(str(exc))}", returncode=2)
        self.user_properties.append(("level", result.level))
        from conformance.report import escape

        if result.status == "blocked":
            pytest.skip(escape.visible(f"blocked by {result.blocked_by}: {result.message}", one_line=True))
        if result.status in ("skipped", "inconclusive"):  # inconclusive: the reason says so
            pytest.skip(escape.visible(result.message, one_line=True))
        if result.status == "failed":
            # The same rule as the CLI (conformance.report.baseline.apply): a listed failure whose
            # message the entry matches is known (xfailed); any other failure still fails.
            entry = next((e for e in self.entries if e.covers(result.message)), None)
            if entry is not None:
                pytest.xfail(escape.visible(f"known deviation ({entry.reason}) in "
                                            f"{self.config.getoption('conformance_baseline')}", one_line=True))
            # API text reaches the CI log: escaped (no ESC, no workflow commands)
            detail = escape.visible("\n".join([f"[{result.level}] {result.message}", *result.reproduce]))
            if result.level == "SHOULD":
                self.add_report_section("call", "SHOULD finding", detail)
                return
            raise ConformanceFailure(detail)
        if result.status == "passed" and self.entries:  # fixed: reported, not a failure (as in the CLI)
            warnings.warn(pytest.PytestWarning(
                f"{self.spec.name} passes: its baseline entry is fixed; prune it from "
                f"{self.config.getoption('conformance_baseline')} (ticket-conformance run --baseline-prune)"))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ConformanceFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int, str]:
        return f"conformance/{self.spec.family}", 0, f"{self.spec.level} {self.spec.name}: {self.spec.proves}"


class ConformanceFailure(AssertionError):
    pass


def _engine_session(config: pytest.Config) -> Any:
    state = config.stash[_STATE]
    if "session" not in state:
        from conformance.run.engine import Session
        from conformance.run.runner import open_target, options_for, validate

        request = state["request"]
        try:
            profile = validate(request)
            options, client_options = options_for(request)
            target = state["stack"].enter_context(open_target(profile, request))
            session = Session(profile, target, options, client_options)
            session.preflight()
        except ConfigError as exc:
            pytest.exit(f"ticket-conformance: {plugin_words(str(exc))}", returncode=2)
        state["session"] = session
    return state["session"]


def _workers(config: pytest.Config) -> int:
    asked = config.getoption("conformance_workers")
    if asked is not None:
        return asked
    xdist = getattr(config, "workerinput", None)  # set in an xdist worker process
    return int(xdist.get("workercount", 1)) if xdist else 1


def _batched(config: pytest.Config) -> bool:
    """One engine run for all items: with workers, and always in an xdist worker process."""
    return hasattr(config, "workerinput") or _workers(config) > 1


def _batch_results(config: pytest.Config, session: pytest.Session) -> dict[str, Any]:
    """Every selected check's result, from one engine run (this process's, or another xdist worker's)."""
    state = config.stash[_STATE]
    if "results" not in state:
        specs = [item.spec for item in session.items if isinstance(item, ConformanceItem)]
        xdist = getattr(config, "workerinput", None)
        if xdist:
            state["results"] = _shared_results(config, specs, xdist)
        else:
            state["results"] = _run_batch(config, specs)
    outcome = state["results"]
    if outcome.get("error"):
        pytest.exit(f"ticket-conformance: {outcome['error']}", returncode=2)
    from conformance.report.model import CheckResult

    return {data["name"]: CheckResult(**data) for data in outcome["results"]}


def _shared_results(config: pytest.Config, specs: list[Any], xdist: dict[str, Any]) -> dict[str, Any]:
    """The results of the run's one engine session, shared by the xdist workers through a file: the
    first worker to take the lock runs the checks and writes them, the others wait and read them."""
    import fcntl

    request = config.stash[_STATE]["request"]
    what = json.dumps([request.vendor, request.kind, request.base_url, request.seed, request.max_examples,
                       request.max_requests, [s.name for s in specs]])
    factory = getattr(config, "_tmp_path_factory", None)  # pytest's own temporary directories, pruned by pytest
    root = factory.getbasetemp().parent if factory is not None else Path(tempfile.gettempdir())
    shared = root / f"ticket-conformance-{xdist.get('testrunuid', 'run')}"
    shared.mkdir(mode=0o700, exist_ok=True)
    results = shared / f"results-{hashlib.sha256(what.encode()).hexdigest()[:16]}.json"
    with open(shared / "lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this process dies
        if results.exists():
            return json.loads(results.read_text(encoding="utf-8"))
        outcome = _run_batch(config, specs)
        scratch = results.with_suffix(".tmp")
        scratch.write_text(json.dumps(outcome), encoding="utf-8")
        scratch.replace(results)
    return outcome


def _run_batch(config: pytest.Config, specs: list[Any]) -> dict[str, Any]:
    """Run ``specs`` in one engine session with the configured workers: results as report.json has them,
    or the one-line error that ends the pytest run (exit 2). Like the per-item path, no root-cause
    blocking is applied: each item reports its own check's verdict."""
    from conformance.model.errors import RunEnded
    from conformance.run.engine import Session, run_parallel
    from conformance.run.runner import open_target, options_for, validate

    state = config.stash[_STATE]
    request = state["request"]
    results: list[Any] = []
    try:
        profile = validate(request)
        options, client_options = options_for(request)
        target = state["stack"].enter_context(open_target(profile, request))
        session = Session(profile, target, options, client_options, workers=_workers(config))
        session.preflight()
        try:
            if session.workers > 1:
                run_parallel(session, specs, results)
            else:
                for spec in specs:
                    session.client.check_time_left()
                    results.append(session.run_check(spec))
        except RunEnded as exc:  # the API stopped answering or time is up: the rest is not evaluated
            from conformance.run.engine import _not_evaluated

            done = {r.name for r in results}
            results += [_not_evaluated(s, f"not evaluated: {exc.reason}") for s in specs if s.name not in done]
    except ConfigError as exc:
        return {"error": plugin_words(str(exc)), "results": []}
    return {"error": None, "results": [r.to_json() for r in results]}


# Options that mean "run the checks like this": given without a vendor or profile, they would be ignored.
_ASKING = ("conformance_target", "conformance_base_url", "conformance_api_key", "conformance_allow_writes",
           "conformance_record", "conformance_checks", "conformance_baseline", "conformance_workers",
           "conformance_churn")


def pytest_configure(config: pytest.Config) -> None:
    if not _active(config):
        given = [name for name in _ASKING if config.getoption(name, None)]
        if given:
            option = "--" + given[0].replace("_", "-")
            raise pytest.UsageError(f"{option} needs --conformance-vendor or --conformance-profile "
                                    "(the conformance checks run only when one is given)")
        return
    for family in FAMILIES:
        config.addinivalue_line("markers", f"{family}: ticket-conformance checks of the {family} family")
    config.stash[_STATE] = {"stack": ExitStack()}


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, so `-k NAME` selects checks
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _active(config):
        return
    from conformance.run.engine import select_checks
    from conformance.run.runner import recorded_settings

    try:
        profile = _profile(config)
        vendor = profile.name
        request = recorded_settings(_request(config))  # a replay runs the checks that were recorded
        config.stash[_STATE]["request"] = request
        checks = select_checks(profile, request.checks)
        known = _baseline(config, profile)
    except ConfigError as exc:
        raise pytest.UsageError(plugin_words(str(exc))) from None
    from conformance.run.engine import RootCauses

    config.stash[_STATE]["roots"] = RootCauses(checks)
    collector = VendorChecks.from_parent(session, name=vendor, nodeid=vendor, checks=checks, baseline=known)
    items.extend(session.genitems(collector))  # reported like any collection: "collected N items"


def _baseline(config: pytest.Config, vendor: Any) -> Any:
    path = config.getoption("conformance_baseline")
    if not path:
        return None
    from conformance.report import baseline

    return baseline.load(path, baseline.catalogue_names(vendor))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """--conformance-min-evaluated: as the CLI's --min-evaluated, a run that reached a verdict on too
    few checks fails (exit 1) even when nothing failed."""
    config = session.config
    if not _active(config) or config.getoption("conformance_min_evaluated") is None:
        return
    roots = config.stash[_STATE].get("roots")
    results = roots.results if roots is not None else []
    if not results or exitstatus != 0:
        return
    percent = round(100.0 * sum(r.status in ("passed", "failed") for r in results) / len(results), 1)
    wanted = config.getoption("conformance_min_evaluated")
    if percent < wanted:
        session.exitstatus = 1
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"ticket-conformance: only {percent:g}% of the checks were evaluated, below "
                                f"--conformance-min-evaluated {wanted:g}")


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state:
        state["stack"].close()
