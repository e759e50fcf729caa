"""The reference servers and their mutants are an independent reading of the vendor docs: they must
not import the checks, the profiles or the suite, or a self-test would only test itself."""

from __future__ import annotations

import ast
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[2] / "conformance" / "reference"
FORBIDDEN = ("conformance.oracles", "conformance.profiles", "conformance.checks", "conformance.machines",
             "conformance.strategies")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_reference_servers_do_not_import_checks_or_profiles():
    offenders = {str(p.relative_to(REFERENCE)): name for p in REFERENCE.rglob("*.py") for name in _imports(p)
                 if name.startswith(FORBIDDEN)}
    assert offenders == {}
