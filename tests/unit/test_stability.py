"""What counts as other writers changing the collection (observe/stability.py)."""

from __future__ import annotations

from conformance.model.observations import Page, Walk
from conformance.observe.stability import change


def _walk(*items: dict) -> Walk:
    return Walk(limit=100, pages=[Page(params=(), exchange=None, body={}, items=tuple(items))], stop="end")  # type: ignore[arg-type]


def test_appeared_disappeared_and_changed_tickets_are_changes():
    a, b, c = {"id": 1, "title": "a"}, {"id": 2, "title": "b"}, {"id": 3, "title": "c"}
    assert change(_walk(a, b), _walk(a, b), "id") == ""
    assert change(_walk(a, b), _walk(a, b, c), "id") == "1 ticket(s) appeared"
    assert change(_walk(a, b), _walk(a), "id") == "1 disappeared"
    assert change(_walk(a, b), _walk(a, {"id": 2, "title": "B"}), "id") == "1 changed"


def test_the_same_tickets_in_another_order_are_not_a_change():
    """An unstable order is the API's bug to report, never excused as other writers."""
    a, b = {"id": 1}, {"id": 2}
    assert change(_walk(a, b), _walk(b, a), "id") == ""
