"""Created filters on an offset list (json-server's ``createdAt_gte``/``createdAt_lte``; profile
``paging.style: offset`` with ``created_filters``): each filtered query is walked by offset and judged by
the set it selects, not by an order the docs do not give; an operator off at its bound is caught.

The API is Opine's reference server taught the two range parameters (no reference server has them: no
vendor documents them on an offset list), with an edited Opine profile naming them."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from conformance.reference import http
from conformance.reference.opine.app import make_app
from conformance.reference.opine.errors import issue, validation_error
from conformance.reference.opine.store import OpineStore
from conformance.run.runner import RunRequest, run
from profile_variants import edited_profile

CREATED = {"created_gte_is_inclusive", "created_lte_is_inclusive", "created_range_combines_bounds",
           "created_offsets_name_the_same_instant", "created_accepts_utc_offsets", "created_precision_is_read_exactly",
           "created_date_only_matches_midnight", "created_unparsable_is_rejected"}
NEED_GT_OR_LT = {"created_gt_is_exclusive", "created_lt_is_exclusive", "created_display_agrees_with_filters"}
PARAMS = {"gte": "createdAt_gte", "lte": "createdAt_lte"}


class RangedOpine(OpineStore):
    """Opine whose list honours ``createdAt_gte``/``createdAt_lte`` (inclusive; the total counts the matches)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bounds = threading.local()  # this request's bounds, set by ``app`` before the store answers

    def _ordered_tickets(self):
        bounds = [(op, self._instant(name, raw)) for op, name, raw in getattr(self.bounds, "value", ())]
        return [t for t in super()._ordered_tickets() if all(self._matches(t.created_at, op, at) for op, at in bounds)]

    def _instant(self, name: str, raw: str) -> datetime:
        """An ISO 8601 instant (without an offset: UTC); anything else is refused with Opine's validation error."""
        try:
            instant = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise validation_error([issue([name], "invalid_string", "Invalid datetime")]) from None
        return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)

    def _matches(self, created: datetime, op: str, at: datetime) -> bool:
        return created >= at if op == "gte" else created <= at

    def app(self):
        inner = make_app(self)

        def app(environ, start_response):
            query = parse_qs(environ.get("QUERY_STRING", ""))
            self.bounds.value = [(op, name, query[name][0]) for op, name in PARAMS.items() if name in query]
            return inner(environ, start_response)

        return app


class GteExclusive(RangedOpine):
    """Bug: createdAt_gte leaves out the tickets created at the bound."""

    def _matches(self, created, op, at):
        return created > at if op == "gte" else super()._matches(created, op, at)


class LteExclusive(RangedOpine):
    """Bug: createdAt_lte leaves out the tickets created at the bound."""

    def _matches(self, created, op, at):
        return created < at if op == "lte" else super()._matches(created, op, at)


class ComparesStrings(RangedOpine):
    """Bug (json-server's): the bounds are compared with createdAt as strings, not as instants."""

    def _ordered_tickets(self):
        bounds = [(op, raw) for op, _, raw in getattr(self.bounds, "value", ())]
        return [t for t in OpineStore._ordered_tickets(self)
                if all(self._matches(self._render(t)["createdAt"], op, raw) for op, raw in bounds)]


def _profile(tmp_path: Path) -> Path:
    return edited_profile(tmp_path, "opine", lambda data: data.update(
        created_filters={"field": "createdAt", "params": dict(PARAMS)}))


def _run(tmp_path: Path, store: RangedOpine, checks: list[str] | None = None):
    server = http.start(store.app())
    try:
        return run(RunRequest(vendor="opine", profile=_profile(tmp_path), base_url=server.origin + "/v1",
                              api_key=store.api_key, checks=checks))
    finally:
        server.stop()


def test_created_bounds_on_an_offset_list_are_judged_by_the_set_they_select(tmp_path: Path) -> None:
    report = _run(tmp_path, RangedOpine())
    statuses = {r.name: (r.status, r.message, r.requests) for r in report.checks}
    for name in CREATED:
        status, message, _ = statuses[name]
        assert status == "passed", (name, message)
    assert statuses["created_gte_is_inclusive"][2] > 0 and statuses["created_lte_is_inclusive"][2] > 0
    for name in NEED_GT_OR_LT:
        assert statuses[name][0] == "skipped" and "not applicable" in statuses[name][1]
    assert report.exit_code == 0, [(r.name, r.message) for r in report.checks if r.status == "failed"]


@pytest.mark.parametrize("bug, check", [(GteExclusive, "created_gte_is_inclusive"),
                                        (LteExclusive, "created_lte_is_inclusive")])
def test_an_operator_off_at_its_bound_is_caught(tmp_path: Path, bug, check) -> None:
    report = _run(tmp_path, bug(), [check])
    result = next(r for r in report.checks if r.name == check)
    assert result.status == "failed" and "missing" in result.message, result.message
    assert result.reproduce and PARAMS[check.split("_")[1]] in result.reproduce[0]


@pytest.mark.parametrize("check", ["created_offsets_name_the_same_instant", "created_precision_is_read_exactly"])
def test_bounds_compared_as_strings_are_caught(tmp_path: Path, check) -> None:
    report = _run(tmp_path, ComparesStrings(), [check])
    result = next(r for r in report.checks if r.name == check)
    assert result.status == "failed" and "createdAt_" in result.message, result.message
