"""The generated check table in docs/checks.md matches the catalogue."""

from pathlib import Path

from conformance.report import catalogue as catalogue_doc

ROOT = Path(__file__).resolve().parents[2]


def test_check_table_is_up_to_date():
    assert (ROOT / catalogue_doc.DOC).read_text(encoding="utf-8") == catalogue_doc.render(), (
        "docs/checks.md is stale: run `ticket-conformance checks --write`")
