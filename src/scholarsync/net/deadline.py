"""A total deadline for one HTTP request, whatever the server does.

``timeout`` bounds each socket operation only: a server that sends one byte a second never
trips it. Here every connection the transport opens registers with the :class:`Deadline` in
force for the request in flight; when the deadline passes, a timer shuts that connection's
socket down, so the blocked read returns at once (connect, TLS handshake, headers or body
alike) and the transport reports a :class:`TotalTimeout`.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
import time
from typing import Any

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_CURRENT: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "scholarsync_deadline", default=None)


class TotalTimeout(requests.exceptions.ReadTimeout):
    """The request ran past its total deadline (not retried: the server is too slow)."""


class Deadline:
    """Closes the registered connection's socket at a monotonic time ``at``."""

    def __init__(self, at: float):
        self.at = at
        self.expired = False
        self._conns: list[Any] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._token: contextvars.Token[Deadline | None] | None = None

    def __enter__(self) -> Deadline:
        self._token = _CURRENT.set(self)
        self._timer = threading.Timer(max(0.0, self.at - time.monotonic()), self._expire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._token is not None:
            _CURRENT.reset(self._token)
        with self._lock:
            self._conns.clear()

    @property
    def passed(self) -> bool:
        return self.expired or time.monotonic() >= self.at

    def register(self, conn: Any) -> None:
        with self._lock:
            if conn not in self._conns:
                self._conns.append(conn)
            late = self.expired
        if late:
            _shut(conn)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            conns = list(self._conns)
        for conn in conns:
            _shut(conn)


def _shut(conn: Any) -> None:
    sock = getattr(conn, "sock", None)
    if sock is None:
        return
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


def _register(conn: Any) -> None:
    deadline = _CURRENT.get()
    if deadline is not None:
        deadline.register(conn)


class _DeadlineHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _register(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _register(self)
        super().request(*args, **kwargs)


class _DeadlineHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _register(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _register(self)
        super().request(*args, **kwargs)


class DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


POOLS_BY_SCHEME = {"http": DeadlineHTTPPool, "https": DeadlineHTTPSPool}
