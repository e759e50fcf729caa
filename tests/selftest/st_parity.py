"""Plain Schemathesis (``st run --checks all``'s checks, positive and negative generation) on the
suite's own specs, in process: the same seeded cases, drawn once per vendor, sent to any server.

Each failure is reduced to a signature (check, operation, what st says in its first line, digits
dropped), so that what a planted bug adds can be told from what the clean server already shows.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import Failure, FailureGroup

from conformance.profiles import get_profile
from conformance.run.engine import load_spec

# Left out of `--checks all`, each for a reason (also in ARCHITECTURE.md, "Schemathesis checks"):
EXCLUDED = {
    "use_after_free": "needs a DELETE operation; neither API documents one",
    "ensure_resource_availability": "needs a create followed by a GET of the created resource (Opine has no "
                                    "GET by id, Copper no create): never applies",
    "object_level_authorization": "needs two accounts' credentials; a run has one key",
}
EXAMPLES = 5  # per operation and generation mode (the parity test runs on ~250 servers within its time budget)
PLACEHOLDER_ID = "conformance-id"


@dataclass(frozen=True)
class Drawn:
    operation: Any
    case: Any


def _checks() -> list[Any]:
    load_all_checks()
    return [c for c in CHECKS.get_all() if c.__name__ not in EXCLUDED]


def draw_cases(vendor: str, salt: int = 1) -> list[Drawn]:
    """EXAMPLES positive and EXAMPLES negative cases per operation, reproducibly."""
    spec = load_spec(get_profile(vendor))
    schema = schemathesis.openapi.from_dict(spec, config=schemathesis.Config())
    schema.config.generation.update(allow_x00=False)
    out: list[Drawn] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        has_id = "{id}" in operation.path
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            kwargs = {"path_parameters": {"id": PLACEHOLDER_ID}} if has_id and mode is GenerationMode.POSITIVE else {}
            strategy = operation.as_strategy(generation_mode=mode, **kwargs)
            cases: list[Any] = []

            @seed(salt)
            @settings(max_examples=EXAMPLES, database=None, deadline=None, derandomize=True,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            @given(strategy)
            def collect(case: Any) -> None:
                cases.append(case)

            collect()
            out += [Drawn(operation, c) for c in cases]
    return out


def _signature(failure: Failure, drawn: Drawn) -> tuple[str, str, str]:
    """(st's title, the operation, what it names: the invalid components or its first line), digits dropped."""
    lines = (failure.message or "").strip().splitlines()
    parts = [ln.strip() for ln in lines if ln.strip().startswith("- ")] or lines[:1]
    text = re.sub(r"\d+", "N", " ".join(parts))[:200]
    return (failure.title or type(failure).__name__, drawn.operation.label, text)


def flags(cases: list[Drawn], base_url: str, auth: dict[str, str], known_id: str | None) -> tuple[set, int]:
    """The failure signatures plain Schemathesis reports against ``base_url``, and the requests sent."""
    checks = _checks()
    found: set[tuple[str, str, str]] = set()
    sent = 0
    with requests.Session() as session:
        for drawn in cases:
            case = drawn.case
            if case.path_parameters and case.path_parameters.get("id") == PLACEHOLDER_ID and known_id:
                case = case.operation.Case(path_parameters={**case.path_parameters, "id": known_id},
                                           query=case.query, headers=case.headers, body=case.body,
                                           media_type=case.media_type)
            try:
                response = case.call(base_url=base_url, session=session, headers=auth, timeout=10)
            except requests.RequestException:
                continue
            sent += 1
            try:
                case.validate_response(response, checks=checks, headers=auth,
                                       transport_kwargs={"base_url": base_url, "session": session, "headers": auth})
            except FailureGroup as group:
                found |= {_signature(f, drawn) for f in group.exceptions}
            except Failure as failure:
                found.add(_signature(failure, drawn))
    return found, sent


# -- servers: reference mutants and red-team bugs, each with its clean counterpart ------------------
@functools.lru_cache(maxsize=None)
def _cases(vendor: str) -> list[Drawn]:
    return draw_cases(vendor)


def _known_id(base_url: str, vendor: str, auth: dict[str, str]) -> str | None:
    profile = get_profile(vendor)
    try:
        items = requests.get(base_url + profile.collection, headers=auth, timeout=10).json()[profile.paging.items]
        return str(items[0][profile.id_field]) if items else None
    except (requests.RequestException, ValueError, KeyError, TypeError, IndexError):
        return None


def _flags_on(vendor: str, kind: str, config: Any, store: type) -> tuple[frozenset, int]:
    profile = get_profile(vendor)
    if kind == "reference":
        import importlib

        from conformance.reference import http

        app = importlib.import_module(profile.reference_module).make_app(store())
        with http.start(app) as server:
            base, auth = server.origin + profile.version_prefix, profile.auth.headers(profile.reference_key)
            found, sent = flags(_cases(vendor), base, auth, _known_id(base, vendor, auth))
    else:
        from alt_servers.harness import SERVERS

        with SERVERS[vendor](config, store) as server:
            base, auth = server.base_url, profile.auth.headers(server.api_key)
            found, sent = flags(_cases(vendor), base, auth, _known_id(base, vendor, auth))
    return frozenset(found), sent


@functools.lru_cache(maxsize=None)
def _clean(vendor: str, kind: str, config_key: str) -> tuple[frozenset, int]:
    config, store = _CLEAN[(vendor, kind, config_key)]
    return _flags_on(vendor, kind, config, store)


_CLEAN: dict[tuple[str, str, str], tuple[Any, type]] = {}


def target_faults(vendor: str, kind: str, name: str) -> dict[str, Any]:
    """What plain Schemathesis flags on one planted bug beyond what it flags on the same server without
    the bug (same configuration), plus what it flags on that clean server (picklable)."""
    config, store, clean_store = _resolve(vendor, kind, name)
    key = repr(config)
    _CLEAN[(vendor, kind, key)] = (config, clean_store)
    clean, clean_sent = _clean(vendor, kind, key)
    found, sent = _flags_on(vendor, kind, config, store)
    return {"faults": sorted(found - clean), "clean": sorted(clean), "requests": sent}


def _resolve(vendor: str, kind: str, name: str) -> tuple[Any, type, type]:
    if kind == "reference":
        from conformance.reference.mutants import find

        mutant = find(vendor, name)
        module = get_profile(vendor).reference_module
        clean = next(c for c in mutant.__mro__[1:] if c.__module__.startswith(module))  # the store it bends
        return None, mutant, clean
    if vendor == "opine":
        from alt_servers.opine_alt import Store as clean_store
        from alt_servers.opine_bugs import all_bugs
    else:
        from alt_servers.copper_alt import TicketStore as clean_store
        from alt_servers.copper_bugs import all_bugs
    bug = next(b for b in all_bugs() if b.__name__ == name)
    return bug.config, bug, clean_store
