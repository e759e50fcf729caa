"""Baselines of known vendor deviations: parsing, applying to a report, the CLI and the pytest option."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from conformance import cli
from conformance.report import baseline
from conformance.model.errors import ConfigError
from conformance.report.model import CheckResult, RunReport

ROOT = Path(__file__).resolve().parents[2]
pytest_plugins = ["pytester"]


def make_report() -> RunReport:
    return RunReport(vendor="copper", target="reference", base_url="http://127.0.0.1:1/next", seed=1,
                     started="2026-11-23T20:00:00Z", checks=[
                         CheckResult("missing_key_is_refused", "auth", "MUST", "failed", "expected 401, got 200",
                                     ["curl 'http://127.0.0.1:1/next/tickets'"], expected=401, actual=200),
                         CheckResult("wrong_key_is_refused", "auth", "MUST", "failed", "expected 401, got 200"),
                         CheckResult("list_responses_match_spec", "schema", "MUST", "passed"),
                         CheckResult("retrieve_responses_match_spec", "schema", "MUST", "skipped", "no writes"),
                     ])


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "baseline.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


LISTED = """\
    - check: missing_key_is_refused
      reason: "serves the list without a key"
      link: https://example.invalid/1
      since: 2026-11-23
    - check: list_responses_match_spec
      reason: "was broken, now fixed"
      since: 2026-11-01
    - check: retrieve_responses_match_spec
      reason: "needs writes"
      link: https://example.invalid/2
"""


def test_committed_baselines_load_and_are_empty() -> None:
    for vendor in ("opine", "copper"):
        loaded = baseline.load(ROOT / "baselines" / f"{vendor}.yaml", baseline.catalogue_names(vendor))
        assert loaded.entries == ()


def test_apply_marks_known_fixed_and_not_evaluated(tmp_path: Path) -> None:
    report = make_report()
    assert report.exit_code == 1
    outcome = baseline.apply(report, baseline.load(write(tmp_path, LISTED)))
    known = {c.name: c.known for c in report.checks if c.known}
    assert known == {"missing_key_is_refused": {"reason": "serves the list without a key",
                                                 "link": "https://example.invalid/1", "since": "2026-11-23"}}
    assert [e["check"] for e in outcome["known"]] == ["missing_key_is_refused"]
    assert [e["check"] for e in outcome["fixed"]] == ["list_responses_match_spec"]
    assert [e["check"] for e in outcome["not_evaluated"]] == ["retrieve_responses_match_spec"]
    # The listed failure no longer counts; the unlisted one still fails the run.
    assert report.summary["failed"] == 1 and report.summary["known"] == 1
    assert report.checks[0].status == "failed"
    assert report.exit_code == 1
    assert report.to_json()["baseline"]["file"].endswith("baseline.yaml")


def test_listing_every_failure_makes_the_run_pass(tmp_path: Path) -> None:
    report = make_report()
    path = write(tmp_path, LISTED + """\
    - check: wrong_key_is_refused
      reason: "same bug"
      since: 2026-11-23
    """)
    baseline.apply(report, baseline.load(path))
    assert report.exit_code == 0
    assert report.summary == {"passed": 1, "failed": 0, "skipped": 1, "should": 0, "known": 2, "blocked": 0,
                              "inconclusive": 0,
                              "evaluated": 3, "evaluated_percent": 75.0}


def test_known_should_failure_is_not_also_a_should_finding() -> None:
    result = CheckResult("x", "schema", "SHOULD", "failed", known={"reason": "r"})
    assert not result.is_should_finding


@pytest.mark.parametrize("text, fragment", [
    ("check: [", "not valid YAML at line"),
    ("{check: a}", "expected a list"),
    ("- just a string", "expected a mapping"),
    ("- {reason: r, since: 2026-11-23}", "missing 'check'"),
    ("- {check: wrong_key_is_refused, since: 2026-11-23}", "missing 'reason'"),
    ("- {check: wrong_key_is_refused, reason: r}", "give a 'link' or a 'since'"),
    ("- {check: wrong_key_is_refused, reason: r, since: yesterday}", "'since' is not a date"),
    ("- {check: wrong_key_is_refused, reason: r, since: 2026-11-23, ticket: 5}", "unknown field(s) ticket"),
    ("- {check: no_such_check, reason: r, since: 2026-11-23}", "unknown check 'no_such_check'"),
    ("- {check: wrong_key_is_refused, reason: r, since: 2026-11-23}\n"
     "- {check: wrong_key_is_refused, reason: s, since: 2026-11-23}", "listed twice"),
])
def test_malformed_baselines_are_config_errors(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        baseline.load(write(tmp_path, text), baseline.catalogue_names("copper"))
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_baseline_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read baseline"):
        baseline.load(tmp_path / "missing.yaml")


def test_check_of_another_vendor_is_unknown(tmp_path: Path) -> None:
    # Copper has no writes, so a write check can never run against it.
    text = "- {check: create_responses_match_spec, reason: r, since: 2026-11-23}"
    with pytest.raises(ConfigError, match="unknown check"):
        baseline.load(write(tmp_path, text), baseline.catalogue_names("copper"))


# --- the CLI, with the engine replaced by a fixed report (the checks themselves are tested elsewhere) ---

@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    import conformance.run.runner as runner

    monkeypatch.setattr(runner, "execute", lambda *a, **k: make_report())


def test_cli_baseline_turns_listed_failures_into_known(tmp_path: Path, fake_engine, capsys) -> None:
    path = write(tmp_path, """\
    - {check: missing_key_is_refused, reason: "bug A", since: 2026-11-23}
    - {check: wrong_key_is_refused, reason: "bug B", link: "https://example.invalid/B"}
    - {check: list_responses_match_spec, reason: "old bug", since: 2026-10-01}
    """)
    out = tmp_path / "out"
    code = cli.main(["run", "--vendor", "copper", "--report-dir", str(out), "--baseline", str(path)])
    assert code == 0
    data = json.loads((out / "report.json").read_text())
    assert data["summary"]["failed"] == 0 and data["summary"]["known"] == 2
    assert [e["check"] for e in data["baseline"]["fixed"]] == ["list_responses_match_spec"]
    assert {c["name"]: c.get("known", {}).get("reason") for c in data["checks"]}["wrong_key_is_refused"] == "bug B"
    stdout = capsys.readouterr().out
    assert "2 known, 1 fixed" in stdout and "prune: list_responses_match_spec" in stdout
    summary = (out / "summary.md").read_text()
    assert "Fixed" in summary and "list_responses_match_spec" in summary


def test_cli_baseline_only_covers_listed_checks(tmp_path: Path, fake_engine) -> None:
    path = write(tmp_path, "- {check: missing_key_is_refused, reason: A, since: 2026-11-23}\n")
    out = tmp_path / "out"
    assert cli.main(["run", "--vendor", "copper", "--report-dir", str(out), "--baseline", str(path)]) == 1
    data = json.loads((out / "report.json").read_text())
    assert data["summary"]["failed"] == 1 and data["summary"]["known"] == 1


@pytest.mark.parametrize("text", ["- {check: nope, reason: r, since: 2026-11-23}", "[oops"])
def test_cli_bad_baseline_exits_2_with_one_line(tmp_path: Path, fake_engine, capsys, text: str) -> None:
    path = write(tmp_path, text)
    code = cli.main(["run", "--vendor", "copper", "--report-dir", str(tmp_path / "o"), "--baseline", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("ticket-conformance: ") and "baseline" in err
    fatal = json.loads((tmp_path / "o" / "report.json").read_text())  # exit 2 still says why in a report
    assert "baseline" in fatal["fatal"] and fatal["checks"] == []


def test_cli_match_pins_an_entry_to_one_failure(tmp_path: Path, fake_engine) -> None:
    message = {c.name: c.message for c in make_report().checks}["missing_key_is_refused"]
    pinned = write(tmp_path, f"- {{check: missing_key_is_refused, reason: A, since: 2026-11-23, match: {message[:6]!r}}}\n"
                             "- {check: wrong_key_is_refused, reason: B, since: 2026-11-23, match: 'a different bug'}\n")
    out = tmp_path / "out"
    assert cli.main(["run", "--vendor", "copper", "--report-dir", str(out), "--baseline", str(pinned)]) == 1
    data = json.loads((out / "report.json").read_text())
    assert [e["check"] for e in data["baseline"]["known"]] == ["missing_key_is_refused"]
    assert [e["check"] for e in data["baseline"]["unmatched"]] == ["wrong_key_is_refused"]


def test_cli_baseline_update_and_prune(tmp_path: Path, fake_engine, capsys) -> None:
    path = write(tmp_path, """\
    # team baseline
    - {check: missing_key_is_refused, reason: "bug A, as we wrote it", link: "https://example.invalid/A"}
    - {check: list_responses_match_spec, reason: "old bug", since: 2026-10-01}
    """)
    args = ["run", "--vendor", "copper", "--report-dir", str(tmp_path / "o"), "--baseline", str(path)]
    assert cli.main([*args, "--baseline-update", str(path), "--baseline-prune"]) == 1  # the run before the update
    text = path.read_text()
    assert text.startswith("# team baseline\n")
    entries = baseline.load(path, baseline.catalogue_names("copper")).entries
    assert {e.check for e in entries} == {"missing_key_is_refused", "wrong_key_is_refused"}  # fixed one pruned
    assert [e.reason for e in entries if e.check == "missing_key_is_refused"] == ["bug A, as we wrote it"]
    assert "pruned 1 fixed entry (list_responses_match_spec)" in capsys.readouterr().out
    # With the updated baseline the same run passes, and a second update adds nothing.
    assert cli.main([*args, "--report-dir", str(tmp_path / "o2"), "--baseline-update", str(path)]) == 0
    assert path.read_text() == text


def test_cli_baseline_prune_needs_a_baseline(tmp_path: Path, fake_engine, capsys) -> None:
    assert cli.main(["run", "--vendor", "copper", "--report-dir", str(tmp_path), "--baseline-prune"]) == 2
    assert "--baseline-prune needs --baseline" in capsys.readouterr().err


# --- pytest: a listed check is a strict xfail -----------------------------------------------------

PLUGIN_TEST = """
# Conformance items are not pytest Functions (no fixtures): replace the engine session at import
# (the inner pytest runs in a subprocess, so this does not leak into the outer session).
import conformance.plugin as plugin
from conformance.report.model import CheckResult

RESULTS = {results!r}


class Fake:
    def run_check(self, spec):
        status = RESULTS.get(spec.name, "passed")
        return CheckResult(spec.name, spec.family, spec.level, status, "msg " + status)


_real = plugin._engine_session
plugin._engine_session = lambda config: Fake()


def pytest_unconfigure(config):
    plugin._engine_session = _real
"""


def test_pytest_baseline_agrees_with_the_cli(pytester: pytest.Pytester, tmp_path: Path) -> None:
    results = {"missing_key_is_refused": "failed", "wrong_key_is_refused": "passed",
               "list_responses_match_spec": "failed"}
    pytester.makeconftest(PLUGIN_TEST.format(results=results))
    path = write(tmp_path, """\
    - {check: missing_key_is_refused, reason: "bug A", since: 2026-11-23, match: "^msg fail"}
    - {check: wrong_key_is_refused, reason: "bug B", since: 2026-11-23}
    - {check: list_responses_match_spec, reason: "bug C", since: 2026-11-23, match: "another failure"}
    """)
    only = [arg for name in [*results, "retrieve_responses_match_spec"] for arg in ("--conformance-check", name)]
    outcome = pytester.runpytest("-p", "no:cacheprovider", "--conformance-vendor", "copper",
                                 "--conformance-baseline", str(path), "-rxX", *only)
    # missing_key: listed + failing as pinned -> xfail; wrong_key: listed + passing -> fixed: passes with a
    # warning to prune (as in the CLI, never a failure); list_responses: listed, but failing otherwise than
    # pinned -> failure; retrieve: unlisted + passing -> pass.
    outcome.assert_outcomes(passed=2, failed=1, xfailed=1, warnings=1)
    text = outcome.stdout.str()
    assert "prune" in text and "bug A" in text and "list_responses_match_spec" in text


def test_inner_pytest_runs_leave_the_plugin_alone() -> None:
    import conformance.plugin as plugin

    assert plugin._engine_session.__module__ == "conformance.plugin"


def test_pytest_bad_baseline_is_a_usage_error(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makeconftest(PLUGIN_TEST.format(results={}))
    path = write(tmp_path, "- {check: nope, reason: r, since: 2026-11-23}\n")
    outcome = pytester.runpytest("-p", "no:cacheprovider", "--conformance-vendor", "copper",
                                 "--conformance-baseline", str(path))
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown check 'nope'" in outcome.stderr.str()
