"""A hostile API on loopback: a reference app behind a socket-level fault injector.

``serve(app, rule)`` answers request number n (1-based) with ``rule(n, method, target)``: None lets
the WSGI ``app`` answer; an ``Action`` writes whatever it likes to the socket (redirects, trickled or
endless bodies, stalls, huge or malformed JSON). The server binds 127.0.0.1 only, speaks HTTP/1.0
(one request per connection, so a body can end at the close) and releases stalled handlers on exit.
"""

from __future__ import annotations

import io
import socket
import struct
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterator
from urllib.parse import urlsplit
from wsgiref.util import setup_testing_defaults

Action = Callable[["Handler"], None]
Rule = Callable[[int, str, str], "Action | None"]


@dataclass
class Faults:
    """What the server saw: the request count and each request's (method, target, headers)."""

    rule: Rule
    count: int = 0
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)  # set on exit: stalls end

    def next(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, "Action | None"]:
        with self.lock:
            self.count += 1
            n = self.count
            self.seen.append((method, target, headers))
        return n, self.rule(n, method, target)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    app: Callable
    faults: Faults

    def log_message(self, *args: object) -> None:
        pass

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.request_body = self.rfile.read(length) if length else b""
        _, action = self.faults.next(self.command, self.path, dict(self.headers.items()))
        try:
            if action is None:
                status, headers, payload = self.app_answer()
                self.reply(status, headers, payload)
            else:
                action(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (a byte cap, a deadline): that is the point

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    def app_answer(self) -> tuple[int, list[tuple[str, str]], bytes]:
        parts = urlsplit(self.path)
        environ: dict = {}
        setup_testing_defaults(environ)
        environ.update({"REQUEST_METHOD": self.command, "PATH_INFO": parts.path, "QUERY_STRING": parts.query,
                        "CONTENT_LENGTH": str(len(self.request_body)), "wsgi.input": io.BytesIO(self.request_body),
                        "CONTENT_TYPE": self.headers.get("Content-Type", "")})
        for k, v in self.headers.items():
            environ["HTTP_" + k.upper().replace("-", "_")] = v
        captured: dict = {}

        def start_response(status, headers, exc_info=None):
            captured["status"], captured["headers"] = int(status.split()[0]), headers
            return lambda data: None

        payload = b"".join(self.app(environ, start_response))
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        return captured["status"], headers, payload

    def reply(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def serve(app: Callable, rule: Rule = lambda n, m, t: None, prefix: str = "") -> Iterator[tuple[str, Faults]]:
    """Serve ``app`` with ``rule`` injecting faults; yields (origin + ``prefix``, faults)."""
    faults = Faults(rule)
    handler = type("BoundHandler", (Handler,), {"app": staticmethod(app), "faults": faults})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}", faults
    finally:
        faults.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- actions ------------------------------------------------------------------------------------------
def answer(status: int, body: bytes, headers: list[tuple[str, str]] | None = None,
           content_type: str = "application/json") -> Action:
    return lambda h: h.reply(status, [("Content-Type", content_type), *(headers or [])], body)


def redirect(location: str, status: int = 307) -> Action:
    return answer(status, b"", [("Location", location)])


def app_body(transform: Callable[[bytes], bytes]) -> Action:
    """The app's own answer with its body rewritten (e.g. a field made huge)."""
    def act(h: Handler) -> None:
        status, headers, payload = h.app_answer()
        h.reply(status, headers, transform(payload))
    return act


def trickle(interval: float, byte: bytes = b" ") -> Action:
    """A 200 that sends one byte every ``interval`` seconds, forever (until the client hangs up)."""
    def act(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.end_headers()
        h.wfile.write(b"{")
        while not h.faults.released.wait(interval):
            h.wfile.write(byte)
            h.wfile.flush()
    return act


def reset(h: Handler) -> None:
    """Close the connection with a TCP reset (SO_LINGER 0) instead of answering."""
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.close_connection = True


def app_truncated(h: Handler) -> None:
    """The app's answer cut in half, under a Content-Length promising 500 bytes more."""
    status, headers, payload = h.app_answer()
    h.send_response(status)
    for k, v in headers:
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(payload) + 500))
    h.end_headers()
    h.wfile.write(payload[: len(payload) // 2])
    h.wfile.flush()


def app_content_type(content_type: str) -> Action:
    """The app's own answer under another Content-Type."""
    def act(h: Handler) -> None:
        status, headers, payload = h.app_answer()
        h.reply(status, [(k, content_type if k.lower() == "content-type" else v) for k, v in headers], payload)
    return act


def trickle_headers(interval: float) -> Action:
    """A status line, then the headers one byte every ``interval`` seconds, never ending them."""
    def act(h: Handler) -> None:
        h.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nX-Slow: ")
        h.wfile.flush()
        while not h.faults.released.wait(interval):
            h.wfile.write(b"a")
            h.wfile.flush()
    return act


def unread_body(h: Handler) -> None:
    """A POST left waiting: no answer until the server shuts down (the request body may stay unread)."""
    h.faults.released.wait(65)


def endless_chunked(chunk: bytes = b" " * 4096, interval: float = 0.0) -> Action:
    """A chunked 200 whose chunks never end."""
    def act(h: Handler) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        h.wfile.write(b"1\r\n[\r\n")
        while not h.faults.released.is_set():
            h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            if interval:
                time.sleep(interval)
    return act


def stall(h: Handler) -> None:
    """Accept, read the request, answer nothing until the server shuts down."""
    h.faults.released.wait(65)
