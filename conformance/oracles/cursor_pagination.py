"""What must hold when a cursor-paginated list (``starting_after`` / ``ending_before``) is walked.

Pure functions over observations: walks (``conformance.observe.walks.Walk``), single pages and their
exchanges. The oracle is always what the API itself returned (usually the walk at the largest page
size), never seed data. Positions are 0-based indices into the oracle's id sequence.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Mapping, Sequence

from conformance.oracles.instants import NotAnInstant, parse_instant
from conformance.model.exchange import Exchange
from conformance.model.observations import Page, Walk
from conformance.model.violations import Skipped, Violation

Newer = Callable[[Sequence[Mapping[str, Any]]], int]  # how many leading items are newer than the oracle

# -- observations --------------------------------------------------------------------------------


def instants_of(items: Sequence[Mapping[str, Any]], created_field: str) -> list[int | None]:
    """Each item's ``created`` as exact ns since the epoch, ``None`` where it is not an instant."""
    out: list[int | None] = []
    for item in items:
        try:
            out.append(parse_instant(item.get(created_field)))
        except NotAnInstant:
            out.append(None)
    return out


def tie_groups(instants: Sequence[int | None]) -> list[tuple[int, int]]:
    """Runs of >= 2 adjacent equal instants as ``(start, stop)`` positions (stop exclusive)."""
    groups: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(instants) + 1):
        if i < len(instants) and instants[i] is not None and instants[i] == instants[start]:
            continue
        if i - start >= 2:
            groups.append((start, i))
        start = i
    return groups


def newer_head(items: Sequence[Mapping[str, Any]], oracle: Walk, id_field: str, created_field: str) -> int:
    """How many leading ``items`` are tickets other writers created after ``oracle`` was walked:
    unknown to it and created no earlier than its newest ticket. In a newest-first list they can only
    head a later page; they are out of the oracle's time window (out of scope), not extras."""
    if not oracle.items:
        return 0
    newest = instants_of(oracle.items[:1], created_field)[0]
    known = {repr(i) for i in oracle.ids(id_field)}
    count = 0
    for item, instant in zip(items, instants_of(items, created_field)):
        if repr(item.get(id_field)) in known or newest is None or instant is None or instant < newest:
            break
        count += 1
    return count


def without_head(walk: Walk, count: int) -> Walk:
    """``walk`` without its first ``count`` items (pages kept, so page indices stay the same)."""
    pages = []
    for page in walk.pages:
        dropped = min(count, len(page.items))
        pages.append(replace(page, items=page.items[dropped:]) if dropped else page)
        count -= dropped
    return Walk(limit=walk.limit, filters=walk.filters, pages=pages, stop=walk.stop)


def aligned(walk: Walk, oracle: Walk, id_field: str, created_field: str) -> tuple[Walk, Walk]:
    """Both walks restricted to the time window they share: whichever began later may be headed by
    tickets created in between, which the other could not show."""
    return (without_head(walk, newer_head(walk.items, oracle, id_field, created_field)),
            without_head(oracle, newer_head(oracle.items, walk, id_field, created_field)))


def page_index_of(walk: Walk, position: int) -> int:
    """The index of the page holding item ``position`` of the walk (the last page when past the end)."""
    seen = 0
    for index, page in enumerate(walk.pages):
        seen += len(page.items)
        if position < seen:
            return index
    return len(walk.pages) - 1


def exchanges_at(walk: Walk, *positions: int) -> list[Exchange]:
    found: list[Exchange] = []
    for position in positions:
        if not walk.pages:
            break
        exchange = walk.pages[page_index_of(walk, position)].exchange
        if exchange not in found:
            found.append(exchange)
    return found


def _describe(walk: Walk) -> str:
    return f"the walk at limit={walk.limit if walk.limit is not None else 'default'}"


def _ids(items: Sequence[Mapping[str, Any]], id_field: str) -> list[Any]:
    return [item.get(id_field) for item in items]


# -- walks ---------------------------------------------------------------------------------------


def pages_do_not_overlap(walk: Walk, id_field: str) -> None:
    """No id appears twice in a ``starting_after`` walk."""
    first_seen: dict[Any, int] = {}
    for position, ticket_id in enumerate(walk.ids(id_field)):
        key = repr(ticket_id)
        if key in first_seen:
            earlier = first_seen[key]
            raise Violation(
                f"{_describe(walk)} returned {ticket_id!r} twice (positions {earlier} and {position})",
                expected="every id at most once", actual=f"{ticket_id!r} on pages {page_index_of(walk, earlier) + 1} "
                                                         f"and {page_index_of(walk, position) + 1}",
                exchanges=exchanges_at(walk, earlier, position))
        first_seen[key] = position


def walk_terminates(walk: Walk) -> None:
    """An unfiltered walk ends because ``has_more`` became false: not in a loop, not on an empty page
    claiming more. (A walk cut by its page budget is a prefix by design and passes.)"""
    if walk.stop != "end" and not walk.stop.startswith("stopped after"):
        raise Violation(f"{_describe(walk)} did not end with has_more false",
                        expected="has_more false on the last page", actual=walk.stop, exchanges=walk.exchanges[-2:])


def walk_yields_the_oracle_set(walk: Walk, oracle: Walk, id_field: str) -> None:
    """A complete walk yields exactly the tickets of the oracle walk (as a set)."""
    mine, theirs = walk.ids(id_field), oracle.ids(id_field)
    mine_keys, theirs_keys = {repr(i) for i in mine}, {repr(i) for i in theirs}
    missing = [i for i in theirs if repr(i) not in mine_keys]
    extra = [i for i in mine if repr(i) not in theirs_keys]
    if not missing and not extra:
        return
    shown: list[Exchange] = []
    if missing:
        where = theirs.index(missing[0])
        before = theirs[where - 1] if where else None
        if where and repr(before) in mine_keys:
            shown += exchanges_at(walk, mine.index(before), mine.index(before) + 1)  # where it should have been
        shown += exchanges_at(oracle, where)
    if extra:
        shown += exchanges_at(walk, mine.index(extra[0]))
    raise Violation(
        f"{_describe(walk)} ({len(mine)} items) does not yield the tickets of the walk at "
        f"limit={oracle.limit} ({len(theirs)} items)",
        expected=f"the same {len(theirs_keys)} tickets",
        actual={"missing": missing[:5], "missing_count": len(missing), "extra": extra[:5],
                "extra_count": len(extra)},
        exchanges=shown[:3] or walk.exchanges[-1:])


def newest_first(walk: Walk, created_field: str) -> None:
    """``created`` never increases along the walk (newest first, ties allowed)."""
    in_created_order(walk, created_field, newest_first=True)


def in_created_order(walk: Walk, created_field: str, *, newest_first: bool) -> None:
    """``created`` never increases (``newest_first``) or never decreases (oldest first) along the walk,
    ties allowed, across page boundaries. Any list style: the positions are the walk's."""
    items = walk.items
    instants = instants_of(items, created_field)
    bad = [i for i, v in enumerate(instants) if v is None]
    if bad:
        raise Skipped(f"{created_field} of item {bad[0]} is not an instant ({items[bad[0]].get(created_field)!r}): "
                      "cannot judge the order")
    order, bound = ("newest first", "<=") if newest_first else ("oldest first", ">=")
    for i in range(1, len(items)):
        if (instants[i] > instants[i - 1]) if newest_first else (instants[i] < instants[i - 1]):  # type: ignore[operator]
            raise Violation(
                f"{_describe(walk)} is not {order} at position {i}",
                expected=f"{created_field} {bound} {items[i - 1].get(created_field)!r} (the item before)",
                actual=items[i].get(created_field), exchanges=exchanges_at(walk, i - 1, i))


def same_order(walk: Walk, oracle: Walk, id_field: str) -> None:
    """The walk's id sequence equals the oracle's (a prefix of it, for a walk stopped by a guard)."""
    mine, theirs = walk.ids(id_field), oracle.ids(id_field)
    for i, (a, b) in enumerate(zip(mine, theirs)):
        if a != b:
            raise Violation(
                f"{_describe(walk)} orders the tickets differently from the walk at limit={oracle.limit}, "
                f"from position {i} on", expected=theirs[i:i + 4], actual=mine[i:i + 4],
                exchanges=exchanges_at(walk, i) + exchanges_at(oracle, i))
    if walk.complete and len(mine) != len(theirs):
        i = min(len(mine), len(theirs))
        raise Violation(f"{_describe(walk)} and the walk at limit={oracle.limit} differ in length",
                        expected=f"{len(theirs)} ids ending {theirs[i:i + 3]}",
                        actual=f"{len(mine)} ids ending {mine[i:i + 3]}", exchanges=walk.exchanges[-1:])


def has_more_matches_oracle(walk: Walk, oracle_ids: Sequence[Any], has_more_key: str, id_field: str) -> None:
    """On an unfiltered walk, ``has_more`` is true exactly when tickets follow the page's last one."""
    position_of = {repr(i): p for p, i in enumerate(oracle_ids)}
    for index, page in enumerate(walk.pages):
        has_more = page.body.get(has_more_key)
        if not page.items:
            if has_more is not False:
                raise Violation(f"{_describe(walk)}: page {index + 1} is empty but has_more is {has_more!r}",
                                expected="has_more false on an empty unfiltered page", actual=has_more,
                                exchanges=walk.exchanges[max(0, index - 1):index + 1])
            continue
        last = position_of.get(repr(page.items[-1].get(id_field)))
        if last is None:
            continue
        expected = last < len(oracle_ids) - 1
        if has_more is not expected:
            left = len(oracle_ids) - 1 - last
            raise Violation(
                f"{_describe(walk)}: page {index + 1} of {len(walk.pages)} has has_more={has_more!r}, "
                f"but {left} ticket(s) follow its last one",
                expected=expected, actual=has_more, exchanges=[page.exchange])


def nothing_after_the_last_page(walk: Walk, probe: Exchange, items_key: str, has_more_key: str) -> None:
    """After the page that said ``has_more: false``, ``starting_after`` its last id finds nothing."""
    if probe.status != 200:
        return  # a refusal is not a page of tickets; other checks judge statuses
    body = probe.json_object()
    items = body.get(items_key)
    if isinstance(items, list) and items:
        raise Violation(f"{_describe(walk)} ended with has_more false, yet more tickets follow its last one",
                        expected="no tickets after the last page", actual=f"{len(items)} item(s)",
                        exchanges=walk.exchanges[-1:] + [probe])


def last_page_says_no_more(exchange: Exchange, oracle_ids: Sequence[Any], limit: int, items_key: str,
                           has_more_key: str, id_field: str) -> None:
    """``starting_after`` the ticket ``limit + 1`` from the end, with that ``limit``: exactly the last
    ``limit`` tickets (a full page) and ``has_more`` false, since nothing follows them."""
    n = len(oracle_ids)
    cursor = n - limit - 1
    what = (f"starting_after the ticket at position {cursor} of {n} with limit={limit} (exactly the last "
            f"{limit} ticket(s) follow it)")
    page_is(exchange, items_key, id_field, list(oracle_ids[cursor + 1:]), f"{what} is not those tickets")
    has_more_is(exchange, has_more_key, False, f"{what}: has_more on that exactly full last page")


def page_sizes_honour_limit(walk: Walk, limit: int, total: int, newer: int = 0) -> None:
    """Each page of an unfiltered walk holds exactly ``min(limit, remaining)`` items, never more than limit
    (``newer``: tickets created since the oracle's ``total`` was counted, heading the walk)."""
    total += newer
    consumed = 0
    for index, page in enumerate(walk.pages):
        size = len(page.items)
        expected = max(0, min(limit, total - consumed))
        if size > limit:
            raise Violation(f"page {index + 1} of {_describe(walk)} holds more items than the limit",
                            expected=f"at most {limit}", actual=size, exchanges=[page.exchange])
        if size != expected:
            raise Violation(
                f"page {index + 1} of {_describe(walk)} holds {size} item(s) with {total - consumed} of "
                f"{total} tickets left (no post-hoc filter in play)",
                expected=expected, actual=size, exchanges=[page.exchange])
        consumed += size


# -- filtered walks ------------------------------------------------------------------------------


def filtered_has_more_is_truthful(walk: Walk, has_more_key: str, what: str) -> None:
    """On a filtered walk (no post-hoc filter), ``has_more`` true promises more matching tickets: the
    next page (``starting_after`` its last ticket, same filters) must not be empty. (``has_more`` false
    with matches still to come shows as missing tickets in the walk's selection.)"""
    for index in range(len(walk.pages) - 1):
        current, following = walk.pages[index], walk.pages[index + 1]
        if current.body.get(has_more_key) is True and not following.items:
            raise Violation(
                f"{what}: page {index + 1} says has_more true, but the next page (starting_after its last "
                f"ticket, same filters) is empty: has_more did not count the filtered list",
                expected=f"{has_more_key}: false on the page holding the last matching ticket",
                actual=f"{has_more_key}: true, then an empty page", exchanges=[current.exchange, following.exchange])


def page_start(walk: Walk, index: int) -> int:
    """Position in the walk of the first item of page ``index``."""
    return sum(len(page.items) for page in walk.pages[:index])


def ending_before_pages_back(walk: Walk, index: int, exchange: Exchange, limit: int, items_key: str,
                             id_field: str, what: str, newer: Newer | None = None) -> None:
    """``ending_before`` the first ticket of page ``index`` (same filters, same limit) returns the
    ``limit`` tickets right before it in the walk: the previous page (nothing for the first page)."""
    start = page_start(walk, index)
    expected = walk.ids(id_field)[max(0, start - limit):start]
    context = [walk.pages[index].exchange] + ([walk.pages[index - 1].exchange] if index else [])
    where = (f"the first ticket of page {index + 1}" + (f" does not return page {index}" if index
                                                            else " (nothing matches before it) is not empty"))
    page_is(exchange, items_key, id_field, expected, f"{what}: ending_before {where}", context, newer)


# -- single pages --------------------------------------------------------------------------------


def page_items(exchange: Exchange, items_key: str) -> list[Mapping[str, Any]]:
    """The items of a page the API must have answered with 200."""
    if exchange.status != 200:
        raise Violation("expected a page of tickets", expected=200, actual=exchange.status, exchanges=[exchange])
    items = exchange.json_object().get(items_key)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise Violation(f"the page has no list of tickets under {items_key!r}", expected="a list of objects",
                        actual=type(items).__name__, exchanges=[exchange])
    return items


def page_is(exchange: Exchange, items_key: str, id_field: str, expected_ids: Sequence[Any], what: str,
            context: Sequence[Exchange] = (), newer: Newer | None = None) -> None:
    """The page holds exactly ``expected_ids``, in that order (after the tickets ``newer`` says other
    writers created since the oracle was walked, which may head a page at the top of the list)."""
    items = page_items(exchange, items_key)
    actual = _ids(items[newer(items):] if newer else items, id_field)
    if actual != list(expected_ids):
        raise Violation(what, expected=list(expected_ids), actual=actual, exchanges=[exchange, *context][:3])


def has_more_is(exchange: Exchange, has_more_key: str, expected: bool, what: str) -> None:
    actual = exchange.json_object().get(has_more_key)
    if actual is not expected:
        raise Violation(what, expected=expected, actual=actual, exchanges=[exchange])


def rejected(exchange: Exchange, what: str) -> None:
    """Any 4xx: the docs give the bound but name no status."""
    if not 400 <= exchange.status < 500:
        raise Violation(f"{what} was not rejected", expected="any 4xx", actual=exchange.status,
                        exchanges=[exchange])


def below_min_is_rejected_or_clamped(exchange: Exchange, one_page: Exchange, items_key: str, id_field: str,
                                     limit: str, limit_key: str = "limit") -> None:
    """``limit`` below the documented minimum of 1: a 4xx, or (the docs give the bound, not what happens
    past it) clamping to 1: the same page as ``limit=1``. Never a server error, the default page,
    more than one ticket, or an empty page where ``limit=1`` has a ticket."""
    if 400 <= exchange.status < 500:
        return
    shown = [exchange, one_page]
    if exchange.status != 200:
        raise Violation(f"{limit_key}={limit} was answered with {exchange.status}",
                        expected="a 4xx, or the page of limit=1 (clamping)", actual=exchange.status, exchanges=shown)
    got = _ids(page_items(exchange, items_key), id_field)
    expected = _ids(page_items(one_page, items_key), id_field)
    if got != expected:
        how = (f"{len(got)} tickets" if len(got) > 1 else "an empty page" if not got else "another ticket")
        raise Violation(f"{limit_key}={limit} (below the minimum of 1) was accepted, and not as 1 either: {how}",
                        expected={"status": "4xx, or a 200 clamped to", "ids": expected},
                        actual={"status": exchange.status, "ids": got[:5], "count": len(got)}, exchanges=shown)


def capped(exchange: Exchange, items_key: str, max_limit: int, what: str) -> None:
    """Past the documented maximum: a 4xx, or a 200 holding at most ``max_limit`` items (clamping)."""
    if 400 <= exchange.status < 500:
        return
    if exchange.status != 200:
        raise Violation(f"{what}: neither rejected nor clamped", expected=f"any 4xx, or 200 with <= {max_limit} items",
                        actual=exchange.status, exchanges=[exchange])
    items = page_items(exchange, items_key)
    if len(items) > max_limit:
        raise Violation(f"{what} returned more items than the documented maximum",
                        expected=f"<= {max_limit} items (or any 4xx)", actual=f"{len(items)} items",
                        exchanges=[exchange])


def unknown_cursor_refused(exchange: Exchange, items_key: str, id_field: str, param: str, cursor: Any) -> None:
    """A cursor id the list never returned: a 4xx, or a 200 with an empty page. Never tickets (the cursor
    silently ignored, e.g. the first page) nor a server error. The docs are silent: a SHOULD."""
    if 400 <= exchange.status < 500:
        return
    if exchange.status != 200:
        raise Violation(f"{param}={cursor} (an id the list never returned) was answered with {exchange.status}",
                        expected="any 4xx, or 200 with an empty page", actual=exchange.status, exchanges=[exchange])
    items = page_items(exchange, items_key)
    if items:
        raise Violation(f"{param}={cursor} (an id the list never returned) silently returned tickets, as if the "
                        f"cursor were not there", expected="any 4xx, or 200 with an empty page",
                        actual=f"200 with {len(items)} ticket(s), first {items[0].get(id_field)!r}",
                        exchanges=[exchange])


def both_cursors_refused(exchange: Exchange) -> None:
    """``starting_after`` with ``ending_before`` is a client error: any 4xx."""
    if not 400 <= exchange.status < 500:
        wins = "one cursor silently won" if 200 <= exchange.status < 300 else "a server error"
        raise Violation(f"both cursors at once (documented as mutually exclusive) were not refused: {wins}",
                        expected="any 4xx", actual=exchange.status, exchanges=[exchange])


__all__ = [
    "instants_of", "tie_groups", "page_index_of", "exchanges_at", "pages_do_not_overlap", "walk_terminates",
    "walk_yields_the_oracle_set", "newest_first", "same_order", "has_more_matches_oracle",
    "nothing_after_the_last_page", "last_page_says_no_more", "page_sizes_honour_limit", "page_items", "page_is",
    "has_more_is",    "filtered_has_more_is_truthful", "page_start", "ending_before_pages_back",
    "rejected", "below_min_is_rejected_or_clamped", "capped", "unknown_cursor_refused", "both_cursors_refused", "Page",
]


def items_name_one_kind(walk: Walk, object_field: str, envelope_value: str) -> None:
    """Where items carry ``object``, it names their resource kind: one string on every item, never the
    list envelope's own value (an item is not a list). Items without it are fine (docs unreadable)."""
    seen: dict[Any, Exchange] = {}
    for page in walk.pages:
        for item in page.items:
            if object_field not in item:
                continue
            value = item[object_field]
            if not isinstance(value, str) or value == envelope_value:
                raise Violation(f"a listed ticket carries {object_field}={value!r}: the value names a resource kind, "
                                f"and {envelope_value!r} is the list envelope's", expected="one resource kind, "
                                "e.g. 'ticket'", actual=value, exchanges=[page.exchange])
            seen.setdefault(value, page.exchange)
    if len(seen) > 1:
        raise Violation(f"listed tickets carry {len(seen)} different {object_field} values: each resource kind has "
                        "one fixed value", expected="one value", actual=sorted(map(str, seen)),
                        exchanges=list(seen.values())[:3])
