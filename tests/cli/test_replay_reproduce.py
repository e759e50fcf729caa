"""A replayed report's curl commands point at the API the recording was made from, never replay.invalid."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from conformance.cli import main
from conformance.profiles import get_profile
from conformance.reference import http
from conformance.reference.mutants import find
from conformance.run.runner import RunRequest, run
from conformance.transport.targets import reference_app

COPPER = get_profile("copper")
CHECK = "limit_below_1_is_rejected"


def _record_failing(cassettes: Path) -> None:
    store = find("copper", "CopperLimitZeroAccepted")()
    with http.start(reference_app(COPPER, store)) as server:
        report = run(RunRequest(vendor="copper", base_url=server.origin + COPPER.version_prefix, api_key=store.api_key,
                                record=True, cassettes=cassettes, checks=[CHECK]))
    assert report.checks[0].status == "failed"


def _replayed_curls(cassettes: Path, out: Path) -> tuple[dict, list[str]]:
    assert main(["run", "--vendor", "copper", "--target", "replay", "--cassettes", str(cassettes),
                 "--report-dir", str(out)]) == 1
    report = json.loads((out / "report.json").read_text())
    return report, [cmd for c in report["checks"] for cmd in c["reproduce"]]


def test_replay_curls_use_the_recorded_host(tmp_path: Path, capsys) -> None:
    _record_failing(tmp_path / "c")
    run_file = tmp_path / "c" / "copper" / "_run.yaml"
    data = yaml.safe_load(run_file.read_text())
    data["recorded_from"] = "https://api.usecopper.example"
    run_file.write_text(yaml.safe_dump(data))
    report, curls = _replayed_curls(tmp_path / "c", tmp_path / "r")
    assert curls and all("replay.invalid" not in cmd for cmd in curls)
    assert all("https://api.usecopper.example/next/tickets" in cmd for cmd in curls)
    assert "replay.invalid" not in capsys.readouterr().out
    assert report["reproduce_base"] == "https://api.usecopper.example/next"


def test_replay_of_a_loopback_recording_uses_a_base_url_placeholder_the_report_explains(tmp_path: Path) -> None:
    _record_failing(tmp_path / "c")
    report, curls = _replayed_curls(tmp_path / "c", tmp_path / "r")
    assert curls and all('"$BASE_URL"' in cmd and "replay.invalid" not in cmd for cmd in curls)
    assert report["reproduce_base"] == "$BASE_URL"
    assert "$BASE_URL" in (tmp_path / "r" / "summary.md").read_text().split("## ")[0]
    assert "$BASE_URL" in (tmp_path / "r" / "report.html").read_text()
