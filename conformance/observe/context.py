"""What a running check can use: the API, the profile, the run's options and seeded exploration."""

from __future__ import annotations

import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st

from conformance.model.exchange import Exchange
from conformance.profiles.base import Profile
from conformance.observe.api import Api
from conformance.model.violations import Skipped


@dataclass(frozen=True)
class RunOptions:
    seed: int = 1
    max_examples: int = 12
    allow_writes: bool = False
    max_walk_pages: int = 1000  # --max-walk-pages: a walk needing more pages stops and says so


class RunContext:
    def __init__(self, profile: Profile, api: Api, options: RunOptions, spec: dict[str, Any]) -> None:
        self.profile = profile
        self.api = api
        self.options = options
        self.spec = spec
        self.exchanges: list[Exchange] = []  # the current check's requests, newest last
        self.check_name = ""  # set by the engine: the default salt of everything the check draws
        self.lane = 0  # set by the engine for write checks: which of the suite's own tickets it writes to

    def record(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    def wait(self, seconds: float) -> None:
        """Wait for the target's clock to move on; checks must use this, not ``time.sleep`` (a replay
        does not wait)."""
        self.api.client.wait(seconds)

    def require_writes(self) -> None:
        if not self.options.allow_writes:
            raise Skipped("needs writes: run with --allow-writes (live) to let the suite create and update tickets")

    def seed_for(self, salt: str | None = None) -> int:
        """The Hypothesis seed of one exploration: the run's seed salted with a name (by default the
        running check's), so checks draw independently and adding a check changes no other's draws."""
        name = salt if salt is not None else self.check_name
        return self.options.seed * 1_000_003 + zlib.crc32(name.encode())

    def explore(self, strategy: st.SearchStrategy, test: Callable[[Any], None], max_examples: int | None = None,
                salt: str | None = None) -> None:
        """Run ``test`` on values drawn from ``strategy``, reproducibly from the run's seed.

        No shrinking: against a rate-limited vendor every shrink step costs requests, and the
        violation already carries the exact request that shows it.
        """
        budget = max_examples if max_examples is not None else self.options.max_examples

        @settings(max_examples=max(1, budget), database=None, deadline=None, derandomize=False,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
                  report_multiple_bugs=False, print_blob=False, verbosity=Verbosity.quiet)
        @seed(self.seed_for(salt))
        @given(strategy)
        def run(value: Any) -> None:
            test(value)

        with seed_only_generation():
            run()

    def run_machine(self, factory: Callable[[], Any], *, examples: int | None = None, steps: int = 12,
                    salt: str | None = None) -> None:
        """Run a ``RuleBasedStateMachine`` (built by ``factory``) reproducibly from the run's seed."""
        from hypothesis.stateful import run_state_machine_as_test

        budget = examples if examples is not None else max(2, self.options.max_examples // 3)

        def build() -> Any:
            return factory()

        # Hypothesis reads the seed off the factory, the stateful twin of the @seed decorator.
        build._hypothesis_internal_use_seed = self.seed_for(salt)  # type: ignore[attr-defined]
        with seed_only_generation():
            run_state_machine_as_test(build, settings=settings(
                max_examples=budget, stateful_step_count=steps, database=None, deadline=None, derandomize=False,
                phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
                report_multiple_bugs=False, print_blob=False, verbosity=Verbosity.quiet))


@contextmanager
def seed_only_generation() -> Iterator[None]:
    """Make what Hypothesis generates depend on the seed alone.

    Hypothesis (6.131+) also draws from the literals of every imported module outside
    site-packages ("local constants"), so the same seed produced different requests depending on
    which modules happened to be loaded (a reference server, vcrpy, a test file) and on any edit
    to them: a recording made by one process did not replay in another. Switch that pool off.
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants

        original = providers._get_local_constants
        cache = providers.CONSTANTS_CACHE
    except (ImportError, AttributeError):  # an older or newer Hypothesis without the feature
        yield
        return
    if getattr(original, "seed_only", False):  # already switched off (the engine does, around its workers)
        yield
        return
    empty = Constants()

    def no_local_constants() -> Constants:
        return empty

    no_local_constants.seed_only = True  # type: ignore[attr-defined]
    providers._get_local_constants = no_local_constants
    cache.cache.clear()  # cached per choice type, local constants included
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()
