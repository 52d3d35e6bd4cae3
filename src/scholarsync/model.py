"""The data model: Person, Record (one source's view of one work) and Publication (merged).

Field conventions shared by every room:

* ``fields`` hold BibTeX field values in BibTeX form (LaTeX markup kept, no outer braces),
  keyed by lower-case field name. This is what the exporter writes. Web sources escape their
  Unicode text into this form with :func:`scholarsync.core.normalize.latex_escape`.
* ``title`` / ``authors`` / ``venue`` are display values: Unicode, LaTeX decoded, whitespace
  collapsed. Templates and JSON use these.
* ``ids`` keys: ``doi`` (lower-case, no URL prefix), ``arxiv`` (no version unless pinned),
  ``escholarship`` (8 characters, no ``qt``), ``scholar`` (``USER:ARTICLE`` citation_for_view id),
  ``isbn``, ``pmid`` … values are normalized strings.
* ``links`` keys: ``pdf``, ``url``, ``escholarship``, ``arxiv``, ``doi``, ``scholar``, ``code``,
  ``slides``, ``poster``, ``video``, ``html`` … values are absolute URLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SOURCE_ORDER = ("bibtex", "escholarship", "scholar")


@dataclass(frozen=True)
class Person:
    """One author. ``literal`` holds a corporate name kept whole (``{Sony Corporation}``)."""

    given: str = ""
    family: str = ""
    von: str = ""
    jr: str = ""
    literal: str = ""

    @property
    def display(self) -> str:
        """Display form: "Given von Family, Jr" (or the literal)."""
        if self.literal:
            return self.literal
        name = " ".join(p for p in (self.given, self.von, self.family) if p)
        return f"{name}, {self.jr}" if self.jr else name

    @property
    def is_others(self) -> bool:
        return self.literal == "others"

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Person:
        return cls(**data)


OTHERS = Person(literal="others")


@dataclass(frozen=True)
class Origin:
    """Where a record came from: source kind, file or URL, and line (bib) or row (page)."""

    source: str
    location: str
    line: int | None = None

    def __str__(self) -> str:
        return self.location if self.line is None else f"{self.location}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"source": self.source, "location": self.location}
        if self.line is not None:
            data["line"] = self.line
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Origin:
        return cls(data["source"], data["location"], data.get("line"))


@dataclass
class Record:
    """What one source says about one work."""

    source: str  # source kind: "bibtex", "escholarship", "scholar"
    origin: Origin
    key: str  # bib citation key, or a stable id derived by the source
    type: str = "misc"  # BibTeX entry type, lower-case
    fields: dict[str, str] = field(default_factory=dict)  # BibTeX form (see module doc)
    title: str = ""
    authors: list[Person] = field(default_factory=list)
    authors_truncated: bool = False  # list ends in "..." (Scholar) or "and others"
    year: int | None = None
    venue: str = ""
    venue_truncated: bool = False
    ids: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    citations: int | None = None
    citations_read: str | None = None  # ISO date the count was read
    extra: dict[str, Any] = field(default_factory=dict)  # abstract, keywords, selected…

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self.source,
            "origin": self.origin.to_dict(),
            "key": self.key,
            "type": self.type,
            "fields": dict(sorted(self.fields.items())),
            "title": self.title,
            "authors": [a.to_dict() for a in self.authors],
            "authors_truncated": self.authors_truncated,
            "year": self.year,
            "venue": self.venue,
            "venue_truncated": self.venue_truncated,
            "ids": dict(sorted(self.ids.items())),
            "links": dict(sorted(self.links.items())),
            "citations": self.citations,
            "citations_read": self.citations_read,
            "extra": dict(sorted(self.extra.items())),
        }
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        return cls(
            source=data["source"],
            origin=Origin.from_dict(data["origin"]),
            key=data["key"],
            type=data.get("type", "misc"),
            fields=dict(data.get("fields", {})),
            title=data.get("title", ""),
            authors=[Person.from_dict(a) for a in data.get("authors", [])],
            authors_truncated=data.get("authors_truncated", False),
            year=data.get("year"),
            venue=data.get("venue", ""),
            venue_truncated=data.get("venue_truncated", False),
            ids=dict(data.get("ids", {})),
            links=dict(data.get("links", {})),
            citations=data.get("citations"),
            citations_read=data.get("citations_read"),
            extra=dict(data.get("extra", {})),
        )


@dataclass
class Conflict:
    """Two sources disagreed on a field; ``kept`` won, ``lost`` is remembered."""

    field: str
    kept: str
    kept_from: str  # str(Origin)
    lost: str
    lost_from: str

    def to_dict(self) -> dict[str, str]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Conflict:
        return cls(**data)


@dataclass
class Publication:
    """A merged work: the best value of every field, with provenance."""

    key: str  # export key: the key of the first .bib read, else a stable generated key
    type: str = "misc"
    fields: dict[str, str] = field(default_factory=dict)  # merged BibTeX form
    field_sources: dict[str, str] = field(default_factory=dict)  # field -> str(Origin)
    title: str = ""
    authors: list[Person] = field(default_factory=list)
    authors_truncated: bool = False
    year: int | None = None
    venue: str = ""
    venue_truncated: bool = False
    ids: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    citations: dict[str, int] = field(default_factory=dict)  # source kind -> count
    citations_read: dict[str, str] = field(default_factory=dict)  # source kind -> ISO date
    aliases: list[str] = field(default_factory=list)  # other citation keys (export `ids`)
    sources: list[str] = field(default_factory=list)  # source kinds, in SOURCE_ORDER
    records: list[Record] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    stale: dict[str, str] = field(default_factory=dict)  # source kind -> "stale since" date

    @property
    def all_keys(self) -> list[str]:
        return [self.key, *self.aliases]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "type": self.type,
            "title": self.title,
            "authors": [a.to_dict() for a in self.authors],
            "authors_truncated": self.authors_truncated,
            "year": self.year,
            "venue": self.venue,
            "venue_truncated": self.venue_truncated,
            "ids": dict(sorted(self.ids.items())),
            "links": dict(sorted(self.links.items())),
            "citations": dict(sorted(self.citations.items())),
            "citations_read": dict(sorted(self.citations_read.items())),
            "aliases": list(self.aliases),
            "sources": list(self.sources),
            "fields": dict(sorted(self.fields.items())),
            "field_sources": dict(sorted(self.field_sources.items())),
            "extra": dict(sorted(self.extra.items())),
            "stale": dict(sorted(self.stale.items())),
            "conflicts": [c.to_dict() for c in self.conflicts],
            "records": [r.to_dict() for r in self.records],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Publication:
        return cls(
            key=data["key"],
            type=data.get("type", "misc"),
            fields=dict(data.get("fields", {})),
            field_sources=dict(data.get("field_sources", {})),
            title=data.get("title", ""),
            authors=[Person.from_dict(a) for a in data.get("authors", [])],
            authors_truncated=data.get("authors_truncated", False),
            year=data.get("year"),
            venue=data.get("venue", ""),
            venue_truncated=data.get("venue_truncated", False),
            ids=dict(data.get("ids", {})),
            links=dict(data.get("links", {})),
            citations=dict(data.get("citations", {})),
            citations_read=dict(data.get("citations_read", {})),
            aliases=list(data.get("aliases", [])),
            sources=list(data.get("sources", [])),
            records=[Record.from_dict(r) for r in data.get("records", [])],
            conflicts=[Conflict.from_dict(c) for c in data.get("conflicts", [])],
            extra=dict(data.get("extra", {})),
            stale=dict(data.get("stale", {})),
        )


@dataclass(frozen=True)
class Problem:
    """A warning or error to report: what, and where (file or URL, 1-based line)."""

    level: str  # "warning" | "error"
    message: str
    location: str | None = None
    line: int | None = None
    source: str | None = None  # source kind, when it concerns one

    def __str__(self) -> str:
        where = ""
        if self.location:
            where = self.location if self.line is None else f"{self.location}:{self.line}"
            where += ": "
        return f"{self.level}: {where}{self.message}"


@dataclass
class SourceResult:
    """What one source produced in one run."""

    kind: str
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    complete: bool = True  # False when the listing is partial (Scholar "Show more")
    status: str = "fresh"  # "fresh" | "cache" | "stale" | "failed"
    detail: str = ""  # e.g. failure reason, "partial list (20 of more)"
    requests: int = 0  # network requests made for this source
    profile: dict[str, Any] = field(default_factory=dict)  # e.g. Scholar header (name, h-index)
    read_at: str | None = None  # ISO date the data was last obtained from the origin
    stale_records: int = 0  # records carried over from the last good library
