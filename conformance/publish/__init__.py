"""``ticket-conformance publish [--out DIR]``: validate, lint and publish both specs.

For each vendor spec (``conformance/specs/<vendor>.openapi.yaml``) this

1. validates it with openapi-spec-validator,
2. lints it with our own rules (``conformance.publish.lint``) and, if already installed, Redocly or
   Spectral,
3. requires an entry for its ``info.version`` in ``conformance/specs/CHANGELOG.md``,

and only when every spec passes writes, into DIR (default ``dist/specs``):
``<vendor>.openapi.json``, ``<vendor>.openapi.yaml`` (one self-contained file each),
``<vendor>.html`` (the API reference, no network needed), ``lint.txt`` and ``index.html``.

Exit codes: 0 published; 1 a spec is not publishable (invalid, lint error, no changelog entry);
2 a usage or I/O problem (a spec or the output directory cannot be read or written).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TextIO

import yaml

from conformance.model.errors import ConfigError
from conformance.specs import SPECS
from conformance.publish import changelog as changelogs
from conformance.publish import lint as linting
from conformance.publish.html import render
from conformance.publish.lint import Finding

VENDORS = ("opine", "copper")


@dataclass
class Result:
    vendor: str
    path: Path
    spec: dict
    findings: list[Finding] = field(default_factory=list)
    entry: changelogs.Entry | None = None
    linters: list[str] = field(default_factory=list)

    @property
    def version(self) -> str:
        return str((self.spec.get("info") or {}).get("version", "?"))

    def count(self, level: str) -> int:
        return sum(f.level == level for f in self.findings)

    @property
    def publishable(self) -> bool:
        return self.count("error") == 0


def load_spec(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read spec {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"spec {path} is not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"spec {path} is not an OpenAPI document (not a mapping)")
    return data


def check(vendor: str, path: Path, entries: list[changelogs.Entry], changelog_path: Path) -> Result:
    spec = load_spec(path)
    result = Result(vendor, path, spec)
    result.findings += linting.validate(spec)
    result.findings += linting.lint(spec)
    result.linters.append("openapi-spec-validator")
    result.linters.append("ticket-conformance rules")
    for name, argv in linting.external_linters():
        result.findings += linting.run_external(name, argv, path)
        result.linters.append(name)
    result.entry = changelogs.entry_for(entries, vendor, result.version)
    if result.entry is None:
        result.findings.append(Finding("error", "changelog-entry", "info.version",
                                       f"version {result.version} has no entry in {changelog_path} "
                                       f"(add '## {result.version} — <date>' or '## {vendor} {result.version} — <date>')"))
    return result


class _Dumper(yaml.SafeDumper):
    """Readable YAML: multi-line descriptions as literal blocks, keys in document order."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and not any(c in value for c in "\t\r") and value == value.rstrip(" "):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def to_yaml(spec: dict) -> str:
    return yaml.dump(spec, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def to_json(spec: dict) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def _index_html(results: list[Result]) -> str:
    rows = "".join(
        f"<tr><td>{escape(r.vendor)}</td><td>{escape(str((r.spec.get('info') or {}).get('title', '')))}</td>"
        f"<td>{escape(r.version)}</td><td><a href='{r.vendor}.html'>reference</a> · "
        f"<a href='{r.vendor}.openapi.yaml'>YAML</a> · <a href='{r.vendor}.openapi.json'>JSON</a></td></tr>"
        for r in results)
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Ticket API specs</title>"
            "<style>body{font:14px system-ui,sans-serif;margin:24px}td,th{border:1px solid #ccc;padding:4px 10px}"
            "table{border-collapse:collapse}</style></head><body><h1>Ticket API specs</h1><table><tr><th>vendor</th>"
            f"<th>title</th><th>version</th><th>files</th></tr>{rows}</table></body></html>\n")


def publish(out: Path, specs_dir: Path = SPECS, vendors: tuple[str, ...] = VENDORS,
            stream: TextIO | None = None) -> int:
    stream = stream or sys.stdout
    changelog_path = specs_dir / "CHANGELOG.md"
    entries = changelogs.load(changelog_path)
    results = [check(v, specs_dir / f"{v}.openapi.yaml", entries, changelog_path) for v in vendors]
    lint_lines: dict[str, list[str]] = {}
    for r in results:
        lint_lines[r.vendor] = [f.line(r.vendor) for f in r.findings]
        valid = "INVALID" if any(f.rule == "openapi-schema" for f in r.findings) else "valid"
        print(f"{r.vendor} {r.version}: {valid} OpenAPI {r.spec.get('openapi')}; {r.count('error')} errors, {r.count('warning')} warnings, "
              f"{r.count('note')} x-unverified notes ({', '.join(r.linters)})", file=stream)
        for f in r.findings:
            if f.level != "note":
                print("  " + f.line(r.vendor), file=stream)
    broken = [r for r in results if not r.publishable]
    if broken:
        summary = ", ".join(f"{r.vendor} ({r.count('error')} errors)" for r in broken)
        print(f"publish: not published: {summary}", file=stream)
        return 1
    try:
        out.mkdir(parents=True, exist_ok=True)
        for r in results:
            (out / f"{r.vendor}.openapi.json").write_text(to_json(r.spec), encoding="utf-8")
            (out / f"{r.vendor}.openapi.yaml").write_text(to_yaml(r.spec), encoding="utf-8")
            lines = [f for f in lint_lines[r.vendor] if ": note: " not in f]
            (out / f"{r.vendor}.html").write_text(render(r.spec, r.vendor, r.entry, lines), encoding="utf-8")
        (out / "lint.txt").write_text("".join(line + "\n" for r in results for line in lint_lines[r.vendor]),
                                      encoding="utf-8")
        (out / "index.html").write_text(_index_html(results), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write to {out}: {exc.strerror or exc}") from None
    print(f"published {len(results)} specs to {out}: "
          + ", ".join(f"{r.vendor}.openapi.{{json,yaml}} + {r.vendor}.html" for r in results), file=stream)
    return 0


__all__ = ["Result", "check", "load_spec", "publish", "to_json", "to_yaml"]
