"""The suite run on each foreign server exactly as docs/your-own-api.md and .ci/run do it:
`ticket-conformance run --profile examples/<server>/profile.yaml --base-url URL --baseline ...`.

With the committed baseline the run exits 0: every deviation the baseline lists is found (reported
`known`, none `fixed`), nothing else fails, no check crashes, and most checks reach a verdict. With one
entry removed the run fails (exit 1) naming that check. Each run gets a freshly started server.

The CLI runs in this process with ``ClientOptions.retries`` 0: a loopback server's 5xx is not a blip, and
the default three retries with backoff only add waiting (about 28 s on localstripe) to the same verdicts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conformance.cli import main
from conformance.transport.client import ClientOptions
from foreign_servers import EXAMPLES, start

SERVERS = ["localstripe", "json-server"]
# What each run needs beyond the profile: a key (localstripe takes any sk_ key), and writes.
EXTRA = {"localstripe": ["--api-key", "sk_test_foreign", "--allow-writes"], "json-server": ["--allow-writes"]}
# The least share of the run's checks that must reach a verdict (passed or failed): the rest are
# not applicable by profile option (README.md of each example says which and why).
# localstripe: unix-second bounds (no ISO spellings to check), no second filter to combine, and a charge
# has no title bounds, state, updatedAt, dates, deals or enum fields to write (46 of 68 evaluated).
MIN_EVALUATED = {"localstripe": 65, "json-server": 75}


@pytest.fixture(autouse=True)
def no_retries(monkeypatch):
    monkeypatch.setattr(ClientOptions, "retries", 0)


def run(server: str, base_url: str, report_dir: Path, baseline: Path, *more: str) -> tuple[int, dict]:
    code = main(["run", "--profile", str(EXAMPLES / server / "profile.yaml"), "--base-url", base_url,
                 "--baseline", str(baseline), "--report-dir", str(report_dir), *EXTRA[server], *more])
    return code, json.loads((report_dir / "report.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("server", SERVERS)
def test_the_run_with_the_committed_baseline_passes_and_finds_every_listed_deviation(server, tmp_path, capsys):
    baseline = EXAMPLES / server / "baseline.yaml"
    listed = sorted({entry["check"] for entry in yaml.safe_load(baseline.read_text(encoding="utf-8"))})
    started = start(server)
    try:
        code, report = run(server, started.base_url, tmp_path / "report", baseline)
    finally:
        assert started.stop() == 0
    out = capsys.readouterr().out
    assert code == 0, out[-3000:]
    checks = {c["name"]: c for c in report["checks"]}
    assert not [n for n, c in checks.items() if c.get("suite_error")], "a check crashed"
    assert sorted(n for n, c in checks.items() if c.get("known")) == listed, "each listed deviation must be found"
    assert report["baseline"]["fixed"] == [], "a listed deviation no longer shows: prune the baseline"
    unlisted = [n for n, c in checks.items() if c["status"] == "failed" and not c.get("known")]
    assert unlisted == [], unlisted
    assert report["summary"]["evaluated_percent"] >= MIN_EVALUATED[server], report["summary"]
    assert report["summary"]["passed"] >= 10, "a run where nothing passes proves nothing"


@pytest.mark.parametrize("server", SERVERS)
def test_removing_a_baseline_entry_fails_the_run_naming_that_deviation(server, tmp_path, capsys):
    entries = yaml.safe_load((EXAMPLES / server / "baseline.yaml").read_text(encoding="utf-8"))
    removed, kept = entries[0], entries[1:]
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(yaml.safe_dump(kept, sort_keys=False), encoding="utf-8")
    started = start(server)
    try:
        code, report = run(server, started.base_url, tmp_path / "report", baseline, "--check", removed["check"])
    finally:
        assert started.stop() == 0
    out = capsys.readouterr().out
    assert code == 1, out[-3000:]
    assert f"FAIL {removed['check']} " in out
    assert [c["status"] for c in report["checks"] if c["name"] == removed["check"]] == ["failed"]
