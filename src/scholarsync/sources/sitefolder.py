"""What the site-stack readers share: a folder of publication files with front matter.

A reader (``kind = "academicpages"``, ``kind = "hugo"``) turns each file the user made into a
Record, so that a site's existing papers are matched, not duplicated. Files the tool wrote
itself (their front matter carries the ``scholarsync`` key, see :mod:`scholarsync.frontmatter`)
are skipped: they are copies of the library, and reading them back would keep a publication
alive after it left every other source.
"""

from __future__ import annotations

import html
import re
from abc import abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from scholarsync import frontmatter
from scholarsync.core.latex import latex_escape
from scholarsync.core.normalize import (
    normalize_arxiv,
    normalize_doi,
    parse_display_name,
    person_to_bibtex,
)
from scholarsync.errors import SourceError
from scholarsync.model import Origin, Person, Problem, Record, SourceResult
from scholarsync.sources.base import Source

if TYPE_CHECKING:
    from scholarsync.config import OptionReader, ProfileConfig

#: BibTeX field that holds the venue, by entry type (others: ``howpublished``).
VENUE_FIELD = {"article": "journal", "inproceedings": "booktitle", "incollection": "booktitle",
               "inbook": "booktitle", "conference": "booktitle"}


def read_document(path: Path) -> frontmatter.Document:
    """A site file parsed (FrontMatterError for bad front matter, OSError when unreadable)."""
    return frontmatter.parse(path.read_bytes().decode("utf-8-sig", "replace"))


def make_record(kind: str, path: Path, *, title: str, authors: list[Person], year: int | None,
                month: int | None = None, entry_type: str = "misc", venue: str = "",
                ids: dict[str, str | None] | None = None, links: dict[str, str] | None = None,
                abstract: str = "", keywords: list[str] | None = None,
                selected: bool = False) -> Record:
    """A Record from the values a site file gives (fields in BibTeX form)."""
    clean_ids = {name: value for name, value in (ids or {}).items() if value}
    fields: dict[str, str] = {"title": latex_escape(title)}
    if authors:
        fields["author"] = " and ".join(person_to_bibtex(a) for a in authors)
    if year:
        fields["year"] = str(year)
    if month:
        fields["month"] = str(month)
    if venue:
        fields[VENUE_FIELD.get(entry_type, "howpublished")] = latex_escape(venue)
    if clean_ids.get("doi"):
        fields["doi"] = clean_ids["doi"]
    name = path.parent.name if path.name == "index.md" else path.stem  # a bundle: its folder
    return Record(source=kind, origin=Origin(kind, str(path)), key=f"{kind}:{name}",
                  type=entry_type, fields=fields, title=title, authors=authors, year=year,
                  venue=venue, ids=clean_ids,
                  links={k: v for k, v in (links or {}).items() if is_url(v)},
                  abstract=abstract, keywords=list(keywords or []), selected=selected)


def people(value: Any, profile: ProfileConfig, owner_words: tuple[str, ...] = ()) -> list[Person]:
    """Authors from front matter: a list of names (or of ``{firstname, lastname}`` / ``{name}``
    mappings) or one string of names joined by commas or "and"; ``owner_words`` (Hugo's
    ``admin``) stand for the profile's owner."""
    if isinstance(value, str):
        value = [part for part in re.split(r"\s*(?:;|,|\band\b)\s*", value) if part.strip()] \
            if ";" in value or " and " in value or value.count(",") > 1 else [value]
    found: list[Person] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            given = frontmatter.as_text(item.get("firstname") or item.get("given"))
            family = frontmatter.as_text(item.get("lastname") or item.get("family"))
            name = f"{given} {family}".strip() or frontmatter.as_text(item.get("name"))
        else:
            name = html.unescape(frontmatter.as_text(item))
        if name.lower() in owner_words:
            name = profile.name
        if name:
            found.append(parse_display_name(name))
    return found


def is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def doi_of(value: Any) -> str | None:
    return normalize_doi(frontmatter.as_text(value)) if value else None


def arxiv_of(value: Any) -> str | None:
    return normalize_arxiv(frontmatter.as_text(value)) if value else None


class SiteFolderSource(Source):
    """A folder of a site's publication files (``path``), read as Records."""

    rank = 5  # the user's own page: after their .bib, before any web source
    web = False
    required = ("path",)
    #: what the folder holds, for messages ("_publications/*.md")
    pattern: ClassVar[str] = ""

    @classmethod
    def parse_options(cls, table: OptionReader) -> dict[str, Any]:
        value = table.string("path").strip()
        if not value:
            raise table.error("path", f"required: the folder of publication files ({cls.pattern})")
        path = table.path(value)
        if not path.is_dir():
            raise table.error("path", f"{path} is not a folder; give the site's folder of "
                              f"publication files ({cls.pattern})")
        return {"path": path}

    @classmethod
    @abstractmethod
    def files(cls, folder: Path) -> list[Path]:
        """The publication files of ``folder``, in a stable order."""

    @classmethod
    @abstractmethod
    def record_of(cls, doc: frontmatter.Document, path: Path, profile: ProfileConfig,
                  problems: list[Problem]) -> Record | None:
        """The Record of one file the user made (None: not a publication)."""

    def read(self) -> SourceResult:
        folder = Path(self.config.options["path"])
        if not folder.is_dir():
            raise SourceError(f"{folder}: the folder of publication files is gone")
        records: list[Record] = []
        problems: list[Problem] = []
        for path in self.files(folder):
            try:
                doc = read_document(path)
            except frontmatter.FrontMatterError as exc:
                problems.append(Problem("warning", f"{exc}; file skipped", str(path), exc.line,
                                        self.kind))
                continue
            except OSError as exc:
                problems.append(Problem("warning", f"cannot read ({exc.strerror or exc}); file "
                                        "skipped", str(path), None, self.kind))
                continue
            if doc.owner_key is not None:
                continue  # the tool's own copy of a library entry
            found = self.record_of(doc, path, self.context.config.profile, problems)
            if found is not None:
                records.append(found)
        return SourceResult(kind=self.kind, records=records, problems=problems)
