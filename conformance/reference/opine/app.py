"""WSGI app for the Opine reference server: parse the request, call the store, render JSON.

Routes (everything else is a 404 with a JSON body, without an auth check):
    GET  /v1/tickets        -> store.list_tickets
    POST /v1/tickets        -> store.create_ticket   (201)
    PUT  /v1/tickets/{id}   -> store.update_ticket
Known routes check the API key first, then the JSON syntax of the body (store.parse_body), then hand over
to the store.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from .errors import OpineError, not_found
from .store import OpineStore

_TICKET = re.compile(r"/v1/tickets/([^/]+)")


def make_app(store: OpineStore) -> Callable:
    """A WSGI app serving ``store`` under ``/v1``."""

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = _read_body(environ)  # always drain the body, even for requests answered with an error
        store.before_request()
        try:
            status, payload = _dispatch(store, environ, body)
        except OpineError as exc:
            status, payload = exc.status, exc.body
        except Exception as exc:  # noqa: BLE001 - a server bug must still answer with JSON
            status, payload = 500, {"error": "Internal server error", "message": type(exc).__name__}
        return _respond(start_response, status, payload)

    return app


def _dispatch(store: OpineStore, environ: dict, body: bytes) -> tuple[int, Any]:
    method = environ.get("REQUEST_METHOD", "GET").upper()
    path = environ.get("PATH_INFO", "")
    if path == "/v1/tickets" and method in ("GET", "POST"):
        store.authenticate(_headers(environ), method)
        if method == "GET":
            query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            return 200, store.list_tickets(limit=_first(query, "limit"), offset=_first(query, "offset"))
        return store.created_status, store.create_ticket(store.parse_body(body, environ.get("CONTENT_TYPE", "")))
    match = _TICKET.fullmatch(path)
    if match and method == "PUT":
        store.authenticate(_headers(environ), method)
        return store.updated_status, store.update_ticket(match.group(1), store.parse_body(body, environ.get("CONTENT_TYPE", "")))
    raise not_found(f"No route for {method} {path}.")


def _headers(environ: dict) -> dict[str, str]:
    """Request headers with lower-case names (``x-api-key``)."""
    return {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}


def _first(query: dict[str, list[str]], name: str) -> str | None:
    """Choice (docs silent): a repeated query parameter uses its first value."""
    values = query.get(name)
    return values[0] if values else None


def _read_body(environ: dict) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _respond(start_response: Callable, status: int, payload: Any) -> list[bytes]:
    try:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates sent by a client come back as \u escapes
        data = json.dumps(payload).encode("ascii")
    phrase = HTTPStatus(status).phrase
    start_response(f"{status} {phrase}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
