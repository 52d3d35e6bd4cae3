"""Writers of the merged library: BibTeX, CSL-JSON and the JSON of CONTRACT §6.

Every writer is deterministic: the same publications give the same bytes (entries in the given
order, fields in a fixed order, no timestamps). The BibTeX writer is hand-written (a string
join per entry) and guarantees a file that re-parses: values are written in braces, with
unbalanced braces, a trailing backslash or a line starting with ``@`` neutralized.
"""

from __future__ import annotations

import json
import re
from typing import Any

from scholarsync.core.normalize import (
    latex_escape,
    latex_to_unicode,
    normalize_arxiv,
    normalize_doi,
    parse_year,
    person_to_bibtex,
)
from scholarsync.model import Person, Publication

#: Conventional field order; any other field follows, alphabetically.
FIELD_ORDER = (
    "ids", "author", "editor", "title", "subtitle", "booktitle", "journal", "journaltitle",
    "series", "edition", "volume", "number", "issue", "pages", "chapter", "publisher",
    "organization", "institution", "school", "address", "location", "howpublished", "month",
    "year", "date", "isbn", "issn", "doi", "eprint", "archiveprefix", "eprinttype",
    "primaryclass", "eprintclass", "url", "urldate", "note",
)
_RANK = {name: i for i, name in enumerate(FIELD_ORDER)}
_AT_LINE = re.compile(r"\n([ \t]*@\w*[ \t]*[{(])")
_BRACE = re.compile(r"\\*[{}]")


# -- BibTeX ----------------------------------------------------------------------------------

def to_bibtex(pubs: list[Publication]) -> str:
    """The publications as one BibTeX file, entries in the given order."""
    return "\n".join(bibtex_entry(pub) for pub in pubs)


def bibtex_entry(pub: Publication) -> str:
    """One ``@type{key, …}`` entry, ending in a newline."""
    fields = entry_fields(pub)
    names = sorted(fields, key=lambda n: (_RANK.get(n, len(_RANK)), n))
    body = "".join(f"  {name} = {{{safe_value(fields[name])}}},\n" for name in names)
    return f"@{pub.type or 'misc'}{{{pub.key},\n{body}}}\n"


def entry_fields(pub: Publication) -> dict[str, str]:
    """The BibTeX fields to write: the merged fields, identifiers normalized, gaps filled
    from display values and other sources' identifiers and links."""
    fields = {name: value for name, value in pub.fields.items() if name != "ids" and value}
    if pub.aliases:
        fields["ids"] = ", ".join(pub.aliases)
    if "author" not in fields and pub.authors:
        fields["author"] = " and ".join(person_to_bibtex(p) for p in pub.authors)
    if "author" in fields and pub.authors_truncated and not fields["author"].rstrip().endswith(
            "others"):
        fields["author"] += " and others"
    if "title" not in fields and pub.title:
        fields["title"] = latex_escape(pub.title)
    if "year" not in fields and "date" not in fields and pub.year:
        fields["year"] = str(pub.year)
    if pub.venue and not any(n in fields for n in ("journal", "booktitle", "journaltitle")):
        venue_field = _venue_field(pub.type)
        if venue_field and venue_field not in fields:
            fields[venue_field] = latex_escape(pub.venue)
    doi = normalize_doi(fields.get("doi")) or pub.ids.get("doi")
    if doi:
        fields["doi"] = doi
    arxiv = pub.ids.get("arxiv")
    if "eprint" in fields:
        prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
        pinned = normalize_arxiv(fields["eprint"]) if prefix == "arxiv" else None
        if pinned:
            fields["eprint"] = pinned
    elif arxiv:
        fields["eprint"] = arxiv
        fields["archiveprefix"] = "arXiv"
    if "url" not in fields:
        url = pub.links.get("url") or pub.links.get("escholarship")
        if url:
            fields["url"] = url
    return fields


def _venue_field(entry_type: str) -> str | None:
    if entry_type == "article":
        return "journal"
    if entry_type in ("inproceedings", "conference", "incollection", "inbook"):
        return "booktitle"
    if entry_type in ("misc", "unpublished", "online"):
        return "howpublished"
    return None


def safe_value(value: str) -> str:
    """``value`` made safe inside ``{…}``: balanced braces whether or not ``\\{`` counts (it
    does for BibTeX, not for bibtexparser), no trailing backslash, no line starting with ``@``.
    Values read from a .bib file pass through unchanged."""
    if "\n" in value and _AT_LINE.search(value):
        value = _AT_LINE.sub(r" \1", value)
    if "{" in value or "}" in value:
        value = _balance(value)
    if value.endswith("\\"):
        value += " "
    return value


def _balance(value: str) -> str:
    """Replace unmatched braces by ``\\textbraceleft{}`` / ``\\textbraceright{}``. Braces
    after a backslash (which bibtexparser does not count, but BibTeX does) and plain braces
    are matched separately, so the result is balanced under both rules."""
    tokens = list(_BRACE.finditer(value))
    unmatched: set[int] = set()
    stacks: dict[bool, list[int]] = {False: [], True: []}
    for i, match in enumerate(tokens):
        text = match.group()
        escaped = len(text) > 1
        if text.endswith("{"):
            stacks[escaped].append(i)
        elif stacks[escaped]:
            stacks[escaped].pop()
        else:
            unmatched.add(i)
    unmatched.update(stacks[False] + stacks[True])
    if not unmatched:
        return value
    out: list[str] = []
    last = 0
    for i in sorted(unmatched):
        match = tokens[i]
        slashes = match.group()[:-1]
        if len(slashes) % 2:  # "\{": the backslash escaped the brace; "\\{" is a line break
            slashes = slashes[:-1]
        word = r"\textbraceleft{}" if match.group().endswith("{") else r"\textbraceright{}"
        out.append(value[last:match.start()] + slashes + word)
        last = match.end()
    out.append(value[last:])
    return "".join(out)


# -- JSON (CONTRACT §6) ----------------------------------------------------------------------

_MAIN_IDS = ("doi", "arxiv", "escholarship", "scholar")


def publication_json(pub: Publication) -> dict[str, Any]:
    """One publication as the JSON object of CONTRACT §6 (plus aliases and read dates)."""
    authors = [p.display for p in pub.authors if not p.is_others]
    if pub.authors_truncated:
        authors.append("others")
    ids: dict[str, str | None] = {name: pub.ids.get(name) for name in _MAIN_IDS}
    ids.update(sorted((k, v) for k, v in pub.ids.items() if k not in _MAIN_IDS))
    return {
        "key": pub.key,
        "type": pub.type,
        "title": pub.title,
        "authors": authors,
        "year": pub.year,
        "venue": pub.venue,
        "ids": ids,
        "links": dict(sorted(pub.links.items())),
        "citations": dict(sorted(pub.citations.items())),
        "citations_read": dict(sorted(pub.citations_read.items())),
        "sources": list(pub.sources),
        "aliases": list(pub.aliases),
    }


def to_json(pubs: list[Publication]) -> str:
    """A JSON array of :func:`publication_json` objects."""
    return _dump([publication_json(p) for p in pubs])


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# -- CSL-JSON --------------------------------------------------------------------------------

CSL_TYPES = {
    "article": "article-journal", "inproceedings": "paper-conference",
    "conference": "paper-conference", "proceedings": "book", "book": "book",
    "inbook": "chapter", "incollection": "chapter", "phdthesis": "thesis",
    "mastersthesis": "thesis", "thesis": "thesis", "techreport": "report", "report": "report",
    "unpublished": "manuscript", "manual": "report", "online": "webpage", "patent": "patent",
    "dataset": "dataset", "software": "software", "misc": "article",
}
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def _csl_name(person: Person) -> dict[str, str]:
    if person.literal:
        return {"literal": person.literal}
    name = {"family": person.family}
    if person.given:
        name["given"] = person.given
    if person.von:
        name["non-dropping-particle"] = person.von
    if person.jr:
        name["suffix"] = person.jr
    return name


def _month(value: str) -> int | None:
    value = value.strip().strip("{}").lower()
    if value.isdigit() and 1 <= int(value) <= 12:
        return int(value)
    return _MONTHS.get(value[:3])


def csl_item(pub: Publication) -> dict[str, Any]:
    """One publication as a CSL-JSON item."""
    fields = pub.fields
    item: dict[str, Any] = {"id": pub.key, "type": CSL_TYPES.get(pub.type, "document")}
    if pub.title:
        item["title"] = pub.title
    authors = [_csl_name(p) for p in pub.authors if not p.is_others]
    if authors:
        item["author"] = authors
    year = pub.year or parse_year(fields.get("date"))
    if year:
        parts = [year]
        month = _month(fields.get("month", ""))
        if month:
            parts.append(month)
        item["issued"] = {"date-parts": [parts]}
    if pub.venue:
        item["container-title"] = pub.venue
    for name, csl in (("volume", "volume"), ("number", "issue"), ("pages", "page"),
                      ("publisher", "publisher"), ("address", "publisher-place"),
                      ("edition", "edition"), ("isbn", "ISBN"), ("issn", "ISSN")):
        if fields.get(name):
            item[csl] = latex_to_unicode(fields[name]).replace("–", "-")
    if pub.ids.get("doi"):
        item["DOI"] = pub.ids["doi"]
    url = (fields.get("url") or pub.links.get("url") or pub.links.get("escholarship")
           or pub.links.get("doi"))
    if url:
        item["URL"] = url
    if isinstance(pub.extra.get("abstract"), str):
        item["abstract"] = pub.extra["abstract"]
    return item


def to_csl_json(pubs: list[Publication]) -> str:
    """A CSL-JSON array (citeproc input) of the publications."""
    return _dump([csl_item(p) for p in pubs])
