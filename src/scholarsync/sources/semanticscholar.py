"""Semantic Scholar Graph API: every paper of one Semantic Scholar author.

Config (``[[sources]] kind = "semanticscholar"``)::

    author = "1723755"   # or "https://www.semanticscholar.org/author/Some-Name/1723755"

``GET https://api.semanticscholar.org/graph/v1/author/{id}/papers?fields=…&offset=N&limit=100``
page by page, following the answer's ``next`` offset until it is absent; at most
:data:`MAX_PAGES` pages (the API serves offsets below 10,000), a longer listing is partial.

Without a key the service shares a small pool between all anonymous users (about 100 requests
in 5 minutes): requests are paced :data:`ANONYMOUS_DELAY` seconds apart, and a 429 is a block
for the run (this source fails alone, exit 3, its last good data kept). A key in
``SEMANTIC_SCHOLAR_API_KEY`` is sent as the ``x-api-key`` header (never in a URL, a cache key,
a cached copy or a log) and paces requests at one a second.

Each record carries ``ids["semanticscholar"]`` (the 40-character ``paperId``, decisive within
this source), and from ``externalIds`` the DOI, the arXiv id and the DBLP record key, so that a
paper Semantic Scholar knows in both versions joins the preprint and the published records of
the other sources. ``citationCount`` is its citation count, read today.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from scholarsync.core.normalize import (
    latex_escape,
    normalize_arxiv,
    normalize_doi,
    parse_display_name,
    parse_year,
    person_to_bibtex,
)
from scholarsync.errors import BlockedError, ParseError, SourceError
from scholarsync.model import IdentifierSpec, Origin, Person, Problem, Record, SourceResult
from scholarsync.net.blocks import BlockRule
from scholarsync.sources import rules
from scholarsync.sources.answers import UNDATED, Answer, dated, parse_answer
from scholarsync.sources.base import WebSource, json_object
from scholarsync.sources.meta import clean_text, html_to_text

if TYPE_CHECKING:
    from scholarsync.config import OptionReader
    from scholarsync.net.client import Page

KIND = "semanticscholar"
API = "https://api.semanticscholar.org/graph/v1"
HOST = "api.semanticscholar.org"
SITE = "https://www.semanticscholar.org"
KEY_ENV = "SEMANTIC_SCHOLAR_API_KEY"
PAGE_SIZE = 100  # papers per page (the API allows up to 1,000; 100 keeps a page small)
MAX_PAGES = 99  # offset + limit must stay below 10,000
ANONYMOUS_DELAY = 3.0  # seconds between requests without a key (100 per 5 minutes, shared)
KEYED_DELAY = 1.0  # with a key: one request a second
FIELDS = ("paperId,externalIds,url,title,abstract,venue,year,publicationDate,"
          "publicationTypes,journal,authors,citationCount,openAccessPdf")
_AUTHOR = re.compile(r"^(?:https?://(?:www\.)?semanticscholar\.org/author/(?:[^/?#]+/)?)?"
                     r"(\d{1,12})/?$", re.IGNORECASE)
_PAPER = re.compile(r"^[0-9a-f]{40}$")

_TYPES = {"JournalArticle": "article", "Review": "article", "Conference": "inproceedings",
          "Book": "book", "BookSection": "incollection", "Dataset": "misc",
          "Thesis": "phdthesis"}


def author_id(value: str) -> str | None:
    """The numeric author id of an id or an author page URL; None otherwise."""
    found = _AUTHOR.match(value.strip())
    return found.group(1) if found else None


def papers_url(author: str, offset: int = 0) -> str:
    query = urlencode({"fields": FIELDS, "offset": str(offset), "limit": str(PAGE_SIZE)},
                      safe=",")
    return f"{API}/author/{author}/papers?{query}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return clean_text(str(value)) if isinstance(value, (str, int, float)) else ""


def page_papers(body: dict[str, Any], url: str) -> tuple[list[Any], int | None]:
    """The papers of one page and the ``next`` offset (None on the last page). An author
    without papers may answer with no ``data`` at all; anything else without it is no page."""
    data = body.get("data")
    if data is None and "next" not in body and ("offset" in body or "total" in body):
        data = []
    if not isinstance(data, list):
        raise ParseError(f"{url}: not a Semantic Scholar papers page (no data list)", url=url)
    following = body.get("next")
    if following is not None and (not isinstance(following, int) or isinstance(following,
                                                                                bool)):
        raise ParseError(f"{url}: Semantic Scholar sent a next offset that is not a number "
                         f"({following!r})", url=url)
    return data, following


def _type(paper: dict[str, Any]) -> str:
    for name in _list(paper.get("publicationTypes")):
        if name in _TYPES:
            return _TYPES[name]
    return "misc"


def paper_record(paper: dict[str, Any], today: str) -> Record:
    """One paper to a Record (see module doc); ParseError without paperId or title."""
    ident = _text(paper.get("paperId")).lower()
    if not _PAPER.match(ident):
        raise ParseError(f"a Semantic Scholar paper without a paperId: {paper.get('paperId')!r}")
    location = f"{SITE}/paper/{ident}"
    title = html_to_text(_text(paper.get("title")))
    if not title:
        raise ParseError(f"Semantic Scholar paper {ident} has no title", url=location)
    external = _dict(paper.get("externalIds"))
    ids: dict[str, str] = {}
    doi = normalize_doi(_text(external.get("DOI")))
    if doi:
        ids["doi"] = doi
    arxiv = normalize_arxiv(_text(external.get("ArXiv")))
    if arxiv:
        ids["arxiv"] = arxiv
    dblp = _text(external.get("DBLP"))
    if dblp:
        ids["dblp"] = dblp
    pmid = _text(external.get("PubMed"))
    if pmid.isdigit():
        ids["pmid"] = pmid
    ids["semanticscholar"] = ident
    entry_type = _type(paper)
    journal = _dict(paper.get("journal"))
    venue = html_to_text(_text(journal.get("name")) or _text(paper.get("venue")))
    authors = [p for p in (parse_display_name(_text(_dict(a).get("name")))
                           for a in _list(paper.get("authors"))) if p != Person()]
    year = parse_year(paper.get("year"))
    date = _text(paper.get("publicationDate"))

    fields: dict[str, str] = {"title": latex_escape(title)}
    if authors:
        fields["author"] = " and ".join(person_to_bibtex(a) for a in authors)
    if year:
        fields["year"] = str(year)
    if venue:
        fields[{"article": "journal", "inproceedings": "booktitle",
                "incollection": "booktitle", "phdthesis": "school"}.get(
            entry_type, "howpublished")] = latex_escape(venue)
    pages = [p.strip() for p in re.split(r"[-\u2013]+", _text(journal.get("pages")))]
    if any(pages):
        fields["pages"] = "--".join(latex_escape(p) for p in pages if p)
    volume = _text(journal.get("volume"))
    if volume:
        fields["volume"] = latex_escape(volume)
    if doi:
        fields["doi"] = doi
    links = rules().id_links({name: ids[name] for name in ("doi", "arxiv", "semanticscholar")
                              if name in ids})
    pdf = _text(_dict(paper.get("openAccessPdf")).get("url"))
    if pdf.startswith(("http://", "https://")):
        links["pdf"] = pdf
    extra: dict[str, Any] = {}
    if date and date != str(year):
        extra["date"] = date
    count = paper.get("citationCount")
    citations = count if isinstance(count, int) and not isinstance(count, bool) else None
    return Record(source=KIND, origin=Origin(KIND, location), key=f"{KIND}:{ident}",
                  type=entry_type, fields=fields, title=title, authors=authors, year=year,
                  venue=venue, ids=ids, links=links,
                  abstract=html_to_text(_text(paper.get("abstract"))), extra=extra,
                  citations=citations, citations_read=today if citations is not None else None)


def papers_answer(body: dict[str, Any], url: str, today: str) -> Answer:
    """One page of an author's papers: each paper's record or problem by its paperId (None
    without one), the ``next`` offset and the number of papers."""
    papers, following = page_papers(body, url)
    answer = Answer(info={"next": following, "papers": len(papers)})
    for paper in papers:
        if not isinstance(paper, dict):
            answer.add(Problem("error", "a paper of the Semantic Scholar answer is not an "
                               "object", url, source=KIND))
            continue
        ident = _text(paper.get("paperId")).lower() or None
        try:
            answer.add(paper_record(paper, today), ident)
        except SourceError as exc:
            answer.add(Problem("error", str(exc), exc.url or url, source=KIND), ident)
    return answer


@dataclass
class Listing:
    """What an author's papers listing yielded (records so far, whether it is whole)."""

    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    complete: bool = True
    pages: int = 0
    bad_urls: list[str] = field(default_factory=list)  # answers not to keep in the cache


def _stop(listing: Listing, message: str, url: str, urls: list[str],
          level: str = "error") -> Listing:
    """End the listing as partial; after an error none of its pages stays cached."""
    listing.complete = False
    listing.problems.append(Problem(level, message, url, source=KIND))
    if level == "error":
        listing.bad_urls = list(dict.fromkeys([*urls, url]))
    return listing


class SemanticScholarBlocks(BlockRule):
    """Without a key, any 429 from the shared pool stops this source for the run, whatever
    its ``Retry-After`` says; with a key a short asked-for pause is waited for."""

    @property
    def wait_on_429(self) -> bool:  # type: ignore[override]
        return bool(os.environ.get(KEY_ENV, "").strip())

    def applies(self, host: str) -> bool:
        return host == HOST


IDENTIFIER = IdentifierSpec("semanticscholar", decisive=True, exclusive=False,
                            link=f"{SITE}/paper/{{id}}", label="Semantic Scholar")


class SemanticscholarSource(WebSource):
    """The papers of the Semantic Scholar author ``options["author"]`` (see module doc)."""

    kind = KIND
    rank = 60  # after eScholarship, before Google Scholar
    required = ("author",)
    identifiers = (IDENTIFIER,)
    citation_label = "Semantic Scholar"
    block_rules = (SemanticScholarBlocks(),)

    @classmethod
    def parse_options(cls, table: OptionReader) -> dict[str, Any]:
        raw = table.string("author")
        ident = author_id(raw)
        if ident is None:
            raise table.error("author", f"{raw!r} is not a Semantic Scholar author (a number "
                              "such as 1723755, or its semanticscholar.org/author/ URL)")
        return {"author": ident}

    @classmethod
    def owner_page(cls, options: dict[str, Any]) -> str | None:
        return f"{SITE}/author/{options['author']}"

    @classmethod
    def accepts(cls, target: str) -> bool:
        return author_id(target) is not None  # a bare number: no other source has those

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        key = os.environ.get(KEY_ENV, "").strip()
        if key:
            headers["x-api-key"] = key
        return headers

    def _answer(self, url: str) -> Answer:
        """One papers page, parsed (from the records cache when it is unchanged); an unusable
        answer is dropped from the HTTP cache."""
        page = self._page(url)
        try:
            return dated(parse_answer(self.context.records, KIND, url, page.text,
                                      lambda: papers_answer(json_object(
                                          page.text, url, "Semantic Scholar"), url, UNDATED)),
                         self.context.today)
        except ParseError:
            self.context.http.forget(url)
            raise

    def _page(self, url: str) -> Page:
        """One answer (a 401 or 403 is a block)."""
        from scholarsync.net.client import HttpStatusError

        headers = self._headers()
        try:
            page = self.get(url, expect="json", headers=headers)
        except HttpStatusError as exc:
            if exc.status in (401, 403):
                why = (f"the key in {KEY_ENV} was refused" if "x-api-key" in headers
                       else "refused")
                raise BlockedError(f"{url}: Semantic Scholar {why} (HTTP {exc.status})",
                                   url=url) from None
            raise
        return page

    def listing(self, author: str) -> Listing:
        """Every paper of ``author``, page by page. The first page's failure is raised; a
        later one ends the listing as partial."""
        from scholarsync.net.client import NotFoundError

        keyed = "x-api-key" in self._headers()
        self.context.http.pace(HOST, KEYED_DELAY if keyed else ANONYMOUS_DELAY)
        listing = Listing()
        urls: list[str] = []
        seen_offsets: set[int] = set()
        seen_papers: set[str] = set()
        offset = 0
        while True:
            url = papers_url(author, offset)
            if listing.pages >= MAX_PAGES:
                return _stop(listing, f"Semantic Scholar listing of {author} stopped after "
                             f"{MAX_PAGES} pages (partial list)", url, urls, level="warning")
            try:
                answer = self._answer(url)
            except NotFoundError:
                if listing.pages == 0:
                    raise SourceError(f"Semantic Scholar knows no author {author} ({url})",
                                      url=url) from None
                raise
            except BlockedError:
                raise
            except SourceError as exc:
                if isinstance(exc, ParseError):
                    self.context.http.forget(url)
                if listing.pages == 0:
                    raise
                return _stop(listing, f"Semantic Scholar listing of {author} broke off after "
                             f"{listing.pages} pages: {exc}", url, urls)
            listing.pages += 1
            urls.append(url)
            seen_offsets.add(offset)
            following = answer.info["next"]
            if not answer.info["papers"] and following is not None:
                return _stop(listing, f"Semantic Scholar sent an empty page of {author}'s "
                             f"papers (offset {offset}) with a next offset; list kept partial",
                             url, urls)
            for ident, item in answer.entries:
                if ident is not None:
                    if ident in seen_papers:
                        continue
                    seen_papers.add(ident)
                if isinstance(item, Record):
                    listing.records.append(item)
                elif isinstance(item, Problem):
                    listing.problems.append(item)
            if following is None:
                return listing
            if following in seen_offsets or following <= offset:
                return _stop(listing, f"Semantic Scholar sent a next offset that goes back "
                             f"({following} after {offset}); list kept partial", url, urls)
            offset = following

    def _read(self, author: str) -> Listing:
        listing = self.listing(author)
        for url in listing.bad_urls:
            self.context.http.forget(url)
        return listing

    def inspect(self, target: str) -> list[Record]:
        ident = author_id(target)
        if ident is None:
            raise SourceError(f"{target!r} is not a Semantic Scholar author id or URL")
        return self._read(ident).records

    def read(self) -> SourceResult:
        author = self.config.options["author"]
        listing = self._read(author)
        detail = "" if listing.complete else "partial list"
        return self.result(listing.records, listing.problems, complete=listing.complete,
                           detail=detail, profile={"semanticscholar": author})
