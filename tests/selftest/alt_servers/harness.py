"""Run the suite against an alternative server, one case per worker process, results as plain data.

Uses only the suite's public run entry point (RunRequest/run), like a user of the CLI would.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from alt_servers.copper_alt import AltCopperServer
from alt_servers.opine_alt import OpineAltServer

SERVERS = {"opine": OpineAltServer, "copper": AltCopperServer}


@dataclass(frozen=True)
class Case:
    vendor: str                     # "opine" | "copper"
    config: Any                     # the server's configuration (its choices where the docs are silent)
    store: type                     # the store class: the clean one or a planted bug
    checks: tuple[str, ...] = ()    # only these checks; () = the whole suite
    workers: int = 1                # run --workers N


def run_case(case: Case) -> dict[str, Any]:
    """Serve the case and run the suite against it; exit code and every check's outcome (picklable)."""
    from conformance.run.runner import RunRequest, run

    with SERVERS[case.vendor](case.config, case.store) as server:
        report = run(RunRequest(vendor=case.vendor, base_url=server.base_url, api_key=server.api_key,
                                allow_writes=True, checks=list(case.checks) or None, workers=case.workers))
    return {"rc": report.exit_code,
            "checks": [{"name": c.name, "level": c.level, "status": c.status, "message": c.message or ""}
                       for c in report.checks]}


def failed(result: dict[str, Any], level: str | None = "MUST") -> list[dict[str, Any]]:
    return [c for c in result["checks"] if c["status"] == "failed" and level in (None, c["level"])]


def explain(result: dict[str, Any]) -> str:
    lines = [f"exit {result['rc']}"] + [f"  [{c['level']}] {c['name']}: {c['message'][:700]}"
                                         for c in failed(result, None)]
    return "\n".join(lines)


def assert_caught(bug: type, result: dict[str, Any]) -> None:
    """One of the checks the bug names failed; at MUST level, the run's exit code says so."""
    caught = [c for c in failed(result, None) if c["name"] in bug.catches]
    assert caught, f"{bug.__name__} ({bug.__doc__}) not caught by any of {bug.catches}:\n{explain(result)}"
    if any(c["level"] == "MUST" for c in caught):
        assert result["rc"] == 1, explain(result)


def assert_passes(result: dict[str, Any]) -> None:
    assert result["rc"] == 0 and not failed(result), f"false alarm on a correct server:\n{explain(result)}"


class CasePool:
    """Submits the cases a test module collected to a process pool, at once, so they run in parallel."""

    def __init__(self, cases: dict[str, Case], wanted: list[str]):
        self._pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 2,
                                         mp_context=multiprocessing.get_context("spawn"))
        self._cases = cases
        self._futures: dict[str, Future] = {name: self._pool.submit(run_case, cases[name]) for name in wanted}

    def result(self, name: str) -> dict[str, Any]:
        if name not in self._futures:  # a case a test reads besides its own parameter
            self._futures[name] = self._pool.submit(run_case, self._cases[name])
        return self._futures[name].result(timeout=600)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def collected(request: Any, argname: str = "case") -> list[str]:
    """The values of the `case` parameter of this module's collected tests, in order."""
    wanted: list[str] = []
    for item in request.session.items:
        spec = getattr(item, "callspec", None)
        if item.module is request.module and spec is not None and argname in spec.params:
            if spec.params[argname] not in wanted:
                wanted.append(spec.params[argname])
    return wanted


def pool_fixture(cases: dict[str, Case]) -> Any:
    """A module-scoped `outcomes` fixture running the module's collected cases in a process pool."""
    import pytest

    @pytest.fixture(scope="module")
    def outcomes(request):
        pool = CasePool(cases, collected(request))
        yield pool
        pool.close()

    return outcomes


def bug_params(bugs: dict[str, type], misses: dict[str, str]) -> list[Any]:
    """Every bug's name; the expected misses marked strict xfail with their reason."""
    import pytest

    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=misses[name])) if name in misses
            else name for name in bugs]


def assert_bugs_well_formed(bugs: dict[str, type], misses: dict[str, str], checks: set[str]) -> None:
    """Each bug has a docstring and names checks the vendor's suite has; each expected miss is a bug."""
    assert set(misses) <= set(bugs)
    for bug in bugs.values():
        assert bug.__doc__ and bug.catches, f"{bug.__name__} needs a one-line docstring and catches"
        assert set(bug.catches) <= checks, f"{bug.__name__} names unknown checks {set(bug.catches) - checks}"
