"""Request bodies for the write endpoints, derived from the profile."""

from __future__ import annotations

from typing import Any

from conformance.profiles.base import Profile


def marked_title(profile: Profile, text: str) -> str:
    """A title this suite recognises as its own on a live API, within the title length bound."""
    assert profile.writes
    title = f"{profile.writes.marker} {text}"
    return title[: profile.writes.title_length[1]] if profile.writes.title_length else title


def minimal_create_body(profile: Profile, text: str) -> dict[str, Any]:
    """The smallest valid create body: the profile's fixed values, the marked title, the other required
    fields (enums at their first documented value)."""
    writes = profile.writes
    assert writes
    body: dict[str, Any] = dict(writes.fixed_on_create)
    body[writes.title_field] = marked_title(profile, text)
    for name in writes.required_on_create:
        if name != writes.title_field:
            body[name] = profile.enums[name][0]
    return body
