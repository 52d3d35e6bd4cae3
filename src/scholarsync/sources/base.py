"""The source protocol: what a source declares, and the bookkeeping every web source shares.

A source class declares, as class attributes: its ``kind``; its ``role`` (``"list"``: it lists
works, read by :meth:`Source.read`; ``"lookup"``: it looks up identifiers other sources found,
by :meth:`Source.lookup`); its ``rank`` in field precedence (lower wins); whether its records are
the user's own entries (``user_owned``); the identifiers it yields (:class:`IdentifierSpec`:
decisive or exclusive for matching, link template and label); the label of its citation counts;
and the block rules for its host (:mod:`scholarsync.net.blocks`). Its ``[[sources]]`` table is
parsed by :meth:`Source.parse_options`.
"""

from __future__ import annotations

import datetime as dt
import json
from abc import ABC
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from scholarsync import sources as registry
from scholarsync.errors import ParseError
from scholarsync.model import (
    IdentifierSpec,
    Problem,
    Publication,
    Record,
    SourceResult,
)
from scholarsync.net.blocks import BlockRule

if TYPE_CHECKING:
    from scholarsync.config import Config, OptionReader, SourceConfig
    from scholarsync.net.client import HttpClient, Page
    from scholarsync.recordcache import RecordCache

__all__ = ["IdentifierSpec", "BlockRule", "Source", "WebSource", "SourceContext", "Freshness",
           "freshness"]


@dataclass
class SourceContext:
    """What every source of one run shares: the config, the mode, and one HTTP client."""

    config: Config
    offline: bool = False
    refresh: bool = False
    today: str = field(default_factory=lambda: dt.date.today().isoformat())
    block_rules: tuple[BlockRule, ...] = ()
    _http: HttpClient | None = None
    _records: RecordCache | None = None

    @property
    def records(self) -> RecordCache:
        """The parsed-records cache (``<cache_dir>/records/``) of this run."""
        if self._records is None:
            from scholarsync.recordcache import FOLDER, RecordCache

            self._records = RecordCache(self.config.network.cache_dir / FOLDER)
        return self._records

    @property
    def http(self) -> HttpClient:
        """The one polite, cached session, created on first use."""
        if self._http is None:
            from scholarsync.net.client import HttpClient

            registered = tuple(rule for kind in registry.kinds()
                               for rule in registry.source_class(kind).block_rules)
            self._http = HttpClient(self.config.network, offline=self.offline,
                                    refresh=self.refresh,
                                    block_rules=self.block_rules + registered)
        return self._http

    @property
    def requests_made(self) -> int:
        """Requests that went to the network so far in this run (none before the client)."""
        return self._http.requests_made if self._http is not None else 0

    @property
    def expires_at(self) -> dt.datetime | None:
        """When the first cached page used in this run stops being fresh."""
        return self._http.expires_at if self._http is not None else None

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> SourceContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Source(ABC):
    """One kind of metadata source. Subclasses live one per module in ``sources/``."""

    kind: ClassVar[str]
    role: ClassVar[str] = "list"  # "list" | "lookup"
    rank: ClassVar[int] = 50  # field precedence: lower wins
    user_owned: ClassVar[bool] = False  # its records are the user's own entries
    web: ClassVar[bool] = True  # reads the web: takes base_url and max_age_hours
    required: ClassVar[tuple[str, ...]] = ()  # keys its [[sources]] table must have
    optional: ClassVar[tuple[str, ...]] = ()  # keys it may have (besides kind, web keys)
    identifiers: ClassVar[tuple[IdentifierSpec, ...]] = ()
    citation_label: ClassVar[str] = ""  # names its citation counts on a page
    block_rules: ClassVar[tuple[BlockRule, ...]] = ()

    def __init__(self, config: SourceConfig, context: SourceContext):
        self.config = config
        self.context = context

    @classmethod
    def parse_options(cls, table: OptionReader) -> dict[str, Any]:
        """This source's own keys, validated (errors name file, key and what is valid).

        The default reads every declared key as a string or a list of strings."""
        return {key: table.strings(key) if isinstance(table.get(key), list)
                else table.string(key) for key in (*cls.required, *cls.optional)
                if table.get(key) is not None}

    def fetches(self) -> bool:
        """Whether this source's read may request the web (a local one needs no client)."""
        return self.web

    def read(self) -> SourceResult:
        """Read every configured item (role "list"). Per-item failures go into ``problems``;
        a failure of the whole source raises :class:`scholarsync.errors.SourceError`."""
        raise NotImplementedError(f"{self.kind} lists no works")

    def lookup(self, publications: list[Publication]) -> SourceResult:
        """Records for the identifiers of ``publications`` (role "lookup")."""
        raise NotImplementedError(f"{self.kind} looks up no identifiers")

    @classmethod
    def owner_page(cls, options: dict[str, Any]) -> str | None:
        """The public page of the profile these options read (an ORCID record, a Scholar
        profile), named as the owner's ``sameAs`` in JSON-LD; None when there is none."""
        return None

    @classmethod
    def accepts(cls, target: str) -> bool:
        """True when ``inspect TARGET`` (a URL or id) belongs to this source."""
        return False

    def inspect(self, target: str) -> list[Record]:
        """Fetch one page or item and return the records it yields (``scholarsync inspect``)."""
        raise NotImplementedError(f"{self.kind} does not support inspect")


@dataclass(frozen=True)
class Freshness:
    """How fresh the pages behind one source's result are (for ``SourceResult``)."""

    status: str  # "fresh" | "cache" | "stale"
    detail: str
    read_at: str | None  # ISO date the oldest page was last obtained from the origin


def freshness(pages: Sequence[Page], today: str) -> Freshness:
    """Summarize Page flags: any stale page -> "stale"; all from cache -> "cache"."""
    if not pages:
        return Freshness("fresh", "", None)
    dates = sorted((p.fetched_at or today)[:10] for p in pages)
    stale = [p for p in pages if p.stale]
    if stale:
        since = min((p.fetched_at or "an unknown date")[:10] for p in stale)
        urls = ", ".join(p.url for p in stale[:3]) + (" …" if len(stale) > 3 else "")
        why = next((r for p in stale if (r := getattr(p, "stale_reason", ""))), "")
        detail = (f"{len(stale)} of {len(pages)} page(s) served from the cache because the "
                  f"site failed (copy from {since}): {urls}" + (f" ({why})" if why else ""))
        return Freshness("stale", detail, dates[0])
    if all(p.from_cache for p in pages):
        return Freshness("cache", "", dates[0])
    return Freshness("fresh", "", dates[0])


class WebSource(Source):
    """A source that reads through the shared client: counts its requests, remembers the
    pages it used, and turns them into a :class:`SourceResult` with status and read date."""

    def __init__(self, config: SourceConfig, context: SourceContext):
        super().__init__(config, context)
        self.pages: list[Page] = []
        self._before: int | None = None

    def get(self, url: str, **kwargs: Any) -> Page:
        """GET ``url`` through the polite client with this source's base_url and max age."""
        http = self.context.http
        if self._before is None:
            self._before = http.requests_made
        kwargs.setdefault("base_url", self.config.base_url)
        kwargs.setdefault("max_age_hours", self.config.options.get("max_age_hours"))
        page = http.get(url, **kwargs)
        self.pages.append(page)
        return page

    @property
    def requests(self) -> int:
        """Requests this source sent to the network so far."""
        if self._before is None:
            return 0
        return self.context.http.requests_made - self._before

    def result(self, records: list[Record], problems: list[Problem] | None = None, *,
               complete: bool = True, detail: str = "",
               profile: dict[str, Any] | None = None) -> SourceResult:
        """The result of this read: freshness of the pages used, requests made."""
        fresh = freshness(self.pages, self.context.today)
        return SourceResult(kind=self.kind, records=records, problems=list(problems or []),
                            complete=complete, status=fresh.status,
                            detail="; ".join(d for d in (detail, fresh.detail) if d),
                            requests=self.requests, profile=dict(profile or {}),
                            read_at=fresh.read_at)


def json_object(text: str, url: str, service: str) -> dict[str, Any]:
    """A service's answer as a JSON object; :class:`ParseError` naming ``service`` for an
    empty, cut-short or malformed body, or one that is not an object."""
    if not text.strip():
        raise ParseError(f"{url}: empty answer from {service}", url=url)
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"{url}: the {service} answer is not JSON (cut short or malformed: "
                         f"{exc})", url=url) from None
    if not isinstance(body, dict):
        raise ParseError(f"{url}: the {service} answer is not a JSON object", url=url)
    return body
