"""Short labels derived from publication data: links, venue abbreviations, research labels.

How a research label ("Poster at CogSci'22", "Full paper accepted at CogSci'24") is derived:

* **kind** — the first of these words found in the fields ``keywords``, ``note``,
  ``howpublished``, ``type``, ``pubstate`` (or ``extra["keywords"]``): "full paper", "short
  paper", "extended abstract", "poster", "talk"/"oral", "demo", "workshop paper". Else from the
  data: arXiv-only works are "Preprint", theses "PhD thesis"/"Master's thesis", ``book`` "Book",
  ``incollection``/``inbook`` "Chapter", ``techreport`` "Report", anything else "Paper".
* **accepted** — ``pubstate`` (biblatex) of accepted / forthcoming / in press, or the keyword
  "accepted", adds " accepted".
* **venue** — a known venue's abbreviation (the table below: "Proceedings of the Annual Meeting
  of the Cognitive Science Society" -> "CogSci"), else an acronym in parentheses ("... (ISCA
  '23)" -> "ISCA"), else the venue shortened ("Proceedings of the", ordinals and years dropped).
* **year** — two digits after an apostrophe ("'22").
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from scholarsync.core.merge import is_preprint
from scholarsync.core.normalize import fold
from scholarsync.model import Publication
from scholarsync.outputs.pages.escape import safe_link
from scholarsync.sources import rules

# (words in the folded venue, abbreviation): the first match wins, so specific ones come first.
KNOWN_VENUES: tuple[tuple[str, str], ...] = (
    ("cognitive science society", "CogSci"),
    ("neural information processing systems", "NeurIPS"),
    ("international conference on machine learning", "ICML"),
    ("international conference on learning representations", "ICLR"),
    ("operating systems design and implementation", "OSDI"),
    ("symposium on operating systems principles", "SOSP"),
    ("networked systems design and implementation", "NSDI"),
    ("architectural support for programming languages and operating systems", "ASPLOS"),
    ("international symposium on computer architecture", "ISCA"),
    ("international symposium on microarchitecture", "MICRO"),
    ("high performance computer architecture", "HPCA"),
    ("machine learning and systems", "MLSys"),
    ("european conference on computer systems", "EuroSys"),
    ("usenix annual technical conference", "USENIX ATC"),
    ("high performance computing, networking, storage and analysis", "SC"),
    ("transactions of the association for computational linguistics", "TACL"),
    ("findings of the association for computational linguistics", "Findings of ACL"),
    ("north american chapter of the association for computational linguistics", "NAACL"),
    ("european chapter of the association for computational linguistics", "EACL"),
    ("empirical methods in natural language processing", "EMNLP"),
    ("association for computational linguistics", "ACL"),
    ("computer vision and pattern recognition", "CVPR"),
    ("international conference on computer vision", "ICCV"),
    ("aaai conference on artificial intelligence", "AAAI"),
    ("knowledge discovery and data mining", "KDD"),
    ("arxiv", "arXiv"),
)

KINDS: tuple[tuple[str, str], ...] = (
    ("full paper", "Full paper"),
    ("short paper", "Short paper"),
    ("extended abstract", "Extended abstract"),
    ("workshop paper", "Workshop paper"),
    ("poster", "Poster"),
    ("talk", "Talk"),
    ("oral", "Talk"),
    ("demo", "Demo"),
)
_KIND_FIELDS = ("keywords", "note", "howpublished", "type", "pubstate")
_ACCEPTED = re.compile(r"\b(accepted|forthcoming|in ?press)\b")
_TYPE_KINDS = {"phdthesis": "PhD thesis", "mastersthesis": "Master's thesis", "book": "Book",
               "incollection": "Chapter", "inbook": "Chapter", "techreport": "Report"}

def publication_links(pub: Publication) -> dict[str, str]:
    """Every safe link of a publication (its ``links``, then ones implied by ``ids``), in the
    registry's display order (unknown kinds follow, sorted), one per URL. Unsafe URLs
    (``javascript:`` and anything not http/https/mailto or relative to the site) are gone."""
    known = rules()
    merged = {**known.id_links(pub.ids), **pub.links}
    labels = known.link_labels
    order = [k for k in labels if k in merged] + sorted(k for k in merged if k not in labels)
    result: dict[str, str] = {}
    seen: set[str] = set()
    for key in order:
        url = safe_link(merged[key])
        if url and url not in seen:
            seen.add(url)
            result[key] = url
    return result


def link_label(key: str) -> str:
    return rules().link_labels.get(key, key.replace("_", " ").capitalize())


def best_url(links: dict[str, str]) -> str:
    """The link a short mention points to: the first kind of the registry's ``best_links``
    (a PDF, a repository page, the DOI …) the publication has."""
    for key in rules().best_links:
        if links.get(key):
            return links[key]
    return next(iter(links.values()), "")


def label_words(pub: Publication) -> str:
    """The folded text the kind and "accepted" are read from (fields, then keywords)."""
    values: list[Any] = [pub.fields.get(name, "") for name in _KIND_FIELDS]
    values.extend(pub.keywords)
    return fold(" ; ".join(str(v) for v in values))


_KIND_PATTERNS = tuple((re.compile(rf"\b{needle}\b"), label) for needle, label in KINDS)


def kind_label(pub: Publication, words: str | None = None) -> str:
    """"Poster", "Full paper", "Preprint", "Paper" … (see the module doc); ``words``: the
    publication's :func:`label_words`, when the caller has them."""
    words = label_words(pub) if words is None else words
    if words.strip(" ;"):  # (most works have none of the fields: nothing to search)
        for pattern, label in _KIND_PATTERNS:
            if pattern.search(words):
                return label
    if is_preprint(pub):
        return "Preprint"
    return _TYPE_KINDS.get(pub.type, "Paper")


def is_accepted(pub: Publication, words: str | None = None) -> bool:
    return bool(_ACCEPTED.search(label_words(pub) if words is None else words))


_PARENS = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9&+-]*?)(?:[\s'’-]*\d{2,4})?\s*\)")
_DROP = re.compile(r"^(?:in\s+|proceedings\s+of\s+(?:the\s+)?|proc\.\s+(?:of\s+)?(?:the\s+)?)+|"
                   r"\b\d+(?:st|nd|rd|th)\b\s*|\b(?:19|20)\d\d\b|\s*,?\s*vol(?:ume|\.)?\s*\d+",
                   re.IGNORECASE)


_JOURNAL = re.compile(r"\b(?:transactions|journal|letters|magazine)\b")


@lru_cache(maxsize=16384)  # a pure function of its arguments; venues repeat
def venue_label(venue: str, limit: int = 40) -> str:
    """A short name for a venue: a known abbreviation, an acronym in parentheses, or the venue
    without "Proceedings of the", ordinals and years, cut at ``limit`` characters."""
    venue = venue.strip()
    if not venue:
        return ""
    folded = fold(venue)
    journal = bool(_JOURNAL.search(folded))
    for words, abbreviation in KNOWN_VENUES:
        if words in folded and (not journal or _JOURNAL.search(words)):
            return abbreviation  # a journal is never labelled as the conference it names
    for match in _PARENS.finditer(venue):
        word = match.group(1)
        if sum(c.isupper() for c in word) >= 2:
            return word
    short = re.sub(r"\s+", " ", _DROP.sub(" ", venue)).strip(" ,.;:-") or venue
    if len(short) > limit:
        cut = short[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:-")
        short = cut + "…"
    return short


def research_label(pub: Publication, kind: str | None = None, words: str | None = None) -> str:
    """"Poster at CogSci'22", "Full paper accepted at CogSci'24", "Preprint on arXiv'23"
    (``kind`` and ``words``: :func:`kind_label` and :func:`label_words`, when the caller has
    them)."""
    words = label_words(pub) if words is None else words
    kind = kind_label(pub, words) if kind is None else kind
    if is_accepted(pub, words):
        kind += " accepted"
    year = f"'{pub.year % 100:02d}" if pub.year is not None else ""
    if kind == "Preprint" or kind.startswith("Preprint "):
        return f"{kind} on arXiv{year}"
    venue = venue_label(pub.venue)
    if venue:
        preposition = "in" if pub.type == "article" else "at"
        return f"{kind} {preposition} {venue}{year}"
    return f"{kind} ({pub.year})" if pub.year is not None else kind
