"""The published API reference allows only its own script, by hash (as report.html does)."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from pathlib import Path

from conformance.publish import publish


def test_the_published_page_allows_only_its_own_script_by_hash(tmp_path: Path) -> None:
    assert publish(tmp_path, stream=io.StringIO()) == 0
    page = (tmp_path / "copper.html").read_text(encoding="utf-8")
    csp = re.search(r'Content-Security-Policy" content="([^"]*)"', page).group(1)
    script_src = re.search(r"script-src ([^;]*)", csp).group(1).strip()
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert "unsafe-inline" not in script_src and len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode("ascii")
    assert script_src == f"'sha256-{digest}'"
