"""Every `ticket-conformance` command in docs/ci.md runs as written: the nightly record against a served
reference server standing in for the vendor, the diff into the job summary, and the offline replay."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ci.md"


def recipe_commands() -> list[str]:
    """The `ticket-conformance ...` lines of docs/ci.md's fenced blocks, each once, in order of appearance."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    seen: list[str] = []
    for block in blocks:
        for line in block.splitlines():
            line = re.sub(r"^\s*(- )?", "", line).strip()
            if line.startswith("ticket-conformance ") and line not in seen:
                seen.append(line)
    return seen


def test_the_recipe_has_a_record_a_diff_and_a_replay() -> None:
    kinds = [c.split()[1] + (" --record" if "--record" in c else "") + (" replay" if "replay" in c else "")
             for c in recipe_commands()]
    assert list(dict.fromkeys(kinds)) == ["run --record", "diff", "run replay"], recipe_commands()


def test_every_recipe_command_runs(tmp_path: Path) -> None:
    key = "sk_test_ci_recipe_secret"
    env = {**os.environ, "COPPER_API_KEY": key, "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    shutil.copytree(ROOT / "baselines", tmp_path / "baselines")
    server = subprocess.Popen([sys.executable, "-m", "conformance.cli", "serve", "copper", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        env["COPPER_BASE_URL"] = server.stdout.readline().split()[-1] + "/next"
        for command in recipe_commands():
            if command.startswith("ticket-conformance diff"):  # last night's report: tonight's, for the test
                shutil.copytree(tmp_path / "reports" / "tonight", tmp_path / "last" / "reports" / "tonight",
                                dirs_exist_ok=True)
            done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, (command, done.stdout, done.stderr)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    assert "unchanged" in (tmp_path / "summary.md").read_text(encoding="utf-8").lower()
    assert (tmp_path / "diff.md").exists()
    assert (tmp_path / "reports" / "replay" / "report.json").exists()
    assert not any(key in p.read_text(errors="ignore") for p in tmp_path.rglob("*") if p.is_file())
