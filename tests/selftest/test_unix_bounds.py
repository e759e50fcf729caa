"""An API that writes ``created`` as unix seconds and takes created bounds the same way (Stripe's
``created[gt]=1733000000``; profile ``timestamp_formats: [unix-s]``): the created-filter checks send
unix bounds and judge them at exact boundaries, the ISO-only spellings do not apply, and an
operator off by one second is caught."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import pytest

from conformance.checks.registry import select_checks
from conformance.profiles import load_profile
from conformance.reference.copper import seed as copper_seed
from conformance.reference.copper.store import CopperStore
from conformance.run.runner import RunRequest, run
from profile_variants import edited_profile

ISO_ONLY = {"created_offsets_name_the_same_instant", "created_accepts_utc_offsets", "created_precision_is_read_exactly",
            "created_date_only_matches_midnight", "created_display_agrees_with_filters"}
UNIX = {"created_gt_is_exclusive", "created_gte_is_inclusive", "created_lt_is_exclusive", "created_lte_is_inclusive",
        "created_range_combines_bounds", "created_unparsable_is_rejected"}


class UnixSecondsCopper(CopperStore):
    """Copper storing whole seconds, writing ``created`` as unix seconds and reading bounds as such."""

    def __init__(self, **kwargs) -> None:
        tickets = [dataclasses.replace(t, created_ms=t.created_ms - t.created_ms % 1000)
                   for t in copper_seed.generate(0, None).tickets]
        super().__init__(tickets=tickets, **kwargs)

    def _render(self, ticket):
        body = super()._render(ticket)
        body["created"] = ticket.created_ms // 1000
        return body

    def _parse_created(self, raw, param):
        if not raw.isdigit():
            return self._invalid_created(raw, param)
        return Fraction(int(raw) * 1000)


class UnixGteExclusive(UnixSecondsCopper):
    """Bug: created[gte] leaves out the tickets of the bound's own second."""

    def _matches_created(self, ticket, op, instant):
        return ticket.created_ms > instant if op == "gte" else super()._matches_created(ticket, op, instant)


class UnixLtOneSecondLate(UnixSecondsCopper):
    """Bug: created[lt] reads its bound one second late (the tickets of that second come back)."""

    def _parse_created(self, raw, param):
        instant = super()._parse_created(raw, param)
        return instant + 1000 if param == "created[lt]" and instant is not None else instant


def _profile(tmp_path: Path) -> Path:
    return edited_profile(tmp_path, "copper", lambda data: data.update(timestamp_formats=["unix-s"]))


def test_unix_bounds_are_judged_and_iso_spellings_do_not_apply(tmp_path: Path) -> None:
    path = _profile(tmp_path)
    report = run(RunRequest(vendor="copper", profile=path, store=UnixSecondsCopper()))
    needing_iso = {c.name for c in select_checks(load_profile(path)) if "timestamp_formats.iso" in c.needs}
    assert needing_iso == ISO_ONLY
    statuses = {r.name: (r.status, r.message) for r in report.checks}
    for name in ISO_ONLY:
        assert statuses[name] == ("skipped", "not applicable: the profile sets no timestamp_formats.iso")
    for name, (status, message) in statuses.items():
        if name not in ISO_ONLY:
            assert status == "passed", (name, message)
    assert all(statuses[name][0] == "passed" for name in UNIX)


@pytest.mark.parametrize("bug, check", [(UnixGteExclusive, "created_gte_is_inclusive"),
                                        (UnixLtOneSecondLate, "created_lt_is_exclusive")])
def test_a_unix_operator_off_by_its_bound_is_caught(tmp_path: Path, bug: type, check: str) -> None:
    report = run(RunRequest(vendor="copper", profile=_profile(tmp_path), store=bug(), checks=[check]))
    (result,) = report.checks
    assert result.status == "failed", result.message
    assert "created%5B" in " ".join(result.reproduce) or "created[" in " ".join(result.reproduce)
