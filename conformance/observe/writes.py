"""What every write check starts from: the profile's write rules, the shape of a ticket (which field
holds what, read from the spec), the suite's own tickets, and exploration that never writes a
failing example twice."""

from __future__ import annotations

from typing import Any, Mapping

from hypothesis import reject
from hypothesis import strategies as st

from conformance.model.exchange import Exchange
from conformance.observe.context import RunContext
from conformance.oracles import updates as u
from conformance.profiles.base import Profile, Writes
from conformance.strategies import updates as s


def writing(ctx: RunContext) -> tuple[Profile, Writes, u.Shape]:
    """The profile, its write rules and the ticket shape: the preamble of every write check."""
    writes = ctx.profile.writes
    assert writes, "write checks require the 'writes' capability"
    return ctx.profile, writes, shape_of(ctx)


def kinds_of(ctx: RunContext) -> dict[str, str]:
    return s.field_kinds(ctx.profile, ctx.spec)


def shape_of(ctx: RunContext) -> u.Shape:
    profile, writes = ctx.profile, ctx.profile.writes
    assert writes
    kinds = kinds_of(ctx)
    named = {profile.id_field, profile.created_field, writes.updated_at_field, writes.closed_at_field,
             writes.linked_deals_field, writes.deal_sum_field, *kinds}
    documented = tuple(s.response_properties(profile, ctx.spec))
    derived = tuple(sorted(name for name in documented if name not in named))
    instants = (profile.created_field, writes.updated_at_field, writes.closed_at_field,
                *(n for n, k in kinds.items() if k == s.DATE_TIME))
    return u.Shape(id_field=profile.id_field, created_at=profile.created_field, updated_at=writes.updated_at_field,
                   closed_at=writes.closed_at_field, state=writes.state_field, kinds=kinds,
                   linked_deals=writes.linked_deals_field, deal_sum=writes.deal_sum_field, instants=instants,
                   derived=derived, documented=documented,
                   unobservable=tuple(s.undocumented_in_responses(profile, ctx.spec)))


def explore(ctx: RunContext, strategy: st.SearchStrategy, test: Any, *, max_examples: int,
            skip_simplest: bool = False) -> None:
    """``ctx.explore``, but a failing example is not sent again: Hypothesis replays the failing example
    to report it, and against a stateful API the replay would write again and could report a
    different (later) state. The replay re-raises the first violation instead.

    Hypothesis always tries the simplest example first ("A", ["0"], the lowest date), whatever the
    seed. ``skip_simplest`` passes it over, so that a one-example check draws a value that depends
    on ``--seed``.
    """
    guarded = first_failure(test)
    calls = [0]

    def run(value: Any) -> None:
        calls[0] += 1
        if skip_simplest and calls[0] == 1:
            reject()
        guarded(value)

    ctx.explore(strategy, run, max_examples=max_examples)


def first_failure(fn: Any) -> Any:
    """Wrap ``fn`` so that after its first failure every later call re-raises that failure."""
    failures: list[Exception] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if failures:
            raise failures[0]
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            failures.append(exc)
            raise

    return wrapped


def put(ctx: RunContext, ticket_id: Any, body: Mapping[str, Any], what: str) -> tuple[dict[str, Any], Exchange]:
    """A valid update: must succeed with the updated ticket."""
    exchange = ctx.api.update(ticket_id, dict(body))
    return u.write_succeeded(exchange, ctx.profile.id_field, what, ticket_id), exchange


def returned(ctx: RunContext, name: str, *tickets: Mapping[str, Any]) -> bool:
    """Whether the API returns ``name`` at all (a field it never returns is not judged)."""
    return any(name in t for t in tickets) or any(name in t for t in ctx.api.full_walk().items)


def observed_deal_ids(ctx: RunContext, shape: u.Shape) -> list[Any]:
    """Ids of the deals some listed ticket links (the API names no other way to learn a deal id), sorted."""
    import json

    found: dict[str, Any] = {}
    for item in ctx.api.walk_before_writes().items:
        for link in item.get(shape.linked_deals) or []:
            if isinstance(link, Mapping) and link.get("id") is not None:
                found.setdefault(json.dumps(link["id"]), link["id"])
    return [found[k] for k in sorted(found)]


def deal_priorities(ctx: RunContext, shape: u.Shape) -> tuple[str, ...]:
    return tuple(ctx.profile.enums.get(f"{shape.linked_deals}[].priority", ()))


def draw_once(ctx: RunContext, strategy: st.SearchStrategy, salt: str) -> Any:
    """One value from ``strategy``, reproducibly from the run's seed and ``salt`` (not the running
    check's name: an observation several checks share draws the same whichever check asks first).
    The simplest example, which Hypothesis tries first whatever the seed, is passed over."""
    drawn: list[Any] = []
    calls = [0]

    def keep(value: Any) -> None:
        calls[0] += 1
        if calls[0] == 1:
            reject()
        drawn.append(value)

    ctx.explore(strategy, keep, max_examples=1, salt=salt)
    return drawn[-1]
