"""pytest entry point: ``pytest --vendor copper --base-url URL`` runs the same checks as the CLI.

Each applicable check becomes one test item; all items share one engine session (one target, one
memo of walks), exactly as ``ticket-conformance run`` does.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from conformance.model.errors import ConfigError

_STATE = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ticket-conformance")
    group.addoption("--vendor", choices=("opine", "copper"), help="run the conformance checks for this vendor")
    group.addoption("--target", dest="conformance_target", choices=("reference", "live", "replay"), default=None)
    group.addoption("--base-url", dest="conformance_base_url", help="API root incl. version prefix (implies live)")
    group.addoption("--allow-writes", action="store_true", help="live only: permit POST/PUT")
    group.addoption("--record", dest="conformance_record", action="store_true", help="live only: write cassettes")
    group.addoption("--cassettes", dest="conformance_cassettes", default="cassettes")
    group.addoption("--conformance-seed", "--seed", dest="conformance_seed", type=int, default=1)
    group.addoption("--max-examples", dest="conformance_max_examples", type=int, default=12)
    group.addoption("--max-requests", dest="conformance_max_requests", type=int, default=None)
    group.addoption("--rate-limit", dest="conformance_rate_limit", type=float, default=None)
    group.addoption("--conformance-check", dest="conformance_checks", action="append", default=None,
                    help="run only this check (repeatable)")
    group.addoption("--baseline", dest="conformance_baseline", default=None, metavar="FILE",
                    help="known deviations: a listed check is a strict xfail (passing = fixed, prune the baseline)")


def _request(config: pytest.Config) -> Any:
    from conformance.run.runner import RunRequest

    return RunRequest(vendor=config.getoption("vendor"), target=config.getoption("conformance_target"),
                      base_url=config.getoption("conformance_base_url"), api_key=None,
                      allow_writes=config.getoption("allow_writes"), record=config.getoption("conformance_record"),
                      cassettes=Path(config.getoption("conformance_cassettes")),
                      seed=config.getoption("conformance_seed"), max_examples=config.getoption("conformance_max_examples"),
                      max_requests=config.getoption("conformance_max_requests"),
                      rate_limit=config.getoption("conformance_rate_limit"),
                      checks=config.getoption("conformance_checks"))


class ConformanceItem(pytest.Item):
    def __init__(self, *, spec: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.add_marker(getattr(pytest.mark, spec.family.replace("-", "_")))

    def runtest(self) -> None:
        session = _engine_session(self.config)
        try:
            result = session.run_check(self.spec)
        except ConfigError as exc:  # e.g. a replay miss or an unreachable target: end the run, exit 2
            pytest.exit(f"ticket-conformance: {exc}", returncode=2)
        self.user_properties.append(("level", result.level))
        from conformance.report import escape

        if result.status in ("skipped", "blocked"):
            pytest.skip(escape.visible(result.message, one_line=True))
        if result.status == "failed":  # API text reaches the CI log: escaped (no ESC, no workflow commands)
            detail = escape.visible("\n".join([f"[{result.level}] {result.message}", *result.reproduce]))
            if result.level == "SHOULD" and not self.get_closest_marker("xfail"):  # a listed one must raise
                self.add_report_section("call", "SHOULD finding", detail)
                return
            raise ConformanceFailure(detail)

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
            pytest.exit(f"ticket-conformance: {exc}", returncode=2)
        state["session"] = session
    return state["session"]


def pytest_configure(config: pytest.Config) -> None:
    for family in ("pagination", "enum", "nullable_update", "created_filter", "schema", "auth", "consistency"):
        config.addinivalue_line("markers", f"{family}: ticket-conformance checks of the {family} family")
    config.stash[_STATE] = {"stack": ExitStack()}


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    vendor = config.getoption("vendor")
    if not vendor:
        return
    from conformance.run.engine import select_checks
    from conformance.profiles import get_profile

    from conformance.run.runner import recorded_settings

    request = _request(config)
    try:
        request = recorded_settings(request)  # a replay runs the checks that were recorded
        config.stash[_STATE]["request"] = request
        checks = select_checks(get_profile(vendor), request.checks)
        known = _baseline(config, vendor)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    for c in checks:
        item = ConformanceItem.from_parent(session, name=f"{vendor}::{c.name}", spec=c)
        entry = known.get(c.name) if known else None
        if entry:  # a known deviation: failing is expected; passing means fixed (XPASS(strict) fails the test)
            where = f", {entry.link}" if entry.link else f", since {entry.since}"
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"known deviation ({entry.reason}{where}); "
                                              f"if it passes it is fixed: prune it from {known.file}"))
        items.append(item)


def _baseline(config: pytest.Config, vendor: str) -> Any:
    path = config.getoption("conformance_baseline")
    if not path:
        return None
    from conformance.report import baseline

    return baseline.load(path, baseline.catalogue_names(vendor))


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state:
        state["stack"].close()
