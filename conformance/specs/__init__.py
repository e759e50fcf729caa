"""The hand-written OpenAPI specs (``<vendor>.openapi.yaml``) and their CHANGELOG.md, shipped in the package.

Found with importlib.resources, so a checkout, an editable install and an installed wheel read the same
files; a wheel installs unzipped, so ``SPECS`` is a real directory.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SPECS = Path(str(resources.files(__name__)))


def spec_versions() -> dict[str, str]:
    """``info.version`` of each shipped spec, by vendor (for ``--version``)."""
    import yaml

    versions = {}
    for path in sorted(SPECS.glob("*.openapi.yaml")):
        info = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("info") or {}
        versions[path.name.split(".")[0]] = str(info.get("version", "?"))
    return versions
