"""The negative body checks judge every constraint the spec documents, not a fixed list: a spec that
closes the update body (``additionalProperties: false``) or bounds a number makes the clean Opine server,
which ignores unknown fields and has no such number, fail exactly those checks, naming the constraint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from conformance.profiles import get_profile
from conformance.run.runner import RunRequest, run
from profile_variants import edited_profile


def _tighter_spec(tmp_path: Path) -> Path:
    spec = yaml.safe_load(Path(get_profile("opine").spec).read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    schemas["TicketUpdate"]["additionalProperties"] = False
    # any type, so that only the bound is broken: minimum and maximum constrain numbers alone
    schemas["TicketCreate"]["properties"]["priority"] = {
        "type": ["integer", "string", "boolean", "object", "array", "null"], "minimum": 1, "maximum": 5}
    path = tmp_path / "opine-tighter.openapi.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def test_a_documented_bound_and_a_closed_body_are_judged(tmp_path: Path) -> None:
    spec = _tighter_spec(tmp_path)

    def edit(data: dict[str, Any]) -> None:
        data["spec"] = str(spec)

    path = edited_profile(tmp_path, "opine", edit)
    report = run(RunRequest(vendor="opine", profile=path, allow_writes=True,
                            checks=["invalid_creates_are_refused", "invalid_updates_are_refused",
                                    "failed_update_changes_nothing"]))
    by_name = {r.name: r for r in report.checks}
    assert by_name["invalid_creates_are_refused"].status == "failed"
    assert "priority: 0 (minimum 1)" in by_name["invalid_creates_are_refused"].message
    for name in ("invalid_updates_are_refused", "failed_update_changes_nothing"):
        assert by_name[name].status == "failed", (name, by_name[name].message)
        assert "conformance_unknown_field" in by_name[name].message


def test_the_shipped_spec_passes_the_same_checks() -> None:
    report = run(RunRequest(vendor="opine", allow_writes=True,
                            checks=["invalid_creates_are_refused", "invalid_updates_are_refused",
                                    "failed_update_changes_nothing"]))
    assert {r.name: r.status for r in report.checks} == dict.fromkeys(
        ("invalid_creates_are_refused", "invalid_updates_are_refused", "failed_update_changes_nothing"), "passed")
