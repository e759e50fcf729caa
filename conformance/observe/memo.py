"""Keys of memoized observations: typed, so that two modules asking for different things never collide
and one asking for the same thing twice always hits (lists of query pairs are frozen to tuples)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MemoKey:
    kind: str  # what is kept, e.g. "offset-walk"; one name per kind of observation
    params: tuple[Any, ...] = ()  # what it was asked with, hashable


def _frozen(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def memo_key(kind: str, *params: Any) -> MemoKey:
    """The key of observation ``kind`` asked with ``params`` (lists and dicts frozen)."""
    return MemoKey(kind, tuple(_frozen(p) for p in params))
