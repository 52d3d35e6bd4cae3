"""What templates see: publications turned into entries, year/type groups and projects.

Section attributes understood here (anything else is still passed on as ``attrs``):
``type=article,inproceedings`` (``preprint`` means arXiv-only works), ``year=2024`` /
``2020-2024`` / ``2022-``, ``selected=true``, ``keys=key1,10.1145/x`` (these works, in this
order), ``limit=5``, ``max_authors=3``, ``group=year|none``, ``group_by_type=true|false``,
``heading=4`` (Markdown heading level of the year headings), ``links=pdf,doi,arxiv`` (which
kinds of link to show, in their usual order; default: all), ``template=publications.html.j2``
(the template to use; its suffix sets the format, e.g. HTML in a ``.md`` page: see render.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from scholarsync.config import DEFAULT_CITATIONS, Config, ProfileConfig, ResearchProject
from scholarsync.core.latex import latex_to_unicode
from scholarsync.core.normalize import FALSE_WORDS, TRUE_WORDS, month_number, title_key
from scholarsync.core.owner import is_owner
from scholarsync.errors import SectionError
from scholarsync.model import Person, Publication
from scholarsync.outputs.pages.escape import Md
from scholarsync.outputs.pages.labels import (
    best_url,
    is_preprint,
    kind_label,
    label_words,
    publication_links,
    research_label,
    venue_label,
)
from scholarsync.outputs.pages.research import ResolvedProject, find_publication
from scholarsync.sources import rules

UNDATED = "Year unknown"
TYPE_GROUPS = ("Journal articles", "Conference papers", "Preprints", "Books and chapters",
               "Theses", "Reports", "Other")
_TYPE_GROUP = {"article": 0, "inproceedings": 1, "conference": 1, "proceedings": 1,
               "book": 3, "inbook": 3, "incollection": 3, "phdthesis": 4,
               "mastersthesis": 4, "thesis": 4, "techreport": 5, "report": 5}


@dataclass
class AuthorItem:
    name: str = ""
    owner: bool = False
    gap: bool = False  # "…": authors left out before the owner
    etal: bool = False  # "et al.": authors left out at the end


@dataclass
class Entry:
    pub: Publication
    key: str
    type: str
    type_group: str
    title: str
    authors: list[AuthorItem]
    venue: str
    venue_short: str
    year: int | None
    links: dict[str, str]  # link key -> safe URL, display order
    url: str  # the best single link ("" when none)
    citations: int | None  # the count of the first source of [render] citations that has one
    citations_read: str  # ISO date it was read ("" when unknown)
    citations_source: str  # who counted ("Google Scholar", "OpenAlex" …; "" when no count)
    selected: bool
    kind: str  # "Poster", "Full paper", "Preprint", "Paper" …
    label: str  # "Poster at CogSci'22"
    genre: str  # "PhD thesis", "Technical report TR-7" ("" for papers)
    details: str  # "vol. 8, no. 2, pp. 100–120"

    def __getattr__(self, name: str) -> object:
        """A lazy entry (:func:`lazy_entry`) makes its other values when one is first read."""
        lazy = self.__dict__.get("_lazy")
        if lazy is None or name.startswith("__"):
            raise AttributeError(name)
        if name == "type_group":  # (grouping by type needs no more than this)
            self.type_group = type_group(self.pub)
            return self.type_group
        del self.__dict__["_lazy"]
        self.__dict__.update(make_entry(self.pub, *lazy).__dict__)
        return getattr(self, name)


@dataclass
class SubGroup:
    label: str  # a type group, or "" when not grouping by type
    entries: list[Entry]


@dataclass
class Group:
    label: str  # "2024", "Year unknown", or "" when not grouping by year
    year: int | None
    entries: list[Entry]
    subgroups: list[SubGroup] = field(default_factory=list)


@dataclass
class ProjectView:
    title: str
    summary: str  # the config's own markup, written as is
    url: str
    entries: list[Entry]
    joiner: str  # between title and summary
    closer: str  # after the summary (or the title)
    missing: list[str]

    @classmethod
    def build(cls, resolved: ResolvedProject, profile: ProfileConfig, max_authors: int,
              citation_order: tuple[str, ...] = DEFAULT_CITATIONS) -> ProjectView:
        project: ResearchProject = resolved.project
        title, summary = project.title.strip(), project.summary.strip()
        ends = (".", "?", "!")
        if not summary:
            joiner, closer = "", "" if title.endswith(ends) else "."
        else:
            joiner = "" if summary[0] in ",;:" else " " if title.endswith(ends + (":",)) else ". "
            closer = "" if summary.endswith(ends) else "."
        return cls(title=title, summary=Markup(summary), url=project.url,
                   entries=[make_entry(p, profile, max_authors, None, citation_order)
                            for p in resolved.publications],
                   joiner=Md(joiner), closer=Md(closer), missing=list(resolved.missing))


_GENRES = {"phdthesis": "PhD thesis", "mastersthesis": "Master's thesis", "thesis": "Thesis",
           "techreport": "Technical report", "report": "Report"}


def _plain(pub: Publication, name: str) -> str:
    value = pub.fields.get(name, "").strip()
    return latex_to_unicode(value).strip() if value else ""


def genre(pub: Publication) -> str:
    """What a thesis or a report is, as its citation names it ("PhD thesis", "Technical
    report TR-7"); ``type = {…}`` in the entry wins."""
    if pub.type not in _GENRES:
        return ""
    name = _plain(pub, "type") or _GENRES[pub.type]
    number = _plain(pub, "number") if pub.type in ("techreport", "report") else ""
    return f"{name} {number}" if number else name


def details(pub: Publication) -> str:
    """Volume, issue and pages, when the entry has them."""
    parts: list[str] = []
    volume = _plain(pub, "volume")
    if volume:
        parts.append(f"vol. {volume}")
    number = _plain(pub, "number") or _plain(pub, "issue")
    if number and pub.type not in _GENRES:
        parts.append(f"no. {number}")
    pages = re.sub(r"\s*(?:-+|–|—)\s*", "–", _plain(pub, "pages"))
    if pages:
        parts.append(("pp. " if "–" in pages or "," in pages else "p. ") + pages)
    return ", ".join(parts)


def type_group(pub: Publication) -> str:
    if is_preprint(pub):
        return "Preprints"
    return TYPE_GROUPS[_TYPE_GROUP.get(pub.type, 6)]


def shorten_authors(people: list[Person], owners: list[bool], limit: int,
                    truncated: bool) -> list[AuthorItem]:
    """At most ``limit`` names; the owner always shown ("A, B, …, **Owner**, et al.")."""
    pairs = [(p, o) for p, o in zip(people, owners, strict=True) if not p.is_others]
    count = len(pairs)
    shown = list(range(count))
    if count > limit:
        owner = next((i for i, (_, o) in enumerate(pairs) if o), None)
        shown = list(range(limit))
        if owner is not None and owner >= limit:
            shown = list(range(max(limit - 1, 0))) + [owner]
    items: list[AuthorItem] = []
    previous = -1
    for index in shown:
        if index > previous + 1:
            items.append(AuthorItem(gap=True))
        person, own = pairs[index]
        items.append(AuthorItem(name=person.display, owner=own))
        previous = index
    if truncated or previous < count - 1:
        items.append(AuthorItem(etal=True))
    return items


def citation_count(pub: Publication, order: tuple[str, ...]) -> tuple[int | None, str, str]:
    """The count a page shows: (count, read date, source label) of the first source in
    ``order`` with a positive count ("cited by 0" is noise on a profile)."""
    for kind in order:
        count = pub.citations.get(kind)
        if count:
            label = rules().citation_labels.get(kind, kind)
            return count, pub.citations_read.get(kind, ""), label
    return None, "", ""


def make_entry(pub: Publication, profile: ProfileConfig, max_authors: int,
               shown_links: frozenset[str] | None = None,
               citation_order: tuple[str, ...] = DEFAULT_CITATIONS) -> Entry:
    owners = [is_owner(p, profile) for p in pub.authors]
    links = publication_links(pub)
    if shown_links is not None:
        links = {kind: url for kind, url in links.items() if kind in shown_links}
    count, read, counted_by = citation_count(pub, citation_order)
    words = label_words(pub)
    kind = kind_label(pub, words)
    return Entry(
        pub=pub, key=pub.key, type=pub.type, type_group=type_group(pub), title=pub.title,
        authors=shorten_authors(pub.authors, owners, max_authors, pub.authors_truncated),
        venue=pub.venue, venue_short=venue_label(pub.venue), year=pub.year, links=links,
        url=best_url(links), citations=count, citations_read=read, citations_source=counted_by,
        selected=pub.selected,
        kind=kind, label=research_label(pub, kind, words), genre=genre(pub),
        details=details(pub))


def lazy_entry(pub: Publication, profile: ProfileConfig, max_authors: int,
               shown_links: frozenset[str] | None = None,
               citation_order: tuple[str, ...] = DEFAULT_CITATIONS) -> Entry:
    """The :func:`make_entry` of ``pub``, made when a value other than its key and year is
    read (a page whose entries' markup is remembered reads none)."""
    entry = Entry.__new__(Entry)
    entry.__dict__.update(pub=pub, key=pub.key, year=pub.year,
                          _lazy=(profile, max_authors, shown_links, citation_order))
    return entry


def make_groups(entries: list[Entry], by_year: bool, by_type: bool) -> list[Group]:
    """Entries by year (newest first, undated last), then by type when asked."""
    groups: list[Group] = []
    if by_year:
        of_year: dict[int | None, list[Entry]] = {}
        for entry in entries:  # one pass, each year's entries in their order
            of_year.setdefault(entry.year, []).append(entry)
        years = sorted((y for y in of_year if y is not None), reverse=True)
        for year in [*years, None]:
            members = of_year.get(year, [])
            if members:
                groups.append(Group(str(year) if year is not None else UNDATED, year, members))
    elif entries:
        groups.append(Group("", None, list(entries)))
    for group in groups:
        if by_type:
            group.subgroups = [SubGroup(label, [e for e in group.entries
                                                if e.type_group == label])
                               for label in TYPE_GROUPS
                               if any(e.type_group == label for e in group.entries)]
        else:
            group.subgroups = [SubGroup("", group.entries)]
    return groups


@dataclass
class Options:
    max_authors: int
    by_year: bool = True
    by_type: bool = False
    heading: int = 4
    links: frozenset[str] | None = None  # link kinds to show; None: all


def _int(attrs: dict[str, str], key: str, default: int, low: int, high: int = 10**6) -> int:
    value = attrs.get(key)
    if value is None:
        return default
    if not re.fullmatch(r"\d+", value.strip()) or not low <= int(value) <= high:
        raise SectionError(f"attribute {key}={value!r} must be a whole number from {low} "
                           f"to {high}")
    return int(value)


def _bool(attrs: dict[str, str], key: str, default: bool) -> bool:
    value = attrs.get(key)
    if value is None:
        return default
    if value.casefold() not in TRUE_WORDS | FALSE_WORDS:
        raise SectionError(f"attribute {key}={value!r} must be true or false")
    return value.casefold() in TRUE_WORDS


def _year_range(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{4})?\s*(-)?\s*(\d{4})?\s*", value)
    if not match or not (match.group(1) or match.group(3)) or (
            not match.group(2) and match.group(3)):
        raise SectionError(f"attribute year={value!r} must be a year (2024) or a range "
                           "(2020-2024, 2022-, -2019)")
    low = int(match.group(1)) if match.group(1) else 0
    high = int(match.group(3)) if match.group(3) else (9999 if match.group(2) else low)
    return low, high


_ISO_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def month_day(pub: Publication) -> tuple[int, int]:
    """(month, day) of a publication when known (0 when not): ``date`` or ``month``/``day``."""
    match = _ISO_DATE.match(pub.fields.get("date", ""))
    if match and match.group(2):
        return int(match.group(2)), int(match.group(3) or 0)
    month = month_number(pub.fields.get("month", "")) or 0
    day = pub.fields.get("day", "").strip()
    return month, int(day) if month and day.isdigit() and int(day) <= 31 else 0


def date_order(pub: Publication) -> tuple[bool, int, int, int, str, str]:
    """Newest first: year, then month and day when known (unknown after known), then title."""
    month, day = month_day(pub)
    return (pub.year is None, -(pub.year or 0), -month, -day, title_key(pub.title), pub.key)


def date_orders(pubs: list[Publication]) -> list[Any]:
    """:func:`date_order` of each publication."""
    return [date_order(p) for p in pubs]


def select(pubs: list[Publication], attrs: dict[str, str], config: Config,
           orders: Callable[[list[Publication]], list[Any]] = date_orders,
           ) -> tuple[list[Publication], Options]:
    """The publications a section shows (filtered, newest first, limited) and its options.
    ``orders`` gives the sort keys of a list (:func:`date_orders`, or the same values read
    back from a memo)."""
    group = attrs.get("group", "year")
    if group not in ("year", "none"):
        raise SectionError(f"attribute group={group!r} must be 'year' or 'none'")
    options = Options(
        max_authors=_int(attrs, "max_authors", config.render.max_authors, 1),
        by_year=group == "year",
        by_type=_bool(attrs, "group_by_type", config.render.group_by_type),
        heading=_int(attrs, "heading", 4, 1, 6),
        links=frozenset(k.strip().casefold() for k in attrs["links"].split(",") if k.strip())
        if "links" in attrs else None,
    )
    if "keys" in attrs:
        chosen = [find_publication(ref, pubs) for ref in attrs["keys"].split(",") if ref.strip()]
        pubs = [p for i, p in enumerate(chosen)
                if p is not None and all(p is not q for q in chosen[:i])]
    if "type" in attrs:
        wanted = {t.strip().casefold() for t in attrs["type"].split(",") if t.strip()}
        pubs = [p for p in pubs if p.type in wanted or "preprint" in wanted and is_preprint(p)]
    if "year" in attrs:
        low, high = _year_range(attrs["year"])
        pubs = [p for p in pubs if p.year is not None and low <= p.year <= high]
    if "selected" in attrs:
        want = _bool(attrs, "selected", True)
        pubs = [p for p in pubs if p.selected == want]
    pubs = [p for p in pubs if p.title.strip()]  # nothing to show: no empty bullet
    if "keys" not in attrs:
        keys = orders(pubs)
        pubs = [pubs[i] for i in sorted(range(len(pubs)), key=keys.__getitem__)]  # stable
    limit = _int(attrs, "limit", len(pubs), 0)
    return pubs[:limit], options
