"""The spec is parsed once per process (parsing costs a run ~0.4 s), and no caller can change it for the next."""

from __future__ import annotations

import yaml

from conformance.profiles import get_profile
from conformance.run import engine


def test_the_spec_is_parsed_once_and_each_caller_gets_its_own_copy(monkeypatch) -> None:
    profile = get_profile("copper")
    engine._parse_spec.cache_clear()
    parsed: list[int] = []
    real = yaml.safe_load
    monkeypatch.setattr(yaml, "safe_load", lambda data: parsed.append(1) or real(data))
    first = engine.load_spec(profile)
    first["paths"].clear()  # a careless caller
    second = engine.load_spec(profile)
    assert parsed == [1] and second["paths"] and second["openapi"] == first["openapi"]
