"""``[outputs] hugo = "content/publication"``: a Hugo Blox bundle per publication.

Each bundle is ``<slug>/index.md`` plus ``<slug>/cite.bib`` (what the Cite button serves).
The slug comes from the title (``understanding-infinity``); a second work of that title takes
``<slug>-<year>``, then ``-2``, ``-3`` …: two works never share a bundle (Hugo Blox's own
importer overwrites one with the other). The front matter uses Hugo Blox's vocabulary:
``title``, ``authors`` (the site owner as ``admin``), ``date``, ``publishDate``,
``publication_types`` (CSL types: ``paper-conference``, ``article-journal`` …),
``publication``, ``publication_short``, ``abstract``, ``tags``, ``featured`` (from
al-folio's ``selected``), ``doi``, ``url_pdf``, ``url_code``, ``url_slides``, ``url_video``,
``url_poster``, ``links`` (arXiv, a repository page, the web page …) and the newer kits'
``hugoblox.ids``; then Google Scholar's ``citation_*`` fields; then the tool's key and checksum
(which covers ``cite.bib`` too).

Nothing from the data goes into the Markdown body, so no shortcode can come from it; Hugo does
not run shortcodes in front matter.
"""

from __future__ import annotations

from pathlib import Path

from scholarsync import frontmatter
from scholarsync.core.owner import is_owner
from scholarsync.model import Publication
from scholarsync.outputs.base import PlanContext
from scholarsync.outputs.bibtex import bibtex_entry
from scholarsync.outputs.folder import (
    FolderOutput,
    Rendered,
    highwire,
    publication_date,
    title_of,
)
from scholarsync.outputs.pages.labels import link_label, publication_links
from scholarsync.sources.hugo import CSL_TYPES, URL_KEYS, HugoSource

OWNER = "admin"
CITE = "cite.bib"
#: BibTeX entry types to CSL publication types (the first type of each pair wins).
PUBLICATION_TYPES = {"article": "article-journal", "inproceedings": "paper-conference",
                     "conference": "paper-conference", "proceedings": "book", "book": "book",
                     "incollection": "chapter", "inbook": "chapter", "phdthesis": "thesis",
                     "mastersthesis": "thesis", "thesis": "thesis", "techreport": "report",
                     "report": "report", "unpublished": "manuscript"}


def publication_type(pub: Publication) -> str:
    if pub.type in PUBLICATION_TYPES:
        return PUBLICATION_TYPES[pub.type]
    return "article" if pub.ids.get("arxiv") else "manuscript"  # CSL: a preprint is "article"


class HugoOutput(FolderOutput):
    """Hugo Blox's ``content/publication`` bundles."""

    key = "hugo"
    reader = HugoSource
    companion_names = (CITE,)

    def name_of(self, main: Path) -> str:
        return main.parent.name if main.name == "index.md" else main.stem

    def main_path(self, name: str) -> Path:
        return self.path / name / "index.md"

    def names(self, pub: Publication) -> list[str]:
        slug = frontmatter.slugify(title_of(pub))
        return [slug, f"{slug}-{pub.year}"] if pub.year else [slug]

    def taken(self) -> set[str]:
        if not self.path.is_dir():
            return set()
        return {p.stem if p.is_file() else p.name for p in self.path.iterdir()}

    def render(self, pub: Publication, name: str, ctx: PlanContext) -> Rendered:
        links = publication_links(pub)
        authors = [OWNER if is_owner(p, ctx.config.profile) else p.display
                   for p in pub.authors if not p.is_others]
        data: dict[str, object] = {"title": title_of(pub)}
        if authors:
            data["authors"] = authors
        date = publication_date(pub)
        if date:
            data["date"] = date
            data["publishDate"] = date
        data["publication_types"] = [publication_type(pub)]
        if pub.venue:
            data["publication"] = pub.venue
        short = pub.fields.get("abbr") or pub.fields.get("shortjournal")
        if short:
            data["publication_short"] = short
        if pub.abstract:
            data["abstract"] = " ".join(pub.abstract.split())
        if pub.keywords:
            data["tags"] = list(pub.keywords)
        data["featured"] = bool(pub.selected)
        if pub.ids.get("doi"):
            data["doi"] = pub.ids["doi"]
        kinds = {kind: key for key, kind in URL_KEYS.items()}
        for kind in ("pdf", "code", "slides", "video", "poster", "dataset", "project", "source"):
            if links.get(kind):
                data[kinds[kind]] = links[kind]
        extra = [{"name": link_label(kind), "url": url} for kind, url in links.items()
                 if kind not in kinds and kind != "doi"]  # arXiv, repository pages, the web
        if extra:
            data["links"] = extra
        ids = {n: pub.ids[n] for n in ("doi", "arxiv") if pub.ids.get(n)}
        if ids:
            data["hugoblox"] = {"ids": ids}
        data.update(highwire(pub))
        return Rendered(data, "", {CITE: bibtex_entry(pub)})


__all__ = ["CSL_TYPES", "HugoOutput", "publication_type"]
