"""WSGI handlers for the Copper reference server: parse HTTP -> call the store -> render JSON.

Routes (base path ``/next``, as in every Copper curl example):

* ``GET /next/tickets``       -> ``store.list_tickets(query pairs)``
* ``GET /next/tickets/{id}``  -> ``store.retrieve(id)``

Choice (docs silent): authentication is checked first, on every request (so an unknown route
without a key is 401); every other route or method is 404 with a JSON error body. Query
parameters on the retrieve route and the ``Copper-Account`` header are ignored.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl

from .store import CopperError, CopperStore

_LIST = "/next/tickets"
_RETRIEVE = re.compile(r"/next/tickets/([^/]+)")


def _wsgi_text(value: str) -> str:
    """WSGI hands over bytes as latin-1 text; recover the UTF-8 the client sent."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _json_response(start_response: Callable, status: int, body: dict[str, Any],
                   headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    start_response(f"{status} {HTTPStatus(status).phrase}", [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(payload))),
        *headers,
    ])
    return [payload]


def make_app(store: CopperStore) -> Callable:
    """A WSGI application serving ``store``."""

    def dispatch(environ: dict[str, Any]) -> dict[str, Any]:
        store.before_request()
        store.require_auth(environ.get("HTTP_AUTHORIZATION"))
        method = environ.get("REQUEST_METHOD", "GET")
        path = _wsgi_text(environ.get("PATH_INFO", "") or "/")
        if method == "GET" and path == _LIST:
            query = parse_qsl(_wsgi_text(environ.get("QUERY_STRING", "")), keep_blank_values=True)
            return store.list_tickets(query)
        match = _RETRIEVE.fullmatch(path)
        if method == "GET" and match:
            return store.retrieve(match.group(1))
        raise store.route_not_found(method, path)

    def app(environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        try:
            body = dispatch(environ)
        except CopperError as err:
            return _json_response(start_response, err.status, err.body, err.headers)
        except Exception as exc:  # noqa: BLE001 - a reference server answers, it never hangs up
            return _json_response(start_response, 500, {"error": {
                "type": "api_error", "message": f"Internal error: {type(exc).__name__}"}})
        return _json_response(start_response, 200, body)

    return app
