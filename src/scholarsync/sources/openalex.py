"""OpenAlex (``https://api.openalex.org``): every work of one OpenAlex author.

Config (``[[sources]] kind = "openalex"``)::

    author = "A5023888391"   # or "https://openalex.org/A5023888391", or "orcid:0000-0002-1825-0097"

Steps, each a GET with ``mailto=`` (``[network] email``, when set) and the API key:

1. ``/authors/{A-id | orcid:iD}``: the author (a singleton: free of credits). It names the
   author's current id (an id OpenAlex merged into another answers with the new one) and
   ``works_count``.
2. ``/works?filter=author.id:{A-id}&select=…&per_page=100&cursor=*``, then ``cursor=`` the
   answer's ``meta.next_cursor`` until it is null. The listing also ends once ``meta.count``
   works were read (the page after a full last page is empty: not asked). At most
   :data:`MAX_PAGES` pages; a longer listing is marked partial.

The API key comes from ``OPENALEX_API_KEY`` in the environment. OpenAlex requires one since
2026-02-13; without it the source fails alone (exit 3) with a message saying so, before any
request. The key travels in the query string (``api_key=``, as OpenAlex documents) but only in
the URL sent: never in a cache key, a cached copy, a message or a log line.

Each record carries ``ids["openalex"]`` (``W…``, decisive within this source), the DOI, the
arXiv id (from an arXiv DOI or an arXiv location, so a preprint and its published version
listed apart share it and become one publication with versions), the PMID, the citation count
``cited_by_count`` read today, and the abstract rebuilt from ``abstract_inverted_index``.
Paratext (covers, front matter) is left out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
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
from scholarsync.sources import rules
from scholarsync.sources.answers import UNDATED, Answer, dated, parse_answer
from scholarsync.sources.base import WebSource, json_object
from scholarsync.sources.meta import clean_text, html_to_text

if TYPE_CHECKING:
    from scholarsync.config import OptionReader
    from scholarsync.net.client import Page

KIND = "openalex"
API = "https://api.openalex.org"
SITE = "https://openalex.org"
KEY_ENV = "OPENALEX_API_KEY"
PAGE_SIZE = 100  # works per page (the API's maximum per_page)
MAX_PAGES = 50  # pages per listing (5,000 works); beyond, the list is partial
FIELDS = ("id,doi,title,display_name,publication_year,publication_date,ids,type,"
          "primary_location,locations,best_oa_location,authorships,biblio,cited_by_count,"
          "abstract_inverted_index,is_retracted,is_paratext")
_AUTHOR = re.compile(r"^(?:https?://(?:api\.)?openalex\.org/(?:authors/|people/)?)?"
                     r"(A\d{4,})/?$", re.IGNORECASE)
_ORCID = re.compile(r"^orcid:(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$",
                    re.IGNORECASE)
_WORK = re.compile(r"(W\d+)$", re.IGNORECASE)

_TYPES = {"article": "article", "review": "article", "letter": "article",
          "editorial": "article", "erratum": "article", "book-chapter": "incollection",
          "book": "book", "monograph": "book", "edited-book": "book",
          "dissertation": "phdthesis", "report": "techreport", "preprint": "misc",
          "posted-content": "misc", "dataset": "misc", "standard": "techreport",
          "proceedings-article": "inproceedings", "conference-paper": "inproceedings",
          "proceedings": "proceedings"}
_VENUE_FIELD = {"article": "journal", "inproceedings": "booktitle", "incollection": "booktitle",
                "phdthesis": "school", "techreport": "institution", "book": "series"}


def author_ref(value: str) -> str | None:
    """``A5023888391`` or ``orcid:0000-0002-1825-0097`` for a configured author (an id, an
    openalex.org URL, ``orcid:`` with an iD or ORCID URL); None when it is none of those."""
    text = value.strip()
    found = _AUTHOR.match(text)
    if found:
        return found.group(1).upper()
    orcid = _ORCID.match(text)
    if orcid:
        from scholarsync.sources.orcid import orcid_id

        ident = orcid_id(orcid.group(1))
        return f"orcid:{ident}" if ident else None
    return None


def _query(params: dict[str, str]) -> str:
    return urlencode(params, safe=":,*")


def author_url(ref: str, email: str = "") -> str:
    params = {"select": "id,display_name,orcid,works_count,cited_by_count"}
    if email:
        params["mailto"] = email
    return f"{API}/authors/{ref}?{_query(params)}"


def works_url(author: str, cursor: str = "*", email: str = "") -> str:
    params = {"filter": f"author.id:{author}", "select": FIELDS, "per_page": str(PAGE_SIZE),
              "cursor": cursor}
    if email:
        params["mailto"] = email
    return f"{API}/works?{_query(params)}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return clean_text(str(value)) if isinstance(value, (str, int, float)) else ""


def short_id(value: Any) -> str:
    """``W2600965442`` of ``https://openalex.org/W2600965442`` (``A…`` likewise)."""
    return _text(value).rstrip("/").rsplit("/", 1)[-1].upper()


def abstract_text(index: Any) -> str:
    """The abstract an ``abstract_inverted_index`` ({word: [positions]}) spells."""
    words: dict[int, str] = {}
    for word, positions in _dict(index).items():
        for position in _list(positions):
            if isinstance(position, int) and position >= 0:
                words[position] = word
    return clean_text(" ".join(words[p] for p in sorted(words)))


def _arxiv(work: dict[str, Any]) -> str | None:
    """The arXiv id of an arXiv DOI or of an arXiv location of the work."""
    doi = normalize_doi(_text(work.get("doi"))) or ""
    if doi.startswith("10.48550/arxiv."):
        found = normalize_arxiv(doi.split("arxiv.", 1)[1])
        if found:
            return found
    for location in _list(work.get("locations")):
        location = _dict(location)
        for key in ("landing_page_url", "pdf_url"):
            url = _text(location.get(key))
            if re.match(r"https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/", url):
                found = normalize_arxiv(url)
                if found:
                    return found
    return None


def _authors(work: dict[str, Any]) -> list[Person]:
    """Authors in order. Names OpenAlex took from an affiliation line (starting with a comma
    or a digit) are left out."""
    people = []
    for authorship in _list(work.get("authorships")):
        authorship = _dict(authorship)
        name = _text(_dict(authorship.get("author")).get("display_name")) or _text(
            authorship.get("raw_author_name"))
        if not name or not name[0].isalpha():
            continue
        person = parse_display_name(name)
        if person != Person():
            people.append(person)
    return people


def work_record(work: dict[str, Any], today: str) -> Record:
    """One OpenAlex work to a Record (see module doc); ParseError without id or title."""
    ident = short_id(work.get("id"))
    if not _WORK.fullmatch(ident):
        raise ParseError(f"an OpenAlex work without a W id: {work.get('id')!r}")
    location = f"{SITE}/{ident}"
    title = html_to_text(_text(work.get("title")) or _text(work.get("display_name")))
    if not title:
        raise ParseError(f"OpenAlex work {ident} has no title", url=location)
    primary = _dict(work.get("primary_location"))
    source = _dict(primary.get("source"))
    kind = _text(work.get("type")).lower()
    entry_type = _TYPES.get(kind, "misc")
    if entry_type == "article" and _text(source.get("type")) == "conference":
        entry_type = "inproceedings"
    venue = html_to_text(_text(source.get("display_name")))
    authors = _authors(work)
    truncated = bool(work.get("is_authors_truncated"))
    year = parse_year(work.get("publication_year"))
    date = _text(work.get("publication_date"))
    biblio = _dict(work.get("biblio"))
    first, last = _text(biblio.get("first_page")), _text(biblio.get("last_page"))
    pages = (f"{latex_escape(first)}--{latex_escape(last)}" if first and last and first != last
             else latex_escape(first or last))

    ids: dict[str, str] = {}
    doi = normalize_doi(_text(work.get("doi")))
    if doi:
        ids["doi"] = doi
    arxiv = _arxiv(work)
    if arxiv:
        ids["arxiv"] = arxiv
    pmid = short_id(_dict(work.get("ids")).get("pmid"))
    if pmid.isdigit():
        ids["pmid"] = pmid
    ids["openalex"] = ident

    fields: dict[str, str] = {"title": latex_escape(title)}
    if authors:
        fields["author"] = " and ".join(person_to_bibtex(a) for a in authors) + (
            " and others" if truncated else "")
    if year:
        fields["year"] = str(year)
    if venue:
        fields[_VENUE_FIELD.get(entry_type, "howpublished")] = latex_escape(venue)
    if pages:
        fields["pages"] = pages
    for name, value in (("volume", _text(biblio.get("volume"))),
                        ("number", _text(biblio.get("issue"))),
                        ("publisher", _text(source.get("host_organization_name")))):
        if value:
            fields[name] = latex_escape(value)
    if doi:
        fields["doi"] = doi
    links = rules().id_links({name: ids[name] for name in ("doi", "arxiv", "openalex")
                              if name in ids})
    pdf = _text(_dict(work.get("best_oa_location")).get("pdf_url"))
    if pdf.startswith(("http://", "https://")):
        links["pdf"] = pdf
    extra: dict[str, Any] = {}
    if date and date != str(year):
        extra["date"] = date
    if work.get("is_retracted") is True:
        extra["retracted"] = True
    count = work.get("cited_by_count")
    citations = count if isinstance(count, int) and not isinstance(count, bool) else None
    return Record(source=KIND, origin=Origin(KIND, location), key=f"{KIND}:{ident}",
                  type=entry_type, fields=fields, title=title, authors=authors,
                  authors_truncated=truncated, year=year, venue=venue, ids=ids, links=links,
                  abstract=abstract_text(work.get("abstract_inverted_index")),
                  extra=extra, citations=citations,
                  citations_read=today if citations is not None else None)


def works_answer(body: dict[str, Any], url: str, today: str) -> Answer:
    """One page of an author's works: each work's record (None for paratext) or problem, by
    its id (None for an item that is no object), and the cursor, count and result count."""
    meta, results = _dict(body.get("meta")), body.get("results")
    if not isinstance(results, list):
        raise ParseError(f"{url}: not an OpenAlex works page (no results list)", url=url)
    answer = Answer(info={"next": _text(meta.get("next_cursor")) or None,
                          "count": meta.get("count"), "results": len(results)})
    for work in results:
        if not isinstance(work, dict):
            answer.add(Problem("error", "a work of the OpenAlex answer is not an object", url,
                               source=KIND))
            continue
        ident = short_id(work.get("id"))
        if work.get("is_paratext") is True:
            answer.add(None, ident)
            continue
        try:
            answer.add(work_record(work, today), ident)
        except SourceError as exc:
            answer.add(Problem("error", str(exc), exc.url or url, source=KIND), ident)
    return answer


@dataclass
class Listing:
    """What an author's works listing yielded (records so far, whether it is whole)."""

    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    complete: bool = True
    pages: int = 0
    bad_urls: list[str] = field(default_factory=list)  # answers not to keep in the cache


def _stop(listing: Listing, message: str, url: str, urls: list[str],
          level: str = "error") -> Listing:
    """End the listing as partial; after an error none of its pages stays cached (the next
    run reads the whole chain again rather than a cursor that led astray)."""
    listing.complete = False
    listing.problems.append(Problem(level, message, url, source=KIND))
    if level == "error":
        listing.bad_urls = list(dict.fromkeys([*urls, url]))
    return listing


IDENTIFIER = IdentifierSpec("openalex", decisive=True, exclusive=False,
                            link=f"{SITE}/{{id}}", label="OpenAlex")


class OpenalexSource(WebSource):
    """The works of the OpenAlex author ``options["author"]`` (see module doc)."""

    kind = KIND
    rank = 30  # after ORCID, before DBLP and eScholarship
    required = ("author",)
    identifiers = (IDENTIFIER,)
    citation_label = "OpenAlex"

    @classmethod
    def parse_options(cls, table: OptionReader) -> dict[str, Any]:
        raw = table.string("author")
        ref = author_ref(raw)
        if ref is None:
            raise table.error("author", f"{raw!r} is not an OpenAlex author (an id such as "
                              "A5023888391, its https://openalex.org/ URL, or orcid:<ORCID iD>)")
        return {"author": ref}

    @classmethod
    def owner_page(cls, options: dict[str, Any]) -> str | None:
        ref = str(options.get("author", ""))
        return f"{SITE}/{ref}" if ref.startswith("A") else None

    @classmethod
    def accepts(cls, target: str) -> bool:
        return _AUTHOR.match(target.strip()) is not None

    def _key(self) -> str:
        key = os.environ.get(KEY_ENV, "").strip()
        if not key and not self.context.offline:
            raise SourceError(f"OpenAlex needs an API key (required since 2026-02-13; free at "
                              f"https://openalex.org/settings/api): set {KEY_ENV} in the "
                              "environment (a CI secret); OpenAlex is skipped until then")
        return key

    def _json(self, url: str, key: str) -> dict[str, Any]:
        """One answer as a JSON object; an unusable one is dropped from the cache."""
        page = self._page(url, key)
        try:
            return json_object(page.text, url, "OpenAlex")
        except ParseError:
            self.context.http.forget(url)
            raise

    def _page(self, url: str, key: str) -> Page:
        """One answer (a 401 or 403 is a block: rate limited, or a bad key)."""
        from scholarsync.net.client import HttpStatusError, NotFoundError

        try:
            page = self.get(url, expect="json", headers={"Accept": "application/json"},
                            secret_params={"api_key": key})
        except NotFoundError:
            raise
        except HttpStatusError as exc:
            if exc.status in (401, 403):
                raise BlockedError(f"{url}: OpenAlex refused the request (HTTP {exc.status}): "
                                   f"rate limited, or the key in {KEY_ENV} is not valid",
                                   url=url) from None
            raise
        return page

    def _answer(self, url: str, key: str, parse: Callable[[dict[str, Any]], Answer],
                *options: str) -> Answer:
        """``parse`` of one answer's JSON object (from the records cache when the answer and
        ``options`` are unchanged); an unusable answer is dropped from the HTTP cache."""
        page = self._page(url, key)
        try:
            return parse_answer(self.context.records, KIND, url, page.text,
                                lambda: parse(json_object(page.text, url, "OpenAlex")),
                                *options)
        except ParseError:
            self.context.http.forget(url)
            raise

    def resolve(self, ref: str, key: str) -> dict[str, Any]:
        """The author record of ``ref`` (its ``id`` is the current A-id)."""
        from scholarsync.net.client import NotFoundError

        url = author_url(ref, self.context.config.network.email)
        try:
            author = self._json(url, key)
        except NotFoundError:
            raise SourceError(f"OpenAlex knows no author {ref} ({url})", url=url) from None
        if not short_id(author.get("id")).startswith("A"):
            self.context.http.forget(url)
            raise ParseError(f"{url}: not an OpenAlex author record (no A id)", url=url)
        return author

    def listing(self, author: str, key: str) -> Listing:
        """Every work of ``author``, page by page (see module doc). The first page's failure
        is raised; a later one ends the listing as partial."""
        email = self.context.config.network.email
        listing = Listing()
        seen_cursors: set[str] = set()
        seen_works: set[str] = set()
        urls: list[str] = []
        cursor = "*"
        while True:
            url = works_url(author, cursor, email)
            if listing.pages >= MAX_PAGES:
                return _stop(listing, f"OpenAlex listing of {author} stopped after "
                             f"{MAX_PAGES} pages of {PAGE_SIZE} works (partial list)", url, urls,
                             level="warning")
            try:
                answer = dated(self._answer(url, key, partial(works_answer, url=url,
                                                              today=UNDATED)),
                               self.context.today)
            except BlockedError:
                raise
            except SourceError as exc:
                if listing.pages == 0:
                    raise
                return _stop(listing, f"OpenAlex listing of {author} broke off after "
                             f"{listing.pages} pages: {exc}", url, urls)
            listing.pages += 1
            urls.append(url)
            following, total = answer.info["next"], answer.info["count"]
            if not answer.info["results"] and following:
                return _stop(listing, f"OpenAlex sent an empty page of {author}'s works "
                             f"(page {listing.pages}) with a cursor; list kept partial", url,
                             urls)
            for ident, item in answer.entries:
                if ident is not None:
                    if ident in seen_works:
                        continue  # a cursor that repeats works
                    seen_works.add(ident)
                if isinstance(item, Record):
                    listing.records.append(item)
                elif isinstance(item, Problem):
                    listing.problems.append(item)
            if following is None or (isinstance(total, int) and len(seen_works) >= total):
                return listing
            if following in seen_cursors or following == cursor:
                return _stop(listing, f"OpenAlex repeated a cursor of {author}'s works "
                             f"(page {listing.pages}); list kept partial", url, urls)
            seen_cursors.add(following)
            cursor = following

    def _read(self, ref: str) -> tuple[Listing, dict[str, Any]]:
        key = self._key()
        http = self.context.http
        http.pace("api.openalex.org", 0.1)  # the documented limit: 10 requests a second
        author = self.resolve(ref, key)
        ident = short_id(author["id"])
        listing = self.listing(ident, key)
        for url in listing.bad_urls:
            http.forget(url)
        profile = {"openalex": ident}
        for name in ("display_name", "works_count", "cited_by_count"):
            if author.get(name) is not None:
                profile[name] = author[name]
        return listing, profile

    def inspect(self, target: str) -> list[Record]:
        ref = author_ref(target)
        if ref is None:
            raise SourceError(f"{target!r} is not an OpenAlex author id or URL")
        return self._read(ref)[0].records

    def read(self) -> SourceResult:
        listing, profile = self._read(self.config.options["author"])
        detail = "" if listing.complete else "partial list"
        return self.result(listing.records, listing.problems, complete=listing.complete,
                           detail=detail, profile=profile)
