"""A hostile HTTP server on 127.0.0.1 for the network trust tests: it drips, redirects without
end, sends bodies without end and asks for day-long pauses. Every connection has its own
thread, so a dripping answer never holds up robots.txt or another source."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Handler = Callable[[socket.socket, str], None]


def answer(conn: socket.socket, status: str = "200 OK", body: bytes = b"",
           headers: dict[str, str] | None = None, content_type: str = "text/html") -> None:
    head = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}", "Connection: close",
            *(f"{k}: {v}" for k, v in (headers or {}).items())]
    conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)


def drip_body(interval: float, total: int = 10_000) -> Handler:
    """Headers at once, then one byte of body every ``interval`` seconds."""
    def handle(conn: socket.socket, path: str) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                     + f"Content-Length: {total}\r\nConnection: close\r\n\r\n".encode())
        for _ in range(total):
            conn.sendall(b"x")
            time.sleep(interval)
    return handle


def drip_headers(interval: float) -> Handler:
    """The status line and headers one byte every ``interval`` seconds (never finished)."""
    def handle(conn: socket.socket, path: str) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 100_000:
            conn.sendall(bytes([byte]))
            time.sleep(interval)
    return handle


def endless_body(chunk: int = 65536) -> Handler:
    """A chunked body that never ends (1 GB and more), as fast as the client reads."""
    def handle(conn: socket.socket, path: str) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                     b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        piece = f"{chunk:x}\r\n".encode() + b"z" * chunk + b"\r\n"
        for _ in range(1 << 20):
            conn.sendall(piece)
    return handle


def status(code: str, headers: dict[str, str] | None = None, body: bytes = b"") -> Handler:
    def handle(conn: socket.socket, path: str) -> None:
        answer(conn, code, body, headers)
    return handle


def redirect(location: str, code: str = "302 Found") -> Handler:
    return status(code, {"Location": location})


class HostileServer:
    """``routes`` maps a path to a handler; robots.txt is a 404 (everything allowed) unless
    routed; other paths are 404. ``log`` holds every path asked for, in order."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.log: list[str] = []
        owner = self

        class _Handle(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                target = data.split(b" ", 2)[1].decode("latin-1")
                path = target.split("?", 1)[0]
                owner.log.append(path)
                handler = owner.routes.get(path) or owner.routes.get(target)
                try:
                    if handler is None:
                        answer(conn, "404 Not Found", b"not found", content_type="text/plain")
                    else:
                        handler(conn, target)
                except OSError:  # the client hung up: what a hostile server expects
                    pass

        class _Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = _Server(("127.0.0.1", 0), _Handle)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    def paths(self) -> list[str]:
        """Paths asked for, robots.txt left out."""
        return [p for p in self.log if p != "/robots.txt"]

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def hostile() -> Iterator[HostileServer]:
    server = HostileServer().start()
    try:
        yield server
    finally:
        server.stop()
