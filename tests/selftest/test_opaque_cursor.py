"""A cursor API that hands out opaque cursors (profile ``paging.next_cursor``): the walks follow the
cursor each page names, the checks that write a cursor from a ticket id do not apply, every other
check passes, and a wrong cursor is still caught."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from conformance.checks.registry import select_checks
from conformance.profiles import load_profile
from conformance.reference.copper.store import CopperStore
from conformance.run.runner import RunRequest, run
from profile_variants import edited_profile


def _seal(ticket_id: str) -> str:
    return base64.urlsafe_b64encode(f"after:{ticket_id}".encode()).decode().rstrip("=")


def _open(cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:
        return cursor  # not a cursor this API handed out: unknown
    return text.removeprefix("after:") if text.startswith("after:") else cursor


class OpaqueCursorCopper(CopperStore):
    """Copper whose pages name the next page's cursor (``next_cursor``, a sealed id); ``starting_after``
    takes only such a cursor, a bare ticket id is unknown."""

    def _render_list(self, page, has_more):
        body = super()._render_list(page, has_more)
        body["next_cursor"] = _seal(page[-1].id) if has_more and page else None
        return body

    def _resolve_cursor(self, ticket_id, param):
        if ticket_id is not None and param == "starting_after":
            opened = _open(ticket_id)
            ticket_id = opened if opened != ticket_id else f"{ticket_id} (not a cursor)"
        return super()._resolve_cursor(ticket_id, param)


class OpaqueCursorSkipsAPage(OpaqueCursorCopper):
    """Bug: the cursor a page hands out points one ticket too far (a ticket is never listed)."""

    def _render_list(self, page, has_more):
        body = super()._render_list(page, has_more)
        if body["next_cursor"] is not None:
            ordered = self._ordered(self._tickets)
            nxt = ordered.index(page[-1]) + 1
            body["next_cursor"] = _seal(ordered[min(nxt, len(ordered) - 1)].id)
        return body


def _profile(tmp_path: Path) -> Path:
    return edited_profile(tmp_path, "copper", lambda data: data["paging"].update(next_cursor="next_cursor"))


def test_opaque_cursors_are_followed_and_id_cursor_checks_do_not_apply(tmp_path: Path) -> None:
    path = _profile(tmp_path)
    report = run(RunRequest(vendor="copper", profile=path, store=OpaqueCursorCopper()))
    needing = {c.name for c in select_checks(load_profile(path)) if "paging.id_cursor" in c.needs}
    assert {"unknown_cursor_is_refused", "cursor_navigation_matches_model", "has_more_is_truthful"} <= needing
    for result in report.checks:
        if result.name in needing:
            assert result.status == "skipped" and "paging.id_cursor" in result.message, result.name
        else:
            assert result.status == "passed", (result.name, result.message)
    assert sum(r.status == "passed" for r in report.checks) >= 20


@pytest.mark.parametrize("bug", [OpaqueCursorSkipsAPage])
def test_a_wrong_opaque_cursor_is_caught(tmp_path: Path, bug: type) -> None:
    report = run(RunRequest(vendor="copper", profile=_profile(tmp_path), store=bug()))
    failed = {r.name for r in report.checks if r.status == "failed"}
    assert "walk_reaches_every_ticket" in failed or "pages_do_not_overlap" in failed, failed
