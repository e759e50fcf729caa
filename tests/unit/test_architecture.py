"""The import rules of ARCHITECTURE.md, enforced: layers only import downwards, no circles between
files, no check module imports another, reference servers import nothing outside themselves, no check
branches on a vendor's name; and each profile agrees with its spec (the shipped ones, and any profile
file named in $TICKET_CONFORMANCE_PROFILES, separated by os.pathsep)."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
import yaml

from conformance.checks.registry import CATALOGUE
from conformance.profiles import PROFILES, load_profile
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


# Where every vendor difference must come from a profile option: no vendor's name in the code.
VENDOR_NEUTRAL = ("checks", "oracles", "observe", "transport", "strategies", "machines", "run", "report")


def test_no_code_outside_profiles_branches_on_a_vendor_name():
    names = set(PROFILES)
    found = []
    for folder in VENDOR_NEUTRAL:
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lower() in names:
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value!r}")
    assert found == []


def test_capabilities_are_a_known_set():
    for check in CATALOGUE.all():
        assert check.requires <= CAPABILITIES, check.name
    for profile in PROFILES.values():
        assert profile.capabilities <= CAPABILITIES, profile.name


def _spec(profile) -> dict:
    return yaml.safe_load(Path(profile.spec).read_text(encoding="utf-8"))


def _given_profiles() -> dict[str, object]:
    """The shipped profiles, and the files $TICKET_CONFORMANCE_PROFILES names (a foreign API's profile)."""
    found = dict(PROFILES)
    for name in filter(None, os.environ.get("TICKET_CONFORMANCE_PROFILES", "").split(os.pathsep)):
        found[name] = load_profile(name)
    return found


GIVEN = _given_profiles()


def _parameters(spec: dict, collection: str = "/tickets") -> dict[str, dict]:
    params = {}
    for p in spec["paths"][collection]["get"].get("parameters", []):
        if "$ref" in p:
            p = spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        params[p["name"]] = p
    return params


def _list_schema(spec: dict, collection: str) -> dict:
    """The schema of the list's 200 answer (an envelope object, or a bare array)."""
    content = spec["paths"][collection]["get"]["responses"]["200"]["content"]
    schema = next(iter(content.values()))["schema"]
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


@pytest.mark.parametrize("vendor", sorted(GIVEN))
def test_profile_paging_agrees_with_its_spec(vendor):
    profile = GIVEN[vendor]
    spec, paging = _spec(profile), profile.paging
    params = _parameters(spec, profile.collection)
    limit = params[paging.limit]["schema"]
    # A limit the profile leaves unknown (null) must not be stated by the spec either.
    assert (limit.get("default"), limit.get("maximum")) == (paging.default_limit, paging.max_limit)
    if paging.max_limit is not None or "minimum" in limit:
        assert limit.get("minimum") == 1
    names = [paging.offset] if isinstance(paging, OffsetPaging) else [paging.after, paging.before]
    assert {n for n in names if n is not None} <= set(params)
    if isinstance(paging, CursorPaging):
        if profile.created_filters:
            assert set(profile.created_filters.params.values()) <= set(params)
        for extra in (profile.location, profile.search):
            if extra:
                assert extra.param in params
    listing = _list_schema(spec, profile.collection)
    if isinstance(paging, OffsetPaging) and paging.items is None:
        assert listing.get("type") == "array"  # a bare array body
        envelope = []
    else:
        envelope = [paging.items, paging.total] if isinstance(paging, OffsetPaging) else [paging.items, paging.has_more]
    assert {n for n in envelope if n is not None} <= set(listing.get("properties", {}))


def _enum_in_spec(spec: dict, path: str, collection: str = "/tickets") -> tuple[str, ...]:
    listing = _list_schema(spec, collection)
    schema = listing["items"] if listing.get("type") == "array" else spec["components"]["schemas"]["Ticket"]
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for part in path.replace("[]", ".[]").split("."):
        schema = schema["items"] if part == "[]" else schema["properties"][part]
        while "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        if "anyOf" in schema or "oneOf" in schema:
            schema = next(s for s in schema.get("anyOf", schema.get("oneOf")) if s.get("type") != "null")
            while "$ref" in schema:
                schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return tuple(schema["enum"])


@pytest.mark.parametrize("vendor", sorted(GIVEN))
def test_profile_enums_agree_with_its_spec(vendor):
    profile = GIVEN[vendor]
    spec = _spec(profile)
    for path, values in profile.enums.items():
        assert tuple(values) == _enum_in_spec(spec, path, profile.collection), path
