"""Unit tests of the cursor pagination and consistency check functions, on hand-made pages."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.oracles import consistency as cc
from conformance.oracles import cursor_pagination as cp
from conformance.model.exchange import Exchange
from conformance.machines.cursor import cursor_navigation
from conformance.profiles import get_profile

COPPER = get_profile("copper")
from conformance.reference.copper import CopperError, CopperStore
from conformance.run.runner import RunRequest, run
from conformance.strategies.cursors import splits_a_group, splitting_limits
from conformance.checks import CATALOGUE
from conformance.observe.walks import Page, Walk
from conformance.model.violations import Skipped, Violation

pytestmark = pytest.mark.copper  # run with the Copper self-test (-k copper)

PAGING = COPPER.paging
BASE = "http://127.0.0.1:1/next/tickets"


def exchange(body, status=200, params=()) -> Exchange:
    url = f"{BASE}?{urlencode(list(params))}" if params else BASE
    return Exchange(method="GET", url=url, status=status, body=json.dumps(body).encode())


def ticket(tid, created, **extra):
    return {"id": tid, "object": "ticket", "created": created, **extra}


def walk_of(pages, has_more=None, limit=None, stop="end") -> Walk:
    """A walk from lists of items; ``has_more`` defaults to true on all pages but the last."""
    flags = has_more if has_more is not None else [i < len(pages) - 1 for i in range(len(pages))]
    walk = Walk(limit=limit, stop=stop)
    for i, (items, more) in enumerate(zip(pages, flags)):
        body = {"object": "list", "data": items, "has_more": more}
        params = (("limit", str(limit)),) if limit else ()
        walk.pages.append(Page(params=params, exchange=exchange(body, params=params + (("page", str(i)),)),
                               body=body, items=tuple(items)))
    return walk


# Six tickets, newest first; b/c tie, e/f tie (exact same instant written two ways).
T = [ticket("a", "2026-01-01T00:00:05.000Z"), ticket("b", "2026-01-01T00:00:04.000Z"),
     ticket("c", "2026-01-01T00:00:04.000Z"), ticket("d", "2026-01-01T00:00:03.999Z"),
     ticket("e", 1767225602), ticket("f", "2026-01-01T00:00:02Z")]
IDS = [t["id"] for t in T]
ORACLE = walk_of([T], limit=100)


def by_limit(limit):
    return walk_of([T[i:i + limit] for i in range(0, len(T), limit)], limit=limit)


# -- observations -----------------------------------------------------------------------------------

def test_instants_and_tie_groups():
    instants = cp.instants_of(T, "created")
    assert instants[4] == instants[5]  # unix seconds and ISO of the same instant
    assert cp.tie_groups(instants) == [(1, 3), (4, 6)]
    assert cp.tie_groups([1, None, None, 2, 2, 2]) == [(3, 6)]  # unparsable values never tie
    assert cp.tie_groups([]) == []


def test_splitting_limits():
    groups = [(1, 3), (4, 6)]
    assert splits_a_group(2, groups)  # boundary at 2 inside [1, 3)
    assert not splits_a_group(4, groups)  # boundaries at 4, 8: never inside
    assert splitting_limits(groups, 1, 6) == [1, 2, 5]
    assert splitting_limits([(3, 5), (100, 102)], 1, 10, within_pages=2) == [2, 4]  # a 2-page walk never reaches 100


# -- walks -------------------------------------------------------------------------------------------

def test_clean_walks_pass_everything():
    for limit in (1, 2, 3, 4, 6):
        walk = by_limit(limit)
        cp.pages_do_not_overlap(walk, "id")
        cp.walk_terminates(walk)
        cp.walk_yields_the_oracle_set(walk, ORACLE, "id")
        cp.newest_first(walk, "created")
        cp.same_order(walk, ORACLE, "id")
        cp.has_more_matches_oracle(walk, IDS, "has_more", "id")
        cp.page_sizes_honour_limit(walk, limit, len(T))


def test_overlap_names_both_pages():
    walk = walk_of([T[0:2], T[1:4], T[4:]], limit=2)
    with pytest.raises(Violation, match="twice") as info:
        cp.pages_do_not_overlap(walk, "id")
    assert len(info.value.exchanges) == 2


def test_walk_that_loops_or_stops_on_an_empty_page_does_not_terminate():
    with pytest.raises(Violation):
        cp.walk_terminates(walk_of([T[:3], T[3:]], stop="cursor 'f' came back twice: the walk loops"))
    cp.walk_terminates(walk_of([T[:3]], stop="stopped after 1 pages"))  # a prefix walk, by design


def test_missing_and_extra_tickets():
    lost_tie = walk_of([T[0:2], T[3:]], limit=2)  # c lost at the page boundary
    with pytest.raises(Violation, match="does not yield") as info:
        cp.walk_yields_the_oracle_set(lost_tie, ORACLE, "id")
    assert info.value.actual["missing"] == ["c"]
    extra = walk_of([T + [ticket("z", "2020-01-01T00:00:00Z")]])
    with pytest.raises(Violation) as info:
        cp.walk_yields_the_oracle_set(extra, ORACLE, "id")
    assert info.value.actual["extra"] == ["z"]


def test_newest_first():
    sub_ms = [ticket("x", "2026-01-01T00:00:00.0000002Z"), ticket("y", "2026-01-01T00:00:00.0000001Z")]
    cp.newest_first(walk_of([sub_ms]), "created")
    swapped = walk_of([[T[0], T[3]], [T[1], T[2]]])
    with pytest.raises(Violation, match="newest first at position 2"):
        cp.newest_first(swapped, "created")
    # the same instant in another offset is a tie, not an inversion
    cp.newest_first(walk_of([[ticket("x", "2026-01-01T02:00:00+02:00"), ticket("y", "2026-01-01T00:00:00Z")]]),
                    "created")
    with pytest.raises(Skipped):
        cp.newest_first(walk_of([[ticket("x", "yesterday")]]), "created")


def test_same_order_accepts_any_tie_order_as_long_as_it_is_the_same():
    other = [T[0], T[2], T[1], T[3], T[5], T[4]]  # another, consistent tie order
    oracle = walk_of([other], limit=100)
    cp.same_order(walk_of([other[:4], other[4:]], limit=4), oracle, "id")
    with pytest.raises(Violation, match="from position 1"):
        cp.same_order(walk_of([T[:2], T[2:4], T[4:]], limit=2), oracle, "id")
    cp.same_order(walk_of([other[:2]], limit=2, stop="stopped after 1 pages"), oracle, "id")  # a prefix


def test_has_more_truthfulness():
    false_in_the_middle = walk_of([T[:3], T[3:]], has_more=[False, False], limit=3)
    with pytest.raises(Violation, match="page 1 of 2 has has_more=False, but 3 ticket"):
        cp.has_more_matches_oracle(false_in_the_middle, IDS, "has_more", "id")
    true_at_the_end = walk_of([T[:3], T[3:], []], has_more=[True, True, False], limit=3)
    with pytest.raises(Violation, match="page 2 of 3"):
        cp.has_more_matches_oracle(true_at_the_end, IDS, "has_more", "id")
    empty_but_more = walk_of([T[:5], []], has_more=[True, True], stop="empty page with has_more true")
    with pytest.raises(Violation, match="empty"):
        cp.has_more_matches_oracle(empty_but_more, IDS, "has_more", "id")


def test_nothing_after_the_last_page():
    walk = walk_of([T[:3]], limit=3)
    cp.nothing_after_the_last_page(walk, exchange({"data": [], "has_more": False}), "data", "has_more")
    cp.nothing_after_the_last_page(walk, exchange({"error": {}}, status=400), "data", "has_more")
    with pytest.raises(Violation, match="more tickets follow"):
        cp.nothing_after_the_last_page(walk, exchange({"data": [T[3]], "has_more": True}), "data", "has_more")


def test_exactly_full_last_page_says_no_more():
    cp.last_page_says_no_more(exchange({"data": T[4:], "has_more": False}), IDS, 2, "data", "has_more", "id")
    with pytest.raises(Violation, match="has_more on that exactly full last page"):
        cp.last_page_says_no_more(exchange({"data": T[4:], "has_more": True}), IDS, 2, "data", "has_more", "id")
    with pytest.raises(Violation, match="is not those tickets"):
        cp.last_page_says_no_more(exchange({"data": T[5:], "has_more": False}), IDS, 2, "data", "has_more", "id")


class _HasMoreWhenPageFull(CopperStore):
    def _has_more(self, available, limit):
        return available >= limit


@pytest.mark.parametrize("tickets", [297, 320])
def test_full_last_page_probe_catches_has_more_when_full_whatever_the_count(tickets):
    """297 tickets: no walk of the sample ends on an exactly full page; the direct probe still does."""
    report = run(RunRequest(vendor="copper", store=_HasMoreWhenPageFull(tickets=tickets),
                            checks=["has_more_is_truthful"]))
    (result,) = report.checks
    assert result.status == "failed" and "exactly full last page" in result.message


def test_filtered_has_more_is_truthful():
    cp.filtered_has_more_is_truthful(walk_of([T[:3], T[3:]]), "has_more", "loc")
    cp.filtered_has_more_is_truthful(walk_of([[]], has_more=[False]), "has_more", "nothing matches")
    cp.filtered_has_more_is_truthful(walk_of([T[:3]], has_more=[True], stop="stopped after 1 pages"), "has_more", "x")
    with pytest.raises(Violation, match="page 2 says has_more true, but the next page"):
        cp.filtered_has_more_is_truthful(walk_of([T[:3], T[3:], []], has_more=[True, True, False]), "has_more", "loc")


def test_ending_before_pages_back():
    walk = walk_of([T[:2], T[2:4], T[4:]], limit=2)
    assert [cp.page_start(walk, i) for i in range(3)] == [0, 2, 4]
    back = exchange({"data": T[2:4], "has_more": True})
    cp.ending_before_pages_back(walk, 2, back, 2, "data", "id", "loc")
    cp.ending_before_pages_back(walk, 0, exchange({"data": [], "has_more": False}), 2, "data", "id", "loc")
    with pytest.raises(Violation, match="ending_before the first ticket of page 3 does not return page 2"):
        cp.ending_before_pages_back(walk, 2, exchange({"data": T[1:2] + T[3:4], "has_more": True}), 2, "data", "id",
                                    "loc")
    with pytest.raises(Violation, match="nothing matches before it"):
        cp.ending_before_pages_back(walk, 0, exchange({"data": T[:1], "has_more": True}), 2, "data", "id", "loc")


def test_page_sizes():
    with pytest.raises(Violation, match="holds 2 item"):
        cp.page_sizes_honour_limit(walk_of([T[:2], T[2:5], T[5:]], limit=3), 3, 6)
    with pytest.raises(Violation, match="more items than the limit"):
        cp.page_sizes_honour_limit(walk_of([T[:4], T[4:]], limit=3), 3, 6)
    cp.page_sizes_honour_limit(walk_of([T[:4]], limit=4, stop="stopped after 1 pages"), 4, 6)


# -- single pages --------------------------------------------------------------------------------------

def test_page_is_and_has_more_is():
    page = exchange({"object": "list", "data": T[1:3], "has_more": True})
    cp.page_is(page, "data", "id", ["b", "c"], "x")
    with pytest.raises(Violation):
        cp.page_is(page, "data", "id", ["c", "b"], "order matters")
    with pytest.raises(Violation, match="expected a page"):
        cp.page_is(exchange({"error": {}}, status=400), "data", "id", [], "x")
    cp.has_more_is(page, "has_more", True, "x")
    with pytest.raises(Violation):
        cp.has_more_is(exchange({"data": [], "has_more": "true"}), "has_more", True, "a string is not true")


@pytest.mark.parametrize(("status", "ok"), [(400, True), (422, True), (404, True), (200, False), (500, False)])
def test_rejected_and_both_cursors(status, ok):
    answer = exchange({"data": []} if status == 200 else {"error": {}}, status=status)
    for fn in (lambda: cp.rejected(answer, "limit=0"), lambda: cp.both_cursors_refused(answer)):
        if ok:
            fn()
        else:
            with pytest.raises(Violation):
                fn()


def test_below_min_is_rejected_or_clamped():
    one = exchange({"data": T[:1], "has_more": True}, params=(("limit", "1"),))
    check = cp.below_min_is_rejected_or_clamped
    check(exchange({"error": {}}, status=400), one, "data", "id", "0")
    check(exchange({"error": {}}, status=422), one, "data", "id", "-1")
    check(exchange({"data": T[:1], "has_more": True}), one, "data", "id", "0")  # clamped to 1
    with pytest.raises(Violation, match="answered with 500"):
        check(exchange({"error": {}}, status=500), one, "data", "id", "0")
    with pytest.raises(Violation, match="3 tickets"):
        check(exchange({"data": T[:3], "has_more": True}), one, "data", "id", "0")  # e.g. the default page
    with pytest.raises(Violation, match="an empty page"):
        check(exchange({"data": [], "has_more": True}), one, "data", "id", "0")
    with pytest.raises(Violation, match="another ticket"):
        check(exchange({"data": T[1:2], "has_more": True}), one, "data", "id", "0")
    check(exchange({"data": [], "has_more": False}), exchange({"data": [], "has_more": False}), "data", "id", "0")


@pytest.mark.parametrize(("status", "body", "ok"), [
    (400, {"error": {}}, True), (404, {"error": {}}, True), (200, {"data": [], "has_more": False}, True),
    (200, {"data": T[:3], "has_more": True}, False), (500, {"error": {}}, False)])
def test_unknown_cursor_refused(status, body, ok):
    answer = exchange(body, status=status)
    if ok:
        cp.unknown_cursor_refused(answer, "data", "id", "starting_after", "zz")
    else:
        with pytest.raises(Violation, match="starting_after=zz"):
            cp.unknown_cursor_refused(answer, "data", "id", "starting_after", "zz")


def test_capped():
    cp.capped(exchange({"error": {}}, status=400), "data", 3, "limit=4")
    cp.capped(exchange({"data": T[:3], "has_more": True}), "data", 3, "limit=4")  # clamped
    with pytest.raises(Violation, match="more items"):
        cp.capped(exchange({"data": T[:4], "has_more": True}), "data", 3, "limit=4")
    with pytest.raises(Violation, match="neither"):
        cp.capped(exchange({"error": {}}, status=500), "data", 3, "limit=4")


# -- consistency -------------------------------------------------------------------------------------

def test_retrieved_matches_listed():
    listed = ticket("a", "2026-01-01T00:00:05.000Z", amount=5, metadata={"k": "v"})
    cc.retrieved_matches_listed(listed, exchange({**listed, "extra": 1}), None, ("created",))
    cc.retrieved_matches_listed(listed, exchange({**listed, "created": 1767225605}), None, ("created",))
    with pytest.raises(Violation, match=r"different \['amount'\]"):
        cc.retrieved_matches_listed(listed, exchange({**listed, "amount": 6}), None, ("created",))
    with pytest.raises(Violation, match=r"missing \['metadata'\]"):
        cc.retrieved_matches_listed(listed, exchange({k: v for k, v in listed.items() if k != "metadata"}), None)
    with pytest.raises(Violation):
        cc.retrieved_matches_listed({"id": "a", "flag": True}, exchange({"id": "a", "flag": 1}), None)
    with pytest.raises(Violation, match="failed"):
        cc.retrieved_matches_listed(listed, exchange({"error": {}}, status=404), None)


def test_unknown_id_refused():
    cc.unknown_id_refused(exchange({"error": {"type": "invalid_request_error", "param": "id"}}, status=404),
                          "id", ("created",))
    cc.unknown_id_refused(Exchange("GET", BASE, 404, b"Not Found"), "id", ("created",))
    with pytest.raises(Violation, match="not refused"):
        cc.unknown_id_refused(exchange(T[0]), "id", ("created",))
    with pytest.raises(Violation, match="carries ticket data"):
        cc.unknown_id_refused(exchange({"error": {"ticket": T[0]}}, status=404), "id", ("created",))
    with pytest.raises(Violation):
        cc.unknown_id_refused(exchange({"error": {}}, status=500), "id", ("created",))


def test_unknown_ids_are_well_formed_and_unseen():
    derived = cc.unknown_ids(["tkt_abZ9", "tkt_abZ0"])
    assert "tkt_abZ0" not in derived and all(d.startswith("tkt_ab") for d in derived)
    assert cc.unknown_ids(["123"]) == ["124", "134"]


def test_same_answer():
    one = exchange({"data": T[:2], "has_more": True})
    cc.same_answer(one, exchange({"data": T[:2], "has_more": True}), "data", "has_more")
    with pytest.raises(Violation, match="different answers"):
        cc.same_answer(one, exchange({"data": [T[1], T[0]], "has_more": True}), "data", "has_more")
    with pytest.raises(Violation):
        cc.same_answer(one, exchange({"data": T[:2], "has_more": False}), "data", "has_more")


# -- the navigation machine, against in-memory fetchers ---------------------------------------------------

def fake_fetch(ids, buggy_previous=False):
    """Cursor semantics over ``ids`` (newest first), answering like an API would."""

    def fetch(params):
        query = dict(params)
        limit = int(query.get("limit", 10))
        if "ending_before" in query:
            p = ids.index(query["ending_before"])
            data = ids[max(0, p - limit):p]
            if buggy_previous and not data:
                data = ids[:limit]
            more = p - limit > 0
        else:
            start = ids.index(query["starting_after"]) + 1 if "starting_after" in query else 0
            data, more = ids[start:start + limit], start + limit < len(ids)
        body = {"object": "list", "data": [{"id": i} for i in data], "has_more": more}
        return exchange(body, params=list(params))

    return fetch


def run_machine(fetch, ids):
    machine = cursor_navigation(fetch, PAGING, ids, "id", [(1, 3)])
    machine._hypothesis_internal_use_seed = 7  # type: ignore[attr-defined]
    run_state_machine_as_test(machine, settings=settings(
        max_examples=10, stateful_step_count=8, database=None, deadline=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False))


def test_machine_passes_a_correct_api():
    ids = [f"t{i:02d}" for i in range(12)]
    run_machine(fake_fetch(ids), ids)


def test_machine_catches_a_previous_page_bug():
    ids = [f"t{i:02d}" for i in range(12)]
    with pytest.raises(Violation, match="previous page"):
        run_machine(fake_fetch(ids, buggy_previous=True), ids)


def test_fake_fetch_reads_its_query():
    ids = ["a", "b", "c"]
    answer = fake_fetch(ids)((("limit", "1"), ("starting_after", "a")))
    assert dict(parse_qsl(urlsplit(answer.url).query)) == {"limit": "1", "starting_after": "a"}
    assert answer.json()["data"] == [{"id": "b"}]


# -- other correct choices pass (the docs are silent on each) --------------------------------------------

class _CreatedAsUnixSeconds(CopperStore):
    """Lists render created as unix seconds (with milliseconds); retrieve keeps the ISO string."""

    def _render_list(self, page, has_more):
        body = super()._render_list(page, has_more)
        for item, t in zip(body["data"], page):
            item["created"] = t.created_ms / 1000
        return body


class _TiesByAscendingId(CopperStore):
    """Breaks created ties by ascending id (consistently, on every page and cursor)."""

    def _sort_key(self, ticket):
        return (ticket.created_ms, tuple(-ord(c) for c in ticket.id))


class _ClampsLimitAndOtherStatuses(CopperStore):
    """Clamps limit above 100 to 100; unknown tickets are 400, both cursors 422."""

    def _limit_in_range(self, n):
        return n >= 1

    def _parse_limit(self, raw):
        return min(super()._parse_limit(raw), 100)

    def _missing(self, ticket_id):
        raise CopperError(400, {"type": "invalid_request_error", "message": "no such ticket"})

    def _exclusive_cursors(self, after_id, before_id):
        if after_id is not None and before_id is not None:
            raise CopperError(422, {"type": "invalid_request_error", "message": "one cursor only"})
        return after_id, before_id


class _ClampsLimitBelowOne(CopperStore):
    """Clamps limit=0 to 1 (the docs give 1..100 but not what happens past the bound)."""

    def _limit_in_range(self, n):
        return 0 <= n <= 100

    def _parse_limit(self, raw):
        return max(super()._parse_limit(raw), 1)


MY_CHECKS = [c.name for c in CATALOGUE.all()
             if c.run.__module__ in ("conformance.checks.cursor_pagination", "conformance.checks.consistency")
             and c.requires <= get_profile("copper").capabilities]


@pytest.mark.parametrize("store_cls", [_CreatedAsUnixSeconds, _TiesByAscendingId, _ClampsLimitAndOtherStatuses,
                                       _ClampsLimitBelowOne])
def test_other_correct_choices_pass(store_cls):
    report = run(RunRequest(vendor="copper", store=store_cls(), checks=MY_CHECKS))
    bad = [(c.name, c.status, c.message) for c in report.checks if c.status != "passed"]
    assert bad == []
    assert {c.name for c in report.checks} == set(MY_CHECKS)
