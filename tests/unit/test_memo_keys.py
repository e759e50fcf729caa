"""Memo keys of observations are typed (kind + frozen parameters), not ad-hoc tuples."""

from __future__ import annotations

import ast
from pathlib import Path

from conformance.observe.memo import MemoKey, memo_key

CHECKS = Path(__file__).resolve().parents[2] / "conformance" / "checks"


def test_equal_questions_share_a_key_and_different_kinds_never_collide() -> None:
    assert memo_key("offset-request", [("limit", "5")]) == memo_key("offset-request", (("limit", "5"),))
    assert memo_key("filtered-before", [("q", "x")]) != memo_key("search-before", [("q", "x")])
    assert hash(memo_key("walk", {"b": [1], "a": 2})) == hash(memo_key("walk", {"a": 2, "b": (1,)}))
    assert isinstance(memo_key("k"), MemoKey)


def test_checks_memoize_only_with_typed_keys() -> None:
    for module in CHECKS.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "memo" and node.args:
                assert not isinstance(node.args[0], ast.Tuple), f"{module.name}:{node.lineno}: use memo_key(...)"
