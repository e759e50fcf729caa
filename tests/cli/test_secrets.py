"""No key, in any spelling, lands in a cassette, a report or the console, even when the API echoes it."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from conformance.cli import main
from conformance.run.engine import select_checks
from conformance.profiles import get_profile
from conformance.reference import http
from conformance.transport.targets import reference_app, reference_store
from conformance.transport.client import redact, secret_forms

KEY = "sk_test_SECRET_canary_123"
SPELLINGS = [KEY, base64.b64encode(f"{KEY}:".encode()).decode(), base64.b64encode(KEY.encode()).decode().rstrip("="),
             quote(KEY, safe="")]


def leaky(app, profile):
    """A server that echoes the credential: in a header on every response, in a 500 body on item
    reads, and inside created tickets. Each echo makes a check fail with the key in its evidence."""
    header = profile.auth.secret_headers[0]
    wsgi_header = "HTTP_" + header.upper().replace("-", "_")

    def wrapped(environ, start_response):
        presented = environ.get(wsgi_header, "")
        item_read = environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"].count("/") >= 3
        if presented and KEY in (presented, _basic_user(presented)) and item_read:
            body = f"internal error while serving key {KEY} ({presented})".encode()
            start_response("500 Internal Server Error", [("Content-Type", "text/plain"),
                                                         ("Content-Length", str(len(body))), ("X-Echo", presented)])
            return [body]
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = b"".join(app(environ, capture))
        if environ["REQUEST_METHOD"] == "POST" and captured["status"].startswith("20"):
            try:
                ticket = json.loads(chunks)
                ticket["description"] = f"created with {KEY}"  # a documented field: the read-back differs
                chunks = json.dumps(ticket).encode()
            except ValueError:
                pass
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers += [("Content-Length", str(len(chunks))), ("X-Echo", presented or "-")]
        start_response(captured["status"], headers)
        return [chunks]

    return wrapped


def _basic_user(value: str) -> str:
    try:
        return base64.b64decode(value.split(" ", 1)[1]).decode().split(":", 1)[0]
    except (IndexError, ValueError, UnicodeDecodeError):
        return ""


def _checks(vendor: str) -> list[str]:
    """Every auth check (every kind of credential), the first schema check (Schemathesis requests)
    and the first consistency check (reads items back, or writes: where the echoes surface)."""
    names, families = [], set()
    for c in select_checks(get_profile(vendor)):
        if c.family == "auth" or (c.family in ("schema", "consistency") and c.family not in families):
            families.add(c.family)
            names.append(c.name)
    return names


@pytest.mark.parametrize("vendor", ["copper", "opine"])
def test_no_secret_in_any_artifact(vendor, tmp_path, capsys, monkeypatch):
    profile = get_profile(vendor)
    store = reference_store(profile, api_key=KEY)
    cassettes, reports = tmp_path / "cassettes", tmp_path / "reports"
    with http.start(leaky(reference_app(profile, store), profile)) as server:
        args = ["run", "--vendor", vendor, "--base-url", server.origin + profile.version_prefix, "--allow-writes",
                "--record", "--cassettes", str(cassettes), "--report-dir", str(reports), "--max-examples", "2"]
        if vendor == "copper":
            args += ["--api-key", KEY]
        else:
            monkeypatch.setenv(profile.key_env, KEY)
        for name in _checks(vendor):
            args += ["--check", name]
        code = main(args)
    out, err = capsys.readouterr()
    assert code == 1, out + err  # the echoes make checks fail: their evidence is where a key could leak
    report = json.loads((reports / "report.json").read_text())
    assert report["summary"]["failed"] >= 1

    files = [p for p in [*cassettes.rglob("*"), *reports.rglob("*")] if p.is_file()]
    assert len(files) >= 6
    for path in files:
        text = path.read_bytes()
        for spelling in SPELLINGS:
            assert spelling.encode() not in text, f"{spelling!r} in {path}"
    for spelling in SPELLINGS:
        assert spelling not in out + err
    recorded = "".join(p.read_text() for p in (cassettes / vendor).glob("*.yaml"))
    assert "<API_KEY>" in recorded and "<WRONG_KEY>" in recorded  # the credential kind survives, as a tag
    assert "$" + profile.key_env in (reports / "report.json").read_text()  # reproductions name the variable


def test_redact_replaces_every_spelling_in_nested_values():
    forms = secret_forms(get_profile("copper"), KEY)
    value = {"a": [f"x{KEY}y", SPELLINGS[1].encode()], KEY: (f"Basic {SPELLINGS[1]}",)}
    cleaned = redact(value, forms)
    assert KEY not in json.dumps(cleaned, default=str) and SPELLINGS[1] not in json.dumps(cleaned, default=str)
    assert secret_forms(get_profile("copper"), "abc") == []  # too short to replace without mangling bodies
