"""The transport under the session: mirrors, per-host pacing, size cap, block detection.

The session always asks for the canonical URL (the real host). This adapter sends the request
to the mirror registered for that origin (``base_url``), and maps the response URL and any
redirect ``Location`` back to the canonical origin, so everything above it (cookies, redirects,
the cache) only ever sees canonical URLs. Every hop of a redirect chain passes through here, so
blocks are caught before any body reaches the cache.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

from scholarsync.errors import BlockedError, ParseError
from scholarsync.net.blocks import BlockRule, body_block, header_block, host_of

_CHUNK = 64 * 1024


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass
class HostState:
    """What the transport remembers about one canonical host during a run."""

    delay: float = 0.0  # least seconds between two requests (config delay, Crawl-delay)
    last: float | None = None  # monotonic time the previous request to it finished
    requests: int = 0
    blocked: str | None = None  # reason, once the host refused us


@dataclass
class TransportState:
    """Shared between the client and its adapter."""

    default_delay: float
    max_bytes: int
    mirrors: dict[str, str] = field(default_factory=dict)  # canonical origin -> base_url
    hosts: dict[str, HostState] = field(default_factory=dict)
    requests_made: int = 0
    current: str = ""  # the URL the client was asked for (named in error messages)
    rules: tuple[BlockRule, ...] = ()  # block rules the sources registered for their hosts
    # (origin, params): query parameters added, for that origin only, to the URL sent
    secrets: tuple[str, dict[str, str]] = ("", {})

    def rules_for(self, host: str) -> list[BlockRule]:
        return [rule for rule in self.rules if rule.applies(host)]

    def host(self, name: str) -> HostState:
        if name not in self.hosts:
            self.hosts[name] = HostState(delay=self.default_delay)
        return self.hosts[name]

    def to_mirror(self, url: str) -> str:
        base = self.mirrors.get(origin_of(url))
        if base is None:
            return url
        parts = urlsplit(url)
        rest = parts.path + (f"?{parts.query}" if parts.query else "")
        return base + (rest or "/")

    def to_canonical(self, url: str, canonical_origin: str) -> str:
        base = self.mirrors.get(canonical_origin)
        if base and (url == base or url.startswith(base + "/") or url.startswith(base + "?")):
            return canonical_origin + url[len(base):]
        return url


_REDACTED: set[str] = set()  # secret values sent so far: never shown in a log line


class _Redact(logging.Filter):
    """Hides secret query values in urllib3's debug lines (``--verbose`` shows them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _REDACTED:
            message = record.getMessage()
            if any(s in message for s in _REDACTED):
                record.msg, record.args = redact(message), ()
        return True


_FILTER = _Redact()


def redact(text: str) -> str:
    """``text`` with every secret sent so far replaced by ``***``."""
    for secret in _REDACTED:
        text = text.replace(secret, "***")
    return text


def with_secrets(url: str, canonical: str, secrets: tuple[str, dict[str, str]]) -> str:
    """The URL to send: ``url`` plus the secret parameters when ``canonical`` is on their
    origin (a redirect to another host never carries them)."""
    origin, params = secrets
    if not params or origin_of(canonical) != origin or urlsplit(canonical).path == "/robots.txt":
        return url
    values = {k: v for k, v in params.items() if v}
    if not values:
        return url
    logger = logging.getLogger("urllib3.connectionpool")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    _REDACTED.update(values.values())
    return url + ("&" if urlsplit(url).query else "?") + urlencode(values)


def blocked_earlier(url: str, host: str, reason: str) -> BlockedError:
    return BlockedError(f"{url}: not requested, {host} blocked us earlier in this run "
                        f"({reason})", url=url)


class MirrorAdapter(HTTPAdapter):
    """Sends canonical requests to their mirror, paced per host, with size cap and block checks."""

    def __init__(self, state: TransportState):
        super().__init__(max_retries=0)
        self.state = state

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout=None,
             verify=True, cert=None, proxies=None) -> requests.Response:
        canonical = request.url or ""
        host = host_of(canonical)
        shown = self.state.current or canonical
        info = self.state.host(host)
        if info.blocked:
            raise blocked_earlier(shown, host, info.blocked)
        self._pace(info)
        sent = request.copy()
        mirror = self.state.to_mirror(canonical)
        sent.url = with_secrets(mirror, canonical, self.state.secrets)
        if sent.url != canonical and proxies:  # proxy settings were chosen for the real host
            proxies = requests.utils.get_environ_proxies(mirror)
        self.state.requests_made += 1
        info.requests += 1
        try:
            response = super().send(sent, stream=True, timeout=timeout, verify=verify,
                                    cert=cert, proxies=proxies)
        except requests.RequestException as exc:
            if sent.url != mirror:  # its message names the URL sent: hide the secret
                exc.args = (redact(str(exc)),)
            raise
        finally:
            info.last = time.monotonic()
        try:
            self._check(response, request, info, shown)
        except Exception:
            response.close()
            raise
        return response

    def _pace(self, info: HostState) -> None:
        if info.last is not None and info.delay > 0:
            wait = info.last + info.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)

    def _block(self, info: HostState, shown: str, reason: str) -> BlockedError:
        info.blocked = reason
        return BlockedError(f"{shown}: the site refused the request ({reason}); not retried, "
                            "and no further request goes to this host in this run", url=shown)

    def _check(self, response: requests.Response, request: requests.PreparedRequest,
               info: HostState, shown: str) -> None:
        canonical = request.url or ""
        origin = origin_of(canonical)
        response.url = canonical
        response.request = request
        headers = dict(response.headers)
        rules = self.state.rules_for(host_of(canonical))
        reason = header_block(response.status_code, headers) or next(
            filter(None, (r.response(canonical, response.status_code, headers) for r in rules)),
            None)
        if reason:
            raise self._block(info, shown, reason)
        location = response.headers.get("location")
        if location and response.is_redirect:
            target = urljoin(canonical, self.state.to_canonical(location, origin))
            response.headers["location"] = target
            error = next(filter(None, (r.redirect(shown, target) for r in rules)), None)
            if error is not None:
                if error.host_wide:
                    info.blocked = f"redirected to {target}"
                raise error
        self._read_capped(response, shown)
        text = response.content.decode("utf-8", errors="replace")
        reason = body_block(response.status_code, text)
        if reason:
            raise self._block(info, shown, reason)

    def _read_capped(self, response: requests.Response, shown: str) -> None:
        """Read the body, stopping as soon as it passes ``max_bytes``."""
        limit = self.state.max_bytes
        too_big = ParseError(f"{shown}: response larger than {limit} bytes; not used",
                             url=shown)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_big
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.raw.stream(_CHUNK, decode_content=True):
                size += len(chunk)
                if size > limit:
                    raise too_big
                chunks.append(chunk)
        except ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc, response=response) from None
        except ReadTimeoutError as exc:
            raise requests.exceptions.ReadTimeout(exc, response=response) from None
        except DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc, response=response) from None
        response._content = b"".join(chunks)
        response._content_consumed = True  # type: ignore[attr-defined]  # as requests does
        response.raw.release_conn()
