"""What the negative body checks send (strategies/negative.py): one broken constraint per body, and on a
form API only what text can break."""

from __future__ import annotations

from pathlib import Path

import yaml

from conformance.profiles.loader import load_profile
from conformance.strategies.bodies import minimal_create_body
from conformance.strategies.negative import UNKNOWN_FIELD, body_violations, request_schema

LOCALSTRIPE = Path(__file__).resolve().parents[2] / "examples" / "localstripe"


def _localstripe() -> tuple[object, dict]:
    profile = load_profile(LOCALSTRIPE / "profile.yaml")
    return profile, yaml.safe_load((LOCALSTRIPE / "charges.openapi.yaml").read_text(encoding="utf-8"))


def test_a_form_create_breaks_only_what_text_can_break() -> None:
    profile, spec = _localstripe()
    schema = request_schema(spec, profile.collection, "POST")
    valid = minimal_create_body(profile, "refused")
    bodies = {b.what: b.body for b in body_violations(profile, spec, schema, valid, creating=True)}
    assert bodies["the required amount missing"] == {k: v for k, v in valid.items() if k != "amount"}
    assert bodies["amount: a string (the spec allows integer)"]["amount"] == "text"
    assert bodies["amount: -1 (minimum 0)"]["amount"] == -1
    # null, wrong item types, a string field given a number (its text is a string) and non-object bodies
    # cannot be written in a form body
    assert all(isinstance(body, dict) and None not in body.values() for body in bodies.values())
    assert not any(what.startswith(("currency:", "description:", "source:")) for what in bodies)


def test_a_closed_update_schema_gets_an_unknown_field() -> None:
    profile, spec = _localstripe()
    schema = request_schema(spec, profile.item, "POST")
    bodies = body_violations(profile, spec, schema, {"description": "x"}, creating=False)
    assert [b.body for b in bodies] == [{"description": "x", UNKNOWN_FIELD: "1"}]


def test_a_json_api_gets_null_items_and_a_non_object_body() -> None:
    profile = load_profile(Path(__file__).resolve().parents[2] / "conformance" / "profiles" / "opine.yaml")
    spec = yaml.safe_load(Path(profile.spec).read_text(encoding="utf-8"))
    schema = request_schema(spec, profile.item, "PUT")
    whats = [b.what for b in body_violations(profile, spec, schema, {"title": "x"}, creating=False)]
    assert "title: null (not nullable)" in whats
    assert "labels: an item that is a integer" in whats
    assert "a JSON array instead of an object" in whats
    assert not any(UNKNOWN_FIELD in w for w in whats)  # TicketUpdate is open
