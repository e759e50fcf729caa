"""The catalogue of checks: name, family, level, what it proves, which capabilities it needs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Literal

from conformance.model.errors import ConfigError
from conformance.profiles import PROFILES
from conformance.profiles.base import CAPABILITIES, OPTIONS, Profile, missing_options

if TYPE_CHECKING:
    from conformance.observe.context import RunContext

FAMILIES = ("pagination", "enum", "nullable-update", "created-filter", "schema", "auth", "consistency")
Level = Literal["MUST", "SHOULD"]

# Observations several checks derive their oracle from (each has an owner; the suite's own tickets
# are not one: write checks read each ticket back themselves and judge that read directly). The check that owns one (``owns=``) proves it
# sound; a check that relies on one (``relies_on=``) is reported "blocked by" the owner when both fail.
OBSERVATIONS = {
    "full-walk": "the unfiltered walk of the whole collection at the largest page size",
    "filtered-walk": "a walk of the collection under created[...], location or search filters",
}

# Which check proves each observation sound (several may: any one failing breaks it).
OWNERS: dict[str, tuple[str, ...]] = {
    "walk_reaches_every_ticket": ("full-walk",),  # Copper: the cursor walk ends and reaches every ticket
    "pages_do_not_overlap": ("full-walk",),  # Copper: ... and repeats none
    "offset_walk_is_complete_and_stable": ("full-walk",),  # Opine: the offset walk
    "filters_apply_on_every_page": ("filtered-walk",),
}

# Checks whose oracle (the expected side) is computed from an observation; declared conservatively:
# a check that merely uses a walk to pick ids to ask about is not listed.
_FULL, _FILTERED = ("full-walk",), ("full-walk",)  # filtered walks: owned by filters_apply_on_every_page,
# but a created[...] bug also breaks its filtered pages, so the created checks do not rely on it
RELIES_ON: dict[str, tuple[str, ...]] = {
    # Copper cursor pagination: positions, counts and order come from the unfiltered walk. Where the
    # narrower bug of has_more_is_truthful, limit_is_honoured or cursor_after_a_tie_keeps_its_siblings
    # is what broke the walk, walk_reaches_every_ticket says so (Violation.explained_by) and that
    # check, not the walk, is the root cause.
    "has_more_is_truthful": _FULL, "limit_is_honoured": _FULL, "cursor_after_a_tie_keeps_its_siblings": _FULL,
    "tie_order_is_consistent": _FULL, "default_limit_is_10": _FULL,
    "ending_before_returns_the_preceding_page": _FULL, "ending_before_has_more_is_truthful": _FULL,
    "cursor_navigation_matches_model": _FULL, "filters_apply_on_every_page": _FULL,
    # Filters: the expected set is the unfiltered walk's tickets that match; the actual one a filtered walk.
    "created_gt_is_exclusive": _FILTERED, "created_gte_is_inclusive": _FILTERED,
    "created_lt_is_exclusive": _FILTERED, "created_lte_is_inclusive": _FILTERED,
    "created_range_combines_bounds": _FILTERED, "created_offsets_name_the_same_instant": _FILTERED,
    "created_accepts_utc_offsets": _FILTERED, "created_precision_is_read_exactly": _FILTERED,
    "created_date_only_matches_midnight": _FILTERED, "location_filter_selects_exactly_that_location": _FILTERED,
    "search_walk_finds_every_match": _FILTERED,
    # Opine offset pagination: the collection size comes from the offset walk.
    "total_count_is_the_collection_size": _FULL, "offset_page_size_is_exact": _FULL,
    "offset_past_the_end_is_empty": _FULL,
}

# Profile options (profiles.base.OPTIONS) a check needs beyond its capabilities: a profile that leaves one
# unset (no ending_before, no documented maximum, no key) gets the check "not applicable", never a crash.
NEEDS: dict[str, tuple[str, ...]] = {
    # error answers judged against the documented error shape: only where the profile documents one
    "invalid_parameters_are_refused_or_ignored": ("errors",), "error_answers_are_documented": ("errors",),
    "missing_key_is_refused": ("auth.key",), "wrong_key_is_refused": ("auth.key",),
    "unauthenticated_writes_are_refused": ("auth.key",),
    # Checks that write a cursor from a listed ticket's id (paging.id_cursor): an API handing out opaque
    # cursors (profile next_cursor) would read those as unknown cursors.
    "same_query_same_answer": ("paging.before", "paging.id_cursor"),
    "created_gt_is_exclusive": ("created_filters.gt",), "created_gte_is_inclusive": ("created_filters.gte",),
    "created_lt_is_exclusive": ("created_filters.lt",), "created_lte_is_inclusive": ("created_filters.lte",),
    # A range needs a lower and an upper operator; the spellings of one instant and unparsable bounds are
    # tried with whichever operators the profile names (json-server has gte and lte only).
    "created_range_combines_bounds": ("created_filters.range",), "created_unparsable_is_rejected": ("created_filters",),
    # Spellings of one instant in ISO 8601 (offsets, fraction digits, date-only) and bisection at 1 ms: an
    # API taking unix numbers as bounds (timestamp_formats without iso) has none of them.
    "created_offsets_name_the_same_instant": ("created_filters", "timestamp_formats.iso"),
    "created_accepts_utc_offsets": ("created_filters", "timestamp_formats.iso"),
    "created_precision_is_read_exactly": ("created_filters", "timestamp_formats.iso"),
    "created_date_only_matches_midnight": ("created_filters", "timestamp_formats.iso"),
    "created_display_agrees_with_filters": ("created_filters.gt", "created_filters.gte", "created_filters.lt",
                                            "created_filters.lte", "timestamp_formats.iso"),
    "list_is_newest_first": ("paging.newest_first",),
    "has_more_is_truthful": ("paging.id_cursor",), "limit_is_honoured": ("paging.max_limit",),
    "default_limit_is_10": ("paging.default_limit", "paging.id_cursor"),
    "limit_above_max_is_capped": ("paging.max_limit",),
    "ending_before_returns_the_preceding_page": ("paging.before", "paging.id_cursor"),
    "ending_before_has_more_is_truthful": ("paging.before", "paging.id_cursor"),
    "both_cursors_are_refused": ("paging.before", "paging.id_cursor"),
    "unknown_cursor_is_refused": ("paging.id_cursor",),
    "cursor_after_a_tie_keeps_its_siblings": ("paging.before", "paging.id_cursor"),
    "cursor_navigation_matches_model": ("paging.before", "paging.id_cursor"),
    "filters_apply_on_every_page": ("paging.before", "paging.id_cursor"),
    "search_results_match_the_query": ("paging.before", "paging.id_cursor"),
    "search_walk_finds_every_match": ("paging.id_cursor",), "search_without_matches_is_empty": ("paging.id_cursor",),
    "search_refinement_narrows": ("paging.id_cursor",), "filters_combine_as_intersection": ("paging.id_cursor",),
    "total_count_is_the_collection_size": ("paging.total",), "offset_page_size_is_exact": ("paging.total",),
    "limit_and_offset_are_echoed": ("paging.echoes",),
    # Without echoes the default limit and offset are judged by the page alone (its size, its tickets).
    "offset_default_limit_is_documented": ("paging.default_limit",),
    "offset_defaults_to_0": ("paging.default_limit",), "offset_limit_above_max_is_capped": ("paging.max_limit",),
    "clamped_limit_is_echoed_as_applied": ("paging.max_limit", "paging.echoes"),
    "offset_past_the_end_is_empty": ("paging.total",),
    # The stateful model writes null as the clearing value and links deals; sending null for a required
    # field is only a refusal to judge where null is how a field is cleared.
    "updates_match_model": ("writes.clear_null", "writes.deals"),
    "required_fields_cannot_be_null": ("writes.clear_null",),
    # Ticket-shaped fields an API may not have (a Stripe charge: no title bounds, state, updatedAt, dates,
    # deals or enum fields on create).
    "title_length_is_enforced": ("writes.title_length",),
    "closed_at_follows_state": ("writes.state",), "closed_at_is_set_on_create": ("writes.state",),
    "updated_at_moves_forward": ("writes.updated_at",), "offset_dates_are_the_same_instant": ("writes.dates",),
    "deal_links_follow_updates": ("writes.deals",), "deal_links_change_only_as_named": ("writes.deals",),
    "deal_amount_sum_is_consistent": ("writes.deal_sum",),
    "unknown_enum_values_are_rejected": ("writes.enums",), "documented_enum_values_are_accepted": ("writes.enums",),
    "lowercase_enum_values_are_rejected": ("writes.enums",),
    "required_fields_cannot_be_null_on_create": ("writes.required",),
}


# How long each check that writes takes in a default run, in tenths of a second behind 50 ms of latency
# (python bench/scale_out.py --costs): what the engine deals the write lanes by (engine.lane_of), so that
# the lanes end together. Only a parallel run's wall time depends on these; a check not listed counts 10.
COSTS: dict[str, int] = {
    "absent_fields_are_kept": 10, "closed_at_follows_state": 3, "closed_at_is_set_on_create": 1,
    "create_responses_match_spec": 21, "created_fields_come_back_as_sent": 2, "created_ticket_is_listed": 2,
    "deal_amount_sum_is_consistent": 7, "deal_links_change_only_as_named": 5, "deal_links_follow_updates": 4,
    "documented_enum_values_are_accepted": 12, "failed_update_changes_nothing": 13, "invalid_creates_are_refused": 16,
    "invalid_updates_are_refused": 14, "lowercase_enum_values_are_rejected": 1, "null_clears_nullable_fields": 17,
    "offset_dates_are_the_same_instant": 4, "required_fields_cannot_be_null": 5,
    "required_fields_cannot_be_null_on_create": 3, "title_length_is_enforced": 10,
    "unauthenticated_writes_are_refused": 7, "unknown_enum_values_are_rejected": 6, "unknown_id_update_is_refused": 2,
    "update_responses_match_spec": 17, "updated_at_moves_forward": 4, "updates_match_model": 25,
    "values_replace_fields": 24,
}


@dataclass(frozen=True)
class CheckSpec:
    name: str
    family: str
    level: Level
    proves: str  # one sentence: what holds when this check passes
    requires: frozenset[str]  # profile capabilities, plus "writes" for checks that change data
    run: Callable[["RunContext"], None]
    order: int
    relies_on: tuple[str, ...] = ()  # observations (OBSERVATIONS) this check derives its oracle from
    owns: tuple[str, ...] = ()  # observations whose soundness this check proves
    needs: tuple[str, ...] = ()  # profile options (profiles.base.OPTIONS) without which it is not applicable
    # Read-only, except that with writes allowed it may first create tickets of the suite's own (to grow
    # a small collection): the engine runs it before the other read-only checks, so none of them sees
    # the collection grow under it, and the filler writes are the same in a serial and a parallel run.
    fills: bool = False
    cost: int = 10  # how long it takes (COSTS): what write lanes are dealt by

    def not_applicable(self, profile: Profile) -> str:
        """Why this check does not apply to ``profile`` (the options it leaves unset), or ""."""
        missing = missing_options(profile, self.needs)
        return f"not applicable: the profile sets no {', '.join(missing)}" if missing else ""

    def level_for(self, profile: Profile) -> Level:
        """The check's level, or the profile's override (``levels:``) of it."""
        return profile.levels.get(self.name, self.level)  # type: ignore[return-value]


class Catalogue:
    """Registered checks in registration order. Built once at import, read-only afterwards."""

    def __init__(self) -> None:
        self._checks: dict[str, CheckSpec] = {}

    def register(self, *, family: str, level: Level, proves: str, requires: tuple[str, ...] = (),
                 name: str | None = None, relies_on: tuple[str, ...] = (), owns: tuple[str, ...] = (),
                 needs: tuple[str, ...] = (), fills: bool = False) -> Callable[[Callable[["RunContext"], None]], Callable[["RunContext"], None]]:
        if family not in FAMILIES:
            raise ValueError(f"unknown family {family!r}")
        unknown = (set(relies_on) | set(owns)) - set(OBSERVATIONS)
        if unknown:
            raise ValueError(f"unknown observation(s) {sorted(unknown)}")
        misspelt = set(requires) - CAPABILITIES
        if misspelt:  # a typo would silently disable the check everywhere
            raise ValueError(f"unknown capability {sorted(misspelt)}; known: {sorted(CAPABILITIES)}")
        unknown_options = set(needs) - set(OPTIONS)
        if unknown_options:
            raise ValueError(f"unknown profile option(s) {sorted(unknown_options)}; known: {sorted(OPTIONS)}")

        def decorate(fn: Callable[["RunContext"], None]) -> Callable[["RunContext"], None]:
            check_name = name or fn.__name__
            if check_name in self._checks:
                raise ValueError(f"check {check_name!r} registered twice")
            self._checks[check_name] = CheckSpec(check_name, family, level, proves, frozenset(requires), fn,
                                                 len(self._checks),
                                                 tuple(relies_on) or RELIES_ON.get(check_name, ()),
                                                 tuple(owns) or OWNERS.get(check_name, ()),
                                                 tuple(needs) or NEEDS.get(check_name, ()), fills,
                                                 COSTS.get(check_name, 10))
            return fn

        return decorate

    def all(self) -> list[CheckSpec]:
        return list(self._checks.values())

    def get(self, name: str) -> CheckSpec:
        return self._checks[name]

    def applies(self, name: str, profile: Profile) -> bool:
        """Whether check ``name`` is evaluated for ``profile`` (capabilities granted, options set): a rule
        it owns is then left to it by the checks that would otherwise send the same request."""
        spec = self.get(name)
        return (spec.requires - {"writes"}) <= profile.capabilities and not spec.not_applicable(profile)

    def for_capabilities(self, capabilities: frozenset[str]) -> list[CheckSpec]:
        """Checks this API can be asked about; "writes" is decided per run, not per profile."""
        return [c for c in self._checks.values() if (c.requires - {"writes"}) <= capabilities]


CATALOGUE = Catalogue()
check = CATALOGUE.register


def select_checks(profile: Profile, only: Iterable[str] | None = None) -> list[CheckSpec]:
    """Applicable checks, read-only ones first so that writes never disturb what reads observe."""
    checks = CATALOGUE.for_capabilities(profile.capabilities)
    every_name = {c.name for c in CATALOGUE.all()}
    for name in profile.levels:
        if name not in every_name:
            close = difflib.get_close_matches(name, list(every_name), n=1)
            raise ConfigError(f"{profile.source or profile.name}: levels names unknown check {name!r}"
                              + (f"; did you mean {close[0]!r}?" if close else ""))
    if only:
        wanted = set(only)
        every = {c.name: c for c in CATALOGUE.all()}
        for name in sorted(wanted):
            if name not in every:
                close = difflib.get_close_matches(name, list(every), n=1)
                raise ConfigError(f"unknown check {name!r}" + (f"; did you mean {close[0]!r}?" if close else
                                                               "; `ticket-conformance checks` lists them"))
            if every[name] not in checks:  # named, but it is another vendor's check: never silently dropped
                owners = ", ".join(sorted(v for v, p in PROFILES.items()
                                          if every[name] in CATALOGUE.for_capabilities(p.capabilities)))
                raise ConfigError(f"check {name!r} does not apply to {profile.name}"
                                  + (f"; it is a check of {owners}" if owners else ""))
        checks = [c for c in checks if c.name in wanted]
    # Owners of an observation run before the checks that rely on it (root causes first).
    return sorted(checks, key=lambda c: ("writes" in c.requires, not c.owns, c.order))
