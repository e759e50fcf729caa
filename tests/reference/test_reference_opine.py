"""Tests of the Opine reference server (conformance.reference.opine): behaviour through its HTTP API."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests
from werkzeug.test import Client

try:
    import conformance  # noqa: F401
except ImportError:  # running pytest from the repo without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from conformance.reference import http  # noqa: E402
from conformance.reference.opine import DEFAULT_API_KEY, OpineStore, make_app  # noqa: E402
from conformance.reference.opine.seed import LONG_TITLE, SPECIAL_TITLES  # noqa: E402

KEY = {"X-API-Key": DEFAULT_API_KEY}
TICKET_KEYS = [
    "type", "state", "id", "createdAt", "updatedAt", "closedAt", "organizationId", "createdByUserId",
    "title", "description", "vendorEntityId", "vendorEntityKey", "integrationInstallationId",
    "targetDueDate", "linkedDeals", "dealAmountSum", "vendorEntityUrl", "labels",
]
TYPES = {"BUG", "FEATURE", "CUSTOM_1", "CUSTOM_2", "CUSTOM_3", "CUSTOM_4", "CUSTOM_5"}
STATES = {"OPEN", "PRIORITIZING", "ROADMAP", "DEFERRED", "IN_PROGRESS", "CLOSED"}


class Api:
    def __init__(self, store: OpineStore) -> None:
        self.client = Client(make_app(store))

    def get(self, query: str = "", headers: dict | None = KEY):
        return self.client.get(f"/v1/tickets{query}", headers=headers or {})

    def post(self, body, headers: dict | None = KEY):
        kw = {"data": body} if isinstance(body, (str, bytes)) else {"json": body}
        return self.client.post("/v1/tickets", headers=headers or {}, **kw)

    def put(self, ticket_id, body, headers: dict | None = KEY):
        kw = {"data": body} if isinstance(body, (str, bytes)) else {"json": body}
        return self.client.put(f"/v1/tickets/{ticket_id}", headers=headers or {}, **kw)

    def all(self) -> list[dict]:
        items, offset = [], 0
        while True:
            page = self.get(f"?limit=1000&offset={offset}").get_json()
            items += page["items"]
            offset += 1000
            if offset >= page["totalCount"]:
                return items

    def ticket(self, ticket_id: int) -> dict:
        return next(t for t in self.all() if t["id"] == ticket_id)

    def total(self) -> int:
        return self.get("?limit=1").get_json()["totalCount"]


@pytest.fixture()
def api() -> Api:
    return Api(OpineStore(seed=0))


def _new(api: Api, **fields) -> dict:
    body = {"title": "Base ticket", "type": "BUG", "state": "OPEN", **fields}
    response = api.post(body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _issue_paths(response) -> list:
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "Validation error."
    return [issue["path"] for issue in body["issues"]]


# -- auth ------------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [None, {"X-API-Key": "wrong"}, {"X-API-Key": DEFAULT_API_KEY + " "},
                                     {"Authorization": f"Bearer {DEFAULT_API_KEY}"}])
def test_missing_or_wrong_key_is_401_without_ticket_data(api, headers):
    for response in (api.get(headers=headers), api.post({"title": "t", "type": "BUG", "state": "OPEN"}, headers),
                     api.put(1, {"title": "hacked"}, headers)):
        assert response.status_code == 401
        assert response.get_json()["error"] == "Unauthorized"
        assert "items" not in response.get_json() and "id" not in response.get_json()
    assert api.total() == 130
    assert api.ticket(1)["title"] != "hacked"


def test_custom_api_key():
    api = Api(OpineStore(api_key="other"))
    assert api.get().status_code == 401
    assert api.get(headers={"X-API-Key": "other"}).status_code == 200


# -- pagination ------------------------------------------------------------------------------
def test_default_page_envelope_and_second_page(api):
    first = api.get().get_json()
    assert list(first) == ["items", "limit", "offset", "totalCount"]
    assert (first["limit"], first["offset"], first["totalCount"], len(first["items"])) == (100, 0, 130, 100)
    assert [list(t) for t in first["items"]] == [TICKET_KEYS] * 100
    second = api.get("?offset=100").get_json()
    assert (second["offset"], second["totalCount"], len(second["items"])) == (100, 130, 30)
    ids = [t["id"] for t in first["items"] + second["items"]]
    assert ids == sorted(set(ids))  # id ascending, no overlap
    assert [t["id"] for t in api.get("?limit=7&offset=3").get_json()["items"]] == ids[3:10]


def test_offset_past_the_end_is_empty_with_total(api):
    page = api.get("?offset=5000&limit=10").get_json()
    assert page == {"items": [], "limit": 10, "offset": 5000, "totalCount": 130}


def test_limit_over_1000_is_clamped_and_echoed():
    api = Api(OpineStore(tickets=1200))
    page = api.get("?limit=5000").get_json()
    assert (page["limit"], len(page["items"]), page["totalCount"]) == (1000, 1000, 1200)
    assert api.get("?limit=1000").get_json()["limit"] == 1000


@pytest.mark.parametrize("query, path, code", [
    ("?limit=0", "limit", "too_small"), ("?limit=-3", "limit", "too_small"),
    ("?limit=abc", "limit", "invalid_type"), ("?limit=1.5", "limit", "invalid_type"),
    ("?limit=", "limit", "invalid_type"), ("?offset=-1", "offset", "too_small"),
    ("?offset=x", "offset", "invalid_type"), ("?offset=2.0", "offset", "invalid_type"),
])
def test_bad_paging_parameters_are_400(api, query, path, code):
    response = api.get(query)
    assert _issue_paths(response) == [[path]]
    assert response.get_json()["issues"][0]["code"] == code
    assert "items" not in response.get_json()


# -- create ----------------------------------------------------------------------------------
def test_create_returns_201_ticket_and_appends_it(api):
    body = {
        "title": "支払いエラー 🚀", "type": "CUSTOM_3", "state": "IN_PROGRESS",
        "description": [{"type": "paragraph", "children": [{"text": "x"}]}],
        "targetDueDate": "2026-03-01T10:00:00.5+02:00", "labels": ["billing", "Billing", "billing"],
        "vendorEntityUrl": "https://example.com/ENG-1", "deals": [{"id": 502, "priority": "BLOCKER"},
                                                                  {"id": 509, "priority": "NICE_TO_HAVE"}],
        "unknownKey": "ignored",
    }
    next_id = max(t["id"] for t in api.all()) + 1
    response = api.post(body)
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    t = response.get_json()
    assert list(t) == TICKET_KEYS
    assert t["id"] == next_id and t["organizationId"] == 42
    assert (t["title"], t["type"], t["state"]) == (body["title"], "CUSTOM_3", "IN_PROGRESS")
    assert t["description"] == body["description"]
    assert t["targetDueDate"] == "2026-03-01T08:00:00.500Z"
    assert t["labels"] == ["billing", "Billing"]
    assert [(d["id"], d["priority"]) for d in t["linkedDeals"]] == [(502, "BLOCKER"), (509, "NICE_TO_HAVE")]
    assert t["dealAmountSum"] == pytest.approx(7999.99 + 5000)
    assert t["createdAt"] == t["updatedAt"] and t["closedAt"] is None
    assert t["createdAt"] > "2026-01-05T08:59:59.999Z"
    assert api.total() == 131 and api.all()[-1] == t


def test_create_minimal_renders_nulls(api):
    t = _new(api)
    assert [k for k, v in t.items() if v is None] == [
        "closedAt", "description", "vendorEntityId", "vendorEntityKey", "integrationInstallationId",
        "targetDueDate", "vendorEntityUrl"]
    assert (t["linkedDeals"], t["dealAmountSum"], t["labels"]) == ([], 0, [])


@pytest.mark.parametrize("patch, path", [
    ({"title": ""}, ["title"]), ({"title": "é" * 257}, ["title"]), ({"title": None}, ["title"]),
    ({"type": "bug"}, ["type"]), ({"state": "Closed"}, ["state"]), ({"type": 1}, ["type"]),
    ({"description": 5}, ["description"]), ({"targetDueDate": "2026-01-01T00:00:00"}, ["targetDueDate"]),
    ({"targetDueDate": "2026-01-01"}, ["targetDueDate"]), ({"labels": "a"}, ["labels"]),
    ({"labels": ["ok", 3]}, ["labels", 1]), ({"vendorEntityUrl": "example.com/x"}, ["vendorEntityUrl"]),
    ({"vendorEntityUrl": "ftp://example.com"}, ["vendorEntityUrl"]),
    ({"deals": [{"id": 999, "priority": "BLOCKER"}]}, ["deals", 0, "id"]),
    ({"deals": [{"id": 501, "priority": "URGENT"}]}, ["deals", 0, "priority"]),
    ({"description": None}, ["description"]),
])
def test_invalid_create_is_400_and_creates_nothing(api, patch, path):
    body = {"title": "t", "type": "BUG", "state": "OPEN", **patch}
    assert _issue_paths(api.post(body)) == [path]
    assert api.total() == 130


def test_create_required_fields_body_shape_and_json(api):
    assert _issue_paths(api.post({})) == [["title"], ["type"], ["state"]]
    assert _issue_paths(api.post([])) == [[]]
    assert _issue_paths(api.post("{not json")) == [[]]
    assert _issue_paths(api.post("")) == [[]]
    assert api.total() == 130


def test_title_length_counts_characters(api):
    assert len(LONG_TITLE) == 256 and len(LONG_TITLE.encode()) > 256
    assert _new(api, title=LONG_TITLE)["title"] == LONG_TITLE
    assert _new(api, title="🚀" * 256)["title"] == "🚀" * 256


# -- update ----------------------------------------------------------------------------------
def test_put_null_clears_and_absent_keeps(api):
    t = _new(api, description="# md", targetDueDate="2026-02-01T00:00:00Z", labels=["a"],
             vendorEntityUrl="http://x.example/1", deals=[{"id": 501, "priority": "BLOCKER"}])
    kept = api.put(t["id"], {"title": "Renamed"}).get_json()
    for key in ("description", "targetDueDate", "labels", "vendorEntityUrl", "linkedDeals", "type", "state"):
        assert kept[key] == t[key]
    assert kept["title"] == "Renamed"
    cleared = api.put(t["id"], {"description": None, "targetDueDate": None, "labels": None,
                                "vendorEntityUrl": None}).get_json()
    assert (cleared["description"], cleared["targetDueDate"], cleared["labels"], cleared["vendorEntityUrl"]) == (
        None, None, [], None)
    assert cleared["title"] == "Renamed" and cleared["linkedDeals"] == t["linkedDeals"]
    again = api.put(t["id"], {"labels": ["x", "y"]}).get_json()
    assert api.put(t["id"], {"labels": []}).get_json()["labels"] == [] and again["labels"] == ["x", "y"]


@pytest.mark.parametrize("field", ["title", "type", "state"])
def test_put_null_on_required_field_is_400(api, field):
    before = api.ticket(1)
    assert _issue_paths(api.put(1, {field: None})) == [[field]]
    assert api.ticket(1) == before


def test_put_validation_is_atomic(api):
    before = api.ticket(5)
    response = api.put(5, {"title": "Valid new title", "labels": ["new"], "description": None,
                           "deals": [{"id": 501, "priority": "BLOCKER"}], "state": "DONE"})
    assert _issue_paths(response) == [["state"]]
    assert api.ticket(5) == before  # nothing changed, not even updatedAt


@pytest.mark.parametrize("ticket_id", ["99999", "0", "abc", "1.5", "-1", "7 "])
def test_put_unknown_or_non_integer_id_is_404_and_creates_nothing(api, ticket_id):
    response = api.put(ticket_id, {"title": "ghost", "type": "BUG", "state": "OPEN"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "Not found"
    assert api.total() == 130


def test_put_updates_updated_at_strictly(api):
    t = _new(api)
    stamps = [t["updatedAt"]]
    for body in ({}, {"title": "a"}, {"title": "a"}):
        after = api.put(t["id"], body).get_json()
        assert after["createdAt"] == t["createdAt"]
        stamps.append(after["updatedAt"])
    assert stamps == sorted(set(stamps))


def test_closed_at_lifecycle(api):
    t = _new(api, state="OPEN")
    closed = api.put(t["id"], {"state": "CLOSED"}).get_json()
    assert closed["closedAt"] is not None and closed["closedAt"] == closed["updatedAt"]
    still = api.put(t["id"], {"state": "CLOSED", "title": "x"}).get_json()
    assert still["closedAt"] == closed["closedAt"]
    assert api.put(t["id"], {"state": "ROADMAP"}).get_json()["closedAt"] is None
    created_closed = _new(api, state="CLOSED")
    assert created_closed["closedAt"] == created_closed["createdAt"]


def test_deal_links_add_change_delete_and_sum(api):
    t = _new(api, deals=[{"id": 501, "priority": "BLOCKER"}])
    assert t["dealAmountSum"] == 12500
    t = api.put(t["id"], {"deals": [{"id": 505, "priority": "IMPORTANT"},
                                    {"id": 501, "priority": "NICE_TO_HAVE"}]}).get_json()
    assert [(d["id"], d["priority"]) for d in t["linkedDeals"]] == [(501, "NICE_TO_HAVE"), (505, "IMPORTANT")]
    assert t["dealAmountSum"] == pytest.approx(12500.99)
    t = api.put(t["id"], {"deals": [{"id": 501, "priority": "BLOCKER", "delete": True}]}).get_json()
    assert [d["id"] for d in t["linkedDeals"]] == [505] and t["dealAmountSum"] == pytest.approx(0.99)
    assert _issue_paths(api.put(t["id"], {"deals": [{"id": 505, "priority": "BLOCKER", "delete": "yes"}]})) == [
        ["deals", 0, "delete"]]
    assert _issue_paths(api.put(t["id"], {"deals": None})) == [["deals"]]


# -- seed data, determinism, scale, HTTP -----------------------------------------------------
def test_seed_covers_the_documented_variety(api):
    items = api.all()
    assert {t["type"] for t in items} == TYPES and {t["state"] for t in items} == STATES
    assert {(t["type"], t["state"]) for t in items[:42]} == {(a, b) for a in TYPES for b in STATES}
    assert set(SPECIAL_TITLES) <= {t["title"] for t in items}
    assert all((t["state"] == "CLOSED") == (t["closedAt"] is not None) for t in items)
    assert all(t["createdAt"] <= t["updatedAt"] < "2026-01-05T09:00:00.000Z" for t in items)
    assert {type(t["description"]) for t in items} == {str, list, type(None)}
    for key in ("targetDueDate", "vendorEntityUrl", "vendorEntityId", "vendorEntityKey", "integrationInstallationId"):
        assert any(t[key] is None for t in items) and any(t[key] is not None for t in items)
    assert any(t["labels"] for t in items) and any(len(t["linkedDeals"]) == 3 for t in items)
    assert {t["organizationId"] for t in items} == {42}


def test_same_seed_same_data_other_seed_other_data():
    first, second, other = (Api(OpineStore(seed=s)).all() for s in (0, 0, 1))
    assert first == second and first != other
    a, b = Api(OpineStore(seed=3)), Api(OpineStore(seed=3))
    for api in (a, b):
        _new(api, title="same")
        api.put(2, {"state": "CLOSED"})
    assert a.all() == b.all()


def test_fifty_thousand_tickets():
    api = Api(OpineStore(tickets=50_000))
    page = api.get("?limit=1000&offset=49500").get_json()
    assert page["totalCount"] == 50_000 and len(page["items"]) == 500


def test_empty_store():
    assert Api(OpineStore(tickets=0)).get().get_json() == {"items": [], "limit": 100, "offset": 0, "totalCount": 0}


def test_over_real_http():
    store = OpineStore()
    with http.start(make_app(store), port=0) as server:
        base = f"{server.origin}/v1"
        response = requests.get(f"{base}/tickets", params={"limit": 2}, headers=KEY, timeout=5)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        assert int(response.headers["Content-Length"]) == len(response.content)
        assert len(response.json()["items"]) == 2
        created = requests.post(f"{base}/tickets", json={"title": "Ü", "type": "BUG", "state": "OPEN"},
                                headers=KEY, timeout=5)
        assert created.status_code == 201 and created.json()["title"] == "Ü"
        unauthorized = requests.post(f"{base}/tickets", json={"title": "x"}, timeout=5)
        assert unauthorized.status_code == 401
        for method, path in (("GET", "/v1/nope"), ("DELETE", "/v1/tickets/1"), ("GET", "/v1/tickets/1")):
            missing = requests.request(method, f"{server.origin}{path}", headers=KEY, timeout=5)
            assert missing.status_code == 404 and missing.json()["error"] == "Not found"


def test_concurrent_creates_get_distinct_ids():
    from concurrent.futures import ThreadPoolExecutor

    store = OpineStore()
    with http.start(make_app(store), port=0) as server:
        def create(i: int) -> int:
            body = {"title": f"parallel {i}", "type": "FEATURE", "state": "OPEN"}
            return requests.post(f"{server.origin}/v1/tickets", json=body, headers=KEY, timeout=5).json()["id"]

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(create, range(40)))
    assert len(set(ids)) == 40
    assert Api(store).total() == 170
