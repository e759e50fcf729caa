"""Which checks a mutant trips in a whole default run, and which checks no mutant isolates.

tests/selftest/test_mutants.py runs each mutant with only its named check (and the checks owning what
that check relies on), so it proves each check fires, not that the check is the only one that would
catch its bug. This runs the whole check set against every mutant of the in-process reference servers
and prints a markdown report (bench/RESULTS.md, section "What each mutant trips"):

- per vendor, how many mutants fail only their named check, fail it along with others, or leave it
  unfailed in a whole run (blocked by, or explained by, a broader failure);
- the checks for which no mutant is caught by that check alone (their bugs also trip another check:
  not wrong, but the check's own value is unproven by a mutant).

    python bench/catches.py [--vendor opine|copper] [--processes N]

About 2.5 s per mutant on one core (202 mutants: about 7 minutes on 2 processes).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from multiprocessing import Pool

from conformance.checks import CATALOGUE
from conformance.profiles import get_profile
from conformance.reference.mutants import VENDORS, mutants
from conformance.run.engine import select_checks
from conformance.run.runner import RunRequest, run


def _trips(job: tuple[str, int]) -> tuple[str, str, str, str, list[str]]:
    vendor, index = job
    mutant = mutants(vendor)[index]
    report = run(RunRequest(vendor=vendor, store=mutant()))
    failed = sorted(c.name for c in report.checks if c.status == "failed")
    own = next((c.status for c in report.checks if c.name == mutant.catches), "absent")
    return vendor, mutant.__name__, mutant.catches, own, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vendor", choices=VENDORS, action="append")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    vendors = args.vendor or list(VENDORS)
    jobs = [(v, i) for v in vendors for i in range(len(mutants(v)))]
    with Pool(args.processes) as pool:
        rows = pool.map(_trips, jobs, chunksize=1)
    for vendor in vendors:
        mine = [r for r in rows if r[0] == vendor]
        alone = [r for r in mine if r[4] == [r[2]]]
        shared = [r for r in mine if r[2] in r[4] and r[4] != [r[2]]]
        unfailed = [r for r in mine if r[2] not in r[4]]
        print(f"\n### {vendor}: {len(mine)} mutants\n")
        print(f"- its named check alone fails: {len(alone)}")
        print(f"- its named check fails, with others: {len(shared)}")
        print(f"- its named check does not fail in a whole run: {len(unfailed)}")
        for _, name, catches, own, failed in unfailed:
            print(f"  - {name} ({catches}: {own}); failed: {', '.join(failed) or 'nothing'}")
        sole = defaultdict(list)
        for _, name, catches, _, failed in mine:
            if len(failed) == 1:
                sole[failed[0]].append(name)
        checks = [c.name for c in select_checks(get_profile(vendor))]
        unisolated = [c for c in checks if not sole.get(c)]
        print(f"\nChecks no mutant trips alone ({len(unisolated)} of {len(checks)}), with what their own mutants "
              "also trip:\n")
        for check in unisolated:
            also = sorted({f for r in mine if r[2] == check for f in r[4]} - {check})
            level = CATALOGUE.get(check).level
            print(f"- {check} ({level}): also {', '.join(also) or '(its mutants leave it unfailed)'}")


if __name__ == "__main__":
    main()
