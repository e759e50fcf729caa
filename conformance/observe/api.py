"""The vendor-neutral view of a Ticket API that checks use: list, retrieve, create, update, walk."""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterable, Mapping, TypeVar

from conformance.model.exchange import Exchange
from conformance.oracles.errors import error_is_documented
from conformance.profiles.base import CursorPaging, OffsetPaging, Profile
from conformance.observe.walks import RUN_PAGE_CAP, Params, Walk, walk_cursor, walk_offset
from conformance.transport.client import Client


T = TypeVar("T")
WALK_AHEAD = 8  # pages of an offset walk asked at once when a fanout has helpers (a parallel run)
MEMO_BYTES = 96 * 1024 * 1024  # answer bytes that memoized observations may hold (about 3x that in memory)


class Api:
    def __init__(self, client: Client, profile: Profile, max_walk_pages: int = RUN_PAGE_CAP) -> None:
        self.client = client
        self.profile = profile
        self.max_walk_pages = max_walk_pages  # a walk longer than this stops, and says so (walk.stop)
        self._memo: dict[Any, Any] = {}
        self._memo_bytes = 0  # answer bytes behind what is memoized
        # Workers (run --workers N) share the memo: one computes an observation, the others wait for it.
        self._lock = threading.Lock()  # the memo, its byte count, the key locks and the generation
        self._key_locks: dict[Any, threading.RLock] = {}  # re-entrant: a compute may ask for its own key
        self._generation = 0  # bumped by forget(): a value computed before a write is not kept
        self.notes: dict[Any, Any] = {}  # per-run facts that a write does not make stale (e.g. own tickets)
        self.parent: Api | None = None  # the shared view a lane was made from (``lane``)
        self.notes_lock = threading.RLock()  # the notes' own lock, shared by every lane (hold it briefly)
        self._note_locks: dict[Any, threading.RLock] = {}  # one per note being made, shared by every lane

    def lane(self) -> "Api":
        """A view for one write lane: the same client and notes, and a memo of its own that starts as
        this one's. Only the lane's own writes make it stale: the other lanes write to tickets of their
        own, which to this lane are other users' tickets (checks tolerate those, as on a live account).
        So the lanes of a run observe the same whether they run one after another or side by side."""
        view = Api(self.client, self.profile, self.max_walk_pages)
        view.parent = self
        view.notes, view.notes_lock, view._note_locks = self.notes, self.notes_lock, self._note_locks
        with self._lock:
            view._memo, view._memo_bytes = dict(self._memo), self._memo_bytes
        return view

    def note(self, key: Any, compute):
        """The run's note ``key``, made by ``compute()`` on first use; once per run, whichever lane asks
        first (the others wait for it). A compute that raises makes nothing: the next caller tries again."""
        with self.notes_lock:
            if key in self.notes:
                return self.notes[key]
            lock = self._note_locks.setdefault(key, threading.RLock())
        with lock:
            with self.notes_lock:
                if key in self.notes:
                    return self.notes[key]
            value = compute()
            with self.notes_lock:
                self.notes[key] = value
            return value

    # -- plain operations ----------------------------------------------------------------------
    def list(self, params: Iterable[tuple[str, str]] | Mapping[str, Any] = (), auth: str = "key") -> Exchange:
        pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
        return self.judged(self.client.request("GET", self.profile.collection,
                                               params=[(k, str(v)) for k, v in pairs], auth=auth))

    def retrieve(self, ticket_id: Any, auth: str = "key") -> Exchange:
        return self.judged(self.client.request("GET", self._item(ticket_id), auth=auth))

    def create(self, body: Any, auth: str = "key") -> Exchange:
        self.forget()
        return self.judged(self.client.request("POST", self.profile.collection, json=body, auth=auth,
                                               encoding=self._encoding))

    def update(self, ticket_id: Any, body: Any, auth: str = "key", refusal_expected: bool = False) -> Exchange:
        """``refusal_expected``: an update of an unknown id, which changes nothing unless the API accepts
        it; what is kept is forgotten only then (read-only checks send it side by side with others)."""
        if not refusal_expected:
            self.forget()
        method = self.profile.writes.update_method if self.profile.writes else "PUT"
        exchange = self.client.request(method, self._item(ticket_id), json=body, auth=auth, encoding=self._encoding)
        if refusal_expected and 200 <= exchange.status < 300:
            self.forget()
        return self.judged(exchange)

    def side_by_side(self, calls: list[Callable[[], T]]) -> list[T]:
        """``calls``' values in order (``Fanout.run``): side by side when the run has idle connections
        (``--workers``), else one after another."""
        return self.client.fanout.run(calls)

    def prefetch(self, calls: list[Callable[[], T]]) -> list[Callable[[], T]]:
        """Openers of ``calls``' values (``Fanout.prefetch``): asked side by side now when the run has idle
        connections (``--workers``), else each when opened; a caller that stops early asks no more."""
        return self.client.fanout.prefetch(calls)

    @property
    def _encoding(self) -> str:
        """How write bodies go: the profile's ``writes.body_encoding`` (json or form)."""
        return self.profile.writes.body_encoding if self.profile.writes else "json"

    def judged(self, exchange: Exchange) -> Exchange:
        """Every error answer any check provokes is held to the vendor's documented error shape and
        media type (oracles/errors.py); the check that provoked it reports the violation."""
        if self.profile.errors is not None:
            path = exchange.url.split("?")[0].removeprefix(self.client.base_url)
            error_is_documented(exchange, self.profile.errors, f"{exchange.method} {path or '/'}")
        return exchange

    def _item(self, ticket_id: Any) -> str:
        from urllib.parse import quote

        return self.profile.item.replace("{id}", quote(str(ticket_id), safe=""))

    # -- walks -----------------------------------------------------------------------------------
    def walk(self, limit: int | None = None, filters: Params = ()) -> Walk:
        paging = self.profile.paging
        fetch = self.list
        if isinstance(paging, OffsetPaging):
            return walk_offset(fetch, paging, limit or paging.largest_limit, id_field=self.profile.id_field,
                               run_cap=self.max_walk_pages, prefetch=self.prefetch, ahead=WALK_AHEAD)
        assert isinstance(paging, CursorPaging)
        return walk_cursor(fetch, paging, limit, tuple(filters), self.profile.id_field, run_cap=self.max_walk_pages)

    def full_walk(self) -> Walk:
        """The whole collection at the largest page size: the oracle most checks compare against.

        Walked once per run and reused, until a write (create/update) makes it stale.
        """
        return self.memo(("full-walk",), lambda: self.walk(self.profile.paging.largest_limit))

    def walk_before_writes(self) -> Walk:
        """The unfiltered walk as the read-only checks saw it: the shared view's, which no lane writes
        through (for a lane, what it was before any lane wrote; else the current one). What a write
        check learns from other users' tickets (deal ids, amounts) comes from here, so that it does not
        depend on how far the other lanes have got."""
        return (self.parent or self).full_walk()

    def memo(self, key: Any, compute):
        """``compute()``, kept for the rest of the run (until a write) while what is kept stays within
        ``MEMO_BYTES`` of answers: an API sending huge pages costs requests, never unbounded memory.

        Computed once however many workers ask at the same time: the first computes while the others
        wait for its value. A compute that raises keeps nothing, so the next caller computes afresh,
        as it would in a serial run (the same requests, whichever worker gets there first)."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]
            lock = self._key_locks.setdefault(key, threading.RLock())
        with lock:
            with self._lock:
                if key in self._memo:
                    return self._memo[key]
                generation = self._generation
            before = self.client.received_here  # this thread's bytes: other workers read meanwhile
            value = compute()
            held = self.client.received_here - before
            with self._lock:
                if generation != self._generation:  # a write happened meanwhile: the value may be stale
                    return value
                if self._memo_bytes + held > MEMO_BYTES:
                    self._memo.clear()  # make room: what is dropped is fetched again if asked for
                    self._memo_bytes = 0
                if held <= MEMO_BYTES:
                    self._memo[key] = value
                    self._memo_bytes += held
            return value

    def forget(self) -> None:
        with self._lock:
            self._memo.clear()
            self._memo_bytes = 0
            self._generation += 1
