"""Recorded exchanges (vcrpy): one cassette per check, secrets scrubbed, replayed with no network.

Safety: the key is replaced in every spelling an API might echo (``conformance.transport.secrets``),
in URLs, headers, bodies and the reason phrase, and a final pass over each cassette's decoded
content refuses to write one that still holds it (exit 2). Cassettes are untrusted input (they are
committed and replayed in pull requests): they are read by the suite's own safe YAML serializer,
whatever vcrpy is installed, and a malformed or hostile one is exit 2 naming the file.

Layout of a recording, ``<dir>/<vendor>/``:

- ``_run.yaml``: how the run was made (seed, max examples, writes, version prefix, the checks, and
  the versions of the package, Hypothesis, Schemathesis, vcrpy and Python that made it: a replay
  regenerates requests from the seed, so a miss under other versions names them as the cause);
- ``_preflight.yaml``: the first request of the run;
- ``<check_name>.yaml``: every request one check made, in order.

Requests are matched on method, path, the exact query string, the body and how the request was
authenticated (the key, the suite's wrong key, or none), never on host or port: a recording made
against ``127.0.0.1:<random port>`` replays anywhere. Each check starts with an empty walk memo when
cassettes are in use, so every cassette holds all the requests its check needs and one check can be
replayed on its own. Identical requests are played back in recorded order, once each
(``allow_playback_repeats=False``), so stateful sequences (read, update, read again) replay faithfully.

Re-record after changing a check: ``scripts/record-cassettes`` (``ticket-conformance record``;
the re-recording itself lives in ``conformance.run.recording``).
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator
from urllib.parse import quote, urlsplit

import requests
import vcr
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException, UnhandledHTTPRequestError
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.serialize import deserialize, serialize
from vcr.util import read_body

from conformance.model.errors import CassetteMiss, ConfigError
from conformance.profiles.base import Profile
from conformance.transport import credentials, secrets
from conformance.transport.client import KEY_PLACEHOLDER, WRONG_KEY, secret_forms

RUN_FILE = "_run.yaml"
PREFLIGHT = "_preflight"
REPLAY_ORIGIN = "http://replay.invalid"  # .invalid never resolves: nothing in a replay can reach a network
REPLAY_KEY = "replay-placeholder-key-not-a-secret"  # presented during replay so auth kinds still match
WRONG_PLACEHOLDER = "<WRONG_KEY>"
REDACTED = "<REDACTED>"
SECRET_HEADERS = ("authorization", "x-api-key", "proxy-authorization", "cookie")
SECRET_QUERY = ("api_key", "apikey", "access_token")
RECORDED_ORIGIN = "http://recorded.invalid"
# Left out of cassettes: they change on every recording (churn in git) and no check reads them.
NOISY_REQUEST_HEADERS = ("user-agent", "accept-encoding", "connection", "x-schemathesis-testcaseid")
NOISY_RESPONSE_HEADERS = ("date", "server")
RECORD_COMMAND = "ticket-conformance record"  # what scripts/record-cassettes runs; installed with the wheel
# What made a recording, written to _run.yaml. The first three decide which requests a seed generates
# (the checks; Hypothesis's and Schemathesis's draws), so a replay miss under other versions names them.
RECORDED_PACKAGES = ("ticket-conformance", "hypothesis", "schemathesis", "vcrpy")
GENERATING_PACKAGES = ("ticket-conformance", "hypothesis", "schemathesis")

CheckScope = Callable[[str], ContextManager[None]]


# -- scrubbing ----------------------------------------------------------------------------------
class Scrubber:
    """vcrpy hooks that keep the key out of cassettes while keeping requests matchable.

    A secret header is replaced by the kind of credential it carried (``<API_KEY>``, ``<WRONG_KEY>``,
    a near miss of the key such as ``<NEAR-MINUS-LAST>``, or ``<REDACTED>``); the key (and each near
    miss of it) in any other spelling, anywhere in a URL, header or body, becomes
    ``<API_KEY>``. The same hook runs on requests made during replay (with a placeholder key), so a
    replayed request scrubs to exactly what was recorded.
    """

    def __init__(self, profile: Profile, key: str | None) -> None:
        self.profile = profile
        self.key = key
        self.forms = secrets.spellings(key, extra=secret_forms(profile, key))
        self._regex = secrets.pattern(self.forms)
        self._kinds: dict[tuple[str, str], str] = {}
        for credential, tag in ((WRONG_KEY, WRONG_PLACEHOLDER), (key, KEY_PLACEHOLDER)):
            if credential:
                for name, value in profile.auth.headers(credential).items():
                    self._kinds[(name.lower(), value)] = tag
        for near in credentials.near_misses(profile.auth) if key else ():
            # Tagged by kind, so a replay (with a placeholder key) presents the same tags as the recording.
            for name, value in credentials.headers(near.kind, profile.auth, key).items():
                self._kinds.setdefault((name.lower(), value), near_tag(near.kind))
        self._tags = {KEY_PLACEHOLDER, WRONG_PLACEHOLDER, REDACTED, *self._kinds.values()}
        self.secret_headers = {*SECRET_HEADERS, *(h.lower() for h in profile.auth.secret_headers)}

    def _scrub(self, value: Any) -> Any:
        return secrets.scrub(value, self._regex, KEY_PLACEHOLDER)

    def request(self, request: Any) -> Any:
        headers = {}
        for name, value in request.headers.items():
            text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            if name.lower() in self.secret_headers:  # idempotent: vcrpy runs this hook on stored requests too
                headers[name] = text if text in self._tags else self._kinds.get((name.lower(), text), REDACTED)
            else:
                headers[self._scrub(name)] = self._scrub(text)
        request.headers = headers
        uri = self._scrub(request.uri)
        parts = urlsplit(uri)
        # One origin for every recording (a loopback port differs per run; matching ignores it anyway).
        if parts.netloc and uri.startswith(f"{parts.scheme}://{parts.netloc}"):
            uri = RECORDED_ORIGIN + uri[len(f"{parts.scheme}://{parts.netloc}"):]
        request.uri = _redact_query_names(uri)
        if request.body is not None and not hasattr(request.body, "read"):
            request.body = self._scrub(request.body)
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        body = response.get("body", {}).get("string")
        if isinstance(body, (bytes, str)):
            scrubbed = self._scrub(body)
            if scrubbed != body:
                response["body"]["string"] = scrubbed
                size = len(scrubbed.encode() if isinstance(scrubbed, str) else scrubbed)
                for name in list(response.get("headers", {})):
                    if name.lower() == "content-length":
                        response["headers"][name] = [str(size)]
        status = response.get("status")
        if isinstance(status, dict) and "message" in status:  # the reason phrase: an API may echo the key there
            status["message"] = self._scrub(status["message"])
        kept = {}
        for name, values in (response.get("headers") or {}).items():
            if name.lower() in NOISY_RESPONSE_HEADERS:
                continue
            if name.lower() in ("set-cookie", "www-authenticate-info", "authorization"):
                kept[name] = [REDACTED]
            else:
                kept[self._scrub(name)] = self._scrub(values)
        if "headers" in response:
            response["headers"] = kept
        return response


def near_tag(kind: str) -> str:
    """The placeholder a near miss of the key is recorded as, e.g. ``<NEAR-MINUS-LAST>``."""
    return f"<{kind.upper()}>"


_SECRET_QUERY = re.compile(r"(?i)(?<=[?&])(" + "|".join(SECRET_QUERY) + r")=[^&#]*")


def _redact_query_names(uri: str) -> str:
    """Credentials passed as query parameters, blanked in place (vcrpy's own filter re-sorts the query)."""
    return _SECRET_QUERY.sub(lambda m: f"{m.group(1)}={quote(REDACTED)}", uri)


def _request_key(request: Any) -> tuple[Any, ...]:
    """What identifies a request in a recording: method, path, the exact query string (order, repeats
    and empty values matter to an API), the credential kind (a tag after scrubbing) and the body
    (JSON compared by value). Never host or port. Cached on the request: vcrpy compares one incoming
    request with every stored one, and its own matchers do not stop at the first difference."""
    key = getattr(request, "_conformance_key", None)
    if key is None:
        auth = tuple(sorted((k.lower(), str(v)) for k, v in request.headers.items() if k.lower() in SECRET_HEADERS))
        key = (request.method.upper(), request.path or "/", urlsplit(request.uri).query, auth, _body_key(request))
        request._conformance_key = key
    return key


def _body_key(request: Any) -> Any:
    body = read_body(request)
    if not body:
        return b""
    try:
        return json.dumps(json.loads(body), sort_keys=True, ensure_ascii=False)
    except (ValueError, UnicodeDecodeError):
        return bytes(body) if isinstance(body, (bytes, bytearray)) else str(body)


def _same_request(r1: Any, r2: Any) -> None:
    k1, k2 = _request_key(r1), _request_key(r2)
    if k1 != k2:
        parts = ("method", "path", "query", "credentials", "body")
        raise AssertionError("differs in " + ", ".join(p for p, a, b in zip(parts, k1, k2) if a != b))


# -- reading and writing cassette files ------------------------------------------------------------
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
SERIALIZER = "conformance-safe-yaml"


class SafeYamlSerializer:
    """Cassettes as YAML, read with the safe loader whatever vcrpy version is installed (vcrpy before
    8.3 used ``yaml.Loader``, which runs ``!!python/object/apply`` tags: a committed cassette is
    untrusted input). Written with the safe dumper, so nothing is written that could not be read back."""

    @staticmethod
    def deserialize(cassette_string: str) -> Any:
        return yaml.load(cassette_string, Loader=_SafeLoader)

    @staticmethod
    def serialize(cassette_dict: dict[str, Any]) -> str:
        return yaml.dump(cassette_dict, Dumper=_SafeDumper)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


class CassetteFiles:
    """vcrpy persister: a cassette that cannot be read is exit 2 naming the file (never an internal
    error), and a cassette that still holds the key in any spelling is never written."""

    def __init__(self, key: str | None) -> None:
        self.key = key

    def load_cassette(self, cassette_path: str, serializer: Any) -> Any:
        path = Path(cassette_path)
        if not path.is_file():
            raise CassetteNotFoundError()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read cassette {path}: {_one_line(exc)}") from None
        if not text.strip():
            raise CassetteNotFoundError()
        try:
            return deserialize(text, serializer)
        except Exception as exc:  # noqa: BLE001 - any malformed or hostile content is the file's fault
            raise ConfigError(f"cannot read cassette {path}: not a valid recording ({_one_line(exc)}); "
                              f"re-record it: {RECORD_COMMAND}") from None

    def save_cassette(self, cassette_path: str, cassette_dict: dict[str, Any], serializer: Any) -> None:
        path = Path(cassette_path)
        content = [[r._to_dict() for r in cassette_dict.get("requests", [])], cassette_dict.get("responses", [])]
        data = serialize(cassette_dict, serializer)
        if secrets.still_contains(content, self.key, near=True):
            raise ConfigError(f"refusing to write cassette {path}: it still contains the API key in some spelling")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(data, encoding="utf-8")


def _vcr(scrubber: Scrubber, record_mode: str) -> vcr.VCR:
    # vcrpy's filter_headers drops the noisy headers; its filter_query_parameters would re-sort the query
    # (see _redact_query_names) and neither can tag a credential by kind, so the rest is in Scrubber.
    recorder = vcr.VCR(record_mode=record_mode, match_on=("conformance_request",),
                       filter_headers=list(NOISY_REQUEST_HEADERS),
                       before_record_request=scrubber.request, before_record_response=scrubber.response,
                       decode_compressed_response=True, serializer=SERIALIZER)
    recorder.register_serializer(SERIALIZER, SafeYamlSerializer())
    recorder.register_persister(CassetteFiles(scrubber.key))
    recorder.register_matcher("conformance_request", _same_request)
    return recorder


# -- the run file ---------------------------------------------------------------------------------
def vendor_dir(directory: Path, profile: Profile) -> Path:
    return Path(directory) / profile.name


def read_run(directory: Path, profile: Profile) -> dict[str, Any]:
    where = vendor_dir(directory, profile)
    path = where / RUN_FILE
    if not where.is_dir():
        raise ConfigError(f"no cassettes for {profile.name} in {where}/ (record them: {RECORD_COMMAND} --vendor "
                          f"{profile.name}, or ticket-conformance run --vendor {profile.name} --record --base-url URL)")
    if not path.is_file():
        raise ConfigError(f"{where}/ is not a recording: {RUN_FILE} is missing (re-record: {RECORD_COMMAND})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("vendor") != profile.name:
        raise ConfigError(f"{path} is not a {profile.name} recording")
    if not data.get("complete"):
        raise ConfigError(f"the recording in {where}/ is incomplete (the recorded run ended early): re-record it")
    return data


# -- scopes ---------------------------------------------------------------------------------------
@dataclass
class _Scope:
    name: str
    path: Path
    miss: CassetteMiss | None = None


class _Cassettes:
    """Per-check cassettes: ``scope(name)`` is the engine's ``check_scope`` hook."""

    def __init__(self, profile: Profile, where: Path, key: str | None, record_mode: str,
                 recorded_versions: dict[str, Any] | None = None) -> None:
        self.where = where
        self.recorded_versions = recorded_versions or {}
        self.recorder = _vcr(Scrubber(profile, key), record_mode)
        self.current: _Scope | None = None
        self.scoped: list[str] = []

    @contextmanager
    def scope(self, name: str) -> Iterator[None]:
        state = _Scope(name, self.where / f"{name}.yaml")
        self.current = state
        if name != PREFLIGHT:
            self.scoped.append(name)
        try:
            with self.recorder.use_cassette(str(state.path), allow_playback_repeats=False):
                yield
        finally:
            self.current = None
        if state.miss is not None:  # even if the check swallowed it: a replay miss never passes quietly
            raise state.miss

    def miss_cause(self) -> str:
        """Why a replay asked for a request the recording lacks: other versions, else a changed check."""
        now = installed_versions()
        differ = [f"{name} {self.recorded_versions[name]}, replaying with {now.get(name)}"
                  for name in GENERATING_PACKAGES
                  if self.recorded_versions.get(name) and str(self.recorded_versions[name]) != now.get(name)]
        if differ:
            pins = " ".join(f"{name}=={self.recorded_versions[name]}" for name in GENERATING_PACKAGES
                            if self.recorded_versions.get(name) and str(self.recorded_versions[name]) != now.get(name))
            return (f"recorded with {'; '.join(differ)}: these versions generate other requests from the same "
                    f"seed; re-record ({RECORD_COMMAND}) or install the recorded version (pip install {pins})")
        return f"the check changed since recording? re-record: {RECORD_COMMAND}"


_REASONS = {"cassette_not_found": "the cassette does not exist",
            "already_played": "it was recorded fewer times than the replay asks for it",
            "no_match": "it was never recorded", "nothing_similar": "it was never recorded",
            "missing_metadata": "cassette metadata is missing"}


class ReplaySession(requests.Session):
    """The replay's HTTP session: a request the cassette lacks ends the run (exit 2), naming both."""

    def __init__(self, cassettes: _Cassettes) -> None:
        super().__init__()
        self.cassettes = cassettes
        self.trust_env = False  # no proxy or netrc lookups: nothing here goes anywhere

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        state = self.cassettes.current
        if state is None:
            raise CassetteMiss(f"replay: {method!s} {url!s} was sent outside any check's cassette")
        if state.miss is not None:
            raise state.miss
        try:
            return super().request(method, url, *args, **kwargs)
        except (CannotOverwriteExistingCassetteException, UnhandledHTTPRequestError) as exc:
            request = getattr(exc, "failed_request", None)
            shown = f"{request.method} {request.uri}" if request is not None else f"{method!s} {url!s}"
            reason = _REASONS.get(getattr(exc, "reason", ""), "it was never recorded")
            state.miss = CassetteMiss(f"replay miss: {shown} is not in cassette {state.path} ({reason}); "
                                      + self.cassettes.miss_cause())
            raise state.miss from None


@dataclass
class Replay:
    """What a replay needs: an HTTP session answered from cassettes, the per-check scope, the prefix."""

    session: requests.Session
    check_scope: CheckScope
    prefix: str
    recorded_from: str


@contextmanager
def open_replay(profile: Profile, directory: Path) -> Iterator[Replay]:
    """Answers from ``directory/<vendor>/``; never touches the network."""
    run = read_run(directory, profile)
    versions = run.get("versions") if isinstance(run.get("versions"), dict) else {}
    cassettes = _Cassettes(profile, vendor_dir(directory, profile), REPLAY_KEY, "none", versions)
    session = ReplaySession(cassettes)
    try:
        yield Replay(session=session, check_scope=cassettes.scope,
                     prefix=str(run.get("prefix") or profile.version_prefix),
                     recorded_from=str(run.get("recorded_from") or ""))
    finally:
        session.close()


@contextmanager
def recording(profile: Profile, directory: Path, base_url: str, key: str | None,
              settings: dict[str, Any]) -> Iterator[CheckScope]:
    """Record into a temporary directory next to ``directory/<vendor>/``; it replaces what was there
    only when the run completes (an interrupted or failed run leaves the previous recording intact).
    Yields the per-check scope.

    ``settings`` are the run's seed, max_examples, allow_writes, max_requests and selection."""
    where = vendor_dir(directory, profile)
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=where.parent, prefix=f".{profile.name}-recording-"))
    except OSError as exc:
        raise ConfigError(f"cannot write cassettes to {where}/: {exc.strerror or exc}") from None
    cassettes = _Cassettes(profile, scratch, key, "all")
    run = {"vendor": profile.name,
           "recorded": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "recorded_from": _origin(base_url), "prefix": urlsplit(base_url).path.rstrip("/"),
           **settings, "complete": False, "checks": []}
    try:
        yield cassettes.scope
        run["complete"] = True
    finally:
        run["checks"] = list(cassettes.scoped)
        if run["complete"]:
            _write_run(scratch, run)
            _replace_dir(scratch, where)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def _replace_dir(fresh: Path, where: Path) -> None:
    """Swap ``fresh`` in for ``where`` with renames, so no moment leaves a half-deleted recording."""
    old = where.with_name(f".{where.name}-previous")
    shutil.rmtree(old, ignore_errors=True)
    try:
        if where.exists():
            where.rename(old)
        fresh.rename(where)
    except OSError as exc:
        raise ConfigError(f"cannot write cassettes to {where}/: {exc.strerror or exc}") from None
    shutil.rmtree(old, ignore_errors=True)


def _write_run(where: Path, run: dict[str, Any]) -> None:
    header = (f"# Recorded by ticket-conformance; re-record after changing any check: {RECORD_COMMAND}\n")
    run = {**run, "versions": run.get("versions") or installed_versions()}  # what made it: see miss_cause
    (where / RUN_FILE).write_text(header + yaml.safe_dump(run, sort_keys=False), encoding="utf-8")


def installed_versions() -> dict[str, str]:
    """The versions of the packages that decide what a recording holds, and of Python."""
    found: dict[str, str] = {}
    for name in RECORDED_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "unknown"
    found["python"] = platform.python_version()
    return found


def _origin(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}"
