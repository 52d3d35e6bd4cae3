"""The CSL-JSON export (``[outputs] csl_json``): citeproc input for Pandoc, Zotero, Hugo."""

from __future__ import annotations

from typing import Any

from scholarsync.core.normalize import latex_to_unicode, month_number, parse_year
from scholarsync.model import Person, Publication
from scholarsync.outputs.base import SingleFileOutput, landing_page
from scholarsync.outputs.json import dump_json, dump_json_items, json_item
from scholarsync.outputs.memo import Memos, rules_fingerprint
from scholarsync.sources import rules

CSL_TYPES = {
    "article": "article-journal", "inproceedings": "paper-conference",
    "conference": "paper-conference", "proceedings": "book", "book": "book",
    "inbook": "chapter", "incollection": "chapter", "phdthesis": "thesis",
    "mastersthesis": "thesis", "thesis": "thesis", "techreport": "report", "report": "report",
    "unpublished": "manuscript", "manual": "report", "online": "webpage", "patent": "patent",
    "dataset": "dataset", "software": "software", "misc": "article",
}


def _csl_name(person: Person) -> dict[str, str]:
    """CSL name parts: the BibTeX "von" part is the ``non-dropping-particle`` ("van der"
    Berg); lower-case words after the given name ("Berg, Jan van der") the ``dropping-particle``."""
    if person.literal:
        return {"literal": person.literal}
    name = {"family": person.family}
    words = person.given.split()
    cut = len(words)
    while cut > 1 and words[cut - 1][:1].islower():
        cut -= 1
    if cut < len(words):
        name["dropping-particle"] = " ".join(words[cut:])
    if words[:cut]:
        name["given"] = " ".join(words[:cut])
    if person.von:
        name["non-dropping-particle"] = person.von
    if person.jr:
        name["suffix"] = person.jr
    return name


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
        month = month_number(fields.get("month", ""))
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
    url = fields.get("url") or landing_page(pub) or pub.links.get("doi")
    if url:
        item["URL"] = url
    if pub.abstract:
        item["abstract"] = pub.abstract
    return item


def to_csl_json(pubs: list[Publication], memos: Memos | None = None) -> str:
    """A CSL-JSON array (citeproc input) of the publications (each item read back from
    ``memos`` when that publication's content was written before)."""
    if memos is None:
        return dump_json([csl_item(p) for p in pubs])
    table = memos.table("csl item", rules_fingerprint(rules()))
    return dump_json_items(table.get_many(
        pubs, lambda idx: [json_item(csl_item(pubs[i])) for i in idx]))


class CslJsonOutput(SingleFileOutput):
    """``[outputs] csl_json = "publications.json"``."""

    key = "csl_json"

    def render(self, pubs: list[Publication]) -> str:
        return to_csl_json(pubs)

    def render_with(self, pubs: list[Publication], memos: Memos | None) -> str:
        return to_csl_json(pubs, memos)
