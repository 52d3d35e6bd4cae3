"""The saved library (``<cache_dir>/library.json``): the last good data, and diffs between runs."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scholarsync.fileio import Digest, write_atomic
from scholarsync.model import Publication, Record, encode_value

FORMAT_VERSION = 1
LIBRARY_NAME = "library.json"
#: ``json.dumps(data, ensure_ascii=False)``, made once (dumps builds an encoder per call given
#: options); a publication holds no cycle to check for.
_encode_line = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
_CHUNK = 500  # lines encoded at a time by Library.to_bytes


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


class UnreadableLibraryError(ValueError):
    """A saved publication that cannot be decoded (a hand-edited or foreign library)."""


@dataclass
class Library:
    publications: list[Publication] = field(default_factory=list)
    sources: dict[str, SourceState] = field(default_factory=dict)

    def records_of(self, kind: str) -> list[Record]:
        """Every saved record that came from a source of this kind."""
        return [r for p in self.publications for r in p.records if r.source == kind]

    def lines(self) -> list[str]:
        """One JSON line per publication (the saved form), made once: a library is not changed
        after it is built (the diff and the saved file share these lines)."""
        cached = self.__dict__.get("_lines")
        if cached is None or cached[0] is not self.publications or len(cached[1]) != len(
                self.publications):
            lines = [_encode_line(p.to_dict()) for p in self.publications]
            self.__dict__["_lines"] = cached = (self.publications, lines)
        return cached[1]

    def to_json(self) -> str:
        """Stable, readable JSON: one publication per line, so a change is a one-line diff.

        (``json.dumps`` with ``indent`` runs the pure-Python encoder: ~10x slower.)"""
        body = ",\n".join(self.lines())
        return f"{self._head()}{body}\n]}}\n"

    def to_bytes(self) -> bytes:
        """:meth:`to_json` in UTF-8, written chunk by chunk into one buffer (the whole text
        would be made twice over, and wider than its bytes when one character is not
        Latin-1; a bytes object per line would stay as scattered memory)."""
        out = io.BytesIO()
        for chunk in self.byte_chunks():
            out.write(chunk)
        return out.getvalue()  # (the buffer itself: no copy)

    def byte_chunks(self) -> Iterator[bytes]:
        """:meth:`to_bytes` in pieces of a few hundred publications (a sync writes the
        library from them: its whole bytes are never held)."""
        yield self._head().encode("utf-8")
        lines = self.lines()
        for start in range(0, len(lines), _CHUNK):
            yield (b",\n" if start else b"") + ",\n".join(
                lines[start:start + _CHUNK]).encode("utf-8")
        yield b"\n]}\n"

    def digest(self) -> Digest:
        """The :class:`Digest` of :meth:`to_bytes`, without making them whole."""
        sha, size = hashlib.sha256(), 0
        for chunk in self.byte_chunks():
            sha.update(chunk)
            size += len(chunk)
        return Digest(size, sha.digest())

    def _head(self) -> str:
        sources = {k: self.sources[k].to_dict() for k in sorted(self.sources)}
        return (f'{{"scholarsync_library": {FORMAT_VERSION},\n'
                f'"sources": {json.dumps(sources, ensure_ascii=False, sort_keys=True)},\n'
                '"publications": [\n')

    @classmethod
    def from_json(cls, text: str) -> Library:
        data = json.loads(text)
        if data.get("scholarsync_library") != FORMAT_VERSION:
            raise ValueError("not a scholarsync library of a known version")
        return cls(
            publications=[Publication.from_dict(p) for p in data.get("publications", [])],
            sources={k: SourceState.from_dict(v) for k, v in data.get("sources", {}).items()},
        )

    # (a Library built in this run holds its publications; a SavedLibrary decodes on use)
    def raw(self, index: int) -> dict[str, Any] | None:
        """Publication ``index`` as saved JSON data, when this library was read from disk."""
        return None

    def saved_line(self, index: int) -> str | None:
        """Publication ``index``'s line in the saved file, when this library was read from it."""
        return None

    def publication(self, index: int) -> Publication:
        return self.publications[index]

    def count(self) -> int:
        return len(self.publications)

    def share_line(self, index: int, line: str) -> None:
        """``line`` is publication ``index``'s saved line too: keep one copy of the text."""


class SavedLibrary(Library):
    """The library read from ``library.json``: each publication decoded only when used (a
    sync that changed one work compares the others by their saved line). Only the file's lines
    are kept, not a decoded copy of every publication: less memory too."""

    def __init__(self, lines: list[str], sources: dict[str, SourceState]):
        self._saved = lines
        self._decoded: dict[int, Publication] = {}
        self._all: list[Publication] | None = None
        self.sources = sources

    @property  # type: ignore[override]
    def publications(self) -> list[Publication]:
        """Every publication, decoded; none (as if nothing was saved) when one cannot be."""
        if self._all is None:
            try:
                self._all = [self.publication(i) for i in range(len(self._saved))]
            except UnreadableLibraryError:
                self._all, self._saved, self._decoded, self.sources = [], [], {}, {}
        return self._all

    @publications.setter
    def publications(self, value: list[Publication]) -> None:
        self._all = list(value)
        self._saved = []
        self._decoded = dict(enumerate(value))

    def publication(self, index: int) -> Publication:
        found = self._decoded.get(index)
        if found is None:
            try:
                found = Publication.from_dict(self._data(index))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise UnreadableLibraryError(f"saved publication {index}: {exc}") from exc
            self._decoded[index] = found
        return found

    def _data(self, index: int) -> dict[str, Any]:
        try:
            data = json.loads(self._saved[index])
        except ValueError as exc:
            raise UnreadableLibraryError(f"saved publication {index}: {exc}") from exc
        if not isinstance(data, dict):
            raise UnreadableLibraryError(f"saved publication {index} is not an object")
        return data

    def raw(self, index: int) -> dict[str, Any] | None:
        return self._data(index) if self._all is None else None

    def saved_line(self, index: int) -> str | None:
        return self._saved[index] if self._all is None else None

    def count(self) -> int:
        return len(self._saved) if self._all is None else len(self._all)

    def share_line(self, index: int, line: str) -> None:
        if self._all is None and self._saved[index] == line:
            self._saved[index] = line  # (the new library's equal string: one copy in memory)

    @classmethod
    def parse(cls, text: str) -> SavedLibrary | None:
        """The library in ``text`` as :meth:`Library.to_json` writes it (None: another layout,
        for :meth:`Library.from_json`)."""
        mark, end = '"publications": [\n', "\n]}\n"
        start = text.find(mark)
        if start < 0 or not text.endswith(end):
            return None
        data = json.loads(text[:start] + '"publications": []}')
        if data.get("scholarsync_library") != FORMAT_VERSION:
            raise ValueError("not a scholarsync library of a known version")
        sources = {k: SourceState.from_dict(v) for k, v in data.get("sources", {}).items()}
        if len(text) == start + len(mark) + len(end):  # nothing between them: no publication
            return cls([], sources)
        # JSON strings hold no raw new line: each line is one publication. One split of the
        # whole text (no copy of its body first: a 50 MB library would be held three times);
        # the head's own ",\n" pieces are dropped, the first and last lines trimmed.
        lines = text.split(",\n")
        del lines[:text.count(",\n", 0, start)]
        lines[0] = lines[0][lines[0].index(mark) + len(mark):]
        lines[-1] = lines[-1][: -len(end)]
        return cls(lines, sources)


def library_path(cache_dir: Path) -> Path:
    return Path(cache_dir) / LIBRARY_NAME


def load_library(cache_dir: Path, lazy: bool = True) -> Library | None:
    """The saved library, or None when there is none (or it cannot be read). ``lazy``: its
    publications are decoded when used (:class:`SavedLibrary`); else all of them now."""
    path = library_path(cache_dir)
    try:
        text = path.read_text(encoding="utf-8")
        return (lazy and SavedLibrary.parse(text)) or Library.from_json(text)
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return None


def library_bytes(library: Library) -> bytes:
    return library.to_bytes()


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


def _raw_identities(data: dict[str, Any]) -> set[str]:
    """:func:`_identities` of a saved publication, read from its JSON data."""
    keys = {f"key:{k}" for k in [data.get("key", ""), *data.get("aliases", ())]}
    keys.update(f"{name}:{value}" for name, value in data.get("ids", {}).items() if value)
    return keys


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off meanwhile: walking a library of 20,000 works makes
    many small objects, and each full collection would scan all of the run's objects again
    (half the time of a diff and the outputs' planning). Nothing is lost: it resumes after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def diff_libraries(old: Library | None, new: Library) -> LibraryDiff:
    """Added / updated / removed / unchanged publications between two runs."""
    with collector_paused():
        try:
            return _diff(old, new)
        except UnreadableLibraryError:  # as if there were no saved library (load_library's None)
            return _diff(None, new)


def _diff(old: Library | None, new: Library) -> LibraryDiff:
    diff = LibraryDiff()
    count = old.count() if old else 0
    lines = new.lines() if old is not None and count and old.saved_line(0) is not None else None
    idents = [_identities(pub) for pub in new.publications]
    index = _old_index(old, count, lines, idents)
    matched: set[int] = set()
    for n, pub in enumerate(new.publications):
        hits = sorted({index[i] for i in idents[n] if i in index} - matched)
        if not hits:
            diff.added.append(pub)
            continue
        assert old is not None
        matched.add(hits[0])
        if lines is not None and lines[n] == old.saved_line(hits[0]):
            diff.unchanged += 1  # the same saved form: nothing to compare
            continue
        change = _compare(old.publication(hits[0]), pub)
        if change.fields:
            diff.updated.append(change)
        else:
            diff.unchanged += 1
    diff.removed = [old.publication(i) for i in range(count) if i not in matched] if old else []
    return diff


def _old_index(old: Library | None, count: int, lines: list[str] | None,
               idents: list[set[str]]) -> dict[str, int]:
    """Identity -> the first saved publication that has it. A saved line that a new
    publication also has is not decoded: the same line, the same identities."""
    same: dict[str, int] = {}
    for n, line in enumerate(lines or ()):
        same.setdefault(line, n)
    index: dict[str, int] = {}
    for i in range(count):
        assert old is not None
        saved = old.saved_line(i) if lines is not None else None
        twin = same.get(saved) if saved is not None else None
        if twin is not None:
            found = idents[twin]
            assert lines is not None
            old.share_line(i, lines[twin])
        else:
            raw = old.raw(i)
            try:
                found = _identities(old.publication(i)) if raw is None else _raw_identities(raw)
            except (AttributeError, TypeError) as exc:
                raise UnreadableLibraryError(f"saved publication {i}: {exc}") from exc
        for ident in found:
            index.setdefault(ident, i)
    return index


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
