"""Per-publication output pieces remembered between runs: ``<cache_dir>/records/outputs/``.

A piece (one publication's BibTeX entry, its markup in a page section) is a function of the
publication's content and of the options, templates and code that make it. The content is the
publication's line in the saved library (:meth:`Library.lines`: every field, in one JSON
line), so a piece is kept under a hash of that line, in a table whose key hashes everything else
it depends on (a :class:`MemoTable` per kind of piece and set of options; the code stamp of
:class:`RecordCache` covers the code). A sync after a one-entry change makes one new piece and
reads the others back.

Only a cache: a missing, corrupt or foreign file means the pieces are made again; deleting the
folder is always safe. Tables that a run did not use are removed when it saves (:meth:`save`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scholarsync.model import Publication, Rules
from scholarsync.recordcache import FOLDER, RecordCache

if TYPE_CHECKING:
    from scholarsync.core.library import Library

SUBFOLDER = "outputs"


def memo_folder(cache_dir: Path) -> Path:
    """Where the pieces are kept (inside the records cache: deleting it deletes them)."""
    return Path(cache_dir) / FOLDER / SUBFOLDER


def line_hash(line: str) -> str:
    """The content key of a publication: a hash of its saved-library line."""
    return hashlib.blake2b(line.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def rules_fingerprint(rules: Rules) -> str:
    """Everything of the registry's rules an output may read, as text (no addresses)."""
    specs = [[s.name, s.decisive, s.exclusive, s.link, s.label, s.listed, s.landing,
              *(f"{f.__module__}.{f.__qualname__}" if f else "" for f in
                (s.parse, s.match_key, s.alias))]
             for s in rules.identifiers]
    return json.dumps([specs, sorted(rules.ranks.items()), sorted(rules.user_owned),
                       sorted(rules.citation_labels.items()), list(rules.link_labels.items()),
                       list(rules.best_links)], ensure_ascii=False)


#: A table is kept in this many files (by the first hex digit of the content key), so a
#: one-entry change rewrites a sixteenth or two of it.
SHARDS = 16


class MemoTable:
    """The pieces of one kind made with one set of options: content key -> text."""

    def __init__(self, memos: Memos, key: str):
        self._memos = memos
        self._key = key
        self._old: list[dict[str, str] | None] = [None] * SHARDS  # read when first used
        self._new: list[dict[str, str]] = [{} for _ in range(SHARDS)]
        self._made = [0] * SHARDS  # pieces made in this run (not read back), by shard
        self.made = 0

    def get(self, pub: Publication, make: Callable[[], str]) -> str:
        """The piece of ``pub``: remembered when its content was seen, else ``make()``."""
        return self.get_many([pub], lambda _: [make()])[0]

    def get_many(self, pubs: list[Publication],
                 make: Callable[[list[int]], list[str]]) -> list[str]:
        """:meth:`get` of each publication; the pieces not remembered are made in one call
        (``make(indices)``: the pieces of those ``pubs``, in that order)."""
        known, content_key = self._memos.known_keys, self._memos.content_key
        out: list[str] = []
        missing: list[tuple[int, str | None]] = []  # (index, content key)
        for i, pub in enumerate(pubs):
            key = known.get(id(pub)) or content_key(pub)
            found = None if key is None else self._found(key)
            if found is None:
                missing.append((i, key))
            out.append(found or "")
        if missing:
            for (i, key), piece in zip(missing, make([i for i, _ in missing]), strict=True):
                out[i] = piece
                if key is not None:
                    shard = int(key[0], 16)
                    self._new[shard][key] = piece
                    self._made[shard] += 1
                    self.made += 1
        return out

    def _found(self, key: str) -> str | None:
        """The piece stored under ``key`` (kept for this run), or None."""
        shard = int(key[0], 16)
        new = self._new[shard]
        found = new.get(key)
        if found is None:
            old = self._old[shard]
            if old is None:
                old = self._old[shard] = self._read(shard)
            found = old.get(key)
            if found is not None:
                new[key] = found
        return found

    def _file_key(self, shard: int) -> str:
        return self._memos.cache.key("output pieces", self._key, str(shard))

    def _read(self, shard: int) -> dict[str, str]:
        """A stored shard (marked used, so that it is not pruned), or an empty one. (Not
        through ``RecordCache.load``: these are no parsed records, its log does not name them.)"""
        key = self._file_key(shard)
        stored = self._memos.cache.read(key)
        if stored is None or stored.get("content", "") != "":
            return {}
        self._memos.cache.used.add(key)
        return _pieces(stored["data"])

    def settle(self) -> list[tuple[str, dict[str, str]]]:
        """The shards to store (file key, pieces): those that changed (a shard no publication
        asked for is left alone). The table is empty afterwards."""
        changed = [(self._file_key(shard), new) for shard, new in enumerate(self._new)
                   if (old := self._old[shard]) is not None
                   and (self._made[shard] or len(new) != len(old))]
        self._old, self._new = [None] * SHARDS, [{} for _ in range(SHARDS)]
        return changed


class Memos:
    """One run's memo tables, for the publications of ``library`` (others are not kept)."""

    def __init__(self, folder: Path | None, library: Library | None):
        self.cache = RecordCache(folder)
        self._lines: dict[int, tuple[Publication, str]] = {}
        if library is not None and folder is not None:
            self._lines = {id(p): (p, line) for p, line in zip(library.publications,
                                                              library.lines(), strict=True)}
        self.known_keys: dict[int, str] = {}
        self._tables: dict[str, MemoTable] = {}
        self._pending: list[tuple[str, dict[str, str]]] = []  # shards to store

    def content_key(self, pub: Publication) -> str | None:
        """The hash of ``pub``'s saved line (None: not a publication of this library)."""
        found = self.known_keys.get(id(pub))
        if found is None:
            known = self._lines.get(id(pub))
            if known is None or known[0] is not pub:  # (another object: not of this library)
                return None
            found = self.known_keys[id(pub)] = line_hash(known[1])
        return found

    def table(self, kind: str, *options: str) -> MemoTable:
        """The table of ``kind`` pieces made with ``options``."""
        key = self.cache.key(kind, *options)
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = MemoTable(self, key)
        return table

    def settle(self) -> None:
        """Planning is over: keep only the shards to store (the rest of the tables and the
        lines are let go before the files are written)."""
        for table in self._tables.values():
            self._pending.extend(table.settle())
        self._tables, self._lines, self.known_keys = {}, {}, {}

    def save(self) -> None:
        """Store the shards that changed; remove the files this run did not use."""
        self.settle()
        for key, pieces in self._pending:
            self.cache.store(key, pieces)
        self._pending = []
        self.cache.prune()


def _pieces(stored: Any) -> dict[str, str]:
    """A stored table, or an empty one when it is not a table of text pieces."""
    if not isinstance(stored, dict) or not all(type(v) is str for v in stored.values()):
        return {}
    return stored
