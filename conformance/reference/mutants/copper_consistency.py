"""Copper mutants for the consistency checks (retrieve vs list, unknown ids, repeated queries)."""

import itertools

from conformance.reference.copper import CopperError, CopperStore


class CopperRetrieveAmountDiffers(CopperStore):
    """Retrieve renders the amount one minor unit higher than the list does."""

    catches = "retrieve_matches_list_item"

    def _render_retrieved(self, ticket):
        rendered = self._render(ticket)
        rendered["amount"] = rendered["amount"] + 1
        return rendered


class CopperTicketObjectIsList(CopperStore):
    """Listed tickets carry object: "list" (copied from the envelope) instead of their own kind."""

    catches = "ticket_object_names_one_kind"

    def _render(self, ticket):
        rendered = super()._render(ticket)
        rendered["object"] = "list"
        return rendered


class CopperRetrieveDropsLocation(CopperStore):
    """Retrieve leaves out the location the list item carries."""

    catches = "retrieve_matches_list_item"

    def _render_retrieved(self, ticket):
        rendered = self._render(ticket)
        del rendered["location"]
        return rendered


class CopperUnknownIdReturnsATicket(CopperStore):
    """Retrieving an unknown id answers 200 with the newest ticket."""

    catches = "unknown_id_is_refused"

    def _missing(self, ticket_id):
        return self._render(self.tickets[0])


class CopperUnknownIdLeaksATicket(CopperStore):
    """Refuses an unknown id with 404, but the error body suggests the newest ticket, in full."""

    catches = "unknown_id_is_refused"

    def _missing(self, ticket_id):
        try:
            super()._missing(ticket_id)
        except CopperError as err:
            raise CopperError(err.status, {**err.body, "did_you_mean": self._render(self.tickets[0])}) from None


class CopperTieOrderFlipsPerRequest(CopperStore):
    """Every other request breaks created ties by ascending id: the same query gets two answers."""

    catches = "same_query_same_answer"

    def _ordered(self, tickets):
        ordered = super()._ordered(tickets)
        served = self.__dict__.setdefault("_served", itertools.count())  # per store, from 0: deterministic
        return ordered if next(served) % 2 else _ties_reversed(ordered)


class CopperRepeatedQueryFlipsTies(CopperStore):
    """The query just asked, asked again at once (a retry, a double fetch), breaks created ties by
    ascending id: the second answer differs, while no walk (which never repeats a query) sees it."""

    catches = "same_query_same_answer"

    def _filtered(self, ordered, params):
        key = repr(params)
        repeated = self.__dict__.get("_last_query") == key  # per store: deterministic
        self.__dict__["_last_query"] = key
        filtered = super()._filtered(ordered, params)
        return _ties_reversed(filtered) if repeated else filtered


def _ties_reversed(ordered):
    """Each run of equal created instants reversed in place: a different, internally valid tie order."""
    out, run = [], []
    for t in ordered:
        if run and run[-1].created_ms != t.created_ms:
            out += reversed(run)
            run = []
        run.append(t)
    return out + list(reversed(run))


MUTANTS = [CopperRetrieveAmountDiffers, CopperTicketObjectIsList, CopperRetrieveDropsLocation, CopperUnknownIdReturnsATicket,
           CopperUnknownIdLeaksATicket, CopperTieOrderFlipsPerRequest,
           CopperRepeatedQueryFlipsTies]
