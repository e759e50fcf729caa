"""Vendor profiles: the one place where vendors differ. Each is a data file (``<vendor>.yaml`` here, or
any file given to ``--profile``) read by ``loader.load_profile`` into the frozen types of ``base.py``."""

from conformance.model.errors import ConfigError
from conformance.profiles.base import Profile
from conformance.profiles.loader import load_profile, shipped, shipped_names

__all__ = ["PROFILES", "Profile", "get_profile", "load_profile"]

#: The built-in vendors (``--vendor``), read once from the packaged profile files.
PROFILES: dict[str, Profile] = {name: load_profile(shipped(name)) for name in shipped_names()}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(f"unknown vendor {name!r}; choose one of: {', '.join(sorted(PROFILES))}") from None
