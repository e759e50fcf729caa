"""Red team: the Copper suite against an independent server (tests/selftest/alt_servers/copper_alt.py).

The server was written from the vendor material only (the Copper seed page, vendor-facts section 2
and its gaps, design sections 1 and 3), never from conformance/reference. Its correct configurations
choose differently wherever the docs are silent: the suite must pass them (exit 0, no MUST failure).
Each planted bug (alt_servers/copper_bugs.py) must be caught by a check it names.
History of the red-team rounds: alt_servers/HISTORY.md.
"""

from __future__ import annotations

import pytest

from alt_servers.copper_alt import AltConfig, TicketStore
from alt_servers.copper_bugs import ISO_OFFSET_STRIPEISH, UNIX_NESTED_STRICT, all_bugs
from alt_servers.harness import (Case, assert_bugs_well_formed, assert_caught, assert_passes, bug_params,
                                 pool_fixture)
from conformance.profiles import get_profile
from conformance.run.engine import select_checks

# Correct choices where the docs are silent; the whole suite runs against each.
CORRECT = {
    # unix seconds (1 s data, so same-second ties), nested errors, 422/400/403, limit>100 refused, one cursor
    # wins, unknown cursor -> empty, unknown location -> 404, ties by id descending, case-insensitive substring
    # search, offset-less and date-only bounds refused, extra fields with explicit nulls, charset in Content-Type
    "unix-nested-strict": UNIX_NESTED_STRICT,
    # ISO with +00:00, unknown cursor -> 404, insertion-order ties, prefix search, unix bounds accepted too,
    # bare uuid ids, raw UTF-8 JSON, unknown query parameters refused, some references null
    "iso-offset-stripeish": ISO_OFFSET_STRIPEISH,
    # datetime.isoformat() (no fraction on whole seconds, else 6 digits), search as a real DB filter (full
    # pages), ending_before wins over starting_after, JS-like sub-ms truncation of bounds, offset-less values in
    # the account's zone (UTC-5, date-only too), no `object` on tickets, HTTP/1.0, a small collection
    "python-iso-prefilter": AltConfig(
        created_format="iso_python", search_mode="prefilter", both_cursors="ending_before_wins",
        sub_ms_bounds="truncate", naive_created="local_minus5", object_field=False, http10=True,
        ticket_count=37, seed=13),
    # ISO in the account's zone (-05:00), rate limited (429 + Retry-After), substring search with a literal
    # empty query, unknown location -> 404, a larger collection with a 12-ticket same-ms tie
    "local-zone-throttled": AltConfig(
        created_format="iso_local", rate_limit_rps=150, search_match="substring", empty_search="literal",
        unknown_location="404", tie_order="id_desc", ticket_count=400, bulk_tie=12, extra_fields=True, seed=14),
    # unix seconds as a float with ms, nested errors + 422, tiny collection, extras with nulls
    "float-seconds-tiny": AltConfig(
        created_format="unix_float", error_envelope="nested", bad_param_status=422, wrong_key_status=403,
        tie_order="insertion", search_match="icase_substring", ticket_count=12, optional_fields="null",
        extra_fields=True, seed=15),
    # former false alarms: a Node-style date reading, an expanded location object, limit=0 clamped to 1,
    # a tie group larger than the maximum page (131 tickets)
    "js-date-parsing": AltConfig(naive_created="local_minus5", date_only_zone="utc"),
    "location-as-object": AltConfig(location_shape="object"),
    "limit-0-clamped-to-1": AltConfig(limit_below_min="clamp"),
    "tie-group-over-100": AltConfig(bulk_tie=130),
    # unknown location 400/422, retrieve richer than the list
    "unknown-location-422-detail": AltConfig(unknown_location="400", retrieve_detail=True, bad_param_status=422,
                                             seed=56),
}

# Planted bugs no named check catches today, each with the reason (none since issue 15: gt with gte, whole-second
# lte, the ticket's object and rounded unix seconds are caught now).
EXPECTED_MISSES: dict[str, str] = {}

BUGS = {bug.__name__: bug for bug in all_bugs()}

CASES = {
    **{f"correct-{name}": Case("copper", cfg, TicketStore) for name, cfg in CORRECT.items()},
    **{name: Case("copper", bug.config, bug, bug.catches) for name, bug in BUGS.items()},
}


outcomes = pool_fixture(CASES)


@pytest.mark.parametrize("case", [f"correct-{name}" for name in CORRECT])
def test_correct_server_passes(case, outcomes):
    assert_passes(outcomes.result(case))


@pytest.mark.parametrize("case", bug_params(BUGS, EXPECTED_MISSES))
def test_planted_bug_is_caught(case, outcomes):
    assert_caught(BUGS[case], outcomes.result(case))


def test_every_bug_is_run_and_names_real_checks():
    assert_bugs_well_formed(BUGS, EXPECTED_MISSES, {c.name for c in select_checks(get_profile("copper"))})
