"""schema.org JSON-LD for a ``jsonld`` managed section: the owner and their publications.

The owner is a ``Person`` whose ``sameAs`` lists the profile pages the configured sources name
(ORCID, Google Scholar, …, asked of the registry); each publication is a ``ScholarlyArticle``
with its authors in order (the owner as a reference to that ``Person``), date, venue as
``isPartOf``, DOI as an ``identifier`` and its other identifier pages as ``sameAs``.

The text is valid JSON meant for ``<script type="application/ld+json">``: ``<``, ``>`` and
``&`` are written as ``\\u003c`` … so that neither ``</script>`` nor ``<!--`` can occur, and
braces inside strings as ``\\u007b``/``\\u007d`` so that no Liquid or Hugo delimiter
(``{{``, ``{%``) can either.
"""

from __future__ import annotations

import json
from typing import Any

from scholarsync.config import Config
from scholarsync.core.normalize import MONTHS
from scholarsync.core.owner import is_owner
from scholarsync.model import Person, Publication
from scholarsync.outputs.pages.escape import safe_url
from scholarsync.sources import owner_pages, rules

__all__ = ["jsonld_text"]

OWNER_ID = "#owner"
#: BibTeX type -> schema.org type of the work and of what it is part of.
_TYPES: dict[str, tuple[str, str]] = {
    "article": ("ScholarlyArticle", "Periodical"),
    "inproceedings": ("ScholarlyArticle", "Book"),
    "conference": ("ScholarlyArticle", "Book"),
    "incollection": ("Chapter", "Book"),
    "inbook": ("Chapter", "Book"),
    "book": ("Book", ""),
    "phdthesis": ("Thesis", ""),
    "mastersthesis": ("Thesis", ""),
    "techreport": ("Report", ""),
}
# private-use stand-ins for braces inside strings, turned into \u escapes after encoding
_OPEN, _CLOSE = "\ue000", "\ue001"


def jsonld_text(publications: list[Publication], config: Config) -> str:
    """The JSON-LD document (indented, stable order) for the owner and ``publications``."""
    owner: dict[str, Any] = {"@type": "Person", "@id": OWNER_ID, "name": config.profile.name}
    if config.profile.aliases:
        owner["alternateName"] = list(config.profile.aliases)
    same = [u for u in owner_pages((s.kind, s.options) for s in config.sources) if safe_url(u)]
    if same:
        owner["sameAs"] = same
    graph = [owner, *(_work(p, config) for p in publications)]
    return _encode({"@context": "https://schema.org", "@graph": graph})


def _work(pub: Publication, config: Config) -> dict[str, Any]:
    kind, container = _TYPES.get(pub.type, ("ScholarlyArticle", "CreativeWork"))
    work: dict[str, Any] = {"@type": kind, "name": pub.title or "(untitled)"}
    if pub.authors:
        work["author"] = [_person(a, config) for a in pub.authors]
    date = _date(pub)
    if date:
        work["datePublished"] = date
    if pub.venue and container:
        work["isPartOf"] = {"@type": container, "name": pub.venue}
    elif pub.venue:
        work["publisher"] = {"@type": "Organization", "name": pub.venue}
    doi = pub.ids.get("doi")
    if doi:
        work["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": doi}
    pages = [safe_url(u) for u in rules().id_links(pub.ids).values()]
    landing = [*pages, safe_url(pub.links.get("url", ""))]
    url = next((u for u in landing if u), "")
    if url:
        work["url"] = url
    same = [u for u in dict.fromkeys(pages) if u and u != url]
    if same:
        work["sameAs"] = same
    if pub.abstract:
        work["abstract"] = pub.abstract
    if pub.keywords:
        work["keywords"] = ", ".join(pub.keywords)
    return work


def _person(person: Person, config: Config) -> dict[str, Any]:
    if is_owner(person, config.profile):
        return {"@id": OWNER_ID, "name": person.display}
    return {"@type": "Person", "name": person.display}


def _date(pub: Publication) -> str:
    """ISO 8601 date as precise as known: ``2024``, ``2024-07`` or ``2024-07-26``."""
    if pub.year is None:
        return ""
    month = MONTHS.get(pub.fields.get("month", "").strip().lower()[:3], 0)
    if not month and pub.fields.get("month", "").strip().isdigit():
        month = int(pub.fields["month"])
    if not 1 <= month <= 12:
        return str(pub.year)
    day = pub.fields.get("day", "").strip()
    if day.isdigit() and 1 <= int(day) <= 31:
        return f"{pub.year}-{month:02d}-{int(day):02d}"
    return f"{pub.year}-{month:02d}"


def _encode(document: dict[str, Any]) -> str:
    text = json.dumps(_shield(document), ensure_ascii=False, indent=2)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          (_OPEN, "\\u007b"), (_CLOSE, "\\u007d"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def _shield(value: Any) -> Any:
    """Strings with their braces replaced by stand-ins (and stand-ins already there dropped)."""
    if isinstance(value, str):
        return (value.replace(_OPEN, "").replace(_CLOSE, "")
                .replace("{", _OPEN).replace("}", _CLOSE))
    if isinstance(value, dict):
        return {k: _shield(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shield(v) for v in value]
    return value
