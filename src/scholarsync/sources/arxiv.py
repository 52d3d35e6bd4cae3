"""arXiv by id: the Atom record of every arXiv id the other sources found.

Config (``[[sources]] kind = "arxiv"``)::

    ids = ["2311.15194"]     # optional: these too (added as works)

``GET https://export.arxiv.org/api/query?id_list=ID,ID,…&max_results=100``: at most
:data:`BATCH` ids per request (sorted, so a new id changes one request only), at most one
request every :data:`PAUSE` seconds (arXiv's terms of use), one at a time.

Ids: new style (``2311.15194``), old style (``astro-ph/0601001``), versioned (``2104.12255v1``:
that version is asked for). An id that is not an arXiv id is never sent (arXiv answers a whole
request with HTTP 400 and an error entry for one malformed id); it is a warning, as is an id
arXiv has no entry for (a well-formed id that does not exist: the feed is simply empty).

Read from each ``<entry>``: title, authors, summary, published and updated dates, the version
(``…/abs/IDvN``), ``arxiv:doi`` (the published version's DOI), ``arxiv:journal_ref``, the
primary category, the PDF link. The record is a preprint (``howpublished = {arXiv preprint
arXiv:ID}``); with ``arxiv:doi`` it carries that DOI, so the published version joins it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import partial
from typing import Any
from urllib.parse import quote

from scholarsync.core.latex import latex_escape
from scholarsync.core.normalize import (
    arxiv_base,
    normalize_arxiv,
    normalize_doi,
    parse_display_name,
    parse_year,
    person_to_bibtex,
)
from scholarsync.errors import BlockedError, NotInCacheError, ParseError, SourceError
from scholarsync.model import Origin, Publication, Record
from scholarsync.sources.answers import Answer, parse_answer
from scholarsync.sources.lookup import LookupSource
from scholarsync.sources.meta import clean_text

KIND = "arxiv"
API = "https://export.arxiv.org/api/query"
HOST = "export.arxiv.org"
BATCH = 100
PAUSE = 3.0
_NS = {"a": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom",
       "os": "http://a9.com/-/spec/opensearch/1.1/"}
_ABS = re.compile(r"arxiv\.org/abs/(.+?)/?$")
_VERSION = re.compile(r"v(\d+)$")


def query_url(idents: list[str]) -> str:
    """The query of one batch (ids comma-separated, ``/`` of old ids kept readable)."""
    return f"{API}?id_list={','.join(quote(i, safe='/') for i in idents)}&max_results={BATCH}"


def _text(entry: ET.Element, path: str) -> str:
    node = entry.find(path, _NS)
    return clean_text(node.text) if node is not None and node.text else ""


def parse_feed(text: str, url: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Entries of an arXiv Atom feed as dicts, and the messages of its error entries."""
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise ParseError(f"{url}: the arXiv answer is not Atom XML (cut short or malformed: "
                         f"{exc})", url=url) from None
    if root.tag != f"{{{_NS['a']}}}feed":
        raise ParseError(f"{url}: the arXiv answer is not an Atom feed", url=url)
    entries: list[dict[str, Any]] = []
    errors: list[str] = []
    for entry in root.findall("a:entry", _NS):
        ident_url = _text(entry, "a:id")
        if "/api/errors" in ident_url:
            errors.append(_text(entry, "a:summary") or ident_url)
            continue
        match = _ABS.search(ident_url)
        found = normalize_arxiv(match.group(1)) if match else None
        if not found:
            errors.append(f"an entry without an arXiv id ({ident_url or 'no id'})")
            continue
        version = _VERSION.search(found)
        primary = entry.find("arxiv:primary_category", _NS)
        pdf = next((link.get("href", "") for link in entry.findall("a:link", _NS)
                    if link.get("title") == "pdf"), "")
        entries.append({
            "id": arxiv_base(found), "version": int(version.group(1)) if version else None,
            "title": _text(entry, "a:title"),
            "authors": [clean_text(n.text) for n in entry.findall("a:author/a:name", _NS)
                        if n.text and n.text.strip()],
            "summary": _text(entry, "a:summary"), "published": _text(entry, "a:published"),
            "updated": _text(entry, "a:updated"), "doi": _text(entry, "arxiv:doi"),
            "journal_ref": _text(entry, "arxiv:journal_ref"),
            "primary": primary.get("term", "") if primary is not None else "",
            "comment": _text(entry, "arxiv:comment"), "pdf": pdf,
        })
    return entries, errors


def feed_answer(text: str, url: str) -> Answer:
    """A feed's entries and error messages (plain data), for the records cache."""
    entries, errors = parse_feed(text, url)
    return Answer(info={"entries": entries, "errors": errors})


def entry_record(entry: dict[str, Any], url: str, asked: str | None = None,
                 keep_doi: bool = True) -> Record:
    """One parsed entry to a Record; ``asked`` is the id as requested (a pinned version is
    kept in ``ids``), ``keep_doi`` False when the work already has another DOI."""
    base = entry["id"]
    ident = asked if asked and arxiv_base(asked) == base else base
    if not entry["title"]:
        raise ParseError(f"{url}: arXiv entry {base} has no title", url=url)
    authors = [parse_display_name(n) for n in entry["authors"]]
    year = parse_year(entry["published"][:4]) if entry["published"] else None
    venue = f"arXiv preprint arXiv:{base}"
    fields = {"title": latex_escape(entry["title"]), "howpublished": venue,
              "eprint": ident, "archiveprefix": "arXiv"}
    if authors:
        fields["author"] = " and ".join(person_to_bibtex(a) for a in authors)
    if year:
        fields["year"] = str(year)
    if entry["primary"]:
        fields["primaryclass"] = entry["primary"]
    ids = {"arxiv": ident}
    extra: dict[str, Any] = {"arxiv_published": entry["published"],
                             "arxiv_updated": entry["updated"]}
    if entry["version"]:
        extra["arxiv_versions"] = entry["version"]
    if entry["primary"]:
        extra["arxiv_primary_class"] = entry["primary"]
    if entry["journal_ref"]:
        extra["journal_ref"] = entry["journal_ref"]
    doi = normalize_doi(entry["doi"]) if entry["doi"] else None
    if doi:
        extra["published_doi"] = doi
        if keep_doi:
            ids["doi"] = doi
    links = {"arxiv": f"https://arxiv.org/abs/{ident}"}
    if entry["pdf"]:
        links["pdf"] = entry["pdf"].replace("http://", "https://", 1)
    return Record(source=KIND, origin=Origin(KIND, url), key=f"{KIND}:{base}", type="misc",
                  fields=fields, title=entry["title"], authors=authors, year=year,
                  venue=venue, ids=ids, links=links, abstract=entry["summary"], extra=extra)


class ArxivSource(LookupSource):
    """Every arXiv id of the merged publications, 100 per request, one request per 3 s."""

    kind = KIND
    rank = 45

    @classmethod
    def normalize(cls, value: str) -> str | None:
        return normalize_arxiv(value)

    @classmethod
    def id_name(cls) -> str:
        return "arXiv id"

    @classmethod
    def accepts(cls, target: str) -> bool:
        text = target.strip()
        return normalize_arxiv(text) is not None and (
            "arxiv" in text.lower() or bool(re.fullmatch(r"[\w.-]*/?\d{4}\.?\d{3,5}(v\d+)?",
                                                         text)))

    def wanted(self, publications: list[Publication]) -> dict[str, list[Publication]]:
        found: dict[str, list[Publication]] = {}
        for pub in publications:
            raw = pub.ids.get("arxiv")
            if not raw:
                continue
            ident = normalize_arxiv(raw)
            if ident is None:
                if raw not in self.asked:
                    self.asked.add(raw)
                    self.warn(f"{pub.key}: {raw!r} is not an arXiv id; not looked up")
                continue
            found.setdefault(ident, []).append(pub)
        return found

    def batch(self, idents: list[str]) -> tuple[dict[str, dict[str, Any]], str]:
        """Entries of one request by arXiv id (no version), and the URL asked."""
        url = query_url(idents)
        self.context.http.pace(HOST, PAUSE)
        page = self.get_json_page(url, expect="xml",
                                  headers={"Accept": "application/atom+xml"})
        try:  # the feed parsed, or its parse from the records cache
            feed = parse_answer(self.context.records, KIND, url, page.text,
                                partial(feed_answer, page.text, url))
        except ParseError:
            self.context.http.forget(url)
            raise
        entries, errors = feed.info["entries"], feed.info["errors"]
        for message in errors:
            self.warn(f"arXiv: {message}", url)
        return {e["id"]: e for e in entries}, url

    def fetch(self, idents: list[str], works: dict[str, list[Publication]]) -> list[Record]:
        records = self.found  # kept even when a block ends the run of requests
        for start in range(0, len(idents), BATCH):
            chunk = idents[start:start + BATCH]
            try:
                entries, url = self.batch(chunk)
            except BlockedError:
                raise
            except NotInCacheError:
                self.not_cached.extend(chunk)
                continue
            except SourceError as exc:
                self.warn(f"{len(chunk)} arXiv ids not looked up: {exc}", exc.url, "error")
                continue
            for ident in chunk:
                entry = entries.get(arxiv_base(ident))
                if entry is None:
                    keys = ", ".join(p.key for p in works.get(ident, []) if p.key)
                    self.warn(f"arXiv has no entry for {ident}"
                              + (f" (in {keys})" if keys else ""), url)
                    continue
                dois = {normalize_doi(p.ids.get("doi")) for p in works.get(ident, [])} - {None}
                dois = {d for d in dois if d and not d.startswith("10.48550/")}
                doi = normalize_doi(entry["doi"]) if entry["doi"] else None
                try:
                    records.append(entry_record(entry, url, ident,
                                                keep_doi=not dois or doi in dois))
                except ParseError as exc:
                    self.warn(str(exc), url, "error")
        return records

    def inspect(self, target: str) -> list[Record]:
        ident = normalize_arxiv(target)
        if ident is None:
            raise SourceError(f"{target!r} is not an arXiv id")
        entries, url = self.batch([ident])
        entry = entries.get(arxiv_base(ident))
        if entry is None:
            raise SourceError(f"arXiv has no entry for {ident}")
        return [entry_record(entry, url, ident)]
