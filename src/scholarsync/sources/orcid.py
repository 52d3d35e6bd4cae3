"""ORCID public API v3.0: the works of one ORCID record.

Config (``[[sources]] kind = "orcid"``)::

    id = "0000-0002-1825-0097"     # or "https://orcid.org/0000-0002-1825-0097"

Two steps, ``Accept: application/json`` on each request:

1. ``GET https://pub.orcid.org/v3.0/{id}/works``: one document, no paging. Works that share an
   external id are grouped; each group holds one summary per source that asserted the work.
   One summary per group is used: the preferred one, which is the one with the highest
   ``display-index`` (the first listed on a tie).
2. ``GET https://pub.orcid.org/v3.0/{id}/works/{pc1,pc2,…}``: the full works of at most
   :data:`BULK_SIZE` put-codes per request (sorted, so that a new work changes the last request
   only), for contributors, journal title, dates, external ids, the short description and the
   ``citation`` (BibTeX when ``citation-type`` is ``bibtex``, read with the project's own
   BibTeX reader; it fills what the structured fields lack).

Works with no DOI (only ``source-work-id`` or ``eid`` ids, as Pure and Scopus write them) are
kept. Each record carries ``ids["orcid"]``: its put-code, decisive within this source.

A token (``SCHOLARSYNC_ORCID_TOKEN`` in the environment, optional) is sent as
``Authorization: Bearer …``; it is never part of a URL, a cache key, a cached copy or a log.
ORCID gives no citation counts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
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
from scholarsync.errors import BlockedError, ParseError, SourceError
from scholarsync.model import IdentifierSpec, Origin, Person, Problem, Record, SourceResult
from scholarsync.sources import rules
from scholarsync.sources.answers import Answer, parse_answer
from scholarsync.sources.base import WebSource, json_object
from scholarsync.sources.meta import clean_text, html_to_text

if TYPE_CHECKING:
    from scholarsync.config import OptionReader
    from scholarsync.net.client import Page

KIND = "orcid"
API = "https://pub.orcid.org/v3.0"
BULK_SIZE = 100  # put-codes per bulk request (the API's limit)
MAX_BULK = 50  # bulk requests per read (5,000 works); beyond, the list is partial
TOKEN_ENV = "SCHOLARSYNC_ORCID_TOKEN"
_ORCID = re.compile(r"^(?:https?://(?:www\.)?orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/?$",
                    re.IGNORECASE)

_TYPES = {
    "journal-article": "article", "journal-issue": "article", "magazine-article": "article",
    "newspaper-article": "article", "review": "article", "article-journal": "article",
    "conference-paper": "inproceedings", "conference-abstract": "inproceedings",
    "conference-poster": "inproceedings", "conference-proceedings": "proceedings",
    "book": "book", "edited-book": "book", "book-chapter": "incollection",
    "dissertation": "phdthesis", "dissertation-thesis": "phdthesis",
    "report": "techreport", "working-paper": "techreport", "preprint": "misc",
}
_VENUE_FIELD = {"article": "journal", "inproceedings": "booktitle", "incollection": "booktitle",
                "phdthesis": "school", "techreport": "institution"}
_BIB_FIELDS = ("volume", "number", "pages", "publisher", "address", "month", "issn", "isbn",
               "edition", "series", "editor")


def orcid_id(value: str) -> str | None:
    """The iD ``0000-0002-1825-0097`` of an iD or its orcid.org URL, when the check digit
    (ISO 7064 11,2) agrees; None otherwise."""
    match = _ORCID.match(value.strip())
    if not match:
        return None
    ident = match.group(1).upper()
    digits = ident.replace("-", "")
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    return ident if digits[-1] == ("X" if check == 10 else str(check)) else None


def works_url(ident: str) -> str:
    return f"{API}/{ident}/works"


def bulk_url(ident: str, put_codes: list[str]) -> str:
    return f"{API}/{ident}/works/{','.join(put_codes)}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _value(value: Any) -> str:
    """``{"value": "x"}`` (or a plain string) as clean text."""
    if isinstance(value, dict):
        value = value.get("value")
    return clean_text(str(value)) if isinstance(value, (str, int, float)) else ""


def parse_json(text: str, url: str) -> dict[str, Any]:
    """A JSON object answer; ParseError for anything else (cut short, malformed, empty)."""
    return json_object(text, url, "ORCID")


def _display_index(summary: dict[str, Any]) -> int:
    try:
        return int(str(summary.get("display-index", "0")))
    except ValueError:
        return 0


def preferred_summaries(works: dict[str, Any], url: str) -> list[dict[str, Any]]:
    """One work summary per group: the preferred one (highest ``display-index``)."""
    if "group" not in works or not isinstance(works["group"], list):
        raise ParseError(f"{url}: not an ORCID works document (no group list)", url=url)
    chosen: list[dict[str, Any]] = []
    for group in works["group"]:
        summaries = [s for s in _list(_dict(group).get("work-summary")) if isinstance(s, dict)
                     and s.get("put-code") is not None]
        if summaries:
            chosen.append(max(summaries, key=_display_index))  # max keeps the first on ties
    return chosen


def _external_ids(work: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(type, value, relationship) of each external id, type lower-case."""
    found = []
    for entry in _list(_dict(work.get("external-ids")).get("external-id")):
        entry = _dict(entry)
        kind = _value(entry.get("external-id-type")).lower()
        value = _value(entry.get("external-id-normalized")) or _value(
            entry.get("external-id-value"))
        if kind and value:
            found.append((kind, value, _value(entry.get("external-id-relationship")).lower()))
    return found


def _ids(work: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Identifiers of the work itself (relationship ``self``), and the other ones kept."""
    ids: dict[str, str] = {}
    other: dict[str, str] = {}
    for kind, value, relation in _external_ids(work):
        if relation not in ("", "self"):
            continue
        if kind == "doi" and "doi" not in ids:
            doi = normalize_doi(value)
            if doi:
                ids["doi"] = doi
        elif kind == "arxiv" and "arxiv" not in ids:
            arxiv = normalize_arxiv(value)
            if arxiv:
                ids["arxiv"] = arxiv
        elif kind == "pmid" and value.isdigit() and "pmid" not in ids:
            ids["pmid"] = value
        elif kind == "isbn" and "isbn" not in ids:
            ids["isbn"] = value
        else:
            other.setdefault(kind, value)
    return ids, other


def _date(work: dict[str, Any]) -> str:
    date = _dict(work.get("publication-date"))
    parts = [_value(date.get(k)) for k in ("year", "month", "day")]
    out = []
    for part in parts:
        if not part:
            break
        out.append(part)
    return "-".join(out)


_INITIAL = re.compile(r"^(?:[A-Z]\.?-?)+$")


def credit_name(name: str) -> Person:
    """A credit name: "Vima Gupta", "Gupta, Vima", or Scopus' "Gupta V." / "Gupta V.A."."""
    tokens = name.split()
    if (len(tokens) >= 2 and "," not in name and not _INITIAL.match(tokens[0])
            and all(_INITIAL.match(t) for t in tokens[1:])):
        return Person(given=latex_escape(" ".join(tokens[1:])), family=latex_escape(tokens[0]))
    return parse_display_name(name)


def _contributors(work: dict[str, Any]) -> list[Person]:
    """Authors in order (one marked ``first`` goes first); every contributor when none has
    the role author."""
    people: list[tuple[bool, str, Person]] = []  # (not first, role, person)
    for entry in _list(_dict(work.get("contributors")).get("contributor")):
        entry = _dict(entry)
        name = _value(entry.get("credit-name"))
        if not name:
            continue
        attrs = _dict(entry.get("contributor-attributes"))
        sequence = _value(attrs.get("contributor-sequence")).lower()
        role = _value(attrs.get("contributor-role")).lower()
        people.append((sequence != "first", role, credit_name(name)))
    chosen = [p for p in people if p[1] in ("", "author")] or people
    return [p for _, _, p in sorted(chosen, key=lambda p: p[0]) if p != Person()]


def _bibtex(work: dict[str, Any], location: str) -> Record | None:
    """The work's ``citation`` when it is BibTeX, read with the project's BibTeX reader."""
    from scholarsync.sources.bibtex import read_bib_text

    citation = _dict(work.get("citation"))
    if _value(citation.get("citation-type")).lower() != "bibtex":
        return None
    text = citation.get("citation-value")
    if not isinstance(text, str) or "@" not in text:
        return None
    records, _ = read_bib_text(text, location)
    return records[0] if records else None


def work_record(ident: str, work: dict[str, Any]) -> Record:
    """One work (full, or a summary) of ORCID record ``ident`` to a Record."""
    put_code = str(work.get("put-code", "")).strip()
    if not put_code:
        raise ParseError("an ORCID work without a put-code")
    location = f"{API}/{ident}/work/{put_code}"
    title_block = _dict(work.get("title"))
    title = html_to_text(_value(title_block.get("title")))
    subtitle = html_to_text(_value(title_block.get("subtitle")))
    bib = _bibtex(work, location)
    if not title and bib is not None:
        title = bib.title
    if not title:
        raise ParseError(f"ORCID work {put_code} has no title", url=location)
    if subtitle and subtitle.casefold() not in title.casefold():
        title = f"{title}: {subtitle}"
    orcid_type = _value(work.get("type")).lower()
    entry_type = _TYPES.get(orcid_type) or (bib.type if bib is not None else "misc")
    authors = _contributors(work)
    truncated = False
    if not authors and bib is not None:
        authors, truncated = list(bib.authors), bib.authors_truncated
    venue = _value(work.get("journal-title")) or (bib.venue if bib is not None else "")
    date = _date(work)
    year = parse_year(date) or (bib.year if bib is not None else None)
    ids, other = _ids(work)
    if bib is not None:
        for key in ("doi", "arxiv", "pmid", "isbn"):
            if key in bib.ids and key not in ids:
                ids[key] = bib.ids[key]
    ids["orcid"] = put_code
    url = _value(work.get("url"))
    abstract = html_to_text(_value(work.get("short-description"))) or (
        bib.abstract if bib is not None else "")
    keywords = list(bib.keywords) if bib is not None else []

    fields: dict[str, str] = {"title": latex_escape(title)}
    if bib is not None:
        fields.update({k: v for k, v in bib.fields.items() if k in _BIB_FIELDS})
    if authors:
        fields["author"] = " and ".join(person_to_bibtex(a) for a in authors) + (
            " and others" if truncated else "")
    if year:
        fields["year"] = str(year)
    if venue:
        fields[_VENUE_FIELD.get(entry_type, "journal" if entry_type == "misc" and
                                orcid_type == "preprint" else "howpublished")] = (
            latex_escape(venue))
    links = rules().id_links({name: ids[name] for name in ("doi", "arxiv") if name in ids})
    if "doi" in ids:
        fields["doi"] = ids["doi"]
    if url.startswith(("http://", "https://")) and "doi.org/" not in url:
        fields["url"] = url
        links["url"] = url
    if keywords:
        fields["keywords"] = latex_escape(", ".join(keywords))
    extra: dict[str, Any] = {}
    if date and date != str(year):
        extra["date"] = date
    if other:
        extra["external_ids"] = dict(sorted(other.items()))
    source_name = _value(_dict(work.get("source")).get("source-name"))
    if source_name:
        extra["asserted_by"] = source_name
    return Record(source=KIND, origin=Origin(KIND, location), key=f"{KIND}:{put_code}",
                  type=entry_type, fields=fields, title=title, authors=authors,
                  authors_truncated=truncated, year=year, venue=venue, ids=ids, links=links,
                  abstract=abstract, keywords=keywords, extra=extra)


def bulk_works(body: dict[str, Any], url: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Works of a bulk answer by put-code, and the messages of its per-work errors."""
    if not isinstance(body.get("bulk"), list):
        raise ParseError(f"{url}: not an ORCID bulk works answer (no bulk list)", url=url)
    works: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    for entry in body["bulk"]:
        entry = _dict(entry)
        work = _dict(entry.get("work"))
        if work.get("put-code") is not None:
            works[str(work["put-code"])] = work
        elif entry.get("error") is not None:
            error = _dict(entry["error"])
            errors.append(_value(error.get("developer-message")) or
                          _value(error.get("user-message")) or "unknown error")
    return works, errors


def summary_record(ident: str, work: dict[str, Any]) -> Record | Problem:
    """The record of one work (full or summary) of ``ident``, or the problem it has."""
    try:
        return work_record(ident, work)
    except SourceError as exc:
        return Problem("error", str(exc), exc.url, source=KIND)


def summaries_answer(body: dict[str, Any], url: str) -> Answer:
    """A works document: the put-codes of its preferred summaries, in order (``codes``)."""
    return Answer(info={"codes": [str(s["put-code"]) for s in preferred_summaries(body, url)]})


def bulk_answer(body: dict[str, Any], url: str, ident: str) -> Answer:
    """A bulk works answer: each full work's record or problem by put-code, and the messages
    of its per-work errors (``errors``)."""
    works, errors = bulk_works(body, url)
    answer = Answer(info={"errors": errors})
    for code, work in works.items():
        answer.add(summary_record(ident, work), code)
    return answer


IDENTIFIER = IdentifierSpec("orcid", decisive=True, exclusive=False, label="ORCID")


class OrcidSource(WebSource):
    """The works of the ORCID record ``options["id"]`` (see module doc)."""

    kind = KIND
    rank = 20
    required = ("id",)
    identifiers = (IDENTIFIER,)

    @classmethod
    def parse_options(cls, table: OptionReader) -> dict[str, Any]:
        raw = table.string("id")
        found = orcid_id(raw)
        if found is None:
            raise table.error("id", f"{raw!r} is not an ORCID iD (16 digits as "
                              "0000-0002-1825-0097, or its https://orcid.org/ URL; the last "
                              "character is a check digit)")
        return {"id": found}

    @classmethod
    def owner_page(cls, options: dict[str, Any]) -> str | None:
        return f"https://orcid.org/{options['id']}"

    @classmethod
    def accepts(cls, target: str) -> bool:
        return orcid_id(target) is not None

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        token = os.environ.get(TOKEN_ENV, "").strip()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _page(self, url: str) -> Page:
        """One answer (a refused token is named)."""
        from scholarsync.net.client import HttpStatusError

        headers = self._headers()
        try:
            return self.get(url, expect="json", headers=headers)
        except HttpStatusError as exc:
            if exc.status in (401, 403) and "Authorization" in headers:
                raise SourceError(f"{url}: ORCID refused the token in {TOKEN_ENV} (HTTP "
                                  f"{exc.status}); renew it, or unset it to read the public "
                                  "record without one", url=url) from None
            raise

    def _parsed(self, url: str, parse: Callable[[dict[str, Any]], Answer],
                ident: str) -> tuple[Answer, Page]:
        """``parse`` of one answer's JSON object (from the records cache when the answer is
        unchanged), and the answer; an unusable one is dropped from the HTTP cache."""
        page = self._page(url)
        try:
            return parse_answer(self.context.records, KIND, url, page.text,
                                lambda: parse(parse_json(page.text, url)), ident), page
        except ParseError:
            self.context.http.forget(url)
            raise

    def _bulk(self, ident: str, codes: list[str], url: str,
              problems: list[Problem]) -> tuple[dict[str, Record | Problem], set[str]]:
        """The full works of ``codes`` (a record or problem by put-code), and the put-codes
        not read (beyond the bulk reads allowed, or in a bulk read that failed)."""
        full: dict[str, Record | Problem] = {}
        failed: set[str] = set()
        if len(codes) > BULK_SIZE * MAX_BULK:
            problems.append(Problem("warning", f"ORCID record {ident} lists {len(codes)} works; "
                                    f"the first {BULK_SIZE * MAX_BULK} are read (partial list)",
                                    url, source=KIND))
            failed.update(codes[BULK_SIZE * MAX_BULK:])
        for start in range(0, min(len(codes), BULK_SIZE * MAX_BULK), BULK_SIZE):
            chunk = codes[start:start + BULK_SIZE]
            chunk_url = bulk_url(ident, chunk)
            try:
                answer = self._parsed(chunk_url, partial(bulk_answer, url=chunk_url,
                                                         ident=ident), ident)[0]
            except BlockedError:
                raise  # refused: the whole source stands on its last good data
            except SourceError as exc:
                failed.update(chunk)
                problems.append(Problem("error", f"{len(chunk)} ORCID works not read: {exc}",
                                        chunk_url, source=KIND))
                continue
            full.update((code, item) for code, item in answer.entries
                        if code is not None and isinstance(item, Record | Problem))
            for message in answer.info["errors"]:
                problems.append(Problem("warning", f"ORCID could not give one work in full "
                                        f"({message}); its summary is used", chunk_url,
                                        source=KIND))
        return full, failed

    def _works(self, ident: str) -> tuple[list[Record], list[Problem], bool]:
        url = works_url(ident)
        listed, page = self._parsed(url, partial(summaries_answer, url=url), ident)
        order: list[str] = listed.info["codes"]
        codes = sorted(set(order), key=lambda c: (len(c), c))
        problems: list[Problem] = []
        full, failed = self._bulk(ident, codes, url, problems)
        summaries: list[dict[str, Any]] | None = None
        records: list[Record] = []
        for n, code in enumerate(order):
            if code in failed:
                continue
            item = full.get(code)
            if item is None:  # no full work: its summary (the works document parsed again)
                if summaries is None:
                    summaries = preferred_summaries(parse_json(page.text, url), url)
                item = summary_record(ident, summaries[n])
            if isinstance(item, Record):
                records.append(item)
            else:
                problems.append(item)
        return records, problems, not failed

    def inspect(self, target: str) -> list[Record]:
        ident = orcid_id(target)
        if ident is None:
            raise SourceError(f"{target!r} is not an ORCID iD or orcid.org URL")
        return self._works(ident)[0]

    def read(self) -> SourceResult:
        ident = self.config.options["id"]
        records, problems, complete = self._works(ident)
        detail = "" if complete else "some works could not be read (partial list)"
        return self.result(records, problems, complete=complete, detail=detail,
                           profile={"orcid": ident})

