"""Red team: the suite against an independent Opine server (tests/selftest/alt_servers/opine_alt.py).

The server was written from the vendor material only, never from conformance/reference/. Its correct
configurations choose differently wherever the docs are silent: the suite must pass them (exit 0, no
MUST failure). Each planted bug (alt_servers/opine_bugs.py) must be caught by a check it names.
History of the red-team rounds: alt_servers/HISTORY.md.
"""

from __future__ import annotations

import pytest

from alt_servers.harness import (Case, assert_bugs_well_formed, assert_caught, assert_passes, bug_params,
                                 failed, pool_fixture)
from alt_servers.opine_alt import OpineAltConfig, Store
from alt_servers.opine_bugs import all_bugs
from conformance.profiles import get_profile
from conformance.run.engine import select_checks

# Correct choices where the docs are silent; the whole suite runs against each.
CORRECT = {
    # close to the examples: ids ascending, 400 + documented envelope, nulls, Slate kept as sent
    "examples": OpineAltConfig(),
    # newest first, strict limits, 422, 403, unset fields absent, labels never returned,
    # 400 for an unknown id, API tickets without creator, charset (its former error_shape="other"
    # contradicts the documented validation error body: now the bug ValidationBodyOtherShape)
    "strict_absent": OpineAltConfig(
        order="newest_first", limit_over_max="reject", validation_status=422, auth_status=403,
        optional_style="absent", labels_in_response=False, unknown_id_status=400,
        created_by_user=None, charset=True),
    # sorted by title, lenient limits/offsets, Slate rendered as markdown, dates without .000,
    # dealAmountSum null and decimal amounts, extra fields, unknown body keys refused,
    # closedAt not maintained and enums accepted in any case (both SHOULD findings only),
    # a no-op PUT leaves updatedAt alone
    "lenient_markdown": OpineAltConfig(
        order="title", limit_zero="clamp", negative_offset="clamp", slate_as="markdown",
        date_style="compact_z", deal_sum_empty=None, deal_amounts="decimal", extra_fields=True,
        unknown_keys="reject", closed_at_lifecycle=False, bump_on_noop=False, enum_case="normalize"),
    # most recently updated first, wall clock with microseconds, markdown stored as Slate, labels
    # sorted, unknown deal 404, body validated before the id lookup, occasional 429, plain-text
    # 401/403 bodies, UTF-16 title length, strict query/body rules, a version field
    "real_clock_strict": OpineAltConfig(
        order="updated_desc", clock="real", date_style="micro", description_canonical="slate_parsed",
        labels_order="sorted", unknown_deal_status=404, validate_before_lookup=True,
        rate_limit_every=150, error_body="text", title_units="utf16", strict_query=True,
        delete_requires_priority=True, strict_create_nulls=True, extra_version=True,
        deals_on_create="reject", label_max_len=100, reject_control_chars=True, accept_date_only=True),
    # an empty organisation, +00:00 offsets in responses
    "empty_org": OpineAltConfig(tickets=0, date_style="offset", order="newest_first"),
    # a few tickets, every seeded createdAt equal, no deal linked anywhere
    "tiny_ties": OpineAltConfig(tickets=5, created_ties="all", order="newest_first", seed_deals=False,
                                error_body="empty"),
    # ids descending, "" description stored as null, an empty PUT refused, linkedDeals sorted by
    # deal id, titles trimmed
    "round2_choices": OpineAltConfig(order="id_desc", empty_description="null", empty_put="reject",
                                     deals_order="id", title_trim=True),
}

# The two lenient choices of lenient_markdown are still reported, at SHOULD level.
SHOULD_FINDINGS = {"lenient_markdown": {"closed_at_follows_state", "closed_at_is_set_on_create",
                                        "lowercase_enum_values_are_rejected"}}

# Correct choices that were false alarms once: run with the checks that used to fail them.
FORMER_FALSE_ALARMS = {
    "limit_echo_requested": (OpineAltConfig(limit_echo="requested", limit_zero="clamp", negative_offset="clamp"),
                             ("offset_limit_below_1_is_rejected", "offset_limit_above_max_is_capped")),
    "offset_past_end_rejected": (OpineAltConfig(offset_past_end="reject"),
                                 ("offset_past_the_end_is_empty", "total_count_is_the_collection_size",
                                  "offset_page_size_is_exact")),
    "labels_as_objects": (OpineAltConfig(labels_style="objects"),
                          ("list_responses_match_spec", "create_responses_match_spec")),
    "labels_only_in_write_responses": (OpineAltConfig(labels_where="writes"),
                                       ("created_ticket_is_listed", "absent_fields_are_kept")),
    "volatile_extra_field": (OpineAltConfig(extra_volatile=True),
                             ("created_ticket_is_listed", "failed_update_changes_nothing")),
}

PARALLEL = ("real_clock_strict", "lenient_markdown")

# Planted bugs no check catches today, each with the reason (none at present).
EXPECTED_MISSES: dict[str, str] = {}

BUGS = {bug.__name__: bug for bug in all_bugs()}

CASES = {
    **{f"correct-{name}": Case("opine", cfg, Store) for name, cfg in CORRECT.items()},
    **{f"correct-{name}": Case("opine", cfg, Store, checks) for name, (cfg, checks) in FORMER_FALSE_ALARMS.items()},
    **{name: Case("opine", bug.config, bug, bug.catches) for name, bug in BUGS.items()},
    # Side by side (read checks in parallel, write checks in lanes) on servers ordering by update time
    # and by title, where other lanes' writes move tickets around: the serial verdicts.
    **{f"parallel-{name}": Case("opine", CORRECT[name], Store, workers=8) for name in PARALLEL},
}


outcomes = pool_fixture(CASES)


@pytest.mark.parametrize("case", [f"correct-{name}" for name in [*CORRECT, *FORMER_FALSE_ALARMS]])
def test_correct_configuration_passes(case, outcomes):
    result = outcomes.result(case)
    assert_passes(result)
    should = SHOULD_FINDINGS.get(case.removeprefix("correct-"), set())
    assert {c["name"] for c in failed(result, "SHOULD")} == should


@pytest.mark.parametrize("case", [f"parallel-{name}" for name in PARALLEL])
def test_a_parallel_run_reaches_the_serial_verdicts(case, outcomes):
    serial, parallel = outcomes.result(case.replace("parallel-", "correct-")), outcomes.result(case)
    assert_passes(parallel)
    verdicts = [{c["name"]: c["status"] for c in r["checks"]} for r in (serial, parallel)]
    assert verdicts[1] == verdicts[0]


@pytest.mark.parametrize("case", bug_params(BUGS, EXPECTED_MISSES))
def test_planted_bug_is_caught(case, outcomes):
    assert_caught(BUGS[case], outcomes.result(case))


def test_every_bug_is_run_and_names_real_checks():
    assert_bugs_well_formed(BUGS, EXPECTED_MISSES, {c.name for c in select_checks(get_profile("opine"))})
