"""The data model: Person, Record (one source's view of one work) and Publication (merged).

Field conventions shared by every room:

* ``fields`` hold BibTeX field values in BibTeX form (LaTeX markup kept, no outer braces),
  keyed by lower-case field name. This is what the exporter writes. Web sources escape their
  Unicode text into this form with :func:`scholarsync.core.normalize.latex_escape`.
* ``title`` / ``authors`` / ``venue`` are display values: Unicode, LaTeX decoded, whitespace
  collapsed. Templates and JSON use these.
* ``ids`` keys: ``doi`` (lower-case, no URL prefix), ``arxiv`` (no version unless pinned),
  ``isbn``, ``pmid``, and the identifiers each source declares (:class:`IdentifierSpec`);
  values are normalized strings.
* ``links`` keys: ``pdf``, ``url``, ``code``, ``slides``, ``poster``, ``video``, ``html``, and one
  per identifier with a link template; values are absolute URLs.
* Nothing here names a source kind: what a kind means (precedence, identifiers, labels) is in
  :class:`Rules`, which the source registry builds from the sources' own declarations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


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
        data = {}  # the non-empty parts, in field order (spelt out: the saved library has many)
        if self.given:
            data["given"] = self.given
        if self.family:
            data["family"] = self.family
        if self.von:
            data["von"] = self.von
        if self.jr:
            data["jr"] = self.jr
        if self.literal:
            data["literal"] = self.literal
        return data

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


@dataclass(frozen=True)
class IdentifierSpec:
    """An identifier a source yields: how matching treats it and how it becomes a link."""

    name: str  # key in ``ids``
    decisive: bool = True  # two records sharing a value are the same work
    exclusive: bool = False  # two records with different values are never the same work
    link: str = ""  # URL template; ``{id}`` is replaced by the value
    label: str = ""  # label of that link on a page
    listed: bool = False  # always present in the contract JSON's ``ids`` (null when unknown)
    landing: bool = False  # its link is the work's landing page (a BibTeX ``url`` fallback)
    parse: Callable[[str], str | None] | None = field(default=None, compare=False)
    # ``match_key`` normalizes a value for comparison; ``alias`` maps a value that really
    # names another identifier (an arXiv DOI) to that (name, key)
    match_key: Callable[[str], str | None] | None = field(default=None, compare=False)
    alias: Callable[[str], tuple[str, str] | None] | None = field(default=None, compare=False)
    # ``parse`` reads this id out of a reference or URL ("qt5cz2v6d5", an item URL …)

    def url(self, value: str) -> str:
        return self.link.replace("{id}", value) if self.link else ""


@dataclass(frozen=True)
class Rules:
    """What core and output code may know of the sources, asked of the registry once."""

    identifiers: tuple[IdentifierSpec, ...] = ()
    ranks: dict[str, int] = field(default_factory=dict)  # source kind -> field precedence
    user_owned: frozenset[str] = frozenset()  # kinds whose records are the user's own entries
    citation_labels: dict[str, str] = field(default_factory=dict)  # kind -> "Google Scholar"
    link_labels: dict[str, str] = field(default_factory=dict)  # link key -> label, shown order
    best_links: tuple[str, ...] = ()  # the link a short mention points to, by preference

    def spec(self, name: str) -> IdentifierSpec | None:
        return next((s for s in self.identifiers if s.name == name), None)

    @property
    def decisive(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.identifiers if s.decisive)

    @property
    def exclusive(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.identifiers if s.exclusive)

    @property
    def listed(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.identifiers if s.listed)

    def rank(self, kind: str) -> int:
        return self.ranks.get(kind, 1000)

    def is_user_owned(self, kind: str) -> bool:
        return kind in self.user_owned

    def ordered(self, kinds: set[str] | list[str]) -> list[str]:
        """Source kinds in precedence order (then by name)."""
        return sorted(set(kinds), key=lambda k: (self.rank(k), k))

    def id_links(self, ids: dict[str, str]) -> dict[str, str]:
        """The links implied by identifiers (DOI -> https://doi.org/…), in declaration order."""
        links: dict[str, str] = {}
        for spec in self.identifiers:
            value = ids.get(spec.name)
            if value and spec.link:
                links.setdefault(spec.name, spec.url(value))
        return links


#: Work fields whose values are Person lists, and nested models, for (de)serialization.
_PEOPLE = ("authors",)
#: Typed fields that wave 1 kept in ``extra``: read back from old saved libraries.
_FORMERLY_EXTRA = ("abstract", "keywords", "selected", "versions")


#: Values that are JSON data as they are (compared by exact type: most values are strings).
PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


def encode_value(value: Any) -> Any:
    """A model value as plain JSON data (what the saved library holds)."""
    kind = type(value)
    if kind in PLAIN_TYPES:  # (exact types first: most values are strings)
        return value
    if kind is dict:
        return {k: v if type(v) in PLAIN_TYPES else encode_value(v)
                for k, v in sorted(value.items())} if value else {}
    if kind is list:
        return [v if type(v) in PLAIN_TYPES else encode_value(v) for v in value] if value else []
    to_dict = _TO_DICT.get(kind)  # the models by exact type (no isinstance chain)
    if to_dict is not None:
        return to_dict(value)
    if isinstance(value, Person | Origin | Conflict):
        return value.to_dict()
    if isinstance(value, Work):
        return value.to_dict()
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {k: encode_value(v) for k, v in sorted(value.items())}
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names, in declaration order (looked up once per class)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


@dataclass
class Work:
    """The fields a source's record and a merged publication share."""

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
    abstract: str = ""
    keywords: list[str] = field(default_factory=list)
    selected: bool = False  # al-folio's ``selected = {true}``
    versions: list[dict[str, Any]] = field(default_factory=list)  # other versions (preprints)
    extra: dict[str, Any] = field(default_factory=dict)  # anything else a source knows

    def to_dict(self) -> dict[str, Any]:
        """Every field, in declaration order, dicts sorted: the saved-library form."""
        data = {}
        values = self.__dict__  # (a dataclass without slots: its fields are here)
        for name in _field_names(type(self)):
            value = values[name]
            data[name] = value if type(value) in PLAIN_TYPES else encode_value(value)
        return data

    @classmethod
    def _decoded(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Constructor arguments from :meth:`to_dict` output (older libraries too)."""
        data = dict(data)
        extra = dict(data.get("extra", {}))
        for name in _FORMERLY_EXTRA:
            if name in extra and name not in data:
                data[name] = extra.pop(name)
        data["extra"] = extra
        names = set(_field_names(cls))
        args: dict[str, Any] = {}
        for name, value in data.items():
            if name not in names:
                continue
            if name in _PEOPLE:
                value = [Person.from_dict(p) for p in value]
            elif name == "origin":
                value = Origin.from_dict(value)
            elif name == "records":
                value = [Record.from_dict(r) for r in value]
            elif name == "conflicts":
                value = [Conflict.from_dict(c) for c in value]
            elif isinstance(value, dict):
                value = dict(value)
            elif isinstance(value, list):
                value = list(value)
            args[name] = value
        return args


@dataclass(kw_only=True)
class Record(Work):
    """What one source says about one work."""

    source: str = ""  # source kind
    origin: Origin = field(default_factory=lambda: Origin("", ""))
    key: str = ""  # bib citation key, or a stable id derived by the source
    citations: int | None = None
    citations_read: str | None = None  # ISO date the count was read

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        return cls(**cls._decoded(data))


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


@dataclass(kw_only=True)
class Publication(Work):
    """A merged work: the best value of every field, with provenance."""

    key: str = ""  # export key: the key of the first .bib read, else a stable generated key
    field_sources: dict[str, str] = field(default_factory=dict)  # field -> str(Origin)
    citations: dict[str, int] = field(default_factory=dict)  # source kind -> count
    citations_read: dict[str, str] = field(default_factory=dict)  # source kind -> ISO date
    aliases: list[str] = field(default_factory=list)  # other citation keys (export `ids`)
    sources: list[str] = field(default_factory=list)  # source kinds, in precedence order
    records: list[Record] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    stale: dict[str, str] = field(default_factory=dict)  # source kind -> "stale since" date

    @property
    def all_keys(self) -> list[str]:
        return [self.key, *self.aliases]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Publication:
        return cls(**cls._decoded(data))


#: The models' own ``to_dict`` by exact type, for :func:`encode_value`.
_TO_DICT: dict[type, Callable[[Any], Any]] = {
    Person: Person.to_dict, Origin: Origin.to_dict, Conflict: Conflict.to_dict,
    Work: Work.to_dict, Record: Record.to_dict, Publication: Publication.to_dict,
}


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
