"""The vendor-neutral view of a Ticket API that checks use: list, retrieve, create, update, walk."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from conformance.model.exchange import Exchange
from conformance.profiles.base import CursorPaging, OffsetPaging, Profile
from conformance.observe.walks import RUN_PAGE_CAP, Params, Walk, walk_cursor, walk_offset
from conformance.transport.client import Client


MEMO_BYTES = 96 * 1024 * 1024  # answer bytes that memoized observations may hold (about 3x that in memory)


class Api:
    def __init__(self, client: Client, profile: Profile, max_walk_pages: int = RUN_PAGE_CAP) -> None:
        self.client = client
        self.profile = profile
        self.max_walk_pages = max_walk_pages  # a walk longer than this stops, and says so (walk.stop)
        self._memo: dict[Any, Any] = {}
        self._memo_bytes = 0  # answer bytes behind what is memoized
        self.notes: dict[Any, Any] = {}  # per-run facts that a write does not make stale (e.g. own tickets)

    # -- plain operations ----------------------------------------------------------------------
    def list(self, params: Iterable[tuple[str, str]] | Mapping[str, Any] = (), auth: str = "key") -> Exchange:
        pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
        return self.client.request("GET", self.profile.collection, params=[(k, str(v)) for k, v in pairs], auth=auth)

    def retrieve(self, ticket_id: Any, auth: str = "key") -> Exchange:
        return self.client.request("GET", self._item(ticket_id), auth=auth)

    def create(self, body: Any, auth: str = "key") -> Exchange:
        self.forget()
        return self.client.request("POST", self.profile.collection, json=body, auth=auth)

    def update(self, ticket_id: Any, body: Any, auth: str = "key") -> Exchange:
        self.forget()
        method = self.profile.writes.update_method if self.profile.writes else "PUT"
        return self.client.request(method, self._item(ticket_id), json=body, auth=auth)

    def _item(self, ticket_id: Any) -> str:
        from urllib.parse import quote

        return self.profile.item.replace("{id}", quote(str(ticket_id), safe=""))

    # -- walks -----------------------------------------------------------------------------------
    def walk(self, limit: int | None = None, filters: Params = ()) -> Walk:
        paging = self.profile.paging
        fetch = self.list
        if isinstance(paging, OffsetPaging):
            return walk_offset(fetch, paging, limit or paging.largest_limit, id_field=self.profile.id_field,
                               run_cap=self.max_walk_pages)
        assert isinstance(paging, CursorPaging)
        return walk_cursor(fetch, paging, limit, tuple(filters), self.profile.id_field, run_cap=self.max_walk_pages)

    def full_walk(self) -> Walk:
        """The whole collection at the largest page size: the oracle most checks compare against.

        Walked once per run and reused, until a write (create/update) makes it stale.
        """
        return self.memo(("full-walk",), lambda: self.walk(self.profile.paging.largest_limit))

    def memo(self, key: Any, compute):
        """``compute()``, kept for the rest of the run (until a write) while what is kept stays within
        ``MEMO_BYTES`` of answers: an API sending huge pages costs requests, never unbounded memory."""
        if key in self._memo:
            return self._memo[key]
        before = self.client.received_bytes
        value = compute()
        held = self.client.received_bytes - before
        if self._memo_bytes + held > MEMO_BYTES:
            self._memo.clear()  # make room: what is dropped is fetched again if asked for
            self._memo_bytes = 0
        if held <= MEMO_BYTES:
            self._memo[key] = value
            self._memo_bytes += held
        return value

    def forget(self) -> None:
        self._memo.clear()
        self._memo_bytes = 0
