"""Near misses of the key (the auth checks' prefix, minus or plus one character, case swap, other schemes)
never reach an artifact: an API echoing the credential it received, in a body, a header and the reason
phrase, leaves no near miss in cassettes, reports or output, and the final cassette pass refuses one."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from vcr.request import Request

from conformance.cli import main
from conformance.model.errors import ConfigError
from conformance.profiles import get_profile
from conformance.reference import http
from conformance.transport import credentials, secrets
from conformance.transport.cassettes import CassetteFiles, SafeYamlSerializer, near_tag
from conformance.transport.client import secret_forms
from conformance.transport.targets import reference_app, reference_store

KEY = "sk_test/Near+miss>canary~7Q9"
CHECKS = ("near_miss_keys_are_refused", "key_in_another_scheme_is_refused")


def _near_values() -> dict[str, str]:
    values = {n.kind: credentials.near_value(n.kind, KEY) for n in credentials.near_misses(get_profile("opine").auth)}
    return {k: v for k, v in values.items() if v}


def _received(environ) -> str:
    """The credential a request carried, as an API that echoes it would write it (Basic decoded)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if auth.lower().startswith("basic "):
        try:
            auth = base64.b64decode(auth[6:]).decode()
        except ValueError:
            pass
    return f"{environ.get('HTTP_X_API_KEY', '')} {auth}".strip()


def echoing_credentials(app):
    def wrapped(environ, start_response):
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(app(environ, capture))
        seen = _received(environ)
        if captured["status"].startswith("401"):
            body = json.dumps({"error": "Unauthorized", "message": f"invalid key {seen}"}).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers += [("X-Received-Key", seen), ("Content-Length", str(len(body)))]
        code = captured["status"].split(" ", 1)[0]
        start_response(f"{code} Refused {seen}", headers)
        return [body]

    return wrapped


@pytest.mark.parametrize("vendor", ["opine", "copper"])
def test_echoed_near_misses_reach_no_artifact(vendor, tmp_path, capsys, monkeypatch):
    profile = get_profile(vendor)
    store = reference_store(profile, api_key=KEY)
    with http.start(echoing_credentials(reference_app(profile, store))) as server:
        monkeypatch.setenv(profile.key_env, KEY)
        args = ["run", "--vendor", vendor, "--base-url", server.origin + profile.version_prefix, "--record",
                "--cassettes", str(tmp_path / "cassettes"), "--report-dir", str(tmp_path / "reports")]
        for name in CHECKS:
            args += ["--check", name]
        code = main(args)
    out, err = capsys.readouterr()
    assert code == 0, err
    texts = {str(p): p.read_text(encoding="utf-8") for p in tmp_path.rglob("*") if p.is_file()}
    texts["output"] = out + err
    cassette = texts[str(tmp_path / "cassettes" / vendor / "near_miss_keys_are_refused.yaml")]
    assert "invalid key" in cassette, "no echo was recorded: the test would prove nothing"
    assert near_tag("near-minus-last") in cassette  # the header is recorded by kind
    for where, text in texts.items():
        assert not secrets.still_contains(text, KEY, near=True), f"a near miss of the key in {where}"
        for kind, value in _near_values().items():
            assert value not in text, f"{kind} in {where}"
    report = json.loads(texts[str(tmp_path / "reports" / "report.json")])
    assert all(c["status"] == "passed" for c in report["checks"])


@pytest.mark.parametrize("kind", ["near-prefix", "near-minus-last", "near-plus-one", "near-case"])
def test_the_final_pass_refuses_a_cassette_holding_a_near_miss(kind, tmp_path):
    value = credentials.near_value(kind, KEY)
    request = Request("GET", "http://recorded.invalid/v1/tickets", None, {"Accept": "application/json"})
    response = {"status": {"code": 401, "message": "Unauthorized"}, "headers": {},
                "body": {"string": f'{{"message": "bad key {value}"}}'.encode()}}
    with pytest.raises(ConfigError, match="refusing to write cassette"):
        CassetteFiles(KEY).save_cassette(str(tmp_path / "x.yaml"), {"requests": [request], "responses": [response]},
                                         SafeYamlSerializer())
    assert not (tmp_path / "x.yaml").exists()
    if KEY not in value:  # the plain pass alone would have let it through
        assert not secrets.still_contains(f"bad key {value}", KEY)
    assert secrets.still_contains(base64.b64encode(f"{value}:".encode()).decode(), KEY, near=True)


def test_every_near_miss_value_is_scrubbed_from_reports():
    forms = secret_forms(get_profile("copper"), KEY)
    for kind, value in _near_values().items():
        token = base64.b64encode(f"{value}:".encode()).decode()
        for spelling in (value, token, json.dumps(value)[1:-1]):
            assert spelling in forms, (kind, spelling)
    assert base64.b64encode(f":{KEY}".encode()).decode() in forms  # the key as the Basic password


def test_reproductions_name_the_key_only_as_a_shell_expression():
    for vendor in ("opine", "copper"):
        profile = get_profile(vendor)
        for near in credentials.near_misses(profile.auth):
            args = credentials.curl_args(near.kind, profile.auth, profile.key_env)
            assert f"${{{profile.key_env}" in args or f"${profile.key_env}" in args or near.kind == "near-empty"
            assert KEY not in args


def test_short_near_misses_are_not_scrubbed_everywhere():
    # A near miss shorter than credentials.NEAR_MIN would mangle ordinary text if replaced everywhere.
    assert secrets.near_needle("abcdefghij") is None
    assert secrets.near_needle(KEY) == KEY[:-credentials.PREFIX_CUT].lower()
    assert credentials.differs_from_key("near-case", "1234-5678") is False
