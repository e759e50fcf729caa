"""run --workers N and pytest -n N: the same verdicts and requests as a serial run, one budget."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli import main


def _run(tmp_path: Path, vendor: str, *extra: str) -> dict:
    out = tmp_path / "-".join([vendor, *extra]).replace("/", "_")
    code = main(["run", "--vendor", vendor, "--report-dir", str(out), *extra])
    report = json.loads((out / "report.json").read_text())
    report["exit"] = code
    return report


def _verdicts(report: dict) -> dict[str, tuple[str, str]]:
    return {c["name"]: (c["status"], c["message"]) for c in report["checks"]}


@pytest.mark.parametrize("vendor", ["opine", "copper"])
def test_workers_reach_the_serial_verdicts_with_the_same_requests(vendor: str, tmp_path: Path) -> None:
    serial = _run(tmp_path, vendor)
    parallel = _run(tmp_path, vendor, "--workers", "4")
    assert parallel["exit"] == serial["exit"] == 0
    assert _verdicts(parallel) == _verdicts(serial)
    assert [c["name"] for c in parallel["checks"]] == [c["name"] for c in serial["checks"]]  # the run order
    assert parallel["requests"] == serial["requests"]  # observations shared, not repeated per worker


@pytest.mark.parametrize("mutant", ["OpineNullIgnored", "OpineDealsReplaceLinks", "OpineDealSumStale",
                                    "OpineUpdateNotAtomic", "OpineCreateIgnoresLabels"])
def test_write_lanes_reach_the_serial_verdicts_on_a_buggy_api(mutant: str) -> None:
    """The write checks run in lanes side by side (engine.lane_of): each lane writes to its own tickets,
    so a bug found serially is found in parallel, by the same checks. (Not for a bug that depends on the
    order of all writes, like OpineNewestNotListed: which lane's ticket is newest is then a race, and
    so is which checks besides the root cause trip over it.)"""
    from conformance.reference.mutants import mutants
    from conformance.run.runner import RunRequest, run

    bug = next(m for m in mutants("opine") if m.__name__ == mutant)
    serial, parallel = (run(RunRequest(vendor="opine", store=bug(), workers=n)) for n in (1, 8))
    verdicts = [{c.name: c.status for c in r.checks} for r in (serial, parallel)]
    assert verdicts[0][bug.catches] == "failed"
    assert verdicts[1] == verdicts[0]


@pytest.mark.parametrize("budget", [7, 60])
def test_the_request_budget_holds_across_workers(budget: int, tmp_path: Path) -> None:
    report = _run(tmp_path, "copper", "--workers", "8", "--max-requests", str(budget))
    assert report["requests"] <= budget
    assert any("request budget of" in c["message"] for c in report["checks"])


def test_workers_must_be_a_positive_number(capsys) -> None:
    assert main(["run", "--vendor", "copper", "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--workers" in err and "Traceback" not in err


def test_an_xdist_run_of_the_plugin_reaches_the_serial_verdicts(tmp_path: Path) -> None:
    """pytest -n 2: one engine run shared by both xdist workers, verdicts as the serial plugin run."""
    (tmp_path / "conftest.py").write_text("")

    def outcomes(*extra: str) -> dict[str, str]:
        junit = tmp_path / f"junit{len(extra)}.xml"
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--conformance-vendor",
                               "copper", "--conformance-max-examples", "4", f"--junitxml={junit}", *extra],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        import xml.etree.ElementTree as ET

        cases = ET.parse(junit).getroot().iter("testcase")
        return {c.get("name"): ("skipped" if c.find("skipped") is not None else
                                "failed" if c.find("failure") is not None else "passed") for c in cases}

    serial = outcomes()
    assert len(serial) > 30
    assert outcomes("-n", "2") == serial


def test_ctrl_c_with_workers_writes_the_partial_report_and_exits_130(tmp_path: Path) -> None:
    import os
    import signal
    import threading

    from conformance.profiles import get_profile
    from conformance.reference import http
    from conformance.transport.targets import reference_app, reference_store

    copper, key = get_profile("copper"), "sk_test_workers_key_4"
    inner = reference_app(copper, reference_store(copper, tickets=30, api_key=key))
    count, reached, release, lock = [0], threading.Event(), threading.Event(), threading.Lock()

    def slow(environ, start_response):  # from the 25th request on, answers wait until released
        with lock:
            count[0] += 1
            n = count[0]
        if n >= 25:
            reached.set()
            release.wait(timeout=60)
        return inner(environ, start_response)

    with http.start(slow) as server:
        proc = subprocess.Popen([sys.executable, "-m", "conformance.cli", "run", "--vendor", "copper", "--base-url",
                                 server.origin + copper.version_prefix, "--workers", "4", "--max-examples", "2",
                                 "--report-dir", str(tmp_path / "r")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env={**os.environ, "COPPER_API_KEY": key})
        try:
            assert reached.wait(timeout=60), "the run never reached the slow part"
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)  # answers still held: the run must not wait for them
        finally:
            release.set()
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["interrupted"] == "SIGINT"
    unfinished = [c for c in report["checks"] if c["message"] == "not evaluated: interrupted"]
    assert unfinished and all(c["status"] == "skipped" for c in unfinished)


@pytest.mark.parametrize("workers", [1, 4])
def test_a_list_failing_while_the_lanes_deal_tickets_is_a_verdict_not_a_crash(workers: int) -> None:
    from conformance.reference.opine.store import OpineStore
    from conformance.run.runner import RunRequest, run

    class ListBreaksAfterPreflight(OpineStore):
        def list_tickets(self, limit=None, offset=None):
            self.calls = getattr(self, "calls", 0) + 1
            if self.calls > 1:
                raise RuntimeError("the list is down")
            return super().list_tickets(limit, offset)

    report = run(RunRequest(vendor="opine", store=ListBreaksAfterPreflight(), workers=workers,
                            checks=["values_replace_fields", "absent_fields_are_kept"]))
    assert [(c.status, c.suite_error) for c in report.checks] == [("failed", False)] * 2
    assert all("got 500" in c.message for c in report.checks)


@pytest.mark.parametrize("mutant", ["OpineCreateAnswersWithoutId", "OpineCreateStateDefaults", "OpineUnknownIdCreates"])
def test_a_whole_run_against_a_create_bug_ends_within_the_usual_requests(mutant: str) -> None:
    """A create that names no new ticket must not make the suite create again and again (it once did:
    20,000 requests and counting, in a whole run, while the named check alone was quick)."""
    from conformance.reference.mutants import mutants
    from conformance.run.runner import RunRequest, run

    bug = next(m for m in mutants("opine") if m.__name__ == mutant)
    report = run(RunRequest(vendor="opine", store=bug(), workers=4))
    assert report.requests < 600
    assert {c.name: c.status for c in report.checks}[bug.catches] == "failed"
