"""Start a foreign server through its own ``examples/<server>/start`` script, as any tool would.

``start 0`` picks a free port and prints one stdout line ``listening on <base URL>`` once the
server answers. Whether a server can start is decided up front (localstripe importable by this
Python, json-server's node_modules present): if not, the test is skipped naming the install
command, except under ``CI=true``, where a missing server is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import re
import select
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
LINE = re.compile(r"listening on (http://127\.0\.0\.1:(\d+)(/[^\s]*)?)\n\Z")
READY_WITHIN_S = 30  # localstripe seeds two batches a wall-clock second apart: about 2 s
INSTALL = {
    "localstripe": "pip install -e '.[test]' (installs localstripe into this Python)",
    "json-server": "npm ci --prefix examples/json-server",
}


def missing(server: str) -> str | None:
    """Why ``server`` cannot start here, or None when it can."""
    if server == "localstripe":
        if importlib.util.find_spec("localstripe") is None:
            return f"localstripe is not importable by {sys.executable}"
        return None
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not _json_server_installed():
        _install_json_server()
    if not _json_server_installed():
        return "examples/json-server/node_modules has no json-server"
    return None


def _json_server_installed() -> bool:
    return (EXAMPLES / "json-server" / "node_modules" / "json-server" / "package.json").is_file()


def _install_json_server() -> None:
    """The README's test command installs what it needs: json-server from the committed lock file
    (`npm ci`), once, under a file lock (pytest-xdist workers may ask together)."""
    import fcntl

    if shutil.which("npm") is None:
        return
    with open(EXAMPLES / "json-server" / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _json_server_installed():
            subprocess.run(["npm", "ci", "--prefix", str(EXAMPLES / "json-server"), "--no-audit", "--no-fund",
                            "--loglevel=error"], capture_output=True, timeout=600, check=False)


def in_ci(environ: dict[str, str] | os._Environ = os.environ) -> bool:
    return environ.get("CI", "").lower() in ("true", "1")


def require(server: str, reason: str | None = None, environ=os.environ) -> None:
    """Skip (or, under CI=true, fail) the calling test when ``server`` cannot start."""
    reason = missing(server) if reason is None else reason
    if reason is None:
        return
    message = f"{server} cannot start ({reason}): {INSTALL[server]}"
    if in_ci(environ):
        pytest.fail(f"{message}; under CI=true a missing foreign server is a failure")
    pytest.skip(message)


def start_env() -> dict[str, str]:
    # localstripe's start runs $PYTHON: the interpreter running these tests has it installed.
    return {**os.environ, "PYTHON": sys.executable}


@dataclass
class Started:
    process: subprocess.Popen
    line: str
    base_url: str
    port: int

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM, then wait: the exit code (the server must end by itself within ``timeout``)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            for stream in (self.process.stdout, self.process.stderr):
                stream.close()


def start(server: str, port: int = 0) -> Started:
    """Run ``examples/<server>/start PORT`` and return once its one line is printed."""
    require(server)
    process = subprocess.Popen([str(EXAMPLES / server / "start"), str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=start_env(), text=True)
    ready, _, _ = select.select([process.stdout], [], [], READY_WITHIN_S)
    line = process.stdout.readline() if ready else ""
    match = LINE.match(line)
    if not match:
        process.kill()
        _, err = process.communicate(timeout=10)
        raise AssertionError(f"{server}/start printed {line!r} within {READY_WITHIN_S} s; stderr: {err[-2000:]}")
    return Started(process=process, line=line, base_url=match.group(1), port=int(match.group(2)))
