"""The write checks (conformance.checks.updates): pure functions, strategies, and whole runs against
reference stores that make OTHER reasonable choices where the docs are silent (they must pass), a
store without deals (deal checks skip, the rest pass), and the promise that only the suite's own
tickets are ever written."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.oracles import updates as u
from conformance.oracles.instants import parse_instant
from conformance.run.engine import load_spec
from conformance.profiles import get_profile
from conformance.reference.opine import OpineStore
from conformance.reference.opine.errors import OpineError
from conformance.reference.opine.model import format_instant
from conformance.run.engine import WRITE_LANES
from conformance.run.runner import RunRequest, run
from conformance.strategies import updates as s
from conformance.checks import CATALOGUE

OPINE = get_profile("opine")
SPEC = load_spec(OPINE)
WRITE_CHECKS = [c.name for c in CATALOGUE.all()
                if c.run.__module__ in ("conformance.checks.updates", "conformance.checks.creates")]
DEAL_CHECKS = {"deal_links_follow_updates", "deal_amount_sum_is_consistent", "deal_links_change_only_as_named"}


def shape() -> u.Shape:
    kinds = s.field_kinds(OPINE, SPEC)
    return u.Shape(id_field="id", created_at="createdAt", updated_at="updatedAt", closed_at="closedAt",
                   state="state", kinds=kinds, linked_deals="linkedDeals", deal_sum="dealAmountSum",
                   instants=("createdAt", "updatedAt", "closedAt", "targetDueDate"),
                   derived=("vendorEntityId", "vendorEntityKey"))


# -- strategies ----------------------------------------------------------------------------------
def test_field_kinds_come_from_the_update_schema():
    assert s.field_kinds(OPINE, SPEC) == {
        "title": s.TEXT, "type": s.ENUM, "state": s.ENUM, "description": s.RICH_TEXT,
        "targetDueDate": s.DATE_TIME, "labels": s.NAMES, "vendorEntityUrl": s.URI}


def test_invalid_values_break_one_documented_rule_each():
    invalid = dict((n, v) for n, v in reversed(s.invalid_values(OPINE, s.field_kinds(OPINE, SPEC))))
    assert invalid["state"] == "NOT_A_STATE" and invalid["targetDueDate"] == "not-a-date"
    titles = [v for n, v in s.invalid_values(OPINE, s.field_kinds(OPINE, SPEC)) if n == "title"]
    assert [len(t) for t in titles] == [0, 257] and titles[1].startswith(OPINE.writes.marker)


@settings(max_examples=60, database=None)
@given(s.offset_date_time_text())
def test_offset_dates_have_a_non_utc_offset_and_millisecond_precision(text):
    assert text[-6] in "+-" and text[-6:] != "+00:00"
    assert parse_instant(text) % 1_000_000 == 0


@settings(max_examples=60, database=None)
@given(s.update_bodies(OPINE, s.field_kinds(OPINE, SPEC)))
def test_update_bodies_are_valid_for_the_reference_store(body):
    store = OpineStore(seed=0, tickets=0)
    created = store.create_ticket({"title": "[conformance] t", "type": "BUG", "state": "OPEN"})
    updated = store.update_ticket(str(created["id"]), copy.deepcopy(body))
    assert updated["title"].startswith(OPINE.writes.marker)


@settings(max_examples=30, database=None)
@given(st.sampled_from(list(s.field_kinds(OPINE, SPEC))).flatmap(
    lambda n: s.distinct_values(OPINE, s.field_kinds(OPINE, SPEC), n).map(lambda vs: (n, vs))))
def test_distinct_values_differ_as_the_api_compares_them(drawn):
    name, (a, b) = drawn
    assert not u.value_matches(s.field_kinds(OPINE, SPEC)[name], a, b)


# -- pure functions ------------------------------------------------------------------------------
def test_cleared_accepts_null_absent_and_empty_lists_of_names():
    assert u.is_cleared({}, "targetDueDate", s.DATE_TIME)
    assert u.is_cleared({"targetDueDate": None}, "targetDueDate", s.DATE_TIME)
    assert u.is_cleared({"labels": []}, "labels", s.NAMES)
    assert u.is_cleared({"description": ""}, "description", s.RICH_TEXT)
    assert not u.is_cleared({"vendorEntityUrl": ""}, "vendorEntityUrl", s.URI)
    assert not u.is_cleared({"labels": ["x"]}, "labels", s.NAMES)


def test_values_match_as_instants_sets_and_rich_text():
    assert u.value_matches(s.DATE_TIME, "2028-01-01T12:00:00.000+02:00", "2028-01-01T10:00:00.000Z")
    assert not u.value_matches(s.DATE_TIME, "2028-01-01T12:00:00.000+02:00", "2028-01-01T12:00:00.000Z")
    assert not u.value_matches(s.DATE_TIME, "2028-01-01T12:00:00.000Z", None)
    assert u.value_matches(s.NAMES, ["b", "a"], ["a", "b"])
    assert not u.value_matches(s.NAMES, ["a", "A"], ["a"])
    assert u.value_matches(s.NAMES, ["a", "b"], [{"id": 2, "name": "b"}, {"id": 1, "name": "a"}])
    assert not u.value_matches(s.NAMES, ["a"], [{"id": 1}])
    slate = [{"type": "paragraph", "children": [{"text": "Hello wörld"}, {"text": "now", "bold": True}]}]
    assert u.value_matches(s.RICH_TEXT, slate, copy.deepcopy(slate))
    assert u.value_matches(s.RICH_TEXT, slate, "Hello wörld **now**")
    assert not u.value_matches(s.RICH_TEXT, slate, "an older description")
    assert u.value_matches(s.RICH_TEXT, "a **b**", "a **b**")
    assert not u.value_matches(s.RICH_TEXT, "a **b**", "a b c")
    assert u.value_matches(s.RICH_TEXT, "a **b**\n\nc", "a **b**\nc\n")
    assert not u.value_matches(s.RICH_TEXT, "a **b**", "a b")


def test_comparable_treats_null_as_absent_and_reads_instants():
    sh = shape()
    a = {"id": 1, "updatedAt": "2026-01-01T10:00:00.000Z", "labels": ["b", "a"], "closedAt": None,
         "linkedDeals": [{"id": 2}, {"id": 1}], "dealAmountSum": 10}
    b = {"id": 1, "updatedAt": "2026-01-01T11:00:00+01:00", "labels": ["a", "b"],
         "linkedDeals": [{"id": 1}, {"id": 2}], "dealAmountSum": 10.0}
    assert u.differences(a, b, sh) == {}
    assert set(u.differences(a, {**b, "labels": ["a"]}, sh)) == {"labels"}


def test_side_effects_allowed_by_the_change():
    sh = shape()
    before = {"state": "OPEN"}
    assert u.allowed_side_effects(before, {"state": "CLOSED"}, sh) == {"updatedAt", "state", "closedAt"}
    assert u.allowed_side_effects(before, {"state": "OPEN"}, sh) == {"updatedAt", "state"}
    assert {"vendorEntityKey"} <= u.allowed_side_effects(before, {"vendorEntityUrl": "https://x.example/1"}, sh)
    assert "vendorEntityKey" not in u.allowed_side_effects(before, {"title": "t"}, sh)


def test_undocumented_extra_fields_may_change_on_an_update():
    sh = u.Shape(**{**shape().__dict__, "documented": ("id", "title", "updatedAt")})
    u.others_kept({"id": 1, "title": "a", "version": 1}, {"id": 1, "title": "b", "version": 2}, {"title": "b"},
                  sh, "x", [])
    # Nor on a read: an undocumented field may be computed at read time (e.g. fetchedAt).
    u.unchanged({"id": 1, "fetchedAt": "2026-01-01T00:00:00.000Z"}, {"id": 1, "fetchedAt": "2026-01-01T00:00:01.000Z"},
                sh, "x", [])
    u.listed_like_response({"id": 1, "title": "a", "fetchedAt": "1"}, {"id": 1, "title": "a", "fetchedAt": "2"},
                           sh, "x", [])
    with pytest.raises(u.Violation):
        u.unchanged({"id": 1, "title": "a", "version": 1}, {"id": 1, "title": "b", "version": 1}, sh, "x", [])


def test_a_field_an_endpoint_never_returns_is_not_observable_there():
    sh = u.Shape(**{**shape().__dict__, "unobservable": ("labels",)})
    # labels returned by the write, never by the list: not "changed"
    u.listed_like_response({"id": 1, "title": "a"}, {"id": 1, "title": "a", "labels": ["x"]}, sh, "x", [])
    u.others_kept({"id": 1, "title": "a", "labels": ["x"]}, {"id": 1, "title": "b"}, {"title": "b"}, sh, "x", [])
    # present on both sides: compared ([] is a cleared list, not a missing key)
    with pytest.raises(u.Violation):
        u.others_kept({"id": 1, "title": "a", "labels": ["x"]}, {"id": 1, "title": "b", "labels": []},
                      {"title": "b"}, sh, "x", [])
    # other fields: absent still means null
    with pytest.raises(u.Violation):
        u.unchanged({"id": 1, "description": "d"}, {"id": 1}, sh, "x", [])


def test_deal_sums_tolerate_float_noise_and_null_without_links():
    sh = shape()
    assert u.deal_sum({"dealAmountSum": None, "linkedDeals": []}, sh, "x", []) == 0
    u.amounts_equal(Decimal("20499.99"), u.amount(20499.989999999998), "close enough", [])
    with pytest.raises(u.Violation):
        u.amounts_equal(Decimal("1"), Decimal("1.01"), "a cent off", [])
    with pytest.raises(u.Violation):
        u.unlinked_sums_are_zero([{"id": 1, "linkedDeals": [], "dealAmountSum": 5}], sh, [])
    with pytest.raises(u.Violation):
        u.single_deal_sums_agree([{"id": 1, "linkedDeals": [{"id": 7}], "dealAmountSum": 5},
                                  {"id": 2, "linkedDeals": [{"id": 7}], "dealAmountSum": 6}], sh, [])


# -- whole runs: other reasonable choices must pass ---------------------------------------------
class SparseOpine(OpineStore):
    """Omits null fields, never returns labels, dealAmountSum null without deals, newest first,
    validation errors as 422."""

    def _render(self, t):
        body = super()._render(t)
        body.pop("labels")
        if not t.deal_links:
            body["dealAmountSum"] = None
        return {k: v for k, v in body.items() if v is not None}

    def _ordered_tickets(self):
        return list(reversed(super()._ordered_tickets()))

    def update_ticket(self, raw_id, body):
        try:
            return super().update_ticket(raw_id, body)
        except OpineError as exc:
            if exc.status == 400:
                raise OpineError(422, exc.body) from None
            raise


class ConvertingOpine(OpineStore):
    """Slate comes back as markdown, instants in +01:00, labels sorted (null when cleared), a cleared
    description as "", linked deals newest first, sums as binary floats, a tracker key derived
    from vendorEntityUrl, and an undocumented revision counter that every write moves."""

    def _touch(self, ticket):
        super()._touch(ticket)
        self.revisions = getattr(self, "revisions", {})
        self.revisions[ticket.id] = self.revisions.get(ticket.id, 0) + 1

    def _render(self, t):
        from datetime import timedelta, timezone

        body = super()._render(t)
        if isinstance(body["description"], list):
            body["description"] = " ".join(u.slate_text(n) for n in body["description"])
        if body["description"] is None:
            body["description"] = ""
        for key in ("createdAt", "updatedAt", "closedAt", "targetDueDate"):
            if body[key] is not None:
                moment = {"createdAt": t.created_at, "updatedAt": t.updated_at, "closedAt": t.closed_at,
                          "targetDueDate": t.target_due_date}[key]
                local = moment.astimezone(timezone(timedelta(hours=1)))
                body[key] = local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}+01:00"
        body["labels"] = sorted(body["labels"]) or None
        body["linkedDeals"] = list(reversed(body["linkedDeals"]))
        body["dealAmountSum"] = float(sum(self._deals[d].amount_cents / 100 for d in t.deal_links))
        body["revision"] = getattr(self, "revisions", {}).get(t.id, 0)
        return body

    def _apply_update(self, ticket, changes):
        super()._apply_update(ticket, changes)
        if changes.get("vendorEntityUrl"):
            ticket.vendor_entity_key = changes["vendorEntityUrl"].rsplit("/", 1)[-1]


def _findings(report):
    return [(c.name, c.status, c.message) for c in report.checks if c.status != "passed"]


@pytest.mark.parametrize("store_cls", [SparseOpine, ConvertingOpine])
def test_other_reasonable_choices_pass_every_write_check(store_cls):
    report = run(RunRequest(vendor="opine", store=store_cls(), checks=WRITE_CHECKS))
    assert _findings(report) == []


def test_format_instant_helper_is_millisecond_utc():  # guards the ConvertingOpine rendering above
    from datetime import datetime, timezone

    assert format_instant(datetime(2026, 1, 1, tzinfo=timezone.utc)) == "2026-01-01T00:00:00.000Z"


def test_without_deals_the_deal_checks_skip_and_the_rest_pass():
    report = run(RunRequest(vendor="opine", store=OpineStore(seed=3, tickets=5), checks=WRITE_CHECKS))
    for result in report.checks:
        if result.name in DEAL_CHECKS and result.status == "skipped":
            assert "deal" in result.message
        else:
            assert result.status == "passed", (result.name, result.message)


def test_only_the_suites_own_tickets_are_written_and_deal_links_are_cleaned_up():
    store = OpineStore(seed=0)
    before = {t.id: store._render(t) for t in store._tickets.values()}
    report = run(RunRequest(vendor="opine", store=store, checks=WRITE_CHECKS))
    assert _findings(report) == []
    marker = OPINE.writes.marker
    for ticket in store._tickets.values():
        rendered = store._render(ticket)
        if ticket.id in before:
            assert rendered == before[ticket.id], f"the suite wrote to ticket {ticket.id} it did not create"
        else:
            assert rendered["title"].startswith(marker)
            assert rendered["linkedDeals"] == [], f"deal links left behind on {ticket.id}"
    created = len(store._tickets) - len(before)
    # Own tickets for updates (one per write lane, two in the lane of the check writing to two), one
    # for created_ticket_is_listed, one with every field set.
    assert 1 <= created <= WRITE_LANES + 3, f"the write checks created {created} tickets"
    # Later runs reuse the own tickets (dealt to the lanes in list order): once every lane has what it
    # needs, only the checks that judge a create create again.
    for _ in range(2):
        count = len(store._tickets)
        again = run(RunRequest(vendor="opine", store=store, checks=WRITE_CHECKS))
        assert _findings(again) == []
    assert len(store._tickets) - count <= 2, "own tickets were not reused"


@pytest.mark.parametrize("seed", [2, 3])
def test_clean_store_passes_with_other_seeds(seed):
    report = run(RunRequest(vendor="opine", seed=seed, checks=WRITE_CHECKS))
    assert _findings(report) == []
