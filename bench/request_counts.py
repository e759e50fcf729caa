"""Requests per default run per vendor against the in-process reference servers, at the shipped seed
size and at 3,000 tickets (the depth self-test's size). Prints a markdown table.

    python bench/request_counts.py            # about a minute
"""

from __future__ import annotations

import sys

SIZES = (None, 3000)  # None: the shipped default


def count(vendor: str, tickets: int | None) -> tuple[int, int]:
    from conformance.reference.copper import CopperStore
    from conformance.reference.opine.store import OpineStore
    from conformance.run.runner import RunRequest, run

    store = {"copper": CopperStore, "opine": OpineStore}[vendor](tickets=tickets)
    report = run(RunRequest(vendor=vendor, store=store, allow_writes=True))
    return report.requests, report.exit_code


def main() -> int:
    print("| vendor | tickets | requests | exit |")
    print("|---|---|---|---|")
    for vendor in ("copper", "opine"):
        for tickets in SIZES:
            requests, code = count(vendor, tickets)
            print(f"| {vendor} | {tickets or 'shipped'} | {requests} | {code} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
