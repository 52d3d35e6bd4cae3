"""Shared fixtures: low-level local servers for faults pytest-httpserver cannot produce.

Normal pages are served with pytest-httpserver's ``httpserver`` fixture. These add a port that
refuses connections, a socket that accepts but never answers (timeouts), and a server that
writes fixed raw bytes (truncated bodies, broken responses). All bind to 127.0.0.1 only.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

pytest_plugins = ["tests.corpus_guard"]

Respond = bytes | Callable[[bytes], bytes | None]


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Base URL of a socket that accepts connections (kernel backlog) but never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Respond], str]]:
    """``raw_server(respond)`` -> base URL of a one-connection-at-a-time server answering each
    request with exactly ``respond`` (status line, headers and body), or with
    ``respond(request_head)``; ``None`` from the callable means: never answer (hold the
    connection until the fixture ends)."""
    servers: list[tuple[socket.socket, threading.Thread]] = []

    def start(respond: Respond) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.settimeout(0.2)

        def serve() -> None:
            while sock.fileno() != -1:
                try:
                    conn, _ = sock.accept()
                except OSError:
                    continue
                with conn:
                    conn.settimeout(2)
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    payload = respond(data) if callable(respond) else respond
                    while payload is None and sock.fileno() != -1:
                        time.sleep(0.05)
                    if payload is not None:
                        conn.sendall(payload)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        servers.append((sock, thread))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    yield start
    for sock, thread in servers:
        sock.close()
        thread.join(timeout=2)
