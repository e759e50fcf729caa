#!/usr/bin/env python
"""Benchmarks for ticket-conformance: cost of a default run, a side-by-side with Schemathesis, and scaling.

Run with the project's interpreter (the one ``ticket-conformance`` and ``st`` are installed for)::

    python bench/run.py                       # everything, writes bench/RESULTS.md
    python bench/run.py --quick               # smaller sizes, fewer Schemathesis examples
    python bench/run.py --sizes 100,1000,10000,50000 --out bench/RESULTS.md

Every target is a ``ticket-conformance serve`` subprocess on loopback (started through this script's
``_serve`` mode, which is ``serve`` with a WSGI middleware counting the requests the server answers),
so wall time, request count and peak RSS are measured for the client process only, the same way for
both tools, on one machine, in one invocation. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve()
PAGE = 100  # Copper's maximum page size: a full walk costs ceil(N / PAGE) requests
WALK_FAMILIES = ("pagination", "created-filter")
COUNTS_PATH = "/__bench__/counts"  # answered by the counting middleware, never counted


# --------------------------------------------------------------------------------------------------
# _serve: `ticket-conformance serve` with a request counter (runs in the server subprocess)
# --------------------------------------------------------------------------------------------------
def _serve_counting(argv: list[str]) -> int:
    """``ticket-conformance serve ARGS`` whose app counts requests by method and status class."""
    from collections import Counter

    from conformance import cli
    from conformance.reference import http

    counts: Counter[str] = Counter()
    lock = threading.Lock()
    real_start = http.start

    def counting(app):
        def wrapped(environ, start_response):
            if environ.get("PATH_INFO") == COUNTS_PATH:
                with lock:
                    body = json.dumps(dict(counts)).encode()
                start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
                return [body]
            method = environ.get("REQUEST_METHOD", "?")

            def counted_start(status, headers, exc_info=None):
                with lock:
                    counts["total"] += 1
                    counts[f"{method} {status[:1]}xx"] += 1
                return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

            return app(environ, counted_start)

        return wrapped

    def start(app, *args, **kwargs):
        return real_start(counting(app), *args, **kwargs)

    http.start = start
    return cli.main(["serve", *argv])


class Server:
    """A counting reference server in a subprocess; ``counts()`` reads its tally over HTTP."""

    def __init__(self, vendor: str, tickets: int | None, env: dict[str, str], log: Path, timeout: float) -> None:
        cmd = [sys.executable, str(HERE), "_serve", vendor, "--port", "0"]
        if tickets is not None:
            cmd += ["--tickets", str(tickets)]
        self._log = open(log, "w", encoding="utf-8")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env)
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        match = re.match(r"listening on (http://[^/\s]+)", line[0] if line else "")  # the origin
        if not match:
            self.stop()
            raise RuntimeError(f"serve {vendor} --tickets {tickets} did not start within {timeout:.0f}s "
                               f"(stdout {line!r}; see {log})")
        self.origin = match.group(1)

    def cpu_s(self) -> float | None:
        """CPU seconds (user + system) the server process has used so far (Linux /proc; else None)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def counts(self) -> dict[str, int]:
        try:
            with urllib.request.urlopen(self.origin + COUNTS_PATH, timeout=30) as response:
                return json.loads(response.read())
        except (OSError, ValueError):
            return {}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------------------------------
# measuring one client process
# --------------------------------------------------------------------------------------------------
@dataclass
class Sample:
    label: str
    cmd: list[str]
    exit: int
    wall_s: float  # process wall time, interpreter start-up included
    maxrss_mb: float  # peak RSS of the process (wait4 rusage, kB on Linux)
    server_requests: int | None  # answered by the server during this process (counting middleware)
    cpu_s: float | None = None  # CPU seconds (user + system) of the client process
    server_cpu_s: float | None = None  # CPU seconds the server spent while the client ran
    duration_s: float | None = None  # ticket-conformance's own duration_s (report.json)
    requests: int | None = None  # ticket-conformance's own request count (report.json)
    checks: list[dict[str, Any]] = field(default_factory=list)  # report.json "checks"
    log: str = ""

    @property
    def best_requests(self) -> int | None:
        return self.requests if self.requests is not None else self.server_requests


def measure(label: str, cmd: list[str], *, cwd: Path, env: dict[str, str], log: Path, timeout: float,
            server: Server | None, report_dir: Path | None = None) -> Sample:
    before = server.counts().get("total", 0) if server else 0
    server_cpu = server.cpu_s() if server else None
    with open(log, "w", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped by wait4 above
    server_requests = server_cpu_used = None
    if server:
        after_cpu = server.cpu_s()
        if server_cpu is not None and after_cpu is not None:
            server_cpu_used = after_cpu - server_cpu
        after = server.counts()
        server_requests = after["total"] - before if "total" in after else None
    rss_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    sample = Sample(label, cmd, code, wall, rss_kb / 1024, server_requests,
                    cpu_s=usage.ru_utime + usage.ru_stime, server_cpu_s=server_cpu_used, log=str(log))
    if report_dir is not None and (report_dir / "report.json").exists():
        data = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
        sample.duration_s = data.get("duration_s")
        sample.requests = data.get("requests")
        sample.checks = data.get("checks", [])
    return sample


# --------------------------------------------------------------------------------------------------
# the harness
# --------------------------------------------------------------------------------------------------
def tool(name: str, module: str | None = None) -> list[str] | None:
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    if found:
        return [found]
    return [sys.executable, "-m", module] if module else None


def pages(n: int) -> int:
    return max(1, math.ceil(n / PAGE))


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        from conformance.profiles import get_profile

        self.args = args
        self.work = work
        self.profiles = {v: get_profile(v) for v in [*args.vendors, "copper"]}
        self.tc = tool("ticket-conformance", "conformance.cli")
        self.st = None if args.no_st else tool("st")
        self.counter = 0
        self.notes: list[str] = []

    def _env(self, vendor: str) -> dict[str, str]:
        env = dict(os.environ)
        profile = self.profiles[vendor]
        env[profile.key_env] = profile.reference_key  # the server and the clients agree on the key
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def _dir(self, stem: str) -> Path:
        self.counter += 1
        path = self.work / f"{self.counter:03d}-{stem}"
        path.mkdir(parents=True)
        return path

    def server(self, vendor: str, tickets: int | None, stem: str) -> Server:
        return Server(vendor, tickets, self._env(vendor), self.work / f"{stem}.server.log", self.args.start_timeout)

    def progress(self, text: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    # -- ticket-conformance run ------------------------------------------------------------------
    def tc_run(self, vendor: str, server: Server, checks: list[str] | None = None, stem: str = "tc") -> Sample:
        profile = self.profiles[vendor]
        where = self._dir(f"{stem}-{vendor}")
        report_dir = where / "report"
        cmd = [*self.tc, "run", "--vendor", vendor, "--base-url", server.origin + profile.version_prefix,
               "--api-key", profile.reference_key, "--report-dir", str(report_dir)]
        if "writes" in profile.capabilities:
            cmd.append("--allow-writes")
        for name in checks or ():
            cmd += ["--check", name]
        return measure(f"ticket-conformance {vendor}", cmd, cwd=where, env=self._env(vendor),
                       log=where / "output.log", timeout=self.args.timeout, server=server, report_dir=report_dir)

    # -- Schemathesis -------------------------------------------------------------------------------
    def st_command(self, vendor: str, base_url: str, report_dir: Path) -> list[str]:
        profile = self.profiles[vendor]
        assert self.st is not None
        cmd = [*self.st, "run", str(profile.spec), "--url", base_url, "--checks", "all",
               "--seed", str(self.args.seed), "--workers", "1", "--generation-database", "none",
               "--no-color", "--report", "junit", "--report-dir", str(report_dir)]
        if self.args.st_max_examples:
            cmd += ["--max-examples", str(self.args.st_max_examples)]
        if profile.auth.kind == "header":
            cmd += ["-H", f"{profile.auth.header}: {profile.reference_key}"]
        else:
            cmd += ["--auth", f"{profile.reference_key}:"]
        return cmd

    def st_run(self, vendor: str, server: Server) -> Sample:
        profile = self.profiles[vendor]
        where = self._dir(f"st-{vendor}")
        cmd = self.st_command(vendor, server.origin + profile.version_prefix, where / "report")
        sample = measure(f"st run --checks all {vendor}", cmd, cwd=where, env=self._env(vendor),
                         log=where / "output.log", timeout=self.args.timeout, server=server)
        return sample

    # -- 1. side by side ---------------------------------------------------------------------------
    def side_by_side(self) -> dict[str, dict[str, list[Sample]]]:
        results: dict[str, dict[str, list[Sample]]] = {}
        for vendor in self.args.vendors:
            results[vendor] = {"tc": [], "st": []}
            for rep in range(self.args.repeat):
                self.progress(f"{vendor}: default ticket-conformance run ({rep + 1}/{self.args.repeat})")
                with self.server(vendor, None, f"tc-{vendor}-{rep}") as server:
                    results[vendor]["tc"].append(self.tc_run(vendor, server))
                if self.st:
                    self.progress(f"{vendor}: st run --checks all ({rep + 1}/{self.args.repeat})")
                    with self.server(vendor, None, f"st-{vendor}-{rep}") as server:
                        results[vendor]["st"].append(self.st_run(vendor, server))
        return results

    # -- 2. scaling ------------------------------------------------------------------------------------
    def scaling(self) -> dict[str, Any]:
        vendor = "copper"
        out: dict[str, Any] = {"sizes": self.args.sizes, "full": {}, "isolated": {}, "selected": []}
        selected: list[str] | None = None
        for n in self.args.sizes:
            self.progress(f"copper --tickets {n}: starting server")
            with self.server(vendor, n, f"scale-{n}") as server:
                self.progress(f"copper --tickets {n}: default run (all checks)")
                full = self.tc_run(vendor, server, stem=f"scale{n}-all")
                out["full"][n] = full
                if selected is None:  # chosen from the first report, then fixed for every size
                    selected = [c["name"] for c in full.checks if c.get("family") in self.args.families]
                    out["selected"] = selected
                if self.args.no_isolated:
                    continue
                out["isolated"][n] = {}
                for name in selected:
                    self.progress(f"copper --tickets {n}: --check {name}")
                    out["isolated"][n][name] = self.tc_run(vendor, server, [name], stem=f"scale{n}-{name}")
        return out


# --------------------------------------------------------------------------------------------------
# analysis and rendering
# --------------------------------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:.{digits}f}"
    return str(value)


def spread(samples: list[Sample], attr: str, digits: int = 1) -> str:
    values = [getattr(s, attr) for s in samples if getattr(s, attr) is not None]
    if not values:
        return "n/a"
    if len(values) == 1:
        return fmt(values[0], digits)
    return f"{fmt(median(values), digits)} ({fmt(min(values), digits)}–{fmt(max(values), digits)})"


def exponent(sizes: list[int], costs: list[float | None]) -> float | None:
    """Growth exponent between the two largest sizes (1 = linear); None when not measurable."""
    pairs = [(n, c) for n, c in zip(sizes, costs) if c]
    if len(pairs) < 2:
        return None
    (n1, c1), (n2, c2) = pairs[-2], pairs[-1]
    if n2 <= n1 or c1 <= 0:
        return None
    return math.log(c2 / c1) / math.log(n2 / n1)


def walks(sizes: list[int], costs: list[float | None]) -> float | None:
    """Marginal cost in full walks: extra requests per extra page of collection between the two largest
    sizes, (c2 - c1) / (ceil(N2/100) - ceil(N1/100)). About 1 for a check that walks the collection once,
    about 0 for one whose cost does not depend on N; k for one that walks it k times."""
    pairs = [(n, c) for n, c in zip(sizes, costs) if c is not None]
    if len(pairs) < 2:
        return None
    (n1, c1), (n2, c2) = pairs[-2], pairs[-1]
    if pages(n2) <= pages(n1):
        return None
    return (c2 - c1) / (pages(n2) - pages(n1))


def machine() -> dict[str, str]:
    info = {"nproc": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        info["cpu"] = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory"] = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    info["os"] = f"{platform.system()} {platform.release()}"
    return info


def versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("ticket-conformance", "schemathesis", "hypothesis"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    sha = git("rev-parse", "--short=12", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "conformance")
    out["git"] = sha + (" (working tree differs from HEAD under conformance/)" if dirty else "")
    return out


def loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


class Report:
    def __init__(self, args: argparse.Namespace, bench: Bench, sbs: dict | None, scale: dict | None,
                 meta: dict[str, Any]) -> None:
        self.args, self.bench, self.sbs, self.scale, self.meta = args, bench, sbs, scale, meta
        self.lines: list[str] = []
        self.flags: list[str] = []
        self.watch: list[str] = []  # CPU-based observations: noisy under load, not flags
        self.reading: list[str] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def table(self, header: list[str], rows: list[list[Any]]) -> None:
        self.add("| " + " | ".join(header) + " |", "|" + "---|" * len(header))
        for row in rows:
            self.add("| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in row) + " |")
        self.add("")

    def render(self) -> str:
        m = self.meta
        self.add("# Benchmark results", "",
                 f"Generated by `{m['command']}` on {m['date']} (UTC)"
                 + (f", re-rendered from its raw measurements by `{m['rendered']}`" if m.get("rendered") else "")
                 + "; the harness is `bench/run.py`, see `bench/README.md`. Re-run it rather than editing this file.",
                 "")
        self.add("> **Noise.** " + m["noise"], "")
        self.add("## Machine and versions", "")
        self.table(["item", "value"], [[k, v] for k, v in {**m["machine"], **m["versions"]}.items()]
                   + [["load average (1/5/15 min) at start", m["load_start"]],
                      ["load average (1/5/15 min) at end", m["load_end"]],
                      ["harness wall time", f"{m['elapsed']:.0f} s"]])
        if self.sbs is not None:
            self.side_by_side()
        if self.scale is not None:
            self.scaling()
        self.add("## Findings", "")
        if self.flags:
            self.add(*[f"- {f}" for f in self.flags], "")
        else:
            self.add(f"- Nothing flagged (exponent above {self.args.superlinear:g}, more than "
                     f"{self.args.rewalk_factor:g} walks, a miss of the targets, or a count mismatch).", "")
        if self.watch:
            self.add("To watch (client CPU, which load disturbs less than wall time but still disturbs: confirm on a "
                     "quiet machine before acting):", "")
            self.add(*[f"- {w}" for w in self.watch], "")
        self.add("## Reading", "")
        self.add(*[f"- {r}" for r in self.reading], "")
        return "\n".join(self.lines)

    # -- 1 -----------------------------------------------------------------------------------------------
    def side_by_side(self) -> None:
        reps = self.args.repeat
        self.add("## 1. Default run vs. Schemathesis (shipped seed size)", "",
                 "Each row is a fresh `serve` subprocess. *wall* is the client process from exec to exit "
                 "(interpreter start-up and imports included); *in-run* is ticket-conformance's own `duration_s`; "
                 "*requests* is report.json's count (ticket-conformance) and *server* is what the server answered "
                 "(counting middleware); *client CPU* is the client's user + system time (wait4), *server CPU* what "
                 "the server process used meanwhile (/proc); *peak RSS* is the client's `ru_maxrss` (wait4)."
                 + (f" Median of {reps} repetitions, range in brackets." if reps > 1 else ""), "")
        shown = False
        for vendor, res in self.sbs.items():
            for sample in res["st"][:1]:  # the command as it ran, with the port and scratch paths generalised
                st_cmd = " ".join(shlex.quote(c) for c in sample.cmd)
                st_cmd = re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:PORT", st_cmd)
                st_cmd = re.sub(r"--report-dir \S+", "--report-dir DIR", st_cmd)
                st_cmd = st_cmd.replace(str(ROOT) + "/", "")
                st_cmd = re.sub(r"\S*/(st|ticket-conformance) run", r"\1 run", st_cmd)
                self.add(f"- Schemathesis, {vendor}: `{st_cmd}`")
                shown = True
        if shown:
            self.add("")
        rows, ratios, targets = [], [], []
        for vendor, res in self.sbs.items():
            tc, st = res["tc"], res["st"]
            for name, samples in (("ticket-conformance run" + (" --allow-writes" if "writes" in
                                   self.bench.profiles[vendor].capabilities else ""), tc),
                                  ("st run --checks all", st)):
                if not samples:
                    continue
                rows.append([vendor, name, ",".join(str(s.exit) for s in samples), spread(samples, "wall_s"),
                             spread(samples, "duration_s"), spread(samples, "cpu_s"), spread(samples, "server_cpu_s"),
                             spread(samples, "requests", 0), spread(samples, "server_requests", 0),
                             spread(samples, "maxrss_mb", 0)])
            if tc and st:
                def med(samples: list[Sample], attr: str) -> float:
                    return median([getattr(s, attr) for s in samples if getattr(s, attr) is not None])

                ratios.append([vendor, f"{med(st, 'wall_s') / med(tc, 'wall_s'):.2f}×",
                               f"{med(st, 'server_requests') / med(tc, 'server_requests'):.2f}×",
                               f"{med(st, 'maxrss_mb') / med(tc, 'maxrss_mb'):.2f}×"])
            if tc:
                wall = median([s.wall_s for s in tc])
                reqs = median([s.best_requests for s in tc if s.best_requests is not None])
                in_run = median([s.duration_s for s in tc if s.duration_s is not None])
                ok_t, ok_r = wall < 30, reqs < 1500
                targets.append([vendor, f"{wall:.1f} s (in-run {in_run:.1f} s)", "yes" if ok_t else "**no**",
                                f"{reqs:.0f}", "yes" if ok_r else "**no**"])
                self.reading.append(f"{vendor}: a default run took {wall:.1f} s wall ({in_run:.1f} s in-run) and "
                                    f"{reqs:.0f} requests: {'within' if ok_t and ok_r else 'OUTSIDE'} the targets "
                                    "(< 30 s, < 1,500 requests).")
                if not (ok_t and ok_r):
                    self.flags.append(f"{vendor}: the default run misses a target ({wall:.1f} s, {reqs:.0f} requests; "
                                      "targets < 30 s and < 1,500 requests).")
                for s in tc:
                    if s.requests is not None and s.server_requests is not None and s.requests != s.server_requests:
                        self.flags.append(f"{vendor}: report.json counts {s.requests} requests, the server answered "
                                          f"{s.server_requests} (the client's count is off, or something else "
                                          "talked to the server).")
                    if s.exit not in (0, 1):
                        self.flags.append(f"{vendor}: ticket-conformance exited {s.exit} (see {s.log}).")
            if tc and st:
                self.reading.append(f"{vendor}: `st run --checks all` took {ratios[-1][1]} the wall time, "
                                    f"{ratios[-1][2]} the requests and {ratios[-1][3]} the peak memory of the default "
                                    "run (Schemathesis checks schema conformance only; the suite's semantic "
                                    "checks are not part of it).")
        self.table(["vendor", "tool", "exit", "wall (s)", "in-run (s)", "client CPU (s)", "server CPU (s)",
                    "requests (report)", "requests (server)", "peak RSS (MB)"], rows)
        if ratios:
            self.add("Ratio Schemathesis / ticket-conformance:", "")
            self.table(["vendor", "wall time", "requests (server)", "peak RSS"], ratios)
        self.add("Targets for a default run at the shipped seed size:", "")
        self.table(["vendor", "wall time", "< 30 s", "requests", "< 1,500"], targets)
        for vendor, res in self.sbs.items():
            for s in res["tc"][:1]:
                per = sorted(s.checks, key=lambda c: -c.get("requests", 0))
                if per:
                    self.add(f"<details><summary>{vendor}: requests per check (default run)</summary>", "")
                    self.table(["check", "family", "status", "requests"],
                               [[f"`{c['name']}`", c.get("family", ""), c.get("status", ""), c.get("requests")]
                                for c in per])
                    self.add("</details>", "")

    # -- 2 -----------------------------------------------------------------------------------------------
    def assess(self, what: str, sizes: list[int], costs: list[float | None]) -> tuple[str, str]:
        """Growth exponent and marginal walks (formatted), flagging superlinear growth and re-walks."""
        k, w = exponent(sizes, costs), walks(sizes, costs)
        known = [(n, c) for n, c in zip(sizes, costs) if c is not None]
        if sizes[-1] >= self.args.assess_from and len(known) >= 2:
            (n1, c1), (n2, c2) = known[-2:]
            if k is not None and k > self.args.superlinear:
                self.flags.append(f"{what}: requests grow faster than linear, N^{k:.2f} between N={n1} and N={n2} "
                                  f"({c1} → {c2} requests).")
            if w is not None and w > self.args.rewalk_factor:
                self.flags.append(f"{what}: {c1} → {c2} requests for N = {n1} → {n2}, i.e. {w:.1f} extra requests "
                                  f"per extra page of collection: it walks the collection (or large filtered parts "
                                  f"of it) about {w:.0f} times, e.g. once per bound, instead of reusing one walk.")
        return fmt(k, 2), fmt(w, 2)

    def scaling(self) -> None:
        sc = self.scale
        sizes: list[int] = sc["sizes"]
        fam = ", ".join(self.args.families)
        self.add("## 2. Scaling with collection size (Copper)", "",
                 f"`serve copper --tickets N`, one server per size. A full walk at the maximum page size costs "
                 f"*pages* = ceil(N/{PAGE}) requests. *exponent*: requests grow as N^exponent between the two "
                 "largest sizes (1 = linear; a fixed cost pulls it below 1). *walks*: extra requests per extra page "
                 "between the two largest sizes, i.e. how many times the cost walks the collection (about 1 for "
                 "one full walk, 0 for a cost independent of N).", "")
        if sizes[-1] < self.args.assess_from:
            self.add(f"The largest size here is below {self.args.assess_from}: fixed costs dominate, so nothing is "
                     "flagged from these sizes (run without `--quick` for the 10,000 and 50,000 points).", "")
        self.add("### 2a. Default run (all Copper checks) per size", "")
        rows, totals = [], []
        for n in sizes:
            s: Sample = sc["full"][n]
            totals.append(s.best_requests)
            rows.append([n, pages(n), s.exit, fmt(s.wall_s), fmt(s.duration_s), fmt(s.cpu_s), fmt(s.server_cpu_s),
                         s.requests, s.server_requests,
                         fmt(s.server_cpu_s / s.server_requests * 1000 if s.server_cpu_s and s.server_requests
                             else None, 1), fmt(s.maxrss_mb, 0)])
            if s.exit not in (0, 1):
                self.flags.append(f"Copper --tickets {n}: the default run exited {s.exit} (see {s.log}).")
            if s.requests is not None and s.server_requests is not None and s.requests != s.server_requests:
                self.flags.append(f"Copper --tickets {n}: report.json counts {s.requests} requests, the server "
                                  f"answered {s.server_requests}.")
        self.table(["N", "pages", "exit", "wall (s)", "in-run (s)", "client CPU (s)", "server CPU (s)",
                    "requests (report)", "requests (server)", "server ms/request", "peak RSS (MB)"], rows)
        k, w = self.assess("Copper default run", sizes, totals)
        first, last = sc["full"][sizes[0]], sc["full"][sizes[-1]]
        kc = exponent(sizes, [sc["full"][n].cpu_s for n in sizes])
        ks = exponent(sizes, [sc["full"][n].server_cpu_s for n in sizes])
        self.add(f"Client CPU grows as N^{fmt(kc, 2)} and server CPU as N^{fmt(ks, 2)} between the two largest "
                 "sizes.", "")

        def per_request(s: Sample) -> float | None:
            return s.server_cpu_s / s.server_requests * 1000 if s.server_cpu_s and s.server_requests else None

        small, large = per_request(first), per_request(last)
        if small and large and large > 3 * small:
            note = (f"The server's CPU per request grows with N ({small:.1f} → {large:.1f} ms from N = {sizes[0]} to "
                    f"{sizes[-1]}): the reference server filters and orders the whole collection on every list "
                    "request, where a vendor with an index would not. Wall time therefore over-states the suite's "
                    "own cost at large N; read requests and client CPU for the suite.")
            self.add(note, "")
            self.reading.append(note)
        if kc is not None and sizes[-1] >= self.args.assess_from and kc > self.args.superlinear:
            self.flags.append(f"Copper default run: client CPU grows faster than linear, N^{kc:.2f} "
                              f"({fmt(sc['full'][sizes[-2]].cpu_s)} → {fmt(last.cpu_s)} s).")
        self.reading.append(f"Copper default run, client CPU {fmt(first.cpu_s)} → {fmt(last.cpu_s)} s and server "
                            f"CPU {fmt(first.server_cpu_s)} → {fmt(last.server_cpu_s)} s for N = {sizes[0]} → "
                            f"{sizes[-1]}.")
        self.add(f"Whole run: exponent {k}, walks {w}.", "")
        self.reading.append(f"Copper default run: {totals[0]} → {totals[-1]} requests for N = {sizes[0]} → "
                            f"{sizes[-1]} (exponent {k}, {w} extra requests per extra page between the two largest "
                            f"sizes; one full walk would be 1.00); wall {fmt(sc['full'][sizes[0]].wall_s)} → "
                            f"{fmt(sc['full'][sizes[-1]].wall_s)} s.")
        seen_skipped: set[str] = set()
        for n in sizes:
            for c in sc["full"][n].checks:
                if c.get("status") == "skipped" and c["name"] not in seen_skipped:
                    seen_skipped.add(c["name"])
                    if n == sizes[0]:
                        continue
                    self.flags.append(f"`{c['name']}` is skipped from N={n} on in the default run (it was not at "
                                      f"N={sizes[0]}): {' '.join(str(c.get('message', '')).split())[:200]}")
        selected: list[str] = sc["selected"]
        if not selected:
            self.add(f"No Copper check of family {fam} was in the report at this commit, so there is nothing "
                     "to scale per check yet; 2a covers every check that exists.", "")
            self.reading.append(f"No {fam} checks are registered for Copper at this commit: per-check scaling "
                                "will appear when they land (the harness picks them from report.json).")
            return
        self.add(f"### 2b. Walk and filter checks inside the default run ({fam})", "",
                 "Requests each check made in the default run above, after the checks before it (the full walk and "
                 "other observations are memoised per run, so the first check that needs one pays for it).", "")
        by_check = {n: {c["name"]: c for c in sc["full"][n].checks} for n in sizes}
        rows = []
        for name in selected:
            costs = [by_check[n].get(name, {}).get("requests") for n in sizes]
            k, w = self.assess(f"`{name}` (in the default run)", sizes, costs)
            rows.append([f"`{name}`", by_check[sizes[0]].get(name, {}).get("family", ""), *costs, k, w])
        self.table(["check", "family", *[f"N={n}" for n in sizes], "exponent", "walks"], rows)
        if not sc["isolated"]:
            return
        self.add("### 2c. Each walk/filter check alone (`run --check NAME`)", "",
                 "A fresh run per check: its own full walk, plus 1 preflight request. "
                 "Cells: requests / in-run seconds / client CPU seconds (status if not passed).", "")
        rows = []
        exps = []
        # Start-up cost (interpreter, imports, spec loading): the cheapest one-check run of all.
        base = min((s.cpu_s for per in sc["isolated"].values() for s in per.values() if s.cpu_s is not None),
                   default=0.0)
        self.add(f"*net CPU exponent*: growth of the client's CPU time minus {base:.1f} s of start-up (the cheapest "
                 "of these runs), between the two largest sizes.", "")
        for name in selected:
            row: list[Any] = [f"`{name}`"]
            costs: list[float | None] = []
            for n in sizes:
                s = sc["isolated"].get(n, {}).get(name)
                req = s.best_requests if s else None
                costs.append(req)
                if s is None or req is None:
                    row.append("n/a")
                    continue
                status = next((c.get("status") for c in s.checks if c["name"] == name), f"exit {s.exit}")
                row.append(f"{req} / {fmt(s.duration_s)} s / {fmt(s.cpu_s)} s"
                           + ("" if status == "passed" else f" [{status}]"))
            k, w = self.assess(f"`{name}` (alone)", sizes, costs)
            cpu = [s.cpu_s if (s := sc["isolated"].get(n, {}).get(name)) else None for n in sizes]
            net = [c - base if c is not None else None for c in cpu]
            kc = exponent(sizes, net) if all(c is not None and c > 0 for c in net[-2:]) else None
            if (kc is not None and sizes[-1] >= self.args.assess_from and kc > self.args.superlinear
                    and net[-1] >= self.args.cpu_floor):
                self.watch.append(f"`{name}` (alone): client CPU net of start-up grows as N^{kc:.2f} "
                                  f"({fmt(net[-2])} → {fmt(net[-1])} s for N = {sizes[-2]} → {sizes[-1]}), "
                                  "while its requests grow linearly.")
            exps.append((name, k, w))
            rows.append([*row, k, w, fmt(kc, 2)])
        self.table(["check", *[f"N={n}" for n in sizes], "exponent", "walks", "net CPU exponent"], rows)
        heavy = [f"`{n}` {w}" for n, _, w in exps if w != "n/a" and float(w) > 1.5]
        if sizes[-1] >= self.args.assess_from:
            self.reading.append("Checks run alone costing more than 1.5 full walks per extra page: "
                                + (", ".join(heavy) if heavy else "none") + ".")


# --------------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------------
def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="sizes 100,1000, --st-max-examples 10 and --no-isolated unless given; a smoke run")
    parser.add_argument("--sizes", help="Copper collection sizes for the scaling part (default 100,1000,10000,50000)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md", help="markdown results file")
    parser.add_argument("--json", type=Path, help="also write the raw measurements as JSON")
    parser.add_argument("--vendors", default="opine,copper", help="vendors for the side-by-side (default opine,copper)")
    parser.add_argument("--families", default=",".join(WALK_FAMILIES),
                        help="check families scaled per check (default pagination,created-filter)")
    parser.add_argument("--repeat", type=int, default=1, help="repetitions of the side-by-side (median reported)")
    parser.add_argument("--seed", type=int, default=1, help="Schemathesis --seed (ticket-conformance runs its default)")
    parser.add_argument("--st-max-examples", type=int, help="Schemathesis --max-examples (default: its own default)")
    parser.add_argument("--no-st", action="store_true", help="skip Schemathesis")
    parser.add_argument("--no-side-by-side", action="store_true", help="skip part 1")
    parser.add_argument("--no-scaling", action="store_true", help="skip part 2")
    parser.add_argument("--no-isolated", action="store_true", help="skip the one-check-at-a-time runs of part 2")
    parser.add_argument("--isolated", action="store_true", help="do the one-check-at-a-time runs even with --quick")
    parser.add_argument("--superlinear", type=float, default=1.15,
                        help="flag a growth exponent above this (default 1.15)")
    parser.add_argument("--rewalk-factor", type=float, default=3.0,
                        help="flag a cost that walks the collection more than this many times (default 3)")
    parser.add_argument("--cpu-floor", type=float, default=2.0,
                        help="note a CPU growth only when the net client CPU at the largest size is at least this (s)")
    parser.add_argument("--from-json", type=Path, metavar="FILE",
                        help="re-render the results from a --json file of an earlier run (no measuring)")
    parser.add_argument("--assess-from", type=int, default=10_000,
                        help="flag growth only when the largest size is at least this (default 10000)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per client process")
    parser.add_argument("--start-timeout", type=float, default=300, help="seconds allowed for a server to start")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (reports, logs)")
    args = parser.parse_args(argv)
    args.sizes = [int(x) for x in (args.sizes or ("100,1000" if args.quick else "100,1000,10000,50000")).split(",")]
    args.sizes = sorted(set(args.sizes))
    if args.quick:
        args.st_max_examples = args.st_max_examples or 10
        args.no_isolated = args.no_isolated or not args.isolated
    args.vendors = [v.strip() for v in args.vendors.split(",") if v.strip()]
    args.families = tuple(f.strip() for f in args.families.split(",") if f.strip())
    args.repeat = max(1, args.repeat)
    return args


def to_json(obj: Any) -> Any:
    if isinstance(obj, Sample):
        return {**obj.__dict__}
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_json(v) for v in obj]
    return obj


def from_json(obj: Any) -> Any:
    if isinstance(obj, dict) and "wall_s" in obj and "cmd" in obj:
        return Sample(**obj)
    if isinstance(obj, dict):
        return {(int(k) if k.isdigit() else k): from_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [from_json(v) for v in obj]
    return obj


def rerender(args: argparse.Namespace, argv: list[str]) -> int:
    """Render RESULTS.md again from raw measurements (e.g. with other thresholds), without measuring."""
    data = json.loads(args.from_json.read_text(encoding="utf-8"))
    meta = data["meta"]
    meta["rendered"] = "python bench/run.py " + " ".join(shlex.quote(a) for a in argv)
    sbs, scale = from_json(data["side_by_side"]), from_json(data["scaling"])
    args.vendors = list(sbs) if sbs else args.vendors
    args.families = tuple(meta.get("families", args.families))  # what was measured, not today's default
    report = Report(args, Bench(args, Path(tempfile.gettempdir())), sbs, scale, meta)
    text = report.render()
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_serve"]:
        return _serve_counting(argv[1:])
    args = parse_args(argv)
    if args.from_json:
        return rerender(args, argv)
    work = Path(tempfile.mkdtemp(prefix="ticket-bench-"))
    bench = Bench(args, work)
    if not args.no_st and bench.st is None:
        bench.notes.append("Schemathesis CLI `st` not found: part 1 has no Schemathesis rows.")
    load_start = loadavg()
    started = time.monotonic()
    try:
        sbs = None if args.no_side_by_side else bench.side_by_side()
        scale = None if args.no_scaling else bench.scaling()
    except KeyboardInterrupt:
        print(f"interrupted; work directory {work}", file=sys.stderr)
        return 130
    elapsed = time.monotonic() - started
    load_end = loadavg()
    nproc = machine()["nproc"]
    meta = {
        "command": "python bench/run.py" + ("" if not argv else " " + " ".join(shlex.quote(a) for a in argv)),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "machine": machine(), "versions": versions(), "load_start": load_start, "load_end": load_end,
        "elapsed": elapsed, "families": list(args.families),
        "noise": (f"Wall times depend on machine load. This machine has {nproc} cores and the load average was "
                  f"{load_start} at the start and {load_end} at the end of this run "
                  "(other processes, e.g. other test runs, share the CPU): treat wall times as ±30% or worse unless "
                  "the load was near 0, and compare the two tools only within one run. Request counts should not "
                  "depend on load (generation is seeded; with `--repeat` they should be equal across repetitions)."),
    }
    report = Report(args, bench, sbs, scale, meta)
    text = report.render()
    if bench.notes:
        text += "\n## Notes\n\n" + "\n".join(f"- {n}" for n in bench.notes) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "side_by_side": to_json(sbs), "scaling": to_json(scale)},
                                        indent=2, default=str), encoding="utf-8")
    print(text)
    print(f"\nwrote {args.out}", file=sys.stderr)
    if args.keep:
        print(f"work directory kept: {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
