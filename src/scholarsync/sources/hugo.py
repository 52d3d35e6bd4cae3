"""Hugo Blox (formerly Wowchemy / Academic) sites: each publication bundle the user made.

A bundle is ``content/publication/<slug>/index.md`` (newer kits: ``content/publications/``),
optionally with the ``cite.bib`` behind the site's Cite button. Front matter read here::

    title, authors (the site owner as ``admin`` or ``me``), date, publication_types
    (CSL types such as ``paper-conference``, or the old numeric codes "1", "2" …),
    publication, publication_short, abstract, featured, tags, doi, hugoblox.ids.{doi,arxiv},
    url_pdf, url_code, url_slides, url_video, url_poster, url_dataset, url_project,
    url_source, links: [{name|type, url}]

When ``cite.bib`` is there and holds one entry, its fields come first (it is the user's own
BibTeX); the front matter adds links and fills gaps. YAML (``---``) and TOML (``+++``) front
matter are both read. ``[[sources]] kind = "hugo"`` with ``path = "content/publication"``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scholarsync import frontmatter
from scholarsync.model import Problem, Record
from scholarsync.sources.bibtex import read_bib_text
from scholarsync.sources.sitefolder import (
    SiteFolderSource,
    arxiv_of,
    doi_of,
    is_url,
    make_record,
    people,
)

if TYPE_CHECKING:
    from scholarsync.config import ProfileConfig

KIND = "hugo"
OWNER_WORDS = ("admin", "me")
#: CSL publication types (and Hugo Blox's old numeric codes) to BibTeX entry types.
CSL_TYPES = {
    "article-journal": "article", "paper-conference": "inproceedings", "book": "book",
    "chapter": "incollection", "thesis": "phdthesis", "report": "techreport",
    "article": "misc", "manuscript": "unpublished", "patent": "misc",
    "1": "inproceedings", "2": "article", "3": "misc", "4": "techreport", "5": "book",
    "6": "incollection", "7": "phdthesis", "8": "misc",
}
#: ``url_*`` front matter keys and the link kinds they hold.
URL_KEYS = {"url_pdf": "pdf", "url_code": "code", "url_slides": "slides", "url_video": "video",
            "url_poster": "poster", "url_dataset": "dataset", "url_project": "project",
            "url_source": "source"}
_EMPHASIS = re.compile(r"[*_]+")


def venue_text(value: Any) -> str:
    """A ``publication`` value as plain text: Markdown emphasis and a leading "In" dropped."""
    text = _EMPHASIS.sub("", frontmatter.as_text(value)).strip()
    return re.sub(r"^In\s+", "", text)


def _links(data: dict[str, Any]) -> dict[str, str]:
    links: dict[str, str] = {}
    for key, kind in URL_KEYS.items():
        value = frontmatter.as_text(data.get(key))
        if is_url(value):
            links.setdefault(kind, value)
    for item in data.get("links") or []:
        if isinstance(item, dict) and is_url(item.get("url")):
            kind = frontmatter.as_text(item.get("type") or item.get("name")).lower() or "url"
            links.setdefault("arxiv" if kind in ("arxiv", "preprint") else kind, item["url"])
    return links


def _ids(data: dict[str, Any]) -> dict[str, Any]:
    blox = data.get("hugoblox")
    ids = blox.get("ids") if isinstance(blox, dict) else None
    ids = ids if isinstance(ids, dict) else {}
    return {"doi": doi_of(data.get("doi") or ids.get("doi") or data.get("citation_doi")),
            "arxiv": arxiv_of(ids.get("arxiv") or data.get("citation_arxiv_id"))}


class HugoSource(SiteFolderSource):
    """``kind = "hugo"``: a Hugo Blox site's ``content/publication`` folder."""

    kind = KIND
    pattern = "content/publication/<slug>/index.md"

    @classmethod
    def files(cls, folder: Path) -> list[Path]:
        bundles = [p / "index.md" for p in folder.iterdir()
                   if p.is_dir() and (p / "index.md").is_file()]
        pages = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".md"
                 and p.name not in ("_index.md", "index.md")]
        return sorted(bundles + pages)

    @classmethod
    def record_of(cls, doc: frontmatter.Document, path: Path, profile: ProfileConfig,
                  problems: list[Problem]) -> Record | None:
        data = doc.data
        title = frontmatter.as_text(data.get("title"))
        bib = cls._cite_bib(path, problems)
        if not doc.has_front_matter or not (title or bib):
            problems.append(Problem("warning", "no front matter title: not read as a "
                                    "publication", str(path), 1, KIND))
            return None
        year, month, _ = frontmatter.date_parts(data.get("date"))
        types = data.get("publication_types") or []
        first_type = frontmatter.as_text(types[0] if isinstance(types, list) and types
                                         else types)
        record = make_record(
            KIND, path, title=title, authors=people(data.get("authors") or [], profile,
                                                    OWNER_WORDS),
            year=year, month=month, entry_type=CSL_TYPES.get(first_type.lower(), "misc"),
            venue=venue_text(data.get("publication")), ids=_ids(data), links=_links(data),
            abstract=frontmatter.as_text(data.get("abstract")),
            keywords=[frontmatter.as_text(t) for t in data.get("tags") or []
                      if isinstance(data.get("tags"), list)],
            selected=data.get("featured") is True)
        if bib is not None:
            _fill_from_bib(record, bib)
        return record

    @staticmethod
    def _cite_bib(path: Path, problems: list[Problem]) -> Record | None:
        bib_path = path.parent / "cite.bib"
        if path.name != "index.md" or not bib_path.is_file():
            return None
        text = bib_path.read_bytes().decode("utf-8-sig", "replace")
        records, found = read_bib_text(text, str(bib_path))
        problems.extend(p for p in found if p.level == "error")
        return records[0] if len(records) == 1 else None


def _fill_from_bib(record: Record, bib: Record) -> None:
    """The user's cite.bib first: its type, fields and names; the front matter fills gaps."""
    record.fields = {**record.fields, **bib.fields}
    record.type = bib.type or record.type
    record.title = bib.title or record.title
    record.authors = bib.authors or record.authors
    record.authors_truncated = bib.authors_truncated
    record.year = bib.year or record.year
    record.venue = bib.venue or record.venue
    record.ids = {**record.ids, **bib.ids}
    record.links = {**bib.links, **record.links}
    record.abstract = record.abstract or bib.abstract
