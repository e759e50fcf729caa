"""Planted bugs for the independent Opine server: one ``Store`` subclass per bug, one seam each.

Each names in ``catches`` the check(s) that must catch it (tests/selftest/test_alt_opine.py runs it
with only those checks); ``config`` is the correct configuration it is planted in.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from typing import Any

from alt_servers.opine_alt import PENDING, UTC, ApiError, OpineAltConfig, Store, Ticket, _RawDate


class Bug(Store):
    """Base of the planted bugs (not a bug itself)."""

    catches: tuple[str, ...] = ()
    config = OpineAltConfig()


# -- pagination --------------------------------------------------------------------------------

class TotalIsPageSize(Bug):
    """totalCount counts only the items of the page."""
    catches = ("total_count_is_the_collection_size",)

    def total(self, ts, page):
        return len(page)


class TotalExcludesClosed(Bug):
    """totalCount does not count CLOSED tickets (the items still include them)."""
    catches = ("total_count_is_the_collection_size",)

    def total(self, ts, page):
        return sum(1 for t in ts if t.state != "CLOSED")


class TotalExcludesCreated(Bug):
    """totalCount counts only the seeded tickets, not API-created ones."""
    catches = ("created_ticket_is_listed", "offset_past_the_end_is_empty")

    def total(self, ts, page):
        return sum(1 for t in ts if t.id < self._first_api_id)


class TotalStaleAfterCreate(Bug):
    """totalCount is cached and not refreshed when a ticket is created."""
    catches = ("created_ticket_is_listed", "offset_past_the_end_is_empty")

    def total(self, ts, page):
        if not hasattr(self, "_total_cache"):
            self._total_cache = len(ts)
        return self._total_cache


class OffsetOffByOne(Bug):
    """A page starts at offset + 1 when offset > 0."""
    catches = ("offset_walk_is_complete_and_stable", "offset_page_size_is_exact")

    def page(self, ts, offset, limit):
        return super().page(ts, offset + 1 if offset > 0 else offset, limit)


class SilentCap100(Bug):
    """Pages are silently capped at 100 items while echoing the limit asked."""
    catches = ("offset_page_size_is_exact",)

    def page(self, ts, offset, limit):
        return super().page(ts, offset, min(limit, 100))


class LimitAsEnd(Bug):
    """A page is items[offset:limit] (limit read as an end index, not a size)."""
    catches = ("offset_page_size_is_exact",)

    def page(self, ts, offset, limit):
        return ts[offset:limit]


class NegativeOffsetFromEnd(Bug):
    """A negative offset is used as a Python slice start (reads from the end)."""
    catches = ("negative_offset_is_rejected",)

    def check_offset(self, offset):
        return offset


class Limit1000Rejected(Bug):
    """limit=1000 (the documented maximum) is refused as too big."""
    catches = ("offset_walk_is_complete_and_stable",)

    def check_limit(self, limit):
        if limit == 1000:
            raise self.validation([{"code": "too_big", "path": ["limit"], "maximum": 999,
                                    "message": "Number must be less than 1000"}])
        return super().check_limit(limit)


class LimitOverMaxServed(Bug):
    """limit above 1000 is served as asked (no cap)."""
    catches = ("clamped_limit_is_echoed_as_applied",)

    def check_limit(self, limit):
        return limit if limit > 1000 else super().check_limit(limit)


class DefaultLimit50(Bug):
    """The default limit is 50 (and echoed as 50)."""
    catches = ("offset_default_limit_is_documented",)
    default_limit = 50


class NoOffsetSkipsFirst(Bug):
    """Without an offset parameter the page starts at the second ticket."""
    catches = ("offset_defaults_to_0",)
    default_offset = 1


class OffsetEchoZero(Bug):
    """The envelope always echoes offset 0."""
    catches = ("limit_and_offset_are_echoed",)

    def envelope(self, items, limit, offset, total):
        return super().envelope(items, limit, 0, total)


class UnstableTies(Bug):
    """Tickets with equal createdAt come in a different order on every request."""
    catches = ("offset_walk_is_complete_and_stable",)
    config = OpineAltConfig(order="newest_first")

    def ordered(self):
        ts = list(self.tickets.values())
        self.__dict__.setdefault("_rng", random.Random(7)).shuffle(ts)
        ts.sort(key=lambda t: t.created_at, reverse=True)
        return ts


# -- auth and status codes ---------------------------------------------------------------------

class WrongKeyAccepted(Bug):
    """Any non-empty API key is accepted."""
    catches = ("wrong_key_is_refused",)

    def key_ok(self, key):
        return bool(key)


class MissingKeyAccepted(Bug):
    """A request without X-API-Key is served (a wrong key is refused)."""
    catches = ("missing_key_is_refused",)

    def key_ok(self, key):
        return key is None or super().key_ok(key)


class UnauthPutApplies(Bug):
    """A PUT with a wrong key is applied before it is refused with 401."""
    catches = ("unauthenticated_writes_are_refused",)

    def refused(self, method, ticket_id, body, key):
        if method == "PUT" and ticket_id and key:
            try:
                self.update(ticket_id, body)
            except ApiError:
                pass


class CreateReturns200(Bug):
    """POST answers 200 instead of the documented 201."""
    catches = ("create_responses_match_spec",)
    create_status = 200


class PutReturns201(Bug):
    """PUT answers 201 instead of the documented 200."""
    catches = ("update_responses_match_spec",)
    update_status = 201


class Validation500(Bug):
    """An unknown enum value on create answers 500 (and creates nothing)."""
    catches = ("unknown_enum_values_are_rejected",)

    def refuse_create(self, issues):
        if any(i["code"] == "invalid_enum_value" for i in issues):
            return ApiError(500, {"error": "Internal server error"})
        return super().refuse_create(issues)


class UnknownIdUpserts(Bug):
    """PUT of an unknown id creates the ticket."""
    catches = ("unknown_id_update_is_refused",)

    def unknown_ticket(self, raw_id, body):
        if raw_id.isdigit() and isinstance(body, dict):
            return self.create(dict({"title": "untitled", "type": "BUG", "state": "OPEN"}, **body))
        return super().unknown_ticket(raw_id, body)


# -- validation --------------------------------------------------------------------------------

class TitleMax255(Bug):
    """A 256-character title is rejected."""
    catches = ("title_length_is_enforced",)

    def title_bounds(self, create):
        return 1, 255


class Title256UpdateRejected(Bug):
    """A 256-character title is accepted on create but refused on update."""
    catches = ("title_length_is_enforced",)

    def title_bounds(self, create):
        return 1, 256 if create else 255


class EmptyTitleAccepted(Bug):
    """An empty title is accepted."""
    catches = ("title_length_is_enforced",)

    def title_bounds(self, create):
        return 0, 256


class TitleBytes(Bug):
    """The title maximum is counted in UTF-8 bytes (256 non-ASCII characters are refused)."""
    catches = ("title_length_is_enforced",)

    def title_len(self, s):
        return len(s.encode("utf-8"))


class TitleNullClears(Bug):
    """title: null on PUT is accepted and stores an empty title."""
    catches = ("required_fields_cannot_be_null",)

    def parse_title(self, value, create):
        if value is None and not create:
            return "", None
        return super().parse_title(value, create)


class EnumCaseInsensitive(Bug):
    """type/state/priority accepted in any case and stored as sent."""
    catches = ("unknown_enum_values_are_rejected",)

    def check_enum(self, value, allowed, path):
        if isinstance(value, str) and value.upper() in allowed:
            return value, None
        return super().check_enum(value, allowed, path)


class PutSkipsEnumValidation(Bug):
    """PUT stores any string for type/state (POST validates)."""
    catches = ("unknown_enum_values_are_rejected",)

    def check_enum(self, value, allowed, path):
        if not self._creating and path in (["type"], ["state"]) and isinstance(value, str):
            return value, None
        return super().check_enum(value, allowed, path)


def _refuse_value(store: Store, refused: str, value: Any, allowed: tuple[str, ...], path: list[Any]):
    """check_enum with one documented value missing from the allowed set."""
    if value == refused:
        allowed = tuple(a for a in allowed if a != refused)
    return Store.check_enum(store, value, allowed, path)


class RejectsCustom5(Bug):
    """type CUSTOM_5 (documented) is refused."""
    catches = ("documented_enum_values_are_accepted",)

    def check_enum(self, value, allowed, path):
        return _refuse_value(self, "CUSTOM_5", value, allowed, path)


class PriorityNiceRejected(Bug):
    """Deal priority NICE_TO_HAVE (documented) is refused."""
    catches = ("documented_enum_values_are_accepted",)

    def check_enum(self, value, allowed, path):
        return _refuse_value(self, "NICE_TO_HAVE", value, allowed, path)


class DeferredRejectedOnPut(Bug):
    """State DEFERRED (documented) is refused on PUT."""
    catches = ("documented_enum_values_are_accepted",)

    def check_enum(self, value, allowed, path):
        if self._creating:
            return super().check_enum(value, allowed, path)
        return _refuse_value(self, "DEFERRED", value, allowed, path)


class ClosedRejectedOnCreate(Bug):
    """State CLOSED (documented) is refused on POST."""
    catches = ("documented_enum_values_are_accepted",)

    def check_enum(self, value, allowed, path):
        if not self._creating:
            return super().check_enum(value, allowed, path)
        return _refuse_value(self, "CLOSED", value, allowed, path)


class PriorityNotValidated(Bug):
    """A deal link's priority is not validated (any string is stored)."""
    catches = ("unknown_enum_values_are_rejected",)

    def parse_priority(self, prio, delete, path):
        if isinstance(prio, str):
            return prio, None
        return super().parse_priority(prio, delete, path)


class SlateRejected(Bug):
    """A Slate array description is refused (only markdown strings accepted)."""
    catches = ("values_replace_fields",)

    def description_ok(self, value):
        return not isinstance(value, list) and super().description_ok(value)


class UrlNotValidated(Bug):
    """vendorEntityUrl accepts any string (format: uri not enforced)."""
    catches = ("failed_update_changes_nothing",)

    def url_ok(self, value):
        return True


class DueDateNotValidated(Bug):
    """targetDueDate accepts any string and echoes it back."""
    catches = ("failed_update_changes_nothing",)

    def parse_due_date(self, value, create):
        try:
            return super().parse_due_date(value, create)
        except ValueError:
            return _RawDate(value)


def _as_utc_wall_time(value: str) -> str:
    """The date-time with its UTC offset replaced by Z (the wall time kept)."""
    return re.sub(r"([+-]\d{2}:\d{2}|[zZ])$", "Z", value)


class OffsetDatesWallTime(Bug):
    """A date-time with a UTC offset is stored as if its wall time were UTC."""
    catches = ("offset_dates_are_the_same_instant",)

    def parse_due_date(self, value, create):
        return super().parse_due_date(_as_utc_wall_time(value), create)


class PostOffsetWallTime(Bug):
    """On POST only, a targetDueDate with a UTC offset is stored as its wall time in UTC."""
    catches = ("created_ticket_is_listed",)

    def parse_due_date(self, value, create):
        return super().parse_due_date(_as_utc_wall_time(value) if create else value, create)


class DateSecondsPrecision(Bug):
    """Date-times sent are stored at whole seconds (milliseconds dropped)."""
    catches = ("values_replace_fields", "offset_dates_are_the_same_instant")

    def parse_due_date(self, value, create):
        return super().parse_due_date(value, create).replace(microsecond=0)


# -- applying fields ---------------------------------------------------------------------------

class NullIgnored(Bug):
    """null for targetDueDate is ignored on PUT (the old value stays)."""
    catches = ("null_clears_nullable_fields",)

    def apply_targetDueDate(self, t, value):
        if value is not None:
            super().apply_targetDueDate(t, value)


class DueDateNullEpoch(Bug):
    """targetDueDate: null on PUT stores 1970-01-01T00:00:00Z."""
    catches = ("null_clears_nullable_fields",)

    def apply_targetDueDate(self, t, value):
        super().apply_targetDueDate(t, datetime(1970, 1, 1, tzinfo=UTC) if value is None else value)


class LabelsNullIgnored(Bug):
    """labels: null is ignored on PUT ([] still clears)."""
    catches = ("null_clears_nullable_fields",)

    def apply_labels(self, t, value):
        if value is not None:
            super().apply_labels(t, value)


class LabelsEmptyIgnored(Bug):
    """labels: [] on PUT is ignored (null still clears)."""
    catches = ("null_clears_nullable_fields",)

    def apply_labels(self, t, value):
        if value != []:
            super().apply_labels(t, value)


class LabelsMerged(Bug):
    """Labels sent on PUT are merged into the old ones instead of replacing them."""
    catches = ("values_replace_fields",)

    def apply_labels(self, t, value):
        super().apply_labels(t, t.labels + list(value or []))


class LabelsCaseInsensitive(Bug):
    """Label names are merged case-insensitively ('ux' and 'UX' become one)."""
    catches = ("values_replace_fields",)

    def apply_labels(self, t, value):
        names = list(dict.fromkeys(value or []))
        super().apply_labels(t, list({n.casefold(): n for n in reversed(names)}.values())[::-1])


class PostIgnoresLabels(Bug):
    """Labels sent on POST are dropped."""
    catches = ("created_ticket_is_listed",)

    def apply_labels(self, t, value):
        if not self._creating:
            super().apply_labels(t, value)


class UrlNullIgnored(Bug):
    """vendorEntityUrl: null is ignored on PUT."""
    catches = ("null_clears_nullable_fields",)

    def apply_vendorEntityUrl(self, t, value):
        if value is not None:
            super().apply_vendorEntityUrl(t, value)


class UrlLowercased(Bug):
    """vendorEntityUrl is stored lower-cased."""
    catches = ("values_replace_fields",)

    def apply_vendorEntityUrl(self, t, value):
        super().apply_vendorEntityUrl(t, value.lower() if value else value)


class UrlTrailingSlash(Bug):
    """vendorEntityUrl is stored with a '/' appended when it lacks one."""
    catches = ("values_replace_fields",)

    def apply_vendorEntityUrl(self, t, value):
        super().apply_vendorEntityUrl(t, value + "/" if value and not value.endswith("/") else value)


class CreateIgnoresState(Bug):
    """POST ignores the state sent and creates every ticket OPEN."""
    catches = ("documented_enum_values_are_accepted", "created_ticket_is_listed")

    def apply_state(self, t, value):
        if not self._creating:
            super().apply_state(t, value)


class ClosedAtNeverSet(Bug):
    """closedAt is never set when the state becomes CLOSED (docs silent: a SHOULD finding)."""
    catches = ("closed_at_follows_state",)

    def apply_state(self, t, value):
        t.state = value


class ClosedAtOnAnyChange(Bug):
    """closedAt is stamped on every state change, not only to CLOSED (docs silent: a SHOULD finding)."""
    catches = ("closed_at_follows_state",)

    def apply_state(self, t, value):
        old = t.state
        super().apply_state(t, value)
        if value != old:
            t.closed_at = PENDING


class DealDeleteIgnored(Bug):
    """Deals with delete: true are not unlinked."""
    catches = ("deal_links_follow_updates",)

    def apply_deals(self, t, value):
        super().apply_deals(t, [d for d in value if not d[2]])


class DealPriorityUpdateIgnored(Bug):
    """Re-linking an already linked deal keeps its old priority."""
    catches = ("deal_links_follow_updates",)

    def apply_deals(self, t, value):
        super().apply_deals(t, [d for d in value if d[2] or d[0] not in t.deals])


class AbsentClearsDescription(Bug):
    """A PUT that does not send description clears it."""
    catches = ("absent_fields_are_kept",)

    def apply_update(self, t, changes, body):
        super().apply_update(t, changes, body)
        if "description" not in body:
            t.description = None


class DealsOnlyResetsState(Bug):
    """A PUT that sends only deals also resets state to OPEN."""
    catches = ("deal_links_follow_updates",)

    def apply_update(self, t, changes, body):
        super().apply_update(t, changes, body)
        if set(body) == {"deals"}:
            self.apply_state(t, "OPEN")


class NonAtomicUpdate(Bug):
    """A PUT is applied field by field; a later invalid field leaves earlier ones applied."""
    catches = ("failed_update_changes_nothing",)

    def refused_update(self, t, changes):
        for key, value, ok in changes:
            if not ok:
                break
            self.apply(t, key, value)
        if t.closed_at is PENDING:
            t.closed_at = t.updated_at


class UpdatedAtOnFailedPut(Bug):
    """A refused PUT (validation error) still stamps updatedAt."""
    catches = ("failed_update_changes_nothing",)

    def refused_update(self, t, changes):
        t.updated_at = self.now()


class UpdatedAtFrozen(Bug):
    """updatedAt is not stamped on PUT."""
    catches = ("updated_at_moves_forward",)

    def stamp_updated(self, t):
        pass


class CreatedAtRestamped(Bug):
    """PUT also overwrites createdAt with the update time."""
    catches = ("absent_fields_are_kept",)

    def stamp_updated(self, t):
        super().stamp_updated(t)
        t.created_at = t.updated_at


class PutResponseStale(Bug):
    """PUT answers with the ticket as it was before the update."""
    catches = ("values_replace_fields",)

    def update(self, raw_id, body):
        t = self.lookup(raw_id)
        before = self.render(t) if t is not None else None
        out = super().update(raw_id, body)
        return before if before is not None else out


class DescriptionNotPersisted(Bug):
    """A PUT's description shows in its response but is not stored."""
    catches = ("values_replace_fields",)

    def update(self, raw_id, body):
        t = self.lookup(raw_id)
        kept = t.description if t is not None else None
        out = super().update(raw_id, body)
        if t is not None:
            t.description = kept
        return out


# -- rendering ---------------------------------------------------------------------------------

class DealSumCountsDeleted(Bug):
    """dealAmountSum keeps counting deals whose link was deleted."""
    catches = ("deal_amount_sum_is_consistent",)

    def deal_sum(self, t):
        return super().deal_sum(Ticket(**{**t.__dict__, "deals": t.ever_linked}))


class DealSumFirstOnly(Bug):
    """dealAmountSum is the amount of the first linked deal only."""
    catches = ("deal_amount_sum_is_consistent",)

    def deal_sum(self, t):
        return super().deal_sum(Ticket(**{**t.__dict__, "deals": dict(list(t.deals.items())[:1])}))


class CreatedAtTzShift(Bug):
    """createdAt is rendered two hours late (local wall time written with Z)."""
    catches = ("updated_at_moves_forward",)

    def render(self, t, *, listed=False):
        return super().render(Ticket(**{**t.__dict__, "created_at": t.created_at + timedelta(hours=2)}),
                              listed=listed)


class NaiveDates(Bug):
    """targetDueDate is rendered without a zone designator."""
    catches = ("list_responses_match_spec", "create_responses_match_spec")

    def render(self, t, *, listed=False):
        out = super().render(t, listed=listed)
        if out.get("targetDueDate"):
            out["targetDueDate"] = out["targetDueDate"].rstrip("Z")
        return out


class DealPriorityLowercased(Bug):
    """linkedDeals priorities are returned in lower case."""
    catches = ("returned_enums_are_documented",)

    def render(self, t, *, listed=False):
        out = super().render(t, listed=listed)
        for link in out["linkedDeals"]:
            link["priority"] = link["priority"].lower()
        return out


class ListCache(Bug):
    """The list serves a cached rendering of tickets that PUT does not invalidate."""
    catches = ("values_replace_fields",)

    def render_listed(self, t):
        cache = self.__dict__.setdefault("_cache", {})
        if t.id not in cache:
            cache[t.id] = self.render(t)
        return cache[t.id]


class ListSlateAsNull(Bug):
    """The list shows a Slate description as null (write responses show it)."""
    catches = ("values_replace_fields",)

    def render_listed(self, t):
        out = super().render_listed(t)
        if isinstance(t.description, list):
            out["description"] = None
        return out


class GetBumpsUpdatedAt(Bug):
    """Listing a ticket stamps its updatedAt with the read time."""
    catches = ("failed_update_changes_nothing",)

    def render_listed(self, t):
        if t.id >= self._first_api_id:
            t.updated_at = max(self.now(), t.updated_at)
        return super().render_listed(t)


# -- negative conformance (issue 19) -------------------------------------------------------------

class ValidationBodyOtherShape(Bug):
    """Validation errors use another framework's body ({"message", "errors"}), not the documented one
    (a correct configuration until issue 19: O-OV documents the validation error body)."""
    catches = ("invalid_creates_are_refused", "invalid_updates_are_refused",
               "invalid_parameters_are_refused_or_ignored")
    config = OpineAltConfig(validation_status=422)

    def validation(self, issues):
        return ApiError(self.cfg.validation_status,
                        {"message": "Request validation failed",
                         "errors": [{"field": ".".join(map(str, i["path"])), "reason": i["message"]}
                                    for i in issues]})


class DescriptionNumberAccepted(Bug):
    """A description that is a number is accepted (neither a markdown string nor Slate nodes)."""
    catches = ("invalid_creates_are_refused", "invalid_updates_are_refused")

    def description_ok(self, value):
        return isinstance(value, (int, float)) or super().description_ok(value)


class LabelItemsCoerced(Bug):
    """Label names that are not strings are accepted and stored as their text."""
    catches = ("invalid_creates_are_refused", "invalid_updates_are_refused")

    def _parse_field(self, key, value, create):
        if key == "labels" and isinstance(value, list):
            value = [x if isinstance(x, str) else str(x) for x in value]
        return super()._parse_field(key, value, create)


# -- round 3 (issue 15): rules on every write, partial collection updates, near-miss keys ----------

class KeyTrimmedAndFolded(Bug):
    """The X-API-Key is compared after trimming and case folding (the key in upper case is accepted)."""
    catches = ("near_miss_keys_are_refused",)

    def key_ok(self, key):
        return key is not None and key.strip().casefold() == self.cfg.api_key.casefold()


class PostClosedWithoutClosedAt(Bug):
    """A ticket created CLOSED has no closedAt (only a PUT to CLOSED stamps it)."""
    catches = ("closed_at_is_set_on_create",)

    def apply_state(self, t, value):
        super().apply_state(t, value)
        if self._creating and t.closed_at is PENDING:
            t.closed_at = None


class DealsOnPutReplaceLinks(Bug):
    """The deals of a PUT replace every link of the ticket (as labels do)."""
    catches = ("deal_links_change_only_as_named",)

    def apply_deals(self, t, value):
        if not self._creating and any(not d[2] for d in value):
            t.deals.clear()
        super().apply_deals(t, value)


def all_bugs() -> list[type[Bug]]:
    """Every planted bug defined here, in definition order."""
    return [cls for cls in globals().values()
            if isinstance(cls, type) and issubclass(cls, Bug) and cls is not Bug]
