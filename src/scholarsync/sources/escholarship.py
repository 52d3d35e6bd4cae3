"""eScholarship: its GraphQL API first (:mod:`scholarsync.sources.escholarship_api`), item
pages (``citation_*`` meta tags plus jschol's embedded page data) as the fallback.

Config (``[[sources]] kind = "escholarship"``)::

    items = ["https://escholarship.org/uc/item/91z2p9h1", "5cz2v6d5",
             "https://escholarship.org/content/qt5cz2v6d5/qt5cz2v6d5.pdf"]
    author = "0000-0002-1825-0097"   # optional: every item eScholarship links to this iD

Every item input is mapped to the 8-character item id. The API answers for all of them
(``item`` queries, several per request) and for the author's listing (cursor paging). When the
API fails for an item (an error status, a timeout, a malformed answer, an item it does not
know), that item's page ``https://escholarship.org/uc/item/<id>`` is read instead. Item pages
sit behind a web application firewall: a 403 from the host, or a 202 with an empty body, is a
block (:class:`~scholarsync.errors.BlockedError`: exit 3, the last good data stays), never
"no data"; a block of the API is not followed by page requests (same host).

Two data sets on an item page are read, each optional:

* the meta tags (``citation_*`` by ``name`` or ``property``, then ``dc.*`` and ``og:*``), and
* the JSON assigned to ``window.jscholApp_initialPageData`` inside a ``<script>`` element (the
  full author list, unit, DOI, abstract, status). Page data wins where both have a value.

Item states (from jschol's ItemPage / TabMainComp, and the API's ``status``): "withdrawn" (the
page then has a ``robots noindex`` tag and no citation tags) is a per-item error; "embargoed"
(with ``attrs.embargo_date`` / ``embargoExpires``; the HTML shows
``o-itemunavailable__embargoed``) keeps the public metadata, drops the PDF link and is reported
as a warning.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scholarsync.core.normalize import (
    latex_escape,
    normalize_doi,
    parse_display_name,
    parse_year,
    person_to_bibtex,
)
from scholarsync.errors import BlockedError, ParseError, SourceError
from scholarsync.model import IdentifierSpec, Origin, Person, Problem, Record, SourceResult
from scholarsync.sources import escholarship_api as api
from scholarsync.sources import rules
from scholarsync.sources.answers import Answer, parse_answer
from scholarsync.sources.base import BlockRule, WebSource
from scholarsync.sources.escholarship_api import ItemUnavailableError
from scholarsync.sources.meta import (
    MetaTags,
    clean_text,
    html_to_text,
    parse_html,
    read_meta,
)

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

    from scholarsync.config import OptionReader

__all__ = ["EscholarshipSource", "ItemUnavailableError", "item_id", "item_url",
           "parse_item_page"]

log = logging.getLogger("scholarsync.sources.escholarship")

KIND = "escholarship"
SITE = "https://escholarship.org"
_ID = r"[0-9a-z]{8}"
_BARE = re.compile(rf"(?:qt)?({_ID})", re.IGNORECASE)
_ITEM = re.compile(rf"^(?:https?://)?(?:www\.)?escholarship\.org/uc/item/(?:qt)?({_ID})"
                   r"(?:[/?#].*)?$", re.IGNORECASE)
_PDF = re.compile(rf"^(?:https?://)?(?:www\.)?escholarship\.org/content/qt({_ID})/qt\1"
                  r"(?:_noSplash_[0-9a-f]{32})?\.pdf(?:[?#].*)?$", re.IGNORECASE)
_ARK = re.compile(rf"^(?:https?://n2t\.net/)?ark:/?13030/qt({_ID})$", re.IGNORECASE)
_ASSIGN = re.compile(r"window\.jscholApp_initialPageData\s*=\s*")


def item_id(value: str) -> str | None:
    """The canonical 8-character id of an item URL, PDF URL, ark, ``qt`` id or bare id."""
    text = value.strip()
    for pattern in (_ITEM, _PDF, _ARK):
        match = pattern.match(text)
        if match:
            return match.group(1).lower()
    match = _BARE.fullmatch(text)
    return match.group(1).lower() if match else None


def item_url(ident: str) -> str:
    """The canonical item page URL."""
    return f"{SITE}/uc/item/{ident}"


def page_data(soup: BeautifulSoup) -> dict[str, Any] | None:
    """The object assigned to ``window.jscholApp_initialPageData`` in a ``<script>``."""
    decoder = json.JSONDecoder()
    for script in soup.find_all("script"):
        text = script.string or script.get_text()
        match = _ASSIGN.search(text)
        if not match:
            continue
        try:
            data, _ = decoder.raw_decode(text, match.end())
        except ValueError:
            continue  # cut or malformed: fall back to the meta tags
        if isinstance(data, dict):
            return data
    return None


def _dig(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value: Any) -> str:
    return clean_text(str(value)) if isinstance(value, (str, int, float)) else ""


def _absolute(url: str) -> str:
    return url if re.match(r"https?://", url) else SITE + "/" + url.lstrip("/")


def _authors(data: dict[str, Any] | None, meta: MetaTags) -> list[Person]:
    people: list[Person] = []
    for author in (_dig(data, "authors") or []) if data else []:
        if not isinstance(author, dict):
            continue
        family, given = _text(author.get("lname")), _text(author.get("fname"))
        if family:
            people.append(Person(given=given, family=family))
        elif _text(author.get("name")):
            people.append(parse_display_name(html_to_text(author["name"])))
    if not people:
        names = meta.all("citation_author") or meta.all("dc.creator")
        people = [parse_display_name(n) for n in names]
    return [p for p in people if p != Person()]


def _first(*values: Any) -> str:
    for value in values:
        text = _text(value)
        if text:
            return text
    return ""


def _keywords(data: dict[str, Any] | None, meta: MetaTags) -> list[str]:
    found = _dig(data, "attrs", "keywords")
    if isinstance(found, list):
        words = [html_to_text(str(k)) for k in found]
    else:
        raw = meta.first("citation_keywords", "keywords", "dc.subject") or ""
        words = [clean_text(k) for k in re.split(r"[;,]", raw)]
    return [w for w in dict.fromkeys(words) if w]


def _embargo(soup: BeautifulSoup, data: dict[str, Any] | None) -> str | None:
    """The embargo date ("" when unknown) of an embargoed item, else None."""
    if data is not None:
        if str(data.get("status", "")).lower() == "embargoed":
            return _text(_dig(data, "attrs", "embargo_date"))
        return None
    return "" if soup.select_one(".o-itemunavailable__embargoed") else None


def parse_item_page(html: str, url: str, ident: str | None = None) -> Record:
    """One item page to a Record. ``url`` is the canonical URL it was read from.

    Raises ItemUnavailableError for a withdrawn item and ParseError for a page without a
    title. An embargoed item keeps its metadata; ``extra["embargoed_until"]`` says so.
    """
    soup = parse_html(html)
    meta = read_meta(soup)
    data = page_data(soup)
    ident = ident or item_id(url) or _text(_dig(data, "id")) or None
    status = str((data or {}).get("status", "")).lower()
    if "withdrawn" in status or ("noindex" in meta.robots and not meta.has_prefix("citation_")):
        raise ItemUnavailableError(f"eScholarship item {ident or url} has been withdrawn "
                                   "(no metadata published)", url=url)
    title = html_to_text(_first(_dig(data, "title"), _dig(data, "citation", "title"))) or (
        meta.first("citation_title", "dc.title", "og:title") or "")
    if not title:
        raise ParseError(f"no title found on eScholarship item page {url} (neither meta tags "
                         "nor page data): not an item page, or the page is cut", url=url)
    ident = ident or "unknown"
    authors = _authors(data, meta)
    ext = _dig(data, "attrs", "ext_journal")
    ext = ext if isinstance(ext, dict) else {}
    unit = _dig(data, "unit")
    unit = unit if isinstance(unit, dict) else {}
    unit_name = _text(unit.get("name")) if unit.get("type") in (None, "journal", "series") else ""
    conference = meta.get("citation_conference_title") or ""
    venue = _first(ext.get("name"), unit_name, meta.get("citation_journal_title"), conference)
    date = _first(_dig(data, "published"), meta.get("citation_publication_date"),
                  meta.get("citation_date"), meta.get("dc.date"))
    volume = _first(ext.get("volume"), _dig(data, "citation", "volume"),
                    meta.get("citation_volume"))
    issue = _first(ext.get("issue"), _dig(data, "citation", "issue"), meta.get("citation_issue"))
    doi = normalize_doi(_first(_dig(data, "attrs", "doi"), _dig(data, "citation", "doi"),
                               meta.get("citation_doi"), meta.get("dc.identifier")))
    abstract = html_to_text(_first(_dig(data, "attrs", "abstract"))) or (
        meta.first("citation_abstract", "dc.description") or "")
    embargo = _embargo(soup, data)
    pdf = ""
    if embargo is None and not (data or {}).get("download_restricted"):
        pdf = _first(_dig(data, "pdf_url"), meta.get("citation_pdf_url"))
    proceedings = bool(conference) or "proceedings" in venue.lower()
    entry_type = "inproceedings" if proceedings else "article"
    if _text(_dig(data, "genre")) == "dissertation":
        entry_type = "phdthesis"

    link = item_url(ident)
    fields = {"title": latex_escape(title), "url": link}
    if authors:
        fields["author"] = " and ".join(person_to_bibtex(a) for a in authors)
    year = parse_year(date)
    if year:
        fields["year"] = str(year)
    if venue:
        fields["booktitle" if entry_type == "inproceedings" else "journal"] = latex_escape(venue)
    if volume:
        fields["volume"] = latex_escape(volume)
    if issue:
        fields["number"] = latex_escape(issue)
    if doi:
        fields["doi"] = doi  # verbatim field: not escaped, like url
    keywords = _keywords(data, meta)
    if keywords:
        fields["keywords"] = latex_escape(", ".join(keywords))

    ids = {"escholarship": ident}
    if doi:
        ids["doi"] = doi
    links = rules().id_links(ids)
    if pdf:
        links["pdf"] = _absolute(pdf)
    extra: dict[str, Any] = {}
    if date and date != str(year):
        extra["date"] = date
    if embargo is not None:
        extra["embargoed_until"] = embargo
    return Record(source=KIND, origin=Origin(KIND, url), key=f"{KIND}:{ident}", type=entry_type,
                  fields=fields, title=title, authors=authors, year=year, venue=venue,
                  ids=ids, links=links, abstract=abstract, keywords=keywords, extra=extra)


def _same_kind(exc: SourceError, message: str) -> SourceError:
    """An error of the same class as ``exc`` (so the report names the cause) with ``message``."""
    try:
        return type(exc)(message, url=exc.url)
    except TypeError:
        return SourceError(message, url=exc.url)


def _item_id(value: str) -> str | None:
    return item_id(value)


IDENTIFIER = IdentifierSpec("escholarship", exclusive=True, link=f"{SITE}/uc/item/{{id}}",
                            label="eScholarship", listed=True, landing=True,
                            parse=_item_id)


class EscholarshipBlocks(BlockRule):
    """eScholarship's firewall: a 403 from its host is a refusal, never "no such item" (a
    browser-like client gets a 202 with an empty body instead, which the transport already
    treats as a block)."""

    def applies(self, host: str) -> bool:
        return host == "escholarship.org" or host.endswith(".escholarship.org")

    def response(self, url: str, status: int, headers: dict[str, str]) -> str | None:
        if status == 403:
            return "HTTP 403 Forbidden from eScholarship's web application firewall"
        return None


class EscholarshipSource(WebSource):
    """Items in ``options["items"]`` and, with ``author``, every item eScholarship links to
    that ORCID iD: through the GraphQL API first, item pages when the API fails."""

    kind = KIND
    rank = 50
    optional = ("items", "author")
    identifiers = (IDENTIFIER,)
    block_rules = (EscholarshipBlocks(),)

    @classmethod
    def owner_page(cls, options: dict[str, Any]) -> str | None:
        return f"https://orcid.org/{options['author']}" if options.get("author") else None

    @classmethod
    def parse_options(cls, table: OptionReader) -> dict[str, Any]:
        from scholarsync.sources.orcid import orcid_id

        options: dict[str, Any] = {}
        if table.get("items") is not None:
            options["items"] = table.strings("items", nonempty=True)
        raw = table.string("author").strip() if table.get("author") is not None else ""
        if raw:
            found = orcid_id(raw)
            if found is None:
                raise table.error("author", f"{raw!r} is not an ORCID iD (16 digits as "
                                  "0000-0002-1825-0097, or its https://orcid.org/ URL)")
            options["author"] = found
        if not options:
            raise table.error("items", "give items (item URLs or ids), author (an ORCID iD), "
                              "or both")
        return options

    @classmethod
    def accepts(cls, target: str) -> bool:
        return item_id(target) is not None

    # -- API ---------------------------------------------------------------------------------
    def _api(self, url: str, parse: Callable[[dict[str, Any]], Answer]) -> Answer:
        """``parse`` of one GraphQL answer's ``data`` (from the records cache when the answer
        is unchanged); an unusable answer is dropped from the HTTP cache."""
        page = self.get(url, expect="json", headers={"Accept": "application/json"})
        try:
            return parse_answer(self.context.records, KIND, url, page.text,
                                lambda: parse(api.graphql_data(page.text, url)))
        except ParseError:
            self.context.http.forget(url)
            raise

    # -- item pages (the fallback) -----------------------------------------------------------
    def _fetch(self, ident: str) -> tuple[Record, Any]:
        url = item_url(ident)
        page = self.get(url)
        final = item_id(page.final_url) or ident

        def parse() -> Answer:
            return Answer([(final, parse_item_page(page.text, item_url(final), final))])

        # the page parsed, or its parse from the records cache (a page that is no item raises)
        [(_, record)] = parse_answer(self.context.records, KIND, url, page.text, parse,
                                     final).entries
        assert isinstance(record, Record)
        if page.redirects:
            record.extra["redirects"] = list(page.redirects)
        if final != ident:
            record.extra["requested_id"] = ident
        return record, page

    def _items(self, idents: list[str]) -> tuple[dict[str, Record], dict[str, SourceError]]:
        """Records of ``idents``: the API, then the page of each item the API did not give.
        A block of the API is raised: the pages are on the same host."""
        records, errors = api.fetch_items(self._api, idents)
        for ident in [i for i in idents if i in errors]:
            why = str(errors[ident])
            log.info("eScholarship API gave no item %s (%s); reading its page", ident,
                     why if len(why) <= 200 else why[:200] + "…")
            if isinstance(errors[ident], ItemUnavailableError):
                continue  # withdrawn: the page says no more
            try:
                records[ident] = self._fetch(ident)[0]
            except BlockedError:
                if records:  # what the API gave stands; the rest is reported
                    errors[ident] = SourceError(f"item {ident}: page refused by the site "
                                                "(blocked)", url=item_url(ident))
                    continue
                raise
            except SourceError as exc:
                errors[ident] = exc
                continue
            del errors[ident]
        return records, errors

    def inspect(self, target: str) -> list[Record]:
        ident = item_id(target)
        if ident is None:
            raise SourceError(f"{target!r} is not an eScholarship item URL, PDF URL or id")
        records, errors = self._items([ident])
        if ident in errors:
            raise errors[ident]
        return [records[ident]]

    def read(self) -> SourceResult:
        records: list[Record] = []
        problems: list[Problem] = []
        failures: list[SourceError] = []
        complete = True
        author = self.config.options.get("author")
        if author:
            try:
                listing = api.author_listing(self._api, author)
            except BlockedError:
                raise
            except SourceError as exc:
                if not self.config.options.get("items"):
                    raise
                failures.append(exc)
                problems.append(Problem("error", f"listing of ORCID iD {author} failed: {exc}",
                                        exc.url, source=KIND))
                complete = False
            else:
                for url in listing.bad_urls:
                    self.context.http.forget(url)
                records.extend(listing.records)
                problems.extend(listing.problems)
                complete = listing.complete
        have = {r.ids["escholarship"] for r in records}
        listed = [(raw, item_id(raw)) for raw in self.config.options.get("items", ())]
        wanted = list(dict.fromkeys(i for _, i in listed if i is not None and i not in have))
        found, errors = self._items(wanted) if wanted else ({}, {})
        for raw, ident in listed:
            if ident is None:
                failures.append(SourceError(f"not an eScholarship item URL or id: {raw!r}"))
                problems.append(Problem("error", str(failures[-1]), raw, source=KIND))
            elif ident in found and ident not in have:
                records.append(found[ident])
                have.add(ident)
            elif ident in errors:
                failures.append(errors.pop(ident))
                problems.append(Problem("error", str(failures[-1]), item_url(ident),
                                        source=KIND))
        for record in records:
            if "embargoed_until" in record.extra:
                ident = record.ids["escholarship"]
                until = record.extra["embargoed_until"] or "an unknown date"
                problems.append(Problem("warning", f"item {ident} is under embargo until "
                                        f"{until}: metadata used, no PDF link", item_url(ident),
                                        source=KIND))
        if failures and not records:
            first = failures[0]
            message = (f"every eScholarship item failed ({len(failures)}); first: {first}"
                       if len(failures) > 1 else str(first))
            raise _same_kind(first, message)
        detail = (f"{len(failures)} of {len(failures) + len(records)} items failed"
                  if failures else "")
        return self.result(records, problems, complete=complete, detail=detail)
