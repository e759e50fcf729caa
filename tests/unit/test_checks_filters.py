"""Unit tests of the filter oracles and bound strategies on hand-made data (no server)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.oracles import filters as F
from conformance.oracles.instants import NS_PER_MS, parse_instant
from conformance.model.exchange import Exchange
from conformance.strategies import bounds as B
from conformance.observe.walks import Page, Walk
from conformance.model.violations import Violation

MS = NS_PER_MS


def ticket(tid: str, created, location: str = "loc_a", reference: str = "r") -> dict:
    return {"id": tid, "created": created, "location": location, "reference": reference}


def page(items, has_more: bool = False, url: str = "http://api/next/tickets") -> Page:
    body = {"object": "list", "data": list(items), "has_more": has_more}
    exchange = Exchange("GET", url, 200, json.dumps(body).encode())
    return Page(params=(), exchange=exchange, body=body, items=tuple(items))


def walk_of(*pages_items, stop: str = "end") -> Walk:
    pages = [page(items, has_more=i < len(pages_items) - 1) for i, items in enumerate(pages_items)]
    return Walk(limit=2, pages=pages, stop=stop)


# Newest first: a tie at .500 (b, c), a ticket 1 ms older (d), a whole second (e).
ITEMS = [
    ticket("a", "2026-03-14T09:26:53.589Z", "loc_a", "Table 12"),
    ticket("b", "2026-03-13T10:13:40.500Z", "loc_b", "Straße 5"),
    ticket("c", "2026-03-13T10:13:40.500Z", "loc_a", "Café-Ŝ-17"),
    ticket("d", "2026-03-13T10:13:40.499Z", "loc_b", "注文-0042"),
    ticket("e", "2026-03-13T00:00:00.000Z", "loc_a", "注文-00421"),
]
TL = F.Timeline.from_items(ITEMS, "id", "created")
TIE = parse_instant("2026-03-13T10:13:40.500Z")


def by_id(*ids):
    return [next(i for i in ITEMS if i["id"] == x) for x in ids]


# -- the oracle ---------------------------------------------------------------------------------


def test_timeline_reads_instants_and_ties():
    assert TL.ids == ("a", "b", "c", "d", "e")
    assert TL.fuzz_ns == 0
    assert TL.tie_groups() == [(TIE, ("b", "c"))]
    assert TL.instants()[0] == parse_instant("2026-03-14T09:26:53.589Z")


def test_timeline_of_unix_seconds_is_fuzzy():
    tl = F.Timeline.from_items([ticket("a", 1700000001), ticket("b", 1700000000)], "id", "created")
    assert tl.fuzz_ns == 10**9
    # A bound on b's written second may fall on either side of its hidden fraction.
    expected = F.expected_subset(tl, [("gte", 1700000000 * 10**9)])
    assert expected.must == ("a",) and expected.may == {"b"}
    assert F.expected_subset(tl, [("gt", 1699999990 * 10**9)]).must == ("a", "b")


def test_fraction_digits_decide_fuzz():
    assert F.Timeline.from_items([ticket("a", "2026-03-14T09:26:53Z")], "id", "created").fuzz_ns == 10**9
    assert F.Timeline.from_items([ticket("a", "2026-03-14T09:26:53.5Z"), ticket("b", "2026-03-14T09:26:52.123Z")],
                                 "id", "created").fuzz_ns == 0
    assert F.Timeline.from_items([ticket("a", 1700000000.25)], "id", "created").fuzz_ns == 10**7


@pytest.mark.parametrize(("op", "expected"), [
    ("gt", ("a",)), ("gte", ("a", "b", "c")), ("lt", ("d", "e")), ("lte", ("b", "c", "d", "e"))])
def test_expected_subset_at_a_tie(op, expected):
    assert F.expected_subset(TL, [(op, TIE)]).must == expected


def test_expected_subset_of_a_range_and_an_empty_range():
    assert F.expected_subset(TL, [("gte", TIE - MS), ("lt", TIE)]).must == ("d",)
    assert F.expected_subset(TL, [("gt", TIE - MS), ("lt", TIE)]).must == ()


# -- comparing a walk with the oracle -------------------------------------------------------------


def test_exact_walk_passes_even_with_ties_permuted():
    expected = F.expected_subset(TL, [("gte", TIE)])
    F.selects_exactly(walk_of(by_id("a", "c"), by_id("b")), TL, expected, "q", "id")


def test_lost_tie_member_is_missing():
    expected = F.expected_subset(TL, [("gte", TIE)])
    with pytest.raises(Violation, match="1 matching ticket"):
        F.selects_exactly(walk_of(by_id("a", "b")), TL, expected, "q", "id")


def test_extra_ticket_is_reported_with_its_page():
    expected = F.expected_subset(TL, [("gt", TIE)])
    with pytest.raises(Violation, match="the filter excludes") as info:
        F.selects_exactly(walk_of(by_id("a"), by_id("b")), TL, expected, "q", "id")
    assert len(info.value.exchanges) == 1


def test_duplicates_unknown_and_order_are_reported():
    expected = F.expected_subset(TL, [("lte", TIE)])
    with pytest.raises(Violation, match="twice"):
        F.selects_exactly(walk_of(by_id("b", "c"), by_id("c", "d", "e")), TL, expected, "q", "id")
    with pytest.raises(Violation, match="does not have"):
        F.selects_exactly(walk_of([ticket("zz", "2026-01-01T00:00:00.000Z")]), TL, expected, "q", "id")
    with pytest.raises(Violation, match="newest first"):
        F.selects_exactly(walk_of(by_id("d", "b", "c", "e")), TL, expected, "q", "id")


def test_truncated_walk_requires_only_newer_tickets():
    expected = F.expected_subset(TL, [("lte", TIE)])
    F.selects_exactly(walk_of(by_id("b", "c")), TL, expected, "q", "id", complete=False)
    with pytest.raises(Violation):
        F.selects_exactly(walk_of(by_id("b", "d")), TL, expected, "q", "id", complete=False)


def test_fuzzy_members_may_come_or_not():
    tl = F.Timeline.from_items([ticket("a", 1700000001), ticket("b", 1700000000)], "id", "created")
    expected = F.expected_subset(tl, [("gte", 1700000000 * 10**9)])
    items = {i["id"]: i for i in [ticket("a", 1700000001), ticket("b", 1700000000)]}
    F.selects_exactly(walk_of([items["a"]]), tl, expected, "q", "id")
    F.selects_exactly(walk_of([items["a"], items["b"]]), tl, expected, "q", "id")
    with pytest.raises(Violation):
        F.selects_exactly(walk_of([items["b"]]), tl, expected, "q", "id")


def test_selects_one_of_accepts_a_rounded_reading():
    exact = F.expected_subset(TL, [("gte", TIE + MS // 2)])  # .5005: excludes the tie
    rounded_down = F.expected_subset(TL, [("gte", TIE)])
    F.selects_one_of(walk_of(by_id("a", "b", "c")), TL, [exact, rounded_down], "q", "id")
    with pytest.raises(Violation, match="rounded"):
        F.selects_one_of(walk_of(by_id("a", "b")), TL, [exact, rounded_down], "q", "id")


def test_walk_ended():
    assert F.walk_ended(walk_of(by_id("a")), "q")
    assert not F.walk_ended(walk_of(by_id("a"), stop="stopped after 3 pages"), "q", "stopped after 3 pages")
    with pytest.raises(Violation, match="did not end"):
        F.walk_ended(walk_of(by_id("a"), stop="cursor 'a' came back twice: the walk loops"), "q")


def test_same_selection_compares_sets():
    F.same_selection(walk_of(by_id("b", "c")), walk_of(by_id("c", "b")), "q", "id")
    with pytest.raises(Violation, match="different tickets"):
        F.same_selection(walk_of(by_id("b", "c")), walk_of(by_id("b")), "q", "id")


def test_empty_or_rejected_and_rejected():
    ok = Exchange("GET", "u", 200, b'{"data": [], "has_more": false}')
    F.empty_or_rejected(ok, "data", "q")
    F.empty_or_rejected(Exchange("GET", "u", 404, b"{}"), "data", "q")
    with pytest.raises(Violation):
        F.empty_or_rejected(Exchange("GET", "u", 200, b'{"data": [{"id": "a"}]}'), "data", "q")
    with pytest.raises(Violation):
        F.empty_or_rejected(Exchange("GET", "u", 500, b"{}"), "data", "q")
    F.rejected(Exchange("GET", "u", 422, b"{}"), "q")
    for status in (200, 500):
        with pytest.raises(Violation):
            F.rejected(Exchange("GET", "u", status, b"{}"), "q")


# -- search -----------------------------------------------------------------------------------------


def test_loose_matching_readings():
    assert F.loosely_matches("strasse", "Straße 5")  # casefold
    assert F.loosely_matches("STRAßE", "straße 5")  # lower
    assert F.loosely_matches("cafe-s", "Café-Ŝ-17")  # accents
    assert F.loosely_matches("café-ŝ", "cafÉ-ŝ-17")
    assert F.loosely_matches("注文-0042", "注文-00421")
    assert not F.loosely_matches("注文-00421", "注文-0042")
    assert not F.loosely_matches("x", None)


REFS = {i["id"]: i["reference"] for i in ITEMS}
ORDER = list(TL.ids)


def windows(*pages_items, has_more=None):
    """Windows of 2 unfiltered items each, pages holding the given items."""
    out, start = [], 0
    for index, items in enumerate(pages_items):
        more = index < len(pages_items) - 1 if has_more is None else has_more[index]
        cursor = ORDER[start - 1] if start else None
        out.append(F.Window(cursor, start, min(start + 2, len(ORDER)), page(items, more)))
        start += 2
    return out


def test_search_results_must_match_and_exist():
    F.search_results_match("注文-0042", windows([], by_id("d"), by_id("e")), REFS, "id", "q")
    with pytest.raises(Violation, match="does not contain"):
        F.search_results_match("注文-0042", windows(by_id("a")), REFS, "id", "q")
    with pytest.raises(Violation, match="does not have"):
        F.search_results_match("r", windows([ticket("zz", "2026-01-01T00:00:00Z")]), REFS, "id", "q")


def test_search_walk_with_empty_early_pages_passes():
    F.search_walk_finds_every_match("注文-0042", windows([], by_id("d"), by_id("e")), ORDER, REFS, "id",
                                    "has_more", "q")


def test_search_walk_missing_match_and_false_has_more():
    with pytest.raises(Violation, match="on no page"):
        F.search_walk_finds_every_match("注文-0042", windows([], [], by_id("e")), ORDER, REFS, "id", "has_more", "q")
    with pytest.raises(Violation, match="has_more"):
        F.search_walk_finds_every_match("注文-0042", windows([], by_id("d"), [], has_more=[False, True, False]),
                                        ORDER, REFS, "id", "has_more", "q")


def test_search_walk_order_and_cursor():
    with pytest.raises(Violation, match="before its cursor"):
        F.search_walk_finds_every_match("Table 12", windows([], by_id("a")), ORDER, REFS, "id", "has_more", "q")
    with pytest.raises(Violation, match="out of list order"):
        F.search_walk_finds_every_match("r", windows(by_id("b", "a")), ORDER, REFS, "id", "has_more", "q")


def test_search_without_matches():
    F.search_without_matches_is_empty("zz", windows([], [], []), "has_more", True, "q")
    with pytest.raises(Violation, match="not empty"):
        F.search_without_matches_is_empty("zz", windows([], by_id("c")), "has_more", True, "q")
    with pytest.raises(Violation, match="never ends"):
        F.search_without_matches_is_empty("zz", windows([], [], has_more=[True, True]), "has_more", True, "q")
    assert not any(F.loosely_matches(F.no_match_query(REFS.values()), r) for r in REFS.values())
    assert F.no_match_query(["zq-conformance-no-such-reference"]) != "zq-conformance-no-such-reference"


# -- bounds -----------------------------------------------------------------------------------------


def test_spell_is_exact_and_canonical():
    assert B.spell(TIE) == "2026-03-13T10:13:40.500Z"
    assert B.spell(TIE + 1_000) == "2026-03-13T10:13:40.500001Z"
    assert B.spell(TIE + 1) == "2026-03-13T10:13:40.500000001Z"
    assert B.spell(TIE, offset_minutes=-300) == "2026-03-13T05:13:40.500-05:00"
    assert B.spell(TIE, 0) == "2026-03-13T10:13:40Z"
    midnight = parse_instant("2026-03-13T00:00:00Z")
    assert B.spell(midnight, offset_minutes=-300) == "2026-03-12T19:00:00.000-05:00"
    for offset in B.OFFSETS:
        assert parse_instant(B.spell(TIE + MS // 2, 4, offset)) == TIE + MS // 2


def test_cheap_instants_stay_within_budget():
    # 1 ms outward counts: the tie's bound at .499 also selects d, so 4 tickets.
    assert B.cheap_instants(TL, "lower", 3) == TL.instants()[:1]
    assert B.cheap_instants(TL, "lower", 4) == TL.instants()[:3]
    assert B.cheap_instants(TL, "upper", 2) == TL.instants()[-1:]
    assert B.cheap_instants(TL, "upper", 4) == TL.instants()[-3:]
    assert B.cost(TL, "lower", TIE) == 3 and B.cost(TL, "upper", TIE) == 4


def test_key_instants_take_ties_neighbours_and_whole_seconds():
    lower = B.key_instants(TL, "lower", 10, 2)
    assert lower[0] == TL.instants()[0] and TIE in lower
    upper = B.key_instants(TL, "upper", 10, 2)
    assert upper[0] == TL.instants()[-1]  # the oldest (a whole second) first
    assert TIE - MS in upper or TIE in upper
    assert set(B.key_bounds(TL, "gt", 10, 2)) >= {TIE - MS, TIE, TIE + MS}


def test_key_and_inverted_ranges():
    ranges = B.key_ranges(TL, 10)
    assert ("gte", TIE, "lte", TIE) in ranges
    assert ("gt", TIE - MS, "lt", TIE) in ranges  # d and the tie are 1 ms apart
    for lop, lns, uop, uns in B.inverted_ranges(TL):
        assert F.expected_subset(TL, [(lop, lns), (uop, uns)]).must == ()


def test_dates_prefer_a_ticket_at_midnight():
    assert B.dates(TL, "lower", 10)[0] == "2026-03-13"
    assert B.dates(TL, "lower", 1) == []


@settings(max_examples=30, database=None)
@given(st.data())
def test_drawn_bounds_are_cheap(data):
    for op in F.OPS:
        ns = data.draw(B.bound_instants(TL, op, 3))
        assert B.cost(TL, B.side_of(op), ns - MS if op in F.LOWER else ns + MS) <= 4
        assert ns % MS == 0
    lop, lns, uop, uns = data.draw(B.ranges(TL, 2))
    assert lop in F.LOWER and uop in F.UPPER
    assert TL.count([(lop, lns), (uop, uns)]) <= 2 + 2  # the span, plus a neighbour 1 ms beyond each end


# -- runs against Copper stores that choose differently where the docs are silent (all must pass) -----

from fractions import Fraction  # noqa: E402

from conformance.reference.copper import CopperStore  # noqa: E402
from conformance.run.runner import RunRequest, run  # noqa: E402

CREATED = ["created_gt_is_exclusive", "created_gte_is_inclusive", "created_lt_is_exclusive",
           "created_lte_is_inclusive", "created_range_combines_bounds", "created_offsets_name_the_same_instant",
           "created_precision_is_read_exactly", "created_date_only_matches_midnight",
           "created_unparsable_is_rejected", "filters_apply_on_every_page"]
SEARCH = ["search_results_match_the_query", "search_walk_finds_every_match", "search_without_matches_is_empty"]


class UnixSeconds(CopperStore):
    """Writes created as unix seconds (an integer), hiding the milliseconds it filters on."""

    def _render(self, ticket):
        return {**super()._render(ticket), "created": ticket.created_ms // 1000}


class IsoWithOffsetTrimmed(CopperStore):
    """Writes created with +00:00 and without trailing zeros in the fraction."""

    def _render(self, ticket):
        text = super()._render(ticket)["created"][:-1]
        whole, _, frac = text.partition(".")
        frac = frac.rstrip("0")
        return {**super()._render(ticket), "created": f"{whole}{'.' + frac if frac else ''}+00:00"}


class OffsetlessIsEastern(CopperStore):
    """Reads date-times without an offset, and date-only values, at UTC-05:00."""

    def _offset_ms(self, parsed):
        return -300 * 60_000 if parsed.offset_minutes is None else super()._offset_ms(parsed)


class DateOnlyRejected(CopperStore):
    """Refuses date-only bounds (400)."""

    def _to_instant(self, parsed):
        if parsed.date_only:
            raise ValueError("a time of day is required")
        return super()._to_instant(parsed)


class SubMillisecondFloored(CopperStore):
    """Stores bounds at millisecond precision, rounding down."""

    def _to_instant(self, parsed):
        return Fraction(int(super()._to_instant(parsed) // 1))


class SubMillisecondRoundedHalfUp(CopperStore):
    """Stores bounds at millisecond precision, rounding to the nearest (halves up)."""

    def _to_instant(self, parsed):
        return Fraction(int((super()._to_instant(parsed) + Fraction(1, 2)) // 1))


class LongFractionRejected(CopperStore):
    """Refuses more than 3 fraction digits (400)."""

    def _parse_created(self, raw, param):
        import re

        if re.search(r"\.\d{4,}", raw):
            return self._invalid_created(raw, param)
        return super()._parse_created(raw, param)


class InvertedRangeRejected(CopperStore):
    """Refuses a range that cannot match (lower bound after the upper one) with 400."""

    def _filtered(self, ordered, params):
        bounds = dict(params.created)
        low = bounds.get("gte", bounds.get("gt"))
        high = bounds.get("lte", bounds.get("lt"))
        if low is not None and high is not None and (low > high or low == high and ("gt" in bounds or "lt" in bounds)):
            raise self._invalid("created", "parameter_invalid_range", "empty range")
        return super()._filtered(ordered, params)


class UnknownLocationRejected(CopperStore):
    """Refuses a location id it does not know (404)."""

    def _filtered(self, ordered, params):
        if params.location is not None and params.location not in self.locations:
            from conformance.reference.copper.store import CopperError

            raise CopperError(404, {"error": {"type": "invalid_request_error", "code": "resource_missing"}})
        return super()._filtered(ordered, params)


class OtherTieOrder(CopperStore):
    """Breaks ties in created by the reversed id (another consistent order)."""

    def _sort_key(self, ticket):
        return (ticket.created_ms, ticket.id[::-1])


class SearchExactCaseSensitive(CopperStore):
    """search_query matches a reference only when equal to it."""

    def _matches_search(self, ticket, query):
        return ticket.reference == query


class SearchLowerSubstring(CopperStore):
    """search_query is a substring match after str.lower() (so 'STRASSE' does not find 'Straße')."""

    def _matches_search(self, ticket, query):
        return query.lower() in ticket.reference.lower()


class SearchBeforePaging(CopperStore):
    """Filters by search_query in the database query, so pages are full and has_more counts matches."""

    def _filtered(self, ordered, params):
        kept = super()._filtered(ordered, params)
        query = params.search_query
        return kept if query is None else [t for t in kept if self._matches_search(t, query)]

    def _post_filter(self, page, params):
        return page


@pytest.mark.parametrize(("store", "checks"), [
    (UnixSeconds, CREATED), (IsoWithOffsetTrimmed, CREATED), (OtherTieOrder, CREATED + SEARCH),
    (OffsetlessIsEastern, ["created_date_only_matches_midnight", "created_offsets_name_the_same_instant"]),
    (DateOnlyRejected, ["created_date_only_matches_midnight"]),
    (SubMillisecondFloored, ["created_precision_is_read_exactly", "created_gt_is_exclusive"]),
    (SubMillisecondRoundedHalfUp, ["created_precision_is_read_exactly", "created_lte_is_inclusive"]),
    (LongFractionRejected, ["created_precision_is_read_exactly", "created_gte_is_inclusive"]),
    (InvertedRangeRejected, ["created_range_combines_bounds"]),
    (UnknownLocationRejected, ["location_filter_selects_exactly_that_location"]),
    (SearchExactCaseSensitive, SEARCH), (SearchLowerSubstring, SEARCH), (SearchBeforePaging, SEARCH),
], ids=lambda v: v.__name__ if isinstance(v, type) else "")
def test_other_reasonable_choices_pass(store, checks):
    report = run(RunRequest(vendor="copper", store=store(), checks=checks))
    bad = [(c.name, c.status, c.message) for c in report.checks if c.status != "passed"]
    assert bad == []
    assert len(report.checks) == len(checks)


# -- stored instants, combinations, refinement (issue 15) ------------------------------------------

UNIX = [ticket("u1", 1710000002), ticket("u2", 1710000001), ticket("u3", 1710000000)]
UTL = F.Timeline.from_items(UNIX, "id", "created")
SECOND = 1_000_000_000


def test_window_holds_exactly_the_tickets_shown_in_it():
    low = 1710000001 * SECOND
    F.window_holds_what_it_shows(walk_of([UNIX[1]]), UTL, low, low + SECOND, "1 s", "w", "id")
    with pytest.raises(Violation, match="shown inside the window but not returned"):
        F.window_holds_what_it_shows(walk_of([]), UTL, low, low + SECOND, "1 s", "w", "id")
    with pytest.raises(Violation, match="shown outside the window yet returned"):
        F.window_holds_what_it_shows(walk_of([UNIX[1], UNIX[2]]), UTL, low, low + SECOND, "1 s", "w", "id")


def test_gt_and_lte_split_a_recovered_instant():
    F.operators_split_at("u1", "t", True, False, [])
    F.operators_split_at("u1", "t", False, True, [])
    with pytest.raises(Violation, match="both of"):
        F.operators_split_at("u1", "t", True, True, [])
    with pytest.raises(Violation, match="neither of"):
        F.operators_split_at("u1", "t", False, False, [])


def _window(cursor, start, end, items):
    return F.Window(cursor, start, end, page(items))


def test_refinement_narrows_only_where_matching_is_loose():
    refs = {"a": "Table 12", "b": "TABLE 12", "c": "Tab"}
    items = {k: ticket(k, 1, reference=v) for k, v in refs.items()}
    order = ["a", "b", "c"]
    narrower = [_window(None, 0, 3, [items["a"], items["b"]])]
    # The prefix selects more than equal references, and everything the longer query selects.
    assert F.refinement_narrows("Table 12", narrower, "Tab", [_window(None, 0, 3, list(items.values()))], order,
                                refs, 10, "id", "w")
    with pytest.raises(Violation, match="not for its prefix"):
        F.refinement_narrows("Table 12", narrower, "Tab", [_window(None, 0, 3, [items["a"], items["c"]])], order,
                             refs, 10, "id", "w")
    # Only equal references: exact matching, the relation is not judged.
    assert not F.refinement_narrows("Table 12", narrower, "Tab", [_window(None, 0, 3, [items["c"]])], order,
                                    refs, 10, "id", "w")


def test_search_back_window():
    refs = {"a": "x", "b": "y", "c": "x"}
    items = {k: ticket(k, 1, reference=v) for k, v in refs.items()}
    order = ["a", "b", "c"]
    F.search_back_window("x", _window("c", 0, 2, [items["a"]]), order, refs, 2, "id", "w")
    with pytest.raises(Violation, match="missing"):
        F.search_back_window("x", _window("c", 0, 2, []), order, refs, 2, "id", "w")
    with pytest.raises(Violation, match="at or after its cursor"):
        F.search_back_window("x", _window("c", 0, 2, [items["a"], items["c"]]), order, refs, 2, "id", "w")
    with pytest.raises(Violation, match="does not"):
        F.search_back_window("x", _window("c", 0, 2, [items["a"], items["b"]]), order, refs, 2, "id", "w")


def test_ticket_object_names_one_kind():
    from conformance.oracles import cursor_pagination as cp

    cp.items_name_one_kind(walk_of([{"id": "a", "object": "ticket"}, {"id": "b"}]), "object", "list")
    with pytest.raises(Violation, match="list envelope"):
        cp.items_name_one_kind(walk_of([{"id": "a", "object": "list"}]), "object", "list")
    with pytest.raises(Violation, match="different"):
        cp.items_name_one_kind(walk_of([{"id": "a", "object": "ticket"}, {"id": "b", "object": "tkt"}]), "object",
                               "list")
