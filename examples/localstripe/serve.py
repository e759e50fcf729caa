"""Serve localstripe on 127.0.0.1 from a clean state, seed it through its own API, print one line.

Usage: serve.py PORT   (0 = any free port). Run by ./start, which picks the Python that has localstripe.

localstripe's own command (`localstripe --port P`) binds every interface and reloads the pickle it
keeps in /tmp/localstripe.pickle; this launcher uses the same aiohttp application
(`localstripe.server.app`) but binds 127.0.0.1 only, never reads that pickle and never writes it,
so every start is clean and two servers never share state. The seed (seed.json) is created through
the HTTP API, in batches one wall-clock second apart: localstripe stamps `created` in whole seconds
when an object is made, and the order and tie checks need more than one distinct value.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
import time
from pathlib import Path

SEED = Path(__file__).with_name("seed.json")
# localstripe accepts any secret key that starts with sk_ (and refuses requests without one).
SEED_KEY = "sk_test_localstripe"


def fail(message: str, code: int = 2) -> None:
    print(f"start: {message}", file=sys.stderr)
    raise SystemExit(code)


def parse_port(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit() or int(argv[0]) > 65535:
        fail("usage: start PORT (0-65535; 0 = any free port)")
    return int(argv[0])


async def seed(session, base: str) -> None:
    """Create seed.json's customers, then its charge batches, each batch in a later second."""
    plan = json.loads(SEED.read_text())
    auth = {"Authorization": f"Bearer {SEED_KEY}"}
    customers = []
    for body in plan["customers"]:
        async with session.post(f"{base}/customers", data=body, headers=auth) as answer:
            if answer.status != 200:
                fail(f"seeding a customer got {answer.status}: {await answer.text()}")
            customers.append((await answer.json())["id"])
    for number, batch in enumerate(plan["charge_batches"]):
        second = int(time.time())
        while number and int(time.time()) == second:  # each later batch gets a later `created`
            await asyncio.sleep(0.02)
        for charge in batch:
            body = {k: v for k, v in charge.items() if k != "customer_index"}
            if "customer_index" in charge:
                body["customer"] = customers[charge["customer_index"]]
            async with session.post(f"{base}/charges", data=body, headers=auth) as answer:
                if answer.status != 200:
                    fail(f"seeding a charge got {answer.status}: {await answer.text()}")


async def serve(port: int) -> None:
    try:
        import aiohttp
        from aiohttp import web
        from localstripe import resources, server
    except ImportError as exc:
        fail(f"localstripe is not importable by {sys.executable} ({exc.name}): "
             "pip install -e '.[test]' (or pip install localstripe)")
    # Clean state: never load or write /tmp/localstripe.pickle (shared by every localstripe on the machine).
    resources.store.clear()
    resources.store.dump_to_disk = lambda: None

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        fail(f"cannot bind 127.0.0.1:{port}: {exc.strerror}")
    runner = web.AppRunner(server.app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"

    async with aiohttp.ClientSession() as session:
        await seed(session, base)  # it answered: the seed went through HTTP
    print(f"listening on {base}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    asyncio.run(serve(parse_port(sys.argv[1:])))


if __name__ == "__main__":
    main()
