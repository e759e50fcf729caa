"""Record and replay: a recording replays to the same verdicts, with no network, and a miss is exit 2.

(a) record from a reference server into a temporary directory, replay, compare verdicts;
(b) a replay that needs a request the cassette lacks exits 2 naming the request and the cassette;
(c) the shipped cassettes/ replay (as a user would, from the repository root) to the verdicts of a
    reference run. When (c) fails because a check changed, re-record: ``scripts/record-cassettes``.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from conformance.cli import main
from conformance.run.engine import select_checks
from conformance.profiles import get_profile
from conformance.run.runner import RunRequest, run
from conformance.run.recording import record_reference
from conformance.transport.cassettes import RUN_FILE

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "cassettes"
EXAMPLES = 3


def subset(vendor: str) -> list[str]:
    """A small cross-section that stays meaningful as checks are added: the first check of each
    family, plus the stateful ones (a model in the name), plus one that writes if the API has writes."""
    checks = select_checks(get_profile(vendor))
    chosen: dict[str, str] = {}
    for c in checks:
        chosen.setdefault(c.family, c.name)
    names = set(chosen.values()) | {c.name for c in checks if "model" in c.name}
    names |= {c.name for c in checks if "writes" in c.requires and c.family == "consistency"}
    return [c.name for c in checks if c.name in names]


def verdicts(report) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


@contextmanager
def offline() -> Iterator[list[object]]:
    """Any socket connection inside the block is refused and noted: a replay must not reach a network."""
    attempts: list[object] = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError(f"replay tried to connect to {address!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        yield attempts


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """One small recording per vendor, from a fresh reference server, shared by (a) and (b)."""
    made: dict[str, tuple[Path, object]] = {}

    def get(vendor: str):
        if vendor not in made:
            where = tmp_path_factory.mktemp(f"cassettes-{vendor}")
            report = record_reference(vendor, where, max_examples=EXAMPLES, checks=subset(vendor),
                                      report_dir=where / "report")
            made[vendor] = (where, report)
        return made[vendor]

    return get


# -- (a) record then replay ---------------------------------------------------------------------------
@pytest.mark.parametrize("vendor", ["copper", "opine"])
def test_record_then_replay_gives_identical_verdicts(vendor, recordings, tmp_path):
    where, recorded = recordings(vendor)
    assert recorded.target == "live" and recorded.checks
    run_file = yaml.safe_load((where / vendor / RUN_FILE).read_text())
    assert run_file["complete"] and run_file["checks"] == [c.name for c in recorded.checks]
    for name in run_file["checks"]:  # one cassette per check that sent requests, named after the check
        requests = next(c.requests for c in recorded.checks if c.name == name)
        assert (where / vendor / f"{name}.yaml").exists() == (requests > 0), name
    assert (where / vendor / "_preflight.yaml").exists()

    with offline() as attempts:
        replayed = run(RunRequest(vendor=vendor, target="replay", cassettes=where, max_examples=EXAMPLES),
                       report_dir=tmp_path / "replay")
    assert not attempts
    assert verdicts(replayed) == verdicts(recorded)
    assert replayed.requests == recorded.requests
    assert replayed.target == "replay" and replayed.base_url.startswith("http://replay.invalid/")


@pytest.mark.parametrize("vendor", ["copper", "opine"])
def test_each_check_replays_on_its_own(vendor, recordings):
    """A cassette holds everything its check needs, so `--check X` (or `pytest -k X`) replays alone."""
    where, recorded = recordings(vendor)
    for name in (recorded.checks[-1].name, recorded.checks[len(recorded.checks) // 2].name):
        with offline() as attempts:
            alone = run(RunRequest(vendor=vendor, target="replay", cassettes=where, max_examples=EXAMPLES,
                                   checks=[name]))
        assert verdicts(alone) == {name: verdicts(recorded)[name]} and not attempts


def test_two_runs_with_one_seed_send_the_same_requests(tmp_path):
    """Generation depends on the seed alone (Hypothesis and Schemathesis draws included)."""
    from conformance.transport import client as client_module

    def sequence() -> list[str]:
        sent: list[str] = []
        original = client_module.Client._exchange

        def spy(self, method, url, response, body, auth, *rest):
            sent.append(f"{method} {url.split('/', 3)[-1]} {json.dumps(body, sort_keys=True)} {auth}")
            return original(self, method, url, response, body, auth, *rest)

        client_module.Client._exchange = spy
        try:
            run(RunRequest(vendor="copper", max_examples=EXAMPLES, checks=drawn))
        finally:
            client_module.Client._exchange = original
        return sent

    drawn = [c.name for c in select_checks(get_profile("copper")) if c.family == "schema"
             or "model" in c.name][:2]  # Schemathesis and a state machine: the generated requests
    first = sequence()
    import conformance.reference.opine  # noqa: F401 - loading more modules must not change what is drawn
    assert sequence() == first and len(first) > 10


# -- (b) a replay miss ----------------------------------------------------------------------------------
def _drop_last_interaction(cassette: Path) -> dict:
    data = yaml.load(cassette.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    dropped = data["interactions"].pop()
    cassette.write_text(yaml.safe_dump(data), encoding="utf-8")
    return dropped["request"]


def test_a_replay_miss_exits_2_naming_the_request_and_the_cassette(recordings, tmp_path, capsys):
    where, recorded = recordings("copper")
    name = next(c.name for c in recorded.checks if c.requests > 1)
    copy = tmp_path / "cassettes"
    copy.mkdir()
    (copy / "copper").mkdir()
    for f in (where / "copper").glob("*.yaml"):
        (copy / "copper" / f.name).write_bytes(f.read_bytes())
    cassette = copy / "copper" / f"{name}.yaml"
    missing = _drop_last_interaction(cassette)

    code = main(["run", "--vendor", "copper", "--target", "replay", "--cassettes", str(copy), "--check", name,
                 "--max-examples", str(EXAMPLES), "--report-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    path_and_query = missing["uri"].split("/", 3)[-1]
    assert f"{missing['method']} http://replay.invalid/{path_and_query}" in err
    assert str(cassette) in err and "re-record" in err


def test_a_check_without_a_cassette_exits_2(recordings, tmp_path, capsys):
    where, recorded = recordings("copper")
    name = next(c.name for c in recorded.checks if c.requests)
    copy = tmp_path / "cassettes" / "copper"
    copy.mkdir(parents=True)
    for f in (where / "copper").glob("*.yaml"):
        if f.name != f"{name}.yaml":
            (copy / f.name).write_bytes(f.read_bytes())
    code = main(["run", "--vendor", "copper", "--target", "replay", "--cassettes", str(copy.parent),
                 "--check", name, "--max-examples", str(EXAMPLES), "--report-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert str(copy / f"{name}.yaml") in err and "does not exist" in err


def test_an_interrupted_recording_does_not_replay(tmp_path, capsys, monkeypatch):
    from conformance.transport import client as client_module

    monkeypatch.setattr(client_module, "_sleep", lambda seconds: None)  # no real backoff before giving up
    code = main(["run", "--vendor", "copper", "--base-url", "http://127.0.0.1:9/next", "--api-key", "sk_test_x1",
                 "--record", "--cassettes", str(tmp_path), "--report-dir", str(tmp_path / "r")])
    # An unfinished recording is never kept (it is written aside and only a completed run replaces
    # the previous one), so there is nothing to replay by mistake.
    assert code == 2 and not (tmp_path / "copper").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "r"] == []
    capsys.readouterr()
    code = main(["run", "--vendor", "copper", "--target", "replay", "--cassettes", str(tmp_path),
                 "--report-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "no cassettes for copper" in err and err.count("\n") == 1


@pytest.mark.parametrize(("args", "needle"), [
    (["--cassettes", "{tmp}/nowhere"], "no cassettes for copper"),
    (["--cassettes", "{rec}", "--seed", "7"], "recorded with --seed 1"),
    (["--cassettes", "{rec}", "--base-url", "http://127.0.0.1:9/next"], "--base-url is for live runs"),
])
def test_replay_usage_errors_exit_2(args, needle, recordings, tmp_path, capsys):
    where, _ = recordings("copper")
    args = [a.format(tmp=tmp_path, rec=where) for a in args]
    code = main(["run", "--vendor", "copper", "--target", "replay", "--max-examples", str(EXAMPLES), *args,
                 "--report-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and needle in err, err


def test_pytest_replay_runs_the_checks_from_cassettes(recordings, pytester, monkeypatch):
    where, recorded = recordings("copper")
    monkeypatch.delenv("COPPER_API_KEY", raising=False)
    result = pytester.runpytest("-p", "no:cacheprovider", "--conformance-vendor", "copper", "--conformance-target", "replay",
                                "--conformance-cassettes", str(where), "--conformance-max-examples", str(EXAMPLES))
    passed = sum(c.status == "passed" for c in recorded.checks)
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=passed, skipped=len(recorded.checks) - passed)


def test_pytest_replay_miss_ends_the_session_with_exit_2(recordings, pytester, tmp_path):
    where, recorded = recordings("copper")
    name = next(c.name for c in recorded.checks if c.requests)
    (tmp_path / "c" / "copper").mkdir(parents=True)
    for f in (where / "copper").glob("*.yaml"):
        if f.name != f"{name}.yaml":
            (tmp_path / "c" / "copper" / f.name).write_bytes(f.read_bytes())
    result = pytester.runpytest("-p", "no:cacheprovider", "--conformance-vendor", "copper", "--conformance-target", "replay",
                                "--conformance-cassettes", str(tmp_path / "c"), "--conformance-max-examples", str(EXAMPLES),
                                "--conformance-check", name)
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 2 and "replay miss" in out and f"{name}.yaml" in out, out


# -- (c) the shipped cassettes ----------------------------------------------------------------------------
STALE = "the shipped cassettes are stale (a check changed or was added): re-record with scripts/record-cassettes"


@pytest.mark.skipif(not (SHIPPED / "copper" / RUN_FILE).exists(), reason="no shipped cassettes for copper")
def test_shipped_copper_cassettes_replay_offline_from_the_command_line(clean_reports, tmp_path):
    """Exactly what a pull-request CI job runs: no key, no network, from the repository root."""
    env = {k: v for k, v in os.environ.items() if k not in ("COPPER_API_KEY", "OPINE_API_KEY")}
    env["http_proxy"] = env["https_proxy"] = "http://127.0.0.1:9"  # a proxy that is never there
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--vendor", "copper", "--target", "replay",
                           "--report-dir", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 1), f"{STALE}\n{proc.stderr}"
    replayed = json.loads((tmp_path / "report.json").read_text())
    assert replayed["target"] == "replay"
    assert {c["name"]: c["status"] for c in replayed["checks"]} == verdicts(clean_reports("copper")), STALE


@pytest.mark.skipif(not (SHIPPED / "opine" / RUN_FILE).exists(), reason="no shipped cassettes for opine")
def test_shipped_opine_cassettes_replay_to_the_reference_verdicts(clean_reports, tmp_path):
    from conformance.model.errors import ConfigError

    reference = verdicts(clean_reports("opine"))
    try:
        with offline() as attempts:
            replayed = run(RunRequest(vendor="opine", target="replay", cassettes=SHIPPED))
    except ConfigError as exc:
        pytest.fail(f"{STALE}\n{exc}")
    assert verdicts(replayed) == reference, STALE
    assert not attempts
