"""Where a run's requests go: the embedded reference server, a live base URL, or recorded cassettes."""

from __future__ import annotations

import importlib
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator
from urllib.parse import urlsplit

import requests

from conformance.model.errors import ConfigError
from conformance.profiles.base import Profile
from conformance.reference import http
from conformance.transport.cassettes import REPLAY_KEY, REPLAY_ORIGIN, open_replay, recording


@dataclass
class Target:
    kind: str  # "reference", "live" or "replay"
    base_url: str
    api_key: str | None
    session: requests.Session | None = None
    # Cassettes (record and replay): entered around the preflight and each check, by name.
    check_scope: Callable[[str], ContextManager[None]] | None = None
    sleep: Callable[[float], None] | None = None  # replay waits out nothing (recorded 429s, backoff)
    recorded_from: str = ""  # replay: the base URL (origin + prefix) the recording was made from


def reference_store(profile: Profile, seed: int = 0, tickets: int | None = None, api_key: str | None = None) -> Any:
    """A fresh store of the profile's reference server (a clean one; tests pass mutants instead)."""
    module = importlib.import_module(profile.reference_module)
    store_cls = next(getattr(module, n) for n in module.__all__ if n.endswith("Store"))
    return store_cls(seed=seed, tickets=tickets, api_key=api_key or profile.reference_key)


def reference_app(profile: Profile, store: Any) -> Any:
    return importlib.import_module(profile.reference_module).make_app(store)


def validate_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"malformed --base-url {url!r}: expected http(s)://host[:port]/prefix")
    try:
        parts.port
    except ValueError:
        raise ConfigError(f"malformed --base-url {url!r}: bad port") from None
    return url.rstrip("/")


def resolve_key(profile: Profile, api_key: str | None) -> str | None:
    if profile.auth.kind == "none":  # the API takes no key: none is sent (an --api-key is ignored)
        return None
    key = api_key or os.environ.get(profile.key_env)
    if not key:
        raise ConfigError(f"no API key: pass --api-key or set ${profile.key_env}")
    return key


@contextmanager
def reference_target(profile: Profile, store: Any = None) -> Iterator[Target]:
    """Serve a reference store on loopback for the duration of a run."""
    store = store if store is not None else reference_store(profile)
    key = getattr(store, "api_key", None) or profile.reference_key
    with http.start(reference_app(profile, store)) as server:
        yield Target(kind="reference", base_url=server.origin + profile.version_prefix, api_key=key)


@contextmanager
def live_target(profile: Profile, base_url: str, api_key: str | None) -> Iterator[Target]:
    yield Target(kind="live", base_url=validate_base_url(base_url), api_key=resolve_key(profile, api_key))


@contextmanager
def replay_target(profile: Profile, cassettes: Path) -> Iterator[Target]:
    """Answer every request from the cassettes under ``cassettes/<vendor>/``; no network, no key."""
    with open_replay(profile, cassettes) as replay:
        yield Target(kind="replay", base_url=REPLAY_ORIGIN + replay.prefix, api_key=REPLAY_KEY,
                     session=replay.session, check_scope=replay.check_scope, sleep=lambda _seconds: None,
                     recorded_from=(replay.recorded_from + replay.prefix) if replay.recorded_from else "")


@contextmanager
def recorded(profile: Profile, target: Target, cassettes: Path, settings: dict[str, Any]) -> Iterator[Target]:
    """``target`` (a live one) with every exchange also written to ``cassettes/<vendor>/``."""
    with recording(profile, cassettes, target.base_url, target.api_key, settings) as scope:
        target.check_scope = scope
        yield target
