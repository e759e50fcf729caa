"""Unit tests for the Copper reference server (conformance/reference/copper)."""

from __future__ import annotations

import base64
import io
import json
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

from conformance.reference import http
from conformance.reference.copper import DEFAULT_API_KEY, CopperStore, make_app
from conformance.reference.copper import timefmt
from conformance.reference.copper.seed import DEFAULT_COUNT


def basic(key: str = DEFAULT_API_KEY, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{key}:{password}".encode()).decode()


class Client:
    """Calls the WSGI app in process (no sockets)."""

    def __init__(self, store: CopperStore):
        self.store = store
        self.app = make_app(store)

    def request(self, path: str, query=None, auth: str | None = basic(), method: str = "GET"):
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": urlencode(query or [], doseq=True),
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "0", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http",
        }
        if auth is not None:
            environ["HTTP_AUTHORIZATION"] = auth
        captured = {}

        def start_response(status, headers):
            captured["status"] = int(status.split()[0])
            captured["headers"] = dict(headers)

        body = b"".join(self.app(environ, start_response))
        headers = captured["headers"]
        assert headers["Content-Type"] == "application/json"
        assert int(headers["Content-Length"]) == len(body)
        return captured["status"], json.loads(body.decode("utf-8")), headers

    def ok(self, query=()):
        status, body, _ = self.request("/next/tickets", list(query))
        assert status == 200, body
        return body

    def walk(self, query=(), limit: int = 10):
        """Follow starting_after until has_more is false; return (items, pages)."""
        items, pages, cursor = [], [], None
        while True:
            q = list(query) + [("limit", str(limit))]
            if cursor:
                q.append(("starting_after", cursor))
            body = self.ok(q)
            pages.append(body)
            items.extend(body["data"])
            if not body["has_more"]:
                return items, pages
            cursor = body["data"][-1]["id"] if body["data"] else None
            assert cursor, "has_more with an empty page needs a post-hoc filter"


@pytest.fixture(scope="module")
def store() -> CopperStore:
    return CopperStore(seed=0)


@pytest.fixture(scope="module")
def client(store) -> Client:
    return Client(store)


def ids(items):
    return [t["id"] for t in items]


def expected(store, pred=lambda t: True):
    return [t.id for t in store.tickets if pred(t)]


def ms(text: str) -> int:
    return timefmt.parse_ms(text)


# --------------------------------------------------------------------------- auth
@pytest.mark.parametrize("auth", [
    None, "", basic("sk_test_wrong"), basic(""), "Bearer " + DEFAULT_API_KEY,
    "Basic !!notbase64!!", "Basic " + base64.b64encode(DEFAULT_API_KEY.encode()).decode(),
])
def test_missing_or_wrong_key_is_401_without_data(client, auth):
    status, body, headers = client.request("/next/tickets", auth=auth)
    assert status == 401
    assert body["error"]["type"] == "authentication_error"
    assert body["error"]["message"]
    assert "data" not in body and "tkt_" not in json.dumps(body)
    assert headers["WWW-Authenticate"].startswith("Basic")
    status, body, _ = client.request(f"/next/tickets/{client.store.tickets[0].id}", auth=auth)
    assert status == 401 and "id" not in body


def test_key_as_username_empty_password(client):
    assert client.request("/next/tickets", auth=basic())[0] == 200
    assert client.request("/next/tickets", auth="basic " + basic()[6:])[0] == 200
    custom = Client(CopperStore(api_key="sk_test_other"))
    assert custom.request("/next/tickets", auth=basic("sk_test_other"))[0] == 200
    assert custom.request("/next/tickets", auth=basic())[0] == 401


# --------------------------------------------------------------------------- envelope, order
def test_envelope_and_default_limit(client, store):
    body = client.ok()
    assert set(body) == {"object", "data", "has_more"}
    assert body["object"] == "list" and body["has_more"] is True
    assert len(body["data"]) == 10
    assert ids(body["data"]) == expected(store)[:10]
    t = body["data"][0]
    assert set(t) == {"id", "object", "created", "location", "reference", "status", "amount",
                      "currency", "metadata"}
    assert t["object"] == "ticket" and t["id"].startswith("tkt_") and len(t["id"]) == 20
    assert t["created"] == "2026-03-14T09:26:53.589Z"
    assert t["location"].startswith("loc_") and len(t["location"]) == 16
    assert t["status"] in {"open", "paid", "void"} and isinstance(t["amount"], int)
    assert t["currency"] == "usd" and isinstance(t["metadata"], dict)


def test_order_is_created_desc_then_id_desc(store):
    keys = [(t.created_ms, t.id) for t in store.tickets]
    assert keys == sorted(keys, reverse=True)
    assert len(store.tickets) == DEFAULT_COUNT


@pytest.mark.parametrize("limit", [1, 3, 7, 10, 100])
def test_starting_after_walk_visits_each_ticket_once_newest_first(client, store, limit):
    items, pages = client.walk(limit=limit)
    assert ids(items) == expected(store)
    assert all(len(p["data"]) == limit for p in pages[:-1])
    assert all(p["has_more"] for p in pages[:-1]) and not pages[-1]["has_more"]


def test_last_page_exactly_full_has_more_false():
    c = Client(CopperStore(seed=3, tickets=20))
    first = c.ok([("limit", "10")])
    second = c.ok([("limit", "10"), ("starting_after", first["data"][-1]["id"])])
    assert first["has_more"] is True and len(second["data"]) == 10 and second["has_more"] is False
    assert c.ok([("limit", "20")])["has_more"] is False
    empty = Client(CopperStore(tickets=0)).ok()
    assert empty == {"object": "list", "data": [], "has_more": False}


def test_tie_group_straddling_page_boundary_is_not_skipped(client, store):
    t = store.tickets
    for limit in (10, 100):
        assert t[limit - 1].created_ms == t[limit].created_ms  # the seed arranges this
        first = client.ok([("limit", str(limit))])
        second = client.ok([("limit", str(limit)), ("starting_after", first["data"][-1]["id"])])
        assert second["data"][0]["id"] == t[limit].id


def test_ending_before(client, store):
    t = store.tickets
    body = client.ok([("ending_before", t[25].id)])
    assert ids(body["data"]) == [x.id for x in t[15:25]] and body["has_more"] is True
    body = client.ok([("ending_before", t[5].id), ("limit", "10")])
    assert ids(body["data"]) == [x.id for x in t[0:5]] and body["has_more"] is False
    body = client.ok([("ending_before", t[10].id), ("limit", "10")])  # cursor inside a tie group
    assert ids(body["data"]) == [x.id for x in t[0:10]] and body["has_more"] is False
    body = client.ok([("ending_before", t[0].id)])
    assert body["data"] == [] and body["has_more"] is False


def test_ending_before_walk_back_from_the_oldest(client, store):
    t = store.tickets
    cursor, seen = t[-1].id, []
    while True:
        body = client.ok([("ending_before", cursor), ("limit", "7")])
        seen[:0] = ids(body["data"])
        if not body["has_more"]:
            break
        cursor = body["data"][0]["id"]
    assert seen == [x.id for x in t[:-1]]


def test_both_cursors_400(client, store):
    status, body, _ = client.request("/next/tickets", [("starting_after", store.tickets[3].id),
                                                       ("ending_before", store.tickets[1].id)])
    assert status == 400
    assert body["error"]["type"] == "invalid_request_error" and body["error"]["param"] == "ending_before"


@pytest.mark.parametrize("param", ["starting_after", "ending_before"])
@pytest.mark.parametrize("value", ["tkt_doesnotexist0000", ""])
def test_unknown_cursor_400(client, param, value):
    status, body, _ = client.request("/next/tickets", [(param, value)])
    assert status == 400 and body["error"]["param"] == param
    assert body["error"]["code"] == "resource_missing"


# --------------------------------------------------------------------------- limit
@pytest.mark.parametrize("raw", ["0", "101", "150", "-1", "abc", "", "1.5", "+5", " 5", "1e2", "٣",
                                 "9" * 5000])
def test_bad_limit_400(client, raw):
    status, body, _ = client.request("/next/tickets", [("limit", raw)])
    assert status == 400, raw
    assert body["error"]["param"] == "limit" and body["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("raw,n", [("1", 1), ("100", 100), ("007", 7)])
def test_good_limit(client, raw, n):
    assert len(client.ok([("limit", raw)])["data"]) == n


def test_repeated_parameter_400_unknown_ignored(client):
    status, body, _ = client.request("/next/tickets", [("limit", "5"), ("limit", "6")])
    assert status == 400 and body["error"]["param"] == "limit"
    assert len(client.ok([("expand", "x"), ("limit", "4")])["data"]) == 4


# --------------------------------------------------------------------------- created filters
def created_ids(client, store, query, pred):
    items, _ = client.walk(query, limit=100)
    assert ids(items) == expected(store, pred), query
    return items


def test_created_bounds_exclusive_and_inclusive(client, store):
    t = store.tickets
    x = t[40]  # an arbitrary ticket; its instant is a boundary
    stamp = timefmt.format_ms(x.created_ms)
    c = x.created_ms
    created_ids(client, store, [("created[gt]", stamp)], lambda s: s.created_ms > c)
    created_ids(client, store, [("created[gte]", stamp)], lambda s: s.created_ms >= c)
    created_ids(client, store, [("created[lt]", stamp)], lambda s: s.created_ms < c)
    created_ids(client, store, [("created[lte]", stamp)], lambda s: s.created_ms <= c)
    # a tie group bound: gt excludes every member, gte includes every member
    tie = t[99].created_ms
    items = created_ids(client, store, [("created[gte]", timefmt.format_ms(tie))],
                        lambda s: s.created_ms >= tie)
    assert ids(items)[-4:] == [s.id for s in t[98:102]]


def test_created_offsets_are_applied(client, store):
    x = store.tickets[61]  # 2026-02-22T00:00:00.000Z in the default data
    assert timefmt.format_ms(x.created_ms) == "2026-02-22T00:00:00.000Z"
    c = x.created_ms
    for spelled in ("2026-02-22T02:00:00+02:00", "2026-02-22T02:00:00.000+0200",
                    "2026-02-21T19:00:00-05:00", "2026-02-22T00:00:00", "2026-02-22T00:00:00.0Z",
                    "2026-02-22"):
        created_ids(client, store, [("created[gte]", spelled)], lambda s: s.created_ms >= c)
        created_ids(client, store, [("created[lt]", spelled)], lambda s: s.created_ms < c)


def test_created_sub_millisecond_fractions(client, store):
    x = store.tickets[9]
    c = x.created_ms
    base = timefmt.format_ms(c)[:-1]  # ...SS.mmm
    # 1 ns / 0.1 ns / 0.1 us past the ticket: gt and gte both exclude it; lt/lte include it
    for extra in ("000001", "0000001", "1", "0000000001"):
        bound = base + extra + "Z"
        created_ids(client, store, [("created[gte]", bound)], lambda s: s.created_ms > c)
        created_ids(client, store, [("created[lte]", bound)], lambda s: s.created_ms <= c)
    # just before the ticket's millisecond (…mmm - 0.0000001 ms): gte includes it
    before = timefmt.format_ms(c - 1)[:-1] + "9999999Z"
    created_ids(client, store, [("created[gt]", before)], lambda s: s.created_ms >= c)
    created_ids(client, store, [("created[lt]", before)], lambda s: s.created_ms < c)
    # 1 ms resolution on both sides
    created_ids(client, store, [("created[gt]", timefmt.format_ms(c - 1))], lambda s: s.created_ms >= c)
    created_ids(client, store, [("created[lt]", timefmt.format_ms(c + 1))], lambda s: s.created_ms <= c)


def test_created_range_and_empty_ranges(client, store):
    lo, hi = store.tickets[60].created_ms, store.tickets[10].created_ms
    q = [("created[gte]", timefmt.format_ms(lo)), ("created[lt]", timefmt.format_ms(hi))]
    created_ids(client, store, q, lambda s: lo <= s.created_ms < hi)
    same = timefmt.format_ms(lo)
    body = client.ok([("created[gt]", same), ("created[lt]", same)])
    assert body == {"object": "list", "data": [], "has_more": False}
    body = client.ok([("created[gte]", timefmt.format_ms(hi)), ("created[lte]", timefmt.format_ms(lo))])
    assert body["data"] == [] and body["has_more"] is False


@pytest.mark.parametrize("op", ["gte", "gt", "lte", "lt"])
@pytest.mark.parametrize("raw", ["yesterday", "2026-13-45T00:00:00Z", "", "2026-02-30",
                                 "2026-02-22 00:00:00Z", "2026-02-22T24:00:00Z", "2026-02-22T00:00:60Z",
                                 "2026-02-22T00:00:00.Z", "2026-02-22T00:00:00+25:00", "1767225600",
                                 "2026-02-22T00:00Z", "2026-02-22t00:00:00z", "0000-01-01"])
def test_unparsable_created_400(client, op, raw):
    status, body, _ = client.request("/next/tickets", [(f"created[{op}]", raw)])
    assert status == 400, raw
    assert body["error"]["param"] == f"created[{op}]"
    assert body["error"]["code"] == "parameter_invalid_date"


def test_filters_apply_on_every_page(client, store):
    loc = store.locations[1]
    lo = store.tickets[200].created_ms
    q = [("location", loc), ("created[gte]", timefmt.format_ms(lo))]
    items, pages = client.walk(q, limit=7)
    assert len(pages) > 2
    assert ids(items) == expected(store, lambda s: s.location == loc and s.created_ms >= lo)


# --------------------------------------------------------------------------- location
def test_location_filter(client, store):
    for loc in store.locations:
        items, _ = client.walk([("location", loc)], limit=100)
        assert ids(items) == expected(store, lambda s: s.location == loc)
        assert items
    assert client.ok([("location", "loc_unknown00000")]) == {"object": "list", "data": [], "has_more": False}


def test_cursor_outside_the_filter_is_positioned_by_sort_key(client, store):
    t = store.tickets
    loc = t[9].location
    other = next(x for x in t[10:] if x.location != loc)
    body = client.ok([("location", loc), ("starting_after", other.id), ("limit", "100")])
    key = (other.created_ms, other.id)
    assert ids(body["data"]) == [x.id for x in t if x.location == loc and (x.created_ms, x.id) < key][:100]


# --------------------------------------------------------------------------- post-hoc search
def test_search_is_post_hoc_empty_page_with_has_more(client):
    body = client.ok([("search_query", "注文"), ("limit", "10")])
    assert body["data"] == [] and body["has_more"] is True


def test_search_short_page_and_full_walk(client, store):
    body = client.ok([("search_query", "table 12"), ("limit", "10")])
    db_page = store.tickets[:10]
    want = [x.id for x in db_page if "table 12" in x.reference.casefold()]
    assert ids(body["data"]) == want and 0 < len(want) < 10 and body["has_more"] is True
    # walking with the search keeps the cursor moving: resume after the database page's last item
    for query in ("table 12", "CAFÉ-ŝ", "注文-0042", "🎟", "strasse", "ünïcödé", ""):
        seen, cursor = [], None
        while True:
            q = [("search_query", query), ("limit", "10")] + ([("starting_after", cursor)] if cursor else [])
            page = client.ok(q)
            seen.extend(ids(page["data"]))
            if not page["has_more"]:
                break
            # the next database page starts after the 10th ticket of the database page
            start = 0 if cursor is None else [x.id for x in store.tickets].index(cursor) + 1
            cursor = store.tickets[start + 9].id
        assert seen == expected(store, lambda s: query.casefold() in s.reference.casefold()), query


def test_search_combines_with_location(client, store):
    loc = store.locations[0]
    body = client.ok([("search_query", "bar tab"), ("location", loc), ("limit", "100")])
    db_page = [x for x in store.tickets if x.location == loc][:100]
    assert ids(body["data"]) == [x.id for x in db_page if "bar tab" in x.reference.casefold()]


# --------------------------------------------------------------------------- retrieve, 404
def test_retrieve_equals_list_item(client, store):
    for body in (client.ok([("limit", "100")]), client.ok([("limit", "100"), ("starting_after",
                                                                              store.tickets[99].id)])):
        for item in body["data"]:
            status, got, _ = client.request(f"/next/tickets/{item['id']}")
            assert status == 200 and got == item


def test_unknown_ticket_404(client):
    status, body, _ = client.request("/next/tickets/tkt_doesnotexist0000")
    assert status == 404
    assert body["error"]["code"] == "resource_missing" and body["error"]["type"] == "invalid_request_error"
    assert body["error"]["param"] == "id"


@pytest.mark.parametrize("method,path", [("GET", "/next/tickets/"), ("GET", "/v1/tickets"),
                                         ("GET", "/next/locations"), ("POST", "/next/tickets"),
                                         ("DELETE", "/next/tickets/x"), ("GET", "/")])
def test_other_routes_404_json(client, method, path):
    status, body, _ = client.request(path, method=method)
    assert status == 404 and body["error"]["type"] == "invalid_request_error"


# --------------------------------------------------------------------------- seed data
def test_determinism():
    a, b, c = CopperStore(seed=0), CopperStore(seed=0), CopperStore(seed=1)
    assert a.tickets == b.tickets and a.locations == b.locations
    assert a.tickets != c.tickets
    assert Client(a).ok([("limit", "100")]) == Client(b).ok([("limit", "100")])


def test_default_seed_has_the_edge_cases(store):
    t = store.tickets
    created = [x.created_ms for x in t]
    assert 4 <= len(store.locations) <= 6
    assert created[0] - created[-1] > 90 * timefmt.MS_PER_DAY
    assert created[8] == created[9] == created[10] and created[98] == created[101]
    assert created[30] - created[31] == 1 and created[31] - created[32] == 1
    assert created[41] % 1000 == 0 and created[61] % timefmt.MS_PER_DAY == 0
    assert created[60] - created[61] == 1 == created[61] - created[62]
    refs = {x.reference for x in t}
    assert {"Café-Ŝ-17", "注文-0042", "Ünïcödé", "🎟-ticket", "Table 1", "Table 12", "TABLE 12"} <= refs
    shared = [r for r in refs if sum(x.reference == r for x in t) >= 3]
    assert len(shared) >= 5


def test_many_tickets():
    s = CopperStore(tickets=50_000)
    assert len(s.tickets) == 50_000


def test_small_and_explicit_ticket_sets():
    small = CopperStore(seed=7, tickets=5)
    assert len(small.tickets) == 5
    again = CopperStore(tickets=list(small.tickets[::-1]))
    assert again.tickets == small.tickets  # stored in list order whatever the input order
    assert Client(again).ok([("limit", "2")])["has_more"] is True


def test_timefmt_roundtrip():
    for text in ("2026-03-14T09:26:53.589Z", "1970-01-01T00:00:00.000Z", "2025-12-31T23:59:59.999Z"):
        assert timefmt.format_ms(timefmt.parse_ms(text)) == text
    assert timefmt.parse_ms("2026-03-14") == timefmt.parse_ms("2026-03-14T00:00:00Z")


# --------------------------------------------------------------------------- over real HTTP
def test_over_loopback_http(store):
    with http.start(make_app(store), port=0) as server:
        url = server.origin + "/next/tickets?" + urlencode({"limit": 3, "created[lte]": "2026-03-14T11:26:53.589+02:00"})
        req = urllib.request.Request(url, headers={"Authorization": basic()})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "application/json"
            body = json.loads(resp.read())
        assert ids(body["data"]) == [x.id for x in store.tickets[:3]]
        tid = store.tickets[1].id  # reference "Café-Ŝ-17": non-ASCII survives the round trip
        req = urllib.request.Request(f"{server.origin}/next/tickets/{tid}", headers={"Authorization": basic()})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert json.loads(resp.read())["reference"] == "Café-Ŝ-17"
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(server.origin + "/next/tickets", timeout=5)
        assert err.value.code == 401
        assert json.loads(err.value.read())["error"]["type"] == "authentication_error"
