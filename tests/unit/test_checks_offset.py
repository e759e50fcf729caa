"""Offset pagination, enum, title-bound and closedAt checks: pure functions, strategies, and runs against
reference stores that make *other* reasonable choices (which must pass) or grow a small collection."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.oracles import enums as en
from conformance.oracles import offset_pagination as op
from conformance.run.engine import Session, select_checks
from conformance.model.exchange import Exchange
from conformance.profiles import get_profile
from conformance.reference.mutants.opine_pagination import OpineOrderDependsOnLimit, OpinePagesCappedAt50
from conformance.reference.opine import OpineStore
from conformance.reference.opine.errors import fail
from conformance.run.runner import RunRequest, open_target, run
from conformance.strategies.pages import limit_offset_pairs, non_divisors, walk_plans
from conformance.observe.context import RunOptions
from conformance.checks.enums import _title
from conformance.observe.walks import Page, Walk
from conformance.model.violations import Violation

OPINE = get_profile("opine")
PAGINATION = [c.name for c in select_checks(OPINE) if c.family == "pagination" and "offset-pagination" in c.requires]
ENUM = [c.name for c in select_checks(OPINE) if c.family == "enum"]


def _exchange(status: int, body, method: str = "GET", url: str = "http://x/v1/tickets") -> Exchange:
    return Exchange(method=method, url=url, status=status, body=json.dumps(body).encode())


def _page(ids, limit=None, offset=0, total=None) -> Page:
    body = {"items": [{"id": i} for i in ids], "limit": limit, "offset": offset, "totalCount": total}
    return Page(params=(("limit", str(limit)), ("offset", str(offset))), exchange=_exchange(200, body), body=body,
                items=tuple(body["items"]))


def _walk(pages, limit, stop="end") -> Walk:
    return Walk(limit=limit, pages=list(pages), stop=stop)


# -- pure functions ---------------------------------------------------------------------------------


def test_values_at_resolves_nested_lists_and_skips_absent_keys():
    ticket = {"type": "BUG", "linkedDeals": [{"priority": "BLOCKER"}, {"priority": None}, {}], "state": None}
    assert en.values_at(ticket, "type") == ["BUG"]
    assert en.values_at(ticket, "state") == [None]
    assert en.values_at(ticket, "linkedDeals[].priority") == ["BLOCKER", None]
    assert en.values_at(ticket, "missing") == []
    assert en.values_at({"linkedDeals": None}, "linkedDeals[].priority") == []


def test_returned_enums_must_match_exactly():
    good = _walk([_page([1])], 1000)
    good.pages[0].items[0].update(type="BUG")
    en.returned_enums_are_documented(good, {"type": ("BUG",)}, "id")
    bad = _walk([_page([1, 2])], 1000)
    bad.pages[0].items[1].update(type="Bug")
    with pytest.raises(Violation, match="ticket 2 has type = 'Bug'"):
        en.returned_enums_are_documented(bad, {"type": ("BUG",)}, "id")


def test_walk_matching_reports_missing_tickets_and_order():
    oracle = _walk([_page([1, 2, 3, 4, 5], 1000, 0, 5)], 1000)
    op.walk_matches_oracle(_walk([_page([1, 2], 2), _page([3, 4], 2, 2), _page([5], 2, 4)], 2), 0, oracle, "id")
    with pytest.raises(Violation, match="1 missing"):
        op.walk_matches_oracle(_walk([_page([1, 2], 2), _page([4, 5], 2, 2), _page([], 2, 4)], 2), 0, oracle, "id")
    with pytest.raises(Violation, match="another order"):
        op.walk_matches_oracle(_walk([_page([2, 1], 2), _page([3, 4], 2, 2), _page([5], 2, 4)], 2), 0, oracle, "id")
    # a window walk (not to the end) is compared with the same slice of the oracle
    op.walk_matches_oracle(_walk([_page([2, 3], 2, 1)], 2, stop="window"), 1, oracle, "id")
    with pytest.raises(Violation, match="another order"):
        op.walk_matches_oracle(_walk([_page([3, 2], 2, 1)], 2, stop="window"), 1, oracle, "id")


def test_no_ticket_twice_and_total_coverage():
    with pytest.raises(Violation, match="ticket 2 twice"):
        op.no_ticket_twice(_walk([_page([1, 2], 2), _page([2, 3], 2, 2)], 2), "id")
    op.walk_covers_the_total(_walk([_page([1, 2, 3], 1000, 0, 3)], 1000), "totalCount", "id")
    with pytest.raises(Violation, match="visited 2 distinct tickets, but totalCount announced 3"):
        op.walk_covers_the_total(_walk([_page([1, 2], 1000, 0, 3)], 1000), "totalCount", "id")


@pytest.mark.parametrize(("status", "body", "ok"), [
    (400, {"error": "Validation error."}, True),
    (422, {}, True),
    (200, {"items": [{"id": 1}] * 1000, "limit": 1000}, True),  # clamped and echoed as applied
    (200, {"items": [{"id": 1}] * 130, "limit": 1000}, True),
    (200, {"items": [{"id": 1}] * 1001, "limit": 1000}, False),  # more than the maximum
    (200, {"items": [{"id": 1}] * 130, "limit": 5000}, True),  # clamped, echoes the limit asked
    (200, {"items": [{"id": 1}] * 130, "limit": 2000}, False),  # neither asked nor applicable
    (200, {"items": [{"id": 1}] * 130, "limit": 100}, False),  # fewer than the items it returned
    (200, {"items": [{"id": 1}] * 130}, False),  # no applied limit echoed
    (500, {}, False),
])
def test_limit_above_max_rejected_or_clamped(status, body, ok):
    exchange = _exchange(status, body)
    if ok:
        op.over_max_is_rejected_or_capped(exchange, "items", "limit", 5000, 1000)
    else:
        with pytest.raises(Violation):
            op.over_max_is_rejected_or_capped(exchange, "items", "limit", 5000, 1000)


@pytest.mark.parametrize(("status", "body", "ok"), [
    (400, {"error": "x"}, True),
    (200, {"items": [{"id": 1}], "limit": 1}, True),  # clamped to 1
    (200, {"items": [], "limit": 0}, False),
    (200, {"items": [{"id": 1}, {"id": 2}], "limit": 100}, False),  # the default instead
    (200, {"items": [{"id": 1}], "limit": 0}, True),  # clamped, echoes the limit asked
    (200, {"items": [{"id": 2}], "limit": 1}, False),  # one item, not the limit=1 page
    (200, {"items": [{"id": 1}], "limit": 7}, False),  # neither asked nor applied
    (500, {}, False),
])
def test_limit_below_one_rejected_or_clamped(status, body, ok):
    one = _page([1], 1, 0, 10)
    if ok:
        op.below_min_is_rejected_or_clamped(_exchange(status, body), one, "items", "limit", "id", 0)
    else:
        with pytest.raises(Violation):
            op.below_min_is_rejected_or_clamped(_exchange(status, body), one, "items", "limit", "id", 0)


@pytest.mark.parametrize(("status", "body", "ok"), [
    (200, {"items": [], "limit": 1000}, True),
    (200, {"items": [], "limit": 5000}, False),
    (400, {"error": "x"}, True),
])
def test_clamped_limit_is_echoed_as_applied(status, body, ok):
    if ok:
        op.clamped_limit_is_echoed_as_applied(_exchange(status, body), "limit", 5000, 1000)
    else:
        with pytest.raises(Violation):
            op.clamped_limit_is_echoed_as_applied(_exchange(status, body), "limit", 5000, 1000)


@pytest.mark.parametrize(("status", "body", "ok"), [
    (200, {"items": [], "totalCount": 10}, True),
    (400, {"error": "x"}, True), (422, {}, True),  # offset has no documented maximum: refusing is a choice
    (200, {"items": [{"id": 1}], "totalCount": 10}, False),
    (200, {"items": [], "totalCount": 0}, False),
    (500, {}, False),
])
def test_past_the_end_is_empty_or_refused(status, body, ok):
    if ok:
        op.past_the_end_is_empty(_exchange(status, body), "items", "totalCount", 60, 10)
    else:
        with pytest.raises(Violation):
            op.past_the_end_is_empty(_exchange(status, body), "items", "totalCount", 60, 10)


@pytest.mark.parametrize(("status", "ids", "ok"), [
    (400, None, True), (422, None, True),
    (200, [1, 2, 3], True),  # clamped to offset 0
    (200, [8, 9, 10], False),  # read from the end
    (200, [], False), (500, None, False),
])
def test_negative_offset_rejected_or_clamped(status, ids, ok):
    first = _page([1, 2, 3], 3, 0, 10)
    exchange = _exchange(status, {"items": [{"id": i} for i in ids]} if ids is not None else {"error": "x"})
    if ok:
        op.negative_offset_is_rejected_or_clamped(exchange, first, "items", "id", -1)
    else:
        with pytest.raises(Violation):
            op.negative_offset_is_rejected_or_clamped(exchange, first, "items", "id", -1)


def test_other_case_enum_findings():
    en.other_case_is_refused(_exchange(400, {}), "type", "bug", ("BUG",))
    with pytest.raises(Violation, match="normalised to 'BUG'"):
        en.other_case_is_refused(_exchange(201, {"type": "BUG"}, "POST"), "type", "bug", ("BUG",))
    with pytest.raises(Violation, match="stored as 'bug', which is not a documented value"):
        en.other_case_is_refused(_exchange(201, {"type": "bug"}, "POST"), "type", "bug", ("BUG",))


def test_closed_at_pure_checks():
    ticket = {"createdAt": "2026-01-05T09:00:00.000Z", "closedAt": "2026-01-05T09:00:01Z"}
    en.closed_at_is_set(ticket, "closedAt", "createdAt", "CLOSED", _exchange(200, ticket))
    with pytest.raises(Violation, match="before its createdAt"):
        en.closed_at_is_set({**ticket, "closedAt": "2025-01-01T00:00:00Z"}, "closedAt", "createdAt", "CLOSED",
                            _exchange(200, ticket))
    with pytest.raises(Violation, match="not an instant"):
        en.closed_at_is_set({**ticket, "closedAt": "yesterday"}, "closedAt", "createdAt", "CLOSED",
                            _exchange(200, ticket))
    en.closed_at_is_cleared({"state": "OPEN"}, "closedAt", "OPEN", _exchange(200, {}))  # absent is fine
    en.closed_at_is_cleared({"closedAt": None}, "closedAt", "OPEN", _exchange(200, {}))


@pytest.mark.parametrize("length", [0, 1, 2, 13, 14, 15, 40, 256, 257])
def test_titles_have_the_exact_ascii_length_and_the_marker_where_it_fits(length):
    title = _title(OPINE, length, "title at the bound")
    assert len(title) == length and title.isascii()
    marker = OPINE.writes.marker
    assert title.startswith(marker) == (length > len(marker) + 1)


# -- strategies -------------------------------------------------------------------------------------


def test_non_divisors():
    assert non_divisors(130, 6, 14) == [6, 7, 8, 9, 11, 12, 14]
    assert non_divisors(0, 2, 4) == [2, 3, 4]


@settings(max_examples=60, database=None)
@given(st.integers(0, 200_000), st.data())
def test_walk_plans_stay_within_the_page_budget(total, data):
    plan = data.draw(walk_plans(total, 1000))
    assert 2 <= plan.limit <= 50
    if total <= 25 * 50:  # the whole collection, within 25 pages (+1 for a possible empty last page)
        assert plan.start == 0 and -(-total // plan.limit) <= plan.pages == 26
    else:  # a window of 8 pages from a drawn offset
        assert plan.pages == 8 and 0 <= plan.start < total


@settings(max_examples=60, database=None)
@given(st.integers(0, 5000), st.data())
def test_limit_offset_pairs_are_within_bounds(total, data):
    limit, offset = data.draw(limit_offset_pairs(total, 100, 1000))
    assert 1 <= limit <= 1000 and 0 <= offset <= total + limit


# -- runs against reference stores that choose differently (all must pass) --------------------------


class NewestFirst(OpineStore):
    """Lists by id descending (the docs give no order)."""

    def _ordered_tickets(self):
        return sorted(self._tickets.values(), key=lambda t: -t.id)


class NegativeOffsetClamped(OpineStore):
    """Treats a negative offset as 0 (the docs give no minimum)."""

    def _parse_offset(self, raw):
        return 0 if raw is None else max(0, self._parse_integer(raw, ["offset"]))


class LimitBelowOneClamped(OpineStore):
    """Clamps a limit below 1 to 1 (the docs give the bound, not what happens past it)."""

    def _parse_limit(self, raw):
        return self.default_limit if raw is None else self._cap_limit(max(1, self._parse_integer(raw, ["limit"])))


class LimitOverMaxRejected(OpineStore):
    """Rejects a limit above 1000 with a 400 instead of clamping it."""

    def _cap_limit(self, limit):
        if limit > self.max_limit:
            raise fail(["limit"], "too_big", "Number must be less than or equal to 1000")
        return limit


class OmitsNulls(OpineStore):
    """Leaves optional fields out instead of rendering them as null."""

    def _render(self, t):
        return {k: v for k, v in super()._render(t).items() if v is not None}


class EchoesClampedOffsetPastTheEnd(OpineStore):
    """Echoes an offset past the end as the collection size (the offset it applied)."""

    def _envelope(self, items, limit, offset, total):
        return super()._envelope(items, limit, min(offset, total), total)


@pytest.mark.parametrize("store", [NewestFirst, NegativeOffsetClamped, LimitBelowOneClamped, LimitOverMaxRejected,
                                   OmitsNulls, EchoesClampedOffsetPastTheEnd])
def test_other_reasonable_choices_pass(store):
    report = run(RunRequest(vendor="opine", store=store(), checks=PAGINATION + ENUM))
    bad = [(c.name, c.status, c.message) for c in report.checks if c.status != "passed"]
    assert bad == []
    assert len(report.checks) == len(PAGINATION + ENUM)


def test_large_collection_walks_windows_and_still_catches_an_unstable_order():
    checks = ["offset_walk_is_complete_and_stable", "total_count_is_the_collection_size"]
    report = run(RunRequest(vendor="opine", store=OpineStore(tickets=3000), checks=checks))
    assert [c.status for c in report.checks] == ["passed", "passed"]
    assert report.requests < 120
    report = run(RunRequest(vendor="opine", store=OpineOrderDependsOnLimit(tickets=3000), checks=checks[:1]))
    assert report.checks[0].status == "failed"


# -- a small collection is grown (idempotently) so that silent caps show -----------------------------


def test_small_collection_is_grown_once_and_caps_become_visible():
    store = OpineStore(tickets=20)
    report = run(RunRequest(vendor="opine", store=store, checks=["offset_page_size_is_exact"]))
    assert report.checks[0].status == "passed"
    assert len(store._tickets) == 121
    marked = [t for t in store._tickets.values() if t.title.startswith(OPINE.writes.marker)]
    assert len(marked) == 101
    run(RunRequest(vendor="opine", store=store, checks=["offset_page_size_is_exact"]))
    assert len(store._tickets) == 121  # the second run reuses what the first created

    capped = OpinePagesCappedAt50(tickets=20)
    report = run(RunRequest(vendor="opine", store=capped, checks=["offset_page_size_is_exact"]))
    assert report.checks[0].status == "failed"


def test_without_writes_a_small_collection_is_checked_as_it_is():
    store = OpineStore(tickets=20)
    request = RunRequest(vendor="opine", store=store)
    with open_target(OPINE, request) as target:
        session = Session(OPINE, target, RunOptions(allow_writes=False))
        session.preflight()
        results = [session.run_check(c) for c in select_checks(OPINE, PAGINATION + ENUM)]
    assert len(store._tickets) == 20
    by_status = {r.name: r.status for r in results}
    assert all(by_status[name] == "passed" for name in PAGINATION + ["returned_enums_are_documented"])
    assert all(by_status[name] == "skipped" for name in ENUM if name != "returned_enums_are_documented")


def test_default_offset_is_0():
    first = _page([1, 2, 3], 3, 0, 10)
    op.default_offset_is_0(_page([1, 2, 3], 3, 0, 10), first, "offset", "id")
    with pytest.raises(Violation, match="does not return the offset=0 page"):
        op.default_offset_is_0(_page([2, 3, 4], 3, 0, 10), first, "offset", "id")
    with pytest.raises(Violation, match="does not echo the default offset 0"):
        op.default_offset_is_0(_page([1, 2, 3], 3, 1, 10), first, "offset", "id")
