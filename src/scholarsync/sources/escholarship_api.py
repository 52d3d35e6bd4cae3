"""eScholarship's public GraphQL API (``https://escholarship.org/graphql``), read with GET.

Every query goes out as ``GET /graphql?query=…`` so that the shared client caches each answer
by its URL (a POST would bypass the cache). Two queries are used, with the field names of the
schema in ``eScholarship/escholApi`` ``lib/access/accessSchema.rb``:

* ``item(id: "ark:/13030/qt<id>")`` for the items a config lists, several per request
  (GraphQL aliases ``i0``, ``i1`` … sharing one fragment);
* ``author(id: "<ORCID iD>", scheme: ORCID) { items(first: N, more: CURSOR) }`` for every item
  eScholarship links to an ORCID iD: pages of :data:`PAGE_SIZE`, the opaque ``more`` cursor until
  it is null, at most :data:`MAX_PAGES` pages. ``include`` is sent on every page because the
  server reads it before it decodes the cursor; embargoed items are listed too (their public
  metadata is shown, without a PDF link), withdrawn ones are not.

The DOI is in ``localIDs`` (scheme ``DOI``); there is no ``doi`` field. Titles and abstracts may
hold HTML tags, which are stripped. Author names come as "Last, First" with ``nameParts``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlencode

from scholarsync.core.normalize import (
    latex_escape,
    normalize_doi,
    parse_display_name,
    parse_year,
    person_to_bibtex,
)
from scholarsync.errors import BlockedError, ParseError, SourceError
from scholarsync.model import Origin, Person, Problem, Record
from scholarsync.sources import rules
from scholarsync.sources.answers import Answer, register_error
from scholarsync.sources.base import json_object
from scholarsync.sources.meta import clean_text, html_to_text

KIND = "escholarship"
SITE = "https://escholarship.org"
ENDPOINT = f"{SITE}/graphql"
ARK = "ark:/13030/qt"
PAGE_SIZE = 100  # items per page of an author's listing (the server allows 1..500)
MAX_PAGES = 30  # an author's listing stops there (3,000 items) and is marked partial
ITEMS_PER_QUERY = 20  # configured items asked in one request
AUTHORS_FIRST = 500  # authors per item (the server allows up to 10,000)
INCLUDE = "[PUBLISHED, EMBARGOED]"
_ARK_ID = re.compile(r"^ark:/13030/qt([0-9a-z]{8})$", re.IGNORECASE)

ITEM_FIELDS = f"""id title status type published permalink contentLink embargoExpires
journal volume issue fpage lpage abstract keywords isbn bookTitle proceedings publisher
localIDs {{ id scheme }} units {{ id name type }}
authors(first: {AUTHORS_FIRST}) {{ total nodes {{ name nameParts {{ fname mname lname
organization }} }} }}"""
FRAGMENT = f"fragment I on Item {{ {ITEM_FIELDS} }}"

_TYPES = {"ARTICLE": "article", "CHAPTER": "incollection", "ETD": "phdthesis",
          "MONOGRAPH": "book", "MULTIMEDIA": "misc", "NON_TEXTUAL": "misc"}
_VENUE_UNITS = ("JOURNAL", "SERIES", "MONOGRAPH_SERIES", "SEMINAR_SERIES",
                "CONFERENCE_PROCEEDINGS")

#: (url, parse of the answer's ``data``) -> that parse (see graphql_data; the source may take
#: it from the records cache)
Fetch = Callable[[str, Callable[[dict[str, Any]], Answer]], Answer]


@register_error
class ItemUnavailableError(SourceError):
    """The item exists but has no usable metadata (withdrawn)."""


def item_url(ident: str) -> str:
    """The canonical item page URL (the item's permalink)."""
    return f"{SITE}/uc/item/{ident}"


def _compact(query: str) -> str:
    return " ".join(query.split())


def query_url(query: str) -> str:
    """The GET URL of a GraphQL query (white space collapsed, so the cache key is stable)."""
    return f"{ENDPOINT}?{urlencode({'query': _compact(query)})}"


def _string(value: str) -> str:
    """A GraphQL string literal."""
    return json.dumps(value)


def items_query(idents: list[str]) -> str:
    """One query for several items, aliased ``i0``, ``i1`` … in the order given."""
    parts = [f"i{n}: item(id: {_string(ARK + ident)}) {{ ...I }}" for n, ident in
             enumerate(idents)]
    return "{ " + " ".join(parts) + " } " + FRAGMENT


def author_query(orcid: str, more: str | None = None) -> str:
    """One page of the items eScholarship links to ``orcid``."""
    args = f"more: {_string(more)}" if more else f"first: {PAGE_SIZE}"
    return (f"{{ author(id: {_string(orcid)}, scheme: ORCID) {{ items({args}, include: "
            f"{INCLUDE}) {{ total more nodes {{ ...I }} }} }} }} {FRAGMENT}")


def graphql_data(text: str, url: str) -> dict[str, Any]:
    """The ``data`` object of a GraphQL answer; ParseError for a body that is not one."""
    body = json_object(text, url, "eScholarship API")
    data = body.get("data")
    errors = body.get("errors")
    if errors and not data:
        first = errors[0] if isinstance(errors, list) and errors else errors
        message = first.get("message") if isinstance(first, dict) else first
        raise ParseError(f"{url}: the eScholarship API refused the query: {message}", url=url)
    if not isinstance(data, dict):
        raise ParseError(f"{url}: the eScholarship API answer has no data", url=url)
    return data


def _text(value: Any) -> str:
    return clean_text(str(value)) if isinstance(value, (str, int, float)) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def node_id(node: dict[str, Any]) -> str | None:
    """The 8-character item id of an item node (``ark:/13030/qt<id>``)."""
    match = _ARK_ID.match(_text(node.get("id")))
    return match.group(1).lower() if match else None


def _person(author: dict[str, Any]) -> Person:
    parts = _dict(author.get("nameParts"))
    family = html_to_text(_text(parts.get("lname")))
    given = " ".join(filter(None, (html_to_text(_text(parts.get(k))) for k in ("fname",
                                                                               "mname"))))
    if family:
        return Person(given=given, family=family)
    organization = html_to_text(_text(parts.get("organization")))
    if organization:
        return Person(literal=organization)
    name = html_to_text(_text(author.get("name")))
    if name and "," not in name:
        return Person(literal=name)  # eScholarship writes people "Last, First": a group
    return parse_display_name(name)


def _authors(node: dict[str, Any]) -> tuple[list[Person], bool]:
    block = _dict(node.get("authors"))
    people = [_person(a) for a in _list(block.get("nodes")) if isinstance(a, dict)]
    people = [p for p in people if p != Person()]
    total = block.get("total")
    truncated = isinstance(total, int) and total > len(people)
    return people, truncated


def _venue_unit(node: dict[str, Any]) -> tuple[str, str]:
    """(name, type) of the first unit that is a journal, series or proceedings."""
    for unit in _list(node.get("units")):
        unit = _dict(unit)
        if _text(unit.get("type")) in _VENUE_UNITS and _text(unit.get("name")):
            return _text(unit.get("name")), _text(unit.get("type"))
    return "", ""


def _doi(node: dict[str, Any]) -> str | None:
    for local in _list(node.get("localIDs")):
        local = _dict(local)
        if _text(local.get("scheme")) == "DOI":
            found = normalize_doi(_text(local.get("id")))
            if found:
                return found
    return None


def node_record(node: dict[str, Any]) -> Record:
    """One ``Item`` node to a Record, like the item page parser's (same key, ids, fields).

    Raises ItemUnavailableError for a withdrawn item and ParseError for a node without an id
    or title. An embargoed item keeps its metadata; ``extra["embargoed_until"]`` says so."""
    ident = node_id(node)
    if ident is None:
        raise ParseError(f"eScholarship API item without an ark id: {node.get('id')!r}")
    url = item_url(ident)
    permalink = _text(node.get("permalink"))
    if permalink.startswith(SITE + "/uc/item/"):
        url = permalink  # the same URL in production; the canonical one otherwise
    status = _text(node.get("status")).upper() or "PUBLISHED"
    if status == "WITHDRAWN":
        raise ItemUnavailableError(f"eScholarship item {ident} has been withdrawn (no metadata "
                                   "published)", url=url)
    title = html_to_text(_text(node.get("title")))
    if not title:
        raise ParseError(f"eScholarship item {ident} has no title in the API answer", url=url)
    authors, truncated = _authors(node)
    unit_name, unit_type = _venue_unit(node)
    proceedings = _text(node.get("proceedings"))
    entry_type = _TYPES.get(_text(node.get("type")).upper(), "article")
    if proceedings or unit_type == "CONFERENCE_PROCEEDINGS":
        entry_type = "inproceedings"
    book = html_to_text(_text(node.get("bookTitle")))
    venue = next(filter(None, (html_to_text(_text(node.get("journal"))), proceedings,
                               book if entry_type == "incollection" else "", unit_name)), "")
    date = _text(node.get("published"))
    year = parse_year(date)
    volume, issue = _text(node.get("volume")), _text(node.get("issue"))
    first, last = _text(node.get("fpage")), _text(node.get("lpage"))
    pages = (f"{latex_escape(first)}--{latex_escape(last)}" if first and last and first != last
             else latex_escape(first or last))
    doi = _doi(node)
    abstract = html_to_text(_text(node.get("abstract")))
    keywords = [w for w in dict.fromkeys(html_to_text(_text(k)) for k in
                                         _list(node.get("keywords"))) if w]
    embargo = _text(node.get("embargoExpires")) if status == "EMBARGOED" else None
    pdf = _text(node.get("contentLink")) if embargo is None else ""

    fields = {"title": latex_escape(title), "url": url}
    if authors:
        fields["author"] = " and ".join(person_to_bibtex(a) for a in authors) + (
            " and others" if truncated else "")
    if year:
        fields["year"] = str(year)
    if venue:
        venue_field = {"inproceedings": "booktitle", "incollection": "booktitle",
                       "phdthesis": "school"}.get(entry_type, "journal")
        if entry_type == "book":
            venue_field = "series"
        fields[venue_field] = latex_escape(venue)
    if pages:
        fields["pages"] = pages  # already in BibTeX form (an en dash is --)
    for name, value in (("volume", volume), ("number", issue),
                        ("isbn", _text(node.get("isbn"))),
                        ("publisher", _text(node.get("publisher")))):
        if value:
            fields[name] = latex_escape(value)
    if doi:
        fields["doi"] = doi  # verbatim field: not escaped, like url
    if keywords:
        fields["keywords"] = latex_escape(", ".join(keywords))

    ids = {"escholarship": ident}
    if doi:
        ids["doi"] = doi
    links = {"escholarship": url, **rules().id_links({"doi": doi} if doi else {})}
    if pdf:
        links["pdf"] = pdf if pdf.startswith(("http://", "https://")) else (
            SITE + "/" + pdf.lstrip("/"))
    extra: dict[str, Any] = {}
    if date and date != str(year):
        extra["date"] = date
    if embargo is not None:
        extra["embargoed_until"] = embargo
    return Record(source=KIND, origin=Origin(KIND, url), key=f"{KIND}:{ident}", type=entry_type,
                  fields=fields, title=title, authors=authors, authors_truncated=truncated,
                  year=year, venue=venue, ids=ids, links=links, abstract=abstract,
                  keywords=keywords, extra=extra)


@dataclass
class Listing:
    """What an author's listing yielded: records, per-item problems, and whether it is whole."""

    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    complete: bool = True
    pages: int = 0
    ids: set[str] = field(default_factory=set)  # distinct item ids listed so far
    urls: list[str] = field(default_factory=list)  # the pages read, in order
    bad_urls: list[str] = field(default_factory=list)  # answers not to keep in the cache


def listing_answer(data: dict[str, Any], url: str) -> Answer:
    """One page of an author's listing: its nodes' records or problems (by item id, in
    order) and, in ``info``, whether the author is known, the node count, cursor and total."""
    answer = Answer()
    author = data.get("author")
    if author is None:
        answer.info["author"] = False
        return answer
    items = _dict(_dict(author).get("items"))
    nodes = _list(items.get("nodes"))
    answer.info.update(author=True, nodes=len(nodes), more=_text(items.get("more")) or None,
                       total=items.get("total"))
    for node in nodes:
        if not isinstance(node, dict):
            answer.add(Problem("error", "an item of the eScholarship API answer is not an "
                               "object", url, source=KIND))
            continue
        ident = node_id(node)
        try:
            answer.add(node_record(node), ident)
        except SourceError as exc:
            answer.add(Problem("error", str(exc), exc.url or url, source=KIND), ident)
    return answer


def _node_records(answer: Answer, listing: Listing) -> None:
    for ident, item in answer.entries:
        if ident is not None:
            if ident in listing.ids:
                continue  # a cursor that repeats items
            listing.ids.add(ident)
        if isinstance(item, Record):
            listing.records.append(item)
        elif isinstance(item, Problem):
            listing.problems.append(item)


def _stop(listing: Listing, message: str, url: str, level: str = "error") -> Listing:
    """End the listing as partial. After an error no page of it is kept in the cache: the
    next run reads the whole chain again rather than a cursor that led astray."""
    listing.complete = False
    listing.problems.append(Problem(level, message, url, source=KIND))
    if level == "error":
        listing.bad_urls = list(dict.fromkeys([*listing.urls, url]))
    return listing


def author_listing(fetch: Fetch, orcid: str) -> Listing:
    """Every item eScholarship links to ``orcid``, page by page (see module doc).

    A page that fails after the first ends the listing as partial (an error problem, records
    so far kept); the first page's failure is raised. Answers that parse but cannot be used
    (an empty page with a cursor, a cursor seen before) are named in ``bad_urls``."""
    listing = Listing()
    seen: set[str] = set()
    more: str | None = None
    while True:
        url = query_url(author_query(orcid, more))
        if listing.pages >= MAX_PAGES:
            return _stop(listing, f"eScholarship listing of {orcid} stopped after "
                         f"{MAX_PAGES} pages of {PAGE_SIZE} items (partial list)", url,
                         level="warning")
        try:
            answer = fetch(url, partial(listing_answer, url=url))
        except SourceError as exc:
            if listing.pages == 0:
                raise
            return _stop(listing, f"eScholarship listing of {orcid} broke off after "
                         f"{listing.pages} pages: {exc}", url)
        listing.pages += 1
        if not answer.info["author"]:
            return _stop(listing, f"eScholarship links no item to ORCID iD {orcid}", url,
                         level="warning")
        more = answer.info["more"]
        total = answer.info["total"]
        listing.urls.append(url)
        if not answer.info["nodes"] and (more or (listing.pages == 1 and (total or 0) > 0)):
            return _stop(listing, f"eScholarship API sent an empty page of {orcid}'s items "
                         f"(page {listing.pages}); list kept partial", url)
        _node_records(answer, listing)
        if more is not None and more in seen:
            return _stop(listing, f"eScholarship API repeated a cursor of {orcid}'s items "
                         f"(page {listing.pages}); list kept partial", url)
        if more is None or (isinstance(total, int) and len(listing.ids) >= total):
            return listing  # (a full last page carries a cursor to an empty one: not asked)
        seen.add(more)


def items_answer(data: dict[str, Any], idents: list[str]) -> Answer:
    """The answer of an ``item`` query for ``idents``: a Record or a SourceError per id."""
    answer = Answer()
    for n, ident in enumerate(idents):
        node = data.get(f"i{n}")
        if not isinstance(node, dict):
            answer.add(SourceError(f"the eScholarship API knows no item {ident}",
                                   url=item_url(ident)), ident)
            continue
        try:
            record = node_record(node)
        except SourceError as exc:
            answer.add(exc, ident)
            continue
        if record.ids["escholarship"] != ident:
            record.extra["requested_id"] = ident
        answer.add(record, ident)
    return answer


def fetch_items(fetch: Fetch, idents: list[str]) -> tuple[dict[str, Record],
                                                          dict[str, SourceError]]:
    """Records of ``idents`` through ``item`` queries, :data:`ITEMS_PER_QUERY` per request.

    Returns (records by id, per-item errors by id). An item the API does not know gets a
    SourceError of its own; so does every item of a request that failed (the caller reads
    their pages instead). A block is raised: nothing more is asked of the host."""
    records: dict[str, Record] = {}
    errors: dict[str, SourceError] = {}
    for start in range(0, len(idents), ITEMS_PER_QUERY):
        chunk = idents[start:start + ITEMS_PER_QUERY]
        try:
            answer = fetch(query_url(items_query(chunk)),
                           partial(items_answer, idents=chunk))
        except BlockedError:
            raise
        except SourceError as exc:
            errors.update((ident, exc) for ident in chunk)
            continue
        for ident, item in zip(chunk, (item for _, item in answer.entries), strict=True):
            if isinstance(item, Record):
                records[ident] = item
            elif isinstance(item, SourceError):
                errors[ident] = item
    return records, errors
