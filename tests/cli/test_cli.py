"""The command line as a user meets it: serve, run against a served API, exit codes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest

from conformance.cli import main

EXE = [sys.executable, "-m", "conformance.cli"]


def _serve(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([*EXE, "serve", *args, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})
    line = proc.stdout.readline().strip()
    assert re.fullmatch(r"listening on http://127\.0\.0\.1:[1-9][0-9]*", line), line
    return proc, line.split(" ", 2)[2]  # the origin (design.md: the version prefix is not on this line)


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


@pytest.mark.parametrize(("vendor", "prefix", "key"), [("opine", "/v1", "opine-reference-key"),
                                                      ("copper", "/next", "sk_test_reference")])
def test_run_against_a_served_reference_exits_0(vendor, prefix, key, tmp_path):
    proc, origin = _serve(vendor)
    try:
        code = main(["run", "--vendor", vendor, "--base-url", origin + prefix, "--api-key", key,
                     "--allow-writes", "--report-dir", str(tmp_path)])
    finally:
        _stop(proc)
    report = json.loads((tmp_path / "report.json").read_text())
    assert code == 0, [c for c in report["checks"] if c["status"] != "passed"]
    assert report["target"] == "live" and report["summary"]["failed"] == 0
    assert (tmp_path / "junit.xml").exists() and (tmp_path / "summary.md").exists()


def test_serve_uses_the_key_from_the_environment(tmp_path):
    proc, origin = _serve("copper", env={"COPPER_API_KEY": "sk_test_from_env"})
    try:
        assert main(["run", "--vendor", "copper", "--base-url", origin + "/next", "--report-dir", str(tmp_path),
                     "--check", "wrong_key_is_refused", "--api-key", "sk_test_from_env"]) == 0
        assert main(["run", "--vendor", "copper", "--base-url", origin + "/next", "--report-dir", str(tmp_path),
                     "--api-key", "sk_test_reference"]) == 2
    finally:
        _stop(proc)


@pytest.mark.parametrize("vendor", ["opine", "copper"])
def test_auth_off_makes_the_run_fail_naming_the_auth_check(vendor, tmp_path, capsys):
    mutant = {"opine": "OpineAuthOff", "copper": "CopperAuthOff"}[vendor]
    prefix = {"opine": "/v1", "copper": "/next"}[vendor]
    proc, origin = _serve(vendor, "--mutant", mutant)
    try:
        code = main(["run", "--vendor", vendor, "--base-url", origin + prefix, "--api-key", "anything",
                     "--report-dir", str(tmp_path), "--check", "missing_key_is_refused",
                     "--check", "wrong_key_is_refused"])
    finally:
        _stop(proc)
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    failed = {c["name"] for c in report["checks"] if c["status"] == "failed"}
    assert failed == {"missing_key_is_refused", "wrong_key_is_refused"}
    assert "missing_key_is_refused" in (tmp_path / "summary.md").read_text()


def test_unknown_mutant_is_a_usage_error(capsys):
    assert main(["serve", "copper", "--mutant", "NoSuchMutant"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown mutant" in err


@pytest.mark.parametrize("argv", [["run"], ["run", "--vendor", "nope"], ["bogus"], ["run", "--vendor", "copper", "--seed", "x"],
                                  ["run", "--vendor", "copper", "--target", "live"]])
def test_usage_errors_are_one_line_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
