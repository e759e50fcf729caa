"""The one HTTP client every check goes through: counts, paces, retries and budgets requests.

Secrets never leave this module: an ``Exchange`` records how a request was authenticated
(``auth="key"|"none"|"wrong"``) and a curl fragment naming the environment variable, not the key.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

import requests

from conformance.errors import BudgetExhausted, TransportError
from conformance.exchange import Exchange, with_query
from conformance.profiles.base import Profile

# A key no vendor issues: used to prove that a wrong key is refused. Safe to print.
WRONG_KEY = "sk_test_conformance_wrong_key_000000"

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class ClientOptions:
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 3  # extra attempts for idempotent requests on connection errors and 5xx
    backoff: float = 0.5  # seconds, doubled per attempt
    rate_limit: float | None = None  # requests per second
    max_requests: int | None = None
    max_retry_after: float = 120.0  # never wait longer than this on one 429


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Seconds to wait per a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class Client:
    def __init__(self, base_url: str, profile: Profile, api_key: str | None, options: ClientOptions = ClientOptions(),
                 *, session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time,
                 on_request: Callable[[Exchange], None] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self._key = api_key
        self.options = options
        self.session = session or requests.Session()
        self._sleep = sleep
        self._monotonic = monotonic
        self._wall = wall
        self._last_sent: float | None = None
        self._on_request = on_request
        self.requests = 0

    # -- public -------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: list[tuple[str, str]] | None = None,
                json: Any = None, auth: str = "key", headers: dict[str, str] | None = None) -> Exchange:
        """Send ``method path`` under the base URL; ``auth`` is "key", "none" or "wrong"."""
        url = self.base_url + path
        all_headers = {"Accept": "application/json", **self._auth_headers(auth), **(headers or {})}
        response = self._send(method, url, params=params, json=json, headers=all_headers)
        return self._exchange(method, with_query(url, params), response, json, auth)

    def send_prepared(self, kwargs: dict[str, Any], auth: str = "key") -> tuple[Exchange, requests.Response]:
        """Send a request described as ``requests`` keyword arguments (from a Schemathesis case)."""
        kwargs = dict(kwargs)
        method = kwargs.pop("method")
        url = kwargs.pop("url")
        headers = {**(kwargs.pop("headers", None) or {}), **self._auth_headers(auth)}
        for secret in self.profile.auth.secret_headers:
            if auth != "key":
                headers.pop(secret, None)
        kwargs.pop("timeout", None)
        response = self._send(method, url, headers=headers, **kwargs)
        body = kwargs.get("json")
        return self._exchange(method, response.request.url or url, response, body, auth), response

    def auth_headers(self) -> dict[str, str]:
        return self._auth_headers("key")

    # -- internals ----------------------------------------------------------------------------
    def _auth_headers(self, auth: str) -> dict[str, str]:
        if auth == "none":
            return {}
        if auth == "wrong":
            return self.profile.auth.headers(WRONG_KEY)
        return self.profile.auth.headers(self._key) if self._key else {}

    def _curl_auth(self, auth: str) -> str:
        if auth == "none":
            return ""
        if auth == "wrong":
            return self.profile.auth.curl_args(WRONG_KEY)
        return self.profile.curl_auth()

    def _exchange(self, method: str, url: str, response: requests.Response, body: Any, auth: str) -> Exchange:
        exchange = Exchange(method=method, url=url, status=response.status_code, body=response.content,
                            response_headers=dict(response.headers), request_body=body, auth=auth,
                            curl_auth=self._curl_auth(auth))
        if self._on_request:
            self._on_request(exchange)
        return exchange

    def _pace(self) -> None:
        if self.options.rate_limit:
            gap = 1.0 / self.options.rate_limit
            if self._last_sent is not None:
                wait = self._last_sent + gap - self._monotonic()
                if wait > 0:
                    self._sleep(wait)
        self._last_sent = self._monotonic()

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        attempt = 0
        while True:
            if self.options.max_requests is not None and self.requests >= self.options.max_requests:
                raise BudgetExhausted(f"request budget of {self.options.max_requests} spent")
            self._pace()
            self.requests += 1
            try:
                response = self.session.request(
                    method, url, timeout=(self.options.connect_timeout, self.options.read_timeout), **kwargs)
                # Read the whole body now, so a connection reset mid-body is a transport error here.
                _ = response.content
            except requests.RequestException as exc:
                if method in _IDEMPOTENT and attempt < self.options.retries:
                    self._sleep(self.options.backoff * 2 ** attempt)
                    attempt += 1
                    continue
                raise TransportError(f"cannot reach {_origin(url)}: {_reason(exc)}") from None
            if response.status_code == 429 and attempt < self.options.retries + 2:
                wait = retry_after_seconds(response.headers.get("Retry-After"), self._wall())
                wait = self.options.backoff * 2 ** attempt if wait is None else wait
                if wait > self.options.max_retry_after:
                    raise TransportError(f"rate limited by {_origin(url)}: Retry-After of {wait:.0f}s is too long")
                self._sleep(wait)
                attempt += 1
                continue
            if response.status_code >= 500 and method in _IDEMPOTENT and attempt < self.options.retries:
                self._sleep(self.options.backoff * 2 ** attempt)
                attempt += 1
                continue
            return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _reason(exc: Exception) -> str:
    text = str(exc)
    for needle, reason in (("Connection refused", "connection refused"), ("timed out", "timed out"),
                           ("Name or service not known", "unknown host"), ("nodename nor servname", "unknown host"),
                           ("Failed to resolve", "unknown host"), ("Connection reset", "connection reset"),
                           ("RemoteDisconnected", "connection closed by the server"),
                           ("IncompleteRead", "response cut off")):
        if needle in text:
            return reason
    return type(exc).__name__
