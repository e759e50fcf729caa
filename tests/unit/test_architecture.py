"""The import rules of ARCHITECTURE.md, enforced: layers only import downwards, no circles between
files, no check module imports another, reference servers import nothing outside themselves; and each
profile agrees with its spec."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from conformance.checks.registry import CATALOGUE
from conformance.profiles import PROFILES
from conformance.profiles.base import CAPABILITIES, CursorPaging, OffsetPaging

PACKAGE = Path(__file__).resolve().parents[2] / "conformance"

# Lowest first; a module may import its own part or any lower layer, never a higher one.
LAYERS = [
    ("conformance.model",),
    ("conformance.profiles", "conformance.specs"),
    ("conformance.oracles",),
    ("conformance.strategies", "conformance.machines"),
    ("conformance.reference",),
    ("conformance.transport",),
    ("conformance.observe",),
    ("conformance.checks",),
    ("conformance.report", "conformance.publish"),
    ("conformance.run",),
    ("conformance.cli", "conformance.plugin"),
]


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every conformance module ``path`` imports, at module level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {name for name in found if name.startswith("conformance")}


MODULES = {_module(p): p for p in PACKAGE.rglob("*.py")}


def _resolve(name: str) -> str | None:
    """The module an import names (``from a.b import c`` may name module ``a.b.c`` or a name in ``a.b``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _layer(module: str) -> int:
    for index, parts in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in parts):
            return index
    raise AssertionError(f"{module} belongs to no layer: add it to ARCHITECTURE.md and LAYERS")


GRAPH = {m: {r for r in map(_resolve, _imports(p)) if r and r != m} for m, p in MODULES.items()}


def test_every_module_has_a_layer():
    for module in MODULES:
        if module != "conformance":
            _layer(module)


def test_no_upward_imports():
    upward = sorted(f"{m} -> {r}" for m, deps in GRAPH.items() if m != "conformance"
                    for r in deps if r != "conformance" and _layer(r) > _layer(m))
    assert upward == []


def test_no_circles_between_files():
    # A package's __init__ that only re-exports its own modules is not a file-level dependency.
    graph = {m: {r for r in deps if not (MODULES[r].name == "__init__.py" and m.startswith(r + "."))}
             for m, deps in GRAPH.items()}
    state: dict[str, int] = {}
    circles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_no_check_module_imports_another():
    machinery = {"conformance.checks", "conformance.checks.registry"}
    crossing = sorted(f"{m} -> {r}" for m, deps in GRAPH.items()
                      if m.startswith("conformance.checks.") and m not in machinery
                      for r in deps if r.startswith("conformance.checks") and r not in machinery)
    assert crossing == []


def test_reference_servers_import_nothing_outside_themselves():
    outside = sorted(f"{m} -> {r}" for m, deps in GRAPH.items() if m.startswith("conformance.reference")
                     for r in deps if not r.startswith("conformance.reference"))
    assert outside == []


def test_capabilities_are_a_known_set():
    for check in CATALOGUE.all():
        assert check.requires <= CAPABILITIES, check.name
    for profile in PROFILES.values():
        assert profile.capabilities <= CAPABILITIES, profile.name


def _spec(profile) -> dict:
    return yaml.safe_load(Path(profile.spec).read_text(encoding="utf-8"))


def _parameters(spec: dict) -> dict[str, dict]:
    params = {}
    for p in spec["paths"]["/tickets"]["get"].get("parameters", []):
        if "$ref" in p:
            p = spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        params[p["name"]] = p
    return params


@pytest.mark.parametrize("vendor", sorted(PROFILES))
def test_profile_paging_agrees_with_its_spec(vendor):
    profile = PROFILES[vendor]
    spec, paging = _spec(profile), profile.paging
    params = _parameters(spec)
    limit = params[paging.limit]["schema"]
    assert (limit.get("default"), limit.get("maximum"), limit.get("minimum")) == \
        (paging.default_limit, paging.max_limit, 1)
    names = [paging.offset] if isinstance(paging, OffsetPaging) else [paging.after, paging.before]
    assert set(names) <= set(params)
    if isinstance(paging, CursorPaging):
        if profile.created_filters:
            assert set(profile.created_filters.params.values()) <= set(params)
        for extra in (profile.location, profile.search):
            if extra:
                assert extra.param in params
    listing = spec["components"]["schemas"]["TicketList"]["properties"]
    envelope = [paging.items, paging.total] if isinstance(paging, OffsetPaging) else [paging.items, paging.has_more]
    assert set(envelope) <= set(listing)


def _enum_in_spec(spec: dict, path: str) -> tuple[str, ...]:
    schema = spec["components"]["schemas"]["Ticket"]
    for part in path.replace("[]", ".[]").split("."):
        schema = schema["items"] if part == "[]" else schema["properties"][part]
        while "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        if "anyOf" in schema or "oneOf" in schema:
            schema = next(s for s in schema.get("anyOf", schema.get("oneOf")) if s.get("type") != "null")
            while "$ref" in schema:
                schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return tuple(schema["enum"])


@pytest.mark.parametrize("vendor", sorted(PROFILES))
def test_profile_enums_agree_with_its_spec(vendor):
    profile = PROFILES[vendor]
    spec = _spec(profile)
    for path, values in profile.enums.items():
        assert tuple(values) == _enum_in_spec(spec, path), path
