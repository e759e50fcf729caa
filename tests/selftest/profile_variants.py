"""A shipped profile with a few options changed, written where a test can run it (``--profile``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import yaml

from conformance.profiles import get_profile
from conformance.profiles.loader import shipped


def edited_profile(tmp_path: Path, vendor: str, edit: Callable[[dict[str, Any]], None]) -> Path:
    """The shipped ``vendor`` profile, changed by ``edit`` (the parsed YAML), saved under ``tmp_path``."""
    data = yaml.safe_load(shipped(vendor).read_text(encoding="utf-8"))
    data["spec"] = str(get_profile(vendor).spec)
    edit(data)
    path = tmp_path / f"{vendor}-edited.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
