"""Opine mutants for the offset pagination checks."""

from conformance.reference.opine import OpineStore


class OpineOffsetOffByOne(OpineStore):
    """Skips one ticket too many: a page starts at offset + 1."""

    catches = "offset_walk_is_complete_and_stable"

    def _page(self, tickets, offset, limit):
        return tickets[offset + 1:offset + 1 + limit]


class OpinePagesOverlap(OpineStore):
    """Starts every page after the first one ticket early, so consecutive pages overlap."""

    catches = "offset_walk_is_complete_and_stable"

    def _page(self, tickets, offset, limit):
        start = max(0, offset - 1)
        return tickets[start:start + limit]


class OpineOrderDependsOnLimit(OpineStore):
    """Lists in reverse order when the limit is odd (a sort chosen per request)."""

    catches = "offset_walk_is_complete_and_stable"

    def _page(self, tickets, offset, limit):
        ordered = tickets[::-1] if limit % 2 else tickets
        return ordered[offset:offset + limit]


class OpineTotalCountIsPageSize(OpineStore):
    """Reports totalCount as the number of items on the page."""

    catches = "total_count_is_the_collection_size"

    def _total(self, tickets, page):
        return len(page)


class OpineTotalCountIsALowerBound(OpineStore):
    """Reports totalCount as the tickets up to this page's end plus one when more follow (a lazy count
    that stays a lower bound): exact on the last page, short on every earlier one."""

    catches = "total_count_is_the_collection_size"

    def _total(self, tickets, page):
        if not page:
            return len(tickets)
        return min(len(tickets), tickets.index(page[-1]) + 2)


class OpinePagesCappedAt50(OpineStore):
    """Silently caps every page at 50 items, whatever the limit (and echoes the requested limit)."""

    catches = "offset_page_size_is_exact"

    def _page(self, tickets, offset, limit):
        return tickets[offset:offset + min(limit, 50)]


class OpinePagesCappedAtDefault(OpineStore):
    """Silently caps every page at 100 items (the default limit), whatever the limit."""

    catches = "offset_page_size_is_exact"

    def _page(self, tickets, offset, limit):
        return tickets[offset:offset + min(limit, 100)]


class OpineOffsetEchoedAsPageNumber(OpineStore):
    """Echoes offset as the page number (offset // limit) instead of the offset."""

    catches = "limit_and_offset_are_echoed"

    def _envelope(self, items, limit, offset, total):
        return super()._envelope(items, limit, offset // limit, total)


class OpineDefaultLimit50(OpineStore):
    """Uses a default limit of 50 instead of the documented 100."""

    catches = "offset_default_limit_is_documented"
    default_limit = 50


class OpineDefaultLimitEchoedAsMax(OpineStore):
    """Without a limit, serves the default 100 tickets but echoes the maximum (1000) as the limit: a
    client paging by the echoed limit skips 900 tickets."""

    catches = "offset_default_limit_is_documented"

    def list_tickets(self, limit=None, offset=None):
        body = super().list_tickets(limit, offset)
        return {**body, "limit": self.max_limit} if limit is None else body


class OpineDefaultOffset1(OpineStore):
    """Starts a list without an offset at the second ticket (default offset 1 instead of 0)."""

    catches = "offset_defaults_to_0"

    def _parse_offset(self, raw):
        return 1 if raw is None else super()._parse_offset(raw)


class OpineLimitZeroAccepted(OpineStore):
    """Accepts a limit below 1 (limit=0 answers an empty page)."""

    catches = "offset_limit_below_1_is_rejected"

    def _parse_limit(self, raw):
        return self.default_limit if raw is None else self._cap_limit(self._parse_integer(raw, ["limit"]))


class OpineLimitBelowOneMeansDefault(OpineStore):
    """Treats a limit below 1 as absent (``limit || 100``): limit=0 answers the default page."""

    catches = "offset_limit_below_1_is_rejected"

    def _parse_limit(self, raw):
        limit = None if raw is None else self._parse_integer(raw, ["limit"])
        return self.default_limit if limit is None or limit < 1 else self._cap_limit(limit)


class OpineLimitNotCapped(OpineStore):
    """Applies and echoes a limit above 1000 as requested (e.g. limit=5000)."""

    catches = "clamped_limit_is_echoed_as_applied"

    def _cap_limit(self, limit):
        return limit


class OpineLimitAboveMaxCrashes(OpineStore):
    """Fails with a 500 on a limit above 1000 instead of refusing (4xx) or clamping it."""

    catches = "offset_limit_above_max_is_capped"

    def _cap_limit(self, limit):
        if limit > self.max_limit:
            raise OverflowError("page size out of range")
        return limit


class OpineNegativeOffsetSlicesFromEnd(OpineStore):
    """Accepts a negative offset and slices with it (Python semantics: counted from the end)."""

    catches = "negative_offset_is_rejected"

    def _parse_offset(self, raw):
        return 0 if raw is None else self._parse_integer(raw, ["offset"])


class OpineOnlyMinusOneClamped(OpineStore):
    """Treats offset=-1 (a common "none" sentinel) as 0, but slices smaller negative offsets from the end:
    the schema's one value below the minimum (-1) looks clamped; -5 reads the last five tickets."""

    catches = "negative_offset_is_rejected"

    def _parse_offset(self, raw):
        if raw is None:
            return 0
        value = self._parse_integer(raw, ["offset"])
        return 0 if value == -1 else value


class OpinePastTheEndReturnsLastPage(OpineStore):
    """Answers an offset past the end with the last page instead of an empty one."""

    catches = "offset_past_the_end_is_empty"

    def _page(self, tickets, offset, limit):
        return tickets[-limit:] if offset >= len(tickets) else tickets[offset:offset + limit]


class OpineDefaultPagePastTheEndClamped(OpineStore):
    """Without a limit, an offset at or past the end is pulled back to the last default-sized page (a
    fallback on the default-limit path only); with a limit, past the end is empty as it should be."""

    catches = "offset_past_the_end_is_empty"

    def list_tickets(self, limit=None, offset=None):
        if limit is None and offset is not None and offset.isdigit() and int(offset) >= len(self._tickets):
            offset = str(max(len(self._tickets) - self.default_limit, 0))
        return super().list_tickets(limit, offset)


class OpineLimitAboveMaxAnswersEmpty(OpineStore):
    """A limit above 1000 echoes the cap (1000) but answers an empty page: the clamp sets the echo, the slice
    still gets the out-of-range value and gives up."""

    catches = "offset_limit_above_max_is_capped"

    def list_tickets(self, limit=None, offset=None):
        body = super().list_tickets(limit, offset)
        if limit is not None and limit.isdigit() and int(limit) > self.max_limit:
            body = {**body, "items": []}
        return body


MUTANTS = [
    OpineOffsetOffByOne, OpinePagesOverlap, OpineOrderDependsOnLimit, OpineTotalCountIsPageSize, OpineTotalCountIsALowerBound,
    OpinePagesCappedAt50,
    OpinePagesCappedAtDefault, OpineOffsetEchoedAsPageNumber, OpineDefaultLimit50, OpineDefaultLimitEchoedAsMax,
    OpineDefaultOffset1,
    OpineLimitZeroAccepted,
    OpineLimitBelowOneMeansDefault, OpineLimitNotCapped, OpineLimitAboveMaxCrashes, OpineNegativeOffsetSlicesFromEnd,
    OpineOnlyMinusOneClamped, OpinePastTheEndReturnsLastPage, OpineDefaultPagePastTheEndClamped,
    OpineLimitAboveMaxAnswersEmpty,
]
