"""Parsed records cached by content hash: ``<cache_dir>/records/<sha256>.json``.

A source that parses an input (a ``.bib`` file, a cached HTTP answer) asks this cache first,
keyed by a hash of everything the parse depends on (the input's bytes, its location, the options
and macros it sees) and of the code that parses it (:data:`STAMP`: the scholarsync version, this
format's number and the installed modules' sizes and times). What is stored is the parse's whole
result: records *and* the problems to report, so an unchanged file still reports its broken
entries on every run.

The folder is a cache and nothing else: a missing, unreadable, corrupt or foreign file is a miss
(the input is parsed again), never an error; deleting the folder is always safe. Files are
written atomically; the ones a run did not use are removed at its end (:meth:`RecordCache.prune`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from scholarsync import __version__
from scholarsync.fileio import write_atomic, write_derived
from scholarsync.model import PLAIN_TYPES, Origin, Person, Problem, Record

log = logging.getLogger("scholarsync")
T = TypeVar("T")

#: Bump when the layout of a cache file changes.
FORMAT = 1
FOLDER = "records"
_PACKAGE = Path(__file__).parent
_HEAD = re.compile(rb'\{"key":"([0-9a-f]{64})","content":"([0-9a-f]*)"')


def code_stamp(patterns: tuple[str, ...] = ("*.py",)) -> str:
    """The installed code (size and time of every file matching ``patterns``: modules by
    default): an edited parser is a new parser, an upgrade runs afresh."""
    stats = []
    for pattern in patterns:
        for path in sorted(_PACKAGE.rglob(pattern)):
            with contextlib.suppress(OSError):
                st = path.stat()
                stats.append(f"{st.st_size}:{st.st_mtime_ns}")
    return ";".join(stats)


def stamp() -> str:
    """What every key includes: version, format and code."""
    return f"scholarsync {__version__} records {FORMAT} {code_stamp()}"


class RecordCache:
    """One run's view of the records cache (``folder`` None: a cache that never hits)."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._stamp: str | None = None
        self.used: set[str] = set()  # keys read or written in this run
        self.hits: list[str] = []  # what each hit was (a location), for --verbose and tests
        self.misses: list[str] = []
        self.reused_records = 0  # Records of unchanged entries taken from a changed input's entry

    def key(self, *parts: str) -> str:
        """The hash of ``parts`` and the code stamp."""
        if self._stamp is None:
            self._stamp = stamp()
        digest = hashlib.sha256(self._stamp.encode())
        for part in parts:
            data = part.encode("utf-8", "surrogatepass")
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
        return digest.hexdigest()

    def path(self, key: str) -> Path:
        """The file of ``key`` (a cache with a folder only)."""
        assert self.folder is not None
        return self.folder / f"{key}.json"

    def read(self, key: str) -> dict[str, Any] | None:
        """The entry stored under ``key`` (``{"key", "content", "data"}``), or None when there
        is none or it cannot be used (corrupt, cut short, another entry's)."""
        if self.folder is None:
            return None
        path = self.path(key)
        try:
            stored = json.loads(path.read_bytes())
            if not isinstance(stored, dict) or stored.get("key") != key or "data" not in stored:
                raise ValueError("not this entry")
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.debug("records cache: %s unusable (%s); parsing again", path, exc)
            return None
        return stored

    def content_of(self, key: str) -> str | None:
        """The content hash stored under ``key``, read from the file's head only (a changed
        input costs no decoding of its old entry until it is wanted)."""
        if self.folder is None:
            return None
        try:
            with open(self.path(key), "rb") as handle:
                head = handle.read(256)
        except OSError:
            return None
        found = _HEAD.match(head)
        return found.group(2).decode() if found and found.group(1).decode() == key else None

    def load(self, key: str, what: str, content: str = "") -> Any | None:
        """The data stored under ``key`` for ``content`` (a hash of the input), or None."""
        stored = self.read(key)
        if stored is None or stored.get("content", "") != content or stored["data"] is None:
            self.miss(what)
            return None
        self.hit(key, what)
        return stored["data"]

    def hit(self, key: str, what: str) -> None:
        self.used.add(key)
        self.hits.append(what)
        log.info("records cache: %s unchanged, its records reused", what)

    def miss(self, what: str) -> None:
        self.misses.append(what)
        log.info("records cache: parsing %s", what)

    def store(self, key: str, data: Any, content: str = "") -> None:
        """Keep ``data`` under ``key`` (atomically); a failure to write only costs speed."""
        if self.folder is None:
            return
        try:
            body = json.dumps({"key": key, "content": content, "data": data},
                              ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            self._ignore_in_git()
            write_atomic(self.path(key), body)
        except (OSError, TypeError, ValueError) as exc:  # (a lone surrogate: UnicodeError)
            log.debug("records cache: could not write %s (%s)", self.path(key), exc)
            return
        self.used.add(key)

    def store_chunks(self, key: str, chunks: list[bytes]) -> None:
        """Keep a file of the caller's own layout under ``key`` (its ``chunks`` written one
        after the other, atomically); a failure to write only costs speed."""
        if self.folder is None:
            return
        try:
            self._ignore_in_git()
            write_derived(self.path(key), chunks)
        except OSError as exc:
            log.debug("records cache: could not write %s (%s)", self.path(key), exc)
            return
        self.used.add(key)

    def _ignore_in_git(self) -> None:
        """The folder is derived data: keep it out of a repository that commits ``cache/``."""
        assert self.folder is not None
        marker = self.folder / ".gitignore"
        if not marker.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomic(marker, b"# scholarsync's parsed-records cache: safe to delete\n*\n")

    def prune(self) -> None:
        """Remove the cache files this run did not use (older versions of changed inputs)."""
        if self.folder is None or not self.used:
            return
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        for name in names:
            if name.endswith(".json") and name[:-5] not in self.used:
                with contextlib.suppress(OSError):
                    (self.folder / name).unlink()


# -- lossless plain data for records and problems ------------------------------------------------


def _plain(value: Any) -> Any:
    """A model value as JSON data, dict order kept (unlike the saved library, which sorts)."""
    if type(value) in PLAIN_TYPES:
        return value
    if isinstance(value, Person | Origin):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


_RECORD_FIELDS: tuple[str, ...] = tuple(Record.__dataclass_fields__)


def record_data(record: Record, without: tuple[str, ...] = ()) -> dict[str, Any]:
    """``record`` as JSON data (leaving out the fields named in ``without``)."""
    data = {}
    for name in _RECORD_FIELDS:
        if name not in without:
            value = getattr(record, name)
            data[name] = value if type(value) in PLAIN_TYPES else _plain(value)
    return data


def record_from(data: dict[str, Any], **given: Any) -> Record:
    """The Record of :func:`record_data` output (``given``: fields left out there)."""
    args = dict(data)
    args["authors"] = [Person(**p) for p in args.get("authors", ())]
    if "origin" in args:
        args["origin"] = Origin.from_dict(args["origin"])
    args.update(given)
    return Record(**args)


def problem_data(problem: Problem) -> list[Any]:
    return [problem.level, problem.message, problem.location, problem.line, problem.source]


def problem_from(data: list[Any]) -> Problem:
    return Problem(*data)


def cached(cache: RecordCache, what: str, parts: tuple[str, ...], parse: Callable[[], T],
           encode: Callable[[T], Any], decode: Callable[[Any], T]) -> T:
    """``parse()``, or its result from ``cache`` under the hash of ``parts`` (which must name
    everything the parse depends on: the input's hash, its URL, the options). A result is
    stored only when its JSON form decodes back to an equal result; an exception (a page that
    is no profile) is raised as it is and nothing is stored."""
    key = cache.key(*parts)
    data = cache.load(key, what)
    if data is not None:
        try:
            return decode(data)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            log.debug("records cache: %s unusable; parsing again", what)
    result = parse()
    try:
        data = encode(result)
        if decode(json.loads(json.dumps(data, ensure_ascii=False))) == result:
            cache.store(key, data)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        pass
    return result


def text_hash(text: str) -> str:
    """The sha256 of a page's text (a part of a :func:`cached` key)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
