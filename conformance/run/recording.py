"""``ticket-conformance record``: re-record the shipped cassettes from fresh reference servers.

Each vendor is recorded from a fresh reference server (a live run with ``--record --allow-writes``),
replayed once to verify the verdicts, and only then replaces ``<dir>/<vendor>/``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from conformance.model.errors import ConfigError
from conformance.profiles import PROFILES, get_profile
from conformance.reference import http
from conformance.report.model import RunReport
from conformance.run.runner import RunRequest, run
from conformance.transport.targets import reference_app, reference_store


def record_reference(vendor: str, directory: Path, *, seed: int = 1, max_examples: int = 12,
                     checks: Sequence[str] | None = None, key: str | None = None,
                     report_dir: Path | None = None) -> RunReport:
    """Record a live run (with writes) against a fresh reference server served on loopback."""
    profile = get_profile(vendor)
    store = reference_store(profile, api_key=key) if key else reference_store(profile)
    key = key or getattr(store, "api_key", None) or profile.reference_key
    with http.start(reference_app(profile, store)) as server:
        request = RunRequest(vendor=vendor, base_url=server.origin + profile.version_prefix, api_key=key,
                             allow_writes=True, record=True, cassettes=Path(directory), seed=seed,
                             max_examples=max_examples, checks=list(checks) if checks else None)
        return run(request, report_dir=report_dir)


def record(vendors: Sequence[str] | None, directory: Path) -> int:
    """Re-record each vendor (all by default); exit code 0, 1 (a check failed or replay differs) or 2."""
    code = 0
    for vendor in vendors or sorted(PROFILES):
        try:
            code = max(code, _rerecord(vendor, Path(directory)))
        except ConfigError as exc:
            print(f"record {vendor}: {exc}", file=sys.stderr)
            code = 2
    return code


def _rerecord(vendor: str, directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=f".{vendor}-") as scratch:
        fresh = Path(scratch)
        recorded = record_reference(vendor, fresh, report_dir=fresh / "report")
        replayed = run(RunRequest(vendor=vendor, target="replay", cassettes=fresh))
        before = {c.name: c.status for c in recorded.checks}
        after = {c.name: c.status for c in replayed.checks}
        if before != after:
            changed = sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))
            print(f"record {vendor}: the recording does not replay to the same verdicts ({', '.join(changed)}); "
                  f"{directory / vendor}/ left as it was", file=sys.stderr)
            return 1
        target = directory / vendor
        if target.exists():
            shutil.rmtree(target)
        (fresh / vendor).rename(target)
    s = recorded.summary
    print(f"recorded {vendor} into {target}/: {len(recorded.checks)} checks ({s['passed']} passed, "
          f"{s['failed']} failed, {s['skipped']} skipped), {recorded.requests} requests; replay verified")
    return 1 if s["failed"] else 0
