"""What was observed while walking a collection: pages and walks (plain data, no I/O).

Pure checks take these; ``conformance.observe.walks`` produces them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from conformance.model.exchange import Exchange

Params = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Page:
    params: Params
    exchange: Exchange
    body: Mapping[str, Any]
    items: tuple[Mapping[str, Any], ...]


@dataclass
class Walk:
    """Pages fetched in order until the API said there is no more (or a guard stopped the walk)."""

    limit: int | None
    filters: Params = ()
    pages: list[Page] = field(default_factory=list)
    stop: str = ""  # why the walk ended: "end", or the guard that stopped it

    @property
    def items(self) -> list[Mapping[str, Any]]:
        return [item for page in self.pages for item in page.items]

    def ids(self, id_field: str = "id") -> list[Any]:
        return [item.get(id_field) for item in self.items]

    @property
    def exchanges(self) -> list[Exchange]:
        return [page.exchange for page in self.pages]

    @property
    def complete(self) -> bool:
        return self.stop == "end"
