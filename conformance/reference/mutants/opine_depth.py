"""Opine mutants whose bug shows only deep in a large collection (past offset 1,000). Each seeds
``DEPTH_TICKETS`` tickets by default, so the self-test meets the bug where it lives."""

from conformance.reference.opine.store import OpineStore

DEPTH_TICKETS = 3000


class OpineDeepOffsetSkipsOne(OpineStore):
    """A page at an offset past 1,000 starts one ticket late (one ticket is never listed)."""

    catches = "offset_walk_is_complete_and_stable"

    def __init__(self, seed=0, tickets=None, **kwargs):
        super().__init__(seed, DEPTH_TICKETS if tickets is None else tickets, **kwargs)

    def _page(self, tickets, offset, limit):
        return super()._page(tickets, offset + 1 if offset > 1000 else offset, limit)


MUTANTS = [OpineDeepOffsetSkipsOne]
