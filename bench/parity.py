"""Schemathesis versus the suite on every planted bug: faults flagged by each, requests, wall time.

    python bench/parity.py [--out bench/PARITY.md]

Schemathesis side: tests/selftest/st_parity.py (every `st run --checks all` check that can apply,
positive and negative generation, the same seeded cases for every server), a fault being what it
flags on a bug beyond what it flags on the same server without it. Suite side: which planted bugs
the suite catches at MUST level (all mutants, every red-team bug but the listed misses and SHOULD-only
ones: tests/selftest), and the requests and wall time of a default run per vendor.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "selftest"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "PARITY.md"))
    args = parser.parse_args()
    from st_parity import target_faults
    from test_parity_with_schemathesis import NOT_CAUGHT_AT_MUST, TARGETS

    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2, mp_context=multiprocessing.get_context("spawn")) as pool:
        outcomes = dict(zip(TARGETS, pool.map(target_faults, *zip(*TARGETS))))
    st_wall = time.monotonic() - started
    rows = []
    for vendor in ("opine", "copper"):
        mine = {t: o for t, o in outcomes.items() if t[0] == vendor}
        st_flagged = sum(1 for o in mine.values() if o["faults"])
        suite = sum(1 for t in mine if t[2] not in NOT_CAUGHT_AT_MUST)
        both = sum(1 for t, o in mine.items() if o["faults"] and t[2] not in NOT_CAUGHT_AT_MUST)
        st_requests = sum(o["requests"] for o in mine.values())
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.monotonic()
            subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--vendor", vendor, "--allow-writes",
                            "--report-dir", tmp], cwd=ROOT, check=False, capture_output=True)
            suite_wall = time.monotonic() - t0
            suite_requests = json.loads((Path(tmp) / "report.json").read_text())["requests"]
        rows.append(f"| {vendor} | {len(mine)} | {st_flagged} | {suite} | {both} | {st_requests / len(mine):.0f} "
                    f"| {suite_requests} | {suite_wall:.1f} s |")
    text = "\n".join([
        "# Schemathesis versus the suite on the planted bugs", "",
        "Written by `python bench/parity.py`; the same comparison is asserted by "
        "`tests/selftest/test_parity_with_schemathesis.py`.", "",
        "| vendor | planted bugs (mutants + red team) | flagged by Schemathesis | caught by the suite (MUST) "
        "| flagged by both | Schemathesis requests per server | suite requests (default run) | suite wall time |",
        "|---|---|---|---|---|---|---|---|", *rows, "",
        f"Schemathesis over every server (and each clean counterpart), {os.cpu_count()} processes: {st_wall:.0f} s.",
        "Every bug Schemathesis flags is one the suite catches at MUST level (else the test fails).", ""])
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
