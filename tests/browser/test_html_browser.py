"""The HTML pages as a person sees them: rendered by headless Chromium (Debian's ``chromium``).

CI installs chromium (.ci/run) and these tests must run there: with CI set, a missing browser is a
failure, not a skip. ``--dump-dom`` prints the DOM after the page's scripts ran, so the filter script
of report.html is exercised too (its state comes from the URL fragment).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from conformance.profiles.base import SPECS
from conformance.publish import publish
from conformance.report.model import CheckResult, RunReport
from conformance.report.writers import write_all

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-extensions", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run must install Debian's chromium package")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return binary


def dump_dom(chromium: str, url: str) -> str:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        proc = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip(), proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    report = RunReport(vendor="copper", target="live", base_url="http://127.0.0.1:8082/next", seed=3,
                       started="2026-11-23T20:00:00Z", duration_s=2.5, requests=40, checks=[
                           CheckResult("created_gt_is_exclusive", "created-filter", "MUST", "failed",
                                       "created[gt] returned the boundary ticket",
                                       ["curl -u \"$COPPER_API_KEY:\" 'http://127.0.0.1:8082/next/tickets'"],
                                       expected="t1 excluded", actual="t1 returned"),
                           CheckResult("pages_do_not_overlap", "pagination", "MUST", "passed"),
                           CheckResult("wrong_key_is_refused", "auth", "MUST", "failed", "200",
                                       known={"reason": "vendor bug"}),
                       ])
    directory = write_all(report, tmp_path_factory.mktemp("report"))
    return directory / "report.html"


def _visible_checks(dom: str) -> dict[str, bool]:
    return {m.group(1): "hidden" not in m.group(0)
            for m in re.finditer(r'<details class="check [a-z]+" id="check-([a-z_]+)"[^>]*>', dom)}


def test_report_html_renders_the_failing_check(chromium: str, report_page: Path) -> None:
    dom = dump_dom(chromium, report_page.as_uri())
    assert "FAIL (1 MUST failure)" in dom
    assert _visible_checks(dom) == {"created_gt_is_exclusive": True, "wrong_key_is_refused": True,
                                    "pages_do_not_overlap": True}
    assert "created[gt] returned the boundary ticket" in dom and "t1 returned" in dom
    assert "$COPPER_API_KEY" in dom
    assert '<span id="shown">3</span>' in dom


def test_report_html_filters_run_in_the_browser(chromium: str, report_page: Path) -> None:
    dom = dump_dom(chromium, report_page.as_uri() + "#status=fail")
    assert _visible_checks(dom) == {"created_gt_is_exclusive": True, "wrong_key_is_refused": False,
                                    "pages_do_not_overlap": False}
    assert '<span id="shown">1</span>' in dom
    dom = dump_dom(chromium, report_page.as_uri() + "#family=auth")
    assert _visible_checks(dom)["wrong_key_is_refused"] and not _visible_checks(dom)["created_gt_is_exclusive"]


def test_published_reference_lists_the_operations(chromium: str, tmp_path: Path) -> None:
    assert publish(tmp_path, stream=io.StringIO()) == 0
    for vendor, operations in (("opine", ("listTickets", "createTicket", "updateTicket")),
                               ("copper", ("listTickets", "retrieveTicket"))):
        dom = dump_dom(chromium, (tmp_path / f"{vendor}.html").as_uri())
        for op_id in operations:
            assert f'id="op-{op_id}"' in dom and f'<code class="operation-id">{op_id}</code>' in dom
        version = yaml.safe_load((SPECS / f"{vendor}.openapi.yaml").read_text())["info"]["version"]
        assert "x-unverified" in dom and f'id="version">{version}<' in dom
