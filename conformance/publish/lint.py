"""Validate (openapi-spec-validator) and lint (our own rules, optionally Redocly or Spectral) a spec.

The Python path needs no Node: openapi-spec-validator for the OpenAPI 3.x schema, plus the small
rules below that a publisher of these specs cares about. Redocly CLI or Spectral run in addition
only when they are already installed (on PATH or in ./node_modules/.bin); nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")


@dataclass(frozen=True)
class Finding:
    level: str  # "error" (blocks publishing), "warning", or "note" (e.g. an x-unverified fact)
    rule: str
    where: str  # a readable location, e.g. "paths./tickets.get.parameters[0]"
    message: str

    def line(self, vendor: str) -> str:
        return f"{vendor}: {self.level}: {self.where}: {self.message} [{self.rule}]"


def validate(spec: dict) -> list[Finding]:
    """The OpenAPI schema itself, by openapi-spec-validator."""
    version = str(spec.get("openapi", "")) if isinstance(spec, dict) else ""
    if not version.startswith(("3.0", "3.1")):
        return [Finding("error", "openapi-version", "openapi", f"expected OpenAPI 3.0 or 3.1, got {version!r}")]
    validator = OpenAPIV31SpecValidator if version.startswith("3.1") else OpenAPIV30SpecValidator
    findings = []
    try:
        for error in validator(spec).iter_errors():
            where = ".".join(str(p) for p in error.path) or "(root)"
            findings.append(Finding("error", "openapi-schema", where, error.message))
    except Exception as exc:  # noqa: BLE001 - e.g. an unresolvable $ref stops the validator itself
        message = " ".join(str(exc).split())[:300]
        findings.append(Finding("error", "openapi-schema", "(document)", f"{type(exc).__name__}: {message}"))
    return findings


def resolve(spec: dict, node: Any) -> Any:
    """Follow local $refs; an unresolvable one yields None."""
    seen = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            return None
        seen.add(ref)
        node = spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
    return node


def walk(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """Every (location, node) in the document, depth first."""
    yield where, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{where}[{index}]")


def operations(spec: dict) -> Iterator[tuple[str, str, dict, dict]]:
    """(path, method, operation, path item) in document order."""
    for path, item in (spec.get("paths") or {}).items():
        if isinstance(item, dict):
            for method in METHODS:
                if isinstance(item.get(method), dict):
                    yield path, method, item[method], item


def x_notes(spec: dict) -> list[tuple[str, str, str]]:
    """Every x- extension with a text value: (location, key, text)."""
    notes = []
    for where, node in walk(spec):
        if isinstance(node, dict):
            for key, value in node.items():
                if key.startswith("x-") and isinstance(value, (str, int, float, bool)):
                    notes.append((where or "(root)", key, str(value)))
    return notes


def lint(spec: dict) -> list[Finding]:
    """Our own rules: what a reader of the published reference needs, and what keeps the spec honest."""
    out: list[Finding] = []

    def add(level: str, rule: str, where: str, message: str) -> None:
        out.append(Finding(level, rule, where, message))

    info = spec.get("info") or {}
    if not SEMVER.match(str(info.get("version", ""))):
        add("error", "info-version", "info.version", f"not a semantic version: {info.get('version')!r}")
    if not str(info.get("description", "")).strip():
        add("warning", "info-description", "info.description", "the API has no description")

    # $refs: local and resolvable (each spec is published as one self-contained file).
    for where, node in walk(spec):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#"):
                add("error", "ref-local", where, f"external $ref {ref!r}: keep each spec one self-contained file")
            elif resolve(spec, node) is None:
                add("error", "ref-resolves", where, f"$ref {ref!r} does not resolve")

    schemes = set((spec.get("components") or {}).get("securitySchemes") or {})
    declared_tags = {t.get("name") for t in spec.get("tags") or [] if isinstance(t, dict)}
    ids: dict[str, str] = {}
    for path, method, op, item in operations(spec):
        where = f"paths.{path}.{method}"
        op_id = op.get("operationId")
        if not op_id:
            add("error", "operation-operationId", where, "no operationId")
        elif op_id in ids:
            add("error", "operation-operationId-unique", where, f"operationId {op_id!r} also used by {ids[op_id]}")
        else:
            ids[op_id] = where
        if not str(op.get("description", "")).strip():
            add("error", "operation-description", where, "no description")
        if not str(op.get("summary", "")).strip():
            add("warning", "operation-summary", where, "no summary")
        for tag in op.get("tags") or []:
            if tag not in declared_tags:
                add("warning", "operation-tag-defined", where, f"tag {tag!r} is not declared in the top-level tags")
        for requirement in op.get("security", spec.get("security")) or []:
            for name in requirement:
                if name not in schemes:
                    add("error", "security-defined", where, f"security scheme {name!r} is not defined")
        params = [*(item.get("parameters") or []), *(op.get("parameters") or [])]
        path_params = set()
        for index, raw in enumerate(params):
            param = resolve(spec, raw)
            if not isinstance(param, dict):
                continue
            pwhere = f"{where}.parameters[{index}]" + (f" ({raw['$ref']})" if "$ref" in raw else "")
            if not str(param.get("description", "")).strip():
                add("error", "parameter-description", pwhere, f"parameter {param.get('name')!r} has no description")
            if param.get("in") == "path":
                path_params.add(param.get("name"))
                if param.get("required") is not True:
                    add("error", "path-parameter-required", pwhere, f"path parameter {param.get('name')!r} "
                                                                    "must be required")
        templated = set(re.findall(r"{([^}]+)}", path))
        for name in sorted(templated - path_params):
            add("error", "path-parameter-defined", where, f"{{{name}}} in the path has no parameter")
        for name in sorted(path_params - templated):
            add("error", "path-parameter-defined", where, f"path parameter {name!r} is not in the path")
        responses = op.get("responses") or {}
        if not any(str(code).startswith("2") for code in responses):
            add("warning", "operation-success-response", where, "no 2xx response")

    components = spec.get("components") or {}
    for name, schema in (components.get("schemas") or {}).items():
        if isinstance(schema, dict) and not str(schema.get("description", "")).strip():
            add("warning", "schema-description", f"components.schemas.{name}", "no description")
    for where, node in walk(spec):
        if isinstance(node, dict) and isinstance(node.get("enum"), list):
            values = node["enum"]
            if len(values) != len({repr(v) for v in values}):
                add("error", "enum-unique", where, "enum values repeat")
            if not values:
                add("error", "enum-nonempty", where, "empty enum")

    # Unused components are usually a leftover or a missing $ref.
    used = {node["$ref"] for _, node in walk(spec) if isinstance(node, dict) and isinstance(node.get("$ref"), str)}
    for section in ("schemas", "parameters", "responses", "requestBodies"):
        for name in components.get(section) or {}:
            if f"#/components/{section}/{name}" not in used:
                add("warning", "component-unused", f"components.{section}.{name}", "never referenced")

    for where, key, text in x_notes(spec):
        if key == "x-unverified":
            add("note", "x-unverified", where, text)
    return out


def external_linters() -> list[tuple[str, list[str]]]:
    """Node linters that are already installed: (name, argv prefix). Never installs anything."""
    found = []
    local = Path("node_modules/.bin")
    for name, argv in (("redocly", ["lint", "--format=stylish"]), ("spectral", ["lint"])):
        binary = local / name if (local / name).exists() else shutil.which(name)
        if not binary:
            continue
        if name == "spectral" and not any(Path(f).exists() for f in (".spectral.yaml", ".spectral.json", ".spectral.yml")):
            continue  # spectral needs a ruleset; without one it refuses to run
        found.append((name, [str(binary), *argv]))
    return found


def run_external(name: str, argv: list[str], spec_path: Path, timeout: float = 120) -> list[Finding]:
    if os.environ.get("TICKET_CONFORMANCE_NO_NODE_LINT"):
        return []
    try:
        env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
        proc = subprocess.run([*argv, str(spec_path)], capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [Finding("warning", name, str(spec_path), f"could not run {name}: {exc}")]
    if proc.returncode == 0:
        return []
    tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
    return [Finding("error", name, str(spec_path), f"{name} lint failed (exit {proc.returncode}): {tail}")]


__all__ = ["Finding", "external_linters", "lint", "operations", "resolve", "run_external", "validate", "walk",
           "x_notes"]
