"""The oracles behind the create, deal-link and near-miss checks, on hand-made observations."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from conformance.model.exchange import Exchange
from conformance.model.violations import Violation
from conformance.oracles import updates as u
from conformance.oracles.auth import near_misses_refused

SHAPE = u.Shape(id_field="id", created_at="createdAt", updated_at="updatedAt", closed_at="closedAt", state="state",
                kinds={"title": "string"}, linked_deals="linkedDeals", deal_sum="dealAmountSum")
EX = Exchange(method="GET", url="http://x/v1/tickets", status=200, body=b"{}")


def _answer(status: int, body: object) -> Exchange:
    return Exchange(method="GET", url="http://x/v1/tickets?limit=1", status=status, body=json.dumps(body).encode())


def _ticket(links: dict[int, str], total: object = 0, **extra: object) -> dict:
    return {"id": 1, "linkedDeals": [{"id": d, "priority": p} for d, p in links.items()], "dealAmountSum": total,
            **extra}


# -- near misses ----------------------------------------------------------------------------------
def test_near_misses_pass_on_any_4xx_without_tickets():
    near_misses_refused([("a prefix", _answer(401, {"error": "no"})), ("empty", _answer(400, {"issues": []})),
                         ("case", Exchange(method="GET", url="u", status=403, body=b"denied"))], "id", ("title",))


def test_every_near_miss_let_through_is_named_and_the_first_one_reproduced():
    leak = _answer(401, {"error": "no", "ticket": {"id": 3, "title": "secret"}})
    ok, served = _answer(200, {"items": []}), _answer(401, {"error": "no"})
    with pytest.raises(Violation) as caught:
        near_misses_refused([("a prefix", ok), ("the key minus its last character", served), ("case", leak)],
                            "id", ("title",))
    assert caught.value.actual == {"a prefix": 200, "case": "401 with ticket data"}
    assert "a prefix" in caught.value.message and "1 more" in caught.value.message
    assert list(caught.value.exchanges)[-1] is ok  # the reproduction shown is of the probe named first


# -- deal links -----------------------------------------------------------------------------------
def test_links_are_exactly_what_was_asked_for():
    u.links_are(_ticket({5: "BLOCKER", 6: "IMPORTANT"}), {"5": "BLOCKER", "6": "IMPORTANT"}, SHAPE, "w", [EX])
    for got in ({5: "BLOCKER"}, {5: "BLOCKER", 6: "NICE_TO_HAVE"}, {5: "BLOCKER", 6: "IMPORTANT", 7: "BLOCKER"}):
        with pytest.raises(Violation, match="deal links are not what the updates asked for"):
            u.links_are(_ticket(got), {"5": "BLOCKER", "6": "IMPORTANT"}, SHAPE, "w", [EX])
    twice = {"id": 1, "linkedDeals": [{"id": 5, "priority": "BLOCKER"}, {"id": 5, "priority": "BLOCKER"}]}
    with pytest.raises(Violation):
        u.links_are(twice, {"5": "BLOCKER"}, SHAPE, "w", [EX])


def test_deals_sent_on_create_are_all_linked_or_none():
    sent, amounts = {"5": "BLOCKER", "6": "IMPORTANT"}, {"5": Decimal("1.5"), "6": Decimal("2")}
    u.deals_linked_as_sent(_ticket({5: "BLOCKER", 6: "IMPORTANT"}, 3.5), sent, amounts, SHAPE, "w", [EX])
    u.deals_linked_as_sent(_ticket({}, None), sent, amounts, SHAPE, "w", [EX])  # deals ignored on create
    u.deals_linked_as_sent(_ticket({5: "BLOCKER", 6: "IMPORTANT"}, 99), sent, {"5": Decimal(1)}, SHAPE, "w", [EX])
    for ticket in (_ticket({5: "BLOCKER"}, 1.5), _ticket({5: "IMPORTANT", 6: "IMPORTANT"}, 3.5),
                   _ticket({5: "BLOCKER", 6: "IMPORTANT"}, 0), _ticket({}, 3.5)):
        with pytest.raises(Violation):
            u.deals_linked_as_sent(ticket, sent, amounts, SHAPE, "w", [EX])


# -- stamps ---------------------------------------------------------------------------------------
def test_updated_at_is_never_before_created_at():
    u.stamps_in_order({"createdAt": "2026-01-01T10:00:00.000Z", "updatedAt": "2026-01-01T11:00:00+01:00"}, SHAPE,
                      "w", [EX])
    with pytest.raises(Violation, match="before"):
        u.stamps_in_order({"createdAt": "2026-01-01T10:00:00.000Z", "updatedAt": "2026-01-01T09:59:59.999Z"},
                          SHAPE, "w", [EX])
    with pytest.raises(Violation, match="not an instant"):
        u.stamps_in_order({"createdAt": "2026-01-01T10:00:00.000Z"}, SHAPE, "w", [EX])
