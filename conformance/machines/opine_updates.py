"""A stateful model of partial updates to one of the suite's own tickets.

The model is a dict of what every writable field must hold, learnt from the list at the start of
each run and then moved only by what the documented semantics say: a value replaces, ``null``
(or ``[]`` for a list of names) clears, an absent field is kept, deal links are added,
re-prioritised and removed (``delete: true``). Rules send random partial bodies and read the
ticket back through the list; invariants compare both the last response and the listed ticket with
the model. Refused bodies are not sent: that a refusal changes nothing is
``failed_update_changes_nothing``'s rule. Nothing here names a vendor: fields, kinds and enums come
from the profile and the spec.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable, Mapping

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from conformance.oracles import updates as u
from conformance.oracles.instants import NotAnInstant, parse_instant
from conformance.model.exchange import Exchange
from conformance.profiles.base import Profile
from conformance.strategies import updates as s
from conformance.model.violations import Violation

SEEN, SENT, CLEARED = "seen", "sent", "cleared"


class Replay:
    """Makes Hypothesis's replay of a failing run send nothing.

    After a failure, Hypothesis runs the failing example once more to report it. Against a live,
    stateful API that replay would write again and could fail differently (or not at all). So
    every step is counted; the step that failed is remembered with its exception; during the
    replay steps do nothing (every value is drawn by the rule arguments, so the draws stay the
    same) and the remembered step re-raises the first failure.
    """

    def __init__(self) -> None:
        self.failure: BaseException | None = None
        self.at = -1
        self.calls = 0
        self.replaying = False  # this run repeats a failed one (the failed run itself still cleans up)

    def start(self) -> None:
        self.calls = 0
        self.replaying = self.failure is not None

    def step(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapped(machine: Any, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.failure is not None:
                if self.calls == self.at:
                    raise self.failure
                return None
            try:
                return fn(machine, *args, **kwargs)
            except Exception as exc:
                self.failure, self.at = exc, self.calls
                raise

        return wrapped


def updates_machine(*, profile: Profile, shape: u.Shape,
                    fetch: Callable[[], tuple[dict[str, Any], Exchange]],
                    send: Callable[[dict[str, Any]], Exchange],
                    returned: Callable[[str, Mapping[str, Any]], bool],
                    deal_ids: list[Any], priorities: tuple[str, ...]) -> type[RuleBasedStateMachine]:
    """A machine class over one ticket: ``fetch`` reads it from the list, ``send`` PUTs a body."""
    writes = profile.writes
    assert writes
    kinds = dict(shape.kinds)
    # Refused updates are failed_update_changes_nothing's rule (one owner per rule): the model sends only
    # updates that must apply.
    deals_field = writes.deals_field
    replay = Replay()
    deal_changes = (st.none() | st.tuples(st.sampled_from(deal_ids), st.sampled_from(priorities), st.booleans())
                    if deal_ids and priorities else st.none())

    class UpdatesMatchModel(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            replay.start()
            self.model: dict[str, tuple[str, Any]] = {}
            self.links: dict[str, Any] = {}  # JSON id -> priority
            self.added: dict[str, Any] = {}  # deals this machine linked: JSON id -> id
            self.response: dict[str, Any] | None = None
            self.listed: dict[str, Any] = {}
            self.evidence: list[Exchange] = []
            if replay.replaying:
                return
            listed, page = fetch()
            # A field the list never returns (undocumented in responses) is unknown until a write sets it.
            self.model = {n: (SEEN, listed.get(n)) for n in kinds if n in listed or n not in shape.unobservable}
            self.links = u.deal_links(listed, shape)
            self.listed, self.evidence = listed, [page]

        # -- rules --------------------------------------------------------------------------------
        @rule(body=s.update_bodies(profile, kinds), deal=deal_changes)
        @replay.step
        def update(self, body: dict[str, Any], deal: tuple[Any, str, bool] | None) -> None:
            """A random partial body: each field absent, a value or cleared; sometimes a deal link change."""
            body = dict(body)
            link = None
            if deal is not None:
                deal_id, priority, delete = deal
                key = json.dumps(deal_id)
                # Only a link that exists is deleted: what deleting a missing link does is undocumented.
                delete = delete and key in self.links
                link = ({"id": deal_id, "priority": priority, **({"delete": True} if delete else {})}, key)
                body[deals_field] = [link[0]]
            before = self.listed
            exchange = send(body)
            response = u.write_succeeded(exchange, shape.id_field, "a partial update", before.get(shape.id_field))
            for name, value in body.items():
                if name in kinds:
                    cleared = value is None or (kinds[name] == s.NAMES and value == [])
                    self.model[name] = (CLEARED, None) if cleared else (SENT, value)
            if link is not None:
                item, key = link
                if item.get("delete"):
                    self.links.pop(key, None)
                else:
                    self.links[key] = item["priority"]
                    self.added[key] = item["id"]
            self._observe(response, exchange)
            self._not_earlier(before, self.listed)

        # -- invariants -------------------------------------------------------------------------
        @invariant()
        @replay.step
        def api_matches_model(self) -> None:
            views = [("listed", self.listed)]
            if self.response is not None:
                views.insert(0, ("response", self.response))
            for where, ticket in views:
                for name, (how, value) in self.model.items():
                    kind = kinds[name]
                    if how == CLEARED:
                        u.field_cleared(ticket, name, kind, f"{where}: model says cleared", self.evidence)
                    elif how == SENT:
                        if name in ticket or returned(name, ticket):
                            u.field_holds(ticket, name, kind, value, f"{where}: model says the value sent",
                                          self.evidence)
                    elif name in shape.unobservable and name not in ticket:
                        continue  # not observable in this view
                    elif u.comparable({name: value}, shape) != u.comparable({name: ticket.get(name)}, shape):
                        raise Violation(f"{where}: {name} changed although no update sent it",
                                        expected={name: value}, actual={name: ticket.get(name)},
                                        exchanges=self.evidence)
                links = u.deal_links(ticket, shape)
                if links != self.links:
                    raise Violation(f"{where}: deal links (id -> priority) differ from the links sent",
                                    expected=dict(sorted(self.links.items())), actual=dict(sorted(links.items())),
                                    exchanges=self.evidence)

        def teardown(self) -> None:
            """Remove the deal links this run added (never leave the suite's links on real deals)."""
            left = [self.added[k] for k in sorted(self.added) if k in self.links]
            if left and priorities and not replay.replaying:
                send({deals_field: [{"id": d, "priority": priorities[0], "delete": True} for d in left]})

        # -- helpers ----------------------------------------------------------------------------
        def _observe(self, response: dict[str, Any], exchange: Exchange) -> None:
            listed, page = fetch()
            self.response, self.listed, self.evidence = response, listed, [exchange, page]

        def _not_earlier(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
            try:
                old, new = parse_instant(before.get(shape.updated_at)), parse_instant(after.get(shape.updated_at))
            except NotAnInstant:
                return  # not an instant at all: the schema checks report that
            if new < old:
                raise Violation(f"{shape.updated_at} went backwards on an update",
                                expected=f"not before {before.get(shape.updated_at)}",
                                actual=after.get(shape.updated_at), exchanges=self.evidence)

    return UpdatesMatchModel
