"""Schema and status conformance of every operation, by Schemathesis, on the hand-written spec.

Schemathesis generates spec-valid requests; its own checks judge each response against the spec
(no 5xx, a documented status, the documented content type, a body matching the response schema).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from conformance.strategies.bodies import marked_title
from conformance.observe.context import RunContext
from conformance.observe.own import own_tickets
from conformance.checks.registry import check
from conformance.model.errors import ConfigError
from conformance.model.violations import Violation
from conformance.observe.memo import memo_key

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
# Schemathesis 4.x's checks that judge documented behaviour of one answer; why each other one is left
# out (or followed by a check of our own) is in ARCHITECTURE.md, "Schemathesis checks".
SPEC_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
               response_schema_conformance]


def _route(ctx: RunContext, role: str) -> tuple[str, str]:
    """The spec operation playing ``role`` ("list", "retrieve", "create", "update"), found by method and
    path from the profile: a foreign spec names its operations as it likes (listCharges, ...)."""
    p = ctx.profile
    update = p.writes.update_method if p.writes else "PUT"
    return {"list": ("GET", p.collection), "retrieve": ("GET", p.item), "create": ("POST", p.collection),
            "update": (update, p.item)}[role]


def _operation(ctx: RunContext, role: str) -> Any:
    def load():
        # An explicit default config: a schemathesis.toml lying in the user's directory must not change a run.
        schema = schemathesis.openapi.from_dict(ctx.spec, config=schemathesis.Config())
        # NUL bytes prove nothing about tickets and make some stacks answer 500 for reasons outside the contract.
        schema.config.generation.update(allow_x00=False)
        return {(op.ok().method.upper(), op.ok().path): op.ok() for op in schema.get_all_operations()}

    method, path = _route(ctx, role)
    operations = ctx.api.memo(memo_key("schemathesis-operations"), load)
    if (method, path) not in operations:
        raise ConfigError(f"the spec {ctx.profile.spec.name} has no {method} {path} (the profile's {role} operation)")
    return operations[(method, path)]


def _own_ticket_ids(ctx: RunContext) -> list[Any]:
    """Tickets this suite created (by title marker), creating one when there is none yet."""
    return [t[ctx.profile.id_field] for t in own_tickets(ctx, 1, purpose="schema probe")]


def _cases(ctx: RunContext, operation_id: str) -> st.SearchStrategy:
    operation = _operation(ctx, operation_id)
    has_id = "{id}" in operation.path
    if not has_id:
        return operation.as_strategy()
    if operation.method.upper() == "GET":
        ids = [t[ctx.profile.id_field] for t in ctx.api.full_walk().items[:20]]
    else:
        ids = _own_ticket_ids(ctx)
    known = st.sampled_from(ids).flatmap(lambda i: operation.as_strategy(path_parameters={"id": str(i)})) if ids else None
    if operation.method.upper() != "GET" or known is None:
        # Writes touch only the suite's own tickets; unknown ids would be harmless but are not worth the calls.
        return known if known is not None else operation.as_strategy()
    # Unknown ids from a URL-safe alphabet: an id with "/" or "%" would test the web framework's router
    # (which may answer with its own HTML 404), not the ticket API. Refusal of unknown ids has its own check.
    unknown = st.text(alphabet=_ID_ALPHABET, min_size=1, max_size=24).flatmap(
        lambda i: operation.as_strategy(path_parameters={"id": i}))
    return st.one_of(known, unknown)


def _conforms(ctx: RunContext, operation_id: str) -> None:
    strategy = _cases(ctx, operation_id)
    client = ctx.api.client
    writes = ctx.profile.writes

    def probe(case: Any) -> None:
        if writes and isinstance(case.body, dict) and isinstance(case.body.get(writes.title_field), str):
            # On a live API the suite's tickets must stay recognisable (and title bounds still hold).
            title = case.body[writes.title_field]
            case.body[writes.title_field] = marked_title(ctx.profile, title) if title else title
        kwargs = case.as_transport_kwargs(base_url=client.base_url)
        exchange, response = client.send_prepared(kwargs)
        if operation_id != "list" and case.method.upper() != "GET":
            ctx.api.forget()
        ctx.api.judged(exchange)
        try:
            case.validate_response(response, checks=SPEC_CHECKS)
        except FailureGroup as group:
            first = group.exceptions[0]
            raise Violation(f"{case.method} {case.path}: {first.title}", expected="a response the spec allows",
                            actual=(first.message or "").strip()[:400], exchanges=[exchange]) from None

    # Salted by the spec's operationId (listTickets, ...): the draws, and so the recorded cassettes, stay put.
    name = _operation(ctx, operation_id).definition.raw.get("operationId") or operation_id
    ctx.explore(strategy, probe, max_examples=ctx.options.max_examples + 8, salt=f"{ctx.check_name}:{name}")


@check(family="schema", level="MUST", requires=("list",),
       proves="Listing tickets answers spec-valid requests with documented statuses, content types and bodies.")
def list_responses_match_spec(ctx: RunContext) -> None:
    _conforms(ctx, "list")


@check(family="schema", level="MUST", requires=("retrieve",),
       proves="Retrieving a ticket answers with documented statuses, content types and bodies.")
def retrieve_responses_match_spec(ctx: RunContext) -> None:
    _conforms(ctx, "retrieve")


@check(family="schema", level="MUST", requires=("create", "writes"),
       proves="Creating tickets answers spec-valid bodies with documented statuses, content types and bodies.")
def create_responses_match_spec(ctx: RunContext) -> None:
    _conforms(ctx, "create")


@check(family="schema", level="MUST", requires=("update", "writes"),
       proves="Updating the suite's own tickets answers with documented statuses, content types and bodies.")
def update_responses_match_spec(ctx: RunContext) -> None:
    _conforms(ctx, "update")
