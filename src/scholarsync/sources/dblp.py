"""DBLP: every record of one person, from the person document ``https://dblp.org/pid/{pid}.xml``.

Config (``[[sources]] kind = "dblp"``)::

    pid = "95/7448-1"                  # or "https://dblp.org/pid/95/7448-1" (.html / .xml)

One request per read: the person document holds every record (no paging). Each ``<r>`` holds one
record, named by its type: ``article``, ``inproceedings``, ``proceedings``, ``book``,
``incollection``, ``phdthesis``, ``mastersthesis`` (``www`` is a person's home page, not a work,
and is skipped; so are records DBLP marks ``publtype="withdrawn"``). An ``informal`` record of
the journal ``CoRR`` is DBLP's copy of an arXiv preprint: it becomes a preprint record with its
arXiv id, so that it and the conference or journal version become one publication with
versions (by a shared arXiv id, or by title, authors and year).

``<ee>`` links give the DOI (``doi.org``), the arXiv id (``arxiv.org/abs``) and the first other
link as the publisher's ``url`` (Wikidata entity links are not publisher pages). Each record
carries ``ids["dblp"]``: its record key (``conf/icip/XuDN10``), decisive, linked as
``https://dblp.org/rec/{key}``.

DBLP tells people with one name apart by a numeric suffix ("Di Xu 0001"). The suffix is dropped
from display names (pages, BibTeX) and kept in ``extra["dblp_authors"]`` (name as DBLP writes it,
and pid) so that the owner (``extra["dblp_owner"]``: their position among the authors) is
found by pid, never by a name a namesake shares. A pid that names a disambiguation page (DBLP's
list of every work by anyone of that name) fails the source with a message naming the profiles
it lists: such a page is not one person's list.

``scholarsync add`` reads one record by key (``conf/nips/Smith20``, or its
``https://dblp.org/rec/`` URL) from ``https://dblp.org/rec/{key}.xml``.

DBLP publishes no rate limit and asks to be used gently (its FAQ: a second or two between
requests; excess gets a 429 with ``Retry-After``): the shared client identifies the tool, paces
the host (its robots.txt ``Crawl-delay`` wins) and treats a 429 as a block for the run. The
client obeys robots.txt: while dblp.org's closes ``/*.xml`` to robots (as a 2026-06 copy of it
does), the source fails with that reason and keeps its last good data. DBLP gives no citation
counts.
"""

from __future__ import annotations

import html.entities
import re
import xml.etree.ElementTree as ET
from functools import partial
from typing import TYPE_CHECKING, Any

from scholarsync.core.normalize import (
    latex_escape,
    normalize_arxiv,
    normalize_doi,
    parse_display_name,
    parse_year,
    person_to_bibtex,
)
from scholarsync.errors import DisallowedError, ParseError, SourceError
from scholarsync.model import IdentifierSpec, Origin, Person, Problem, Record, SourceResult
from scholarsync.sources import rules
from scholarsync.sources.answers import Answer, parse_answer
from scholarsync.sources.base import WebSource
from scholarsync.sources.meta import clean_text

if TYPE_CHECKING:
    from scholarsync.config import OptionReader
    from scholarsync.net.client import Page

KIND = "dblp"
SITE = "https://dblp.org"
_SITE_PREFIX = r"(?:https?://(?:www\.)?dblp(?:\.org|\.uni-trier\.de|\.dagstuhl\.de)/)"
_PID = r"(?:\d+/\d+|[a-z]/[A-Za-z][A-Za-z0-9]*)(?:-\d+)?"
_PID_RE = re.compile(rf"^(?:{_SITE_PREFIX}pid/)?({_PID})$")
_KEY_PREFIXES = ("conf", "journals", "books", "phd", "series", "reference", "tr", "ms",
                 "persons", "dblpnote", "data")
_KEY_RE = re.compile(rf"^(?:{_SITE_PREFIX}rec/)?((?:{'|'.join(_KEY_PREFIXES)})"
                     r"(?:/[\w.+=-]+){2,})$")
_EXTENSION = re.compile(r"\.(?:html|xml|bib)/?$|/$")
_SUFFIX = re.compile(r"\s+\d{4}$")
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_PAGE_DASH = re.compile(r"(?<!-)-(?!-)")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}

RECORD_TYPES = {
    "article": "article", "inproceedings": "inproceedings", "proceedings": "proceedings",
    "book": "book", "incollection": "incollection", "phdthesis": "phdthesis",
    "mastersthesis": "mastersthesis", "data": "misc",
}
_VENUE_FIELD = {"article": "journal", "inproceedings": "booktitle",
                "incollection": "booktitle", "proceedings": "series", "book": "series",
                "phdthesis": "school", "mastersthesis": "school"}
_COPIED = ("volume", "number", "pages", "publisher", "isbn", "month", "address", "note",
           "series")


def person_id(value: str) -> str | None:
    """The pid ``95/7448-1`` of a pid or its dblp.org person URL; None otherwise."""
    match = _PID_RE.match(_EXTENSION.sub("", value.strip()))
    return match.group(1) if match else None


def record_key(value: str) -> str | None:
    """The record key ``conf/nips/Smith20`` of a key or its ``dblp.org/rec/`` URL."""
    match = _KEY_RE.match(_EXTENSION.sub("", value.strip()))
    return match.group(1) if match else None


def person_url(pid: str) -> str:
    return f"{SITE}/pid/{pid}.xml"


def record_url(key: str) -> str:
    return f"{SITE}/rec/{key}.xml"


def display_name(name: str) -> str:
    """A DBLP name without its disambiguation suffix ("Di Xu 0001" -> "Di Xu")."""
    return _SUFFIX.sub("", clean_text(name))


def _entities(text: str) -> str:
    """HTML named entities (``&uuml;``) as characters: XML knows only its five."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _XML_ENTITIES or name not in html.entities.name2codepoint:
            return match.group(0)
        return chr(html.entities.name2codepoint[name])
    return _ENTITY.sub(one, text)


def parse_xml(text: str, url: str) -> ET.Element:
    """The root element of a DBLP answer; ParseError for an empty, cut-short or malformed one."""
    if not text.strip():
        raise ParseError(f"{url}: empty answer from DBLP", url=url)
    try:
        return ET.fromstring(_entities(text.lstrip("\ufeff")))
    except ET.ParseError as exc:
        raise ParseError(f"{url}: the DBLP answer is not XML (cut short or malformed: {exc})",
                         url=url) from None


def _text(element: ET.Element | None) -> str:
    """All text of an element (a title may hold ``<i>``, ``<sub>`` …), white space collapsed."""
    return clean_text("".join(element.itertext())) if element is not None else ""


def _title(element: ET.Element) -> str:
    """DBLP ends every title with a period: dropped (a question or "…" is kept)."""
    title = _text(element.find("title"))
    return title[:-1].rstrip() if title.endswith(".") and not title.endswith("..") else title


def _people(element: ET.Element, tag: str) -> list[tuple[str, str, str]]:
    """(name as DBLP writes it, pid, ORCID iD) of each ``tag`` (author / editor), in order."""
    return [(_text(p), p.get("pid", ""), p.get("orcid", "")) for p in element.findall(tag)
            if _text(p)]


def _links(element: ET.Element) -> tuple[str | None, str | None, str]:
    """(DOI, arXiv id, publisher URL) from the record's ``<ee>`` links."""
    doi = arxiv = None
    url = ""
    for ee in element.findall("ee"):
        link = _text(ee)
        if re.match(r"https?://(?:dx\.)?doi\.org/", link, re.IGNORECASE):
            found = normalize_doi(link)
            if found and found.startswith("10.48550/arxiv."):
                arxiv = arxiv or normalize_arxiv(found.split("arxiv.", 1)[1])
            elif found and doi is None:
                doi = found
        elif re.match(r"https?://(?:www\.|export\.)?arxiv\.org/", link, re.IGNORECASE):
            arxiv = arxiv or normalize_arxiv(link)
        elif link.startswith(("http://", "https://")) and "wikidata.org/" not in link and (
                not url):
            url = link
    return doi, arxiv, url


def _is_corr(element: ET.Element, arxiv: str | None) -> bool:
    journal = _text(element.find("journal"))
    return bool(arxiv) and (journal.casefold() == "corr" or
                            "informal" in element.get("publtype", ""))


def element_record(element: ET.Element, owner_pid: str = "") -> Record:
    """One DBLP record element to a Record (see the module doc); ``owner_pid`` finds the owner
    among its authors. ParseError for one without a key or title."""
    key = element.get("key", "").strip()
    if not key:
        raise ParseError(f"a DBLP {element.tag} record without a key")
    location = f"{SITE}/rec/{key}"
    title = _title(element)
    if not title:
        raise ParseError(f"DBLP record {key} has no title", url=location)
    doi, arxiv, url = _links(element)
    entry_type = RECORD_TYPES.get(element.tag, "misc")
    authors_raw = _people(element, "author")
    editors_raw = _people(element, "editor")
    named = authors_raw or editors_raw  # a proceedings volume names its editors only
    authors = [parse_display_name(display_name(n)) for n, _, _ in named]
    authors = [a for a in authors if a != Person()]
    year = parse_year(_text(element.find("year")))
    if _is_corr(element, arxiv):
        entry_type = "misc"
        venue = f"arXiv preprint arXiv:{arxiv}"
    else:
        venue = (_text(element.find("journal")) or _text(element.find("booktitle"))
                 or _text(element.find("school")) or _text(element.find("series")))
        if element.tag in ("proceedings", "book"):
            venue = _text(element.find("series"))
    fields: dict[str, str] = {"title": latex_escape(title)}
    if authors_raw:
        fields["author"] = " and ".join(person_to_bibtex(a) for a in authors)
    if editors_raw:
        fields["editor"] = " and ".join(person_to_bibtex(parse_display_name(display_name(n)))
                                        for n, _, _ in editors_raw)
    if year:
        fields["year"] = str(year)
    if venue and entry_type == "misc":
        fields["howpublished"] = latex_escape(venue)
    elif venue:
        fields[_VENUE_FIELD.get(entry_type, "howpublished")] = latex_escape(venue)
    for name in _COPIED:
        value = _text(next((e for e in element.findall(name) if not e.get("type")), None)
                      if name == "note" else element.find(name))  # typed notes: not text
        if value and name not in fields and not (name == "volume" and entry_type == "misc"):
            fields[name] = _PAGE_DASH.sub("--", latex_escape(value)) if name == "pages" else (
                latex_escape(value))
    ids: dict[str, str] = {"dblp": key}
    if doi:
        ids["doi"] = doi
        fields["doi"] = doi
    if arxiv:
        ids["arxiv"] = arxiv
        fields["eprint"] = arxiv
        fields["archiveprefix"] = "arXiv"
    links = rules().id_links(ids)
    if url:
        fields["url"] = url
        links["url"] = url
    extra: dict[str, Any] = {"dblp_authors": [{"name": n, "pid": p, **({"orcid": o} if o else {})}
                                              for n, p, o in named]}
    if owner_pid:
        found = next((i for i, (_, p, _) in enumerate(named) if p == owner_pid), None)
        if found is not None:
            extra["dblp_owner"] = found
    if element.get("publtype"):
        extra["dblp_publtype"] = element.get("publtype")
    crossref = _text(element.find("crossref"))
    if crossref:
        extra["dblp_crossref"] = crossref
    return Record(source=KIND, origin=Origin(KIND, location), key=f"{KIND}:{key}",
                  type=entry_type, fields=fields, title=title, authors=authors, year=year,
                  venue=venue, ids=ids, links=links, extra=extra)


def _homonyms(root: ET.Element) -> list[str]:
    """The people a document names as namesakes: "Di Xu (95/7448)", in document order."""
    found = []
    for person in root.iterfind("homonyms/h/person"):
        author = person.find("author")
        if author is not None:
            found.append(f"{_text(author)} ({author.get('pid', '?')})")
    return found


def is_disambiguation(root: ET.Element) -> bool:
    """True for a disambiguation page: the works of everyone of one name, not one person."""
    person = root.find("person")
    return person is not None and "disambiguation" in person.get("publtype", "")


def person_records(root: ET.Element, pid: str, url: str) -> tuple[list[Record], list[Problem],
                                                                   bool]:
    """Records of a person document, per-record problems, and whether the list is whole."""
    if root.tag != "dblpperson":
        raise ParseError(f"{url}: not a DBLP person document (root <{root.tag}>)", url=url)
    name = root.get("name", pid)
    if is_disambiguation(root):
        others = _homonyms(root)
        listed = f"; the profiles it lists: {', '.join(others)}" if others else ""
        raise SourceError(f"{url}: DBLP pid {pid} is a disambiguation page (the works of "
                          f"everyone named {display_name(name)}), not one person's list; set "
                          f"pid to your own profile's pid{listed}", url=url)
    records: list[Record] = []
    problems: list[Problem] = []
    own = root.get("pid", "").strip() or pid
    if own != pid:  # DBLP merged or renamed the profile and redirected to its new pid
        problems.append(Problem("warning", f"DBLP now names this person {own} (the config says "
                                f"{pid}); set pid = \"{own}\"", url, source=KIND))
    entries = [e for r in root.findall("r") for e in r]
    for element in entries:
        if element.tag == "www" or "withdrawn" in element.get("publtype", ""):
            continue
        try:
            records.append(element_record(element, own))
        except SourceError as exc:
            problems.append(Problem("error", str(exc), exc.url or url, source=KIND))
    complete = True
    announced = root.get("n", "")
    if announced.isdigit() and int(announced) > len(entries):
        complete = False
        problems.append(Problem("warning", f"DBLP announces {announced} records of {pid} but "
                                f"the document holds {len(entries)} (partial list)", url,
                                source=KIND))
    return records, problems, complete


def person_profile(root: ET.Element, pid: str) -> dict[str, Any]:
    """What a person document says of the person: pid, name, affiliation, namesakes."""
    name = root.get("name", "")
    profile: dict[str, Any] = {"dblp": root.get("pid") or pid, "name": display_name(name)}
    affiliation = _text(root.find("person/note[@type='affiliation']"))
    if affiliation:
        profile["affiliation"] = affiliation
    if name and name != display_name(name):
        profile["dblp_name"] = name
    homonyms = _homonyms(root)
    if homonyms:
        profile["homonyms"] = homonyms
    return profile


def person_answer(text: str, pid: str, url: str) -> Answer:
    """A person document: its records, then its problems; ``complete`` and ``profile``."""
    root = parse_xml(text, url)
    records, problems, complete = person_records(root, pid, url)
    answer = Answer(info={"complete": complete, "profile": person_profile(root, pid)})
    for record in records:
        answer.add(record)
    for problem in problems:
        answer.add(problem)
    return answer


IDENTIFIER = IdentifierSpec("dblp", decisive=True, exclusive=False,
                            link="https://dblp.org/rec/{id}", label="DBLP", parse=record_key)


class DblpSource(WebSource):
    """Every record of the DBLP person ``options["pid"]`` (see module doc)."""

    kind = KIND
    rank = 40  # after ORCID and OpenAlex, before eScholarship
    required = ("pid",)
    identifiers = (IDENTIFIER,)

    @classmethod
    def parse_options(cls, table: OptionReader) -> dict[str, Any]:
        raw = table.string("pid")
        found = person_id(raw)
        if found is None:
            raise table.error("pid", f"{raw!r} is not a DBLP person id (as \"95/7448-1\" or "
                              "\"https://dblp.org/pid/95/7448-1\"; the pid is in the address "
                              "of your dblp.org page and under its export menu)")
        return {"pid": found}

    @classmethod
    def owner_page(cls, options: dict[str, Any]) -> str | None:
        return f"{SITE}/pid/{options['pid']}" if options.get("pid") else None

    @classmethod
    def accepts(cls, target: str) -> bool:
        return person_id(target) is not None or record_key(target) is not None

    def _page(self, url: str) -> Page:
        """One answer (robots.txt closing the XML exports is named)."""
        try:
            return self.get(url, expect="any", headers={"Accept": "application/xml"})
        except DisallowedError as exc:
            raise DisallowedError(f"{exc} (dblp.org's robots.txt closes its XML exports, "
                                  "/*.xml, to robots: the DBLP source cannot read them while "
                                  "it does; nothing was sent)", url=url) from None

    def _root(self, url: str) -> ET.Element:
        """One answer as XML; an unusable one is dropped from the cache."""
        page = self._page(url)
        try:
            return parse_xml(page.text, url)
        except ParseError:
            self.context.http.forget(url)
            raise

    def _person(self, pid: str) -> tuple[list[Record], list[Problem], bool, dict[str, Any]]:
        url = person_url(pid)
        page = self._page(url)
        try:  # the document parsed, or its parse from the records cache
            answer = parse_answer(self.context.records, KIND, url, page.text,
                                  partial(person_answer, page.text, pid, url), pid)
        except SourceError:
            self.context.http.forget(url)  # not XML, or not this person's list
            raise
        records = [item for _, item in answer.entries if isinstance(item, Record)]
        problems = [item for _, item in answer.entries if isinstance(item, Problem)]
        return records, problems, answer.info["complete"], dict(answer.info["profile"])

    def record(self, key: str) -> Record:
        """The record ``key`` from ``https://dblp.org/rec/{key}.xml``."""
        url = record_url(key)
        root = self._root(url)
        element = root if root.tag in RECORD_TYPES else next(iter(root), None)
        if element is None or element.tag not in RECORD_TYPES:
            self.context.http.forget(url)
            raise ParseError(f"{url}: no DBLP record in the answer", url=url)
        return element_record(element)

    def inspect(self, target: str) -> list[Record]:
        key = record_key(target)
        if key is not None:
            return [self.record(key)]
        pid = person_id(target)
        if pid is None:
            raise SourceError(f"{target!r} is not a DBLP pid, person URL or record key")
        return self._person(pid)[0]

    def read(self) -> SourceResult:
        records, problems, complete, profile = self._person(self.config.options["pid"])
        detail = "" if complete else "the person document is not whole (partial list)"
        return self.result(records, problems, complete=complete, detail=detail,
                           profile=profile)
