"""Profiles are data files: the shipped YAML equals the Python values it replaced, the loader names the
file and line of every error, and each profile option is read (a profile lacking one makes the checks
needing it "not applicable", never a crash)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import python_profiles
from conformance.checks.registry import CATALOGUE, NEEDS, select_checks
from conformance.model.errors import ConfigError
from conformance.profiles import PROFILES, get_profile, load_profile
from conformance.profiles.base import OPTIONS, AuthScheme, missing_options
from conformance.profiles.loader import schema, shipped
from conformance.run.runner import RunRequest, run

NEW_FIELDS = {  # fields added with the file format, and their value in each shipped profile
    "opine": {"timestamp_formats": ("iso",), "levels": {}},
    "copper": {"timestamp_formats": ("iso", "unix-s"), "levels": {}},
}


@pytest.mark.parametrize("old", [python_profiles.OPINE, python_profiles.COPPER], ids=lambda p: p.name)
def test_shipped_yaml_equals_the_python_profile_field_by_field(old):
    new = load_profile(shipped(old.name))
    for field in dataclasses.fields(old):
        if field.name == "source":
            assert new.source.endswith(f"{old.name}.yaml")
        elif field.name in NEW_FIELDS[old.name]:
            assert getattr(new, field.name) == NEW_FIELDS[old.name][field.name], field.name
        else:
            assert getattr(new, field.name) == getattr(old, field.name), field.name
    assert PROFILES[old.name] == new


def _copy(tmp_path: Path, vendor: str, edit=None, suffix: str = ".yaml") -> Path:
    """A copy of a shipped profile (its spec path made absolute), optionally edited as data."""
    data = yaml.safe_load(shipped(vendor).read_text(encoding="utf-8"))
    data["spec"] = str(get_profile(vendor).spec)
    if edit:
        edit(data)
    path = tmp_path / f"{vendor}-copy{suffix}"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    return str(caught.value)


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize("mutate, at, says", [
    (lambda d: d["paging"].update(max_limit=0), "max_limit:", "paging.max_limit: 0 is less than the minimum of 1"),
    (lambda d: d["paging"].update(limt="limit"), "limt:", "limt"),
    (lambda d: d["auth"].update(kind="digest"), "kind: digest", "auth.kind: 'digest' is not one of"),
    (lambda d: d["auth"].pop("key_env"), "auth:", "'key_env' is a required property"),
    (lambda d: d.update(timestamp_formats=["iso", "rfc822"]), "- rfc822", "timestamp_formats.1"),
    (lambda d: d["paging"].update(default_limit=500), "default_limit:", "default_limit 500 is above max_limit 100"),
    (lambda d: d.update(spec="nowhere.yaml"), "spec:", "no spec file at"),
    (lambda d: d["created_filters"]["params"].update(eq="created"), "eq:", "eq"),
])
def test_loader_errors_name_the_file_and_line(tmp_path, mutate, at, says):
    path = _copy(tmp_path, "copper", mutate)
    message = _error(path)
    assert message.startswith(f"{path}:{_line_of(path, at)}: "), message
    assert says in message and "\n" not in message


def test_yaml_syntax_errors_name_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nspec: [unclosed\nauth: {kind: none}\n", encoding="utf-8")
    assert _error(path).startswith(f"{path}:3: not valid YAML")
    missing = tmp_path / "absent.yaml"
    assert _error(missing) == f"profile {missing} not found"


TOML = """\
name = "tomlcopper"
spec = "{spec}"
version_prefix = "/next"
collection = "/tickets"
item = "/tickets/{{id}}"
id_field = "id"
created_field = "created"
operations = ["list", "retrieve"]

[auth]
kind = "bearer"
key_env = "TOML_API_KEY"

[paging]
style = "cursor"
limit = "limit"
after = "starting_after"
before = "ending_before"
items = "data"
has_more = "has_more"
default_limit = 10
max_limit = {max_limit}
"""


def test_toml_profiles_load_and_their_errors_name_the_line(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(TOML.format(spec=get_profile("copper").spec, max_limit=100), encoding="utf-8")
    profile = load_profile(path)
    assert (profile.name, profile.auth.headers("k"), profile.paging.max_limit) == \
        ("tomlcopper", {"Authorization": "Bearer k"}, 100)
    path.write_text(TOML.format(spec=get_profile("copper").spec, max_limit='"many"'), encoding="utf-8")
    assert _error(path).startswith(f"{path}:{_line_of(path, 'max_limit')}: paging.max_limit: ")


def test_the_schema_is_valid_and_shipped_as_package_data():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(schema())
    assert 'recursive-include conformance/profiles *.yaml *.json' in Path("MANIFEST.in").read_text()


@pytest.mark.parametrize("kind, headers, curl", [
    ("none", {}, ""),
    ("header", {"X-Key": "k"}, '-H "X-Key: $K"'),
    ("basic-user", {"Authorization": "Basic azo="}, '-u "$K:"'),
    ("bearer", {"Authorization": "Bearer k"}, '-H "Authorization: Bearer $K"'),
])
def test_every_auth_kind_presents_the_key_its_way(kind, headers, curl):
    auth = AuthScheme(kind=kind, header="X-Key" if kind == "header" else "")
    assert (auth.headers("k"), auth.curl_args("$K")) == (headers, curl)
    assert set(auth.secret_headers) == set(headers)


def test_needs_name_registered_checks_and_known_options():
    names = {c.name for c in CATALOGUE.all()}
    assert set(NEEDS) <= names
    for spec in CATALOGUE.all():
        assert set(spec.needs) <= set(OPTIONS), spec.name
    for vendor, profile in PROFILES.items():  # the built-in vendors lack nothing their checks need
        assert [c.name for c in select_checks(profile) if missing_options(profile, c.needs)] == [], vendor


def test_a_level_override_applies_and_an_unknown_check_is_refused(tmp_path):
    profile = load_profile(_copy(tmp_path, "copper", lambda d: d.update(levels={"both_cursors_are_refused": "MUST"})))
    assert CATALOGUE.get("both_cursors_are_refused").level_for(profile) == "MUST"
    typo = load_profile(_copy(tmp_path, "copper", lambda d: d.update(levels={"both_cursors_refused": "MUST"})))
    with pytest.raises(ConfigError, match="unknown check 'both_cursors_refused'; did you mean"):
        select_checks(typo)


def test_without_ending_before_those_checks_are_not_applicable_and_the_rest_pass(tmp_path):
    path = _copy(tmp_path, "copper", lambda d: d["paging"].update(before=None))
    report = run(RunRequest(vendor="copper", profile=path))
    by_status: dict[str, set[str]] = {}
    for result in report.checks:
        by_status.setdefault(result.status, set()).add(result.name)
    skipped = by_status.pop("skipped")
    assert set(by_status) == {"passed"}
    assert {"ending_before_returns_the_preceding_page", "both_cursors_are_refused"} <= skipped
    for result in report.checks:
        if result.status == "skipped":
            assert result.message == "not applicable: the profile sets no paging.before"
    assert {c.name for c in CATALOGUE.all() if "paging.before" in c.needs} == skipped


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_cli_profile_errors_are_one_line_exit_2_and_checks_lists_what_applies(tmp_path):
    bad = _copy(tmp_path, "copper", lambda d: d["paging"].update(max_limit="lots"))
    done = _cli("run", "--profile", str(bad), "--base-url", "http://127.0.0.1:9/next", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == \
        f"ticket-conformance: {bad}:{_line_of(bad, 'max_limit')}: paging.max_limit: 'lots' is not of type 'integer', 'null'"
    nobefore = _copy(tmp_path, "copper", lambda d: d["paging"].update(before=None))
    listed = json.loads(_cli("checks", "--profile", str(nobefore), "--format", "json", cwd=tmp_path).stdout)
    row = {r["name"]: r for r in listed}
    assert row["ending_before_returns_the_preceding_page"]["not_applicable"] == "the profile sets no paging.before"
    assert row["walk_reaches_every_ticket"]["applies"] is True
    assert row["null_clears_nullable_fields"]["not_applicable"].startswith("the profile grants no ")
    both = _cli("run", "--vendor", "copper", "--profile", str(nobefore), cwd=tmp_path)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_form_bodies_go_form_encoded_nested_and_their_curl_says_so():
    from conformance.model.exchange import Exchange, form_pairs

    body = {"title": "t", "labels": ["a", "b"], "metadata": {"k": "v"}, "description": None, "tags": [],
            "closed": True}
    assert form_pairs(body) == [("title", "t"), ("labels[0]", "a"), ("labels[1]", "b"), ("metadata[k]", "v"),
                                ("description", ""), ("tags", ""), ("closed", "true")]
    curl = Exchange("POST", "https://api.example/v1/tickets", 200, b"{}", request_body={"title": "a b"},
                    request_encoding="form").curl()
    assert "application/x-www-form-urlencoded" in curl and "--data title=a+b " in curl


def test_a_form_profile_sends_form_bodies_on_the_wire():
    import dataclasses
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from conformance.observe.api import Api
    from conformance.profiles import get_profile
    from conformance.transport.client import Client

    profile = get_profile("opine")
    profile = dataclasses.replace(profile, writes=dataclasses.replace(profile.writes, body_encoding="form"))
    seen: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            seen.append((self.headers["Content-Type"], self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "9")
            self.end_headers()
            self.wfile.write(b'{"id": 1}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = Client(f"http://127.0.0.1:{server.server_address[1]}/v1", profile, "key")
        exchange = Api(client, profile).create({"title": "x", "labels": ["a"]})
    finally:
        server.shutdown()
    assert seen == [("application/x-www-form-urlencoded", b"title=x&labels%5B0%5D=a")]
    assert exchange.status == 201 and exchange.request_encoding == "form"
    # A Schemathesis case with a form body (requests' data=) is reproduced with that body, not without one.
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = Client(f"http://127.0.0.1:{server.server_address[1]}/v1", profile, "key")
        exchange, _ = client.send_prepared({"method": "POST", "url": client.base_url + "/tickets",
                                            "data": {"amount": 5, "currency": "usd"}})
    finally:
        server.shutdown()
    assert seen[-1] == ("application/x-www-form-urlencoded", b"amount=5&currency=usd")
    assert "--data 'amount=5&currency=usd'" in exchange.curl()


def test_clearing_with_an_empty_string_makes_the_null_modelling_checks_not_applicable():
    import dataclasses

    from conformance.checks.registry import select_checks
    from conformance.profiles import get_profile
    from conformance.profiles.base import missing_options
    from conformance.strategies import updates as s

    profile = get_profile("opine")
    profile = dataclasses.replace(profile, writes=dataclasses.replace(profile.writes, clear_value=""))
    skipped = {c.name for c in select_checks(profile) if missing_options(profile, c.needs)}
    assert skipped == {"updates_match_model", "required_fields_cannot_be_null"}
    # null_clears_nullable_fields still applies: it sends the profile's clear value, "" (never null or []).
    kinds = {"labels": s.NAMES, "description": s.TEXT}
    assert s.clearing_values(profile, kinds, "labels") == ("",)
    assert s.clearing_values(get_profile("opine"), kinds, "labels") == (None, [])


def test_a_profile_without_ticket_shaped_write_fields_loads_and_their_checks_do_not_apply():
    """A Stripe-like resource: no title bounds, state, updatedAt, dates, deals or enum fields on create."""
    from conformance.strategies.bodies import minimal_create_body

    profile = load_profile(Path(__file__).parents[2] / "examples" / "localstripe" / "profile.yaml")
    assert profile.writes and profile.writes.title_length is None and profile.writes.deals_field == ""
    body = minimal_create_body(profile, "x")
    assert body == {"amount": 777, "currency": "usd", "source": "pm_card_visa", "description": "[conformance] x"}
    not_applicable = {c.name for c in select_checks(profile) if missing_options(profile, c.needs)}
    assert {"title_length_is_enforced", "closed_at_follows_state", "updated_at_moves_forward",
            "deal_links_follow_updates", "deal_amount_sum_is_consistent", "offset_dates_are_the_same_instant",
            "unknown_enum_values_are_rejected"} <= not_applicable
    # the negative body checks send what a form body can break (tests/unit/test_negative_bodies.py)
    assert {"null_clears_nullable_fields", "absent_fields_are_kept", "values_replace_fields",
            "created_ticket_is_listed", "invalid_creates_are_refused", "invalid_updates_are_refused",
            "failed_update_changes_nothing"}.isdisjoint(not_applicable)


def test_a_one_name_validation_body_is_refused_saying_what_the_key_holds(tmp_path):
    """A flat error body ({"error": "..."}) is no validation body with issues: the loader says so
    instead of the run failing every refusal against a correct API."""
    import yaml

    from conformance.profiles import get_profile
    from conformance.profiles.loader import shipped

    data = yaml.safe_load(shipped("opine").read_text(encoding="utf-8"))
    data["spec"] = str(get_profile("opine").spec)
    data["errors"]["validation_fields"] = ["error"]
    path = tmp_path / "flat.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"flat.yaml:\d+: errors.validation_fields: .*two names.*attributes"):
        load_profile(path)


def test_an_enum_field_with_a_default_is_written_by_the_enum_checks():
    """An enum field that is not required on create (it has a default) but is updatable still gets the
    enum write checks: the option reads every write field the profile names."""
    from conformance.profiles import get_profile
    from conformance.profiles.base import OPTIONS, writable_enum_fields

    opine = get_profile("opine")
    assert opine.writes
    writes = dataclasses.replace(opine.writes, required_on_create=("title",), not_nullable=("title", "state"),
                                 nullable=("type",))
    profile = dataclasses.replace(opine, writes=writes)
    assert writable_enum_fields(profile) == ["state", "type"]
    assert OPTIONS["writes.enums"](profile)
    assert not OPTIONS["writes.enums"](dataclasses.replace(opine, writes=dataclasses.replace(
        writes, not_nullable=("title",), nullable=())))
