"""What must hold when an offset-paginated list (``limit`` / ``offset`` / ``totalCount``) is read.

Pure functions over observations: walks (``conformance.observe.walks.Walk``), single pages and their
exchanges. The oracle is what the API itself returned (the walk at the largest page size), never seed
data. ``total`` is the number of distinct tickets that oracle walk showed.
"""

from __future__ import annotations

from typing import Any, Sequence

from conformance.model.exchange import Exchange, listing
from conformance.model.observations import Page, Walk
from conformance.model.violations import Violation


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _page_at(walk: Walk, position: int) -> Page | None:
    """The page of ``walk`` holding item ``position`` (the last page when past the end)."""
    seen = 0
    for page in walk.pages:
        seen += len(page.items)
        if position < seen:
            return page
    return walk.pages[-1] if walk.pages else None


def _exchanges_at(*pairs: tuple[Walk, int]) -> list[Exchange]:
    found: list[Exchange] = []
    for walk, position in pairs:
        page = _page_at(walk, position)
        if page is not None and page.exchange not in found:
            found.append(page.exchange)
    return found[:3]


def _describe(walk: Walk) -> str:
    start = walk.pages[0].params if walk.pages else ()
    offset = dict(start).get("offset", "0")
    return f"the walk at limit {walk.limit} from offset {offset}"


# -- walks ------------------------------------------------------------------------------------------


def no_ticket_twice(walk: Walk, id_field: str) -> None:
    """Every ticket appears at most once in a walk."""
    ids = walk.ids(id_field)
    first: dict[Any, int] = {}
    for position, ticket_id in enumerate(ids):
        key = repr(ticket_id)
        if key in first:
            raise Violation(f"{_describe(walk)} returned ticket {ticket_id!r} twice (positions {first[key]} and "
                            f"{position})", expected="every ticket once", actual=f"id {ticket_id!r} twice",
                            exchanges=_exchanges_at((walk, first[key]), (walk, position)))
        first[key] = position


def walk_reached_the_end(walk: Walk) -> None:
    if not walk.complete:
        raise Violation(f"{_describe(walk)} did not reach the end", expected="a walk that ends",
                        actual=walk.stop, exchanges=walk.exchanges[-2:])


def walk_covers_the_total(walk: Walk, total_key: str, id_field: str) -> None:
    """A walk from offset 0 to the end visits as many distinct tickets as ``totalCount`` announced on its
    first page (a ticket no offset reaches is missing from every walk alike: only the count shows it)."""
    if not walk.pages or not _number(walk.pages[0].body.get(total_key)):
        return  # no count to compare with: total_count_is_the_collection_size reports that
    announced = walk.pages[0].body[total_key]
    distinct = len({repr(i) for i in walk.ids(id_field)})
    if distinct != announced:
        raise Violation(f"{_describe(walk)} visited {distinct} distinct tickets, but {total_key} announced {announced}",
                        expected=f"{announced} tickets", actual=f"{distinct} tickets",
                        exchanges=walk.exchanges[:1] + walk.exchanges[1:][-2:])


def walk_matches_oracle(walk: Walk, start: int, oracle: Walk, id_field: str) -> None:
    """A walk (from offset ``start``) visits exactly the oracle's tickets from ``start`` on, in the same
    order: the whole rest of the collection when the walk ended, else the same-length slice."""
    got = walk.ids(id_field)
    reference = oracle.ids(id_field)
    ended = walk.complete
    expected = reference[start:] if ended else reference[start:start + len(got)]
    if got == expected:
        return
    got_keys, expected_keys = {repr(i) for i in got}, {repr(i) for i in expected}
    if ended and start == 0 and got_keys != expected_keys:
        missing = [i for i in expected if repr(i) not in got_keys]
        extra = [i for i in got if repr(i) not in expected_keys]
        # The oracle's page holding the first missing ticket, then (last: the curl a terminal shows) the walk's
        # page where that ticket belonged or the first extra one shows: the request that shows the bug.
        position = got.index(extra[0]) if extra else min(reference.index(missing[0]), max(len(got) - 1, 0))
        where = ([(oracle, reference.index(missing[0]))] if missing else []) + [(walk, position)]
        raise Violation(f"{_describe(walk)} did not visit the same tickets as the walk at limit {oracle.limit}: "
                        f"{len(missing)} missing, {len(extra)} extra",
                        expected=f"{len(expected)} tickets, e.g. missing ids {missing[:5]}",
                        actual=f"{len(got)} tickets, extra ids {extra[:5]}", exchanges=_exchanges_at(*where))
    at = next((k for k, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
    raise Violation(f"{_describe(walk)} visits tickets in another order than the walk at limit {oracle.limit} "
                    f"(first difference at position {start + at}): offset paging needs one stable order",
                    expected=expected[max(0, at - 1):at + 4], actual=got[max(0, at - 1):at + 4],
                    exchanges=_exchanges_at((walk, at), (oracle, start + at)))


def walk_matches_moving_oracle(walk: Walk, start: int, before: Walk, after: Walk, id_field: str) -> str:
    """A walk during which others created tickets (``before`` and ``after``: walks at the largest page
    size taken around it). Judged on the tickets present throughout, when they kept their relative
    order and none disappeared: each is visited (an insertion only pushes tickets to later pages),
    in that order, and no ticket comes back more often than tickets appeared. Returns why it could
    not decide ("" when it did)."""
    old, new = before.ids(id_field), after.ids(id_field)
    new_keys = {repr(i) for i in new}
    kept = [i for i in old if repr(i) in new_keys]
    kept_keys = {repr(i) for i in kept}
    appeared = len(new) - len(kept)
    if len(kept) != len(old) or kept != [i for i in new if repr(i) in kept_keys]:
        return "inconclusive: the collection changed during the walk (tickets disappeared or moved)"
    if start != 0 or not walk.complete:
        return f"inconclusive: the collection changed during the walk, {appeared} tickets appeared"
    got = walk.ids(id_field)
    twice = len(got) - len({repr(i) for i in got})
    if twice > appeared:
        raise Violation(f"{_describe(walk)} returned {twice} tickets twice while only {appeared} tickets appeared "
                        "(an insertion before the offset repeats at most one ticket)",
                        expected=f"at most {appeared} repeated", actual=twice, exchanges=walk.exchanges[:3], robust=True)
    got_keys = {repr(i) for i in got}
    missing = [i for i in kept if repr(i) not in got_keys]
    if missing:
        raise Violation(f"{_describe(walk)} did not visit {len(missing)} tickets present before and after it",
                        expected=f"{len(kept)} tickets, incl. {missing[:5]}", actual=f"{len(got_keys)} distinct",
                        exchanges=_exchanges_at((before, old.index(missing[0]))) + walk.exchanges[:2], robust=True)
    first: list[Any] = []  # the tickets present throughout, in the order the walk first showed them
    shown: set[str] = set()
    for i in got:
        if repr(i) in kept_keys and repr(i) not in shown:
            shown.add(repr(i))
            first.append(i)
    if first != kept:
        at = next((k for k, (a, b) in enumerate(zip(first, kept)) if a != b), 0)
        raise Violation(f"{_describe(walk)} visits tickets in another order than the walk at limit {before.limit} "
                        f"(first difference among the tickets present throughout, at {at})",
                        expected=kept[max(0, at - 1):at + 4], actual=first[max(0, at - 1):at + 4],
                        exchanges=_exchanges_at((walk, got.index(first[at])), (before, old.index(kept[at]))), robust=True)
    return ""


def total_count_is_constant(walks: Sequence[Walk], total_key: str, total: int, grown_to: int | None = None) -> None:
    """``totalCount`` on every page of every walk equals the number of tickets in the collection
    (``grown_to``: others created tickets meanwhile, so any count from ``total`` up to it is true)."""
    for walk in walks:
        for page in walk.pages:
            reported = page.body.get(total_key)
            if not _number(reported) or not total <= reported <= (grown_to if grown_to is not None else total):
                raise Violation(f"{total_key} on a page of {_describe(walk)} is not the collection size "
                                f"({total} distinct tickets walked)", expected=total if grown_to is None else
                                f"{total} to {grown_to}", actual=reported, exchanges=[page.exchange],
                                robust=grown_to is not None)


# -- single pages -----------------------------------------------------------------------------------


def page_size_is_exact(page: Page, limit: int, offset: int, total: int) -> None:
    """A page at (limit, offset) has exactly ``min(limit, total - offset)`` items (none past the end)."""
    expected = max(0, min(limit, total - offset))
    if len(page.items) != expected:
        raise Violation(f"the page at limit={limit}, offset={offset} of {total} tickets has {len(page.items)} items",
                        expected=f"{expected} items (min(limit, total - offset))", actual=len(page.items),
                        exchanges=[page.exchange])


def envelope_echoes(page: Page, limit_key: str, offset_key: str, limit: int, offset: int) -> None:
    """The envelope's ``limit`` and ``offset`` are the ones the request asked for (both within bounds)."""
    for key, sent in ((limit_key, limit), (offset_key, offset)):
        echoed = page.body.get(key)
        if not _number(echoed) or echoed != sent:
            raise Violation(f"the envelope's {key} does not echo the request ({limit_key}={limit}, "
                            f"{offset_key}={offset})", expected=sent, actual=echoed, exchanges=[page.exchange])


def default_page(page: Page, limit_key: str, default_limit: int, total: int, echoes: bool = True) -> None:
    """Without ``limit``: ``min(default, total)`` items and (where the body echoes the applied values)
    the default echoed as the applied limit."""
    expected = min(default_limit, total)
    if len(page.items) != expected:
        raise Violation(f"a request without {limit_key} returned {len(page.items)} of {total} tickets",
                        expected=f"{expected} items (default {limit_key} {default_limit})", actual=len(page.items),
                        exchanges=[page.exchange])
    echoed = page.body.get(limit_key)
    if echoes and (not _number(echoed) or echoed != default_limit):
        raise Violation(f"a request without {limit_key} does not echo the default", expected=default_limit,
                        actual=echoed, exchanges=[page.exchange])


def default_offset_is_0(page: Page, first_page: Page, offset_key: str, id_field: str, echoes: bool = True) -> None:
    """A request without ``offset`` is the page at offset 0 (the documented default): the same tickets
    as the same request with ``offset=0``, and (where the body echoes the applied values) offset 0 echoed."""
    got = [i.get(id_field) for i in page.items]
    expected = [i.get(id_field) for i in first_page.items]
    if got != expected:
        at = next((k for k, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
        raise Violation(f"a request without {offset_key} does not return the {offset_key}=0 page (first difference "
                        f"at position {at})", expected=expected[max(0, at - 1):at + 4],
                        actual=got[max(0, at - 1):at + 4], exchanges=[page.exchange, first_page.exchange])
    echoed = page.body.get(offset_key)
    if echoes and (not _number(echoed) or echoed != 0):
        raise Violation(f"a request without {offset_key} does not echo the default {offset_key} 0", expected=0,
                        actual=echoed, exchanges=[page.exchange])


def is_client_error(exchange: Exchange, what: str) -> None:
    """The request was refused with a 4xx (any: the docs name no status)."""
    if not 400 <= exchange.status < 500:
        raise Violation(f"{what} was not rejected", expected="a 4xx error", actual=exchange.status,
                        exchanges=[exchange])


def below_min_is_rejected_or_clamped(exchange: Exchange, one_page: Page, items_key: str, limit_key: str,
                                    id_field: str, limit: int, echoes: bool = True) -> None:
    """``limit`` below the documented minimum of 1: a 4xx, or (the docs give the bound, not what happens
    past it) clamping to 1, judged by the items: the same page as ``limit=1``. The envelope may echo the
    limit asked or the one applied (its meaning is undocumented)."""
    if 400 <= exchange.status < 500:
        return
    shown = [exchange, one_page.exchange]
    if exchange.status != 200:
        raise Violation(f"{limit_key}={limit} was answered with {exchange.status}",
                        expected="a 4xx, or the page of limit=1 (clamping)", actual=exchange.status, exchanges=shown)
    body = listing(exchange, items_key)
    items = body.get(items_key)
    got = [i.get(id_field) for i in items if isinstance(i, dict)] if isinstance(items, list) else items
    expected = [i.get(id_field) for i in one_page.items]
    echoed = body.get(limit_key)
    if got != expected or (echoes and (not _number(echoed) or echoed not in (1, limit))):
        summary = {"ids": got[:5] if isinstance(got, list) else got, limit_key: echoed}
        raise Violation(f"{limit_key}={limit} (below the minimum of 1) was accepted, and not as 1 either",
                        expected={"status": "4xx, or a 200 clamped to", "ids": expected,
                                  limit_key: f"1 (applied) or {limit} (asked)"},
                        actual=summary, exchanges=shown)


def over_max_is_rejected_or_capped(exchange: Exchange, items_key: str, limit_key: str, limit: int,
                                   max_limit: int, echoes: bool = True, total: int | None = None,
                                   default_limit: int | None = None) -> None:
    """``limit`` above the documented maximum: a 4xx, or a 200 page clamped to the maximum (never more
    items than the maximum) or served at the default limit (the value ignored), so, of a collection of
    ``total`` (from offset 0), a full page of either size. The envelope may echo the limit asked or the
    one applied (its meaning is undocumented); anything else is not an echo."""
    if 400 <= exchange.status < 500:
        return
    if exchange.status != 200:
        raise Violation(f"limit={limit} (above the maximum {max_limit}) was answered with {exchange.status}",
                        expected=f"a 4xx, or a 200 page of at most {max_limit} items", actual=exchange.status,
                        exchanges=[exchange])
    body = listing(exchange, items_key)
    items = body.get(items_key)
    count = len(items) if isinstance(items, list) else None
    if count is None or count > max_limit:
        raise Violation(f"{limit_key}={limit} returned more than the documented maximum of {max_limit} items",
                        expected=f"at most {max_limit} items", actual=count, exchanges=[exchange])
    if total is not None:
        clamped = min(max_limit, total)
        ignored = min(default_limit, total) if default_limit is not None else None
        # (tickets others create meanwhile only add to a page: at least, not exactly)
        if count < clamped and not (ignored is not None and ignored <= count <= default_limit):  # type: ignore[operator]
            sizes = f"{clamped} (clamped to the maximum)" + (f" or {ignored} (the default)" if ignored is not None else "")
            raise Violation(f"{limit_key}={limit} (above the maximum {max_limit}) was served a short page of "
                            f"{count} of {total} tickets", expected=f"a 4xx, or {sizes} items", actual=count,
                            exchanges=[exchange])
    if not echoes:
        return
    echoed = body.get(limit_key)
    if not _number(echoed) or not (echoed == limit or count <= echoed <= max_limit) or echoed < 1:
        raise Violation(f"limit={limit} was accepted, but the envelope echoes neither the limit asked nor one "
                        f"that could have been applied",
                        expected=f"{limit_key} {limit} (asked) or between {max(1, count)} and {max_limit} (applied)",
                        actual=echoed, exchanges=[exchange])


def clamped_limit_is_echoed_as_applied(exchange: Exchange, limit_key: str, limit: int, max_limit: int) -> None:
    """A 200 to ``limit`` above the maximum echoes a limit within the bound (the one applied), not more."""
    if exchange.status != 200:
        return
    echoed = exchange.json_object().get(limit_key)
    if _number(echoed) and echoed > max_limit:
        raise Violation(f"limit={limit} (above the maximum {max_limit}) was accepted and the envelope echoes "
                        f"{limit_key} {echoed}: a client reading the echo believes more than the maximum applied",
                        expected=f"{limit_key} at most {max_limit}", actual=echoed, exchanges=[exchange])


def negative_offset_is_rejected_or_clamped(exchange: Exchange, first_page: Page, items_key: str, id_field: str,
                                           offset: int) -> None:
    """A negative offset: a 4xx, or (the docs give no minimum) the same page as offset 0."""
    if 400 <= exchange.status < 500:
        return
    if exchange.status != 200:
        raise Violation(f"offset={offset} was answered with {exchange.status}",
                        expected="a 4xx, or the offset-0 page", actual=exchange.status,
                        exchanges=[exchange, first_page.exchange])
    items = listing(exchange, items_key).get(items_key)
    got = [item.get(id_field) for item in items if isinstance(item, dict)] if isinstance(items, list) else items
    expected = [item.get(id_field) for item in first_page.items]
    if got != expected:
        raise Violation(f"offset={offset} was accepted but did not return the offset-0 page (clamping) either",
                        expected=f"a 4xx, or ids {expected[:8]}", actual=got if not isinstance(got, list) else got[:8],
                        exchanges=[exchange, first_page.exchange])


def past_the_end_is_empty(exchange: Exchange, items_key: str, total_key: str, offset: int, total: int) -> None:
    """An offset at or past the end: a 4xx (offset has no documented maximum, so refusing it is a
    choice), or 200 with no items and ``totalCount`` still the collection size."""
    if 400 <= exchange.status < 500:
        return
    if exchange.status != 200:
        raise Violation(f"offset={offset} (the collection has {total} tickets) was answered with {exchange.status}",
                        expected="200 with an empty page, or a 4xx", actual=exchange.status, exchanges=[exchange])
    body = listing(exchange, items_key, total_key)
    items = body.get(items_key)
    if items != []:
        count = len(items) if isinstance(items, list) else items
        raise Violation(f"offset={offset} is past the end of {total} tickets, yet the page is not empty",
                        expected="0 items", actual=count, exchanges=[exchange])
    if not _number(body.get(total_key)) or body.get(total_key) != total:
        raise Violation(f"{total_key} past the end (offset={offset}) is not the collection size", expected=total,
                        actual=body.get(total_key), exchanges=[exchange])


__all__ = [
    "no_ticket_twice", "walk_reached_the_end", "walk_covers_the_total", "walk_matches_oracle",
    "total_count_is_constant",
    "page_size_is_exact", "envelope_echoes", "default_page", "default_offset_is_0", "is_client_error", "below_min_is_rejected_or_clamped",
    "over_max_is_rejected_or_capped", "clamped_limit_is_echoed_as_applied",
    "negative_offset_is_rejected_or_clamped", "past_the_end_is_empty",
]
