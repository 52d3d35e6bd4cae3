"""What the identifier-lookup sources share (role ``"lookup"``: Crossref/DataCite, arXiv).

A lookup source is read after the list sources, on the merged publications: it collects the
identifiers it can look up (:meth:`LookupSource.wanted`), asks its service about each one
once per run (the app may call :meth:`LookupSource.lookup` again after another lookup found
new identifiers; only the new ones are asked), and returns one record per identifier it knows.
Its records fill gaps and add identifiers and links; they never add a work of their own,
except for the ``ids`` listed in its ``[[sources]]`` table (marked with :data:`REQUESTED`).

Answers are cached like any page, with a long default ``max_age_hours`` (a DOI's or an arXiv
id's record rarely changes). An identifier the service does not know is a warning for that
identifier; a block (429, a refusal) costs the whole source its fresh data.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from scholarsync.errors import BlockedError, NotInCacheError, SourceError
from scholarsync.model import Problem, Publication, Record, SourceResult
from scholarsync.sources.base import WebSource

if TYPE_CHECKING:
    from scholarsync.config import OptionReader
    from scholarsync.net.client import Page

#: ``Record.extra`` flag of a record looked up because the config lists its id explicitly.
REQUESTED = "lookup_requested"
#: Default freshness of a looked-up record: 30 days.
DEFAULT_MAX_AGE_HOURS = 24.0 * 30
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def rate_limit_pause(headers: dict[str, str]) -> float | None:
    """Seconds between two requests that ``x-rate-limit-limit`` requests per
    ``x-rate-limit-interval`` allow (Crossref: ``5`` per ``1s``); None when not announced."""
    limit, interval = headers.get("x-rate-limit-limit", ""), headers.get(
        "x-rate-limit-interval", "")
    match = _INTERVAL.match(interval)
    if not limit.strip().isdigit() or int(limit) <= 0 or not match:
        return None
    seconds = float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
    return seconds / int(limit)


class LookupSource(WebSource):
    """Base of the lookup sources: which ids were asked, what was found, what went wrong."""

    role = "lookup"
    optional = ("ids",)

    def __init__(self, config: Any, context: Any):
        super().__init__(config, context)
        self.asked: set[str] = set()
        self.records: list[Record] = []
        self.found: list[Record] = []  # records of the current fetch, as they come
        self.problems: list[Problem] = []
        self.not_cached: list[str] = []

    @classmethod
    def parse_options(cls, table: OptionReader) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if table.get("ids") is not None:
            raw = table.strings("ids")
            ids = []
            for value in raw:
                ident = cls.normalize(value)
                if ident is None:
                    raise table.error("ids", f"{value!r} is not {cls.id_name()}")
                ids.append(ident)
            options["ids"] = tuple(ids)
        return options

    # -- what a subclass provides ----------------------------------------------------------
    @classmethod
    def normalize(cls, value: str) -> str | None:
        """The identifier ``value`` names, normalized; None when it names none."""
        raise NotImplementedError

    @classmethod
    def id_name(cls) -> str:
        """What an identifier of this source is, for messages ("a DOI")."""
        raise NotImplementedError

    def wanted(self, publications: list[Publication]) -> dict[str, list[Publication]]:
        """The identifiers of ``publications`` this source can look up, with their works."""
        raise NotImplementedError

    def fetch(self, idents: list[str], works: dict[str, list[Publication]]) -> list[Record]:
        """Records for ``idents`` (never asked before in this run), appended to
        :attr:`found` as they come; per-id trouble goes to :attr:`problems` (:meth:`warn`),
        a whole-source failure raises."""
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------------
    @property
    def max_age(self) -> float:
        return float(self.config.options.get("max_age_hours", DEFAULT_MAX_AGE_HOURS))

    def get_json_page(self, url: str, **kwargs: Any) -> Page:
        kwargs.setdefault("max_age_hours", self.max_age)
        kwargs.setdefault("expect", "json")
        return self.get(url, **kwargs)

    def warn(self, message: str, location: str | None = None, level: str = "warning") -> None:
        self.problems.append(Problem(level, message, location, source=self.kind))

    def obey_rate_limit(self, page: Page, host: str) -> None:
        """Pace later requests to ``host`` as the answer's rate-limit headers ask."""
        if page.from_cache:
            return
        pause = rate_limit_pause(page.headers)
        if pause is not None:
            self.context.http.pace(host, pause)

    def lookup(self, publications: list[Publication]) -> SourceResult:
        """Look up the identifiers of ``publications`` not asked yet in this run, and the
        explicit ``ids``; the result holds every record found so far."""
        works = self.wanted(publications)
        explicit = list(self.config.options.get("ids", ()))
        for ident in explicit:
            works.setdefault(ident, [])
        new = sorted(i for i in works if i not in self.asked)
        self.asked.update(new)
        if new:
            self.found = []
            try:
                self.fetch(new, works)
            except NotInCacheError as exc:  # offline, nothing cached: as for a list source
                raise SourceError(str(exc), url=exc.url) from None
            finally:  # what was found before a block counts too
                for record in self.found:
                    if any(self.normalize(v) in explicit for v in record.ids.values()
                           if isinstance(v, str)):
                        record.extra[REQUESTED] = True
                self.records.extend(self.found)
                self.found = []
        problems = list(self.problems)
        if self.not_cached:
            shown = ", ".join(self.not_cached[:5]) + (" …" if len(self.not_cached) > 5 else "")
            problems.append(Problem("warning", f"{len(self.not_cached)} {self.id_name()}s not "
                                    f"in the cache, not looked up offline: {shown}",
                                    source=self.kind))
        return self.result(list(self.records), problems)


__all__ = ["LookupSource", "REQUESTED", "DEFAULT_MAX_AGE_HOURS", "rate_limit_pause",
           "BlockedError"]
