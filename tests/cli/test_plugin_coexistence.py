"""Installing ticket-conformance changes no other project's pytest run, next to pytest-base-url,
pytest-recording and pytest-xdist (the test extra installs them); asked for, it collects one item per check
with node ids and JUnit names like ``copper::created_gt_is_exclusive``."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

UNRELATED = '''
def test_uses_base_url(base_url):
    assert base_url == "http://example.invalid"


def test_plain():
    assert 1 + 1 == 2
'''


def _pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for plugin in ("pytest_base_url", "pytest_recording", "xdist"):
        pytest.importorskip(plugin, reason="install the test extra: pip install -e '.[test]'")
    (tmp_path / "test_unrelated.py").write_text(UNRELATED, encoding="utf-8")
    return tmp_path


def test_an_unrelated_project_is_untouched(project: Path) -> None:
    done = _pytest(project, "-v", "--base-url", "http://example.invalid", "--strict-markers", "-n", "2")
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    mentions = [line for line in out.splitlines() if "conformance" in line and not line.startswith("plugins:")]
    assert "2 passed" in done.stdout and not mentions, mentions  # pytest itself lists installed plugins
    listed = _pytest(project, "--markers")
    assert "created_filter" not in listed.stdout and "ticket-conformance" not in listed.stdout


def test_conformance_next_to_the_other_plugins(project: Path) -> None:
    junit = project / "junit.xml"
    done = _pytest(project, "-v", "--base-url", "http://example.invalid", "--conformance-vendor", "copper",
                   "--conformance-target", "replay", "--conformance-cassettes",
                   str(Path(__file__).resolve().parents[2] / "cassettes"),
                   "--conformance-check", "created_gt_is_exclusive", "--conformance-check", "missing_key_is_refused",
                   f"--junitxml={junit}")
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "collected 4 items" in done.stdout, done.stdout  # 2 unrelated tests + 2 checks
    assert "copper::created_gt_is_exclusive PASSED" in done.stdout and "::copper::" not in done.stdout
    cases = {(c.get("classname"), c.get("name")) for c in ET.parse(junit).iter("testcase")}
    assert ("copper", "created_gt_is_exclusive") in cases and ("test_unrelated", "test_uses_base_url") in cases


def test_collection_counts_every_check(project: Path) -> None:
    from conformance.profiles import get_profile
    from conformance.run.engine import select_checks

    done = _pytest(project, "--collect-only", "-q", "--conformance-vendor", "opine", "test_unrelated.py::test_plain")
    assert done.returncode == 0, done.stdout + done.stderr
    expected = len(select_checks(get_profile("opine")))
    assert f"{expected + 1} tests collected" in done.stdout, done.stdout
    assert "opine::list_responses_match_spec" in done.stdout.splitlines()
