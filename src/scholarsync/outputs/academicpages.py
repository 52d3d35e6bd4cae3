"""``[outputs] academicpages = "_publications"``: one Markdown file per publication.

Each file is ``<date>-<slug>.md`` (``2024-10-01-understanding-infinity.md``; ``<slug>.md``
for an undated work) with academicpages' own front matter vocabulary: ``title``,
``collection: publications``, ``category`` (its ``manuscripts`` / ``conferences`` / ``books``),
``permalink: /publication/<name>``, ``excerpt``, ``date``, ``venue``, ``paperurl``,
``slidesurl``, ``citation`` (``bibtexurl`` is the user's to add: no per-work BibTeX URL is
known), then Google Scholar's ``citation_*`` fields for a
layout's ``<head>``, then the tool's key and checksum.

The site's layouts print these values as HTML (``{{ page.citation }}``, ``{{ page.title |
markdownify }}``), so text is HTML-escaped as academicpages' own generator does. Jekyll does
not run Liquid inside front matter; the body (the abstract) is Liquid-processed, so braces in
it are written as HTML entities: nothing from the data can become a Liquid tag.
"""

from __future__ import annotations

import html
from pathlib import Path

from scholarsync import frontmatter
from scholarsync.model import Publication
from scholarsync.outputs.base import PlanContext
from scholarsync.outputs.folder import (
    FolderOutput,
    Rendered,
    highwire,
    publication_date,
    title_of,
)
from scholarsync.outputs.pages.labels import best_url, publication_links
from scholarsync.sources.academicpages import CATEGORY_TYPES, AcademicpagesSource

CATEGORIES = {entry_type: category for category, entry_type in CATEGORY_TYPES.items()}
CATEGORIES.update({"conference": "conferences", "incollection": "books", "inbook": "books",
                   "proceedings": "books"})
EXCERPT_LIMIT = 300


def escape(text: str) -> str:
    """Text for a value the layout prints as HTML (quotes too, as the generator writes)."""
    return html.escape(text, quote=True).replace("&#x27;", "&apos;")


def _braces(text: str) -> str:
    return text.replace("{", "&#123;").replace("}", "&#125;")


def body_text(text: str) -> str:
    """Text for the Liquid-processed Markdown body: HTML-escaped, braces as entities."""
    return _braces(escape(text))


def excerpt(abstract: str, limit: int = EXCERPT_LIMIT) -> str:
    """The abstract's first ``limit`` characters, cut at a word, with an ellipsis."""
    text = " ".join(abstract.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + " …"


def citation(pub: Publication) -> str:
    """The "Recommended citation" line: authors (year). "Title." <i>Venue</i>."""
    names = [p.display for p in pub.authors if not p.is_others]
    authors = ", ".join(names) + (" et al." if pub.authors_truncated or len(names)
                                  < len(pub.authors) else "")
    parts = [escape(authors) if authors else ""]
    if pub.year:
        parts.append(f"({pub.year}).")
    parts.append(f"&quot;{escape(title_of(pub))}.&quot;")
    if pub.venue:
        parts.append(f"<i>{escape(pub.venue)}</i>.")
    return " ".join(p for p in parts if p)


class AcademicpagesOutput(FolderOutput):
    """The ``_publications`` collection of an academicpages site."""

    key = "academicpages"
    reader = AcademicpagesSource

    def name_of(self, main: Path) -> str:
        return main.stem

    def main_path(self, name: str) -> Path:
        return self.path / f"{name}.md"

    def names(self, pub: Publication) -> list[str]:
        date = publication_date(pub)
        slug = frontmatter.slugify(title_of(pub))
        return [f"{date.isoformat()}-{slug}" if date else slug]

    def taken(self) -> set[str]:
        if not self.path.is_dir():
            return set()
        return {p.stem for p in self.path.iterdir()}

    def render(self, pub: Publication, name: str, ctx: PlanContext) -> Rendered:
        links = publication_links(pub)
        data: dict[str, object] = {
            "title": escape(title_of(pub)),
            "collection": "publications",
            "category": CATEGORIES.get(pub.type, "manuscripts"),
            "permalink": f"/publication/{name}",
        }
        if pub.abstract:
            data["excerpt"] = escape(excerpt(pub.abstract))
        date = publication_date(pub)
        if date:
            data["date"] = date
        if pub.venue:
            data["venue"] = escape(pub.venue)
        paper = best_url(links)  # the PDF, else the best landing page
        for key, value in (("paperurl", paper), ("slidesurl", links.get("slides"))):
            if value:
                data[key] = value
        data["citation"] = citation(pub)
        data.update(highwire(pub))
        lines: list[str] = []
        if pub.abstract:
            lines += [body_text(" ".join(pub.abstract.split())), ""]
        if paper:
            lines += [f'<a href="{_braces(escape(paper))}">Download paper here</a>', ""]
        lines.append(f"Recommended citation: {_braces(citation(pub))}")
        return Rendered(data, "\n" + "\n".join(lines) + "\n")
