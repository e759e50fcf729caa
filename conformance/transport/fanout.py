"""Independent requests of one check sent at once: the sampled walks of a cursor list, the pages of an
offset walk whose positions are known in advance. A parallel run (``--workers N``) spends its wall
time waiting for answers, and one long observation that every other check waits for (the unfiltered
walk and its sampled walks) would otherwise cap how far the workers help.

Plain threads rather than ``concurrent.futures``: its threads are joined at interpreter exit, so a
request hanging until its deadline would hold up the exit after Ctrl-C; these are daemons, as the
workers are."""

from __future__ import annotations

import contextvars
import threading
from typing import Callable, Protocol, Sequence, TypeVar

T = TypeVar("T")


class Counted(Protocol):
    """What the client counts per thread (a check's requests and answer bytes)."""

    @property
    def requests_here(self) -> int: ...

    @property
    def received_here(self) -> int: ...

    def count_here(self, requests: int, received: int) -> None: ...


class Fanout:
    """Runs calls side by side, up to ``helpers`` extra threads run-wide (with the caller's own, one per
    connection the client keeps). Without spare helpers (a serial run, a recording, every helper busy)
    the calls run one after another in the caller's thread, in order: the same calls either way."""

    def __init__(self, helpers: int, counted: Counted) -> None:
        self._spare = max(0, helpers)
        self._counted = counted
        self._lock = threading.Lock()
        self._here = threading.local()

    def run(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Each call's value, in call order. Each runs in a copy of the caller's context (which check is
        running) and its requests and bytes count as the caller's, so a check costs the same however its
        requests went. Once a call raises, no further call starts; the first error in call order is raised
        when every started call has ended. A call made from a helper runs its own calls one by one."""
        calls = list(calls)
        if len(calls) < 2 or getattr(self._here, "helping", False):
            return [call() for call in calls]
        with self._lock:
            taken = min(self._spare, len(calls) - 1)
            self._spare -= taken
        if not taken:
            return [call() for call in calls]
        values: list[T | None] = [None] * len(calls)
        errors: list[BaseException | None] = [None] * len(calls)
        pending = list(range(len(calls)))
        pending_lock = threading.Lock()
        carried = [0, 0]
        context = contextvars.copy_context()

        def work(helper: bool) -> None:
            self._here.helping = True
            try:
                while True:
                    with pending_lock:
                        if not pending:
                            return
                        index = pending.pop(0)
                    before = (self._counted.requests_here, self._counted.received_here)
                    try:
                        values[index] = context.copy().run(calls[index]) if helper else calls[index]()
                    except BaseException as exc:  # noqa: BLE001 - raised in the caller, in call order
                        errors[index] = exc
                        with pending_lock:
                            pending.clear()
                    finally:
                        if helper:
                            with pending_lock:
                                carried[0] += self._counted.requests_here - before[0]
                                carried[1] += self._counted.received_here - before[1]
            finally:
                self._here.helping = False

        threads = [threading.Thread(target=work, args=(True,), name=f"conformance-fanout-{n}", daemon=True)
                   for n in range(taken)]
        try:
            for thread in threads:
                thread.start()
            work(False)
            for thread in threads:
                thread.join()
        finally:
            with self._lock:
                self._spare += taken
            self._counted.count_here(*carried)
        for error in errors:
            if error is not None:
                raise error
        return values  # type: ignore[return-value]

    def prefetch(self, calls: Sequence[Callable[[], T]]) -> list[Callable[[], T]]:
        """Openers of the calls' values, to be opened in order by a caller that may stop early (a walk at
        its last page): with spare helpers every call runs now, side by side, and an error waits in its
        opener (a page the caller never opens fails nothing); without, each call runs when opened, as it
        would one by one. So the caller sees the same either way."""
        calls = list(calls)
        with self._lock:
            idle = self._spare > 0
        if len(calls) < 2 or not idle or getattr(self._here, "helping", False):
            return calls
        return self.run([lambda call=call: _attempt(call) for call in calls])


def _attempt(call: Callable[[], T]) -> Callable[[], T]:
    try:
        value = call()
    except Exception as exc:  # noqa: BLE001 - raised when (and only if) the caller opens this value
        error = exc

        def reraise() -> T:
            raise error

        return reraise
    return lambda: value
