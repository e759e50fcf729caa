"""docs/your-own-api.md as a new user follows it: every command in its fenced ``sh`` blocks runs.

`npm ci --prefix examples/json-server` is what .ci/run runs before the tests (and what makes
json-server available to them); `examples/json-server/start 0` is how ``foreign_servers.start``
starts it, and the ``export BASE_URL=`` line takes the URL it printed. Every ``ticket-conformance``
line then runs as written, in order, in a scratch directory holding the example's files, against
that one server, with the exit code the tutorial announces.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

from conformance.cli import main
from conformance.transport.client import ClientOptions
from foreign_servers import EXAMPLES, ROOT, start

DOC = ROOT / "docs" / "your-own-api.md"
SETUP = ["npm ci --prefix examples/json-server", "examples/json-server/start 0", "export BASE_URL=http://127.0.0.1:PORT"]
# The exit code the tutorial announces for each ticket-conformance command, in order.
EXPECTED = [("checks", 0), ("run", 1), ("run", 1), ("run", 0)]


def commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_tutorial_sets_up_as_ci_and_the_start_fixture_do():
    setup = [c for c in commands() if not c.startswith("ticket-conformance ")]
    assert setup == SETUP
    assert "npm ci --prefix examples/json-server" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_tutorial_command_runs_with_the_announced_exit_code(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ClientOptions, "retries", 0)  # a loopback 5xx is not a blip (see test_runs.py)
    (tmp_path / "examples" / "json-server").mkdir(parents=True)
    for name in ("profile.yaml", "tickets.openapi.yaml", "baseline.yaml"):
        shutil.copy2(EXAMPLES / "json-server" / name, tmp_path / "examples" / "json-server" / name)
    monkeypatch.chdir(tmp_path)
    runs = [c for c in commands() if c.startswith("ticket-conformance ")]
    assert [(shlex.split(c)[1], code) for c, (_, code) in zip(runs, EXPECTED)] == EXPECTED
    started = start("json-server")
    try:
        for command, (_, code) in zip(runs, EXPECTED):
            argv = shlex.split(command.replace('"$BASE_URL"', started.base_url))[1:]
            assert main(argv) == code, (command, capsys.readouterr().out[-3000:])
    finally:
        assert started.stop() == 0
    written = (tmp_path / "my-baseline.yaml").read_text(encoding="utf-8")
    assert "check: unknown_enum_values_are_rejected" in written
    assert (tmp_path / "reports" / "with-baseline" / "report.json").is_file()
