"""The one polite, cached HTTP session shared by every web source.

``HttpClient.get(url)`` returns a :class:`Page` or raises a typed error from ``errors.py``:

- fresh copy in the cache (younger than ``max_age_hours``) -> served, no request at all;
- older -> conditional request (ETag / Last-Modified); 304 keeps the cached body;
- connection error, timeout or 5xx (after retries) with a cached copy -> that copy, ``stale=True``;
- offline -> cache only, no socket; missing -> :class:`NotInCacheError`;
- robots.txt (fetched once per host per day) obeyed -> :class:`DisallowedError`;
- CAPTCHA, 429, WAF, and the block rules sources register for their hosts (Scholar's 403,
  ``/sorry/``, sign-in) -> :class:`BlockedError`, never retried or cached; the host is not asked
  again in this run unless the error says it concerns that URL only;
- a 429 or 503 with a short ``Retry-After`` pauses the whole host (every source on it shares the
  one wait, at most ``retry_after_cap`` seconds per host and run) and is retried; a longer one
  blocks the host (429) or leaves it to the cache (503) for the rest of the run;
- every request has a total deadline (``deadline_factor`` x ``timeout``): a server that drips
  its answer fails as a timeout, not retried; inside :meth:`HttpClient.budget` a source's
  requests stop when its time budget is used up (:class:`BudgetExceededError`);
- redirects follow :mod:`scholarsync.net.redirects` (bounded, no loops, no https -> http, never
  to a local address, API requests stay on their host); a refused one caches nothing.

Storage is :class:`scholarsync.net.store.JsonStore` (``<cache_dir>/http/``, one readable file per
canonical URL, ``<host>_<sha256 prefix>.json``, written atomically and only when its bytes
change). The freshness policy lives here rather than in ``CachedSession``: requests-cache's own
policy would hand back a cached copy when a refresh fails (hiding a block), cannot apply a
per-call max age to stored entries, and its ``FileCache`` keeps a binary ``redirects.sqlite``
beside the JSON files.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import logging
import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import requests
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict
from requests_cache.models import CachedResponse

from scholarsync import PROJECT_URL, __version__
from scholarsync.config import NetworkConfig
from scholarsync.errors import (
    BlockedError,
    BudgetExceededError,
    DisallowedError,
    NetworkError,
    NotInCacheError,
    ParseError,
)
from scholarsync.net.blockmemo import BlockMemory
from scholarsync.net.blocks import BlockRule, host_of
from scholarsync.net.deadline import TotalTimeout
from scholarsync.net.redirects import MAX_REDIRECTS, RedirectChain
from scholarsync.net.robots import RobotsRules, agent_token
from scholarsync.net.store import JsonStore
from scholarsync.net.transport import (
    MirrorAdapter,
    RedirectRefusedError,
    TransportState,
    blocked_earlier,
    origin_of,
    retry_after,
)

__all__ = ["HttpClient", "Page", "NotFoundError", "HttpStatusError", "BudgetExceededError",
           "BlockedError", "DisallowedError", "NetworkError", "NotInCacheError", "ParseError",
           "RedirectRefusedError", "EXPECTS"]

log = logging.getLogger("scholarsync.net.client")

RETRY_STATUSES = (502, 503, 504)
RETRY_AFTER_CAP = 30.0  # seconds of Retry-After one host may cost a run; more: give up
DEADLINE_FACTOR = 1.25  # a request's total deadline, in units of [network] timeout
#: what ``get(expect=…)`` accepts; "json" and "xml" (and "any", for API calls) keep redirects
#: on the requested host
EXPECTS = ("html", "text", "json", "xml", "any")
_STRICT_REDIRECTS = ("json", "xml", "any")
ROBOTS_MAX_AGE_HOURS = 24.0
# request headers kept with a cached copy: never a token, key or cookie
_STORED_REQUEST_HEADERS = ("user-agent", "accept", "accept-encoding")
_TRANSIENT = (requests.ConnectionError, requests.Timeout,
              requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)


class HttpStatusError(NetworkError):
    """The origin answered with an error status that is not a block (e.g. 400, 500 uncached)."""

    def __init__(self, message: str, url: str | None = None, status: int = 0):
        self.status = status
        super().__init__(message, url=url)


class NotFoundError(HttpStatusError):
    """HTTP 404 or 410: the page does not exist (a per-item error for the source)."""


class _Unreachable(NetworkError):
    """The origin could not be reached (after retries); a cached copy may stand in."""


@dataclass
class Page:
    url: str  # canonical URL requested
    final_url: str  # canonical final URL after redirects
    status: int
    text: str
    headers: dict[str, str]  # lower-case names
    from_cache: bool  # served from the cache without contacting the origin
    stale: bool  # served from cache because the origin failed (stale-if-error)
    fetched_at: str | None  # ISO time (UTC) the origin last sent or confirmed (304) this body
    redirects: list[str] = field(default_factory=list)  # canonical URLs of the redirect chain
    stale_reason: str = ""  # why the origin failed, when ``stale`` (one line)


def default_user_agent() -> str:
    return f"scholarsync/{__version__} (+{PROJECT_URL})"


_SECRET_PARAM = re.compile(r"(?i)(api[_-]?key|key|token|secret|password|access[_-]?token)")
LOGGED_URL_CHARS = 160


def loggable_url(url: str) -> str:
    """``url`` for a log line: secret query values hidden, shortened past
    :data:`LOGGED_URL_CHARS` (a GraphQL query is long)."""
    parts = urlsplit(url)
    if parts.query and _SECRET_PARAM.search(parts.query):
        query = "&".join(
            f"{name}=***" if _SECRET_PARAM.fullmatch(name) else f"{name}={value}"
            for name, value in parse_qsl(parts.query, keep_blank_values=True))
        url = urlunsplit(parts._replace(query=query))
    return url if len(url) <= LOGGED_URL_CHARS else url[:LOGGED_URL_CHARS] + "…"


def canonical_url(url: str) -> str:
    """``url`` as requests sends it (IDNA host, percent-encoding, ``/`` path); the cache key."""
    try:
        prepared = requests.Request("GET", url.strip()).prepare().url or ""
    except requests.RequestException:
        prepared = ""
    if not re.match(r"https?://[^/]+", prepared):
        raise NetworkError(f"{url!r} is not an http(s) URL", url=url)
    return prepared


def cache_key(url: str) -> str:
    """File name stem of a canonical URL in the cache: readable host, stable hash."""
    netloc = re.sub(r"[^a-z0-9.-]+", "_", origin_of(url).split("://", 1)[1])
    return f"{netloc}_{hashlib.sha256(url.encode('utf-8')).hexdigest()[:20]}"


class HttpClient:
    """One polite, cached session for every web source of a run (see the module docstring)."""

    def __init__(self, network: NetworkConfig, *, offline: bool = False, refresh: bool = False,
                 retries: int = 2, backoff: float = 0.5,
                 retry_after_cap: float = RETRY_AFTER_CAP,
                 deadline_factor: float = DEADLINE_FACTOR,
                 block_rules: tuple[BlockRule, ...] = ()):
        self.network = network
        self.offline = offline
        self.refresh = refresh
        self.retries = retries
        self.backoff = backoff
        self.retry_after_cap = retry_after_cap
        self.user_agent = network.user_agent or default_user_agent()
        self.cache_dir = Path(network.cache_dir) / "http"
        self._state = TransportState(default_delay=network.delay, max_bytes=network.max_bytes,
                                     rules=tuple(block_rules),
                                     total_timeout=network.timeout * deadline_factor,
                                     retry_after_cap=retry_after_cap)
        self.expires_at: dt.datetime | None = None  # earliest expiry of the pages used
        self._store = JsonStore(self.cache_dir)
        self._spent: dict[str, float] = {}  # seconds each budget label used so far
        self.exhausted: set[str] = set()  # budget labels that ran out in this run
        self._session: requests.Session | None = None
        self._robots: dict[str, RobotsRules] = {}
        self._validated: set[str] = set()  # cache keys confirmed with the origin in this run
        self._memory = None if offline else BlockMemory(Path(network.cache_dir))
        if self._memory is not None and not refresh:
            for name, remembered in self._memory.active().items():
                state = self._state.host(name)
                state.blocked, state.blocked_before = remembered.describe(), True

    # -- public ------------------------------------------------------------------------------
    @property
    def requests_made(self) -> int:
        """Requests that went to the network (robots.txt, redirects and 304s included)."""
        return self._state.requests_made

    @property
    def requests_by_host(self) -> dict[str, int]:
        return {h: s.requests for h, s in self._state.hosts.items() if s.requests}

    def delay_for(self, host: str) -> float:
        """Least seconds between two requests to ``host`` (config delay or its Crawl-delay)."""
        return self._state.host(host.lower()).delay

    def get(self, url: str, *, base_url: str | None = None, expect: str = "html",
            max_age_hours: float | None = None,
            headers: dict[str, str] | None = None,
            redirect_hosts: tuple[str, ...] = (),
            secret_params: dict[str, str] | None = None) -> Page:
        """Fetch ``url`` (canonical, real host) politely through the cache; see module doc.

        ``expect`` is what the caller can use (one of :data:`EXPECTS`): anything else is a
        :class:`ParseError` and is not cached. ``headers`` are sent with the request (an API's
        ``Accept``, a token): they never enter the cache key, and none of them is stored with
        the cached copy. ``redirect_hosts`` are other hosts an API request may be redirected
        to. ``secret_params`` (an API key a service takes in the query string) are added to
        the URL only as it is sent to that URL's host: never part of the cache key, a cached
        copy, an error message or a log line."""
        if expect not in EXPECTS:
            raise ValueError(f"expect must be one of {', '.join(EXPECTS)}, not {expect!r}")
        canonical = canonical_url(url)
        if base_url and not self.offline:
            self._state.mirrors[origin_of(canonical)] = base_url.rstrip("/")
        max_age = self.network.max_age_hours if max_age_hours is None else max_age_hours
        self._redirect_hosts = frozenset(h.lower() for h in redirect_hosts)
        self._state.secrets = (origin_of(canonical), dict(secret_params or {}))
        try:
            page = self._get(canonical, expect, max_age, robots=True, headers=headers)
        finally:
            self._state.secrets = ("", {})
        self._note_expiry(page, max_age)
        return page

    @contextmanager
    def budget(self, label: str, seconds: float | None = None) -> Iterator[None]:
        """Requests made inside stop once ``label`` has spent ``seconds`` (summed over every
        use of the label in this run; default ``[network] source_budget``): the request in
        flight is cut at that moment and later ones raise :class:`BudgetExceededError`.
        Pages fresh in the cache are still served."""
        total = self.network.source_budget if seconds is None else seconds
        started = time.monotonic()
        outer = (self._state.budget_at, self._state.budget_label)
        self._state.budget_at = started + max(0.0, total - self._spent.get(label, 0.0))
        self._state.budget_label = f"the time budget of {label} ({total:g} s, [network] " \
                                   "source_budget)"
        try:
            yield
        except BudgetExceededError:
            self.exhausted.add(label)
            raise
        finally:
            self._spent[label] = self._spent.get(label, 0.0) + time.monotonic() - started
            if self._spent[label] >= total:
                self.exhausted.add(label)
            self._state.budget_at, self._state.budget_label = outer

    def _note_expiry(self, page: Page, max_age: float) -> None:
        """Remember when the first page used in this run stops being fresh."""
        if page.stale or not page.fetched_at:
            expiry = dt.datetime.now(dt.UTC)
        else:
            fetched = dt.datetime.fromisoformat(page.fetched_at)
            expiry = _aware(fetched) + dt.timedelta(hours=max_age)
        if self.expires_at is None or expiry < self.expires_at:
            self.expires_at = expiry

    def pace(self, host: str, seconds: float) -> None:
        """Keep at least ``seconds`` between two requests to ``host`` from now on (a service's
        published or announced rate limit); a larger delay already in force stays."""
        state = self._state.host(host.lower())
        state.delay = max(state.delay, seconds)

    def has_cached(self, url: str) -> bool:
        """True when a copy of ``url`` is in the cache (fresh or not); sends nothing."""
        return self._store.has(cache_key(canonical_url(url)))

    def forget(self, url: str) -> None:
        """Drop the cached copy of a page its source found unusable (cut short, changed
        layout), so that the next run asks the site again. Offline runs keep the cache."""
        if self.offline:
            return
        key = cache_key(canonical_url(url))
        self._store.delete(key)
        self._validated.discard(key)

    def close(self) -> None:
        """End the run: remember the hosts that blocked us in it, forget those that answered."""
        if self._memory is not None:
            for name, state in self._state.hosts.items():
                if state.blocked and not state.blocked_before:
                    self._memory.remember(name, state.blocked, state.retry_after)
                elif state.requests and not state.blocked:
                    self._memory.forget(name)
            self._memory.save()
            self._memory = None
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- policy ------------------------------------------------------------------------------
    def _get(self, url: str, expect: str, max_age: float, robots: bool,
             headers: dict[str, str] | None = None) -> Page:
        key = cache_key(url)
        cached = self._load(key)
        if self.offline:
            if cached is None:
                raise NotInCacheError(f"{url} is not in the cache ({self.cache_dir}); run once "
                                      "without --offline to fetch it", url=url)
            log.debug("cache (offline): %s", loggable_url(url))
            return self._page(url, cached, expect, from_cache=True)
        if cached is not None and self._is_fresh(key, cached, max_age, refreshable=robots):
            log.debug("cache hit (fresh): %s", loggable_url(url))
            return self._page(url, cached, expect, from_cache=True)
        host = self._state.host(host_of(url))
        if host.blocked:
            raise blocked_earlier(url, host_of(url), host)
        try:
            if robots:
                self._obey_robots(url)
                stored = (self._load(key) or cached) if key in self._validated else None
                if stored is not None:  # the URL was robots.txt itself, just fetched and stored
                    return self._page(url, stored, expect, from_cache=True)
            self._state.current = url
            response = self._fetch(url, cached, expect, headers)
        except _Unreachable as exc:
            return self._stale(url, cached, expect, exc)
        finally:
            self._state.current = ""
        status = response.status_code
        if status == 304 and cached is not None:
            return self._revalidated(url, key, cached, response, expect)
        if status == 429:  # it asked for a short pause, and asked again after it
            reason = "HTTP 429 Too Many Requests (again after its Retry-After pause)"
            self._state.host(host_of(url)).blocked = reason
            raise BlockedError(f"{url}: the site refused the request ({reason}); no further "
                               "request goes to this host in this run", url=url)
        if status >= 500:
            error = _Unreachable(f"{url}: server error HTTP {status}", url=url)
            return self._stale(url, cached, expect, error, status)
        if status in (404, 410):
            raise NotFoundError(f"{url}: not found (HTTP {status})", url=url, status=status)
        if status != 200:
            raise HttpStatusError(f"{url}: unexpected HTTP {status} {response.reason or ''}"
                                  .rstrip(), url=url, status=status)
        response.encoding = _encoding(response.content, response.headers.get("content-type"))
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        page = self._page(url, response, expect, from_cache=False, fetched=now)
        self._save(key, response, now)
        self._validated.add(key)
        return page

    def _is_fresh(self, key: str, cached: CachedResponse, max_age: float,
                  refreshable: bool = True) -> bool:
        """Young enough to serve without asking; ``--refresh`` asks once per run for each page
        (robots.txt keeps its daily freshness)."""
        if key in self._validated:
            return True
        if self.refresh and refreshable:
            return False
        age = dt.datetime.now(dt.UTC) - _aware(cached.created_at)
        return age < dt.timedelta(hours=max_age)

    def _stale(self, url: str, cached: CachedResponse | None, expect: str,
               error: NetworkError, status: int = 0) -> Page:
        if cached is None:
            if status:
                raise HttpStatusError(str(error), url=url, status=status)
            raise NetworkError(str(error), url=url)
        log.debug("%s; using the cached copy", error)
        page = self._page(url, cached, expect, from_cache=True, stale=True)
        page.stale_reason = str(error).removeprefix(f"{url}: ")
        return page

    def _revalidated(self, url: str, key: str, cached: CachedResponse,
                     response: requests.Response, expect: str) -> Page:
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "set-cookie"):
                cached.headers[name] = value
        cached.created_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self._write(key, cached)
        self._validated.add(key)
        return self._page(url, cached, expect, from_cache=False)

    def _obey_robots(self, url: str) -> None:
        origin = origin_of(url)
        rules = self._robots.get(origin)
        if rules is None:
            try:
                rules = self._load_robots(origin)
            except BlockedError as exc:
                raise type(exc)(f"{url}: not fetched, {exc}", url=url) from None
            self._robots[origin] = rules
            host = self._state.host(host_of(url))
            host.delay = max(host.delay, self.network.delay, rules.crawl_delay)  # keep pace()
        if rules.unreachable:
            raise _Unreachable(f"{url}: not fetched, robots.txt of {origin} could not be read "
                               f"({rules.unreachable})", url=url)
        if not rules.allows(url):
            raise DisallowedError(f"{url}: disallowed by {origin}/robots.txt for "
                                  f"{rules.agent!r}; not fetched", url=url)

    def _load_robots(self, origin: str) -> RobotsRules:
        """robots.txt: 4xx allows everything; 5xx or no connection means: fetch nothing from
        this host in this run (RFC 9309 "unreachable"; cached pages are served stale)."""
        agent = agent_token(self.user_agent)
        try:
            page = self._get(origin + "/robots.txt", "any", ROBOTS_MAX_AGE_HOURS, robots=False)
        except BudgetExceededError:
            raise  # the source's time is up; the host itself is fine
        except RedirectRefusedError:
            return RobotsRules(agent=agent)  # RFC 9309: an unfollowable robots.txt is absent
        except HttpStatusError as exc:
            if 400 <= exc.status < 500:
                return RobotsRules(agent=agent)
            return RobotsRules(agent=agent, unreachable=f"HTTP {exc.status}")
        except ParseError as exc:
            return RobotsRules(agent=agent, unreachable=str(exc))
        except NetworkError as exc:
            return RobotsRules(agent=agent, unreachable=str(exc).split(": ", 1)[-1])
        return RobotsRules.parse(page.text, agent)

    # -- transport ---------------------------------------------------------------------------
    def _fetch(self, url: str, cached: CachedResponse | None, expect: str = "any",
               extra: dict[str, str] | None = None) -> requests.Response:
        """One logical request with retries; conditional when a cached copy has validators."""
        accept = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8" if expect == "html" else "*/*"
        headers = {"Accept": accept, **(extra or {})}
        if cached is not None:
            if cached.headers.get("etag"):
                headers["If-None-Match"] = cached.headers["etag"]
            if cached.headers.get("last-modified"):
                headers["If-Modified-Since"] = cached.headers["last-modified"]
        session = self._get_session()
        strict = expect in _STRICT_REDIRECTS
        attempt = 0
        while True:
            self._state.chain = RedirectChain(url, strict=strict, expected_hosts=getattr(
                self, "_redirect_hosts", frozenset()))
            try:
                started = time.monotonic()
                response = session.get(url, headers=headers, timeout=self.network.timeout)
                log.debug("GET %s -> HTTP %s, %s bytes, %.2f s%s", loggable_url(url),
                          response.status_code, f"{len(response.content):,}",
                          time.monotonic() - started, " (conditional)" if cached else "")
            except requests.TooManyRedirects:
                raise NetworkError(f"{url}: too many redirects (more than {MAX_REDIRECTS})",
                                   url=url) from None
            except TotalTimeout as exc:
                raise _Unreachable(f"{url}: {exc}; not retried", url=url) from None
            except _TRANSIENT as exc:
                if attempt >= self.retries:
                    raise _Unreachable(f"{url}: {_describe(exc, self.network.timeout)} "
                                       f"(after {attempt + 1} attempts)", url=url) from None
                wait = self._backoff_delay(attempt)
            except requests.RequestException as exc:
                raise NetworkError(f"{url}: {type(exc).__name__}: {exc}", url=url) from None
            else:
                status = response.status_code
                if status not in (*RETRY_STATUSES, 429) or attempt >= self.retries:
                    return response
                if self._state.host(host_of(url)).given_up:
                    return response  # it asked for a longer pause than a run may take
                # a Retry-After pause is the host's, kept by the transport for every request
                asked = retry_after(response.headers.get("retry-after")) is not None
                wait = 0.0 if asked else self._backoff_delay(attempt)
            finally:
                self._state.chain = None
            attempt += 1
            time.sleep(wait)

    def _backoff_delay(self, attempt: int) -> float:
        return self.backoff * (2 ** attempt) * random.uniform(0.5, 1.5)

    def _get_session(self) -> requests.Session:
        if self._session is None:
            session = requests.Session()
            adapter = MirrorAdapter(self._state)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = self.user_agent
            session.max_redirects = MAX_REDIRECTS + 2  # the redirect policy stops it first
            self._session = session
        return self._session

    # -- cache -------------------------------------------------------------------------------
    def _load(self, key: str) -> CachedResponse | None:
        return self._store.get(key)

    def _save(self, key: str, response: requests.Response, now: dt.datetime) -> None:
        cached = CachedResponse.from_response(response)
        for item in (cached, *cached.history):
            item.headers.pop("Set-Cookie", None)
            item.cookies = RequestsCookieJar()
            item.elapsed = dt.timedelta(0)
            item.request.headers = CaseInsensitiveDict(
                {k: v for k, v in item.request.headers.items()
                 if k.lower() in _STORED_REQUEST_HEADERS})
            item.request.cookies = RequestsCookieJar()
            item.created_at = now
        cached.expires = None
        self._write(key, cached)

    def _write(self, key: str, cached: CachedResponse) -> None:
        try:
            self._store.put(key, cached)
        except OSError as exc:  # a read-only cache: the page is still good for this run
            log.warning("could not write %s to the cache %s: %s", cached.url, self.cache_dir,
                        exc)

    def _page(self, url: str, response: requests.Response, expect: str, *, from_cache: bool,
              stale: bool = False, fetched: dt.datetime | None = None) -> Page:
        text = response.text
        content_type = response.headers.get("content-type", "")
        _check_expect(url, expect, content_type, text)
        if fetched is None:
            created = getattr(response, "created_at", None)
            fetched = _aware(created) if created else dt.datetime.now(dt.UTC)
        return Page(
            url=url,
            final_url=response.url or url,
            status=response.status_code,
            text=text,
            headers={k.lower(): v for k, v in response.headers.items()},
            from_cache=from_cache,
            stale=stale,
            fetched_at=fetched.replace(microsecond=0).isoformat(),
            redirects=[r.url for r in response.history],
        )


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _check_expect(url: str, expect: str, content_type: str, text: str) -> None:
    if expect == "any":
        return
    ctype = content_type.lower().split(";", 1)[0].strip()
    head = text[:4096].lstrip()
    if expect == "json":
        if "json" in ctype or (not ctype or ctype.startswith("text/plain")) and \
                head[:1] in ("{", "["):
            return
        raise ParseError(f"{url}: expected JSON, got {content_type or 'no content type'}"
                         f"{_looks_like(head)}", url=url)
    if expect == "xml":
        if "xml" in ctype or (not ctype or ctype.startswith("text/plain")) and \
                head.startswith("<") and not head.lower().startswith(("<!doctype html", "<html")):
            return
        raise ParseError(f"{url}: expected XML, got {content_type or 'no content type'}"
                         f"{_looks_like(head)}", url=url)
    if expect == "text" and "\x00" in text[:8192]:
        shown = content_type or "no content type"
        raise ParseError(f"{url}: expected text, got binary content ({shown})", url=url)
    if expect == "html":
        ctype = content_type.lower()
        head = text[:4096].lstrip().lower()
        looks_html = head.startswith(("<!doctype html", "<html")) or bool(
            re.search(r"<(html|head|body)[\s>]", head))
        if not ("html" in ctype or looks_html):
            raise ParseError(f"{url}: expected an HTML page, got "
                             f"{content_type or 'no content type'}", url=url)


def _encoding(content: bytes, content_type: str | None) -> str:
    """The body's encoding: header charset, then an HTML meta charset, then UTF-8 or cp1252."""
    candidates = []
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.I)
    if match:
        candidates.append(match.group(1))
    meta = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", content[:4096], re.I)
    if meta:
        candidates.append(meta.group(1).decode("ascii"))
    for name in candidates:
        try:
            return codecs.lookup(name).name
        except LookupError:
            continue
    try:
        content.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _looks_like(head: str) -> str:
    lowered = head[:200].lower()
    if lowered.startswith(("<!doctype html", "<html")) or "<body" in lowered:
        return " (an HTML page)"
    return ""


def _describe(exc: Exception, timeout: float) -> str:
    if isinstance(exc, requests.Timeout):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection broke while reading the response (truncated body)"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "the response body could not be decoded"
    return "connection failed (refused or unreachable)"
