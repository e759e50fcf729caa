"""``ticket-conformance publish``: validation, lint rules, changelog gate, bundles and the HTML reference."""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate as openapi_validate

from conformance import cli
from conformance.model.errors import ConfigError
from conformance.publish import changelog, lint as lints, publish
from conformance.publish.lint import lint, validate, walk, x_notes

SPECS = Path(__file__).resolve().parents[2] / "conformance" / "specs"
VENDORS = ("opine", "copper")


def load(vendor: str) -> dict:
    return yaml.safe_load((SPECS / f"{vendor}.openapi.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("dist") / "specs"
    stream = io.StringIO()
    assert publish(out, stream=stream) == 0, stream.getvalue()
    return out, stream.getvalue()


def test_publish_writes_bundles_html_and_index(published) -> None:
    out, log = published
    names = sorted(p.name for p in out.iterdir())
    assert names == ["copper.html", "copper.openapi.json", "copper.openapi.yaml", "index.html", "lint.txt",
                     "opine.html", "opine.openapi.json", "opine.openapi.yaml"]
    for vendor in VENDORS:
        assert f"{vendor} {load(vendor)['info']['version']}: valid OpenAPI 3.1.0; 0 errors" in log
    assert "published 2 specs" in log


@pytest.mark.parametrize("vendor", VENDORS)
def test_bundles_are_the_spec_self_contained_and_valid(published, vendor: str) -> None:
    out, _ = published
    source = load(vendor)
    from_json = json.loads((out / f"{vendor}.openapi.json").read_text(encoding="utf-8"))
    from_yaml = yaml.safe_load((out / f"{vendor}.openapi.yaml").read_text(encoding="utf-8"))
    assert from_json == source == from_yaml
    assert from_json["info"]["version"] == source["info"]["version"]
    refs = [n["$ref"] for _, n in walk(from_json) if isinstance(n, dict) and "$ref" in n]
    assert refs and all(r.startswith("#/") for r in refs)
    openapi_validate(from_json)


@pytest.mark.parametrize("vendor", VENDORS)
def test_html_reference_shows_operations_parameters_schemas_enums_and_notes(published, vendor: str) -> None:
    html = (published[0] / f"{vendor}.html").read_text(encoding="utf-8")
    spec = load(vendor)
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)
    assert "@import" not in html and "url(" not in html
    for path, method, op, _ in lints.operations(spec):
        assert f'<code class="operation-id">{op["operationId"]}</code>' in html
        assert f'<span class="path">{path}</span>' in html
    for name, param in spec["components"]["parameters"].items():
        assert f"<code>{param['name']}</code> <span class=\"meta\">({name})</span>" in html
    for name in spec["components"]["schemas"]:
        assert f'id="schema-{name}"' in html
    for _, node in walk(spec):
        if isinstance(node, dict) and isinstance(node.get("enum"), list):
            for value in node["enum"]:
                assert f'<span class="enum">{json.dumps(value)}</span>' in html.replace("&quot;", '"')
    for _, key, text in x_notes(spec):
        assert text.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&#x27;").replace(
            "<", "&lt;").replace(">", "&gt;") in html, (key, text)
    assert f'id="version">{spec["info"]["version"]}<' in html


def test_the_committed_specs_have_no_lint_errors_or_warnings() -> None:
    for vendor in VENDORS:
        findings = validate(load(vendor)) + lint(load(vendor))
        assert [f for f in findings if f.level != "note"] == [], vendor
        assert any(f.rule == "x-unverified" for f in findings)


# --- lint rules on small broken copies ------------------------------------------------------------

def broken(change) -> dict:
    spec = copy.deepcopy(load("copper"))
    change(spec)
    return spec


def rules(spec: dict, level: str = "error") -> set[str]:
    return {f.rule for f in validate(spec) + lint(spec) if f.level == level}


def test_lint_catches_what_a_reader_would_miss() -> None:
    get = lambda s: s["paths"]["/tickets"]["get"]  # noqa: E731
    assert "operation-operationId" in rules(broken(lambda s: get(s).pop("operationId")))
    assert "operation-operationId-unique" in rules(broken(
        lambda s: s["paths"]["/tickets/{id}"]["get"].update(operationId="listTickets")))
    assert "operation-description" in rules(broken(lambda s: get(s).pop("description")))
    assert "parameter-description" in rules(broken(lambda s: s["components"]["parameters"]["Limit"].pop("description")))
    assert "ref-resolves" in rules(broken(lambda s: get(s)["parameters"].append({"$ref": "#/components/parameters/Nope"})))
    assert "ref-local" in rules(broken(lambda s: get(s)["parameters"].append({"$ref": "other.yaml#/Limit"})))
    assert "path-parameter-defined" in rules(broken(lambda s: s["paths"].update({"/x/{y}": s["paths"]["/tickets"]})))
    assert "info-version" in rules(broken(lambda s: s["info"].update(version="one")))
    assert "security-defined" in rules(broken(lambda s: get(s).update(security=[{"Nope": []}])))
    assert "enum-unique" in rules(broken(
        lambda s: s["components"]["schemas"]["TicketList"]["properties"]["object"].update(enum=["list", "list"])))
    assert "openapi-schema" in rules(broken(lambda s: get(s)["responses"]["200"].pop("description")))
    assert "schema-description" in rules(broken(lambda s: s["components"]["schemas"]["Ticket"].pop("description")),
                                         "warning")
    assert "component-unused" in rules(broken(lambda s: s["components"]["schemas"].update(Unused={"type": "object",
                                                                                                  "description": "x"})),
                                       "warning")


# --- the changelog gate and failures --------------------------------------------------------------

def test_changelog_headings() -> None:
    entries = changelog.parse("# Log\n\n## copper 1.1.0 — 2026-12-01\n- fix\n\n## 1.0.0 — 2026-11-23\nfirst\n"
                              "## not a version\n")
    assert changelog.entry_for(entries, "copper", "1.1.0").body == "- fix"
    assert changelog.entry_for(entries, "opine", "1.1.0") is None
    assert changelog.entry_for(entries, "opine", "1.0.0").body == "first"
    assert changelog.entry_for(load_changelog(), "opine", "1.0.0") is not None


def load_changelog() -> list[changelog.Entry]:
    return changelog.load(SPECS / "CHANGELOG.md")


@pytest.fixture
def specs_copy(tmp_path: Path) -> Path:
    target = tmp_path / "specs"
    target.mkdir()
    for name in ("opine.openapi.yaml", "copper.openapi.yaml", "CHANGELOG.md"):
        shutil.copy(SPECS / name, target / name)
    return target


def test_a_version_without_changelog_entry_is_not_published(specs_copy: Path, tmp_path: Path) -> None:
    path = specs_copy / "copper.openapi.yaml"
    current = load("copper")["info"]["version"]
    path.write_text(path.read_text().replace(f"version: {current}", "version: 9.9.9", 1))
    stream, out = io.StringIO(), tmp_path / "out"
    assert publish(out, specs_dir=specs_copy, stream=stream) == 1
    log = stream.getvalue()
    assert "copper: error: info.version: version 9.9.9 has no entry in" in log and "[changelog-entry]" in log
    assert "publish: not published: copper (1 errors)" in log
    assert not out.exists()
    # A vendor-specific entry is enough.
    (specs_copy / "CHANGELOG.md").write_text("## copper 9.9.9 — 2026-12-01\n- wording\n\n"
                                             + (specs_copy / "CHANGELOG.md").read_text())
    assert publish(out, specs_dir=specs_copy, stream=io.StringIO()) == 0
    assert "copper 9.9.9" in (out / "copper.html").read_text()


def test_an_invalid_spec_is_not_published(specs_copy: Path, tmp_path: Path) -> None:
    path = specs_copy / "opine.openapi.yaml"
    spec = yaml.safe_load(path.read_text())
    del spec["paths"]["/tickets"]["get"]["operationId"]
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    stream = io.StringIO()
    assert publish(tmp_path / "out", specs_dir=specs_copy, stream=stream) == 1
    assert "opine: error: paths./tickets.get: no operationId [operation-operationId]" in stream.getvalue()


def test_an_unreadable_spec_is_a_config_error(specs_copy: Path, tmp_path: Path) -> None:
    (specs_copy / "opine.openapi.yaml").unlink()
    with pytest.raises(ConfigError, match="cannot read spec"):
        publish(tmp_path / "out", specs_dir=specs_copy, stream=io.StringIO())
    (specs_copy / "opine.openapi.yaml").write_text("a: [")
    with pytest.raises(ConfigError, match="not valid YAML"):
        publish(tmp_path / "out", specs_dir=specs_copy, stream=io.StringIO())


def test_an_installed_node_linter_is_run_and_its_failure_counts(specs_copy: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "fake-linter.py"
    fake.write_text("import sys\nprint('1 problem in', sys.argv[-1])\nsys.exit(1)\n")
    monkeypatch.setattr("conformance.publish.lint.external_linters", lambda: [("redocly", [sys.executable, str(fake)])])
    stream = io.StringIO()
    assert publish(tmp_path / "out", specs_dir=specs_copy, stream=stream) == 1
    assert "redocly lint failed (exit 1): 1 problem in" in stream.getvalue()


def test_cli_publish(tmp_path: Path, capsys) -> None:
    assert cli.main(["publish", "--out", str(tmp_path / "dist")]) == 0
    assert (tmp_path / "dist" / "opine.html").exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli.main(["publish", "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write to" in err
