"""The source registry: kind -> Source class, one line per source, plus third-party plugins.

Adding a source is one module in this folder and one line in :data:`BUILTIN`. Third-party
sources register in the ``scholarsync.sources`` entry-point group (``kind = "module:Class"``);
one that fails to load is reported (:func:`plugin_problems`) and skipped.

Classes are imported on first use, so that loading a config imports only the kinds it names.
Core and output code never name a kind: they ask :func:`rules` what the sources declared.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from scholarsync.core.normalize import arxiv_base, normalize_arxiv, normalize_doi
from scholarsync.model import IdentifierSpec, Problem, Rules

log = logging.getLogger("scholarsync")

ENTRY_POINT_GROUP = "scholarsync.sources"

BUILTIN: dict[str, str] = {
    "bibtex": "scholarsync.sources.bibtex:BibtexSource",
    "escholarship": "scholarsync.sources.escholarship:EscholarshipSource",
    "scholar": "scholarsync.sources.scholar:ScholarSource",
    "orcid": "scholarsync.sources.orcid:OrcidSource",
    "crossref": "scholarsync.sources.crossref:CrossrefSource",
    "arxiv": "scholarsync.sources.arxiv:ArxivSource",
    "academicpages": "scholarsync.sources.academicpages:AcademicpagesSource",
    "hugo": "scholarsync.sources.hugo:HugoSource",
    "dblp": "scholarsync.sources.dblp:DblpSource",
    "openalex": "scholarsync.sources.openalex:OpenalexSource",
    "semanticscholar": "scholarsync.sources.semanticscholar:SemanticscholarSource",
}

def _arxiv_key(value: str) -> str | None:
    found = normalize_arxiv(value)
    return arxiv_base(found) if found else None


def _arxiv_doi(doi: str) -> tuple[str, str] | None:
    """arXiv's own DOIs (10.48550/arXiv.<id>) name the preprint: match them as its arXiv id."""
    if not doi.startswith("10.48550/arxiv."):
        return None
    key = _arxiv_key(doi.split("arxiv.", 1)[1])
    return ("arxiv", key) if key else None


#: Identifiers no one source owns: every source may yield them.
SHARED_IDENTIFIERS = (
    IdentifierSpec("doi", exclusive=True, link="https://doi.org/{id}", label="DOI", listed=True,
                   match_key=normalize_doi, alias=_arxiv_doi),
    IdentifierSpec("arxiv", exclusive=True, link="https://arxiv.org/abs/{id}", label="arXiv",
                   listed=True, match_key=_arxiv_key),
)

#: Labels of link kinds that are not identifiers (``pdf = {…}`` in a .bib, a code repository…).
LINK_LABELS = {
    "pdf": "PDF", "url": "Web", "html": "HTML", "code": "Code", "slides": "Slides",
    "poster": "Poster", "video": "Video",
}
#: The order links are shown in on a page (other kinds follow, in registration order).
LINK_ORDER = ("pdf", "escholarship", "arxiv", "doi", "url", "html", "scholar", "code", "slides",
              "poster", "video")
#: The link a short mention points to: the first of these a publication has.
BEST_LINKS = ("pdf", "escholarship", "doi", "arxiv", "url", "scholar")

_problems: list[Problem] = []


def _import(target: str) -> Any:
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


@cache
def _plugins() -> dict[str, Any]:
    """Third-party source classes by kind; failures are remembered as problems."""
    found: dict[str, Any] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in BUILTIN:
            _problems.append(Problem("warning", f"source plugin {point.name!r} ({point.value}) "
                                     "ignored: a built-in source has that kind"))
            continue
        try:
            found[point.name] = point.load()
        except Exception as exc:  # a broken plugin must not stop the tool
            _problems.append(Problem("warning", f"source plugin {point.name!r} ({point.value}) "
                                     f"could not be loaded, skipped: {type(exc).__name__}: {exc}"))
    return found


def kinds() -> list[str]:
    """Every source kind that can be configured: the built-in ones, then plugins."""
    return [*BUILTIN, *sorted(_plugins())]


def source_class(kind: str) -> Any:
    """The Source class of ``kind`` (KeyError when no such kind is registered)."""
    if kind in BUILTIN:
        return _import(BUILTIN[kind])
    return _plugins()[kind]


def plugin_problems() -> list[Problem]:
    """Plugins that failed to load (reported once per run)."""
    _plugins()
    return list(_problems)


def owner_pages(tables: Iterable[tuple[str, dict[str, Any]]]) -> list[str]:
    """The owner's profile pages named by configured sources, given as ``(kind, options)``
    pairs in config order; each once."""
    urls: list[str] = []
    for kind, options in tables:
        try:
            cls = source_class(kind)
        except KeyError:
            continue
        url = cls.owner_page(options) if hasattr(cls, "owner_page") else None
        if url and url not in urls:
            urls.append(url)
    return urls


@cache
def rules() -> Rules:
    """What every registered source declared: identifiers, precedence, citation labels."""
    specs: dict[str, IdentifierSpec] = {s.name: s for s in SHARED_IDENTIFIERS}
    ranks: dict[str, int] = {}
    owned: set[str] = set()
    citation_labels: dict[str, str] = {}
    for kind in kinds():
        cls = source_class(kind)
        ranks[kind] = int(getattr(cls, "rank", 50))
        if getattr(cls, "user_owned", False):
            owned.add(kind)
        label = getattr(cls, "citation_label", "")
        if label:
            citation_labels[kind] = label
        for spec in getattr(cls, "identifiers", ()):
            specs.setdefault(spec.name, spec)
    labels = {**LINK_LABELS, **{s.name: s.label for s in specs.values() if s.label}}
    order = [k for k in LINK_ORDER if k in labels] + [k for k in labels if k not in LINK_ORDER]
    return Rules(identifiers=tuple(specs.values()), ranks=ranks, user_owned=frozenset(owned),
                 citation_labels=citation_labels, link_labels={k: labels[k] for k in order},
                 best_links=BEST_LINKS)
