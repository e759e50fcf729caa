"""pytest entry point: ``pytest --conformance-vendor copper [--conformance-base-url URL]`` runs the same checks as the CLI.

Inert unless ``--conformance-vendor`` is given: without it the plugin adds no markers, no items and no
output to anyone's pytest run. Every option carries the ``--conformance-`` prefix so that it cannot
clash with other plugins (pytest-base-url's ``--base-url``, pytest-recording's ``--record-mode``, ...).
Each applicable check becomes one test item ``<vendor>::<check>`` under one collector per vendor; all
items share one engine session (one target, one memo of walks), exactly as ``ticket-conformance run`` does.
"""

from __future__ import annotations

import re
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
           "max-retry-after", "max-duration", "max-walk-pages", "retry-budget", "unresponsive-after", "min-evaluated")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ticket-conformance", "ticket-conformance (inert unless --conformance-vendor is given)")
    add = group.addoption
    add("--conformance-vendor", dest="conformance_vendor", choices=("opine", "copper"),
        help="run the conformance checks for this vendor (nothing happens without it)")
    add("--conformance-target", dest="conformance_target", choices=("reference", "live", "replay"), default=None,
        help="reference (default: the built-in server), live, or replay (cassettes)")
    add("--conformance-base-url", dest="conformance_base_url",
        help="API root incl. version prefix, e.g. https://api.usecopper.com/next (implies live)")
    add("--conformance-api-key", dest="conformance_api_key", help="else $OPINE_API_KEY / $COPPER_API_KEY")
    add("--conformance-allow-writes", dest="conformance_allow_writes", action="store_true",
        help="live only: permit POST/PUT")
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
    return bool(config.getoption("conformance_vendor", None))


def _request(config: pytest.Config) -> Any:
    from conformance.cli import RUN_LIMITS
    from conformance.run.runner import RunRequest

    opt = config.getoption
    return RunRequest(vendor=opt("conformance_vendor"), target=opt("conformance_target"),
                      base_url=opt("conformance_base_url"), api_key=opt("conformance_api_key"),
                      allow_writes=opt("conformance_allow_writes"), record=opt("conformance_record"),
                      cassettes=Path(opt("conformance_cassettes")), seed=opt("conformance_seed"),
                      max_examples=opt("conformance_max_examples"), max_requests=opt("conformance_max_requests"),
                      checks=opt("conformance_checks"),
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
        if result.status == "skipped":
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


def pytest_configure(config: pytest.Config) -> None:
    if not _active(config):
        return
    for family in FAMILIES:
        config.addinivalue_line("markers", f"{family}: ticket-conformance checks of the {family} family")
    config.stash[_STATE] = {"stack": ExitStack()}


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, so `-k NAME` selects checks
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _active(config):
        return
    from conformance.profiles import get_profile
    from conformance.run.engine import select_checks
    from conformance.run.runner import recorded_settings

    vendor = config.getoption("conformance_vendor")
    try:
        request = recorded_settings(_request(config))  # a replay runs the checks that were recorded
        config.stash[_STATE]["request"] = request
        checks = select_checks(get_profile(vendor), request.checks)
        known = _baseline(config, vendor)
    except ConfigError as exc:
        raise pytest.UsageError(plugin_words(str(exc))) from None
    from conformance.run.engine import RootCauses

    config.stash[_STATE]["roots"] = RootCauses(checks)
    collector = VendorChecks.from_parent(session, name=vendor, nodeid=vendor, checks=checks, baseline=known)
    items.extend(session.genitems(collector))  # reported like any collection: "collected N items"


def _baseline(config: pytest.Config, vendor: str) -> Any:
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
