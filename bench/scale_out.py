"""Serial vs parallel (`run --workers N`) behind a latency proxy: the default run per vendor against
`ticket-conformance serve` with every request delayed (bench/latency_proxy.py, default 50 ms).

    python bench/scale_out.py [--workers 1,4,8] [--delay-ms 50] [--vendors opine,copper]
    python bench/scale_out.py --costs [--vendors opine]

Prints one markdown table (paste it into bench/RESULTS.md). Each row is a fresh server (Opine's writes
change it), the run is a `ticket-conformance run` subprocess; wall time includes interpreter start-up.

``--costs`` times each check that writes in one serial run (in process, the proxy in its own process)
and prints the entries of ``COSTS`` in conformance/checks/registry.py, by which the engine deals the
write lanes: paste them there when checks that write were added or changed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import latency_proxy  # noqa: E402

PREFIX = {"opine": "/v1", "copper": "/next"}
KEY = {"opine": "opine-reference-key", "copper": "sk_test_reference"}


def one(vendor: str, workers: int, delay_s: float, scratch: Path) -> dict:
    cli = [sys.executable, "-m", "conformance.cli"]
    server = subprocess.Popen([*cli, "serve", vendor, "--port", "0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        origin = re.match(r"listening on (\S+)", server.stdout.readline()).group(1)
        with latency_proxy.start(origin, delay_s) as proxy:
            report_dir = scratch / f"{vendor}-{workers}"
            cmd = [*cli, "run", "--vendor", vendor, "--base-url", proxy.origin + PREFIX[vendor], "--api-key",
                   KEY[vendor], "--report-dir", str(report_dir), "--workers", str(workers)]
            cmd += ["--allow-writes"] if vendor == "opine" else []
            started = time.perf_counter()
            code = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
            wall = time.perf_counter() - started
        report = json.loads((report_dir / "report.json").read_text())
        return {"vendor": vendor, "workers": workers, "exit": code, "wall": wall, "in_run": report["duration_s"],
                "requests": report["requests"],
                "verdicts": {c["name"]: c["status"] for c in report["checks"]}}
    finally:
        server.terminate()
        server.wait()


def costs(vendor: str, delay_s: float) -> dict[str, int]:
    """Tenths of a second each check that writes took in a serial run behind ``delay_s`` of latency."""
    from conformance.run import engine
    from conformance.run.runner import RunRequest, run

    cli = [sys.executable, "-m", "conformance.cli"]
    server = subprocess.Popen([*cli, "serve", vendor, "--port", "0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    proxy = None
    took: dict[str, int] = {}
    plain = engine.Session.run_check

    def timed(session, check, own_context=False, lane=None):
        started = time.perf_counter()
        result = plain(session, check, own_context, lane)
        if lane is not None:
            took[check.name] = max(1, round((time.perf_counter() - started) * 10))
        return result

    try:
        origin = re.match(r"listening on (\S+)", server.stdout.readline()).group(1)
        proxy = subprocess.Popen([sys.executable, str(Path(__file__).with_name("latency_proxy.py")), "--upstream",
                                  origin, "--delay-ms", str(delay_s * 1000)], stdout=subprocess.PIPE, text=True)
        proxied = re.match(r"listening on (\S+)", proxy.stdout.readline()).group(1)
        engine.Session.run_check = timed
        run(RunRequest(vendor=vendor, base_url=proxied + PREFIX[vendor], api_key=KEY[vendor], allow_writes=True))
    finally:
        engine.Session.run_check = plain
        for process in (server, proxy):
            if process is not None:
                process.terminate()
                process.wait()
    return took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,4,8")
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--vendors", default="opine,copper")
    parser.add_argument("--costs", action="store_true", help="print the write checks' COSTS entries instead")
    args = parser.parse_args(argv)
    if args.costs:
        for vendor in args.vendors.split(","):
            for name, tenths in sorted(costs(vendor, args.delay_ms / 1000.0).items()):
                print(f'    "{name}": {tenths},')
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for vendor in args.vendors.split(","):
            for workers in (int(w) for w in args.workers.split(",")):
                rows.append(one(vendor, workers, args.delay_ms / 1000.0, Path(scratch)))
    print(f"load average before/after: see below; {os.cpu_count()} cores\n")
    print("| vendor | --workers | exit | wall (s) | in-run (s) | requests | verdicts as serial |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        serial = next(r for r in rows if r["vendor"] == row["vendor"] and r["workers"] == rows[0]["workers"])
        print(f"| {row['vendor']} | {row['workers']} | {row['exit']} | {row['wall']:.1f} | {row['in_run']:.1f} | "
              f"{row['requests']} | {'yes' if row['verdicts'] == serial['verdicts'] else 'NO'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
