"""One HTTP request and its response, as observed; the unit every check reasons about."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode


class BadResponse(Exception):
    """The response is not what an API sends (HTML error page, truncated JSON, empty body)."""

    def __init__(self, exchange: "Exchange", reason: str) -> None:
        self.exchange = exchange
        self.reason = reason
        super().__init__(f"{exchange.method} {exchange.url} -> {exchange.status}: {reason}")


@dataclass(frozen=True)
class Exchange:
    method: str
    url: str  # full URL including the query string
    status: int
    body: bytes
    response_headers: dict[str, str] = field(default_factory=dict)
    request_body: Any = None  # the JSON-able body sent, if any
    auth: str = "key"  # how the request was authenticated: "key", "none" or "wrong"
    curl_auth: str = ""  # curl arguments that authenticate the reproduction (never the secret itself)

    @property
    def content_type(self) -> str:
        for name, value in self.response_headers.items():
            if name.lower() == "content-type":
                return value
        return ""

    def json(self) -> Any:
        """The parsed JSON body; a ``BadResponse`` when the body is not JSON at all."""
        if not self.body:
            raise BadResponse(self, "empty body where JSON was expected")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            snippet = self.body[:80].decode("utf-8", "replace").replace("\n", " ")
            kind = "an HTML page" if snippet.lstrip().lower().startswith(("<!doctype", "<html")) else "not JSON"
            raise BadResponse(self, f"body is {kind} ({self.content_type or 'no content type'}): {snippet!r}")

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise BadResponse(self, f"expected a JSON object, got {type(data).__name__}")
        return data

    def curl(self) -> str:
        """A curl command that reproduces the request; secrets appear only as environment variables."""
        parts = ["curl", "-sS"]
        if self.method != "GET":
            parts += ["-X", self.method]
        cmd = " ".join(parts)
        if self.curl_auth:
            cmd += " " + self.curl_auth
        if self.request_body is not None:
            cmd += " -H 'Content-Type: application/json' --data " + shlex.quote(
                json.dumps(self.request_body, ensure_ascii=False))
        return f"{cmd} {shlex.quote(self.url)}"

    def summary(self) -> str:
        return f"{self.method} {self.url} -> {self.status}"


def with_query(url: str, params: list[tuple[str, str]] | None) -> str:
    return f"{url}?{urlencode(params)}" if params else url
