"""The saved library (``<cache_dir>/library.json``): the last good data, and diffs between runs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scholarsync.fileio import write_atomic
from scholarsync.model import Publication, Record, encode_value

FORMAT_VERSION = 1
LIBRARY_NAME = "library.json"


@dataclass
class SourceState:
    """What the library remembers of one source kind: when its data was last read."""

    read: str | None = None  # ISO date the data was last obtained from the origin
    complete: bool = True
    profile: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"read": self.read, "complete": self.complete}
        if self.profile:
            data["profile"] = self.profile
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceState:
        return cls(data.get("read"), data.get("complete", True), dict(data.get("profile", {})))


@dataclass
class Library:
    publications: list[Publication] = field(default_factory=list)
    sources: dict[str, SourceState] = field(default_factory=dict)

    def records_of(self, kind: str) -> list[Record]:
        """Every saved record that came from a source of this kind."""
        return [r for p in self.publications for r in p.records if r.source == kind]

    def to_json(self) -> str:
        """Stable, readable JSON: one publication per line, so a change is a one-line diff.

        (``json.dumps`` with ``indent`` runs the pure-Python encoder: ~10x slower.)"""
        sources = {k: self.sources[k].to_dict() for k in sorted(self.sources)}
        lines = [json.dumps(p.to_dict(), ensure_ascii=False) for p in self.publications]
        body = ",\n".join(lines)
        return (f'{{"scholarsync_library": {FORMAT_VERSION},\n'
                f'"sources": {json.dumps(sources, ensure_ascii=False, sort_keys=True)},\n'
                f'"publications": [\n{body}\n]}}\n')

    @classmethod
    def from_json(cls, text: str) -> Library:
        data = json.loads(text)
        if data.get("scholarsync_library") != FORMAT_VERSION:
            raise ValueError("not a scholarsync library of a known version")
        return cls(
            publications=[Publication.from_dict(p) for p in data.get("publications", [])],
            sources={k: SourceState.from_dict(v) for k, v in data.get("sources", {}).items()},
        )


def library_path(cache_dir: Path) -> Path:
    return Path(cache_dir) / LIBRARY_NAME


def load_library(cache_dir: Path) -> Library | None:
    """The saved library, or None when there is none (or it cannot be read)."""
    path = library_path(cache_dir)
    try:
        return Library.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return None


def library_bytes(library: Library) -> bytes:
    return library.to_json().encode("utf-8")


def save_library(cache_dir: Path, library: Library) -> bool:
    """Save atomically; False when the file already held these bytes."""
    return write_atomic(library_path(cache_dir), library_bytes(library))


# -- diff between two runs --------------------------------------------------------------------

_COMPARED = ("type", "title", "authors", "year", "venue", "ids", "links", "citations", "fields")


@dataclass
class Change:
    publication: Publication
    fields: list[str] = field(default_factory=list)  # changed field names
    by: list[str] = field(default_factory=list)  # source kinds that changed them


@dataclass
class LibraryDiff:
    added: list[Publication] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    removed: list[Publication] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def _identities(pub: Publication) -> set[str]:
    keys = {f"key:{k}" for k in pub.all_keys}
    keys.update(f"{name}:{value}" for name, value in pub.ids.items() if value)
    return keys


def diff_libraries(old: Library | None, new: Library) -> LibraryDiff:
    """Added / updated / removed / unchanged publications between two runs."""
    diff = LibraryDiff()
    old_pubs = old.publications if old else []
    index: dict[str, int] = {}
    for i, pub in enumerate(old_pubs):
        for ident in _identities(pub):
            index.setdefault(ident, i)
    matched: set[int] = set()
    for pub in new.publications:
        hits = sorted({index[i] for i in _identities(pub) if i in index} - matched)
        if not hits:
            diff.added.append(pub)
            continue
        before = old_pubs[hits[0]]
        matched.add(hits[0])
        change = _compare(before, pub)
        if change.fields:
            diff.updated.append(change)
        else:
            diff.unchanged += 1
    diff.removed = [p for i, p in enumerate(old_pubs) if i not in matched]
    return diff


def _compare(before: Publication, after: Publication) -> Change:
    change = Change(after)
    for name in _COMPARED:  # the models compare by value: no serialising (20,000 works: 8 s)
        if getattr(before, name) != getattr(after, name) and (
                encode_value(getattr(before, name)) != encode_value(getattr(after, name))):
            change.fields.append(name)
    if before.key != after.key:
        change.fields.append("key")
    by: set[str] = set()
    for name, value in after.fields.items():
        if before.fields.get(name) != value:
            by.update(r.source for r in after.records if r.fields.get(name) == value)
    if "citations" in change.fields:
        by.update(k for k in after.citations if after.citations.get(k) != before.citations.get(k))
    change.by = sorted(by)
    return change
