"""The shipped cassettes replay, with the same verdicts, under the oldest and the newest Hypothesis,
Schemathesis and vcrpy that pyproject.toml allows (``scripts/replay-across-versions``: one virtualenv
in a temporary directory, packages from the configured index; about two minutes).

Without a package index the test is skipped, except under ``CI=true``, where it must run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "replay-across-versions"


@pytest.mark.versions
def test_shipped_cassettes_replay_under_the_oldest_and_newest_allowed_versions():
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    out = proc.stdout + proc.stderr
    if proc.returncode == 2 and "cannot install" in proc.stderr and os.environ.get("CI") != "true":
        pytest.skip(f"no package index to install other versions from: {proc.stderr.strip()[-300:]}")
    assert proc.returncode == 0, out
    assert "oldest: hypothesis" in out and "newest: hypothesis" in out
    assert out.count("exit 0") == 4 and "hostile cassette: refused, nothing ran" in out
