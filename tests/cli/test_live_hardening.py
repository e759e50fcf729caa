"""Live runs against APIs that misbehave: every answer is a clear finding or a clear exit 2.

The loopback fault server (``faultserver``) serves the Copper reference app and injects one fault
at a time at the socket level: 429 with Retry-After, an HTML 502 page, a body
shorter than its Content-Length, invalid JSON, the wrong content type, an empty body, a reset
connection. No test sleeps for real: the client's clock and sleep are replaced.
"""

from __future__ import annotations

import email.utils
import io
import json
import socket
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pytest
import requests

import faultserver as fs

from conformance.run import engine
from conformance.cli import main
from conformance.model.errors import BudgetExhausted, TransportError
from conformance.profiles import get_profile
from conformance.transport import client as client_module
from conformance.transport.client import BrokenResponse, Client, ClientOptions, retry_after_seconds

COPPER = get_profile("copper")
KEY = "sk_test_hardening_key_42"
NOW = 1_800_000_000.0  # the fake wall clock
WALK = "pages_do_not_overlap"  # a check that walks the list page by page


def _action(name: str | tuple | None) -> fs.Action | None:
    """The faultserver action for this file's short fault names (a tuple: a 429 with that Retry-After)."""
    if name is None:
        return None
    if isinstance(name, tuple) and name[0] == "429":
        return fs.answer(429, b'{"error":{"type":"rate_limit_error"}}', [("Retry-After", name[1])])
    return {"reset": fs.reset, "truncate": fs.app_truncated,
            "html502": fs.answer(502, b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
                                 content_type="text/html"),
            "401": fs.answer(401, b'{"error":{"type":"auth"}}'),
            "badjson": fs.app_body(lambda payload: payload[: len(payload) // 2]),
            "empty": fs.app_body(lambda payload: b""),
            "wrongtype": fs.app_content_type("text/html; charset=utf-8")}[name]


@contextmanager
def faulty(rule: Callable[[int, str, str], str | tuple | None] = lambda n, m, t: None) -> Iterator[tuple[str, fs.Faults]]:
    """A Copper reference API on loopback (``faultserver``) with ``rule`` naming the fault of request n."""
    from conformance.transport.targets import reference_app, reference_store

    app = reference_app(COPPER, reference_store(COPPER, tickets=30, api_key=KEY))
    with fs.serve(app, lambda n, method, target: _action(rule(n, method, target)), COPPER.version_prefix) as served:
        yield served


@pytest.fixture
def clock(monkeypatch):
    """The client's sleep, monotonic and wall clocks, faked: waits are recorded, never slept."""
    slept: list[float] = []
    now = {"mono": 1000.0}

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        now["mono"] += seconds

    monkeypatch.setattr(client_module, "_sleep", sleep)
    monkeypatch.setattr(client_module, "_monotonic", lambda: now["mono"])
    monkeypatch.setattr(client_module, "_wall", lambda: NOW + now["mono"] - 1000.0)
    return slept


def run_cli(base_url: str, tmp_path: Path, capsys, *extra: str) -> tuple[int, dict | None, str]:
    code = main(["run", "--vendor", "copper", "--base-url", base_url, "--api-key", KEY,
                 "--report-dir", str(tmp_path / "report"), "--max-examples", "2", *extra])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    path = tmp_path / "report" / "report.json"
    report = json.loads(path.read_text()) if path.exists() else None
    return code, report, err


def statuses(report: dict) -> dict[str, tuple[str, str]]:
    return {c["name"]: (c["status"], c["message"]) for c in report["checks"]}


def mid_walk(action):
    """Fault every request for a second page (a cursor walk in progress)."""
    return lambda n, method, target: action if "starting_after=" in target else None


# -- rate limits ----------------------------------------------------------------------------------------
def test_429_with_retry_after_seconds_and_http_date_is_waited_out(tmp_path, capsys, clock):
    date = email.utils.formatdate(NOW + 7, usegmt=True)
    rule = {2: ("429", "3"), 4: ("429", date)}
    with faulty(lambda n, m, t: rule.get(n)) as (url, fault):
        code, report, err = run_cli(url, tmp_path, capsys, "--check", "missing_key_is_refused")
    assert code == 0, err
    assert statuses(report)["missing_key_is_refused"][0] == "passed"
    # 3 s as asked; then until the HTTP date (NOW + 7), and the fake wall clock already moved 3 s on;
    # after two 429s, --rate-limit auto (the live default) may space the requests that follow
    assert clock[:2] == [3.0, 4.0]
    assert report["requests"] == fault.count  # the 429s are counted, so the budget sees them


def test_endless_429_or_a_too_long_retry_after_is_exit_2(tmp_path, capsys, clock):
    with faulty(lambda n, m, t: ("429", "1")) as (url, _):
        code, _, err = run_cli(url, tmp_path, capsys)
    assert code == 2 and "rate limited" in err and err.count("\n") == 1
    with faulty(lambda n, m, t: ("429", "86400")) as (url, _):
        code, _, err = run_cli(url, tmp_path / "b", capsys)
    assert code == 2 and "Retry-After of 86400s is too long" in err


def test_retry_after_parsing():
    assert retry_after_seconds("12", NOW) == 12.0
    assert retry_after_seconds(email.utils.formatdate(NOW + 30, usegmt=True), NOW) == pytest.approx(30.0)
    assert retry_after_seconds(email.utils.formatdate(NOW - 30, usegmt=True), NOW) == 0.0
    assert retry_after_seconds("soon", NOW) is None and retry_after_seconds(None, NOW) is None


def test_rate_limit_paces_requests(clock):
    with faulty() as (url, _):
        client = Client(url, COPPER, KEY, ClientOptions(rate_limit=4.0))
        for _ in range(3):
            client.request("GET", "/tickets")
    assert clock == [0.25, 0.25]


def test_max_requests_skips_the_checks_that_could_not_finish(tmp_path, capsys):
    code = main(["run", "--vendor", "copper", "--report-dir", str(tmp_path), "--max-requests", "12",
                 "--max-examples", "2"])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["requests"] <= 12
    cut = [c for c in report["checks"] if "request budget of 12 spent" in c["message"]]
    assert cut and all(c["status"] == "skipped" and c["message"].startswith("not finished") for c in cut)
    first = report["checks"].index(cut[0])
    assert all(c["requests"] == 0 for c in report["checks"][first + 1:])  # nothing after it got a request


def test_max_requests_of_zero_is_a_usage_error(tmp_path, capsys):
    code = main(["run", "--vendor", "copper", "--report-dir", str(tmp_path), "--max-requests", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "--max-requests" in err and err.count("\n") == 1


# -- responses an API should not send --------------------------------------------------------------------
@pytest.mark.parametrize(("action", "needle"), [
    ("html502", "got 502"),
    ("truncate", "response cut off"),
    ("badjson", "body is not JSON"),
    ("empty", "empty body"),
    ("reset", "connection"),
])
def test_a_broken_answer_mid_walk_is_a_failed_check(action, needle, tmp_path, capsys, clock):
    with faulty(mid_walk(action)) as (url, _):
        code, report, err = run_cli(url, tmp_path, capsys, "--check", WALK, "--check", "missing_key_is_refused")
    assert code == 1, err
    status, message = statuses(report)[WALK]
    assert status == "failed" and needle in message, message
    assert statuses(report)["missing_key_is_refused"][0] == "passed"
    failed = next(c for c in report["checks"] if c["name"] == WALK)
    assert failed["reproduce"] and "starting_after" in failed["reproduce"][-1]
    if action in ("html502", "truncate", "reset"):  # an idempotent GET was retried before giving up
        assert len(clock) >= 3


def test_the_wrong_content_type_is_a_schema_finding(tmp_path, capsys, clock):
    with faulty(lambda n, m, t: "wrongtype" if n > 1 else None) as (url, _):
        code, report, err = run_cli(url, tmp_path, capsys, "--check", "list_responses_match_spec")
    assert code == 1, err
    status, message = statuses(report)["list_responses_match_spec"]
    assert status == "failed" and "content-type" in message.lower(), message


@pytest.mark.parametrize(("action", "needle"), [
    ("html502", "server error (an HTML page)"),
    ("truncate", "did not answer the first request: response cut off"),
    ("reset", "did not answer the first request: connection"),
    ("empty", "is not a JSON API: empty body"),
    ("401", "credentials rejected"),
])
def test_a_broken_first_answer_is_exit_2(action, needle, tmp_path, capsys, clock):
    with faulty(lambda n, m, t: action) as (url, _):
        code, report, err = run_cli(url, tmp_path, capsys)
    assert code == 2 and needle in err and err.count("\n") == 1, err
    assert report is not None and needle.split(":")[0] in report["fatal"]  # exit 2 still writes why
    assert all(c["status"] == "skipped" and c["message"].startswith("not evaluated") for c in report["checks"])


# -- configuration errors -----------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("args", "needle"), [
    (["--vendor", "copper", "--base-url", "http://127.0.0.1:{port}/next", "--api-key", KEY],
     "connection refused"),
    (["--vendor", "copper", "--base-url", "127.0.0.1:8082/next", "--api-key", KEY], "malformed --base-url"),
    (["--vendor", "copper", "--base-url", "http://127.0.0.1:notaport/next", "--api-key", KEY], "malformed --base-url"),
    (["--vendor", "zendesk"], "invalid choice: 'zendesk'"),
    (["--vendor", "copper", "--base-url", "http://127.0.0.1:{port}/next"], "no API key"),
    (["--vendor", "copper", "--target", "live"], "needs --base-url"),
    (["--vendor", "copper", "--record"], "--record is for live runs"),
])
def test_configuration_errors_are_one_line_exit_2(args, needle, tmp_path, capsys, clock, monkeypatch):
    monkeypatch.delenv("COPPER_API_KEY", raising=False)
    port = _free_port()
    code = main(["run", *[a.format(port=port) for a in args], "--report-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_rejected_credentials_end_to_end_in_a_subprocess(tmp_path):
    import os
    import subprocess

    with faulty(lambda n, m, t: "401") as (url, fault):
        env = {k: v for k, v in os.environ.items() if k not in ("COPPER_API_KEY", "OPINE_API_KEY")}
        proc = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--vendor", "copper", "--base-url", url,
                               "--report-dir", str(tmp_path / "r")], capture_output=True, text=True, timeout=120,
                              env={**env, "COPPER_API_KEY": KEY})
    assert proc.returncode == 2 and fault.count == 1, proc.stderr
    assert proc.stderr == f"ticket-conformance: credentials rejected by {url} (401): check the key (--api-key, or $COPPER_API_KEY)\n"
    assert KEY not in proc.stdout + proc.stderr
    assert KEY not in "".join(p.read_text() for p in (tmp_path / "r").iterdir())
    assert "credentials rejected" in json.loads((tmp_path / "r" / "report.json").read_text())["fatal"]


# -- the client itself -----------------------------------------------------------------------------------
def test_timeouts_go_to_every_request_and_a_silent_server_is_a_broken_response():
    seen: list = []

    class Recording(requests.Session):
        def request(self, method, url, **kwargs):
            seen.append(kwargs.get("timeout"))
            return super().request(method, url, **kwargs)

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts, never answers
    try:
        client = Client(f"http://127.0.0.1:{listener.getsockname()[1]}/next", COPPER, KEY,
                        ClientOptions(connect_timeout=2.0, read_timeout=0.2, retries=0), session=Recording())
        with pytest.raises(BrokenResponse) as caught:
            client.request("GET", "/tickets")
    finally:
        listener.close()
    assert seen == [(2.0, 0.2)]
    assert "no response within the read timeout" in str(caught.value) and caught.value.exchange.method == "GET"


def test_5xx_is_retried_with_backoff_for_gets_only(clock):
    with faulty(lambda n, m, t: "html502" if n <= 2 else None) as (url, fault):
        client = Client(url, COPPER, KEY)
        assert client.request("GET", "/tickets").status == 200
    assert clock == [0.5, 1.0] and fault.count == 3
    clock.clear()
    with faulty(lambda n, m, t: "html502") as (url, fault):
        client = Client(url, COPPER, KEY)
        assert client.request("POST", "/tickets", json={}).status == 502
    assert clock == [] and fault.count == 1


def test_connection_errors_are_retried_then_reported(clock):
    with faulty(lambda n, m, t: "reset" if n <= 2 else None) as (url, fault):
        assert Client(url, COPPER, KEY).request("GET", "/tickets").status == 200
    assert fault.count == 3 and clock == [0.5, 1.0]
    port = _free_port()
    with pytest.raises(TransportError, match="connection refused"):
        Client(f"http://127.0.0.1:{port}/next", COPPER, KEY, ClientOptions(retries=1)).request("GET", "/tickets")


def test_budget_counts_every_attempt(clock):
    with faulty(lambda n, m, t: "html502" if n == 1 else None) as (url, _):
        client = Client(url, COPPER, KEY, ClientOptions(max_requests=2))
        client.request("GET", "/tickets")
        with pytest.raises(BudgetExhausted):
            client.request("GET", "/tickets")


# -- progress --------------------------------------------------------------------------------------------
class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_and_cleared_at_the_end(monkeypatch, tmp_path):
    from conformance.run.runner import RunRequest, run

    fake = _Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    with faulty() as (url, _):
        run(RunRequest(vendor="copper", base_url=url, api_key=KEY, max_examples=2,
                       checks=["missing_key_is_refused", WALK]))
    text = fake.getvalue()
    # The walk owner runs first (root causes first), then the auth check.
    assert f"[1/2] {WALK} (1 requests so far)" in text and "[2/2] missing_key_is_refused" in text
    assert text.endswith("\r\033[K")  # the line is cleared: the summary starts on a clean line
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    engine.stderr_progress()("[1/2] x (3 requests so far)")
    assert quiet.getvalue() == ""  # not a terminal: a line only every 15 s (tests/unit/test_escape.py)
