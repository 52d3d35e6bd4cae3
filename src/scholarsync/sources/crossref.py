"""Crossref (and DataCite) by DOI: the full record of every DOI the other sources found.

Config (``[[sources]] kind = "crossref"``)::

    ids = ["10.1145/3292500.3330701"]   # optional: these DOIs too (added as works)

``GET https://api.crossref.org/works/{doi}`` (the DOI percent-encoded: ``<``, ``;``, ``(`` …);
a DOI Crossref does not know (404) is asked of DataCite, ``GET
https://api.datacite.org/dois/{doi}``; one neither knows is a warning for that DOI. arXiv's own
DOIs (``10.48550/arXiv.…``) are left to the arXiv source. A DOI Crossref refused before (its
DataCite answer is cached) goes to DataCite straight. ``base_url`` serves both services.

Politeness: with ``[network] email`` the requests carry ``mailto:`` in the User-Agent (Crossref's
polite pool). Crossref announces its limits in every answer (``x-rate-limit-limit`` requests
per ``x-rate-limit-interval``; recorded: 5 per 1 s public, 10 per 1 s polite); the pause
between two requests to its host is raised to match. ``x-concurrency-limit`` (1 or 3) is
always respected: the client sends one request at a time. A 429 blocks the host for the run
(the source keeps its last good records), unless its ``Retry-After`` asks for a short pause:
the client then pauses the host for every source and asks again (see ``net/client.py``).

Fields: title (and subtitle), authors (given/family, ORCID iDs in ``extra``), container title,
volume, issue, pages, publisher, issued date, type, ``relation`` (``is-preprint-of`` /
``has-preprint``: ``extra["preprint_of"]`` / ``extra["has_preprint"]``), and
``is-referenced-by-count`` as Crossref's citation count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from scholarsync.core.latex import latex_escape
from scholarsync.core.normalize import normalize_doi, parse_display_name, person_to_bibtex
from scholarsync.errors import BlockedError, NotInCacheError, ParseError, SourceError
from scholarsync.model import Origin, Person, Publication, Record
from scholarsync.sources.answers import UNDATED, Answer, dated, parse_answer
from scholarsync.sources.base import json_object
from scholarsync.sources.lookup import LookupSource
from scholarsync.sources.meta import clean_text, html_to_text

KIND = "crossref"
API = "https://api.crossref.org"
DATACITE = "https://api.datacite.org"

_TYPES = {
    "journal-article": "article", "proceedings-article": "inproceedings",
    "book-chapter": "incollection", "book-part": "incollection", "book-section": "incollection",
    "book": "book", "monograph": "book", "edited-book": "book", "reference-book": "book",
    "dissertation": "phdthesis", "report": "techreport", "report-component": "techreport",
    "posted-content": "misc", "dataset": "misc", "proceedings": "proceedings",
    "standard": "misc", "peer-review": "misc", "component": "misc", "other": "misc",
}
_DATACITE_TYPES = {
    "JournalArticle": "article", "ConferencePaper": "inproceedings", "BookChapter":
    "incollection", "Book": "book", "Dissertation": "phdthesis", "Report": "techreport",
    "Preprint": "misc", "Dataset": "misc", "Software": "software",
}
_VENUE_FIELD = {"article": "journal", "inproceedings": "booktitle", "incollection": "booktitle"}


def work_url(doi: str) -> str:
    return f"{API}/works/{quote(doi, safe='/')}"


def datacite_url(doi: str) -> str:
    return f"{DATACITE}/dois/{quote(doi, safe='/')}"


def _first(value: Any) -> str:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), "")
    return clean_text(value) if isinstance(value, str) else ""


def _date_parts(value: Any) -> list[int]:
    parts = value.get("date-parts") if isinstance(value, dict) else None
    if isinstance(parts, list) and parts and isinstance(parts[0], list):
        return [int(p) for p in parts[0] if isinstance(p, int) or str(p).isdigit()]
    return []


def _orcid(value: Any) -> str:
    text = str(value or "").rstrip("/")
    return text.rsplit("/", 1)[-1] if text else ""


def _person(given: str, family: str, name: str = "") -> Person:
    if family:
        return Person(given=latex_escape(clean_text(given)), family=latex_escape(
            clean_text(family)))
    if name:
        return Person(literal=latex_escape(clean_text(name)))
    return Person()


def _relations(message: dict[str, Any], name: str) -> list[str]:
    found: list[str] = []
    for entry in message.get("relation", {}).get(name, []) or []:
        if isinstance(entry, dict) and entry.get("id-type") == "doi":
            doi = normalize_doi(str(entry.get("id", "")))
            if doi and doi not in found:
                found.append(doi)
    return found


def _record(doi: str, location: str, entry_type: str, title: str, authors: list[Person],
            year: int | None, venue: str, extra_fields: dict[str, str],
            extra: dict[str, Any], citations: int | None, today: str,
            url: str = "") -> Record:
    fields: dict[str, str] = {"title": latex_escape(title), "doi": doi}
    if authors:
        fields["author"] = " and ".join(person_to_bibtex(a) for a in authors)
    if year:
        fields["year"] = str(year)
    if venue:
        fields[_VENUE_FIELD.get(entry_type, "howpublished")] = latex_escape(venue)
    for name, value in extra_fields.items():
        if value:
            escaped = latex_escape(value.replace("--", "-") if name == "pages" else value)
            fields[name] = escaped.replace("-", "--") if name == "pages" else escaped
    links = {"doi": f"https://doi.org/{doi}"}
    if url.startswith(("http://", "https://")) and "doi.org/" not in url:
        links["url"] = url
    return Record(source=KIND, origin=Origin(KIND, location), key=f"{KIND}:{doi}",
                  type=entry_type, fields=fields, title=title, authors=authors, year=year,
                  venue=venue, ids={"doi": doi}, links=links, extra=extra,
                  citations=citations, citations_read=today if citations is not None else None)


def crossref_record(body: dict[str, Any], url: str, today: str) -> Record:
    """A Crossref ``/works/{doi}`` answer (``{"status", "message": {…}}``) to a Record."""
    message = body.get("message")
    if not isinstance(message, dict) or not message.get("DOI"):
        raise ParseError(f"{url}: not a Crossref work (no message with a DOI)", url=url)
    doi = normalize_doi(str(message["DOI"]))
    if doi is None:
        raise ParseError(f"{url}: Crossref gave an unusable DOI {message['DOI']!r}", url=url)
    title = html_to_text(_first(message.get("title")))
    subtitle = html_to_text(_first(message.get("subtitle")))
    if subtitle and subtitle.casefold() not in title.casefold():
        title = f"{title}: {subtitle}"
    if not title:
        raise ParseError(f"{url}: Crossref work {doi} has no title", url=url)
    authors: list[Person] = []
    orcids: dict[str, str] = {}
    for entry in message.get("author", []) or []:
        if not isinstance(entry, dict):
            continue
        person = _person(str(entry.get("given", "")), str(entry.get("family", "")),
                         str(entry.get("name", "")))
        if person == Person():
            continue
        authors.append(person)
        if entry.get("ORCID"):
            orcids[person.display] = _orcid(entry["ORCID"])
    crossref_type = str(message.get("type", ""))
    entry_type = _TYPES.get(crossref_type, "misc")
    venue = html_to_text(_first(message.get("container-title")))
    if entry_type == "misc" and crossref_type == "posted-content":
        venue = venue or clean_text(str(message.get("institution", [{}])[0].get("name", ""))
                                    if message.get("institution") else "")
    date = _date_parts(message.get("issued")) or _date_parts(message.get("published"))
    year = date[0] if date else None
    pages = clean_text(str(message.get("page", "")))
    bib = {"volume": clean_text(str(message.get("volume", ""))),
           "number": clean_text(str(message.get("issue", ""))), "pages": pages,
           "publisher": clean_text(str(message.get("publisher", "")))}
    if len(date) > 1:
        bib["month"] = str(date[1])
    extra: dict[str, Any] = {"crossref_type": crossref_type}
    if orcids:
        extra["author_orcids"] = orcids
    if len(date) > 1:
        extra["date"] = "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(date))
    preprint_of = _relations(message, "is-preprint-of")
    has_preprint = _relations(message, "has-preprint")
    if preprint_of:
        extra["preprint_of"] = preprint_of
    if has_preprint:
        extra["has_preprint"] = has_preprint
    count = message.get("is-referenced-by-count")
    citations = int(count) if isinstance(count, int) else None
    link = str((message.get("resource") or {}).get("primary", {}).get("URL", ""))
    return _record(doi, work_url(doi), entry_type, title, authors, year, venue, bib, extra,
                   citations, today, link)


def datacite_record(body: dict[str, Any], url: str, today: str) -> Record:
    """A DataCite ``/dois/{doi}`` answer (JSON:API ``data.attributes``) to a Record."""
    data = body.get("data")
    attrs = data.get("attributes") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(attrs, dict):
        raise ParseError(f"{url}: not a DataCite DOI record (no data.attributes)", url=url)
    doi = normalize_doi(str(attrs.get("doi") or data.get("id") or ""))
    if doi is None:
        raise ParseError(f"{url}: DataCite gave no usable DOI", url=url)
    titles = [t.get("title", "") for t in attrs.get("titles", []) or [] if isinstance(t, dict)]
    title = html_to_text(_first(titles))
    if not title:
        raise ParseError(f"{url}: DataCite record {doi} has no title", url=url)
    authors: list[Person] = []
    orcids: dict[str, str] = {}
    for creator in attrs.get("creators", []) or []:
        if not isinstance(creator, dict):
            continue
        if creator.get("nameType") == "Organizational" or not creator.get("familyName"):
            person = (parse_display_name(str(creator.get("name", "")))
                      if creator.get("nameType") != "Organizational"
                      else _person("", "", str(creator.get("name", ""))))
        else:
            person = _person(str(creator.get("givenName", "")), str(creator["familyName"]))
        if person == Person():
            continue
        authors.append(person)
        for ident in creator.get("nameIdentifiers", []) or []:
            if isinstance(ident, dict) and ident.get("nameIdentifierScheme") == "ORCID":
                orcids[person.display] = _orcid(ident.get("nameIdentifier"))
    types = attrs.get("types") or {}
    general = str(types.get("resourceTypeGeneral", ""))
    entry_type = _DATACITE_TYPES.get(general, str(types.get("bibtex") or "misc"))
    container = attrs.get("container") or {}
    venue = clean_text(str(container.get("title", ""))) if isinstance(container, dict) else ""
    year_value = attrs.get("publicationYear")
    year = int(str(year_value)) if str(year_value or "").isdigit() else None
    bib = {"publisher": clean_text(str(attrs.get("publisher") or ""))
           if not isinstance(attrs.get("publisher"), dict)
           else clean_text(str(attrs["publisher"].get("name", "")))}
    if isinstance(container, dict):
        bib["volume"] = clean_text(str(container.get("volume", "")))
        bib["number"] = clean_text(str(container.get("issue", "")))
        first, last = container.get("firstPage"), container.get("lastPage")
        if first:
            bib["pages"] = f"{first}--{last}" if last else str(first)
    extra: dict[str, Any] = {"registration_agency": "DataCite", "datacite_type": general}
    if orcids:
        extra["author_orcids"] = orcids
    for related in attrs.get("relatedIdentifiers", []) or []:
        if not isinstance(related, dict) or related.get("relatedIdentifierType") != "DOI":
            continue
        target = normalize_doi(str(related.get("relatedIdentifier", "")))
        kind = related.get("relationType")
        if target and kind == "IsPreviousVersionOf":
            extra.setdefault("preprint_of", []).append(target)
    count = attrs.get("citationCount")
    citations = int(count) if isinstance(count, int) else None
    return _record(doi, datacite_url(doi), entry_type, title, authors, year, venue, bib, extra,
                   citations, today, str(attrs.get("url") or ""))


class CrossrefSource(LookupSource):
    """Every DOI of the merged publications, looked up at Crossref, else DataCite."""

    kind = KIND
    rank = 10
    citation_label = "Crossref"

    @classmethod
    def normalize(cls, value: str) -> str | None:
        return normalize_doi(value)

    @classmethod
    def id_name(cls) -> str:
        return "DOI"

    @classmethod
    def accepts(cls, target: str) -> bool:
        return normalize_doi(target) is not None and (
            target.strip().lower().startswith(("10.", "doi:", "https://doi.org/",
                                               "http://doi.org/", "https://dx.doi.org/",
                                               "http://dx.doi.org/")))

    def wanted(self, publications: list[Publication]) -> dict[str, list[Publication]]:
        found: dict[str, list[Publication]] = {}
        for pub in publications:
            doi = normalize_doi(pub.ids.get("doi"))
            if doi and not doi.startswith("10.48550/"):  # arXiv's DOIs: the arXiv source's
                found.setdefault(doi, []).append(pub)
        return found

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        email = self.context.config.network.email
        if email:
            agent = self.context.http.user_agent
            headers["User-Agent"] = f"{agent} (mailto:{email})"
        return headers

    def _answer(self, url: str, host: str,
                parse: Callable[[dict[str, Any], str, str], Record]) -> Record:
        """``parse`` of one answer's JSON object (from the records cache when the answer is
        unchanged); an unusable answer is dropped from the HTTP cache."""
        page = self.get_json_page(url, headers=self._headers())
        self.obey_rate_limit(page, host)
        service = "DataCite" if url.startswith(DATACITE) else "Crossref"

        def answer() -> Answer:
            return Answer([(None, parse(json_object(page.text, url, service), url, UNDATED))])

        try:
            parsed = parse_answer(self.context.records, KIND, url, page.text, answer)
        except ParseError:
            self.context.http.forget(url)
            raise
        [(_, record)] = dated(parsed, self.context.today).entries
        assert isinstance(record, Record)
        return record

    def one(self, doi: str) -> Record | None:
        """The record of one DOI (Crossref, else DataCite); None when neither knows it.
        A block raises; other trouble raises SourceError for this DOI."""
        from scholarsync.net.client import NotFoundError

        url = work_url(doi)
        http = self.context.http
        if not http.has_cached(url) and http.has_cached(datacite_url(doi)):
            return self._datacite(doi)  # Crossref said 404 before: DataCite's DOI
        try:
            return self._answer(url, "api.crossref.org", crossref_record)
        except NotFoundError:
            pass
        return self._datacite(doi)

    def _datacite(self, doi: str) -> Record | None:
        from scholarsync.net.client import NotFoundError

        url = datacite_url(doi)
        try:
            return self._answer(url, "api.datacite.org", datacite_record)
        except NotFoundError:
            return None

    def fetch(self, idents: list[str], works: dict[str, list[Publication]]) -> list[Record]:
        records = self.found  # kept even when a block ends the run of requests
        for doi in idents:
            try:
                record = self.one(doi)
            except BlockedError:
                raise
            except NotInCacheError:
                self.not_cached.append(doi)
                continue
            except SourceError as exc:
                self.warn(f"DOI {doi} not looked up: {exc}", exc.url or work_url(doi), "error")
                continue
            if record is None:
                keys = ", ".join(p.key for p in works.get(doi, []) if p.key)
                self.warn(f"DOI {doi} is known to neither Crossref nor DataCite"
                          + (f" (in {keys})" if keys else ""), work_url(doi))
                continue
            records.append(record)
        return records

    def inspect(self, target: str) -> list[Record]:
        doi = normalize_doi(target)
        if doi is None:
            raise SourceError(f"{target!r} is not a DOI")
        record = self.one(doi)
        if record is None:
            raise SourceError(f"DOI {doi} is known to neither Crossref nor DataCite")
        return [record]
