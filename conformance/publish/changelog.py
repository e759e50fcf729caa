"""conformance/specs/CHANGELOG.md: one ``## [vendor] <version> — <date>`` heading per published version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from conformance.model.errors import ConfigError

HEADING = re.compile(r"^##\s+(?:(?P<vendor>[a-z][a-z0-9_-]*)\s+)?v?(?P<version>\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)"
                     r"(?P<rest>\s.*)?$")


@dataclass(frozen=True)
class Entry:
    version: str
    vendor: str | None  # None: the entry applies to every spec
    heading: str
    body: str

    def applies_to(self, vendor: str, version: str) -> bool:
        return self.version == version and self.vendor in (None, vendor)


def parse(text: str) -> list[Entry]:
    entries: list[Entry] = []
    current: tuple[str, str | None, str] | None = None
    body: list[str] = []

    def close() -> None:
        if current:
            entries.append(Entry(current[0], current[1], current[2], "\n".join(body).strip()))

    for line in text.splitlines():
        if line.startswith("## "):
            close()
            body = []
            match = HEADING.match(line.strip())
            current = (match["version"], match["vendor"], line[3:].strip()) if match else None
        elif current:
            body.append(line)
    close()
    return entries


def load(path: Path) -> list[Entry]:
    try:
        return parse(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read changelog {path}: {exc.strerror or exc}") from None


def entry_for(entries: list[Entry], vendor: str, version: str) -> Entry | None:
    return next((e for e in entries if e.applies_to(vendor, version)), None)


__all__ = ["Entry", "entry_for", "load", "parse"]
