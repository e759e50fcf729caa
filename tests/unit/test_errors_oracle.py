"""The error-shape oracle: what the vendors document about error answers is judged, nothing more."""

from __future__ import annotations

import json

import pytest

from conformance.model.exchange import Exchange
from conformance.model.violations import Violation
from conformance.oracles.errors import error_is_documented, validation_error_is_documented
from conformance.profiles import get_profile

OPINE, COPPER = get_profile("opine").errors, get_profile("copper").errors


def answer(status: int, body: object, content_type: str = "application/json") -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange("GET", "http://api.invalid/v1/tickets", status, raw, {"Content-Type": content_type})


VALIDATION = {"error": "Validation error.", "issues": [{"path": ["title"], "code": "too_big", "message": "x"}]}


@pytest.mark.parametrize("exchange", [
    answer(400, VALIDATION), answer(422, VALIDATION), answer(404, {"error": "Not found"}),
    answer(401, b"", "text/plain"), answer(403, b"Forbidden", "text/plain; charset=utf-8"),
    answer(400, VALIDATION, "application/problem+json"), answer(200, b"<html>", "text/html"),
])
def test_opine_accepts_every_reasonable_error(exchange):
    error_is_documented(exchange, OPINE, "a request")


@pytest.mark.parametrize("exchange", [
    answer(404, b"<!DOCTYPE html><html><body>Cannot PUT /v1/tickets/x</body></html>", "text/html"),
    answer(401, b"<html><body>401</body></html>", "text/html"),
    answer(400, b"Bad Request", "text/plain"), answer(404, "Not Found"), answer(400, b"{", "application/json"),
])
def test_html_plain_text_and_non_objects_are_findings(exchange):
    with pytest.raises(Violation):
        error_is_documented(exchange, OPINE, "a request")


@pytest.mark.parametrize("body", [{"message": "bad", "errors": []}, {"error": "Validation error.", "issues": []},
                                  {"error": "Validation error.", "issues": [{"path": ["title"]}]}])
def test_opine_validation_refusal_must_be_the_documented_body(body):
    with pytest.raises(Violation, match="documented validation error"):
        validation_error_is_documented(answer(422, body), OPINE, "a bad title")
    validation_error_is_documented(answer(422, VALIDATION), OPINE, "a bad title")


@pytest.mark.parametrize("body", [
    {"type": "invalid_request_error", "message": "m", "param": "limit"},
    {"error": {"type": "invalid_request_error", "code": "x", "message": "m", "param": None}},
    {"message": "Unauthorized"},
])
def test_copper_attributes_at_top_level_or_under_error(body):
    error_is_documented(answer(400, body), COPPER, "a request")
    validation_error_is_documented(answer(400, body), COPPER, "a request")


@pytest.mark.parametrize("body", [{"detail": "Not Found"}, {"error": "Not found"}, {"type": 4, "message": "m"},
                                  {"error": {"detail": "x"}}])
def test_copper_other_frameworks_bodies_are_findings(body):
    with pytest.raises(Violation):
        error_is_documented(answer(404, body), COPPER, "a request")
