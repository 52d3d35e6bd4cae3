"""Which redirects the client follows. Pure functions of URLs, checked on every hop before the
next request is sent, so a refused redirect sends nothing more and caches nothing.

A redirect is followed only when all of these hold:

- the chain stays short (at most :data:`MAX_REDIRECTS` hops) and never revisits a URL (a loop
  is named as one at once, not after the limit);
- the target is ``http`` or ``https`` (no ``file:``, ``ftp:``, ``data:`` …), and an ``https``
  request is never sent on over plain ``http``;
- the target is not a loopback, link-local, private or otherwise local address (``localhost``,
  ``127.0.0.1``, ``169.254.169.254``, ``10.…``, ``[::1]``, ``*.local`` …) other than the
  origin (scheme, host and port) the request was made to: a URL the user configured on such an
  address may redirect within itself. A configured ``base_url`` is reached through its canonical
  URL, so a redirect back to that mirror is the canonical host again, never a local one;
- for an API or data request (JSON, XML: ``strict``) the target stays on the requested host,
  or on a host the caller names as expected; a web page or a ``.bib`` file may move to another
  public host (a site moved, GitHub's raw files), never to a local one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAX_REDIRECTS = 10
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


@dataclass
class RedirectChain:
    """The hops of one logical request: its first URL and every target seen so far."""

    start: str
    strict: bool = False  # an API / data request: the host must stay (or be expected)
    expected_hosts: frozenset[str] = frozenset()
    seen: list[str] = field(default_factory=list)

    def refuse(self, source: str, target: str) -> str | None:
        """Why the hop ``source`` -> ``target`` is not followed; None when it is. A followed
        hop is remembered (loops are found by it)."""
        if not self.seen:
            self.seen.append(self.start)
        reason = refusal(source, target, self.start, strict=self.strict,
                         expected_hosts=self.expected_hosts, seen=self.seen)
        if reason is None:
            self.seen.append(target)
        return reason


def is_local_host(host: str) -> bool:
    """True for a name or address that points at this machine or a private network."""
    host = host.strip("[]").rstrip(".").lower()
    if not host:
        return True
    if host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES) or "." not in host and \
            ":" not in host and not host.isdigit():
        return True  # a bare name ("metadata", "intranet") resolves only locally
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:  # 2130706433, 0x7f.1 and friends: what inet_aton would accept
            import socket

            address = ipaddress.ip_address(socket.inet_aton(host))
        except (OSError, ValueError):
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def refusal(source: str, target: str, start: str, *, strict: bool = False,
            expected_hosts: frozenset[str] = frozenset(),
            seen: list[str] | None = None) -> str | None:
    """Why a redirect from ``source`` (reached from ``start``) to ``target`` is refused."""
    seen = seen if seen is not None else [start]
    if target in seen:
        return f"redirect loop (back to {target})"
    if len(seen) > MAX_REDIRECTS:
        return f"too many redirects (more than {MAX_REDIRECTS})"
    parts = urlsplit(target)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return f"redirect to a {scheme or 'schemeless'}: URL refused ({_short(target)})"
    host = (parts.hostname or "").lower()
    if is_local_host(host) and _origin(target) != _origin(start):
        return f"redirect to a local or private address refused ({_short(target)})"
    if urlsplit(source).scheme.lower() == "https" and scheme == "http":
        return f"redirect from https to plain http refused ({_short(target)})"
    first = (urlsplit(start).hostname or "").lower()
    if strict and host != first and host not in expected_hosts:
        return f"redirect to another host refused for an API request ({_short(target)})"
    return None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _short(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit else url[:limit] + "…"
