"""The one HTTP client every check goes through: counts, paces, retries and budgets requests.

Secrets never leave this module: an ``Exchange`` records how a request was authenticated
(``auth="key"|"none"|"wrong"``, or a near miss of the key named in ``transport/credentials.py``)
and a curl fragment naming the environment variable, not the key.

Failures are sorted into two kinds. A target that cannot be talked to at all (refused, unknown
host, TLS, no connection within the connect timeout) raises ``TransportError``: exit 2. A response
that starts but breaks (connection reset or closed mid-response, a body shorter than its
Content-Length, no answer within the read timeout) raises ``BrokenResponse``, a ``BadResponse``:
the check that asked becomes a failed check naming the request. Idempotent requests are retried on
both kinds, and on 5xx, with exponential backoff, before either is reported.
"""

from __future__ import annotations

import email.utils
import http.client
import math
import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import timezone
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.exceptions
import urllib3.response

from conformance.model.errors import ApiUnresponsive, BudgetExhausted, DurationReached, RunEnded, TransportError
from conformance.model.exchange import KEPT_BODY_BYTES, BadResponse, Exchange, UnsafeJson, form_pairs, with_query
from conformance.profiles.base import Profile
from conformance.transport import credentials
from conformance.transport.fanout import Fanout
from conformance.transport import secrets

# A key no vendor issues: used to prove that a wrong key is refused. Safe to print.
WRONG_KEY = "sk_test_conformance_wrong_key_000000"

_RELAX_AFTER = 20  # answers in a row without a 429 after which adaptive pacing halves its gap
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _monotonic() -> float:
    return time.monotonic()


def _wall() -> float:
    return time.time()


MIB = 1024 * 1024


@dataclass(frozen=True)
class ClientOptions:
    connect_timeout: float = 5.0
    read_timeout: float = 30.0  # silence allowed between two reads of one response
    response_timeout: float = 30.0  # total time for one response: connect, headers and the whole body
    max_response_bytes: int = 8 * MIB  # a longer body is not read on: the exchange becomes a finding
    retries: int = 3  # extra attempts for idempotent requests on connection errors and 5xx
    backoff: float = 0.5  # seconds, doubled per attempt
    rate_limit: float | None = None  # requests per second
    adaptive_pacing: bool = False  # --rate-limit auto: after a 429, space requests as the API asks
    max_requests: int | None = None
    max_retry_after: float = 60.0  # a 429/5xx asking for a longer wait ends the run (exit 2)
    rate_limited_attempts: int = 5  # 429s in a row for one request before the run gives up (exit 2)
    unresponsive_after: int = 3  # transport failures in a row before the API is declared unresponsive
    retry_budget: int = 1000  # retries (after 429, 5xx, transport failures) in the whole run
    max_duration: float | None = None  # seconds for the whole run (--max-duration)

    @property
    def worst_response_s(self) -> float:
        """The longest one attempt can take: connect, then the response deadline plus one silent read."""
        return self.connect_timeout + self.response_timeout + min(self.read_timeout, self.response_timeout)

    @property
    def worst_stall_s(self) -> float:
        """How long an API that accepts requests and then falls silent keeps a run going: one silent read
        per attempt, ``unresponsive_after`` attempts in a row, and the backoffs between them."""
        backoffs = sum(self.backoff * 2 ** n for n in range(self.unresponsive_after - 1))
        return self.unresponsive_after * min(self.read_timeout, self.response_timeout) + backoffs


_RETRY_AFTER_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait per a ``Retry-After`` header (delta-seconds or an HTTP date, RFC 9110 10.2.3).

    Pure: ``now`` is the wall clock in epoch seconds. Anything else (``²``, ``-5``, ``soon``, a
    malformed date) is None, as if the header were absent. A date in the past is 0.
    """
    if not value:
        return None
    value = value.strip()
    if _RETRY_AFTER_SECONDS.fullmatch(value):
        seconds = float(value)
        return seconds if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT, even when written without the zone
        when = when.replace(tzinfo=timezone.utc)
    try:
        return max(0.0, when.timestamp() - now)
    except (OverflowError, OSError, ValueError):
        return None


retry_after_seconds = parse_retry_after  # the older name


KEY_PLACEHOLDER = "<API_KEY>"


def secret_forms(profile: Profile, key: str | None) -> list[str]:
    """Every spelling of ``key`` an API might echo (``secrets.spellings``, the one list every scrubber
    uses), plus the header values as this profile sends them, and the spellings of the key's near
    misses (they give it away almost as well)."""
    if not key or len(key) < secrets.MIN_KEY:  # replacing a short "key" everywhere would mangle every body
        return []
    forms = set(secrets.spellings(key, extra=profile.auth.headers(key).values()))
    for near in credentials.secret_values(key):
        if len(near) >= credentials.NEAR_MIN:
            forms.update(secrets.spellings(near))
    return sorted(forms, key=lambda f: (-len(f), f))


def redact(value: Any, forms: Sequence[str], placeholder: str = KEY_PLACEHOLDER) -> Any:
    """``value`` (str, bytes, or lists/dicts of them) with every secret form replaced (``secrets.scrub``)."""
    return secrets.scrub(value, secrets.cached_pattern(tuple(forms)), placeholder)


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


class NoAnswer(BrokenResponse):
    """No whole answer within the deadline (a stall, a trickle, a write that never completes): a
    transport problem, so the check that asked is not evaluated rather than failed."""


class _DeadlineAdapter(requests.adapters.HTTPAdapter):
    """Lets a deadline reach the connection in flight. urllib3 reads the status line and the headers
    one socket read at a time under the read timeout, so a server trickling them could hold a request
    for as long as it likes; ``cut`` shuts that connection's socket down, which ends any read at once."""

    def __init__(self, **pool: Any) -> None:
        super().__init__(**pool)
        # The urllib3 connection each thread is sending on (workers send side by side).
        self.in_flight: dict[int, Any] = {}

    def get_connection_with_tls_context(self, *args: Any, **kwargs: Any) -> Any:
        pool = super().get_connection_with_tls_context(*args, **kwargs)
        if not getattr(pool, "_conformance_watched", False):  # requests has no hook for the connection used
            take = pool._get_conn

            def _get_conn(*a: Any, **k: Any) -> Any:
                connection = self.in_flight[threading.get_ident()] = take(*a, **k)
                return connection

            pool._get_conn, pool._conformance_watched = _get_conn, True
        return pool

    def cut(self, thread: int) -> None:
        connection = self.in_flight.get(thread)
        for conn in (connection, getattr(connection, "real_connection", None)):  # vcrpy wraps the real one
            sock = getattr(conn, "sock", None)
            if isinstance(sock, socket.socket):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def deadline_session(connections: int = 10) -> requests.Session:
    """A session whose connections a deadline can cut, keeping up to ``connections`` alive per host
    (one per worker, and as many for their fanout)."""
    session = requests.Session()
    adapter = _DeadlineAdapter(pool_connections=10, pool_maxsize=max(10, 2 * connections))  # workers + fanout
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _Deadline:
    """A real-time timer for one attempt (the run's clocks may be faked): cuts the connection in flight."""

    def __init__(self, seconds: float, adapter: _DeadlineAdapter | None) -> None:
        self.fired = False
        self._adapter = adapter
        self._thread = threading.get_ident()  # the thread sending the request (the timer fires in another)
        self._timer = threading.Timer(seconds, self._fire) if adapter is not None else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        if self._adapter is not None:
            self._adapter.cut(self._thread)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


class Client:
    """Sends requests for every check of a run: no redirects followed (credentials never leave the base
    URL's origin), bodies streamed under a byte cap and a deadline, retries from one run-wide budget, and
    the run ended (``RunEnded``) when the API stops answering or asks for too long a wait.

    Safe to share between threads (``run --workers N``): the budgets, the pacing slots and what 429s
    taught are run-wide counters behind one lock, so N workers keep one --max-requests, one retry
    budget and one --rate-limit; while one worker waits out a 429, the others send nothing."""

    def __init__(self, base_url: str, profile: Profile, api_key: str | None, options: ClientOptions = ClientOptions(),
                 *, session: requests.Session | None = None, sleep: Callable[[float], None] | None = None,
                 monotonic: Callable[[], float] | None = None, wall: Callable[[], float] | None = None,
                 on_request: Callable[[Exchange], None] | None = None,
                 on_wait: Callable[[float, str], None] | None = None,
                 before_send: Callable[[], None] | None = None, connections: int = 1) -> None:
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self._key = api_key
        self.options = options
        self.session = session or deadline_session(connections)
        # One connection per worker; a check's independent requests (fanout.py) use the idle ones.
        self.fanout = Fanout(connections - 1, self)
        adapter = self.session.get_adapter(self.base_url) if self.base_url.startswith("http") else None
        self._deadline_adapter = adapter if isinstance(adapter, _DeadlineAdapter) else None
        # Resolved at call time (not bound as defaults) so that tests can replace the module's clocks.
        self._sleep = sleep or (lambda seconds: _sleep(seconds))
        self._monotonic = monotonic or (lambda: _monotonic())
        self._wall = wall or (lambda: _wall())
        self._last_sent: float | None = None
        self._on_request = on_request
        self._on_wait = on_wait
        self._before_send = before_send  # e.g. raises once the run is interrupted: no request after Ctrl-C
        self._lock = threading.Lock()  # the run-wide counters below, shared by the workers
        self._holds = threading.Condition(self._lock)  # workers wait here while one waits out a 429
        self._holding = 0  # workers waiting out a 429 right now
        self._here = threading.local()  # this thread's own counts (a check's requests, its answer bytes)
        self._started = self._monotonic()
        self.requests = 0
        self.retries = 0  # retries spent from options.retry_budget
        self.waited_s = 0.0  # time spent waiting: pacing, Retry-After, backoff
        self.received_bytes = 0  # body bytes read in the run (observations that keep bodies budget with it)
        self._failures_in_a_row = 0
        self._answered = False  # some response arrived: a refused connection now means the API went away
        self._ended: RunEnded | None = None
        self._gap = 0.0  # adaptive pacing: seconds between requests, learnt from 429s
        self._ok_since_429 = 0
        self._seen_429 = False
        self._learnt = 0.0  # the gap the 429s asked for; _gap may be relaxed below it
        self._relax = True
        self._pacing_useless = False  # a paced request was refused anyway: the limit is not a rate

    @property
    def requests_here(self) -> int:
        """Requests (attempts) sent by the calling thread: what the check running in it cost."""
        return getattr(self._here, "requests", 0)

    @property
    def received_here(self) -> int:
        """Body bytes read by the calling thread (what a memoized observation computed in it holds)."""
        return getattr(self._here, "received", 0)

    def count_here(self, requests: int, received: int) -> None:
        """Count what helper threads sent for the calling thread (``Fanout``) as its own."""
        self._here.requests = self.requests_here + requests
        self._here.received = self.received_here + received

    # -- public -------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: list[tuple[str, str]] | None = None,
                json: Any = None, auth: str = "key", headers: dict[str, str] | None = None,
                encoding: str = "json") -> Exchange:
        """Send ``method path`` under the base URL; ``auth`` is "key", "none" or "wrong". The body
        ``json`` goes as JSON, or with ``encoding="form"`` form-encoded (``form_pairs``: ``a[k]=v``)."""
        url = self.base_url + path
        all_headers = {"Accept": "application/json", **self._auth_headers(auth), **(headers or {})}
        shown = with_query(url, params)
        body = {"data": form_pairs(json)} if encoding == "form" and json is not None else {"json": json}
        response = self._send(method, url, params=params, headers=all_headers,
                              _shown=lambda: self._stub(method, shown, json, auth, encoding), **body)
        return self._exchange(method, shown, response, json, auth, encoding)

    def send_prepared(self, kwargs: dict[str, Any], auth: str = "key") -> tuple[Exchange, requests.Response]:
        """Send a request described as ``requests`` keyword arguments (from a Schemathesis case)."""
        kwargs = dict(kwargs)
        method = kwargs.pop("method")
        url = kwargs.pop("url")
        secret = {h.lower() for h in self.profile.auth.secret_headers}
        # Credentials are ours to choose (auth=...), never whatever the generator put in the case.
        case_headers = {k: v for k, v in (kwargs.pop("headers", None) or {}).items() if k.lower() not in secret}
        headers = {**case_headers, **self._auth_headers(auth)}
        for name in ("timeout", "allow_redirects", "stream"):  # ours to choose as well
            kwargs.pop(name, None)
        body, encoding = kwargs.get("json"), "json"
        if body is None and isinstance(kwargs.get("data"), dict):  # a form body (Schemathesis: data=)
            body, encoding = kwargs["data"], "form"
        shown = with_query(url, _pairs(kwargs.get("params")))
        response = self._send(method, url, headers=headers,
                              _shown=lambda: self._stub(method, shown, body, auth, encoding), **kwargs)
        exchange = self._exchange(method, response.request.url or url, response, body, auth, encoding)
        if "json" in exchange.content_type.lower():
            try:  # JSON no parser should be handed (too deep, out of range): a finding before any validator
                exchange.json()
            except UnsafeJson:
                raise
            except BadResponse:
                pass  # plain invalid JSON: the schema validator reports that itself
        return exchange, response

    def auth_headers(self) -> dict[str, str]:
        return self._auth_headers("key")

    def near_misses(self) -> list[credentials.NearMiss]:
        """The near misses of the key this client can present (a case swap of a key without letters is
        the key itself, and is left out)."""
        return [n for n in credentials.near_misses(self.profile.auth)
                if self._key and credentials.differs_from_key(n.kind, self._key)]

    def wait(self, seconds: float) -> None:
        """Let time pass on the target (e.g. for a clock with whole seconds); instant in a replay."""
        self._sleep(seconds)

    # -- internals ----------------------------------------------------------------------------
    def _auth_headers(self, auth: str) -> dict[str, str]:
        if auth == "none":
            return {}
        if auth == "wrong":
            return self.profile.auth.headers(WRONG_KEY)
        if credentials.is_near_miss(auth):
            return credentials.headers(auth, self.profile.auth, self._key) if self._key else {}
        return self.profile.auth.headers(self._key) if self._key else {}

    def _curl_auth(self, auth: str) -> str:
        if auth == "none":
            return ""
        if auth == "wrong":
            return self.profile.auth.curl_args(WRONG_KEY)
        if credentials.is_near_miss(auth):
            return credentials.curl_args(auth, self.profile.auth, self.profile.key_env)
        return self.profile.curl_auth()

    def _exchange(self, method: str, url: str, response: requests.Response, body: Any, auth: str,
                  encoding: str = "json") -> Exchange:
        exchange = Exchange(method=method, url=url, status=response.status_code, body=response.content,
                            response_headers=dict(response.headers), request_body=body, auth=auth,
                            curl_auth=self._curl_auth(auth), request_encoding=encoding)
        if self._on_request:
            self._on_request(exchange)
        return exchange

    def _stub(self, method: str, url: str, body: Any, auth: str, encoding: str = "json") -> Exchange:
        """The exchange of a request that got no (whole) response: for the finding's reproduction."""
        return Exchange(method=method, url=url, status=0, body=b"", request_body=body, auth=auth,
                        curl_auth=self._curl_auth(auth), request_encoding=encoding)

    def _wait(self, seconds: float, why: str) -> None:
        if seconds <= 0:
            return
        if self._on_wait and seconds >= 0.1:
            self._on_wait(seconds, why)
        with self._lock:
            self.waited_s += seconds
        self._sleep(seconds)

    def _end(self, error: RunEnded) -> RunEnded:
        """Remember why the run ends: every later request raises the same error without being sent."""
        self._ended = error
        return error

    def _admit(self) -> bool:
        """Admit one attempt: the run-wide checks (ended, --max-duration, --max-requests) and counts, and
        its send slot, all under the lock (so N workers never exceed the budget, and their requests are
        spaced as one stream); then wait for the slot. True when the attempt waited for pacing."""
        with self._lock:
            while self._holding and self._ended is None:  # another worker is waiting out a 429
                self._holds.wait(0.5)
            if self._ended is not None:
                raise self._ended
            self._check_clock()
            if self.options.max_requests is not None and self.requests >= self.options.max_requests:
                raise BudgetExhausted(f"request budget of {self.options.max_requests} spent")
            gap = 1.0 / self.options.rate_limit if self.options.rate_limit else self._gap
            now = self._monotonic()
            slot = max(now, self._last_sent + gap) if gap and self._last_sent is not None else now
            self._last_sent = slot
            self.requests += 1
        self._here.requests = self.requests_here + 1
        if slot > now:
            self._wait(slot - now, "pacing" if self.options.rate_limit else "pacing after 429s")
            return True
        return False

    def _learn_from_429(self, wait: float, paced: bool) -> None:
        """--rate-limit auto: from the second 429 on (one is a blip, two are a pattern), space requests by
        the wait asked shared by the requests the API allowed in between. A request refused although it
        was spaced by the full learnt gap means the limit is not a rate (e.g. every other request):
        pacing is given up for good, as it would only add time. A gap relaxed too far is restored."""
        if self.options.adaptive_pacing and not self.options.rate_limit and not self._pacing_useless:
            if paced and self._gap >= self._learnt >= wait:
                self._pacing_useless, self._gap, self._learnt = True, 0.0, 0.0
            elif paced and self._gap < self._learnt:
                self._gap, self._relax = self._learnt, False  # relaxed too far: keep the learnt gap from now on
            elif self._seen_429:
                self._learnt = max(self._learnt, wait / max(1, self._ok_since_429))
                self._gap = self._learnt
        self._seen_429 = True
        self._ok_since_429 = 0

    def _answered_without_429(self) -> None:
        self._ok_since_429 += 1
        if self._gap and self._relax and self._ok_since_429 % _RELAX_AFTER == 0:
            self._gap = self._gap / 2 if self._gap > 0.02 else 0.0  # a burst of 429s should not slow the rest

    def _spend_retry(self) -> bool:
        with self._lock:
            if self.retries >= self.options.retry_budget:
                return False
            self.retries += 1
            return True

    def check_time_left(self) -> None:
        """``DurationReached`` once --max-duration is spent (also raised by the next request)."""
        if self._ended is not None:
            raise self._ended
        self._check_clock()

    def _check_clock(self) -> None:
        limit = self.options.max_duration
        if limit is not None and self._monotonic() - self._started >= limit:
            raise self._end(DurationReached(f"--max-duration of {limit:g} s reached"))

    def _failed(self, method: str, url: str, reason: str) -> None:
        with self._lock:
            self._failures_in_a_row += 1
            failures = self._failures_in_a_row
        if failures >= self.options.unresponsive_after:
            raise self._end(ApiUnresponsive(
                f"the API stopped responding: {self._failures_in_a_row} transport failures in a row, the last "
                f"{method} {urlsplit(url).path}: {reason}"))

    def _send(self, method: str, url: str, _shown: Callable[[], Exchange] | None = None,
              **kwargs: Any) -> requests.Response:
        attempt = 0
        limited = 0
        origin = _origin(url)
        while True:
            if self._before_send:
                self._before_send()
            paced = self._admit()
            started = self._monotonic()
            try:
                response = self._attempt(method, url, started, kwargs)
            except _Oversized as exc:
                self._failures_in_a_row = 0  # it answered: too much, but it answered
                exchange = _shown() if _shown else None
                if exchange is None:
                    raise
                raise BrokenResponse(_with_status(exchange, exc.status, exc.head), exc.reason) from None
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, _TooSlow) as exc:
                reason = exc.reason if isinstance(exc, _TooSlow) else _reason(exc)
                connected = _broke_mid_response(exc) if not isinstance(exc, _TooSlow) else True
                timed_out = isinstance(exc, _TooSlow) or _is_timeout(exc)
                if connected and timed_out or not connected and self._answered:
                    self._failed(method, url, reason)  # each timeout costs time: each one counts
                if method in _IDEMPOTENT and attempt < self.options.retries and self._spend_retry():
                    self._wait(self.options.backoff * 2 ** attempt, f"retrying after: {reason}")
                    attempt += 1
                    continue
                if connected and not timed_out:
                    self._failed(method, url, reason)  # a reset or cut-off: one per request that gave up
                tries = f" (after {attempt + 1} attempts)" if attempt else ""
                if connected and timed_out and _shown is not None:
                    once = "" if method in _IDEMPOTENT else f"; not retried: {method} is not idempotent"
                    raise NoAnswer(_shown(), f"the API did not answer {method} {urlsplit(url).path} in time: "
                                             f"{reason}{tries}{once}") from None
                if connected and _shown is not None:
                    raise BrokenResponse(_shown(), reason + tries) from None
                raise TransportError(f"cannot reach {origin}: {reason}{tries}") from None
            self._answered = True
            self._failures_in_a_row = 0
            status = response.status_code
            if status == 429:
                limited += 1
                if limited >= self.options.rate_limited_attempts:
                    raise self._end(ApiUnresponsive(f"rate limited by {origin}: still 429 after {limited} attempts "
                                                    f"(try a lower --rate-limit)"))
                asked = self._asked_wait(response, origin)
                wait = self.options.backoff * 2 ** (limited - 1) if asked is None else asked
                if not self._spend_retry():
                    raise self._end(ApiUnresponsive(f"rate limited by {origin}: the retry budget of "
                                                    f"{self.options.retry_budget} is spent"))
                with self._lock:
                    self._learn_from_429(wait, paced)
                    self._holding += 1  # one backoff for the whole run: the other workers hold off too
                try:
                    self._wait(wait, "429 Retry-After" if asked is not None else "429, backing off")
                finally:
                    with self._lock:
                        self._holding -= 1
                        self._last_sent = None  # the wait just served as the pacing gap
                        self._holds.notify_all()
                continue
            with self._lock:
                self._answered_without_429()
            if status >= 500 and method in _IDEMPOTENT and attempt < self.options.retries:
                asked = self._asked_wait(response, origin)
                if self._spend_retry():
                    wait = max(asked or 0.0, self.options.backoff * 2 ** attempt)
                    self._wait(wait, f"{status}, retrying")
                    attempt += 1
                    continue
            return response

    def _too_slow(self) -> "_TooSlow":
        return _TooSlow(f"answer not complete within {self.options.response_timeout:g} s (--response-timeout)")

    def _attempt(self, method: str, url: str, started: float, kwargs: dict[str, Any]) -> requests.Response:
        """One request and its whole answer (status line, headers, body) within --response-timeout."""
        # The cut comes one silent read after the deadline (the bound worst_response_s states), so a
        # server that merely falls silent is still reported by its read timeout, as before.
        grace = min(self.options.read_timeout, self.options.response_timeout)
        deadline = _Deadline(self.options.response_timeout + grace, self._deadline_adapter)
        try:
            response = self.session.request(
                method, url, timeout=(self.options.connect_timeout,
                                      min(self.options.read_timeout, self.options.response_timeout)),
                allow_redirects=False, stream=True, **kwargs)
            self._read_body(response, started)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if deadline.fired:  # the deadline cut the connection: that is why the read failed
                raise self._too_slow() from exc
            raise
        finally:
            deadline.cancel()
        if deadline.fired:  # cut just as the body ended: it may be incomplete
            response.close()
            raise self._too_slow()
        return response

    def _asked_wait(self, response: requests.Response, origin: str) -> float | None:
        """The Retry-After of a 429 or 5xx; one beyond --max-retry-after ends the run."""
        asked = parse_retry_after(response.headers.get("Retry-After"), self._wall())
        if asked is not None and asked > self.options.max_retry_after:
            shown = f"{asked:.0f}s" if asked < 1e12 else "an endless wait"
            raise self._end(ApiUnresponsive(
                f"rate limited by {origin}: {response.status_code} with Retry-After of {shown} is too long "
                f"(over --max-retry-after {self.options.max_retry_after:g} s)"))
        return asked

    def _read_body(self, response: requests.Response, started: float) -> bytes:
        """Read the body in bounded pieces: over the byte cap or past the deadline, stop reading."""
        cap, deadline = self.options.max_response_bytes, started + self.options.response_timeout
        raw = response.raw
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                if self._monotonic() > deadline:
                    raise self._too_slow()
                # read1: one socket read at most, so a trickling body cannot hold us past the deadline
                chunk = _read_some(raw, 64 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > cap:
                    raise _Oversized(response.status_code, b"".join(chunks)[:KEPT_BODY_BYTES],
                                     f"answer larger than {_size(cap)} (--max-response-bytes)")
                chunks.append(chunk)
        except BaseException:
            response.close()  # the rest of this answer is not wanted: drop the connection
            raise
        body = b"".join(chunks)
        with self._lock:
            self.received_bytes += size
        self._here.received = self.received_here + size
        response._content = body  # what ``response.content`` and ``.json()`` give (Schemathesis reads them)
        response._content_consumed = True
        release = getattr(raw, "release_conn", None)
        if release:
            release()  # read to the end: the connection goes back to the pool for the next request
        return body


def _read_some(raw: Any, size: int) -> bytes:
    """At most ``size`` decoded body bytes, from at most one socket read."""
    if isinstance(raw, urllib3.response.BaseHTTPResponse):
        return raw.read1(size, decode_content=True)
    read1 = getattr(raw, "read1", None)  # a recording's stand-in (vcrpy) holds the body in memory already
    return read1(size) if read1 else raw.read(size)


class _TooSlow(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class _Oversized(Exception):
    def __init__(self, status: int, head: bytes, reason: str) -> None:
        self.status, self.head, self.reason = status, head, reason
        super().__init__(reason)


def _with_status(exchange: Exchange, status: int, head: bytes) -> Exchange:
    from dataclasses import replace

    return replace(exchange, status=status, body=head)


def _size(n: int) -> str:
    return f"{n / MIB:g} MiB" if n >= MIB and n % (MIB // 4) == 0 else f"{n} bytes"


def _is_timeout(exc: BaseException) -> bool:
    return any(isinstance(e, (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError, TimeoutError))
               for e in _chain(exc))


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
