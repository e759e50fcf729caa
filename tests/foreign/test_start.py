"""Each foreign server's ``examples/<server>/start``: the contract other tools drive it through.

One stdout line ``listening on <base URL>`` once it answers (also with port 0), bound to 127.0.0.1
only, a clean seeded state on every start, gone on SIGTERM with no child left behind, and a bad
port or a missing install is one line on stderr with exit 2.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from foreign_servers import EXAMPLES, in_ci, require, start, start_env

SERVERS = ["localstripe", "json-server"]
# What to ask each server for: its collection, with the credentials it wants.
LIST = {"localstripe": ("/charges?limit=100", ("sk_test_foreign", "")), "json-server": ("/tickets", None)}
PREFIX = {"localstripe": "/v1", "json-server": ""}


def listed(server: str, base_url: str) -> list[dict]:
    path, auth = LIST[server]
    answer = requests.get(base_url + path, auth=auth, timeout=10)
    assert answer.status_code == 200, answer.text[:500]
    body = answer.json()
    return body["data"] if server == "localstripe" else body


def create(server: str, base_url: str) -> dict:
    if server == "localstripe":
        answer = requests.post(f"{base_url}/charges", auth=LIST[server][1], timeout=10,
                               data={"amount": "4200", "currency": "usd", "source": "pm_card_visa"})
        assert answer.status_code == 200, answer.text[:500]
    else:
        answer = requests.post(f"{base_url}/tickets", json={"title": "made by a test", "type": "BUG",
                                                           "state": "OPEN"}, timeout=10)
        assert answer.status_code == 201, answer.text[:500]
    return answer.json()


@pytest.fixture(scope="module", params=SERVERS)
def running(request):
    server = request.param
    started = start(server)
    yield server, started
    assert started.stop() == 0


def refused(host: str, port: int, family: int = socket.AF_INET) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        try:
            sock.connect((host, port))
        except OSError as exc:
            return exc.errno in (errno.ECONNREFUSED, errno.EADDRNOTAVAIL, errno.ENETUNREACH)
        return False


def test_start_prints_one_line_with_the_base_url_and_the_seed_is_served(running):
    server, started = running
    assert started.line == f"listening on http://127.0.0.1:{started.port}{PREFIX[server]}\n"
    assert started.port > 0  # port 0 asked for any free one; the line names the real one
    tickets = listed(server, started.base_url)
    assert len(tickets) >= 20, "the seed must give the list checks several pages"
    created = {t["created"] if server == "localstripe" else t["createdAt"] for t in tickets}
    assert len(created) >= 2, "order and tie checks need distinct creation instants in the seed"


def test_start_binds_127_0_0_1_only(running):
    # Other loopback addresses reach a server bound to every interface (0.0.0.0 or ::) but not one
    # bound to 127.0.0.1: no traffic leaves the machine to prove it.
    _, started = running
    assert not refused("127.0.0.1", started.port)
    assert refused("127.0.0.2", started.port), "answers on 127.0.0.2: bound to more than 127.0.0.1"
    if socket.has_ipv6:
        assert refused("::1", started.port, socket.AF_INET6), "answers on [::1]: bound to every interface"


@pytest.mark.parametrize("server", SERVERS)
def test_every_start_is_clean_and_sigterm_ends_it_with_no_child_left(server):
    # localstripe's own command reloads /tmp/localstripe.pickle; start neither reads nor writes it.
    pickle = Path("/tmp/localstripe.pickle")
    pickled = pickle.stat().st_mtime_ns if pickle.exists() else None
    first = start(server)
    try:
        before = len(listed(server, first.base_url))
        create(server, first.base_url)
        assert len(listed(server, first.base_url)) == before + 1
        children = Path(f"/proc/{first.process.pid}/task/{first.process.pid}/children")
        if children.exists():
            assert children.read_text().split() == [], "the server must be the start process itself"
    finally:
        assert first.stop(timeout=10) == 0
    assert refused("127.0.0.1", first.port), "the port still answers after SIGTERM"
    second = start(server)
    try:
        assert len(listed(server, second.base_url)) == before, "a start must not see an earlier run's writes"
    finally:
        assert second.stop() == 0
    assert (pickle.stat().st_mtime_ns if pickle.exists() else None) == pickled


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("port", ["abc", "65536", ""])
def test_a_bad_port_is_one_line_on_stderr_and_exit_2(server, port):
    require(server)
    proc = subprocess.run([str(EXAMPLES / server / "start"), *([port] if port else [])], capture_output=True,
                          text=True, env=start_env(), timeout=30)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith("start: usage: start PORT") and proc.stderr.count("\n") == 1


def test_json_server_without_node_modules_names_the_install_command(tmp_path):
    require("json-server")
    for name in ("start", "db.json"):
        shutil.copy2(EXAMPLES / "json-server" / name, tmp_path / name)
    proc = subprocess.run([str(tmp_path / "start"), "0"], capture_output=True, text=True, timeout=30)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "start: json-server is not installed: npm ci --prefix examples/json-server\n"


def test_localstripe_without_localstripe_names_the_install_command(tmp_path):
    # -S: no site-packages, so this Python cannot import localstripe.
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    python.chmod(0o755)
    proc = subprocess.run([str(EXAMPLES / "localstripe" / "start"), "0"], capture_output=True, text=True,
                          env={**os.environ, "PYTHON": str(python)}, timeout=30)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith("start: localstripe is not importable by ")
    assert proc.stderr.rstrip("\n").endswith("pip install -e '.[test]' (or pip install localstripe)")
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize("environ, outcome", [({"CI": "true"}, pytest.fail.Exception),
                                              ({}, pytest.skip.Exception),
                                              ({"CI": "false"}, pytest.skip.Exception)])
def test_a_missing_server_is_a_skip_naming_the_install_command_and_a_failure_under_ci(environ, outcome):
    with pytest.raises(outcome) as raised:
        require("json-server", reason="examples/json-server/node_modules has no json-server", environ=environ)
    assert "npm ci --prefix examples/json-server" in str(raised.value)
    assert in_ci(environ) == (outcome is pytest.fail.Exception)
