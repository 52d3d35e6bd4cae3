"""The Source interface: built from its config table and a run context, it yields Records."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from scholarsync.model import Record, SourceResult

if TYPE_CHECKING:
    from scholarsync.config import Config, SourceConfig
    from scholarsync.net.client import HttpClient


@dataclass
class SourceContext:
    """What every source of one run shares: the config, the mode, and one HTTP client."""

    config: Config
    offline: bool = False
    refresh: bool = False
    today: str = field(default_factory=lambda: dt.date.today().isoformat())
    _http: HttpClient | None = None

    @property
    def http(self) -> HttpClient:
        """The one polite, cached session, created on first use."""
        if self._http is None:
            from scholarsync.net.client import HttpClient

            self._http = HttpClient(self.config.network, offline=self.offline,
                                    refresh=self.refresh)
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


class Source(ABC):
    """One kind of metadata source. Subclasses live one per module in ``sources/``."""

    kind: ClassVar[str]

    def __init__(self, config: SourceConfig, context: SourceContext):
        self.config = config
        self.context = context

    @abstractmethod
    def read(self) -> SourceResult:
        """Read every configured item. Per-item failures go into ``problems``; a failure of
        the whole source raises :class:`scholarsync.errors.SourceError` (or a subclass)."""

    @classmethod
    def accepts(cls, target: str) -> bool:
        """True when ``inspect TARGET`` (a URL or id) belongs to this source."""
        return False

    def inspect(self, target: str) -> list[Record]:
        """Fetch one page or item and return the records it yields (``scholarsync inspect``)."""
        raise NotImplementedError(f"{self.kind} does not support inspect")
