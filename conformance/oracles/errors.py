"""What must hold for an error answer: the vendor's documented media type and error shape.

Applied to every 4xx the suite provokes (``observe/api.py`` and the Schemathesis probes), and with the
stricter ``validation_error_is_documented`` to the refusal of a documented request constraint.

What the docs fix is judged; what they leave open passes (design §3):
- both vendors answer JSON (O-OV "JSON in both directions", C-INTRO "responses are JSON"): an HTML
  page or another media type is a finding; only the statuses a gateway may answer before the API
  (``bare_statuses``: 401, 403, 429) may come empty or as plain text;
- Opine documents one error body, the validation error ``{"error", "issues": [{path, code, message}]}``
  (O-OV): a refused invalid request must carry it, whatever its status (400 and 422 both pass); other
  Opine errors may be any JSON object;
- Copper documents the error attributes ``type``, ``code``, ``message``, ``param`` (C-ERR) but not where
  they sit: at the top level or under ``error`` both pass; a body without ``type`` or ``message`` (another
  framework's error, e.g. ``{"detail": ...}``) is a finding, and so is an attribute that is not a string
  (``code`` and ``param`` may be null: they exist "when there is one").
"""

from __future__ import annotations

from typing import Any

from conformance.model.exchange import BadResponse, Exchange
from conformance.model.violations import Violation
from conformance.profiles.base import ErrorDocs

OPTIONAL_ATTRIBUTES = ("code", "param")  # C-ERR: present only when there is one


def _media_type(exchange: Exchange) -> str:
    return exchange.content_type.split(";")[0].strip().lower()


def _is_json_media_type(media_type: str, documented: str) -> bool:
    return media_type == documented or media_type.endswith("+json")


def _looks_like_html(exchange: Exchange) -> bool:
    head = exchange.body[:200].lstrip().lower()
    return "html" in _media_type(exchange) or head.startswith((b"<!doctype", b"<html", b"<head", b"<body"))


def error_is_documented(exchange: Exchange, docs: ErrorDocs, what: str) -> None:
    """A 4xx answer is JSON of the documented media type and, where the vendor documents error
    attributes, carries them (other statuses are not judged here)."""
    if not 400 <= exchange.status < 500:
        return
    context = f"the {exchange.status} answer to {what}"
    if _looks_like_html(exchange):
        raise Violation(f"{context} is an HTML page", expected=f"a {docs.media_type} error body",
                        actual=f"{exchange.content_type or 'no content type'}: {exchange.body[:160]!r}",
                        exchanges=[exchange])
    media_type = _media_type(exchange)
    bare = exchange.status in docs.bare_statuses
    if not exchange.body.strip() and bare:
        return
    if not _is_json_media_type(media_type, docs.media_type) and not (bare and media_type == "text/plain"):
        raise Violation(f"{context} is not {docs.media_type}", expected=f"Content-Type: {docs.media_type}",
                        actual=f"{exchange.content_type or 'no content type'}: {exchange.body[:160]!r}",
                        exchanges=[exchange])
    if media_type == "text/plain":
        return
    try:
        body = exchange.json_object()
    except BadResponse as exc:
        raise Violation(f"{context} is not a JSON object", expected="a JSON error object",
                        actual=exc.reason, exchanges=[exchange]) from None
    if docs.attributes:
        _attributes_documented(body, docs, context, exchange)


def _attributes_documented(body: dict[str, Any], docs: ErrorDocs, context: str, exchange: Exchange) -> None:
    holder = body.get(docs.envelope) if docs.envelope and isinstance(body.get(docs.envelope), dict) else body
    required = [a for a in docs.attributes if a not in OPTIONAL_ATTRIBUTES]
    where = f"at the top level or under {docs.envelope!r}" if docs.envelope else "at the top level"
    if not any(a in holder for a in required):
        raise Violation(f"{context} lacks the documented error attributes",
                        expected=f"{' / '.join(required)} {where}", actual=body, exchanges=[exchange])
    wrong = {a: holder[a] for a in docs.attributes if a in holder
             and not isinstance(holder[a], str) and not (holder[a] is None and a in OPTIONAL_ATTRIBUTES)}
    if wrong:
        raise Violation(f"{context}: documented error attributes that are not strings",
                        expected="string attributes", actual=wrong, exchanges=[exchange])


def validation_error_is_documented(exchange: Exchange, docs: ErrorDocs, what: str) -> None:
    """The refusal of a request that breaks a documented constraint: a 4xx in the documented error
    shape and, where a validation error body is documented, that body."""
    error_is_documented(exchange, docs, what)
    if not docs.validation_fields or not 400 <= exchange.status < 500:
        return
    expected = "{" + ", ".join(f'"{k}"' for k in docs.validation_fields) + "} with issues {" + \
               ", ".join(docs.issue_fields) + "}"
    context = f"the {exchange.status} refusal of {what}"
    try:
        body = exchange.json_object()
    except BadResponse as exc:
        raise Violation(f"{context} is not the documented validation error", expected=expected,
                        actual=exc.reason, exchanges=[exchange]) from None
    message_key, issues_key = docs.validation_fields[0], docs.validation_fields[-1]
    issues = body.get(issues_key)
    good = (isinstance(body.get(message_key), str) and isinstance(issues, list) and bool(issues)
            and all(isinstance(i, dict) and all(k in i for k in docs.issue_fields)
                    and all(isinstance(i[k], str) for k in docs.issue_fields[1:]) for i in issues))
    # (the first issue field, zod's ``path``, has no documented type; the others are text)
    if not good:
        raise Violation(f"{context} is not the documented validation error", expected=expected,
                        actual=body, exchanges=[exchange])
