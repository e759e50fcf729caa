"""Copper mutants whose bug shows only deep in a large collection (past the 1,000th ticket, or on
the last page of a collection that fills its pages exactly). Each seeds ``DEPTH_TICKETS`` tickets
by default, so the self-test meets the bug where it lives, within the run's normal budget."""

from conformance.reference.copper import CopperStore

DEPTH_TICKETS = 3000  # a multiple of the maximum page size: the last page at limit=100 is exactly full


class _Deep(CopperStore):
    def __init__(self, seed=0, tickets=None, **kwargs):
        super().__init__(seed, DEPTH_TICKETS if tickets is None else tickets, **kwargs)


class CopperDeepCursorRepeatsOne(_Deep):
    """starting_after a ticket past the 1,000th returns that ticket again at the top of the next page."""

    catches = "pages_do_not_overlap"

    def _after(self, ordered, cursor):
        rest = super()._after(ordered, cursor)
        return [cursor] + rest if self.tickets.index(cursor) >= 1000 else rest


class CopperDeepLastMaxPageTruncated(_Deep):
    """An exactly full last page at the maximum limit (100) loses its last ticket."""

    catches = "walk_reaches_every_ticket"

    def _apply_cursor(self, ordered, starting_after, ending_before, limit):
        page, has_more = super()._apply_cursor(ordered, starting_after, ending_before, limit)
        if limit == 100 and len(page) == limit and not has_more and ending_before is None:
            return page[:-1], has_more
        return page, has_more


MUTANTS = [CopperDeepCursorRepeatsOne, CopperDeepLastMaxPageTruncated]
