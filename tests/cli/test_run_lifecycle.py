"""Run lifecycle: SIGINT/SIGTERM write a partial report and exit 130, never swallowed; --record keeps
the previous recording unless the run completed; exit 2 still writes a report saying why."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest

from conformance.checks import CATALOGUE
from conformance.cli import main
from conformance.model.violations import Violation
from conformance.profiles import get_profile
from conformance.reference import http
from conformance.run import engine
from conformance.run.engine import Interruption, _unwrap
from conformance.run.runner import RunRequest, run
from conformance.transport.targets import reference_app, reference_store

COPPER = get_profile("copper")
KEY = "sk_test_lifecycle_key_7"
ARTIFACTS = ("report.json", "junit.xml", "summary.md", "report.html")


class Slow:
    """WSGI wrapper: counts requests and, once ``gate`` is reached, holds each answer until released."""

    def __init__(self, app, gate: int) -> None:
        self.app, self.gate = app, gate
        self.count = 0
        self.reached = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.count += 1
            n = self.count
        if n >= self.gate:
            self.reached.set()
            self.release.wait(timeout=60)
        return self.app(environ, start_response)


@contextmanager
def slow_copper(gate: int) -> Iterator[tuple[str, Slow]]:
    app = Slow(reference_app(COPPER, reference_store(COPPER, tickets=30, api_key=KEY)), gate)
    with http.start(app) as server:
        try:
            yield server.origin + COPPER.version_prefix, app
        finally:
            app.release.set()


def _previous_recording(cassettes: Path) -> dict[str, str]:
    where = cassettes / "copper"
    where.mkdir(parents=True)
    files = {"_run.yaml": "vendor: copper\ncomplete: true\n", "walk_reaches_every_ticket.yaml": "interactions: []\n"}
    for name, text in files.items():
        (where / name).write_text(text)
    return files


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_writes_a_partial_report_keeps_the_recording_and_exits_130(signum: int, tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    before = _previous_recording(cassettes)
    with slow_copper(gate=25) as (url, app):
        env = {**os.environ, "COPPER_API_KEY": KEY}
        proc = subprocess.Popen([sys.executable, "-m", "conformance.cli", "run", "--vendor", "copper",
                                 "--base-url", url, "--record", "--cassettes", str(cassettes),
                                 "--report-dir", str(tmp_path / "r"), "--max-examples", "2"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            assert app.reached.wait(timeout=60), "the run never reached the slow part"
            proc.send_signal(signum)
            app.release.set()
            out, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    for name in ARTIFACTS:
        assert (tmp_path / "r" / name).stat().st_size > 0
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["interrupted"] == signal.Signals(signum).name
    unfinished = [c for c in report["checks"] if c["message"] == "not evaluated: interrupted"]
    assert unfinished and all(c["status"] == "skipped" for c in unfinished)
    assert "not evaluated: interrupted" in (tmp_path / "r" / "summary.md").read_text()
    assert "not evaluated" in out
    # The previous recording survives, whole, and no scratch directory is left behind.
    assert {p.name: p.read_text() for p in (cassettes / "copper").iterdir()} == before
    assert sorted(p.name for p in cassettes.iterdir()) == ["copper"]


def test_an_interrupt_wrapped_in_an_exception_group_or_as_a_cause_is_never_a_verdict() -> None:
    group = BaseExceptionGroup("hypothesis", [Violation("x", expected=1, actual=2), KeyboardInterrupt()])
    assert isinstance(_unwrap(group), KeyboardInterrupt)
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise RuntimeError("a library re-raised it as its own error")
    except RuntimeError as exc:
        assert isinstance(_unwrap(exc), KeyboardInterrupt)
    with pytest.raises(SystemExit):
        engine._record_outcome(engine.CheckResult("c", "schema", "MUST", "passed"), SystemExit(1), [])


def test_an_interrupt_swallowed_inside_a_check_still_ends_the_run(tmp_path: Path, monkeypatch) -> None:
    """Hypothesis or a library may catch the KeyboardInterrupt: the remembered signal ends the run anyway."""
    interruption = Interruption()
    spec = CATALOGUE.get("listing_matches_schema") if "listing_matches_schema" in {
        c.name for c in CATALOGUE.all()} else engine.select_checks(COPPER)[0]

    def swallowing(ctx) -> None:
        try:
            interruption.signal("SIGINT")
        except BaseException:  # noqa: BLE001 - what a careless library does
            pass

    monkeypatch.setitem(CATALOGUE._checks, spec.name, replace(spec, run=swallowing))
    report = run(RunRequest(vendor="copper"), report_dir=tmp_path / "r", interruption=interruption)
    assert report.interrupted == "SIGINT" and report.exit_code == 130
    swallowed = next(c for c in report.checks if c.name == spec.name)
    assert (swallowed.status, swallowed.message) == ("skipped", "not evaluated: interrupted")
    assert json.loads((tmp_path / "r" / "report.json").read_text())["interrupted"] == "SIGINT"


def test_a_suite_error_fails_the_run_instead_of_a_silent_skip(tmp_path: Path, monkeypatch, capsys) -> None:
    spec = engine.select_checks(COPPER)[0]

    def broken(ctx) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setitem(CATALOGUE._checks, spec.name, replace(spec, run=broken))
    code = main(["run", "--vendor", "copper", "--check", spec.name, "--report-dir", str(tmp_path / "r")])
    assert code == 1
    result = json.loads((tmp_path / "r" / "report.json").read_text())["checks"][0]
    assert result["status"] == "failed" and result["suite_error"] is True
    assert result["message"].startswith("suite error: RecursionError")
    assert f"FAIL {spec.name}" in capsys.readouterr().out


@pytest.mark.parametrize("argv, needle", [
    (["run", "--vendor", "copper", "--report-dir", "{file}"], "not a directory"),
    (["run", "--vendor", "copper", "--report-dir", "{link}"], "symbolic link"),
    (["run", "--vendor", "copper", "--report-dir", "{tmp}/r", "--baseline", "{tmp}/missing.yaml"], "baseline"),
    (["serve", "copper", "--port", "99999"], "port"),
])
def test_configuration_problems_are_exit_2_with_one_line(argv, needle, tmp_path: Path, capsys) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    args = [a.format(file=tmp_path / "file", link=tmp_path / "link", tmp=tmp_path) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err
    assert list((tmp_path / "real").iterdir()) == []


def test_internal_error_is_exit_3_and_debug_shows_the_traceback(monkeypatch, capsys) -> None:
    import conformance.cli as cli

    def boom(_args):
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(cli, "cmd_checks", boom)
    assert main(["checks"]) == 3
    err = capsys.readouterr().err
    assert "internal error" in err and "Traceback" not in err and "--debug" in err
    assert main(["--debug", "checks"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_min_evaluated_fails_a_run_that_evaluated_too_little(tmp_path: Path, capsys) -> None:
    code = main(["run", "--vendor", "copper", "--max-requests", "5", "--report-dir", str(tmp_path / "a")])
    out, err = capsys.readouterr()
    assert code == 0  # a budget is not a failure on its own...
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    s = report["summary"]
    assert s["evaluated"] < len(report["checks"]) and 0 <= s["evaluated_percent"] < 50
    assert "not evaluated:" in out and "--max-requests" in out  # ...but the terminal says what was left out
    code = main(["run", "--vendor", "copper", "--max-requests", "5", "--min-evaluated", "90",
                 "--report-dir", str(tmp_path / "b")])
    err = capsys.readouterr().err
    assert code == 1 and "--min-evaluated 90" in err and err.count("\n") == 1


def test_opine_without_writes_says_why_checks_were_not_evaluated(tmp_path: Path, capsys) -> None:
    store = reference_store(get_profile("opine"))
    opine = get_profile("opine")
    with http.start(reference_app(opine, store)) as server:
        code = main(["run", "--vendor", "opine", "--base-url", server.origin + opine.version_prefix, "--api-key",
                     store.api_key, "--max-examples", "2", "--report-dir", str(tmp_path / "r")])
    out = capsys.readouterr().out
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("not evaluated:")]
    assert any("--allow-writes" in line for line in lines), out
    assert "evaluated " in out.splitlines()[-1]
