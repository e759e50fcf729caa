"""`pytest --conformance-vendor V` runs the same checks as the CLI, one test item per check."""

from __future__ import annotations

import os
import signal
import subprocess
import sys


def _pytest(tmp_path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


def test_reference_run_passes(tmp_path):
    done = _pytest(tmp_path, "--conformance-vendor", "copper", "--conformance-check", "missing_key_is_refused",
                   "--conformance-check", "list_responses_match_spec")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_mutant_fails_with_a_curl_reproduction(tmp_path):
    server = subprocess.Popen([sys.executable, "-m", "conformance.cli", "serve", "opine", "--port", "0",
                               "--mutant", "OpineAuthOff"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        base_url = server.stdout.readline().split()[-1] + "/v1"  # design.md: the line names the origin
        done = _pytest(tmp_path, "--conformance-vendor", "opine", "--conformance-base-url", base_url,
                       "--conformance-check", "missing_key_is_refused", env={"OPINE_API_KEY": "opine-reference-key"})
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    assert done.returncode == 1, done.stdout
    assert "1 failed" in done.stdout and "curl" in done.stdout and "opine-reference-key" not in done.stdout


def test_unreachable_target_is_a_configuration_error(tmp_path):
    done = _pytest(tmp_path, "--conformance-vendor", "copper", "--conformance-base-url", "http://127.0.0.1:9/next",
                   env={"COPPER_API_KEY": "sk_test_x"})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot reach" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_missing_key_names_the_plugins_own_option(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COPPER_API_KEY"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--conformance-vendor",
                           "copper", "--conformance-base-url", "http://127.0.0.1:9/next"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=env)
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "--conformance-api-key" in out and "$COPPER_API_KEY" in out and "pass --api-key" not in out


def test_dependants_of_a_root_failure_are_skipped_as_blocked(tmp_path):
    server = subprocess.Popen([sys.executable, "-m", "conformance.cli", "serve", "copper", "--port", "0",
                               "--mutant", "CopperCursorSkipsNextItem"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        base_url = server.stdout.readline().split()[-1] + "/next"
        checks = [arg for name in ("walk_reaches_every_ticket", "has_more_is_truthful", "created_lt_is_exclusive")
                  for arg in ("--conformance-check", name)]
        done = _pytest(tmp_path, "-rs", "--conformance-vendor", "copper", "--conformance-base-url", base_url, *checks,
                       env={"COPPER_API_KEY": "sk_test_reference"})
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    assert done.returncode == 1, done.stdout
    assert "1 failed" in done.stdout and "2 skipped" in done.stdout, done.stdout
    assert done.stdout.count("blocked by walk_reaches_every_ticket") == 2, done.stdout


def test_the_plugin_has_the_cli_run_limits_with_its_prefix(pytestconfig):
    """The plugin is installed with the package, so this very pytest run has its options (inert)."""
    from conformance.cli import RUN_LIMITS

    for name, *_ in RUN_LIMITS:
        assert pytestconfig.getoption("conformance_" + name.replace("-", "_")) is None, name


def test_min_evaluated_fails_a_plugin_run_that_evaluated_too_little(tmp_path):
    done = _pytest(tmp_path, "--conformance-vendor", "copper", "--conformance-check", "missing_key_is_refused",
                   "--conformance-max-requests", "1", "--conformance-min-evaluated", "50")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 skipped" in done.stdout and "below --conformance-min-evaluated 50" in done.stdout


def test_a_conformance_option_without_a_vendor_is_a_usage_error_not_a_silent_no_op(tmp_path):
    (tmp_path / "test_x.py").write_text("def test_ok():\n    assert True\n", encoding="utf-8")
    done = _pytest(tmp_path, "--conformance-target", "replay")
    assert done.returncode == 4, done.stdout + done.stderr
    assert "--conformance-target needs --conformance-vendor or --conformance-profile" in done.stdout + done.stderr
    assert _pytest(tmp_path).returncode == 0  # without conformance options the plugin stays inert
