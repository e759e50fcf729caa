"""Deterministic seed data: the fixed deal table and ``count`` tickets drawn from ``random.Random(seed)``."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from .model import (
    CLOSED,
    DEAL_PRIORITIES,
    TICKET_STATES,
    TICKET_TYPES,
    UTC,
    Deal,
    Ticket,
    amount_sum_cents,
)

DEFAULT_TICKET_COUNT = 130  # > the default limit of 100, so the default first page is not everything
ORGANIZATION_ID = 42
SEED_USER_IDS = (11, 12, 13, 14)

# Seeded timestamps fall in [SEED_START, SEED_END); the store's clock starts after SEED_END.
SEED_START = datetime(2024, 1, 1, tzinfo=UTC)
SEED_END = datetime(2026, 1, 1, tzinfo=UTC)

DEALS = (
    Deal(501, 9001, "Acme Corp – Enterprise rollout", 1_250_000, True),
    Deal(502, 9002, "Globex renewal", 799_999, False),
    Deal(503, 9003, "Müller GmbH – Pilot", 4_200_050, True),
    Deal(504, 9004, "株式会社サンプル expansion", 15_000_000, False),
    Deal(505, 9005, "Initech seats", 99, True),
    Deal(506, 9006, "Café Olé POS", 350_075, False),
    Deal(507, 9007, "Umbrella – Phase 2", 2_000_000, True),
    Deal(508, 9008, "Soylent upsell", 123_456, False),
    Deal(509, 9009, "Ødegaard & Søn", 500_000, True),
    Deal(510, 9010, "Stark Industries 🚀", 1_000_000_000, True),
    Deal(511, 9011, "Wayne Enterprises", 0, False),
    Deal(512, 9012, "Tyrell (trial)", 1_999, False),
)

# Exactly 256 characters, non-ASCII but without astral characters, so it is 256 long whether a
# server counts code points or UTF-16 units.
LONG_TITLE = ("Sehr lange Überschrift – größtmögliche Länge, " * 6)[:256]
SPECIAL_TITLES = (
    "Überprüfung der Rechnungsstellung",
    "支払いエラー",
    "Émoji 🚀 in title",
    LONG_TITLE,
    "Ошибка экспорта в CSV",
    "x",
    "Quote \"marks\", <angle> & ampersand",
    "Ação necessária: SSO com SAML",
)
_VERBS = ("Fix", "Add", "Improve", "Support", "Investigate", "Remove", "Export", "Sync")
_NOUNS = ("invoice PDF", "SSO login", "CSV export", "deal sidebar", "Jira sync", "search index",
          "webhook retries", "dark mode", "Salesforce mapping", "Größenangaben", "通知設定")
_QUALIFIERS = ("", " for admins", " on mobile", " (regression)", " in EU region", " – urgent")
_PLAIN_TITLES = tuple(f"{v} {n}{q}" for v in _VERBS for n in _NOUNS for q in _QUALIFIERS)
LABEL_POOL = ("billing", "ux", "backend", "Backend", "größe", "p1", "customer-request", "🔥")
_INTEGRATIONS = (
    (3, "https://acme.atlassian.net/browse/{key}", "ACME-{n}"),
    (4, "https://linear.app/acme/issue/{key}", "ENG-{n}"),
)


def seed_tickets(rng: random.Random, count: int, deals: dict[int, Deal]) -> list[Ticket]:
    """``count`` tickets with ascending ids (small gaps), all timestamps in [SEED_START, SEED_END)."""
    span_ms = int((SEED_END - SEED_START) / timedelta(milliseconds=1))
    step_ms = max(span_ms // (count + 1), 2)
    tickets, ticket_id, deal_pool = [], 0, tuple(deals)
    for i in range(count):
        ticket_id += 2 if rng.random() < 0.04 else 1  # Choice: a few id gaps, as after deletions
        created_ms = i * step_ms + _below(rng, step_ms // 2)
        tickets.append(_ticket(rng, i, ticket_id, created_ms, span_ms, deals, deal_pool))
    return tickets


def _ticket(rng: random.Random, i: int, ticket_id: int, created_ms: int, span_ms: int,
            deals: dict[int, Deal], deal_pool: tuple[int, ...]) -> Ticket:
    combos = len(TICKET_TYPES) * len(TICKET_STATES)
    if i < combos:  # 7 and 6 are coprime: the first 42 tickets cover every (type, state) pair
        ticket_type, state = TICKET_TYPES[i % len(TICKET_TYPES)], TICKET_STATES[i % len(TICKET_STATES)]
    else:
        ticket_type, state = _pick(rng, TICKET_TYPES), _pick(rng, TICKET_STATES)
    edited = rng.random() < 0.6  # the rest were never changed after creation
    updated = _at(min(created_ms + (1 + _below(rng, 30 * 86_400_000) if edited else 0), span_ms - 1))
    ticket = Ticket(
        id=ticket_id,
        type=ticket_type,
        state=state,
        title=_title(rng, i),
        created_at=_at(created_ms),
        updated_at=updated,
        organization_id=ORGANIZATION_ID,
        created_by_user_id=_pick(rng, SEED_USER_IDS),
        closed_at=updated if state == CLOSED else None,  # closing was the last change
        description=_description(rng, ticket_id),
    )
    if rng.random() < 0.3:
        ticket.target_due_date = _at(created_ms + (7 + _below(rng, 113)) * 86_400_000)
    if rng.random() < 0.35:
        installation, url, key = _pick(rng, _INTEGRATIONS)
        ticket.vendor_entity_key = key.format(n=1 + _below(rng, 4999))
        ticket.vendor_entity_id = str(10_000 + ticket_id)
        ticket.integration_installation_id = installation
        ticket.vendor_entity_url = url.format(key=ticket.vendor_entity_key)
    if rng.random() < 0.4:
        ticket.labels = _distinct(rng, LABEL_POOL, 1 + _below(rng, 3))
    if rng.random() < 0.3:
        deal_ids = _distinct(rng, deal_pool, 1 + _below(rng, 3))
        ticket.deal_links = {d: _pick(rng, DEAL_PRIORITIES) for d in deal_ids}
        ticket.deal_amount_sum_cents = amount_sum_cents(deals, ticket.deal_links)
    return ticket


def _title(rng: random.Random, i: int) -> str:
    if i % 13 == 1:  # every 13th ticket carries one of the special titles, in turn
        return SPECIAL_TITLES[(i // 13) % len(SPECIAL_TITLES)]
    return _pick(rng, _PLAIN_TITLES)


def _description(rng: random.Random, ticket_id: int) -> str | list | None:
    kind = rng.random()
    if kind < 0.35:
        return None
    if kind < 0.7:
        return f"## Steps\n\n1. Open ticket {ticket_id}\n2. Click **Export**\n\n_Expected_: it works – ✓"
    return [
        {"type": "paragraph", "children": [{"text": f"Reported for ticket {ticket_id}. "},
                                           {"text": "Blocking", "bold": True}]},
        {"type": "bulleted-list", "children": [{"type": "list-item", "children": [{"text": "Größe: L"}]}]},
    ]


def _at(ms: int) -> datetime:
    return SEED_START + timedelta(0, 0, 0, ms)


# rng.random() is implemented in C; choice/randrange/sample are not, and they dominated seeding
# 50,000 tickets. These helpers draw from the same seeded generator, just faster.
def _below(rng: random.Random, n: int) -> int:
    """A deterministic int in [0, n)."""
    return int(rng.random() * n) if n > 0 else 0


def _pick(rng: random.Random, seq: tuple):
    return seq[int(rng.random() * len(seq))]


def _distinct(rng: random.Random, seq: tuple, k: int) -> list:
    """``k`` distinct items of ``seq`` in drawn order."""
    chosen: list = []
    while len(chosen) < k:
        item = _pick(rng, seq)
        if item not in chosen:
            chosen.append(item)
    return chosen
