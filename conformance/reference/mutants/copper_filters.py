"""Copper mutants for the created-filter, location and search checks."""

import re
from fractions import Fraction

from conformance.reference.copper import CopperStore
from conformance.reference.copper.store import CopperError

_MS_PER_DAY = 86_400_000


# -- one operator -----------------------------------------------------------------------------------


class _LoneBoundFastPath(CopperStore):
    """A query whose only filter is one created bound written to the millisecond in UTC ("...T12:00:00.123Z")
    is answered from a fast path; for the operator ``fast_op`` that path has its own comparison (``_fast``).
    Every other query takes the general filter."""

    fast_op = ""
    _lone: str | None = None

    def list_tickets(self, query):
        created = [(name, value) for name, value in query if name.startswith("created[")]
        others = [name for name, _ in query if name in ("location", "search_query")]
        lone = (len(created) == 1 and not others and re.fullmatch(r".*T\d\d:\d\d:\d\d\.\d{3}Z", created[0][1])
                and created[0][0][len("created["):-1])
        with self._lock:
            self._lone = lone or None
            try:
                return super().list_tickets(query)
            finally:
                self._lone = None

    def _matches_created(self, ticket, op, instant):
        if op == self._lone == self.fast_op:
            return self._fast(ticket, op, instant)
        return super()._matches_created(ticket, op, instant)

    def _fast(self, ticket, op, instant):
        raise NotImplementedError


class CopperLoneGtInclusive(_LoneBoundFastPath):
    """A lone created[gt] bound written to the millisecond takes a fast path that also returns tickets
    created exactly at the bound; with any other filter, or written otherwise, gt is exclusive."""

    catches = "created_gt_is_exclusive"
    fast_op = "gt"

    def _fast(self, ticket, op, instant):
        return ticket.created_ms >= instant


class CopperLoneGteExclusive(_LoneBoundFastPath):
    """A lone created[gte] bound written to the millisecond takes a fast path that drops tickets created
    exactly at the bound; with any other filter, or written otherwise, gte is inclusive."""

    catches = "created_gte_is_inclusive"
    fast_op = "gte"

    def _fast(self, ticket, op, instant):
        return ticket.created_ms > instant


class CopperLoneLtInclusive(_LoneBoundFastPath):
    """A lone created[lt] bound written to the millisecond takes a fast path that also returns tickets
    created exactly at the bound; with any other filter, or written otherwise, lt is exclusive."""

    catches = "created_lt_is_exclusive"
    fast_op = "lt"

    def _fast(self, ticket, op, instant):
        return ticket.created_ms <= instant


class CopperLoneLteExclusive(_LoneBoundFastPath):
    """A lone created[lte] bound written to the millisecond takes a fast path that drops tickets created
    exactly at the bound; with any other filter, or written otherwise, lte is inclusive."""

    catches = "created_lte_is_inclusive"
    fast_op = "lte"

    def _fast(self, ticket, op, instant):
        return ticket.created_ms < instant


class CopperGtInclusive(CopperStore):
    """created[gt] also returns tickets created exactly at the bound."""

    catches = "created_gt_is_exclusive"

    def _matches_created(self, ticket, op, instant):
        return ticket.created_ms >= instant if op == "gt" else super()._matches_created(ticket, op, instant)


class CopperGteExclusive(CopperStore):
    """created[gte] drops tickets created exactly at the bound."""

    catches = "created_gte_is_inclusive"

    def _matches_created(self, ticket, op, instant):
        return ticket.created_ms > instant if op == "gte" else super()._matches_created(ticket, op, instant)


class CopperGteLosesTies(CopperStore):
    """created[gte] keeps only one ticket (the highest id) of a tie group sitting exactly on the bound."""

    catches = "created_gte_is_inclusive"

    def _matches_created(self, ticket, op, instant):
        if op == "gte" and ticket.created_ms == instant:
            return ticket.id == max(t.id for t in self.tickets if t.created_ms == instant)
        return super()._matches_created(ticket, op, instant)


class CopperLtInclusive(CopperStore):
    """created[lt] also returns tickets created exactly at the bound."""

    catches = "created_lt_is_exclusive"

    def _matches_created(self, ticket, op, instant):
        return ticket.created_ms <= instant if op == "lt" else super()._matches_created(ticket, op, instant)


class CopperLteExclusive(CopperStore):
    """created[lte] drops tickets created exactly at the bound."""

    catches = "created_lte_is_inclusive"

    def _matches_created(self, ticket, op, instant):
        return ticket.created_ms < instant if op == "lte" else super()._matches_created(ticket, op, instant)


# -- ranges -----------------------------------------------------------------------------------------


class CopperRangeUsesLastBound(CopperStore):
    """With two created bounds, only the last one read (the upper bound) is applied."""

    catches = "created_range_combines_bounds"

    def _filtered(self, ordered, params):
        from dataclasses import replace

        return super()._filtered(ordered, replace(params, created=params.created[-1:]))


class CopperInvertedRangeSwapped(CopperStore):
    """A range whose lower bound lies after its upper bound is silently swapped (returns tickets)."""

    catches = "created_range_combines_bounds"

    def _filtered(self, ordered, params):
        from dataclasses import replace

        bounds = dict(params.created)
        low, high = bounds.get("gte", bounds.get("gt")), bounds.get("lte", bounds.get("lt"))
        if low is not None and high is not None and low > high:
            swap = {"gte": "lte", "gt": "lt", "lte": "gte", "lt": "gt"}
            params = replace(params, created=tuple((swap[op], v) for op, v in params.created))
        return super()._filtered(ordered, params)


class CopperInvertedRangeCrashes(CopperStore):
    """A range whose lower bound lies after its upper bound is a 500."""

    catches = "created_range_combines_bounds"

    def _filtered(self, ordered, params):
        bounds = dict(params.created)
        low, high = bounds.get("gte", bounds.get("gt")), bounds.get("lte", bounds.get("lt"))
        if low is not None and high is not None and low > high:
            raise CopperError(500, {"error": {"type": "api_error", "message": "empty range"}})
        return super()._filtered(ordered, params)


class CopperGtDroppedWithGte(CopperStore):
    """When created[gt] and created[gte] are sent together, only created[gte] is applied."""

    catches = "created_range_combines_bounds"

    def _filtered(self, ordered, params):
        from dataclasses import replace

        ops = {op for op, _ in params.created}
        if {"gt", "gte"} <= ops:
            params = replace(params, created=tuple((op, v) for op, v in params.created if op != "gt"))
        return super()._filtered(ordered, params)


# -- spellings of an instant ------------------------------------------------------------------------


class CopperOffsetIgnored(CopperStore):
    """A numeric UTC offset is ignored: 12:00+02:00 is read as 12:00Z."""

    catches = "created_offsets_name_the_same_instant"

    def _offset_ms(self, parsed):
        return 0


class CopperOffsetSignInverted(CopperStore):
    """A numeric UTC offset is applied the wrong way round: +02:00 moves the bound 2 h later, not earlier."""

    catches = "created_offsets_name_the_same_instant"

    def _offset_ms(self, parsed):
        return -super()._offset_ms(parsed)


class CopperOffsetMinutesIgnored(CopperStore):
    """Only the hours of a UTC offset are applied: +05:30 is read as +05:00."""

    catches = "created_offsets_name_the_same_instant"

    def _offset_ms(self, parsed):
        minutes = parsed.offset_minutes or 0
        sign = -1 if minutes < 0 else 1
        return sign * (abs(minutes) // 60) * 3_600_000


class CopperOffsetRejected(CopperStore):
    """A created bound with a non-zero UTC offset is refused with 400 (only Z is accepted)."""

    catches = "created_accepts_utc_offsets"

    def _to_instant(self, parsed):
        if parsed.offset_minutes:
            raise ValueError("only UTC (Z) is accepted")
        return super()._to_instant(parsed)


class CopperBoundTruncatedToSecond(CopperStore):
    """The milliseconds of a created bound are dropped (the bound is truncated to the second)."""

    catches = "created_precision_is_read_exactly"

    def _to_instant(self, parsed):
        instant = super()._to_instant(parsed)
        return Fraction(instant // 1000 * 1000)


class CopperLteWholeSecondCoversTheSecond(CopperStore):
    """A created[lte] bound written without a fraction covers its whole second (lte 12:00:00 keeps 12:00:00.5)."""

    catches = "created_precision_is_read_exactly"

    def _parse_created(self, raw, param):
        instant = super()._parse_created(raw, param)
        if instant is not None and param == "created[lte]" and re.search(r"T\d{2}:\d{2}:\d{2}(Z|[+-]|$)", raw):
            return instant + 999
        return instant


class CopperCreatedShownRoundedToSecond(CopperStore):
    """created is shown as unix seconds rounded to the nearest second while the filters compare the stored milliseconds."""

    catches = "created_display_agrees_with_filters"

    def _render(self, ticket):
        rendered = super()._render(ticket)
        rendered["created"] = (ticket.created_ms + 500) // 1000
        return rendered


class CopperLongFractionMisread(CopperStore):
    """A fraction with more than 3 digits is read as that many milliseconds (.5890 -> 5890 ms)."""

    catches = "created_precision_is_read_exactly"

    def _parse_created(self, raw, param):
        instant = super()._parse_created(raw, param)
        match = re.search(r"T\d{2}:\d{2}:\d{2}\.(\d{4,})", raw)
        if instant is None or not match:
            return instant
        digits = match.group(1)
        return instant - Fraction(int(digits) * 1000, 10 ** len(digits)) + int(digits)


class CopperDateOnlyEndOfDay(CopperStore):
    """A date-only bound is read as the last millisecond of that day, not its midnight."""

    catches = "created_date_only_matches_midnight"

    def _to_instant(self, parsed):
        instant = super()._to_instant(parsed)
        return instant + _MS_PER_DAY - 1 if parsed.date_only else instant


class CopperDateOnlyLteEndOfDay(CopperStore):
    """A date-only created[lte] bound covers its whole day (lte 2026-03-13 keeps tickets of the 13th)."""

    catches = "created_date_only_matches_midnight"

    def _parse_created(self, raw, param):
        instant = super()._parse_created(raw, param)
        if instant is not None and param == "created[lte]" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return instant + _MS_PER_DAY - 1
        return instant


class CopperDateOnlyLocalTime(CopperStore):
    """A date-only bound is midnight at UTC-05:00 while offset-less date-times are read as UTC."""

    catches = "created_date_only_matches_midnight"

    def _to_instant(self, parsed):
        instant = super()._to_instant(parsed)
        return instant + 5 * 3_600_000 if parsed.date_only else instant


class CopperUnparsableIgnored(CopperStore):
    """An unparsable created bound is ignored (the filter is dropped) instead of refused."""

    catches = "created_unparsable_is_rejected"

    def _invalid_created(self, raw, param):
        return None


# -- location and pages -----------------------------------------------------------------------------


class CopperLocationPrefix(CopperStore):
    """location matches every ticket whose location id starts with the value (a prefix match)."""

    catches = "location_filter_selects_exactly_that_location"

    def _matches_location(self, ticket, location):
        return ticket.location.startswith(location)


class CopperLocationDroppedAfterFirstPage(CopperStore):
    """The location filter applies to the first page only; pages after a cursor are unfiltered."""

    catches = "filters_apply_on_every_page"

    def _filtered(self, ordered, params):
        from dataclasses import replace

        if params.starting_after is not None:
            params = replace(params, location=None)
        return super()._filtered(ordered, params)


class CopperCreatedDroppedAfterFirstPage(CopperStore):
    """The created bounds apply to the first page only; pages after a cursor are unfiltered."""

    catches = "filters_apply_on_every_page"

    def _filtered(self, ordered, params):
        from dataclasses import replace

        if params.starting_after is not None:
            params = replace(params, created=())
        return super()._filtered(ordered, params)


class CopperCreatedDroppedWithLocation(CopperStore):
    """When location is given, the created bounds are ignored (only one filter reaches the query)."""

    catches = "filters_combine_as_intersection"

    def _filtered(self, ordered, params):
        from dataclasses import replace

        if params.location is not None:
            params = replace(params, created=())
        return super()._filtered(ordered, params)


class CopperLocationDroppedWithSearch(CopperStore):
    """When search_query is given, the location filter is ignored (the search runs over every location)."""

    catches = "filters_combine_as_intersection"

    def _filtered(self, ordered, params):
        from dataclasses import replace

        if params.search_query is not None:
            params = replace(params, location=None)
        return super()._filtered(ordered, params)


class CopperCreatedDroppedWithSearchAndLocation(CopperStore):
    """With location, created bounds and search_query all given, the created bounds are ignored."""

    catches = "filters_combine_as_intersection"

    def _filtered(self, ordered, params):
        from dataclasses import replace

        if params.search_query is not None and params.location is not None:
            params = replace(params, created=())
        return super()._filtered(ordered, params)


# -- search -----------------------------------------------------------------------------------------


class CopperSearchFirstCharsOnly(CopperStore):
    """search_query matches on the query's first four characters only (returns non-matching tickets)."""

    catches = "search_results_match_the_query"

    def _matches_search(self, ticket, query):
        return query[:4].casefold() in ticket.reference.casefold()


class CopperSearchShortQueryCaseSensitive(CopperStore):
    """A search_query shorter than five characters is matched case-sensitively (longer ones ignore case)."""

    catches = "search_refinement_narrows"

    def _matches_search(self, ticket, query):
        return query in ticket.reference if len(query) < 5 else super()._matches_search(ticket, query)


class CopperSearchHasMoreFromFilteredPage(CopperStore):
    """has_more is false whenever the (post-filtered) page is empty, though later pages hold matches."""

    catches = "search_walk_finds_every_match"

    def _render_list(self, page, has_more):
        return super()._render_list(page, has_more and bool(page))


class CopperSearchKeepsOnePerPage(CopperStore):
    """search_query keeps only the first matching ticket of each database page."""

    catches = "search_walk_finds_every_match"

    def _post_filter(self, page, params):
        kept = super()._post_filter(page, params)
        return kept[:1] if params.search_query is not None else kept


class CopperSearchFallsBackToAll(CopperStore):
    """A search page with no match returns the unfiltered page instead of an empty list."""

    catches = "search_without_matches_is_empty"

    def _post_filter(self, page, params):
        return super()._post_filter(page, params) or page


class CopperNoMatchSearchNeverEnds(CopperStore):
    """A search_query no ticket matches answers has_more true on every page, the last one included (a
    "keep looking" hint computed from the query, not the page): a client walking it never stops."""

    catches = "search_without_matches_is_empty"

    def list_tickets(self, query):
        body = super().list_tickets(query)
        search = dict(query).get("search_query")
        with self._lock:
            if search is not None and not any(self._matches_search(t, search) for t in self._tickets):
                body["has_more"] = True
        return body


class CopperFilteredMaxPageShort(CopperStore):
    """limit=100 with a created filter returns 99 tickets a page (the cap is applied as < 100 there)."""

    catches = "created_lt_is_exclusive"

    def _filtered(self, ordered, params):
        from dataclasses import replace

        if params.created and params.limit == 100:
            params = replace(params, limit=99)
        self._short = params.limit
        return super()._filtered(ordered, params)

    def _apply_cursor(self, ordered, starting_after, ending_before, limit):
        return super()._apply_cursor(ordered, starting_after, ending_before, min(limit, self._short))


class CopperSearchDroppedWithEndingBefore(CopperStore):
    """search_query is not applied to ending_before pages (the previous page comes back unfiltered)."""

    catches = "search_results_match_the_query"

    def _post_filter(self, page, params):
        return page if params.ending_before is not None else super()._post_filter(page, params)


MUTANTS = [
    CopperGtInclusive, CopperGteExclusive, CopperGteLosesTies, CopperLtInclusive, CopperLteExclusive,
    CopperLoneGtInclusive, CopperLoneGteExclusive, CopperLoneLtInclusive, CopperLoneLteExclusive,
    CopperRangeUsesLastBound, CopperInvertedRangeSwapped, CopperInvertedRangeCrashes, CopperGtDroppedWithGte,
    CopperOffsetIgnored, CopperOffsetSignInverted, CopperOffsetMinutesIgnored, CopperOffsetRejected,
    CopperBoundTruncatedToSecond, CopperLongFractionMisread, CopperLteWholeSecondCoversTheSecond,
    CopperCreatedShownRoundedToSecond,
    CopperDateOnlyEndOfDay, CopperDateOnlyLteEndOfDay, CopperDateOnlyLocalTime, CopperUnparsableIgnored,
    CopperLocationPrefix, CopperLocationDroppedAfterFirstPage, CopperCreatedDroppedAfterFirstPage,
    CopperCreatedDroppedWithLocation, CopperLocationDroppedWithSearch, CopperCreatedDroppedWithSearchAndLocation,
    CopperSearchFirstCharsOnly, CopperSearchShortQueryCaseSensitive, CopperSearchHasMoreFromFilteredPage, CopperSearchKeepsOnePerPage,
    CopperSearchFallsBackToAll, CopperNoMatchSearchNeverEnds, CopperSearchDroppedWithEndingBefore, CopperFilteredMaxPageShort,
]
