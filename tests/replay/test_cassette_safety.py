"""Cassettes are safe to commit and safe to replay.

- With ``--record`` against an API that echoes the key in every spelling (reason phrase, headers,
  bodies: raw, JSON-escaped ``\\/``, URL-encoded in either case, Base64 Basic, URL-encoded Base64),
  no cassette holds the key; a spelling the scrubber does not know is caught by the final pass,
  which refuses to write the cassette (exit 2).
- A malformed or hostile cassette (a ``!!python/object/apply`` tag) is exit 2 naming the file and
  never runs anything.
- ``_run.yaml`` names the versions that made the recording, and a replay miss under other
  versions names that as the cause.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
import yaml

from conformance.cli import main
from conformance.model.errors import ConfigError
from conformance.profiles import get_profile
from conformance.reference import http
from conformance.run.engine import select_checks
from conformance.transport import secrets
from conformance.transport.cassettes import RUN_FILE, CassetteFiles, SafeYamlSerializer, installed_versions
from conformance.transport.targets import reference_app, reference_store

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "cassettes"
KEY = "sk_test/Echo+can>ary~7Q9"  # "/" (JSON-escaped as "\/"), "+", ">"; its Basic token has "+" and "=="
BASIC = base64.b64encode(f"{KEY}:".encode()).decode()


def _lower_escapes(text: str) -> str:
    return "".join(part.lower() if i % 2 else part for i, part in enumerate(_split_escapes(text)))


def _split_escapes(text: str) -> list[str]:
    import re

    return re.split(r"(%[0-9A-F]{2})", text)


SPELLINGS = {
    "raw": KEY,
    "json-escaped": KEY.replace("/", "\\/"),
    "url-encoded": quote(KEY, safe=""),
    "url-encoded, lower-case escapes": _lower_escapes(quote(KEY, safe="")),
    "basic": BASIC,
    "basic, url-encoded": quote(BASIC, safe=""),
    "basic, url-encoded, lower-case escapes": _lower_escapes(quote(BASIC, safe="")),
    "base64 of the key": base64.b64encode(KEY.encode()).decode().rstrip("="),
}


def test_the_canary_key_exercises_every_encoding():
    assert "\\/" in SPELLINGS["json-escaped"]
    assert SPELLINGS["url-encoded"] != SPELLINGS["url-encoded, lower-case escapes"]
    assert SPELLINGS["basic, url-encoded"] != SPELLINGS["basic, url-encoded, lower-case escapes"]
    assert len(set(SPELLINGS.values())) == len(SPELLINGS)


def echoing(app, spellings: dict[str, str]):
    """An API that echoes each spelling in its reason phrase, in a header and in every JSON object body."""
    as_json = ", ".join(f'"{s}"' if "\\" in s else f'"{s}"' for s in spellings.values())

    def wrapped(environ, start_response):
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(app(environ, capture))
        if body.startswith(b"{") and body.rstrip().endswith(b"}"):
            body = body.rstrip()[:-1] + (", " if body.strip() != b"{}" else "").encode() + \
                f'"echo": [{as_json}]}}'.encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers += [(f"X-Echo-{i}", s) for i, s in enumerate(spellings.values())]
        headers.append(("Content-Length", str(len(body))))
        code = captured["status"].split(" ", 1)[0]
        start_response(f"{code} Echo {' '.join(spellings.values())}", headers)
        return [body]

    return wrapped


def _checks(vendor: str) -> list[str]:
    """The auth checks (every kind of credential) and the first schema check (Schemathesis's requests)."""
    names, schema = [], False
    for c in select_checks(get_profile(vendor)):
        if c.family == "auth" or (c.family == "schema" and not schema):
            schema = schema or c.family == "schema"
            names.append(c.name)
    return names


def _record(vendor: str, app_wrapper, tmp_path: Path, monkeypatch) -> int:
    profile = get_profile(vendor)
    store = reference_store(profile, api_key=KEY)
    with http.start(app_wrapper(reference_app(profile, store))) as server:
        args = ["run", "--vendor", vendor, "--base-url", server.origin + profile.version_prefix, "--allow-writes",
                "--record", "--cassettes", str(tmp_path / "cassettes"), "--report-dir", str(tmp_path / "reports"),
                "--max-examples", "2"]
        monkeypatch.setenv(profile.key_env, KEY)
        for name in _checks(vendor):
            args += ["--check", name]
        return main(args)


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, bytes):
        return [value.decode("latin-1")]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("vendor", ["copper", "opine"])
def test_recorded_cassettes_hold_the_key_in_no_spelling(vendor, tmp_path, capsys, monkeypatch):
    code = _record(vendor, lambda app: echoing(app, SPELLINGS), tmp_path, monkeypatch)
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    files = sorted((tmp_path / "cassettes" / vendor).glob("*.yaml"))
    assert len(files) >= 3
    echoed = 0
    for path in files:
        raw = path.read_text(encoding="utf-8")
        for what, spelling in SPELLINGS.items():
            assert spelling not in raw, f"{what} spelling in {path}"
        loaded = yaml.safe_load(raw)
        for text in _strings(loaded):  # as the YAML reads back: no line folding hides a spelling
            for candidate in (text, unquote(text), text.replace("\\/", "/")):
                assert KEY not in candidate and BASIC not in candidate, f"the key in {path}: {text[:120]!r}"
        for interaction in loaded.get("interactions", []):
            message = interaction["response"]["status"]["message"]
            echoed += "<API_KEY>" in message  # the reason phrase was recorded, scrubbed
    assert echoed, "no reason phrase with an echo was recorded: the test would prove nothing"
    assert KEY not in out + err and BASIC not in out + err


def test_a_cassette_still_holding_the_key_is_never_written(tmp_path, capsys, monkeypatch):
    """A spelling no scrubber knows (Base64 of "user:" + key, misaligned): the final pass refuses the file."""
    hidden = base64.b64encode(f"user:{KEY}".encode()).decode()
    assert not any(form in hidden for form in secrets.spellings(KEY))
    code = _record("copper", lambda app: echoing(app, {"hidden": hidden}), tmp_path, monkeypatch)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "refusing to write cassette" in err and "still contains the API key" in err
    assert KEY not in err and hidden not in err
    for path in (tmp_path / "cassettes").rglob("*"):
        if path.is_file():
            assert hidden not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize("spelling", [
    "\\u0073" + KEY[1:].replace("/", "\\/"),                          # JSON \\u escapes
    quote(quote(KEY, safe=""), safe=""),                           # URL-encoded twice
    base64.b64encode(f"user:{KEY}".encode()).decode(),             # inside a longer Base64 token
    base64.urlsafe_b64encode(f"{KEY}:".encode()).decode(),         # URL-safe Base64
])
def test_the_final_pass_refuses_a_cassette_with_a_hidden_spelling(spelling, tmp_path):
    from vcr.request import Request

    request = Request("GET", "http://recorded.invalid/next/tickets", None, {"Accept": "application/json"})
    response = {"status": {"code": 200, "message": "OK"}, "headers": {"X-Note": [spelling]},
                "body": {"string": b"{}"}}
    files = CassetteFiles(KEY)
    with pytest.raises(ConfigError, match="refusing to write cassette .*x.yaml: it still contains the API key"):
        files.save_cassette(str(tmp_path / "x.yaml"), {"requests": [request], "responses": [response]},
                            SafeYamlSerializer())
    assert not (tmp_path / "x.yaml").exists()
    response["headers"]["X-Note"] = ["nothing secret here"]
    files.save_cassette(str(tmp_path / "x.yaml"), {"requests": [request], "responses": [response]},
                        SafeYamlSerializer())
    assert (tmp_path / "x.yaml").exists()


def test_every_spelling_is_scrubbed_including_lower_case_escapes():
    forms = secrets.spellings(KEY)
    regex = secrets.pattern(forms)
    for what, spelling in SPELLINGS.items():
        scrubbed = secrets.scrub(f"before {spelling} after", regex, "<API_KEY>")
        assert scrubbed == "before <API_KEY> after", what
        assert not secrets.still_contains(scrubbed, KEY)
        assert secrets.still_contains(f"x{spelling}y", KEY), what
    assert secrets.spellings("abc") == [] and not secrets.still_contains("abc", "abc")


# -- untrusted cassettes ------------------------------------------------------------------------------------
def _copy_shipped(tmp_path: Path, vendor: str = "copper") -> Path:
    if not (SHIPPED / vendor / RUN_FILE).exists():
        pytest.skip(f"no shipped cassettes for {vendor}")
    copy = tmp_path / "cassettes"
    shutil.copytree(SHIPPED / vendor, copy / vendor)
    return copy


HOSTILE = {
    "code-running tag": 'interactions:\n- !!python/object/apply:os.system ["touch {marker}"]\nversion: 1\n',
    "code-running tag in a body": ('interactions:\n- request: {{body: !!python/object/apply:os.system '
                                   '["touch {marker}"], headers: {{}}, method: GET, uri: "http://x/"}}\n'),
    "not YAML": "interactions: [\n  - {{\n",
    "not a recording": "interactions: 3\n",
    "a scalar": "just text\n",
}


@pytest.mark.parametrize("content", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("which", ["_preflight", "default_limit_is_10"])
def test_a_hostile_or_malformed_cassette_is_exit_2_naming_the_file(which, content, tmp_path, capsys):
    copy = _copy_shipped(tmp_path)
    marker = tmp_path / "pwned"
    cassette = copy / "copper" / f"{which}.yaml"
    cassette.write_text(content.format(marker=marker), encoding="utf-8")
    code = main(["run", "--vendor", "copper", "--target", "replay", "--cassettes", str(copy),
                 "--check", "default_limit_is_10", "--report-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert not marker.exists(), "a cassette ran code"
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and str(cassette) in err


def test_a_cassette_that_is_not_utf8_is_exit_2_naming_the_file(tmp_path, capsys):
    copy = _copy_shipped(tmp_path)
    cassette = copy / "copper" / "_preflight.yaml"
    cassette.write_bytes(b"\xff\xfe\x00garbage")
    code = main(["run", "--vendor", "copper", "--target", "replay", "--cassettes", str(copy),
                 "--check", "default_limit_is_10", "--report-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and str(cassette) in err and err.count("\n") == 1


def test_the_safe_serializer_constructs_no_python_object(tmp_path):
    """The serializer itself, whatever vcrpy is installed: python tags are refused, plain data reads back."""
    marker = tmp_path / "pwned"
    for tag in ("!!python/object/apply:os.system", "!!python/object/new:os.system", "!!python/name:os.system"):
        with pytest.raises(yaml.YAMLError):
            SafeYamlSerializer.deserialize(f'x: {tag} ["touch {marker}"]\n')
    assert not marker.exists()
    data = {"interactions": [{"request": {"body": b"\x00\xff", "uri": "http://x/\u2013"}}], "version": 1}
    text = SafeYamlSerializer.serialize(data)
    assert "!!python" not in text and SafeYamlSerializer.deserialize(text) == data
    with pytest.raises(yaml.YAMLError):  # nothing that could not be read back safely is ever written
        SafeYamlSerializer.serialize({"x": object()})


def test_shipped_cassettes_load_with_the_safe_serializer():
    for path in sorted(SHIPPED.glob("*/*.yaml")):
        assert isinstance(SafeYamlSerializer.deserialize(path.read_text(encoding="utf-8")), dict), path


# -- versions -------------------------------------------------------------------------------------------------
def test_a_replay_miss_under_other_versions_names_the_versions(tmp_path, capsys):
    copy = _copy_shipped(tmp_path)
    run_file = copy / "copper" / RUN_FILE
    run = yaml.safe_load(run_file.read_text(encoding="utf-8"))
    now = installed_versions()
    run["versions"] = {**now, "hypothesis": "6.0.0"}
    run_file.write_text(yaml.safe_dump(run, sort_keys=False), encoding="utf-8")
    cassette = copy / "copper" / "default_limit_is_10.yaml"
    data = yaml.safe_load(cassette.read_text(encoding="utf-8"))
    data["interactions"].pop()
    cassette.write_text(yaml.safe_dump(data), encoding="utf-8")

    code = main(["run", "--vendor", "copper", "--target", "replay", "--cassettes", str(copy),
                 "--check", "default_limit_is_10", "--report-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert f"recorded with hypothesis 6.0.0, replaying with {now['hypothesis']}" in err
    assert "pip install hypothesis==6.0.0" in err and "re-record" in err and "check changed" not in err

    run["versions"] = now  # the same versions: the cause is a changed check
    run_file.write_text(yaml.safe_dump(run, sort_keys=False), encoding="utf-8")
    code = main(["run", "--vendor", "copper", "--target", "replay", "--cassettes", str(copy),
                 "--check", "default_limit_is_10", "--report-dir", str(tmp_path / "r2")])
    err = capsys.readouterr().err
    assert code == 2 and "check changed" in err and "recorded with" not in err


def test_the_run_file_names_the_versions_that_made_the_recording(tmp_path, monkeypatch, capsys):
    code = _record("copper", lambda app: app, tmp_path, monkeypatch)
    assert code in (0, 1), capsys.readouterr().err
    run = yaml.safe_load((tmp_path / "cassettes" / "copper" / RUN_FILE).read_text(encoding="utf-8"))
    assert run["versions"] == installed_versions()
    assert set(run["versions"]) == {"ticket-conformance", "hypothesis", "schemathesis", "vcrpy", "python"}
    assert "unknown" not in run["versions"].values()
