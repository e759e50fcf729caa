"""Requests of a default run and of a run with other writers (``--churn 25``), per vendor, against the
in-process reference server. Prints a markdown table (bench/RESULTS.md, section "Live accounts").

    python bench/churn.py [--churn K]
"""

from __future__ import annotations

import argparse

from conformance.reference.mutants import VENDORS
from conformance.run.runner import RunRequest, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--churn", type=int, default=25)
    k = parser.parse_args().churn
    print("| vendor | run | exit | requests | passed | inconclusive | checks |")
    print("|---|---|---|---|---|---|---|")
    for vendor in VENDORS:
        for label, churn, updates in (("default (no churn)", 0, False), (f"--churn {k}", k, False),
                                      (f"--churn {k} --churn-updates", k, True)):
            report = run(RunRequest(vendor=vendor, churn=churn, churn_updates=updates))
            s = report.summary
            print(f"| {vendor} | {label} | {report.exit_code} | {report.requests} | {s['passed']} | "
                  f"{s['inconclusive']} | {len(report.checks)} |")


if __name__ == "__main__":
    main()
