"""One escaping rule per medium (conformance/report/escape.py), and every report medium using it."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conformance.model.errors import ConfigError
from conformance.report import escape
from conformance.report.html import JS, report_html
from conformance.report.model import CheckResult, RunReport
from conformance.report.writers import junit_xml, summary_md, write_all

HOSTILE = "t1\x1b[2J\x1b]8;;http://evil/\x07\n::error title=pwned::owned\r\u202eevil\ud800 <img src=http://x/a.png>"


def hostile_report() -> RunReport:
    return RunReport(vendor="copper", target="live", base_url="http://127.0.0.1:1/next", seed=1, started="s", checks=[
        CheckResult("created_gt_is_exclusive", "created-filter", "MUST", "failed", HOSTILE,
                    [f"curl 'http://127.0.0.1:1/next/tickets/{HOSTILE}'"], expected=HOSTILE, actual=[HOSTILE]),
        CheckResult("listing_answers", "schema", "MUST", "skipped", "![x](http://evil/x.png) [click](http://evil) "
                    "<img src=http://evil/y> | pipe"),
        CheckResult("wrong_key_is_refused", "auth", "MUST", "failed", "bug",
                    known={"reason": "r", "link": "javascript:alert(1)"}),
    ])


def _no_raw_controls(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text and "\u202e" not in text
    assert not any(line.lstrip().startswith("::") for line in text.splitlines())


def test_visible_escapes_controls_bidi_surrogates_and_workflow_commands() -> None:
    shown = escape.visible(HOSTILE)
    _no_raw_controls(shown)
    assert "\\x1b[2J" in shown and "\\u202e" in shown and "\\ud800" in shown and "\\x3a:error" in shown
    assert "\n" not in escape.visible("a\nb", one_line=True)
    assert escape.visible("  ::warning::x") == "  \\x3a:warning::x"
    assert escape.visible("plain text: fine") == "plain text: fine"


def test_markdown_cell_renders_no_markup() -> None:
    cell = escape.markdown_cell("![x](http://e/x.png) <img src=x> a|b `tick`")
    assert cell.startswith("`` ") and cell.endswith(" ``") and "\\|" in cell and "\n" not in cell


def test_safe_link_allows_only_http_and_https() -> None:
    assert escape.safe_link("https://tracker.example/1") == "https://tracker.example/1"
    for bad in ("javascript:alert(1)", "data:text/html,x", "//evil", "http://a b", "ftp://x/y", "", None):
        assert escape.safe_link(bad) is None


def test_encodable_keeps_a_lone_surrogate_as_a_json_escape() -> None:
    data = escape.encodable(json.dumps({"id": "a\ud800"}, ensure_ascii=False))
    assert json.loads(data.decode("utf-8")) == {"id": "a\ud800"}


def test_every_medium_escapes_api_text(tmp_path: Path) -> None:
    report = hostile_report()
    write_all(report, tmp_path)  # a lone surrogate never destroys a report
    for name in ("report.json", "junit.xml", "summary.md", "report.html"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        _no_raw_controls(text)
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["checks"][0]["message"] == HOSTILE
    ET.fromstring(junit_xml(report).split("\n", 1)[1])
    md = summary_md(report)
    prose = re.sub(r"(?ms)^(`{3,})[a-z]*\n.*?^\1$", "", md)  # fenced blocks render nothing
    prose = re.sub(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", "", prose)  # nor do code spans
    assert "<img" not in prose and "![" not in prose and "](" not in prose and "javascript:" not in prose
    table = [line for line in md.splitlines() if line.startswith("| `listing_answers`")][0]
    assert "<img src=http://evil/y>" in table and table.count("``") == 0 and "\\| pipe" in table
    page = report_html(report)
    assert 'href="javascript:' not in page and "<img src=http" not in page


def test_html_csp_allows_only_the_suites_own_script() -> None:
    page = report_html(hostile_report())
    csp = re.search(r'Content-Security-Policy" content="([^"]*)"', page).group(1)
    digest = base64.b64encode(hashlib.sha256(JS.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    assert page.count("<script>") == 1 and f"<script>{JS}</script>" in page


def test_reports_are_not_written_through_symlinks(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "linkdir").symlink_to(elsewhere)
    with pytest.raises(ConfigError, match="symbolic link"):
        write_all(hostile_report(), tmp_path / "linkdir")
    real = tmp_path / "real"
    real.mkdir()
    (real / "summary.md").symlink_to(elsewhere / "planted")
    with pytest.raises(ConfigError, match="symbolic link"):
        write_all(hostile_report(), real)
    assert not (elsewhere / "planted").exists() and list(elsewhere.iterdir()) == []


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_all(hostile_report(), tmp_path)
    before = (tmp_path / "report.html").read_bytes()
    import conformance.report.writers as writers

    monkeypatch.setattr(writers, "report_html", lambda _r: "x" * 10 + "\ud800" * 3)
    real_replace = writers.os.replace

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writers.os, "replace", failing_replace)
    with pytest.raises(ConfigError, match="No space left"):
        write_all(hostile_report(), tmp_path)
    monkeypatch.setattr(writers.os, "replace", real_replace)
    assert (tmp_path / "report.html").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_report_dir_that_is_a_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        write_all(hostile_report(), tmp_path / "file")


def test_progress_in_a_ci_log_is_one_line_every_15_seconds_and_escaped() -> None:
    import io

    from conformance.run.engine import ProgressLine

    now = {"t": 100.0}
    out = io.StringIO()
    progress = ProgressLine(out, clock=lambda: now["t"], tty=False)
    for t in (100.0, 105.0, 116.0, 120.0, 131.5):
        now["t"] = t
        progress(f"[3/38] walk_reaches_every_ticket ({int(t)} requests so far)\x1b[2J")
    lines = out.getvalue().splitlines()
    assert lines == ["progress: [3/38] walk_reaches_every_ticket (116 requests so far)\\x1b[2J",
                     "progress: [3/38] walk_reaches_every_ticket (131 requests so far)\\x1b[2J"]


def test_progress_on_a_terminal_is_one_live_line() -> None:
    import io

    from conformance.run.engine import ProgressLine

    out = io.StringIO()
    progress = ProgressLine(out, clock=lambda: 0.0, tty=True)
    progress("[1/2] a (0 requests so far)")
    progress("[2/2] b (5 requests so far)")
    progress.done()
    assert out.getvalue() == "\r\x1b[K[1/2] a (0 requests so far)\r\x1b[K[2/2] b (5 requests so far)\r\x1b[K"


def test_diff_output_escapes_api_text(tmp_path: Path) -> None:
    from conformance.report.diff import run_diff

    old = tmp_path / "old"
    write_all(RunReport(vendor="copper", target="live", base_url="u", seed=1, started="s", checks=[
        CheckResult("created_gt_is_exclusive", "created-filter", "MUST", "passed")]), old)
    write_all(hostile_report(), tmp_path / "new")
    text, code = run_diff(str(old), str(tmp_path / "new"))
    assert code == 1
    _no_raw_controls(text)
