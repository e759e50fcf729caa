"""Everyday CLI ergonomics: choices in --help, did-you-mean, another vendor's check, checks as JSON,
--version, checks --write relative to the current directory, serve's lines and --list-mutants."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from conformance.cli import main


def _err(capsys, argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def test_help_shows_the_choices(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "{opine,copper}" in out and "{reference,live,replay}" in out


@pytest.mark.parametrize(("argv", "hint"), [
    (["run", "--vendor", "coper"], "did you mean 'copper'?"),
    (["run", "--vendor", "copper", "--max-exampels", "3"], "did you mean '--max-examples'?"),
    (["run", "--vendor", "copper", "--check", "created_gt_is_exclusiv"], "did you mean 'created_gt_is_exclusive'?"),
    (["serve", "opine", "--mutant", "OpineAuthOf"], "did you mean 'OpineAuthOff'?"),
])
def test_did_you_mean(capsys, tmp_path, argv, hint) -> None:
    code, err = _err(capsys, [*argv, *(["--report-dir", str(tmp_path)] if argv[0] == "run" else [])])
    assert code == 2 and hint in err and err.count("\n") == 1, err


def test_another_vendors_check_is_an_error_naming_its_vendor(capsys, tmp_path) -> None:
    code, err = _err(capsys, ["run", "--vendor", "opine", "--check", "created_gt_is_exclusive",
                              "--report-dir", str(tmp_path)])
    assert code == 2 and "does not apply to opine" in err and "check of copper" in err


def test_checks_json_for_one_vendor(capsys) -> None:
    assert main(["checks", "--vendor", "opine", "--format", "json"]) == 0
    checks = json.loads(capsys.readouterr().out)
    names = {c["name"] for c in checks}
    assert "list_responses_match_spec" in names and "created_gt_is_exclusive" not in names
    assert all("opine" in c["vendors"] and c["level"] in ("MUST", "SHOULD") for c in checks)


def test_checks_write_goes_to_the_current_directory_or_out(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["checks", "--write"]) == 0
    assert (tmp_path / "docs" / "checks.md").read_text().startswith("# Checks")
    assert main(["checks", "--write", "--out", "elsewhere/c.md"]) == 0
    assert (tmp_path / "elsewhere" / "c.md").exists()


def test_version_names_package_specs_and_dependencies(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    for word in ("ticket-conformance 0.", "specs: copper 1.", "opine 1.", "hypothesis", "schemathesis", "vcrpy",
                 "pytest"):
        assert word in out, out


def test_serve_list_mutants(capsys) -> None:
    assert main(["serve", "copper", "--list-mutants"]) == 0
    lines = capsys.readouterr().out.splitlines()
    from conformance.reference.mutants import mutants

    assert len(lines) == len(mutants("copper")) and all(len(line.split("\t")) == 3 for line in lines)


def test_serve_prints_one_line_on_stdout_and_the_base_url_and_key_on_stderr() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPINE_API_KEY"}
    proc = subprocess.Popen([sys.executable, "-m", "conformance.cli", "serve", "opine", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:") and line.count("/") == 2, line
        note = proc.stderr.readline()
        assert f"base URL {line.split()[-1]}/v1" in note and "opine-reference-key" in note
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    assert out == ""  # exactly one line on stdout


@pytest.mark.parametrize("argv", [["run", "--vendor", "nope"], ["bogus"], ["checks", "--format", "xml"]])
def test_a_usage_error_names_the_program_once(capsys, argv) -> None:
    code, err = _err(capsys, argv)
    assert code == 2 and err.startswith("ticket-conformance: ") and err.count("ticket-conformance") == 1, err


def test_debug_is_accepted_after_the_subcommand_too(capsys, monkeypatch) -> None:
    import conformance.report.catalogue as catalogue

    monkeypatch.setattr(catalogue, "render", lambda vendor: 1 / 0)  # an internal error, to see the traceback
    for argv in (["--debug", "checks"], ["checks", "--debug"]):
        code, err = _err(capsys, argv)
        assert code == 3 and "Traceback" in err and "ZeroDivisionError" in err, (argv, err)
    code, err = _err(capsys, ["checks"])
    assert code == 3 and "Traceback" not in err


def test_a_closed_pipe_is_a_quiet_exit_0() -> None:
    """`ticket-conformance checks | head -1`: the reader went away before the output was written."""
    listing = subprocess.Popen([sys.executable, "-m", "conformance.cli", "checks"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    listing.stdout.close()
    err = listing.stderr.read()
    assert listing.wait(timeout=60) == 0 and err == b"", err
