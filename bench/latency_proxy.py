"""A loopback reverse proxy that delays every request by a fixed time: an API "50 ms away".

    python bench/latency_proxy.py --upstream http://127.0.0.1:8081 [--delay-ms 50] [--port 0]

prints ``listening on http://127.0.0.1:P`` and forwards every request to the upstream origin after
sleeping ``--delay-ms`` (the path, query, body and headers unchanged; the key passes through, so
use it on loopback only). Requests are handled in parallel, one thread per client connection, each
keeping its own connection to the upstream alive: N requests in flight at once take one delay, not
N, which is what a real remote API does. ``start(upstream, delay_s)`` runs it in process.
"""

from __future__ import annotations

import argparse
import http.client
import signal
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Headers that describe one hop, not the message (RFC 9110 7.6.1), and the length we set ourselves.
_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                  "upgrade", "content-length"})


class _Proxy(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    upstream: tuple[str, int] = ("127.0.0.1", 80)
    delay_s: float = 0.05


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the suite's client uses it
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    server: _Proxy
    _upstream: http.client.HTTPConnection | None = None

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        time.sleep(self.server.delay_s)  # the distance to the API, once per request
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        headers["Host"] = "%s:%d" % self.server.upstream
        if body is not None:
            headers["Content-Length"] = str(len(body))
        for attempt in (1, 2):  # an idle upstream connection may have been closed: reconnect once
            if self._upstream is None:
                self._upstream = http.client.HTTPConnection(*self.server.upstream, timeout=60)
            try:
                self._upstream.request(self.command, self.path, body=body, headers=headers)
                response = self._upstream.getresponse()
                data = response.read()
                break
            except (OSError, http.client.HTTPException):
                self._upstream.close()
                self._upstream = None
                if attempt == 2:
                    self.send_error(502, "upstream did not answer")
                    return
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in _HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward

    def finish(self) -> None:
        super().finish()
        if self._upstream is not None:
            self._upstream.close()


@dataclass
class RunningProxy:
    server: _Proxy
    thread: threading.Thread

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> "RunningProxy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(upstream: str, delay_s: float = 0.05, port: int = 0) -> RunningProxy:
    """Serve the proxy on 127.0.0.1:``port`` (0: any free port) in a background thread."""
    parts = urlsplit(upstream)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"--upstream must be an http:// origin, not {upstream!r}")
    server = _Proxy(("127.0.0.1", port), _Handler)
    server.upstream = (parts.hostname, parts.port or 80)
    server.delay_s = delay_s
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return RunningProxy(server, thread)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="the API's origin, e.g. http://127.0.0.1:8081")
    parser.add_argument("--delay-ms", type=float, default=50.0, help="added to every request (default 50)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default 0: any free port)")
    args = parser.parse_args(argv)
    try:
        proxy = start(args.upstream, args.delay_ms / 1000.0, args.port)
    except (ValueError, OSError) as exc:
        print(f"latency_proxy: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(f"listening on {proxy.origin}", flush=True)
    stop.wait()
    proxy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
