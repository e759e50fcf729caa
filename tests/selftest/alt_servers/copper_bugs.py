"""Planted bugs for the independent Copper server: one ``TicketStore`` subclass per bug, one seam each.

Each names in ``catches`` the check(s) that must catch it (tests/selftest/test_alt_copper.py runs it
with only those checks); ``config`` is the correct configuration it is planted in.
"""

from __future__ import annotations

import dataclasses
import random
import re
import threading
import unicodedata
from datetime import datetime, timedelta
from fractions import Fraction

from alt_servers.copper_alt import MAX_LIMIT, AltConfig, ApiError, TicketStore

# Two correct configurations some bugs are planted in (test_alt_copper.py also runs them clean).
UNIX_NESTED_STRICT = AltConfig(
    created_format="unix", error_envelope="nested", bad_param_status=422, unknown_id_status=400,
    missing_key_status=403, wrong_key_status=403, limit_over_max="reject", both_cursors="starting_after_wins",
    unknown_cursor="empty", unknown_location="404", tie_order="id_desc", search_match="icase_substring",
    naive_created="reject", date_only="reject", extra_fields=True, optional_fields="null", id_format="short",
    content_type="application/json; charset=utf-8", seed=11)
ISO_OFFSET_STRIPEISH = AltConfig(
    created_format="iso_offset", unknown_cursor="404", tie_order="insertion", search_match="prefix",
    unix_filter="accept", id_format="bare", ensure_ascii=False, reject_unknown_params=True,
    null_references=True, seed=12)


class Bug(TicketStore):
    """Base of the planted bugs (not a bug itself)."""

    catches: tuple[str, ...] = ()
    config = AltConfig()


class GtInclusive(Bug):
    """created[gt] behaves like created[gte]."""
    catches = ("created_gt_is_exclusive",)
    config = ISO_OFFSET_STRIPEISH

    def _matches_created(self, t, bounds):
        if "gt" in bounds and self._created_seconds(t) == bounds["gt"]:
            bounds = {k: v for k, v in bounds.items() if k != "gt"}
        return super()._matches_created(t, bounds)


class LteExclusive(Bug):
    """created[lte] behaves like created[lt]."""
    catches = ("created_lte_is_inclusive",)

    def _matches_created(self, t, bounds):
        if "lte" in bounds:
            bounds = dict(bounds)
            lte = bounds.pop("lte")
            bounds["lt"] = min(lte, bounds.get("lt", lte))
        return super()._matches_created(t, bounds)


class TiesDroppedAfterCursor(Bug):
    """starting_after selects created < cursor.created, dropping the cursor's same-ms siblings."""
    catches = ("cursor_after_a_tie_keeps_its_siblings",)
    config = UNIX_NESTED_STRICT

    def _after(self, items, cursor_idx):
        c = self.ordered[cursor_idx].created_ms
        return [t for t in items if t.created_ms < c]


class StartingAfterInclusive(Bug):
    """starting_after repeats the cursor item at the top of the next page."""
    catches = ("pages_do_not_overlap",)

    def _after(self, items, cursor_idx):
        return [t for t in items if self.index[t.id] >= cursor_idx]


class HasMoreWhenPageFull(Bug):
    """has_more = (page is full): wrong when the last page is exactly full."""
    catches = ("has_more_is_truthful",)
    config = AltConfig(ticket_count=300, seed=21)

    def _page_forward(self, rest, limit):
        page = rest[:limit]
        return page, len(page) == limit


class HasMoreFalseEarly(Bug):
    """has_more is false on the second-to-last page of a walk (off by one in the look-ahead)."""
    catches = ("has_more_is_truthful",)

    def _page_forward(self, rest, limit):
        return rest[:limit], len(rest) > 2 * limit - 1 if len(rest) > limit else False


class EndingBeforeWrongSlice(Bug):
    """ending_before returns the newest `limit` items before the cursor instead of the nearest ones."""
    catches = ("ending_before_returns_the_preceding_page",)
    config = AltConfig(tie_order="id_desc", error_envelope="nested", seed=22)

    def _page_backward(self, rest, limit):
        return rest[:limit], len(rest) > limit


class LocationIgnoredAfterFirstPage(Bug):
    """The location filter is dropped once a cursor is given."""
    catches = ("filters_apply_on_every_page",)
    config = AltConfig(unknown_location="404", created_format="iso_python", seed=23)

    def _matches_location(self, t, location, *, after_cursor):
        return after_cursor or super()._matches_location(t, location, after_cursor=after_cursor)


class SearchHasMoreAfterFilter(Bug):
    """has_more is computed on the post-hoc filtered page (a short filtered page says no more)."""
    catches = ("search_walk_finds_every_match",)
    config = AltConfig(search_match="icase_substring", tie_order="insertion", seed=24)

    def _has_more_after_search(self, db_page, shown, db_more, limit):
        return db_more and len(shown) == limit


class DefaultLimit20(Bug):
    """Without limit, 20 items come back instead of the documented 10."""
    catches = ("default_limit_is_10",)
    config = AltConfig(created_format="unix", seed=25)

    default_limit = 20


class LimitNotCapped(Bug):
    """limit above 100 is honoured (returns up to 150 items)."""
    catches = ("limit_above_max_is_capped",)

    def parse_limit(self, raw):
        if raw is not None and re.fullmatch(r"[0-9]+", raw) and 100 < int(raw) <= 1000:
            return int(raw)
        return super().parse_limit(raw)


class OffsetIgnored(Bug):
    """UTC offsets in created bounds are ignored: the wall-clock time is read as UTC."""
    catches = ("created_offsets_name_the_same_instant",)
    config = AltConfig(created_format="iso_local", naive_created="reject", seed=26)

    def _offset(self, tz, raw, param):
        super()._offset(tz, raw, param)
        return timedelta(0)


class SubSecondIgnored(Bug):
    """Fractional seconds in created bounds are dropped (bounds truncated to whole seconds)."""
    catches = ("created_precision_is_read_exactly", "created_gt_is_exclusive")

    def parse_instant(self, raw, param):
        v = super().parse_instant(raw, param)
        return Fraction(v.numerator // v.denominator)


class RetrieveCreatedTruncated(Bug):
    """Retrieve renders created truncated to whole seconds; list keeps milliseconds."""
    catches = ("retrieve_matches_list_item",)

    def render_retrieved(self, t):
        out = self.render(t)
        out["created"] = self.render_created(t.created_ms // 1000 * 1000)
        return out


class RetrieveReferenceNFD(Bug):
    """Retrieve returns the reference in Unicode NFD (decomposed); list returns NFC."""
    catches = ("retrieve_matches_list_item",)
    config = AltConfig(extra_fields=True, seed=27)

    def render_retrieved(self, t):
        out = self.render(t)
        if isinstance(out.get("reference"), str):
            out["reference"] = unicodedata.normalize("NFD", out["reference"])
        return out


class UnknownId200(Bug):
    """An unknown ticket id answers 200 with an empty ticket shell."""
    catches = ("unknown_id_is_refused",)
    config = AltConfig(unknown_id_status=400, error_envelope="nested", seed=28)

    def unknown_id(self, ticket_id):
        return {"id": ticket_id, "object": "ticket", "reference": None, "created": None, "location": None}


class WrongKeyAccepted(Bug):
    """Any non-empty key is accepted (only a missing key is refused)."""
    catches = ("wrong_key_is_refused",)

    accepts_any_key = True


class TieOrderUnstable(Bug):
    """Tie order among equal created values is reshuffled on every list request (cursors follow it)."""
    catches = ("tie_order_is_consistent",)

    _lock = threading.Lock()

    def list(self, params):
        with self._lock:   # seeded: unstable from request to request, the same from run to run
            rng = self.__dict__.setdefault("_rng", random.Random(5))
            shuffled = {t.id: rng.random() for t in self.tickets}
            self.ordered = sorted(self.tickets, key=lambda t: (-t.created_ms, shuffled[t.id]))
            self.index = {t.id: i for i, t in enumerate(self.ordered)}
            return super().list(params)


class UnknownLocationIgnored(Bug):
    """A location no ticket has is ignored: the whole list comes back."""
    catches = ("location_filter_selects_exactly_that_location",)

    def _matches_location(self, t, location, *, after_cursor):
        return location not in self.locations or super()._matches_location(t, location, after_cursor=after_cursor)


class RetrieveSkipsAuth(Bug):
    """GET /tickets/{id} answers without a key (only the list checks it)."""
    catches = ("missing_key_is_refused",)

    retrieve_skips_auth = True


class HasMoreIgnoresFilters(Bug):
    """has_more is computed on the unfiltered list: the last page of a filtered walk says true."""
    catches = ("location_filter_selects_exactly_that_location", "created_gte_is_inclusive")
    config = AltConfig(seed=31)

    def list(self, params):
        out = super().list(params)
        if not out["has_more"] and out["data"] and any(k in params for k in ("location", "created[gt]", "created[gte]",
                                                                              "created[lt]", "created[lte]")):
            last = out["data"][-1]["id"]
            out["has_more"] = self.index[last] < len(self.ordered) - 1
        return out


class OffsetMinutesIgnored(Bug):
    """Only the hours of a UTC offset count (+05:30 is read as +05:00)."""
    catches = ("created_offsets_name_the_same_instant",)

    def _offset(self, tz, raw, param):
        off = super()._offset(tz, raw, param)
        return timedelta(hours=int(off.total_seconds() / 3600))


class NegativeOffsetSignFlipped(Bug):
    """A negative UTC offset is applied with the wrong sign (-05:00 read as +05:00)."""
    catches = ("created_offsets_name_the_same_instant",)

    def _offset(self, tz, raw, param):
        off = super()._offset(tz, raw, param)
        return -off if off < timedelta(0) else off


class OffsetsRejected(Bug):
    """Only Z is accepted as a UTC designator; +hh:mm offsets are refused with a 400."""
    catches = ("created_accepts_utc_offsets",)

    def _offset(self, tz, raw, param):
        if tz not in (None, "Z", "z"):
            raise self._bad(f"{param}: only UTC (Z) timestamps are supported", param)
        return super()._offset(tz, raw, param)


class GtDroppedWithGte(Bug):
    """When created[gt] and created[gte] are both sent, only created[gte] is applied."""
    catches = ("created_range_combines_bounds",)

    def _matches_created(self, t, bounds):
        if "gt" in bounds and "gte" in bounds:
            bounds = {k: v for k, v in bounds.items() if k != "gt"}
        return super()._matches_created(t, bounds)


class LimitMaxOffByOne(Bug):
    """limit=100 returns 99 items (the cap is applied as < 100)."""
    catches = ("limit_is_honoured",)
    config = AltConfig(seed=32)

    def parse_limit(self, raw):
        return min(super().parse_limit(raw), MAX_LIMIT - 1)


class LimitCappedAt50(Bug):
    """limit is silently capped at 50 instead of 100."""
    catches = ("limit_is_honoured",)

    def parse_limit(self, raw):
        return min(super().parse_limit(raw), 50)


class EndingBeforeIgnoresLocation(Bug):
    """ending_before pages ignore the location filter."""
    catches = ("filters_apply_on_every_page",)
    config = AltConfig(seed=33)

    def _before(self, items, cursor_idx):
        return [t for t in self.ordered if self.index[t.id] < cursor_idx]


class LastCursorErrors(Bug):
    """starting_after the very last ticket answers 404 instead of an empty page."""
    catches = ("cursor_navigation_matches_model",)

    def _after(self, items, cursor_idx):
        if cursor_idx == len(self.ordered) - 1:
            raise ApiError(404, "invalid_request_error", "No more tickets", "starting_after")
        return super()._after(items, cursor_idx)


class RenderMsUnpadded(Bug):
    """created renders milliseconds without zero padding (…:05.7Z for 7 ms)."""
    catches = ("created_gt_is_exclusive", "created_lt_is_exclusive")

    def render_created(self, created_ms):
        text = super().render_created(created_ms)
        if isinstance(text, str) and created_ms % 1000 < 100:
            head, _, tail = text.rpartition(".")
            return f"{head}.{created_ms % 1000}{tail[3:]}"
        return text


class UnixRoundedStoredMs(Bug):
    """Stores milliseconds but renders created as unix seconds rounded to the nearest second."""
    catches = ("created_gt_is_exclusive", "created_lte_is_inclusive", "created_precision_is_read_exactly",
               "created_display_agrees_with_filters")
    config = AltConfig(created_format="unix")

    def __init__(self, cfg):
        super().__init__(dataclasses.replace(cfg, created_format="iso_ms"))
        self.cfg = cfg

    def render_created(self, created_ms):
        return (created_ms + 500) // 1000


class SearchIgnoredWithCursor(Bug):
    """search_query is dropped on pages after the first (when a cursor is given)."""
    catches = ("search_results_match_the_query",)

    def _matches_search(self, t, q):
        return self._cursor_given or super()._matches_search(t, q)

    def list(self, params):
        self._cursor_given = "starting_after" in params or "ending_before" in params
        return super().list(params)


class CreatedIgnoredWithCursor(Bug):
    """created bounds are dropped once a cursor is given."""
    catches = ("filters_apply_on_every_page",)

    def list(self, params):
        if "starting_after" in params or "ending_before" in params:
            params = {k: v for k, v in params.items() if not k.startswith("created[")}
        return super().list(params)


class RetrieveMetadataDiffers(Bug):
    """Retrieve returns metadata as {} (list returns the real metadata)."""
    catches = ("retrieve_matches_list_item",)
    config = AltConfig(extra_fields=True)

    def render_retrieved(self, t):
        out = self.render(t)
        if "metadata" in out:
            out["metadata"] = {}
        return out


class RetrieveTieSiblingSwap(Bug):
    """Retrieving a ticket that shares its created ms with others returns one of its siblings' reference."""
    catches = ("retrieve_matches_list_item",)

    def render_retrieved(self, t):
        out = self.render(t)
        siblings = [o for o in self.ordered if o.created_ms == t.created_ms and o.id != t.id]
        if siblings:
            out["reference"] = siblings[0].reference
        return out


class CursorOffByOneAfterTie(Bug):
    """starting_after a ticket that ends a tie group skips the next ticket."""
    catches = ("walk_reaches_every_ticket",)

    def _after(self, items, cursor_idx):
        rest = super()._after(items, cursor_idx)
        c = self.ordered[cursor_idx]
        nxt = self.ordered[cursor_idx + 1] if cursor_idx + 1 < len(self.ordered) else None
        prev = self.ordered[cursor_idx - 1] if cursor_idx > 0 else None
        if prev is not None and prev.created_ms == c.created_ms and (nxt is None or nxt.created_ms != c.created_ms):
            return rest[1:]
        return rest


class EndingBeforeHasMoreAlwaysFalse(Bug):
    """ending_before pages always say has_more false."""
    catches = ("ending_before_has_more_is_truthful",)

    def _page_backward(self, rest, limit):
        page, _ = super()._page_backward(rest, limit)
        return page, False


class LteDateOnlyEndOfDay(Bug):
    """A date-only created[lt] is read as the end of that day (lt 2024-03-16 includes the 16th)."""
    catches = ("created_date_only_matches_midnight",)

    def list(self, params):
        v = params.get("created[lt]")
        if v and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            params = dict(params)
            params["created[lt]"] = (datetime.fromisoformat(v) + timedelta(days=1)).date().isoformat()
        return super().list(params)


class LimitMaxRejected(Bug):
    """limit=100 (the documented maximum) is refused: the bound check is off by one."""
    catches = ("walk_reaches_every_ticket",)

    def parse_limit(self, raw):
        if raw is not None and raw.isdigit() and int(raw) == MAX_LIMIT:
            raise self._bad(f"limit must be less than {MAX_LIMIT}", "limit")
        return super().parse_limit(raw)


class LteWholeSecondCoversTheSecond(Bug):
    """A created[lte] bound written without a fraction covers its whole second (lte 12:00:00 keeps 12:00:00.5)."""
    catches = ("created_lte_is_inclusive", "created_precision_is_read_exactly")

    def list(self, params):
        v = params.get("created[lte]")
        if v and re.fullmatch(r".*T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?", v):
            params = dict(params)
            params["created[lte]"] = re.sub(r"(T\d{2}:\d{2}:\d{2})", r"\1.999999", v)
        return super().list(params)


class SortBySecond(Bug):
    """The list is sorted by created truncated to the second, ties (within a second) by id."""
    catches = ("list_is_newest_first",)

    def _order_key(self, t):
        return (-(t.created_ms // 1000), t.id)


class EndingBeforeReversed(Bug):
    """ending_before returns the right items, oldest first."""
    catches = ("ending_before_returns_the_preceding_page",)

    def _page_backward(self, rest, limit):
        page, more = super()._page_backward(rest, limit)
        return page[::-1], more


class LocationPrefixMatch(Bug):
    """location matches as a prefix (LIKE 'value%')."""
    catches = ("location_filter_selects_exactly_that_location",)

    def _matches_location(self, t, location, *, after_cursor):
        return location is None or t.location.startswith(location)

    def list(self, params):
        loc = params.get("location")
        if loc is not None and loc not in self.locations and any(l.startswith(loc) for l in self.locations):
            params = dict(params)
            self.locations = self.locations | {loc}
        return super().list(params)


class UnknownCursor500(Bug):
    """An unknown cursor id crashes (500)."""
    catches = ("malformed_parameters_never_cause_server_errors",)

    def _cursor_index(self, cursor, param):
        if cursor not in self.index:
            raise ApiError(500, "api_error", "internal error")
        return super()._cursor_index(cursor, param)


class UnknownCursorIgnored(Bug):
    """An unknown cursor id is ignored: the first page comes back."""
    catches = ("unknown_cursor_is_refused",)

    def _cursor_index(self, cursor, param):
        return self.index.get(cursor, -1)


class BadLimit500(Bug):
    """A non-integer limit crashes (500)."""
    catches = ("malformed_parameters_never_cause_server_errors",)
    config = AltConfig(seed=34)

    def parse_limit(self, raw):
        if raw is not None and not raw.lstrip("-").isdigit():
            raise ApiError(500, "api_error", "internal error")
        return super().parse_limit(raw)


class BothCursors500(Bug):
    """Both cursors at once crash (500)."""
    catches = ("list_responses_match_spec",)

    def list(self, params):
        if "starting_after" in params and "ending_before" in params:
            raise ApiError(500, "api_error", "internal error")
        return super().list(params)


class UnknownLocation500(Bug):
    """A location no ticket has crashes (500)."""
    catches = ("malformed_parameters_never_cause_server_errors",)

    def list(self, params):
        if "location" in params and params["location"] not in self.locations:
            raise ApiError(500, "api_error", "internal error")
        return super().list(params)


class HasMoreAsString(Bug):
    """has_more is rendered as the string "true"/"false"."""
    catches = ("list_responses_match_spec",)

    def _envelope(self, data, more):
        return {"object": "list", "data": data, "has_more": "true" if more else "false"}


class EnvelopeObjectTickets(Bug):
    """The list envelope says object: "tickets" instead of "list"."""
    catches = ("list_responses_match_spec",)

    def _envelope(self, data, more):
        return {"object": "tickets", "data": data, "has_more": more}


class RetrieveListEnvelope(Bug):
    """Retrieve wraps the ticket in a list envelope."""
    catches = ("retrieve_responses_match_spec",)
    config = AltConfig(created_format="unix", seed=43)

    def render_retrieved(self, t):
        return {"object": "list", "data": [self.render(t)], "has_more": False}


class AfterLastGivesFirstPage(Bug):
    """starting_after the last ticket of the list answers the first page again."""
    catches = ("cursor_navigation_matches_model",)
    config = AltConfig(unknown_cursor="empty", seed=44)

    def _after(self, items, cursor_idx):
        if cursor_idx == len(self.ordered) - 1:
            return list(items)
        return super()._after(items, cursor_idx)


class EndingBeforeLimit1Empty(Bug):
    """ending_before with limit=1 returns an empty page (the slice is off by one)."""
    catches = ("ending_before_returns_the_preceding_page",)
    config = AltConfig(tie_order="insertion", seed=45)

    def _page_backward(self, rest, limit):
        if limit == 1:
            return [], len(rest) > 0
        return super()._page_backward(rest, limit)


class GteIgnoredWithLocation(Bug):
    """created[gte] is dropped when location is also given."""
    catches = ("filters_apply_on_every_page", "filters_combine_as_intersection")
    config = AltConfig(seed=46)

    def list(self, params):
        if "location" in params and "created[gte]" in params:
            params = {k: v for k, v in params.items() if k != "created[gte]"}
        return super().list(params)


class LtBoundReadMinus5(Bug):
    """created[lt] is read in the server's zone (UTC-5) even when the bound says Z."""
    catches = ("created_lt_is_exclusive",)
    config = AltConfig(created_format="iso_offset", seed=47)

    def _matches_created(self, t, bounds):
        if "lt" in bounds:
            bounds = dict(bounds)
            bounds["lt"] = bounds["lt"] + 5 * 3600
        return super()._matches_created(t, bounds)


class Limit100With99WhenFiltered(Bug):
    """limit=100 returns 99 items when a location or created filter is given."""
    catches = ("created_gt_is_exclusive", "created_precision_is_read_exactly")
    config = AltConfig(seed=48)

    def list(self, params):
        if params.get("limit") == "100" and any(k == "location" or k.startswith("created[") for k in params):
            params = dict(params, limit="99")
        return super().list(params)


class HasMoreTrueOnFilteredCursorEnd(Bug):
    """On a filtered walk, pages after a cursor say has_more true when the database has more (unfiltered) rows."""
    catches = ("filters_apply_on_every_page",)
    config = AltConfig(seed=49)

    def list(self, params):
        out = super().list(params)
        if ("starting_after" in params and not out["has_more"] and out["data"]
                and any(k == "location" or k.startswith("created[") for k in params)):
            out["has_more"] = self.index[out["data"][-1]["id"]] < len(self.ordered) - 1
        return out


class SearchIgnoredWithEndingBefore(Bug):
    """search_query is ignored under ending_before."""
    catches = ("search_results_match_the_query",)
    config = AltConfig(search_match="icase_substring", seed=50)

    def list(self, params):
        if "ending_before" in params:
            params = {k: v for k, v in params.items() if k != "search_query"}
        return super().list(params)


class RetrieveNonAsciiMojibake(Bug):
    """Retrieve returns non-ASCII references as UTF-8 bytes read as Latin-1 (mojibake)."""
    catches = ("retrieve_matches_list_item",)
    config = AltConfig(ensure_ascii=False, seed=51)

    def render_retrieved(self, t):
        out = self.render(t)
        if isinstance(out.get("reference"), str):
            out["reference"] = out["reference"].encode("utf-8").decode("latin-1")
        return out


class DefaultLimit11AfterCursor(Bug):
    """Without limit, pages after a cursor hold 11 tickets (the first page holds 10)."""
    catches = ("default_limit_is_10",)
    config = AltConfig(seed=52)

    def list(self, params):
        if "limit" not in params and ("starting_after" in params or "ending_before" in params):
            params = dict(params, limit="11")
        return super().list(params)


class DefaultLimitTiesDropped(Bug):
    """Without limit, starting_after drops the cursor's same-ms siblings (a keyset on created alone)."""
    catches = ("walk_reaches_every_ticket",)
    config = AltConfig(bulk_tie=6, seed=53)

    def list(self, params):
        self._default = "limit" not in params
        return super().list(params)

    def _after(self, items, cursor_idx):
        if getattr(self, "_default", False):
            c = self.ordered[cursor_idx].created_ms
            return [t for t in items if t.created_ms < c]
        return super()._after(items, cursor_idx)


class TicketObjectWrong(Bug):
    """Tickets carry object: "list" (copied from the envelope)."""
    catches = ("list_responses_match_spec", "ticket_object_names_one_kind")

    def render(self, t):
        out = super().render(t)
        out["object"] = "list"
        return out


class HasMoreWhenPageFullOn297(HasMoreWhenPageFull):
    """has_more = (page is full), on 297 tickets: the last page of a limit-99 walk is exactly full."""
    catches = ("has_more_is_truthful",)
    config = AltConfig(ticket_count=297, seed=21)


class MalformedLimitServesMaximum(Bug):
    """A limit that is no integer (abc, 1.5) is served as the maximum, 100 tickets, not refused or ignored."""
    catches = ("invalid_parameters_are_refused_or_ignored",)

    def parse_limit(self, raw):
        if raw is not None and not re.fullmatch(r"[0-9]+", raw):
            return MAX_LIMIT
        return super().parse_limit(raw)


def all_bugs() -> list[type[Bug]]:
    """Every planted bug (every subclass of Bug, at any depth)."""
    found: list[type[Bug]] = []
    todo = list(Bug.__subclasses__())
    while todo:
        cls = todo.pop(0)
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found
