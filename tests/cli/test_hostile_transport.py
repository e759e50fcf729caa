"""A hostile or failing API cannot take the key elsewhere, exhaust memory or time, or crash the report.

Each test drives a fault-injecting loopback server (``faultserver``) through one case of issues 17
and 14: redirects, trickled, endless and huge bodies, JSON no parser should be handed, stalls, rate
limits in every spelling, pagination that never ends, and a key echoed into the first answer.
Waits are faked (no test sleeps for rate limits); only the deadline tests spend real fractions of
a second, with tiny timeouts.
"""

from __future__ import annotations

import base64
import email.utils
import io
import json
import math
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus, urlencode

import pytest

import faultserver as fs
from conformance.cli import main
from conformance.model.exchange import Exchange
from conformance.model.observations import Params
from conformance.observe.walks import page_from, walk_cursor, walk_offset
from conformance.profiles import get_profile
from conformance.transport import client as client_module
from conformance.transport.client import (BrokenResponse, Client, ClientOptions, parse_retry_after, redact,
                                          secret_forms)
from conformance.transport.targets import reference_app, reference_store

COPPER, OPINE = get_profile("copper"), get_profile("opine")
KEY = "sk_test_hostile/Key+42="  # a "/" (JSON-escaped as \/), "+" and "=" (URL-encoded): every spelling differs
NOW = 1_800_000_000.0
WALK = "pages_do_not_overlap"


def app(profile, tickets: int = 30):
    return reference_app(profile, reference_store(profile, tickets=tickets, api_key=KEY))


def run_cli(profile, url: str, tmp_path: Path, capsys, *extra: str) -> tuple[int, dict | None, str]:
    code = main(["run", "--vendor", profile.name, "--base-url", url, "--api-key", KEY,
                 "--report-dir", str(tmp_path / "report"), "--max-examples", "2", *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    path = tmp_path / "report" / "report.json"
    report = json.loads(path.read_text()) if path.exists() else None
    return code, report, err


def statuses(report: dict) -> dict[str, tuple[str, str]]:
    return {c["name"]: (c["status"], " ".join(str(c.get(k)) for k in ("message", "expected", "actual") if c.get(k)))
            for c in report["checks"]}  # the finding as a reader sees it: message, expected, actual


def later_pages(action, profile=COPPER):
    """``action`` for every request of a page after the first (a walk in progress)."""
    marker = "starting_after=" if profile is COPPER else "offset="

    def rule(n, method, target):
        if marker in target and not (profile is OPINE and "offset=0" in target):
            return action
        return None
    return rule


@pytest.fixture
def fake_clock(monkeypatch):
    """The client's sleep and clocks, faked: waits are recorded, never slept; ``now`` is shared."""
    state = {"mono": 1000.0, "slept": []}

    def sleep(seconds: float) -> None:
        state["slept"].append(seconds)
        state["mono"] += seconds

    monkeypatch.setattr(client_module, "_sleep", sleep)
    monkeypatch.setattr(client_module, "_monotonic", lambda: state["mono"])
    monkeypatch.setattr(client_module, "_wall", lambda: NOW + state["mono"] - 1000.0)
    return state


# -- 1. credentials never leave the API's origin ---------------------------------------------------
@pytest.mark.parametrize("profile", [COPPER, OPINE], ids=["copper", "opine"])
def test_a_redirect_to_another_origin_is_never_followed(profile, tmp_path, capsys, fake_clock):
    with fs.serve(app(profile)) as (foreign, elsewhere):
        with fs.serve(app(profile), later_pages(fs.redirect(foreign + "/stolen"), profile),
                      profile.version_prefix) as (url, faults):
            code, report, err = run_cli(profile, url, tmp_path, capsys, "--check", "missing_key_is_refused",
                                        "--check", WALK if profile is COPPER else "offset_walk_is_complete_and_stable")
    assert elsewhere.count == 0  # not one request, so no key, reached the other origin
    assert code == 1, err
    failed = [c for c in report["checks"] if c["status"] == "failed"]
    assert failed and all("307" in c["message"] for c in failed)
    assert all(url in line and foreign not in line for c in report["checks"] for line in c["reproduce"])


def test_a_redirect_on_the_first_request_is_exit_2_naming_the_target(tmp_path, capsys, fake_clock):
    with fs.serve(app(COPPER)) as (foreign, elsewhere):
        with fs.serve(app(COPPER), lambda n, m, t: fs.redirect(foreign + "/next/tickets"), "/next") as (url, faults):
            code, report, err = run_cli(COPPER, url, tmp_path, capsys)
    assert code == 2 and faults.count == 1 and elsewhere.count == 0
    assert f"redirect (307) to {foreign}/next/tickets: give the final --base-url" in err and err.count("\n") == 1


def test_a_redirect_loop_ends_at_once(tmp_path, capsys, fake_clock):
    with fs.serve(app(COPPER), lambda n, m, t: fs.redirect(t, 302), "/next") as (url, faults):
        code, _, err = run_cli(COPPER, url, tmp_path, capsys)
    assert code == 2 and faults.count == 1 and "redirect (302)" in err


# -- 2. bounded memory and time per response ---------------------------------------------------------
def test_a_trickled_body_is_cut_at_the_response_deadline():
    with fs.serve(app(COPPER), lambda n, m, t: fs.trickle(0.02), "/next") as (url, faults):
        client = Client(url, COPPER, KEY, ClientOptions(response_timeout=0.3, retries=0))
        with pytest.raises(BrokenResponse, match=r"answer not complete within 0\.3 s \(--response-timeout\)"):
            client.request("GET", "/tickets")
    assert faults.count == 1


@pytest.mark.parametrize(("action", "needle"), [
    (fs.endless_chunked(), "answer larger than 1 MiB (--max-response-bytes)"),
    (fs.answer(200, b"[" + b" " * (2 * 1024 * 1024) + b"]"), "answer larger than 1 MiB (--max-response-bytes)"),
])
def test_a_body_over_the_byte_cap_is_a_failed_check(action, needle, tmp_path, capsys, fake_clock):
    with fs.serve(app(COPPER), later_pages(action), "/next") as (url, faults):
        code, report, err = run_cli(COPPER, url, tmp_path, capsys, "--check", WALK, "--check",
                                    "missing_key_is_refused", "--max-response-bytes", "1MiB")
    assert code == 1, err
    status, message = statuses(report)[WALK]
    assert status == "failed" and needle in message, message
    assert statuses(report)["missing_key_is_refused"][0] == "passed"


def test_a_slow_endless_body_ends_the_run_as_unresponsive(tmp_path, capsys):
    with fs.serve(app(COPPER), later_pages(fs.endless_chunked(b" ", 0.01)), "/next") as (url, faults):
        code, report, err = run_cli(COPPER, url, tmp_path, capsys, "--check", WALK, "--check",
                                    "missing_key_is_refused", "--response-timeout", "0.3")
    assert code == 2 and err.count("\n") == 1, err
    assert "the API stopped responding: 3 transport failures in a row" in err
    assert "answer not complete within 0.3 s" in err
    assert statuses(report)[WALK] == ("skipped", f"not evaluated: {report['fatal']}")


MEMORY_PROBE = textwrap.dedent("""
    import resource, sys
    from conformance.cli import main
    code = main(sys.argv[1:])
    print("RSS_KIB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "EXIT", code)
""")


def test_a_50_mib_field_in_every_list_answer_keeps_the_run_under_1_gb(tmp_path):
    junk = b'"' + b"x" * (50 * 1024 * 1024) + b'"'

    def huge(payload: bytes) -> bytes:
        return payload.replace(b'"__JUNK__"', junk)

    def inject(payload: bytes) -> bytes:
        try:
            body = json.loads(payload)
        except ValueError:
            return payload
        for item in body.get("data", [])[:1]:
            item["description"] = "__JUNK__"
        return huge(json.dumps(body).encode())

    rule = lambda n, method, target: fs.app_body(inject) if n > 1 and method == "GET" else None  # noqa: E731
    with fs.serve(app(COPPER), rule, "/next") as (url, faults):
        proc = subprocess.run([sys.executable, "-c", MEMORY_PROBE, "run", "--vendor", "copper", "--base-url", url,
                               "--api-key", KEY, "--report-dir", str(tmp_path / "r"), "--max-examples", "2"],
                              capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    rss_kib, code = (int(proc.stdout.split("RSS_KIB ")[1].split()[0]), int(proc.stdout.split("EXIT ")[1].split()[0]))
    assert code == 1 and rss_kib < 1024 * 1024, (code, rss_kib)  # under 1 GB (it used to reach 24 GB)
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert any("answer larger than 8 MiB" in c["message"] for c in report["checks"])
    assert KEY not in proc.stdout + proc.stderr


FILTER_WALKERS = ["created_gt_is_exclusive", "created_gte_is_inclusive", "created_lt_is_exclusive",
                  "created_lte_is_inclusive", "created_range_combines_bounds", "pages_do_not_overlap"]


def test_6_mib_pages_under_the_cap_keep_the_run_under_1_gb(tmp_path):
    """Pages just under the byte cap are read and walked; what the run keeps of them stays bounded
    (memoized walks hold at most ``MEMO_BYTES`` of answers; without that bound this run took 1.1 GB)."""
    junk = b'"' + b"x" * (6 * 1024 * 1024) + b'"'

    def inject(payload: bytes) -> bytes:
        try:
            body = json.loads(payload)
        except ValueError:
            return payload
        for item in body.get("data", [])[:1]:
            item["description"] = "__JUNK__"
        return json.dumps(body).encode().replace(b'"__JUNK__"', junk)

    rule = lambda n, method, target: fs.app_body(inject) if method == "GET" else None  # noqa: E731
    checks = [arg for name in FILTER_WALKERS for arg in ("--check", name)]
    with fs.serve(app(COPPER), rule, "/next") as (url, faults):
        proc = subprocess.run([sys.executable, "-c", MEMORY_PROBE, "run", "--vendor", "copper", "--base-url", url,
                               "--api-key", KEY, "--report-dir", str(tmp_path / "r"), "--max-examples", "2", *checks],
                              capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    rss_kib, code = (int(proc.stdout.split("RSS_KIB ")[1].split()[0]), int(proc.stdout.split("EXIT ")[1].split()[0]))
    assert code == 0 and rss_kib < 1024 * 1024, (code, rss_kib, proc.stderr)
    assert faults.count > 50  # the pages were really walked


def test_kept_exchanges_are_trimmed():
    exchange = Exchange("GET", "http://x/next/tickets", 200, b"x" * 1_000_000)
    assert len(exchange.trimmed().body) == 64 * 1024 and exchange.trimmed().url == exchange.url
    small = Exchange("GET", "http://x", 200, b"{}")
    assert small.trimmed() is small


# -- 3. any bytes produce a verdict ------------------------------------------------------------------
HOSTILE = {
    "lone surrogate": (b'"\\ud800"', "a string holds a lone surrogate"),
    "invalid UTF-8": (b'"\xff\xfe\xfd"', "not UTF-8 text"),
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, "nested too deep (more than 64 levels)"),
    "huge exponent": (b"1e999999", "number 1e999999 is out of range"),
    "huge integer": (b"7" * 100_000, "integer of 100000 digits"),
}


def _hostile(raw: bytes):
    def inject(payload: bytes) -> bytes:
        body = json.loads(payload)
        for item in body.get("data", [])[:1]:
            item["description"] = "__HOSTILE__"
        return json.dumps(body).encode().replace(b'"__HOSTILE__"', raw)
    return fs.app_body(inject)


@pytest.mark.parametrize("case", list(HOSTILE))
def test_json_no_parser_should_be_handed_is_a_finding(case, tmp_path, capsys, fake_clock):
    raw, needle = HOSTILE[case]
    with fs.serve(app(COPPER), later_pages(_hostile(raw)), "/next") as (url, faults):
        code, report, err = run_cli(COPPER, url, tmp_path, capsys, "--check", WALK, "--check",
                                    "missing_key_is_refused")
    assert code == 1, err
    status, message = statuses(report)[WALK]
    assert status == "failed" and f"answer is not valid JSON: {needle}" in message, message
    assert "\ud800" not in json.dumps(report, ensure_ascii=False)


def test_deep_nesting_in_every_list_answer_still_gives_a_complete_report(tmp_path, capsys, fake_clock):
    rule = lambda n, method, target: _hostile(HOSTILE["deep nesting"][0]) if n > 1 and method == "GET" else None  # noqa: E731
    with fs.serve(app(COPPER), rule, "/next") as (url, faults):
        code, report, err = run_cli(COPPER, url, tmp_path, capsys)
    assert code == 1, err
    assert not [c for c in report["checks"] if "suite error" in c["message"]]
    assert any("nested too deep" in c["message"] for c in report["checks"] if c["status"] == "failed")
    assert (tmp_path / "report" / "junit.xml").exists() and (tmp_path / "report" / "summary.md").exists()


def test_hostile_json_in_the_first_answer_is_exit_2(tmp_path, capsys, fake_clock):
    with fs.serve(app(COPPER), lambda n, m, t: _hostile(HOSTILE["deep nesting"][0]), "/next") as (url, _):
        code, _, err = run_cli(COPPER, url, tmp_path, capsys)
    assert code == 2 and "is not a JSON API: answer is not valid JSON: nested too deep" in err


# -- 4. bounded run time ----------------------------------------------------------------------------
def test_an_api_that_stalls_after_the_third_request_ends_the_run_with_a_report(tmp_path, capsys):
    with fs.serve(app(COPPER), lambda n, m, t: fs.stall if n > 3 else None, "/next") as (url, faults):
        code, report, err = run_cli(COPPER, url, tmp_path, capsys, "--response-timeout", "0.2")
    assert code == 2 and err.count("\n") == 1, err
    assert "the API stopped responding: 3 transport failures in a row" in err and "no response within" in err
    assert faults.count == 3 + 3  # three answered, then three attempts that timed out: nothing more was sent
    assert report["fatal"] in err
    skipped = [c for c in report["checks"] if c["status"] == "skipped"]
    assert skipped and all(c["message"] == f"not evaluated: {report['fatal']}" for c in skipped)
    assert len(report["checks"]) > 30  # every check is in the report


def test_the_default_bounds_end_a_65_s_staller_in_under_3_minutes():
    options = ClientOptions()
    # A stalled request costs one silent read (30 s); three in a row end the run, with two backoffs.
    assert options.worst_stall_s == 3 * 30 + 0.5 + 1.0
    assert options.worst_stall_s + options.connect_timeout < 180


def test_max_duration_ends_the_run_with_the_rest_not_evaluated(tmp_path, capsys, monkeypatch):
    ticks = {"now": 0.0}

    def monotonic() -> float:  # every look at the clock is one second later (about 5 per request)
        ticks["now"] += 1.0
        return ticks["now"]

    monkeypatch.setattr(client_module, "_monotonic", monotonic)
    code = main(["run", "--vendor", "copper", "--report-dir", str(tmp_path), "--max-examples", "2",
                 "--max-duration", "1000"])
    err = capsys.readouterr().err
    assert code == 2 and err == "ticket-conformance: --max-duration of 1000 s reached\n"
    report = json.loads((tmp_path / "report.json").read_text())
    kinds = {c["status"] for c in report["checks"]}
    assert "passed" in kinds and "skipped" in kinds
    assert all(c["message"] == "not evaluated: --max-duration of 1000 s reached"
               for c in report["checks"] if c["status"] == "skipped")


# -- 5. rate limits -----------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_429_on_every_second_request_completes_spending_about_the_waits_asked(form, tmp_path, capsys, fake_clock):
    asked: list[float] = []

    def rule(n, method, target):
        if n % 2:
            return None
        wall = NOW + fake_clock["mono"] - 1000.0
        if form == "seconds":
            value, wait = "1", 1.0
        else:
            when = math.ceil(wall) + 1  # an HTTP date has whole seconds: 1-2 s ahead
            value, wait = email.utils.formatdate(when, usegmt=True), when - wall
        asked.append(wait)
        return fs.answer(429, b'{"error":"slow down"}', [("Retry-After", value)])

    with fs.serve(app(COPPER), rule, "/next") as (url, faults):
        code, report, err = run_cli(COPPER, url, tmp_path, capsys)
    assert code == 0, err
    assert len(asked) > 50
    waited = sum(fake_clock["slept"])
    assert sum(asked) <= waited <= sum(asked) + 2 * max(asked)  # the waits asked, and at most one pacing guess
    assert report["waited_s"] == pytest.approx(waited, abs=0.01)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_waiting_is_shown_on_the_progress_line(monkeypatch, fake_clock):
    from conformance.run.runner import RunRequest, run

    fake = _Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    rule = lambda n, m, t: fs.answer(429, b"{}", [("Retry-After", "2")]) if n == 2 else None  # noqa: E731
    with fs.serve(app(COPPER), rule, "/next") as (url, _):
        report = run(RunRequest(vendor="copper", base_url=url, api_key=KEY, max_examples=2,
                                checks=["missing_key_is_refused"]))
    assert "waiting 2.0 s (429 Retry-After)" in fake.getvalue()
    assert report.waited_s == 2.0


@pytest.mark.parametrize(("value", "expected"), [
    ("12", 12.0), (" 7 ", 7.0), ("1.5", 1.5), ("0", 0.0),
    ("²", None), ("-5", None), ("1e3", None), ("soon", None), ("", None), (None, None), ("١٢", None),
    ("Mon, 99 Foo 2015 99:99:99 GMT", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
])
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, NOW) == expected


def test_parse_retry_after_reads_http_dates_and_huge_values():
    assert parse_retry_after(email.utils.formatdate(NOW + 30, usegmt=True), NOW) == pytest.approx(30.0)
    assert parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", NOW) > 1e10
    assert parse_retry_after("9" * 400, NOW) is None or parse_retry_after("9" * 400, NOW) > 1e300


@pytest.mark.parametrize("value", ["²", "-5", "Mon, 99 Foo"])
def test_a_garbage_retry_after_is_treated_as_absent(value, tmp_path, capsys, fake_clock):
    rule = lambda n, m, t: fs.answer(429, b"{}", [("Retry-After", value)]) if n == 2 else None  # noqa: E731
    with fs.serve(app(COPPER), rule, "/next") as (url, _):
        code, report, err = run_cli(COPPER, url, tmp_path, capsys, "--check", "missing_key_is_refused")
    assert code == 0, err
    assert fake_clock["slept"][:1] == [0.5]  # the backoff, as if there were no header


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("value", ["86400", "99999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_a_retry_after_beyond_the_cap_ends_the_run(status, value, tmp_path, capsys, fake_clock):
    rule = lambda n, m, t: fs.answer(status, b"{}", [("Retry-After", value)]) if n >= 3 else None  # noqa: E731
    with fs.serve(app(COPPER), rule, "/next") as (url, faults):
        code, report, err = run_cli(COPPER, url, tmp_path, capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert f"{status} with Retry-After of" in err and "is too long (over --max-retry-after 60 s)" in err
    assert faults.count == 3 and fake_clock["slept"] == []  # ended at once: no wait, no retry
    assert report["fatal"] in err


def test_retries_come_from_one_run_wide_budget(fake_clock):
    with fs.serve(app(COPPER), lambda n, m, t: fs.answer(502, b"<html>bad gateway</html>", content_type="text/html"),
                  "/next") as (url, faults):
        client = Client(url, COPPER, KEY, ClientOptions(retry_budget=2))
        assert client.request("GET", "/tickets").status == 502
        assert client.request("GET", "/tickets").status == 502
    assert faults.count == 3 + 1 and client.retries == 2


def test_auto_pacing_learns_a_rate_limit_and_stops_tripping_it(fake_clock):
    accepted: list[float] = []

    def rule(n, method, target):  # one request per second, else 429 asking for the rest of the second
        now = fake_clock["mono"]
        if accepted and now - accepted[-1] < 1.0:
            return fs.answer(429, b"{}", [("Retry-After", f"{1.0 - (now - accepted[-1]):.3f}")])
        accepted.append(now)
        return None

    with fs.serve(app(COPPER), rule, "/next") as (url, faults):
        client = Client(url, COPPER, KEY, ClientOptions(adaptive_pacing=True))
        for _ in range(30):
            assert client.request("GET", "/tickets").status == 200
    limited = faults.count - 30
    assert limited <= 4, limited  # two 429s to learn the pattern, then paced under the limit
    assert client.waited_s == pytest.approx(sum(fake_clock["slept"]))


# -- 6. bounded walks ---------------------------------------------------------------------------------
def _opine_ignoring_offset(inner):
    """Opine that answers every offset with the first page and claims a million tickets."""
    def wrapped(environ, start_response):
        if environ["PATH_INFO"] == "/v1/tickets" and environ["REQUEST_METHOD"] == "GET":
            pairs = [(k, v) for k, v in parse_qsl(environ.get("QUERY_STRING", "")) if k != "offset"]
            environ = {**environ, "QUERY_STRING": urlencode(pairs)}
            captured = {}
            body = b"".join(inner(environ, lambda s, h, e=None: captured.update(s=s, h=h)))
            if captured["s"].startswith("200"):
                data = json.loads(body)
                data["totalCount"] = 1_000_000
                body = json.dumps(data).encode()
            start_response(captured["s"], [(k, v) for k, v in captured["h"] if k.lower() != "content-length"])
            return [body]
        return inner(environ, start_response)
    return wrapped


def test_an_opine_api_ignoring_offset_is_one_clear_failure_not_a_crawl(tmp_path, capsys, fake_clock):
    with fs.serve(_opine_ignoring_offset(app(OPINE)), prefix="/v1") as (url, faults):
        code, report, err = run_cli(OPINE, url, tmp_path, capsys)
    assert code == 1, err
    status, message = statuses(report)["offset_walk_is_complete_and_stable"]
    assert status == "failed" and "repeated page 1" in message and "ignores the paging parameter" in message
    assert faults.count < 300, faults.count


def _copper_endless(inner):
    """Copper whose unfiltered list never ends: has_more always true, every later page fresh tickets."""
    counter = {"n": 0}

    def wrapped(environ, start_response):
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        unfiltered = environ["PATH_INFO"] == "/next/tickets" and not query.keys() - {"starting_after", "limit"}
        if unfiltered and "starting_after" not in query:
            captured = {}
            first = json.loads(b"".join(inner(environ, lambda s, h, e=None: captured.update(s=s, h=h))))
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({**first, "has_more": True}).encode()]
        if unfiltered:
            captured = {}
            first = json.loads(b"".join(inner({**environ, "QUERY_STRING": "limit=1"},
                                              lambda s, h, e=None: captured.update(s=s, h=h))))
            template = first["data"][0]
            items = []
            for _ in range(int(query.get("limit", 10))):
                counter["n"] += 1
                items.append({**template, "id": f"tkt_endless_{counter['n']:06d}"})
            body = json.dumps({**first, "data": items, "has_more": True}).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        return inner(environ, start_response)
    return wrapped


def test_endless_fresh_pages_stop_at_the_walk_cap_with_a_clear_failure(tmp_path, capsys, fake_clock):
    with fs.serve(_copper_endless(app(COPPER)), prefix="/next") as (url, faults):
        code, report, err = run_cli(COPPER, url, tmp_path, capsys, "--check", "walk_reaches_every_ticket",
                                    "--max-walk-pages", "25")
    assert code == 1, err
    status, message = statuses(report)["walk_reaches_every_ticket"]
    assert status == "failed" and "no end after 25 pages (the run-wide cap, --max-walk-pages)" in message
    assert faults.count < 200, faults.count


def _fetcher(pages):
    calls: list[Params] = []

    def fetch(params):
        calls.append(params)
        body = pages(len(calls), dict(params))
        return Exchange("GET", "http://api/v1/tickets?" + urlencode(params), 200, json.dumps(body).encode())
    return fetch, calls


def test_an_offset_walk_stops_when_it_runs_far_past_the_announced_total():
    # Fresh tickets on every page, and a totalCount that keeps growing: the first page said 250.
    fetch, calls = _fetcher(lambda n, p: {"items": [{"id": f"{n}-{i}"} for i in range(100)],
                                          "totalCount": 250 + 100 * (n - 1)})
    walk = walk_offset(fetch, OPINE.paging, 100)
    assert "far past the totalCount of 250 announced on the first page" in walk.stop
    assert len(calls) == 5  # 250 + a margin of 200, then stop


def test_a_cursor_walk_stops_when_a_page_repeats():
    fetch, calls = _fetcher(lambda n, p: {"data": [{"id": f"a{n % 2}"}, {"id": "same"}], "has_more": True})
    walk = walk_cursor(fetch, COPPER.paging, 2)
    assert walk.stop.startswith("page 3 repeated page 1") or "came back twice" in walk.stop
    assert len(calls) <= 3


def test_a_walk_stops_at_the_run_wide_page_cap():
    fetch, calls = _fetcher(lambda n, p: {"data": [{"id": f"t{n}"}], "has_more": True})
    walk = walk_cursor(fetch, COPPER.paging, 1, run_cap=40)
    assert walk.stop.startswith("no end after 40 pages") and len(calls) == 40


def test_page_from_rejects_a_page_that_is_not_a_list():
    fetch, _ = _fetcher(lambda n, p: {"data": "nope"})
    from conformance.model.exchange import BadResponse

    with pytest.raises(BadResponse):
        page_from(fetch(()), (), "data")


# -- 7. the key never reaches stderr --------------------------------------------------------------------
BASIC = base64.b64encode(f"{KEY}:".encode()).decode()


def _lower_escapes(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


SPELLINGS = {
    "raw": KEY,
    "url-encoded": quote(KEY, safe=""),
    "url-encoded lower": _lower_escapes(quote(KEY, safe="")),
    "form-encoded": quote_plus(KEY),
    "json-escaped": KEY.replace("/", "\\/"),
    "basic token": BASIC,
    "basic token url-encoded": quote(BASIC, safe=""),
    "basic token url-encoded lower": _lower_escapes(quote(BASIC, safe="")),
    "basic token json-escaped": BASIC.replace("/", "\\/"),
    "key in base64": base64.b64encode(KEY.encode()).decode().rstrip("="),
}


@pytest.mark.parametrize("name", list(SPELLINGS))
def test_secret_forms_covers_every_spelling(name):
    forms = secret_forms(COPPER, KEY)
    spelled = SPELLINGS[name]
    assert spelled in forms
    assert redact(f"echo: <{spelled}>", forms) == "echo: <<API_KEY>>"
    assert redact(f"echo: <{spelled}>".encode(), forms) == b"echo: <<API_KEY>>"


@pytest.mark.parametrize("name", list(SPELLINGS))
@pytest.mark.parametrize("profile", [COPPER, OPINE], ids=["copper", "opine"])
def test_a_first_answer_echoing_the_key_never_puts_it_on_stderr(name, profile, tmp_path, capsys, fake_clock):
    spelled = SPELLINGS[name]
    page = f"<b>{spelled}</b> is not a valid key".encode()
    with fs.serve(app(profile), lambda n, m, t: fs.answer(200, page, content_type="text/html"),
                  profile.version_prefix) as (url, _):
        code, _, err = run_cli(profile, url, tmp_path, capsys)
    assert code == 2 and "is not a JSON API" in err and "<API_KEY>" in err, err
    assert spelled not in err and KEY not in err


# -- the new options ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "needle"), [
    (["--max-response-bytes", "0"], "--max-response-bytes: must be greater than 0"),
    (["--max-response-bytes", "lots"], "not a byte count"),
    (["--response-timeout", "-1"], "--response-timeout: must be greater than 0"),
    (["--max-duration", "inf"], "--max-duration: not a finite number"),
    (["--max-retry-after", "x"], "--max-retry-after: not a number"),
    (["--max-walk-pages", "0"], "--max-walk-pages: must be at least 1"),
    (["--rate-limit", "fast"], "--rate-limit: not a number"),
    (["--retry-budget", "-1"], "--retry-budget: must not be negative"),
    (["--unresponsive-after", "0"], "--unresponsive-after: must be at least 1"),
])
def test_bad_values_of_the_new_options_are_one_line_exit_2(args, needle, tmp_path, capsys):
    code = main(["run", "--vendor", "copper", "--report-dir", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and err.count("\n") == 1, err


def test_the_new_options_reach_the_client_and_auto_pacing_is_the_live_default():
    from conformance.cli import build_parser
    from conformance.run.runner import RunRequest, options_for

    args = build_parser().parse_args(["run", "--vendor", "copper", "--max-response-bytes", "64KiB",
                                      "--response-timeout", "2.5", "--max-retry-after", "9", "--max-duration", "600",
                                      "--max-walk-pages", "7", "--rate-limit", "auto"])
    assert (args.max_response_bytes, args.response_timeout, args.rate_limit) == (65536, 2.5, "auto")
    run_options, client_options = options_for(RunRequest(vendor="copper", base_url="http://127.0.0.1:1/next",
                                                         max_response_bytes=65536, response_timeout=2.5,
                                                         max_retry_after=9, max_duration=600, max_walk_pages=7))
    assert (client_options.max_response_bytes, client_options.response_timeout, client_options.max_retry_after,
            client_options.max_duration, run_options.max_walk_pages) == (65536, 2.5, 9, 600, 7)
    assert client_options.adaptive_pacing and client_options.rate_limit is None
    args = build_parser().parse_args(["run", "--vendor", "copper", "--retry-budget", "5", "--unresponsive-after", "2"])
    _, client_options = options_for(RunRequest(vendor="copper", retry_budget=args.retry_budget,
                                               unresponsive_after=args.unresponsive_after))
    assert (client_options.retry_budget, client_options.unresponsive_after) == (5, 2)
    _, paced = options_for(RunRequest(vendor="copper", base_url="http://127.0.0.1:1/next", rate_limit=4.0))
    assert paced.rate_limit == 4.0 and not paced.adaptive_pacing
    _, reference = options_for(RunRequest(vendor="copper"))
    assert not reference.adaptive_pacing


# -- slow headers and stalled writes -------------------------------------------------------------------
def test_trickled_headers_are_cut_at_the_response_deadline():
    """One header byte every 20 ms never trips a read timeout: only the whole-answer deadline ends it."""
    with fs.serve(app(COPPER), lambda n, m, t: fs.trickle_headers(0.02), "/next") as (url, faults):
        client = Client(url, COPPER, KEY, ClientOptions(response_timeout=0.3, read_timeout=5, retries=0))
        outcome: list[BaseException] = []

        def ask() -> None:
            try:
                client.request("GET", "/tickets")
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                outcome.append(exc)

        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        asking.join(timeout=10)  # without the deadline the headers would trickle on until the server stops
        assert not asking.is_alive(), "trickled headers held the request past its deadline"
    assert len(outcome) == 1 and isinstance(outcome[0], BrokenResponse), outcome
    assert re.search(r"answer not complete within 0\.3 s \(--response-timeout\)", str(outcome[0]))
    assert faults.count == 1


def test_a_stalled_post_is_not_evaluated_and_never_retried(tmp_path, capsys):
    """A write the API never answers is a transport problem (not evaluated), not a MUST failure of the
    check, and a POST is sent once: retrying it blindly could create the ticket twice."""
    rule = lambda n, method, target: fs.unread_body if method == "POST" else None  # noqa: E731
    with fs.serve(app(OPINE), rule, "/v1") as (url, faults):
        code, report, err = run_cli(OPINE, url, tmp_path, capsys, "--allow-writes", "--response-timeout", "0.5",
                                    "--check", "created_ticket_is_listed")
    posts = [seen for seen in faults.seen if seen[0] == "POST"]
    assert len(posts) == 1
    (status, text), = [statuses(report)[name] for name in statuses(report)]
    assert status == "skipped" and text.startswith("not evaluated: the API did not answer POST /v1/tickets"), text
    assert "not retried: POST is not idempotent" in text
    assert code == 0 and report["summary"]["failed"] == 0


def test_unresponsive_after_ends_a_stalling_run_after_that_many_failures(tmp_path, capsys):
    rule = lambda n, method, target: fs.stall if n > 1 else None  # noqa: E731 - every request after the first
    with fs.serve(app(COPPER), rule, "/next") as (url, faults):
        code, report, err = run_cli(COPPER, url, tmp_path, capsys, "--response-timeout", "0.2",
                                    "--unresponsive-after", "1", "--retry-budget", "0")
    assert code == 2 and "1 transport failures in a row" in report["fatal"], report["fatal"]
    assert faults.count == 2  # the first answer, then one stalled request: no retry, no second try
