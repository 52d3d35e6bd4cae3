"""The transport under the session: mirrors, per-host pacing and pauses, deadlines, size cap,
redirect policy, block detection.

The session always asks for the canonical URL (the real host). This adapter sends the request
to the mirror registered for that origin (``base_url``), and maps the response URL and any
redirect ``Location`` back to the canonical origin, so everything above it (cookies, redirects,
the cache) only ever sees canonical URLs. Every hop of a redirect chain passes through here, so
blocks and refused redirects (:mod:`scholarsync.net.redirects`) are caught before any body
reaches the cache.

Time is bounded three ways: each request has a total deadline (:mod:`scholarsync.net.deadline`);
a source's time budget, when one is in force, stops any request that would run past it; and a
``Retry-After`` pauses the whole host (every source on it waits for the same moment), up to a
total per host and run beyond which the host is given up for the run. A host whose answers run
past their deadline twice is given up for the run too (its cached copies still serve).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

from scholarsync.errors import BlockedError, BudgetExceededError, NetworkError, ParseError
from scholarsync.net.blocks import BlockRule, body_block, header_block, host_of
from scholarsync.net.deadline import POOLS_BY_SCHEME, Deadline, TotalTimeout
from scholarsync.net.redirects import RedirectChain

_CHUNK = 64 * 1024
TOO_SLOW_STRIKES = 2  # requests past their deadline after which a host is left for the run


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
    blocked_before: bool = False  # the block is remembered from an earlier run (blockmemo)
    retry_after: float | None = None  # seconds its refusing 429 asked us to wait
    pause_until: float = 0.0  # monotonic time before which nothing goes to it (Retry-After)
    asked_wait: float = 0.0  # seconds of Retry-After accepted from it in this run
    given_up: str | None = None  # it asked to wait longer than a run does: cache only
    too_slow: int = 0  # requests to it that ran past their total deadline


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
    total_timeout: float = 25.0  # seconds one request (one hop) may take in all
    retry_after_cap: float = 30.0  # seconds of Retry-After one host may cost a run
    budget_at: float | None = None  # monotonic end of the current source's time budget
    budget_label: str = ""  # "sources[0] (scholar): time budget of 600 s" for messages
    chain: RedirectChain | None = None  # the redirect chain of the request in flight
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


class RedirectRefusedError(NetworkError):
    """A redirect the policy does not follow (:mod:`scholarsync.net.redirects`)."""


def blocked_earlier(url: str, host: str, info: HostState) -> BlockedError:
    when = "in an earlier run" if info.blocked_before else "earlier in this run"
    return BlockedError(f"{url}: not requested, {host} blocked us {when} ({info.blocked})",
                        url=url)


def retry_after(value: str | None) -> float | None:
    """Seconds asked by a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


class MirrorAdapter(HTTPAdapter):
    """Sends canonical requests to their mirror, paced per host, with size cap and block checks."""

    def __init__(self, state: TransportState):
        super().__init__(max_retries=0)
        self.state = state

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOLS_BY_SCHEME  # deadline-aware sockets

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout=None,
             verify=True, cert=None, proxies=None) -> requests.Response:
        canonical = request.url or ""
        host = host_of(canonical)
        shown = self.state.current or canonical
        info = self.state.host(host)
        if info.blocked:
            raise blocked_earlier(shown, host, info)
        if info.given_up:
            raise NetworkError(f"{shown}: not requested, {info.given_up}", url=shown)
        self._pace(info, shown)
        sent = request.copy()
        mirror = self.state.to_mirror(canonical)
        sent.url = with_secrets(mirror, canonical, self.state.secrets)
        if sent.url != canonical and proxies:  # proxy settings were chosen for the real host
            proxies = requests.utils.get_environ_proxies(mirror)
        self.state.requests_made += 1
        info.requests += 1
        at = time.monotonic() + self.state.total_timeout
        budget = self.state.budget_at
        with Deadline(at if budget is None else min(at, budget)) as deadline:
            try:
                try:
                    response = super().send(sent, stream=True, timeout=timeout, verify=verify,
                                            cert=cert, proxies=proxies)
                finally:
                    info.last = time.monotonic()
                try:
                    self._check(response, request, info, shown, deadline)
                except Exception:
                    response.close()
                    raise
            except (requests.RequestException, ParseError) as exc:
                if deadline.passed:
                    raise self._too_slow(shown, deadline, info, host) from None
                if sent.url != mirror and isinstance(exc, requests.RequestException):
                    exc.args = (redact(str(exc)),)  # it names the URL sent: hide the secret
                raise exc
        return response

    def _too_slow(self, shown: str, deadline: Deadline, info: HostState,
                  host: str) -> Exception:
        budget = self.state.budget_at
        if budget is not None and deadline.at >= budget:
            return BudgetExceededError(f"{shown}: stopped, {self.state.budget_label} used up",
                                       url=shown)
        info.too_slow += 1
        if info.too_slow >= TOO_SLOW_STRIKES:  # a dripping server costs a run two deadlines
            info.given_up = (f"{host} was too slow {info.too_slow} times in this run (no "
                             f"complete answer within {self.state.total_timeout:g} s)")
        return TotalTimeout(f"no complete answer within {self.state.total_timeout:g} s "
                            "(the server is too slow)")

    def _pace(self, info: HostState, shown: str) -> None:
        now = time.monotonic()
        ready = max(info.pause_until, info.last + info.delay if info.last is not None else 0.0)
        budget = self.state.budget_at
        if budget is not None and max(now, ready) >= budget:
            raise BudgetExceededError(f"{shown}: not requested, {self.state.budget_label} "
                                      "used up", url=shown)
        if ready > now:
            time.sleep(ready - now)

    def _asks_to_wait(self, response: requests.Response, info: HostState, host: str,
                      shown: str) -> bool:
        """A 429 or 503 with ``Retry-After``: pause the host for everyone (True), or give the
        host up for the run when it asks for more than the run may still wait (False)."""
        seconds = retry_after(response.headers.get("retry-after"))
        if seconds is None:
            return False
        left = self.state.retry_after_cap - info.asked_wait
        if seconds > left:
            why = (f"{host} asked to wait {seconds:g} s (Retry-After), more than this run "
                   f"waits for one host ({self.state.retry_after_cap:g} s in all)")
            if response.status_code == 429:
                info.retry_after = seconds  # remembered for the next runs (blockmemo)
                raise self._block(info, shown, f"HTTP 429 Too Many Requests; {why}")
            info.given_up = why
            return False
        info.asked_wait += seconds
        info.pause_until = max(info.pause_until, time.monotonic() + seconds)
        return True

    def _block(self, info: HostState, shown: str, reason: str) -> BlockedError:
        info.blocked = reason
        return BlockedError(f"{shown}: the site refused the request ({reason}); not retried, "
                            "and no further request goes to this host in this run", url=shown)

    def _check(self, response: requests.Response, request: requests.PreparedRequest,
               info: HostState, shown: str, deadline: Deadline) -> None:
        canonical = request.url or ""
        origin = origin_of(canonical)
        response.url = canonical
        response.request = request
        headers = dict(response.headers)
        host = host_of(canonical)
        rules = self.state.rules_for(host)
        status = response.status_code
        waits = (status == 429 and all(r.wait_on_429 for r in rules)
                 or status in (502, 503, 504)) and self._asks_to_wait(response, info, host, shown)
        reason = None if waits else header_block(status, headers) or next(
            filter(None, (r.response(canonical, status, headers) for r in rules)), None)
        if reason:
            info.retry_after = retry_after(response.headers.get("retry-after"))
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
            chain = self.state.chain
            refused = chain.refuse(canonical, target) if chain is not None else None
            if refused:
                raise RedirectRefusedError(f"{shown}: {refused}; nothing more was requested",
                                           url=shown)
        self._read_capped(response, shown, deadline)
        text = response.content.decode("utf-8", errors="replace")
        reason = body_block(response.status_code, text)
        if reason:
            raise self._block(info, shown, reason)

    def _read_capped(self, response: requests.Response, shown: str,
                     deadline: Deadline) -> None:
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
            while chunk := response.raw.read1(_CHUNK, decode_content=True):
                if deadline.passed:
                    raise requests.exceptions.ReadTimeout("deadline", response=response)
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
