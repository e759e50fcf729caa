"""Other writers in the reference stores (``serve --churn K``): deterministic, seeded, no wall clock."""

from __future__ import annotations

from conformance.reference.copper import CopperStore
from conformance.reference.opine import OpineStore


def _requests(store, n: int) -> None:
    for _ in range(n):
        store.before_request()


def test_opine_another_user_creates_before_every_kth_request_anywhere_in_the_list():
    store = OpineStore(churn=3)
    before = [t["id"] for t in store.list_tickets(limit="1000")["items"]]
    _requests(store, 8)  # requests 3 and 6
    after = [t["id"] for t in store.list_tickets(limit="1000")["items"]]
    new = [i for i in after if i not in before]
    assert len(new) == 2 and [i for i in after if i in before] == before
    assert after[-1] != new[-1] or after.index(new[0]) < len(before)  # not simply appended
    again = OpineStore(churn=3)
    _requests(again, 8)
    assert [t["id"] for t in again.list_tickets(limit="1000")["items"]] == after  # seeded


def test_opine_churn_updates_touch_only_other_users_tickets():
    store = OpineStore(churn=1, churn_updates=True)
    own = store.create_ticket({"title": "mine", "type": "BUG", "state": "OPEN"})
    _requests(store, 40)
    listed = {t["id"]: t for t in store.list_tickets(limit="1000")["items"]}
    assert listed[own["id"]]["title"] == "mine"
    assert any(t["title"].endswith("(edited)") for t in listed.values())


def test_copper_new_tickets_head_the_newest_first_list():
    store = CopperStore(churn=2, churn_updates=True)
    first = store.list_tickets([("limit", "1")])["data"][0]
    _requests(store, 4)
    page = store.list_tickets([("limit", "3")])["data"]
    assert page[2]["id"] == first["id"] and page[0]["created"] > page[1]["created"] > first["created"]


def test_without_churn_nothing_changes():
    store = OpineStore()
    before = store.list_tickets(limit="1000")
    _requests(store, 50)
    assert store.list_tickets(limit="1000") == before
