"""Copper mutants for the cursor pagination checks (one planted bug each, one seam each)."""

from conformance.reference.copper import CopperStore


def _desc_id(ticket_id):
    """A key that sorts ids in the opposite direction to the ids themselves."""
    return tuple(-ord(c) for c in ticket_id) + (1,)


class CopperCursorRepeatsTieSiblings(CopperStore):
    """starting_after compares created only, with <=: tie siblings before the cursor come back on the next page."""

    catches = "pages_do_not_overlap"

    def _after(self, ordered, cursor):
        return [t for t in ordered if t.created_ms <= cursor.created_ms and t.id != cursor.id]


class CopperCursorIsInclusive(CopperStore):
    """starting_after includes the cursor ticket itself at the top of the next page."""

    catches = "pages_do_not_overlap"

    def _after(self, ordered, cursor):
        key = self._sort_key(cursor)
        return [t for t in ordered if self._sort_key(t) <= key]


class CopperCursorSkipsNextItem(CopperStore):
    """starting_after skips the first ticket after the cursor."""

    catches = "walk_reaches_every_ticket"

    def _after(self, ordered, cursor):
        return super()._after(ordered, cursor)[1:]


class CopperCursorDropsTieSiblings(CopperStore):
    """starting_after compares created only: the cursor's later tie siblings are lost."""

    catches = "cursor_after_a_tie_keeps_its_siblings"

    def _after(self, ordered, cursor):
        return [t for t in ordered if t.created_ms < cursor.created_ms]


class CopperEndingBeforeDropsTieSiblings(CopperStore):
    """ending_before compares created only: the cursor's earlier tie siblings are lost."""

    catches = "cursor_after_a_tie_keeps_its_siblings"

    def _before(self, ordered, cursor):
        return [t for t in ordered if t.created_ms > cursor.created_ms]


class CopperOldestFirst(CopperStore):
    """Lists oldest first (created ascending), consistently across cursors."""

    catches = "list_is_newest_first"

    def _sort_key(self, ticket):
        return (-ticket.created_ms, ticket.id)


class CopperSortsBySecond(CopperStore):
    """Sorts by created truncated to the second, then id: milliseconds within one second come out of order."""

    catches = "list_is_newest_first"

    def _sort_key(self, ticket):
        return (ticket.created_ms // 1000, ticket.id)


class CopperUnfilteredListSortsBySecond(CopperStore):
    """A list without location, created bounds or search is served from an index on created in whole
    seconds (then id): milliseconds within one second come out of order there. Filtered queries sort by
    the exact instant."""

    catches = "list_is_newest_first"
    _coarse = False

    def list_tickets(self, query):
        names = {name for name, _ in query}
        with self._lock:
            self._coarse = not names & {"location", "search_query"} and not any(n.startswith("created[") for n in names)
            try:
                return super().list_tickets(query)
            finally:
                self._coarse = False

    def _sort_key(self, ticket):
        return (ticket.created_ms // 1000, ticket.id) if self._coarse else super()._sort_key(ticket)


class CopperTieOrderFollowsLimit(CopperStore):
    """Breaks created ties by ascending id on pages smaller than 100 (descending on full-size pages)."""

    catches = "tie_order_is_consistent"

    def _apply_cursor(self, ordered, starting_after, ending_before, limit):
        if limit >= 100:
            return super()._apply_cursor(ordered, starting_after, ending_before, limit)

        def key(t):
            return (t.created_ms, _desc_id(t.id))

        ordered = sorted(ordered, key=key, reverse=True)
        if ending_before is not None:
            before = [t for t in ordered if key(t) > key(ending_before)]
            return before[max(len(before) - limit, 0):], len(before) > limit
        after = ordered if starting_after is None else [t for t in ordered if key(t) < key(starting_after)]
        return after[:limit], len(after) > limit


class CopperHasMoreFalseNearTheEnd(CopperStore):
    """has_more is false as soon as fewer than two pages remain: a middle page claims to be the last."""

    catches = "has_more_is_truthful"

    def _has_more(self, available, limit):
        return available > 2 * limit


class CopperHasMoreTrueOnFullLastPage(CopperStore):
    """has_more is true on a last page that is exactly full (>= instead of >)."""

    catches = "has_more_is_truthful"

    def _has_more(self, available, limit):
        return available >= limit


class CopperHasMoreWhenPageFull(CopperStore):
    """Forward pages say has_more = (the page is full): wrong on an exactly full last page."""

    catches = "has_more_is_truthful"

    def _apply_cursor(self, ordered, starting_after, ending_before, limit):
        page, has_more = super()._apply_cursor(ordered, starting_after, ending_before, limit)
        return page, (has_more if ending_before is not None else len(page) == limit)


class CopperMaxLimitOffByOne(CopperStore):
    """limit=100 (the documented maximum) returns 99 items: the cap is applied as < 100."""

    catches = "limit_is_honoured"

    def _parse_limit(self, raw):
        return min(super()._parse_limit(raw), 99)


class CopperHasMoreIgnoresFilters(CopperStore):
    """has_more says whether any ticket at all follows the page's last one: the last page of a filtered walk says true."""

    catches = "filters_apply_on_every_page"

    def _apply_cursor(self, ordered, starting_after, ending_before, limit):
        page, has_more = super()._apply_cursor(ordered, starting_after, ending_before, limit)
        if ending_before is None and page:
            has_more = page[-1] is not self.tickets[-1]
        return page, has_more


class CopperEndingBeforeIgnoresFilters(CopperStore):
    """ending_before pages through the unfiltered list: location and created filters are dropped going back."""

    catches = "filters_apply_on_every_page"

    def _before(self, ordered, cursor):
        return super()._before(list(self.tickets), cursor)


class CopperEndingBeforeDropsALoneLocation(CopperStore):
    """ending_before with a location as the only filter pages back through the unfiltered list (the location
    is applied by a join the backward query forgets); with created bounds or a search beside it, or going
    forward, the location applies."""

    catches = "filters_apply_on_every_page"
    _forget = False

    def list_tickets(self, query):
        names = {name for name, _ in query}
        with self._lock:
            self._forget = ({"location", "ending_before"} <= names and "search_query" not in names
                            and not any(n.startswith("created[") for n in names))
            try:
                return super().list_tickets(query)
            finally:
                self._forget = False

    def _before(self, ordered, cursor):
        return super()._before(list(self.tickets) if self._forget else ordered, cursor)


class CopperShortPages(CopperStore):
    """Pages that have more after them hold limit - 1 items (the walk still reaches everything)."""

    catches = "limit_is_honoured"

    def _apply_cursor(self, ordered, starting_after, ending_before, limit):
        page, has_more = super()._apply_cursor(ordered, starting_after, ending_before, limit)
        return (page[:-1] if has_more and len(page) > 1 else page), has_more


class CopperOneItemTooMany(CopperStore):
    """Pages hold limit + 1 items (has_more still computed from limit)."""

    catches = "limit_is_honoured"

    def _apply_cursor(self, ordered, starting_after, ending_before, limit):
        page, _ = super()._apply_cursor(ordered, starting_after, ending_before, limit + 1)
        _, has_more = super()._apply_cursor(ordered, starting_after, ending_before, limit)
        return page, has_more


class CopperDefaultLimit20(CopperStore):
    """The default page size is 20 instead of the documented 10."""

    catches = "default_limit_is_10"

    def _default_limit(self):
        return 20


class CopperLimitZeroAccepted(CopperStore):
    """limit=0 is accepted (an empty page) instead of rejected."""

    catches = "limit_below_1_is_rejected"

    def _limit_in_range(self, n):
        return 0 <= n <= 100


class CopperLimitZeroMeansDefault(CopperStore):
    """limit=0 falls back to the default page (a `limit or 10` bug): neither refused nor clamped to 1."""

    catches = "limit_below_1_is_rejected"

    def _parse_limit(self, raw):
        if raw is not None and raw.isascii() and raw.isdigit() and int(raw) == 0:
            return self._default_limit()
        return super()._parse_limit(raw)


class CopperLimitUncapped(CopperStore):
    """limit above 100 is honoured: limit=1000 returns every ticket in one page."""

    catches = "limit_above_max_is_capped"

    def _limit_in_range(self, n):
        return n >= 1


class CopperEndingBeforeOldestOfRange(CopperStore):
    """ending_before returns the oldest limit items of the range (the top of the list), not the nearest."""

    catches = "ending_before_returns_the_preceding_page"

    def _nearest_before(self, before, limit):
        return before[:limit]


class CopperEndingBeforeIncludesCursor(CopperStore):
    """ending_before includes the cursor ticket itself at the end of the page."""

    catches = "ending_before_returns_the_preceding_page"

    def _before(self, ordered, cursor):
        key = self._sort_key(cursor)
        return [t for t in ordered if self._sort_key(t) >= key]


class CopperEndingBeforeHasMoreAlwaysFalse(CopperStore):
    """Under ending_before, has_more is always false, even when newer tickets remain beyond the page."""

    catches = "ending_before_has_more_is_truthful"

    def _apply_cursor(self, ordered, starting_after, ending_before, limit):
        page, has_more = super()._apply_cursor(ordered, starting_after, ending_before, limit)
        return page, (False if ending_before is not None else has_more)


class CopperBothCursorsStartingAfterWins(CopperStore):
    """Both cursors at once are accepted: starting_after silently wins."""

    catches = "both_cursors_are_refused"

    def _exclusive_cursors(self, after_id, before_id):
        return after_id, (None if after_id is not None else before_id)


class CopperUnknownCursorIgnored(CopperStore):
    """An unknown cursor id is ignored: the first page comes back."""

    catches = "unknown_cursor_is_refused"

    def _unknown_cursor(self, ticket_id, param):
        return None


class CopperPreviousOfFirstIsFirstPage(CopperStore):
    """ending_before the newest ticket (nothing before it) falls back to the first page."""

    catches = "ending_before_returns_the_preceding_page"

    def _apply_cursor(self, ordered, starting_after, ending_before, limit):
        page, has_more = super()._apply_cursor(ordered, starting_after, ending_before, limit)
        if ending_before is not None and not page:
            return super()._apply_cursor(ordered, None, None, limit)
        return page, has_more


class CopperPreviousOfFirstAtDefaultSize(CopperStore):
    """ending_before the newest ticket (nothing before it) at the default page size falls back to the first
    page (an empty previous page is taken for "no cursor" by the default-size page cache); other sizes
    answer the empty page."""

    catches = "ending_before_returns_the_preceding_page"

    def _apply_cursor(self, ordered, starting_after, ending_before, limit):
        page, has_more = super()._apply_cursor(ordered, starting_after, ending_before, limit)
        if ending_before is not None and not page and limit == self._default_limit():
            return super()._apply_cursor(ordered, None, None, limit)
        return page, has_more


class CopperPreviousPageOnAGrid(CopperStore):
    """ending_before returns the page before the cursor's page on a grid of limit-sized pages from the top
    (right when navigating page by page from the top, wrong after a jump or a change of limit)."""

    catches = "cursor_navigation_matches_model"

    def _nearest_before(self, before, limit):
        start = max(0, (len(before) // limit - 1) * limit)
        return before[start:start + limit]


class CopperLastCursorWrapsAround(CopperStore):
    """``starting_after`` the very last ticket of the list at the default page size answers the first page
    again (has_more true), as a position taken modulo the list's length in the default-size page cache would;
    every walk ends before asking it, and other sizes answer the empty end."""

    catches = "cursor_navigation_matches_model"

    def _apply_cursor(self, ordered, starting_after, ending_before, limit):
        last = ordered and starting_after is not None and self._sort_key(starting_after) == self._sort_key(ordered[-1])
        if last and limit == self._default_limit():
            return super()._apply_cursor(ordered, None, None, limit)
        return super()._apply_cursor(ordered, starting_after, ending_before, limit)


MUTANTS = [
    CopperCursorRepeatsTieSiblings, CopperCursorIsInclusive, CopperCursorSkipsNextItem,
    CopperCursorDropsTieSiblings, CopperEndingBeforeDropsTieSiblings, CopperOldestFirst, CopperSortsBySecond,
    CopperUnfilteredListSortsBySecond,
    CopperTieOrderFollowsLimit, CopperHasMoreFalseNearTheEnd, CopperHasMoreTrueOnFullLastPage,
    CopperHasMoreWhenPageFull, CopperMaxLimitOffByOne, CopperHasMoreIgnoresFilters, CopperEndingBeforeIgnoresFilters,
    CopperEndingBeforeDropsALoneLocation, CopperPreviousOfFirstAtDefaultSize,
    CopperShortPages, CopperOneItemTooMany, CopperDefaultLimit20, CopperLimitZeroAccepted, CopperLimitZeroMeansDefault,
    CopperLimitUncapped,
    CopperEndingBeforeOldestOfRange, CopperEndingBeforeIncludesCursor, CopperEndingBeforeHasMoreAlwaysFalse,
    CopperBothCursorsStartingAfterWins, CopperUnknownCursorIgnored, CopperPreviousOfFirstIsFirstPage,
    CopperPreviousPageOnAGrid, CopperLastCursorWrapsAround,
]
