"""Request bodies for the write endpoints, derived from the profile."""

from __future__ import annotations

from typing import Any

from conformance.profiles.base import Profile


def marked_title(profile: Profile, text: str) -> str:
    """A title this suite recognises as its own on a live API, within the title length bound."""
    assert profile.writes
    title = f"{profile.writes.marker} {text}"
    return title[: profile.writes.title_length[1]]


def minimal_create_body(profile: Profile, text: str) -> dict[str, Any]:
    """The smallest valid create body: the required fields, enums at their first documented value."""
    assert profile.writes
    body: dict[str, Any] = {}
    for name in profile.writes.required_on_create:
        body[name] = marked_title(profile, text) if name == profile.writes.title_field else profile.enums[name][0]
    return body
