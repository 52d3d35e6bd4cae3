"""Folder outputs: one file (or bundle) per publication in a site's folder, owned by marker.

What the stacks (academicpages, Hugo Blox) share:

* A file the tool writes carries its citation key and a checksum in its front matter
  (:mod:`scholarsync.frontmatter`). Only such files are ever rewritten or deleted; a file
  without that mark is the user's, and is never touched.
* A publication that left the library loses its file. A tool file edited by hand since it was
  written is refused (not rewritten, not deleted) unless ``--force``; the rest of the folder
  is still planned, and the run exits 1 naming the file.
* A file the user made for a work (read as the stack's reader source reads it, and matched
  like any record: identifiers first, then title, first author and year) means the tool writes
  none for that work, and removes its own earlier copy.
* Names are stable: a publication keeps the name of the file it has, whatever its title
  becomes, and also when its key changes (the tool's file is then recognized by its content,
  matched like a record); a new one takes the first free name from its date and title
  (``-2``, ``-3`` … after), so two works of one title never share a file.
"""

from __future__ import annotations

import datetime as dt
from abc import abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from scholarsync import frontmatter
from scholarsync.core.match import features, score, vetoed
from scholarsync.core.normalize import latex_to_unicode, normalize_arxiv
from scholarsync.errors import HandEditedError
from scholarsync.model import Problem, Publication, Record
from scholarsync.outputs.base import FileChange, Output, PlanContext, read_bytes
from scholarsync.sources.sitefolder import SiteFolderSource


class EditedFilesError(HandEditedError):
    """Tool files edited by hand were refused; ``planned`` holds the rest of the plan."""

    def __init__(self, message: str, planned: list[FileChange]):
        super().__init__(message)
        self.planned = planned


@dataclass
class Rendered:
    """One publication's file: front matter (without the tool's mark), body, companions."""

    data: dict[str, object]
    body: str
    companions: dict[str, str] = field(default_factory=dict)  # file name beside it -> text


@dataclass
class Existing:
    """A publication file already in the folder."""

    main: Path
    name: str
    doc: frontmatter.Document | None  # None when unreadable (kept, never touched)
    record: Record | None = None  # the user's own file, read as a record
    companions: tuple[Path, ...] = ()

    @property
    def key(self) -> str | None:
        return self.doc.owner_key if self.doc is not None else None

    def intact(self) -> bool:
        if self.doc is None:
            return False
        texts = tuple((read_bytes(p) or b"").decode("utf-8", "replace") for p in self.companions)
        return frontmatter.intact(self.doc, texts)


class FolderOutput(Output):
    """``[outputs] <key> = "<folder>"``: one file or bundle per publication."""

    folder = True
    edits_input = True  # its reader may read the same folder: it skips the tool's files
    reader: ClassVar[type[SiteFolderSource]]
    companion_names: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def name_of(self, main: Path) -> str:
        """The name (file stem or bundle folder) of a publication file."""

    @abstractmethod
    def main_path(self, name: str) -> Path:
        """The publication file for a name."""

    @abstractmethod
    def names(self, pub: Publication) -> list[str]:
        """Names for a new file, by preference; ``-2``, ``-3`` … follow the last one."""

    @abstractmethod
    def taken(self) -> set[str]:
        """Every name in use in the folder (the user's files too)."""

    @abstractmethod
    def render(self, pub: Publication, name: str, ctx: PlanContext) -> Rendered:
        """The file of ``pub`` under ``name``."""

    # -- reading the folder ----------------------------------------------------------------
    def existing(self, ctx: PlanContext) -> list[Existing]:
        if not self.path.is_dir():
            return []
        found: list[Existing] = []
        problems: list[Problem] = []
        for main in self.reader.files(self.path):
            companions = tuple(main.parent / n for n in self.companion_names
                               if main.name == "index.md")
            try:
                text = main.read_bytes().decode("utf-8-sig", "replace")
            except OSError:
                found.append(Existing(main, self.name_of(main), None))
                continue
            try:
                doc = frontmatter.parse(text)
            except frontmatter.FrontMatterError:
                # the tool's file with its front matter broken by an edit stays the tool's
                # (refused, not duplicated); anything else unreadable is the user's
                found.append(Existing(main, self.name_of(main), frontmatter.broken_mark(text),
                                      None, companions))
                continue
            record = None
            if doc.owner_key is None:
                record = self.reader.record_of(doc, main, ctx.config.profile, problems)
            found.append(Existing(main, self.name_of(main), doc, record, companions))
        return found

    # -- planning --------------------------------------------------------------------------
    def plan(self, ctx: PlanContext) -> list[FileChange]:
        entries = self.existing(ctx)
        hand = _Matcher([e for e in entries if e.record is not None], ctx)
        owned: dict[str, list[Existing]] = {}
        for found in entries:
            if found.key is not None:
                owned.setdefault(found.key, []).append(found)
        used: set[int] = set()
        chosen: list[tuple[Publication, Existing | None]] = []
        for pub in ctx.publications:  # 1: the user's files, then the tool's by key
            if hand.find(pub) is not None:
                continue
            entry = next((e for k in pub.all_keys for e in owned.get(k, [])
                          if id(e) not in used), None)
            if entry is not None:
                used.add(id(entry))
            chosen.append((pub, entry))
        # 2: a work whose key changed (the user's .bib took it in) keeps the tool's file
        orphans = [e for group in owned.values() for e in group if id(e) not in used]
        for entry in orphans:
            assert entry.doc is not None
            entry.record = self.reader.record_of(entry.doc, entry.main, ctx.config.profile, [])
        matcher = _Matcher([e for e in orphans if e.record is not None], ctx)
        for index, (pub, entry) in enumerate(chosen):
            if entry is None and matcher.entries:
                entry = matcher.find(pub, exclude=used)
                if entry is not None:
                    used.add(id(entry))
                    chosen[index] = (pub, entry)
        taken = self.taken()
        changes: list[FileChange] = []
        refused: list[str] = []
        for pub, entry in chosen:
            if entry is not None:
                if not ctx.force and not entry.intact():
                    refused.append(f"{entry.main}: written by scholarsync for {entry.key} and "
                                   "edited by hand since; not overwritten")
                    continue
                name = entry.name
            else:
                name = _free(self.names(pub), taken)
            taken.add(name)
            changes.extend(self._changes(pub, name, ctx))
        for entry in orphans:
            if id(entry) in used:
                continue
            if not ctx.force and not entry.intact():
                refused.append(f"{entry.main}: written by scholarsync for {entry.key}, no "
                               "longer in the library, and edited by hand since; not deleted")
                continue
            for path in (entry.main, *entry.companions):
                old = read_bytes(path)
                if old is not None:
                    changes.append(FileChange(path, self.key, old, None, "deleted"))
        changes.sort(key=lambda c: str(c.path))
        if refused:
            raise EditedFilesError(
                "; ".join(refused) + " (remove the scholarsync: lines from its front matter to "
                "make it yours, or use --force to replace it)", changes)
        return changes

    def _changes(self, pub: Publication, name: str, ctx: PlanContext) -> list[FileChange]:
        rendered = self.render(pub, name, ctx)
        main = self.main_path(name)
        texts = tuple(rendered.companions[n] for n in self.companion_names
                      if n in rendered.companions)
        text = frontmatter.signed(rendered.data, rendered.body, pub.key, texts)
        changes = [FileChange(main, self.key, read_bytes(main), text.encode("utf-8"))]
        for companion, companion_text in rendered.companions.items():
            path = main.parent / companion
            changes.append(FileChange(path, self.key, read_bytes(path),
                                      companion_text.encode("utf-8")))
        return changes


def _free(names: list[str], taken: set[str]) -> str:
    for name in names:
        if name not in taken:
            return name
    number = 2
    while f"{names[-1]}-{number}" in taken:
        number += 1
    return f"{names[-1]}-{number}"


def _as_record(pub: Publication) -> Record:
    return Record(type=pub.type, fields=pub.fields, title=pub.title, authors=pub.authors,
                  year=pub.year, ids=pub.ids, source="library", key=pub.key)


class _Matcher:
    """Files read as records, with their matching features computed once: which one is this
    publication (identifiers first, then the scored title / first author / year)?"""

    def __init__(self, entries: list[Existing], ctx: PlanContext):
        self.cfg = ctx.config.matching
        self.rules = ctx.rules
        self.entries = entries
        self.by_path = {str(e.main): e for e in entries}
        self.feats = [features(e.record, self.cfg.year_tolerance, self.rules)
                      for e in entries if e.record is not None]

    def find(self, pub: Publication, exclude: set[int] | None = None) -> Existing | None:
        """The first file (not in ``exclude``) that is this publication, else None."""
        exclude = exclude or set()
        for record in pub.records:  # a reader source read the file into this publication
            entry = self.by_path.get(record.origin.location)
            if entry is not None and id(entry) not in exclude:
                return entry
        for record in (_as_record(pub), *pub.records):
            mine = features(record, self.cfg.year_tolerance, self.rules)
            for entry, theirs in zip(self.entries, self.feats, strict=True):
                if id(entry) in exclude:
                    continue
                if set(mine.ids.items()) & set(theirs.ids.items()):
                    return entry
                if any(n in theirs.exclusive and theirs.exclusive[n] != v
                       for n, v in mine.exclusive.items()):
                    continue
                if not vetoed(mine, theirs, self.cfg.year_tolerance) and score(
                        mine, theirs, self.cfg).matches(self.cfg):
                    return entry
        return None


# -- values shared by the stacks -------------------------------------------------------------


def publication_date(pub: Publication) -> dt.date | None:
    """The work's date: its year, with the month (and day) the fields give, else January 1."""
    if not pub.year:
        return None
    month = _number(pub.fields.get("month"), 12) or 1
    day = _number(pub.fields.get("day"), 31) or 1
    try:
        return dt.date(pub.year, month, day)
    except ValueError:
        return dt.date(pub.year, month, 1)


def _number(value: str | None, top: int) -> int | None:
    if value and value.strip().isdigit() and 1 <= int(value) <= top:
        return int(value)
    return None


def title_of(pub: Publication) -> str:
    """The title to show: the work's, else its citation key (a page needs one)."""
    return pub.title or pub.key


def highwire(pub: Publication) -> dict[str, object]:
    """Google Scholar's Highwire Press ``citation_*`` fields, for a layout's ``<meta>`` tags
    (dates ``YYYY/MM/DD``; the year alone when the month is not known)."""
    data: dict[str, object] = {"citation_title": title_of(pub)}
    authors = [p.display for p in pub.authors if not p.is_others]
    if authors:
        data["citation_author"] = authors
    if pub.year:
        date = publication_date(pub)
        data["citation_publication_date"] = (date.strftime("%Y/%m/%d")
                                             if date and pub.fields.get("month") else
                                             str(pub.year))
    if pub.venue:
        if pub.type == "article":
            data["citation_journal_title"] = pub.venue
        elif pub.type in ("inproceedings", "conference"):
            data["citation_conference_title"] = pub.venue
        elif pub.type in ("incollection", "inbook"):
            data["citation_inbook_title"] = pub.venue
    for field_name, meta in (("volume", "citation_volume"), ("number", "citation_issue"),
                             ("publisher", "citation_publisher")):
        value = latex_to_unicode(pub.fields.get(field_name, "")).strip()
        if value:
            data[meta] = value
    pages = pub.fields.get("pages", "").replace("--", "-").split("-")
    if pages[0].strip().isdigit():
        data["citation_firstpage"] = pages[0].strip()
        if len(pages) > 1 and pages[-1].strip().isdigit():
            data["citation_lastpage"] = pages[-1].strip()
    if pub.ids.get("doi"):
        data["citation_doi"] = pub.ids["doi"]
    if pub.ids.get("arxiv"):
        data["citation_arxiv_id"] = normalize_arxiv(pub.ids["arxiv"]) or pub.ids["arxiv"]
    if pub.links.get("pdf"):
        data["citation_pdf_url"] = pub.links["pdf"]
    return data


__all__ = ["EditedFilesError", "FolderOutput", "Rendered", "highwire", "publication_date",
           "title_of"]
