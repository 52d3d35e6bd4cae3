"""academicpages sites: each ``_publications/*.md`` the user made, read as a Record.

academicpages (a Jekyll site built on Minimal Mistakes) keeps one Markdown file per paper in
its ``publications`` collection, with front matter such as::

    title: "Paper Title Number 1"
    collection: publications
    category: manuscripts            # manuscripts | conferences | books (the site's own list)
    permalink: /publication/2009-10-01-paper-title-number-1
    excerpt: 'This paper is about the number 1.'
    date: 2009-10-01
    venue: 'Journal 1'
    paperurl: 'http://academicpages.github.io/files/paper1.pdf'
    slidesurl: / bibtexurl: …
    citation: 'Your Name, You. (2009). &quot;Paper Title Number 1.&quot; <i>Journal 1</i>. 1(1).'

Its own generator writes HTML entities into the values (``&quot;``, ``&amp;``): they are
decoded here. Authors are not part of that vocabulary; they are read from ``citation_author``
(what this tool writes), ``authors`` or ``author`` when present. ``[[sources]] kind =
"academicpages"`` with ``path = "_publications"``.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scholarsync import frontmatter
from scholarsync.model import Problem, Record
from scholarsync.sources.sitefolder import SiteFolderSource, arxiv_of, doi_of, make_record, people

if TYPE_CHECKING:
    from scholarsync.config import ProfileConfig

KIND = "academicpages"
#: academicpages' publication categories and the BibTeX entry types they stand for.
CATEGORY_TYPES = {"manuscripts": "article", "conferences": "inproceedings", "books": "book"}


def _text(data: dict[str, Any], key: str) -> str:
    return html.unescape(frontmatter.as_text(data.get(key)))


def _link_kind(url: str) -> str:
    return "pdf" if url.lower().split("?")[0].endswith(".pdf") else "url"


class AcademicpagesSource(SiteFolderSource):
    """``kind = "academicpages"``: the site's ``_publications`` folder."""

    kind = KIND
    pattern = "_publications/*.md"

    @classmethod
    def files(cls, folder: Path) -> list[Path]:
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".md", ".markdown",
                                                                           ".html")
                      and p.is_file() and not p.name.startswith("."))

    @classmethod
    def record_of(cls, doc: frontmatter.Document, path: Path, profile: ProfileConfig,
                  problems: list[Problem]) -> Record | None:
        data = doc.data
        title = _text(data, "title") or _text(data, "citation_title")
        if not doc.has_front_matter or not title:
            problems.append(Problem("warning", "no front matter title: not read as a "
                                    "publication", str(path), 1, KIND))
            return None
        year, month, _ = frontmatter.date_parts(data.get("date"))
        if year is None:
            year, month, _ = frontmatter.date_parts(data.get("citation_publication_date"))
        category = frontmatter.as_text(data.get("category")).lower()
        links: dict[str, str] = {}
        for key, kind in (("citation_pdf_url", "pdf"), ("slidesurl", "slides"),
                          ("codeurl", "code")):
            value = frontmatter.as_text(data.get(key))
            if value:
                links.setdefault(kind, value)
        paper = frontmatter.as_text(data.get("paperurl"))
        if paper:
            links.setdefault(_link_kind(paper), paper)
        authors = people(data.get("citation_author") or data.get("authors")
                         or data.get("author") or [], profile)
        venue = (_text(data, "venue") or _text(data, "citation_journal_title")
                 or _text(data, "citation_conference_title"))
        return make_record(
            KIND, path, title=title, authors=authors, year=year, month=month,
            entry_type=CATEGORY_TYPES.get(category, "misc"), venue=venue,
            ids={"doi": doi_of(data.get("citation_doi") or data.get("doi")),
                 "arxiv": arxiv_of(data.get("citation_arxiv_id") or data.get("arxiv"))},
            links=links, abstract=_text(data, "abstract"))
