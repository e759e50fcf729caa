"""A check's independent requests sent at once (transport/fanout.py) change nothing but the wall time:
the same values, the same pages of an offset walk, the same requests counted to the same check; a page
the walk never reaches fails nothing; a serial run sends each request only when it is needed."""

from __future__ import annotations

import json
import threading

import pytest

from conformance.model.exchange import Exchange
from conformance.observe.walks import walk_offset
from conformance.profiles import PROFILES
from conformance.transport.client import Client
from conformance.transport.fanout import Fanout

OPINE = PROFILES["opine"]


class Counts(Client):
    """The client's own per-thread counters (requests and bytes), as Fanout sees them; no request is sent."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9/v1", OPINE, None)

    def send(self) -> None:
        self.count_here(1, 10)


def test_values_come_back_in_call_order_and_count_as_the_callers():
    counts = Counts()
    fanout = Fanout(3, counts)
    threads: set[str] = set()
    two_at_once = threading.Barrier(2, timeout=10)  # the first two calls meet: they run side by side

    def call(n: int):
        def run() -> int:
            if n < 2:
                two_at_once.wait()
            counts.send()
            threads.add(threading.current_thread().name)
            return n * n
        return run

    assert fanout.run([call(n) for n in range(6)]) == [0, 1, 4, 9, 16, 25]
    assert (counts.requests_here, counts.received_here) == (6, 60)  # every request is the caller's
    assert len(threads) > 1  # helpers did take part


def test_without_helpers_calls_run_one_by_one_in_the_callers_thread():
    fanout = Fanout(0, Counts())
    names = []
    fanout.run([lambda: names.append(threading.current_thread().name) for _ in range(3)])
    assert names == [threading.current_thread().name] * 3


def test_the_first_error_in_call_order_is_raised_after_the_others_end():
    fanout = Fanout(2, Counts())

    def fail(message: str):
        def run() -> None:
            raise ValueError(message)
        return run

    with pytest.raises(ValueError, match="first"):
        fanout.run([lambda: 1, fail("first"), fail("second")])


def test_helpers_return_to_the_pool():
    fanout = Fanout(2, Counts())
    for _ in range(3):
        fanout.run([lambda: 1] * 4)
    assert fanout._spare == 2


def test_a_call_from_a_helper_runs_its_own_calls_one_by_one():
    fanout = Fanout(4, Counts())
    inner_threads: list[set[str]] = []

    def outer() -> None:
        names: set[str] = set()
        fanout.run([lambda: names.add(threading.current_thread().name)] * 3)
        inner_threads.append(names)

    fanout.run([outer, outer])
    assert all(len(names) == 1 for names in inner_threads)


def test_serial_prefetch_asks_nothing_before_it_is_opened():
    asked = []
    openers = Fanout(0, Counts()).prefetch([lambda n=n: asked.append(n) or n for n in range(3)])
    assert asked == []
    assert openers[0]() == 0 and asked == [0]


def test_an_error_waits_in_its_opener():
    def broken() -> int:
        raise ValueError("page 2")

    openers = Fanout(3, Counts()).prefetch([lambda: 1, broken, lambda: 3])
    assert openers[0]() == 1 and openers[2]() == 3
    with pytest.raises(ValueError, match="page 2"):
        openers[1]()


class Pages:
    """An offset list of ``total`` tickets; ``short_at``: the page at that offset holds one ticket too few."""

    def __init__(self, total: int, short_at: int | None = None) -> None:
        self.total, self.short_at, self.asked = total, short_at, []
        self.lock = threading.Lock()

    def __call__(self, params) -> Exchange:
        query = dict(params)
        limit, offset = int(query["limit"]), int(query["offset"])
        with self.lock:
            self.asked.append(offset)
        ids = list(range(offset, min(offset + limit, self.total)))
        if offset == self.short_at:
            ids = ids[:-1]
        body = {OPINE.paging.items_key: [{"id": i} for i in ids], OPINE.paging.total_key: self.total,
                "limit": limit, "offset": offset}
        return Exchange(method="GET", url=f"http://x/v1/tickets?limit={limit}&offset={offset}", status=200,
                        response_headers={"Content-Type": "application/json"}, body=json.dumps(body).encode())


@pytest.mark.parametrize("total,short_at", [(95, None), (100, None), (95, 30), (7, None)])
def test_an_offset_walk_ahead_matches_the_walk_one_by_one(total, short_at):
    paging = OPINE.paging
    serial, ahead = Pages(total, short_at), Pages(total, short_at)
    one_by_one = walk_offset(serial, paging, 10)
    fanout = Fanout(7, Counts())
    at_once = walk_offset(ahead, paging, 10, prefetch=fanout.prefetch, ahead=8)
    assert at_once.ids("id") == one_by_one.ids("id") and at_once.stop == one_by_one.stop
    assert [p.params for p in at_once.pages] == [p.params for p in one_by_one.pages]
    if short_at is None:  # a correct list: exactly the requests of the one-by-one walk
        assert sorted(ahead.asked) == sorted(serial.asked)
    else:  # a short page: the pages asked beyond it are not used, and the walk goes on from where it says
        assert set(serial.asked) <= set(ahead.asked)
