"""Vendor profiles: the one place where Opine and Copper differ."""

from conformance.model.errors import ConfigError
from conformance.profiles.base import Profile
from conformance.profiles.copper import COPPER
from conformance.profiles.opine import OPINE

PROFILES: dict[str, Profile] = {p.name: p for p in (OPINE, COPPER)}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(f"unknown vendor {name!r}; choose one of: {', '.join(sorted(PROFILES))}") from None
