"""Negative conformance: requests that break the contract are refused in the documented way.

For every write (create, update) and every documented request constraint, one violation at a time
(strategies/negative.py reads them from the spec): the API refuses it with a 4xx carrying the
vendor's documented error body (Opine: the validation error, with 400 and 422 alike), and nothing
changes (the collection's total, or the ticket read back). For every query parameter, a value that
breaks its documented type or minimum is refused in the documented error shape, or ignored/clamped
the way the docs allow: never a 5xx, never a silently wrong page. And every kind of error the suite
provokes (no key, a wrong key, an unknown id, a bad parameter) answers in the documented shape
(``Api.judged`` applies the same oracle to every 4xx of every check).
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable
from urllib.parse import urlencode

from conformance.checks.registry import CATALOGUE, check
from conformance.model.exchange import Exchange
from conformance.model.violations import Violation
from conformance.observe.context import RunContext
from conformance.observe.own import own_tickets, read_back
from conformance.observe.cursor_walks import newer
from conformance.observe.memo import memo_key
from conformance.observe.stability import appeared_with_titles, judged_while_stable
from conformance.observe.writes import writing
from conformance.oracles import updates as u
from conformance.oracles.enums import nothing_created
from conformance.oracles.errors import error_is_documented, validation_error_is_documented
from conformance.oracles.robustness import no_server_error
from conformance.profiles.base import OffsetPaging
from conformance.strategies.bodies import marked_title, minimal_create_body
from conformance.strategies.negative import BadBody, BadQuery, body_violations, query_violations, request_schema

MALFORMED_JSON = b'{"title": "unterminated'


def _raw(ctx: RunContext, method: str, path: str, data: bytes, content_type: str) -> Exchange:
    """A body that is not JSON, sent as-is (the client's ``json=`` would encode it)."""
    client = ctx.api.client
    ctx.api.forget()
    exchange, _ = client.send_prepared({"method": method, "url": client.base_url + path, "data": data,
                                        "headers": {"Content-Type": content_type, "Accept": "application/json"}})
    return exchange


def _refused(ctx: RunContext, exchange: Exchange, bad: BadBody, where: str) -> None:
    what = f"{where} with {bad.what}"
    u.write_refused(exchange, what)
    if ctx.profile.errors is None:  # no error shape documented: the refusal alone is judged
        return
    if bad.validation:
        validation_error_is_documented(exchange, ctx.profile.errors, what)
    else:
        error_is_documented(exchange, ctx.profile.errors, what)


def _raw_violations(ctx: RunContext, valid: dict[str, Any]) -> list[tuple[BadBody, bytes, str]]:
    """Bodies that are not JSON: malformed JSON, and the valid fields form-encoded (the media type). A form
    API gets none: what it does with a JSON body is not a form contract's to say."""
    if ctx.profile.writes is None or ctx.profile.writes.body_encoding != "json":
        return []
    return [(BadBody("a malformed JSON body", None, validation=False), MALFORMED_JSON, "application/json"),
            (BadBody("the fields form-encoded (not application/json)", None, validation=False),
             urlencode(valid).encode(), "application/x-www-form-urlencoded")]


def _each_refused(ctx: RunContext, violations: list[BadBody], send: Callable[[Any], Exchange],
                  route: tuple[str, str], valid: dict[str, Any], where: str, sent: list[Exchange]) -> None:
    """Each bad body (``send``), then each body that is not JSON (raw, to ``route``: method and path), judged
    refused one by one. Every answer is appended to ``sent`` as it comes: the caller's cleanup reads it even
    when a judgement fails."""
    for bad in violations:
        sent.append(send(bad.body))
        _refused(ctx, sent[-1], bad, where)
    for bad, data, content_type in _raw_violations(ctx, valid):
        sent.append(_raw(ctx, *route, data, content_type))
        _refused(ctx, sent[-1], bad, where)


@check(family="schema", level="MUST", requires=("create", "writes"),
       proves="A create that breaks one documented constraint (a field's type or an item's, a required field "
              "missing, the title length in characters, a number's bounds, an enum, a date-time or URI format, a "
              "field the schema does not allow, a body that is not a JSON object or not JSON) is refused with a "
              "4xx and the documented validation error, and creates nothing. (Null for a required field: "
              "required_fields_cannot_be_null_on_create.)")
def invalid_creates_are_refused(ctx: RunContext) -> None:
    profile, writes, _ = writing(ctx)
    valid = minimal_create_body(profile, "must not be created")
    schema = request_schema(ctx.spec, profile.collection, "POST")
    # null for a required field is required_fields_cannot_be_null_on_create's (one owner per rule)
    violations = body_violations(profile, ctx.spec, schema, valid, creating=True, null_fields=())
    before = ctx.api.full_walk()  # the refused tickets are looked for by title: others may create meanwhile
    sent: list[Exchange] = []
    _each_refused(ctx, violations, ctx.api.create, ("POST", profile.collection), valid, "a create", sent)
    titles = [valid[writes.title_field]] + [b.body.get(writes.title_field) for b in violations
                                            if isinstance(b.body, dict)]
    appeared, after = appeared_with_titles(ctx, before, [t for t in titles if isinstance(t, str)])
    nothing_created(appeared, [*sent[-1:], *after.exchanges[-1:]], profile.id_field, "a refused create")


@check(family="nullable-update", level="MUST", requires=("update", "writes"),
       proves="An update of the suite's own ticket that breaks one documented constraint (a field's type or an "
              "item's, the title length in characters, a number's bounds, an enum, a date-time or URI format, a "
              "field the schema does not allow, a body that is not a JSON object or not JSON; null where not "
              "nullable when null is not how fields clear, else required_fields_cannot_be_null owns it) is "
              "refused with a 4xx and the documented validation error, and changes nothing.")
def invalid_updates_are_refused(ctx: RunContext) -> None:
    profile, writes, shape = writing(ctx)
    (ticket,) = own_tickets(ctx)
    ticket_id = ticket[profile.id_field]
    path = profile.item.replace("{id}", str(ticket_id))
    schema = request_schema(ctx.spec, profile.item, writes.update_method)
    before, _ = read_back(ctx, ticket_id)
    valid = {writes.title_field: marked_title(profile, "must not be applied")}
    # null for a never-null field is required_fields_cannot_be_null's wherever that check applies
    nulls = () if CATALOGUE.applies("required_fields_cannot_be_null", profile) else writes.not_nullable
    sent: list[Exchange] = []
    try:
        violations = body_violations(profile, ctx.spec, schema, valid, creating=False, null_fields=nulls)
        _each_refused(ctx, violations, lambda body: ctx.api.update(ticket_id, body), (writes.update_method, path),
                      valid, "an update", sent)
    finally:
        if sent and 200 <= sent[-1].status < 300:  # applied after all: keep the ticket the suite's
            ctx.api.update(ticket_id, {writes.title_field: before.get(writes.title_field)})
    after, page = read_back(ctx, ticket_id)
    u.unchanged(before, after, shape, "listed after refused updates", [*sent[-1:], page])


# -- query parameters -----------------------------------------------------------------------------
def _items(ctx: RunContext, exchange: Exchange) -> list[dict[str, Any]]:
    items = exchange.json_object().get(ctx.profile.paging.items) or []
    return [i for i in items if isinstance(i, dict)]


def _ids(ctx: RunContext, exchange: Exchange) -> list[Any]:
    return [i.get(ctx.profile.id_field) for i in _items(ctx, exchange)]


def _allowed_pages(ctx: RunContext, bad: BadQuery, walk_ids: list[Any], default_ids: list[Any]) -> list[list[Any]]:
    """The pages an API may answer when it does not refuse ``bad``: the value ignored (the default
    page), and for a count or a position, the value read as the nearest allowed number (clamped to
    the bounds, a decimal rounded either way)."""
    paging = ctx.profile.paging
    pages = [default_ids]
    numbers = {0, 1} if bad.number is None else {math.floor(bad.number), math.ceil(bad.number)}
    if bad.param == paging.limit:
        for n in numbers | {1}:
            n = min(max(n, 1), paging.max_limit)
            pages.append(walk_ids[:n])
    elif isinstance(paging, OffsetPaging) and bad.param == paging.offset:
        for n in numbers | {0}:
            start = max(n, 0)
            pages.append(walk_ids[start:start + paging.default_limit])
    return pages


def _answers_an_allowed_page(got: list[Any], allowed: list[list[Any]], newer: int, walk_ids: list[Any]) -> bool:
    """``got`` is one of the ``allowed`` pages, or (on a cursor list whose first ``newer`` tickets are newer
    than the oracle walk: others created them since) one of them shifted by those newer tickets: the
    same number of tickets, the rest being the oracle walk's first ones."""
    if got in allowed:
        return True
    if not newer:
        return False
    rest = got[newer:]
    sizes = {len(page) for page in allowed}
    return rest == walk_ids[:len(rest)] and (len(got) in sizes or rest == walk_ids)


@check(family="schema", level="MUST", requires=("list",),
       proves="A query parameter that breaks its documented type or minimum (limit or offset that is no "
              "integer or below its minimum, a created bound that is no date-time) is refused with a 4xx in the "
              "documented error shape, or ignored or clamped as the docs allow: never a 5xx, never another page.")
def invalid_parameters_are_refused_or_ignored(ctx: RunContext) -> None:
    profile = ctx.profile
    assert profile.errors
    violations = query_violations(ctx.spec, profile.collection)
    cursor_list = not isinstance(profile.paging, OffsetPaging)
    for bad in violations:
        params = ((bad.param, bad.value),)
        exchange = ctx.api.list(params)
        no_server_error(exchange, f"the query {bad.what}")
        if 400 <= exchange.status < 500:
            validation_error_is_documented(exchange, profile.errors, f"the query {bad.what}")
            continue
        answers = [exchange]

        def judge() -> None:
            answer = answers.pop() if answers else ctx.api.list(params)  # a retry observes afresh
            default = ctx.api.memo(memo_key("default-page"), lambda: ctx.api.list(()))
            walk_ids = ctx.api.full_walk().ids(profile.id_field)
            got = _ids(ctx, answer)
            allowed = _allowed_pages(ctx, bad, walk_ids, _ids(ctx, default))
            # A newest-first cursor list: tickets others created since the oracle walk head the answer.
            head = newer(ctx)(_items(ctx, answer)) if cursor_list else 0
            if not _answers_an_allowed_page(got, allowed, head, walk_ids):
                raise Violation(f"the query {bad.what} was answered with another page",
                                expected="a 4xx, or the page as if the value were absent or clamped to its bounds",
                                actual=f"{answer.status} with {len(got)} tickets {json.dumps(got[:5])}...",
                                exchanges=[answer, default])

        if cursor_list:
            judge()
        else:  # offset pages shift when others write: a different page stands only on a collection held still
            judged_while_stable(ctx, judge, f"the query {bad.what}")


@check(family="schema", level="MUST", requires=("list",),
       proves="Errors answer in the vendor's documented shape and media type: no key, a wrong key, an unknown "
              "ticket id and a bad parameter (and every other 4xx any check provokes) are JSON, never an HTML "
              "page or another framework's error body.")
def error_answers_are_documented(ctx: RunContext) -> None:
    profile, api = ctx.profile, ctx.api
    assert profile.errors
    paging = profile.paging
    provoked = [(api.list({paging.limit: 1}, auth="none"), "a request without a key"),
                (api.list({paging.limit: 1}, auth="wrong"), "a request with a wrong key"),
                (api.list({paging.limit: "not-a-number"}), "a limit that is no number")]
    unknown = "conformance-unknown-id"
    if "retrieve" in profile.operations:
        provoked.append((api.retrieve(unknown), "an unknown ticket id"))
    elif "update" in profile.operations and ctx.options.allow_writes and profile.writes:
        provoked.append((api.update(unknown, {profile.writes.title_field: marked_title(profile, "unknown")},
                                    refusal_expected=True),
                         "an update of an unknown ticket id"))
    for exchange, what in provoked:
        error_is_documented(exchange, profile.errors, what)  # Api.judged did the same; said here by name
