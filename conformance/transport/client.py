"""The one HTTP client every check goes through: counts, paces, retries and budgets requests.

Secrets never leave this module: an ``Exchange`` records how a request was authenticated
(``auth="key"|"none"|"wrong"``) and a curl fragment naming the environment variable, not the key.

Failures are sorted into two kinds. A target that cannot be talked to at all (refused, unknown
host, TLS, no connection within the connect timeout) raises ``TransportError``: exit 2. A response
that starts but breaks (connection reset or closed mid-response, a body shorter than its
Content-Length, no answer within the read timeout) raises ``BrokenResponse``, a ``BadResponse``:
the check that asked becomes a failed check naming the request. Idempotent requests are retried on
both kinds, and on 5xx, with exponential backoff, before either is reported.
"""

from __future__ import annotations

import base64
import email.utils
import http.client
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence
from urllib.parse import quote, quote_plus, urlsplit

import requests
import urllib3.exceptions

from conformance.model.errors import BudgetExhausted, TransportError
from conformance.model.exchange import BadResponse, Exchange, with_query
from conformance.profiles.base import Profile

# A key no vendor issues: used to prove that a wrong key is refused. Safe to print.
WRONG_KEY = "sk_test_conformance_wrong_key_000000"

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _monotonic() -> float:
    return time.monotonic()


def _wall() -> float:
    return time.time()


@dataclass(frozen=True)
class ClientOptions:
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 3  # extra attempts for idempotent requests on connection errors and 5xx
    backoff: float = 0.5  # seconds, doubled per attempt
    rate_limit: float | None = None  # requests per second
    max_requests: int | None = None
    max_retry_after: float = 120.0  # never wait longer than this on one 429
    rate_limited_attempts: int = 5  # 429s in a row for one request before the run gives up (exit 2)


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Seconds to wait per a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT, even when written without the zone
        from datetime import timezone

        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now)


KEY_PLACEHOLDER = "<API_KEY>"


def secret_forms(profile: Profile, key: str | None) -> list[str]:
    """Every spelling of ``key`` that could land in a file: raw, URL-encoded, and as sent in headers."""
    if not key or len(key) < 4:  # replacing a 1-3 character "key" everywhere would mangle every body
        return []
    forms = {key, quote(key, safe=""), quote_plus(key), base64.b64encode(f"{key}:".encode()).decode(),
             base64.b64encode(key.encode()).decode().rstrip("=")}
    forms.update(profile.auth.headers(key).values())
    return sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)


def redact(value: Any, forms: Sequence[str], placeholder: str = KEY_PLACEHOLDER) -> Any:
    """``value`` (str, bytes, or lists/dicts of them) with every secret form replaced."""
    if not forms:
        return value
    if isinstance(value, str):
        for form in forms:
            value = value.replace(form, placeholder)
        return value
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
        for form in forms:
            data = data.replace(form.encode(), placeholder.encode())
        return data
    if isinstance(value, list):
        return [redact(v, forms, placeholder) for v in value]
    if isinstance(value, tuple):
        return tuple(redact(v, forms, placeholder) for v in value)
    if isinstance(value, dict):
        return {redact(k, forms, placeholder): redact(v, forms, placeholder) for k, v in value.items()}
    return value


def redact_result(result: Any, forms: list[str]) -> Any:
    """A check result with any echo of the key (in a message, a body excerpt, a URL) replaced."""
    if forms:
        result.message = redact(result.message, forms)
        result.reproduce = redact(list(result.reproduce), forms)
        result.expected = redact(result.expected, forms)
        result.actual = redact(result.actual, forms)
    return result


class BrokenResponse(BadResponse):
    """The connection broke before a whole response arrived (reset, cut off, read timeout)."""

    def __init__(self, exchange: Exchange, reason: str) -> None:
        self.exchange = exchange
        self.reason = reason
        Exception.__init__(self, f"{exchange.method} {exchange.url}: {reason}")


class Client:
    def __init__(self, base_url: str, profile: Profile, api_key: str | None, options: ClientOptions = ClientOptions(),
                 *, session: requests.Session | None = None, sleep: Callable[[float], None] | None = None,
                 monotonic: Callable[[], float] | None = None, wall: Callable[[], float] | None = None,
                 on_request: Callable[[Exchange], None] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self._key = api_key
        self.options = options
        self.session = session or requests.Session()
        # Resolved at call time (not bound as defaults) so that tests can replace the module's clocks.
        self._sleep = sleep or (lambda seconds: _sleep(seconds))
        self._monotonic = monotonic or (lambda: _monotonic())
        self._wall = wall or (lambda: _wall())
        self._last_sent: float | None = None
        self._on_request = on_request
        self.requests = 0

    # -- public -------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: list[tuple[str, str]] | None = None,
                json: Any = None, auth: str = "key", headers: dict[str, str] | None = None) -> Exchange:
        """Send ``method path`` under the base URL; ``auth`` is "key", "none" or "wrong"."""
        url = self.base_url + path
        all_headers = {"Accept": "application/json", **self._auth_headers(auth), **(headers or {})}
        shown = with_query(url, params)
        response = self._send(method, url, params=params, json=json, headers=all_headers,
                              _shown=lambda: self._stub(method, shown, json, auth))
        return self._exchange(method, shown, response, json, auth)

    def send_prepared(self, kwargs: dict[str, Any], auth: str = "key") -> tuple[Exchange, requests.Response]:
        """Send a request described as ``requests`` keyword arguments (from a Schemathesis case)."""
        kwargs = dict(kwargs)
        method = kwargs.pop("method")
        url = kwargs.pop("url")
        secret = {h.lower() for h in self.profile.auth.secret_headers}
        # Credentials are ours to choose (auth=...), never whatever the generator put in the case.
        case_headers = {k: v for k, v in (kwargs.pop("headers", None) or {}).items() if k.lower() not in secret}
        headers = {**case_headers, **self._auth_headers(auth)}
        kwargs.pop("timeout", None)
        body = kwargs.get("json")
        shown = with_query(url, _pairs(kwargs.get("params")))
        response = self._send(method, url, headers=headers, _shown=lambda: self._stub(method, shown, body, auth),
                              **kwargs)
        return self._exchange(method, response.request.url or url, response, body, auth), response

    def auth_headers(self) -> dict[str, str]:
        return self._auth_headers("key")

    def wait(self, seconds: float) -> None:
        """Let time pass on the target (e.g. for a clock with whole seconds); instant in a replay."""
        self._sleep(seconds)

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

    def _stub(self, method: str, url: str, body: Any, auth: str) -> Exchange:
        """The exchange of a request that got no (whole) response: for the finding's reproduction."""
        return Exchange(method=method, url=url, status=0, body=b"", request_body=body, auth=auth,
                        curl_auth=self._curl_auth(auth))

    def _pace(self) -> None:
        if self.options.rate_limit:
            gap = 1.0 / self.options.rate_limit
            if self._last_sent is not None:
                wait = self._last_sent + gap - self._monotonic()
                if wait > 0:
                    self._sleep(wait)
        self._last_sent = self._monotonic()

    def _send(self, method: str, url: str, _shown: Callable[[], Exchange] | None = None,
              **kwargs: Any) -> requests.Response:
        attempt = 0
        limited = 0
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
                tries = f" (after {attempt + 1} attempts)" if attempt else ""
                if _broke_mid_response(exc) and _shown is not None:
                    raise BrokenResponse(_shown(), _reason(exc) + tries) from None
                raise TransportError(f"cannot reach {_origin(url)}: {_reason(exc)}{tries}") from None
            if response.status_code == 429:
                limited += 1
                if limited >= self.options.rate_limited_attempts:
                    raise TransportError(f"rate limited by {_origin(url)}: still 429 after {limited} attempts "
                                         f"(try a lower --rate-limit)")
                wait = retry_after_seconds(response.headers.get("Retry-After"), self._wall())
                wait = self.options.backoff * 2 ** (limited - 1) if wait is None else wait
                if wait > self.options.max_retry_after:
                    raise TransportError(f"rate limited by {_origin(url)}: Retry-After of {wait:.0f}s is too long")
                self._sleep(wait)
                self._last_sent = None  # the wait just served as the pacing gap
                continue
            if response.status_code >= 500 and method in _IDEMPOTENT and attempt < self.options.retries:
                wait = retry_after_seconds(response.headers.get("Retry-After"), self._wall())
                backoff = self.options.backoff * 2 ** attempt
                self._sleep(backoff if wait is None else min(max(wait, backoff), self.options.max_retry_after))
                attempt += 1
                continue
            return response


def _pairs(params: Any) -> list[tuple[str, str]] | None:
    if not params:
        return None
    items = params.items() if isinstance(params, dict) else params
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        for v in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append((str(key), str(v)))
    return pairs


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and everything it wraps (requests and urllib3 nest the real cause in args and ``reason``)."""
    seen: list[BaseException] = []
    todo: list[Any] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
    return seen


_CANNOT_CONNECT = (urllib3.exceptions.NewConnectionError, urllib3.exceptions.NameResolutionError,
                   urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.SSLError, urllib3.exceptions.ProxyError,
                   requests.exceptions.ConnectTimeout, requests.exceptions.SSLError,
                   requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                   requests.exceptions.InvalidSchema, ConnectionRefusedError)


def _broke_mid_response(exc: BaseException) -> bool:
    """True when a connection was made but the response did not arrive whole."""
    return not any(isinstance(e, _CANNOT_CONNECT) for e in _chain(exc))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _reason(exc: Exception) -> str:
    chain = _chain(exc)
    kinds = tuple(type(e) for e in chain)

    def has(*types: type) -> bool:
        return any(issubclass(k, types) for k in kinds)

    if has(ConnectionRefusedError):
        return "connection refused"
    if has(urllib3.exceptions.NameResolutionError):
        return "unknown host"
    if has(requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError):
        return "timed out connecting"
    if has(requests.exceptions.SSLError, urllib3.exceptions.SSLError):
        return "TLS handshake failed"
    if has(requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError):
        return "no response within the read timeout"
    if has(http.client.IncompleteRead, urllib3.exceptions.IncompleteRead):
        return "response cut off: the body is shorter than its Content-Length"
    if has(ConnectionResetError):
        return "connection reset by the server"
    if has(http.client.RemoteDisconnected):
        return "connection closed by the server without a response"
    if has(requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError):
        return "response cut off"
    if has(requests.exceptions.ContentDecodingError):
        return "response body could not be decoded"
    text = " ".join(str(e) for e in chain)
    for needle, reason in (("Connection refused", "connection refused"), ("timed out", "timed out"),
                           ("Name or service not known", "unknown host"), ("nodename nor servname", "unknown host"),
                           ("Failed to resolve", "unknown host"), ("Connection reset", "connection reset"),
                           ("RemoteDisconnected", "connection closed by the server"),
                           ("IncompleteRead", "response cut off")):
        if needle in text:
            return reason
    return type(exc).__name__
