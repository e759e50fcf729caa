"""Verdicts that hold while other writers change the collection (a live account shared with others).

A check comparing observations taken at different moments can see another user's ticket appear
between them. ``judged_while_stable`` lets a violation stand only when the collection did not change
while the check looked (the oracle walk before equals a fresh one after); otherwise the check looks
again on fresh observations, and after ``ATTEMPTS`` changing attempts it is *inconclusive*, never a
failure. A check that passes costs nothing extra; a violation costs one walk at the largest page size.
"""

from __future__ import annotations

from typing import Any, Callable

from conformance.model.observations import Walk
from conformance.model.violations import Inconclusive, Violation
from conformance.observe.context import RunContext

ATTEMPTS = 3


def change(before: Walk, after: Walk, id_field: str) -> str:
    """How the collection changed between two walks ("" when it did not): tickets that appeared,
    disappeared or changed (any field)."""
    old = {repr(item.get(id_field)): item for item in before.items}
    new = {repr(item.get(id_field)): item for item in after.items}
    appeared = [k for k in new if k not in old]
    gone = [k for k in old if k not in new]
    changed = [k for k in new if k in old and new[k] != old[k]]
    # Not the order alone: writers add, remove or change tickets; the same tickets in another order
    # is the API's own doing (an unstable order), which the checks must still judge.
    parts = [f"{len(appeared)} ticket(s) appeared"] if appeared else []
    parts += [f"{len(gone)} disappeared"] if gone else []
    parts += [f"{len(changed)} changed"] if changed else []
    return ", ".join(parts)


def judged_while_stable(ctx: RunContext, judge: Callable[[], Any], what: str = "the check") -> Any:
    """``judge()`` (which observes and raises ``Violation``), trusted only on a collection that held still."""
    id_field = ctx.profile.id_field
    seen = ""
    for _ in range(ATTEMPTS):
        before = ctx.api.full_walk()
        try:
            return judge()
        except Violation as violation:
            if violation.robust:  # judged on what held throughout the check: others' writes cannot explain it
                raise
            ctx.api.forget()  # the next attempt observes afresh
            seen = change(before, ctx.api.full_walk(), id_field)
            if not seen:
                raise
    raise Inconclusive(f"the collection changed during {what} in each of {ATTEMPTS} attempts ({seen})")


def appeared_with_titles(ctx: RunContext, before: Walk, titles: list[Any]) -> tuple[list[Any], Walk]:
    """Tickets listed now that ``before`` did not list, titled like one of ``titles`` (the titles of
    writes that must have created nothing). Looking for the would-be ticket itself, not at a count,
    keeps the verdict true while others create tickets. A title matches when it is the same, or
    starts with the same 24 characters (a server may store a cut title); an empty title matches an
    empty or missing one."""
    assert ctx.profile.writes
    title_field, id_field = ctx.profile.writes.title_field, ctx.profile.id_field
    known = {repr(i) for i in before.ids(id_field)}
    after = ctx.api.full_walk()

    def like(stored: Any) -> bool:
        for sent in titles:
            if not sent and stored in ("", None):
                return True
            if sent and isinstance(stored, str) and isinstance(sent, str) and stored[:24] == sent[:24]:
                return True
        return False

    found = [i for i in after.items if repr(i.get(id_field)) not in known and like(i.get(title_field))]
    return found, after
