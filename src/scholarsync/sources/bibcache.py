"""One ``.bib`` file's parse, kept in the records cache (:mod:`scholarsync.recordcache`).

One cache file per ``.bib`` location (and set of identifiers the registry declares, which the
Records depend on). It holds the hash of what the parse saw (the file's text and the ``@string``
macros earlier files defined: the only outside state a file's parse sees) and what
:func:`scholarsync.sources.bibtex.parse_bib_file` returned: the entries before crossref
resolution, the problems with their lines, the macros the file defines, and the Record of every
entry without ``crossref`` (the same whatever other files hold), in a compact positional layout
(a Record is a list of values; its authors are indices into one table of the file's people).

When the hash matches, all of it is reused. When the file changed, the text it was parsed from
(kept in a second cache file) is compared with the new one: only the window of segments (see
:mod:`scholarsync.sources.bibtex`, "reading by segments") the change touches is split and read
again; the entries, problems and Records before it are reused as they are and the ones after it
with their lines moved. Whenever that could differ from a full parse (an ``@string`` in the
window, an undefined or repeated macro anywhere in the file, other macros from earlier files,
a message naming a line that moved) the file is parsed whole, the Record of an entry whose key,
type and fields are as before still taken from the cache. Crossrefs, duplicate keys across
files and the Records of crossref children are worked out afresh on every run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, TypeVar

from scholarsync.model import Origin, Person, Problem, Record
from scholarsync.recordcache import RecordCache
from scholarsync.sources import bibsplit, rules

log = logging.getLogger("scholarsync")

#: The layout of the data below (the code stamp changes the keys anyway; this guards reads).
LAYOUT = 2


class Entry(Protocol):
    """What this module needs of :class:`scholarsync.sources.bibtex.BibEntry` (passed in by
    the bibtex source: this module does not import it)."""

    key: str
    type: str
    fields: dict[str, str]
    line: int
    record: Record | None


E = TypeVar("E", bound=Entry)
Parse = Callable[[str, str, dict[str, str]], tuple[list[E], list[Problem]]]
NewEntry = Callable[[str, str, dict[str, str], str, int], E]
MakeRecord = Callable[[str, str, dict[str, str], str, int], Record]


class Readers(NamedTuple):
    """The segmented reading of :mod:`scholarsync.sources.bibtex` (``parse_bib_segments``,
    ``parse_bib_window``, ``prepare_bib_text``, ``replay_problems``), which incremental
    re-reads need."""

    full: Callable[[str, str, dict[str, str]], Any]
    window: Callable[..., Any]
    prepare: Callable[[str, str], str]
    replay: Callable[..., list[Problem] | None]


@dataclass
class _File:
    """One file's parse as this module keeps it: entries (their Records set), their packed
    Records, and what an incremental re-read needs."""

    entries: list[Any]
    problems: list[Problem]
    packed: list[list[Any] | None]
    persons: list[Person]
    defined: dict[str, str]
    segments: list[list[int]] = field(default_factory=list)
    strings: list[list[Any]] = field(default_factory=list)
    clean: bool = False
    base: list[Problem] = field(default_factory=list)  # the segments' (no macro warnings)
    events: list[list[Any]] = field(default_factory=list)  # macro uses that may warn
    # the entries as stored: (number of entries, line they count from, their stored bytes
    # when unchanged since the last parse, else None)
    chunks: list[tuple[int, int, bytes | None]] = field(default_factory=list)


def cached_parser(cache: RecordCache, parse_file: Parse[E], new_entry: NewEntry[E],
                  make_record: MakeRecord, readers: Readers | None = None) -> Parse[E]:
    """``parse_file`` (:func:`scholarsync.sources.bibtex.parse_bib_file`) through ``cache``;
    ``new_entry`` makes an entry, ``make_record`` an entry's Record (``entry_record``). With
    ``readers``, a changed file is re-read incrementally (see the module doc)."""

    def parse(text: str, location: str, macros: dict[str, str],
              ) -> tuple[list[E], list[Problem]]:
        ids = ",".join(spec.name for spec in rules().identifiers)  # Records depend on them
        key = cache.key("bibtex file", location, ids)
        macros_in = _macros_hash(macros)
        content = hashlib.sha256("\0".join([text, macros_in]).encode(
            "utf-8", "surrogatepass")).hexdigest()
        if cache.content_of(key) == content:
            found = _load(cache, key, content, location, new_entry)
            if found is not None:
                cache.hit(key, location)
                macros.update(found.defined)
                return found.entries, found.problems
        cache.miss(location)
        stored = _read_stored(cache, key)
        done = None
        if readers is not None:
            prepared = readers.prepare(text, location)
            done = _incremental(stored, prepared, macros_in, location, macros, new_entry,
                                make_record, readers)
        if done is None:
            done = _full(stored, text, location, macros, parse_file, new_entry, make_record,
                         readers)
            prepared = done.text
        del stored
        cache.reused_records += done.reused
        _write_stored(cache, key, content, _encode(done.file, macros_in), done.file,
                      prepared if readers is not None else "")
        return done.file.entries, done.file.problems

    return parse


class _Done(NamedTuple):
    file: _File
    reused: int  # Records taken from the last parse
    text: str = ""  # the prepared text (a full parse with readers)


def _macros_hash(macros: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(sorted(macros.items())).encode(
        "utf-8", "surrogatepass")).hexdigest()


# -- the compact layout --------------------------------------------------------------------------

_TAIL = ("authors_truncated", "year", "venue", "venue_truncated", "ids", "links")
_MORE = ("keywords", "selected", "versions", "extra", "citations", "citations_read")


def _pack(record: Record, entry: Entry, location: str, people: dict[Person, int],
          persons: list[Person]) -> list[Any] | None:
    """``record`` as a list of values (None: not one this layout gives back: made afresh)."""
    fields = entry.fields
    if (record.fields is not fields or record.key != entry.key or record.type != entry.type
            or record.origin != Origin(record.source, location, entry.line)):
        return None
    authors = []
    for person in record.authors:
        index = people.get(person)
        if index is None:
            index = people[person] = len(persons)
            persons.append(person)
        authors.append(index)
    title = None if "title" in fields and record.title == fields["title"] else record.title
    abstract = (None if "abstract" in fields and record.abstract == fields["abstract"]
                else record.abstract)
    return [record.source, title, authors, *(getattr(record, n) for n in _TAIL), abstract,
            *(getattr(record, n) for n in _MORE)]


def _unpack(data: list[Any], key: str, type_: str, fields: dict[str, str], location: str,
            line: int, persons: list[Person]) -> Record:
    (source, title, authors, truncated, year, venue, venue_truncated, ids, links, abstract,
     keywords, selected, versions, extra, citations, read) = data
    return Record(
        type_, fields, fields["title"] if title is None else title,
        [persons[i] for i in authors], truncated, year, venue, venue_truncated, ids, links,
        fields["abstract"] if abstract is None else abstract, keywords, selected, versions,
        extra, source=source, origin=Origin(source, location, line), key=key,
        citations=citations, citations_read=read)


def _encode(file: _File, macros_in: str) -> dict[str, Any]:
    return {
        "layout": LAYOUT,
        "macros_in": macros_in,
        "problems": [_problem(p) for p in file.problems],
        "base": [_problem(p) for p in file.base],
        "events": file.events,
        "macros": file.defined,
        "persons": [[p.given, p.family, p.von, p.jr, p.literal] for p in file.persons],
        "segments": file.segments,
        "strings": file.strings,
        "clean": file.clean,
    }


def _problem(problem: Problem) -> list[Any]:
    return [problem.level, problem.message, problem.location, problem.line, problem.source]


_BAD = (KeyError, TypeError, ValueError, IndexError, AttributeError)

#: Entries per chunk a full parse stores (a change re-encodes only the chunks it touches).
CHUNK = 512


def _read_stored(cache: RecordCache, key: str) -> dict[str, Any] | None:
    """The file stored under ``key``: a JSON line (``key``, ``content`` and ``data``: all but
    the entries), one JSON line per chunk of entries (lines counted from the chunk's), then
    the text parsed. ``data`` gets the entries (real lines) and the chunks' bytes, the entry
    its ``text``. None when missing or unusable (corrupt, cut short, another entry's)."""
    if cache.folder is None:
        return None
    path = cache.path(key)
    try:
        raw = path.read_bytes()
        stored = json.loads(raw[:raw.index(b"\n")])
        if not isinstance(stored, dict) or stored.get("key") != key:
            raise ValueError("not this entry")
        data = stored["data"]
        chunks = data["chunks"]
        parts = raw.split(b"\n", len(chunks) + 1)
        del raw
        if len(parts) != len(chunks) + 2:
            raise ValueError("cut short")
        entries = []
        for (count, base), part in zip(chunks, parts[1:-1], strict=True):
            found = json.loads(part)
            if len(found) != count:
                raise ValueError("cut short")
            for entry in found:
                entry[2] += base
            entries.extend(found)
        data["entries"], data["raw"] = entries, parts[1:-1]
        stored["text"] = parts[-1]
    except FileNotFoundError:
        return None
    except (OSError, *_BAD) as exc:
        log.debug("records cache: %s unusable (%s); parsing again", path, exc)
        return None
    return stored


def _write_stored(cache: RecordCache, key: str, content: str, meta: dict[str, Any],
                  file: _File, text: str) -> None:
    """Store ``file`` under ``key`` (see :func:`_read_stored`); a failure only costs speed."""
    if cache.folder is None:
        return
    try:
        lines, chunks, start = [], [], 0
        for count, base, raw in file.chunks:
            if raw is None:
                part = zip(file.entries[start:start + count], file.packed[start:start + count],
                           strict=True)
                base = file.entries[start].line if count else 0
                raw = json.dumps([[e.key, e.type, e.line - base, e.fields, p] for e, p in part],
                                 ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            lines.append(raw)
            chunks.append([count, base])
            start += count
        head = json.dumps({"key": key, "content": content, "data": {**meta, "chunks": chunks}},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        body = text.encode("utf-8", "surrogatepass")
    except (TypeError, ValueError) as exc:  # (a lone surrogate: UnicodeError)
        log.debug("records cache: could not encode %s (%s)", key, exc)
        return
    parts = [head]
    for line in [*lines, body]:
        parts += [b"\n", line]
    cache.store_chunks(key, parts)


def _load(cache: RecordCache, key: str, content: str, location: str,
          new_entry: NewEntry[E]) -> _File | None:
    """The stored parse of this very content, or None (missing, corrupt, another layout)."""
    stored = _read_stored(cache, key)
    if stored is None or stored.get("content") != content:
        return None
    try:
        return _decode(stored["data"], location, new_entry)
    except _BAD:
        log.debug("records cache: %s unusable; parsing again", location)
        return None


def _decode(data: dict[str, Any], location: str, new_entry: NewEntry[E]) -> _File:
    """The stored parse."""
    if data["layout"] != LAYOUT:
        raise ValueError("another layout")
    persons = [Person(*p) for p in data["persons"]]
    entries = _entries(data["entries"], location, new_entry, persons)
    problems = [Problem(*p) for p in data["problems"]]
    return _File(entries, problems, [], persons, dict(data["macros"]))


def _entries(stored: list[list[Any]], location: str, new_entry: NewEntry[E],
             persons: list[Person], shift: int = 0) -> list[E]:
    """Stored entries with their Records, their lines moved by ``shift``."""
    entries = []
    for key, type_, line, fields, packed in stored:
        line += shift
        entry = new_entry(key, type_, fields, location, line)
        if packed is not None:
            entry.record = _unpack(packed, key, type_, fields, location, line, persons)
        entries.append(entry)
    return entries


def _lossless(file: _File, fresh: list[int]) -> None:
    """Keep no packed Record that a JSON round trip would not give back exactly (a value JSON
    cannot hold): that entry's Record is made afresh on every run instead."""
    if not fresh:
        return
    try:
        back = json.loads(json.dumps([file.packed[i] for i in fresh], ensure_ascii=False))
    except (TypeError, ValueError):
        back = [None] * len(fresh)
    for index, data in zip(fresh, back, strict=True):
        entry = file.entries[index]
        try:
            same = data is not None and _unpack(
                data, entry.key, entry.type, entry.fields, entry.record.origin.location,
                entry.line, file.persons) == entry.record
        except _BAD:
            same = False
        if not same:
            file.packed[index] = None


# -- a full parse ------------------------------------------------------------------------------


def _full(stored: dict[str, Any] | None, text: str, location: str, macros: dict[str, str],
          parse_file: Parse[E], new_entry: NewEntry[E], make_record: MakeRecord,
          readers: Readers | None) -> _Done:
    """The whole file parsed; Records of entries as they were in the last parse reused."""
    before = dict(macros)
    prepared = ""
    if readers is None:
        entries, problems = parse_file(text, location, macros)
        segments: list[list[int]] = []
        strings: list[list[Any]] = []
        clean = False
    else:
        found = readers.full(text, location, macros)
        entries, problems, prepared = found.entries, found.whole, found.text
        segments = [list(s) for s in found.segments]
        strings = [list(s) for s in found.strings]
        clean = found.clean
    defined = {k: v for k, v in macros.items() if k not in before or before[k] != v}
    file = _File(entries, problems, [None] * len(entries), [], defined, segments, strings,
                 clean, chunks=[(min(CHUNK, len(entries) - i), 0, None)
                                for i in range(0, len(entries), CHUNK)])
    if readers is not None and clean:
        file.base = found.problems
        file.events = [list(e) for e in found.events]
    known = _known_records(stored)
    people: dict[Person, int] = {}
    fresh: list[int] = []
    reused = 0
    for index, entry in enumerate(entries):
        if "crossref" in entry.fields:
            continue
        record = _reuse(known, entry, location)
        if record is None:
            record = make_record(entry.key, entry.type, entry.fields, location, entry.line)
            fresh.append(index)
        else:
            reused += 1
        entry.record = record
        file.packed[index] = _pack(record, entry, location, people, file.persons)
    _lossless(file, fresh)
    if known:
        log.info("records cache: %s changed; the records of %d of its %d entries reused",
                 location, reused, len(entries))
    return _Done(file, reused, prepared)


def _signature(key: str, type_: str, fields: dict[str, str]) -> str:
    return json.dumps([key, type_, fields], ensure_ascii=False)


def _known_records(stored: dict[str, Any] | None) -> dict[str, tuple[list[Any], list[Person]]]:
    """Packed Records of the file's last parse (and its people), by entry signature."""
    known: dict[str, tuple[list[Any], list[Person]]] = {}
    try:
        data = (stored or {}).get("data") or {}
        if data.get("layout") != LAYOUT:
            return {}
        persons = [Person(*p) for p in data["persons"]]
        for key, type_, _, fields, packed in data["entries"]:
            if packed is not None:
                known.setdefault(_signature(key, type_, fields), (packed, persons))
    except _BAD:
        return {}
    return known


def _reuse(known: dict[str, tuple[list[Any], list[Person]]], entry: Entry, location: str,
           ) -> Record | None:
    """The Record of an unchanged entry from the last parse, at its line now."""
    found = known.get(_signature(entry.key, entry.type, entry.fields)) if known else None
    if found is None:
        return None
    try:
        return _unpack(found[0], entry.key, entry.type, entry.fields, location, entry.line,
                       found[1])
    except _BAD:
        return None


# -- an incremental re-read ----------------------------------------------------------------------


def _incremental(stored: dict[str, Any] | None, text: str, macros_in: str, location: str,
                 macros: dict[str, str], new_entry: NewEntry[E], make_record: MakeRecord,
                 readers: Readers) -> _Done | None:
    """The changed file re-read in the window its change touches, or None (read it whole)."""
    data = (stored or {}).get("data")
    try:
        if (not isinstance(data, dict) or data.get("layout") != LAYOUT or not data["clean"]
                or data["macros_in"] != macros_in or stored is None):
            return None
        old = stored["text"].decode("utf-8", "surrogatepass")
        return _reread(data, old, text, location, macros, new_entry, make_record, readers)
    except _BAD:
        log.debug("records cache: %s: the last parse is unusable; parsing it whole", location)
        return None


def common_ends(old: str, new: str, step: int = 1 << 16) -> tuple[int, int]:
    """Lengths of the longest common suffix of two texts and of their longest common prefix
    not overlapping it (suffix first: text added before the old text is then all new),
    as (prefix, suffix)."""
    limit = min(len(old), len(new))
    suffix = 0
    while suffix < limit:
        size = min(step, limit - suffix)
        if old[len(old) - suffix - size:len(old) - suffix] != new[
                len(new) - suffix - size:len(new) - suffix]:
            break
        suffix += size
    while suffix < limit and old[len(old) - suffix - 1] == new[len(new) - suffix - 1]:
        suffix += 1
    room = limit - suffix
    prefix = 0
    while prefix < room:
        size = min(step, room - prefix)
        if old[prefix:prefix + size] != new[prefix:prefix + size]:
            break
        prefix += size
    while prefix < room and old[prefix] == new[prefix]:
        prefix += 1
    return prefix, suffix


def _first_segment(segments: list[list[int]], old: str, prefix: int) -> int:
    """The last segment whose start (and the block head there) lies in the common prefix:
    no segment before it sees the change."""
    index = max(0, bisect_right([s[0] for s in segments], prefix) - 1)
    while index > 0:
        if 0 <= bibsplit.head_end(old, segments[index][0]) < prefix:  # its "{" unchanged too
            break
        index -= 1
    return index


def _reread(data: dict[str, Any], old: str, text: str, location: str, macros: dict[str, str],
            new_entry: NewEntry[E], make_record: MakeRecord, readers: Readers,
            ) -> _Done | None:
    segments: list[list[int]] = data["segments"]
    prefix, suffix = common_ends(old, text)
    delta = len(text) - len(old)
    first = _first_segment(segments, old, prefix)
    anchors = {s[0]: i for i, s in enumerate(segments)}
    tail = len(text) - suffix

    def stop(offset: int) -> bool:
        return (offset >= tail and offset - delta in anchors
                and bibsplit.is_anchor(text, offset))

    window = readers.window(text, tuple(segments[first][:2]), stop,
                            [tuple(s) for s in data["strings"]], location,
                            dict(macros))  # (a window given up must leave them as they were)
    if window is None:
        return None
    last = len(segments) if window.stop is None else anchors[window.stop[0] - delta]
    shift = 0 if window.stop is None else window.stop[1] - segments[last][1]
    end_line = segments[last][1] if last < len(segments) else None
    if any(s[2] >= segments[first][1] and (end_line is None or s[2] < end_line)
           for s in data["strings"]):
        return None  # an @string removed or changed: other segments may read differently
    return _splice(data, window, first, last, shift, delta, location, macros, new_entry,
                   make_record, readers)


def _splice(data: dict[str, Any], window: Any, first: int, last: int, shift: int, delta: int,
            location: str, macros: dict[str, str], new_entry: NewEntry[E],
            make_record: MakeRecord, readers: Readers) -> _Done | None:
    """The old parse with segments ``first`` to ``last`` (excluded) replaced by ``window``."""
    segments: list[list[int]] = data["segments"]
    entries_from, problems_from, events_from = _ends(segments, first)
    entries_to, problems_to, events_to = _ends(segments, last)
    base = [Problem(*p) for p in data["base"][:problems_from]] + window.problems
    for level, message, where, line, source in data["base"][problems_to:]:
        if shift and "(line " in message:
            return None  # a message naming a line that moved
        base.append(Problem(level, message, where, None if line is None else line + shift,
                            source))
    grown = len(window.problems) - (problems_to - problems_from)
    events = data["events"][:events_from]
    events += [[at + problems_from, name, line] for at, name, line in window.events]
    events += [[at + grown, name, line + shift] for at, name, line in data["events"][events_to:]]
    end_line = segments[last][1] if last < len(segments) else None
    strings = [[name, value, line + shift if end_line is not None and line >= end_line
                else line] for name, value, line in data["strings"]]
    replayed = dict(macros)
    problems = readers.replay([tuple(s) for s in strings], base,
                              [tuple(e) for e in events], location, replayed)
    if problems is None:
        return None
    macros.update(replayed)
    persons = [Person(*p) for p in data["persons"]]
    stored = data["entries"]
    head = _entries(stored[:entries_from], location, new_entry, persons)
    rest = _entries(stored[entries_to:], location, new_entry, persons, shift)
    packed = [e[4] for e in stored[:entries_from]]
    people = {p: i for i, p in enumerate(persons)}
    fresh = []
    for entry in window.entries:
        record = None
        if "crossref" not in entry.fields:
            record = make_record(entry.key, entry.type, entry.fields, location, entry.line)
            fresh.append(len(packed))
        entry.record = record
        packed.append(None if record is None
                      else _pack(record, entry, location, people, persons))
    packed.extend(e[4] for e in stored[entries_to:])
    file = _File(head + window.entries + rest, problems, packed, persons,
                 dict(data["macros"]), _segments(segments, window, first, last, shift, delta),
                 strings, True, base, events,
                 _chunks(data, entries_from, entries_to, len(window.entries), shift))
    _lossless(file, fresh)
    reused = sum(1 for p in packed if p is not None) - len(fresh)
    log.info("records cache: %s changed; %d of its %d entries read again, the rest reused",
             location, len(window.entries), len(file.entries))
    return _Done(file, reused)


def _chunks(data: dict[str, Any], entries_from: int, entries_to: int, added: int, shift: int,
            ) -> list[tuple[int, int, bytes | None]]:
    """The stored chunks kept as they are (those after the window counting from their lines
    moved), and one to encode anew for the window's entries and the chunks it cuts."""
    before: list[tuple[int, int, bytes | None]] = []
    after: list[tuple[int, int, bytes | None]] = []
    low, high, start = entries_from, entries_to, 0
    for (count, base), raw in zip(data["chunks"], data["raw"], strict=True):
        end = start + count
        if count and end <= entries_from:
            before.append((count, base, raw))
        elif count and start >= entries_to:
            after.append((count, base + shift, raw))
        elif count:
            low, high = min(low, start), max(high, end)
        start = end
    fresh = high - low - (entries_to - entries_from) + added
    return before + ([(fresh, 0, None)] if fresh else []) + after


def _ends(segments: list[list[int]], index: int) -> tuple[int, int, int]:
    """Entries, problems and events of the file before segment ``index``."""
    return (segments[index - 1][2], segments[index - 1][3], segments[index - 1][4]) if (
        index) else (0, 0, 0)


def _segments(segments: list[list[int]], window: Any, first: int, last: int, shift: int,
              delta: int) -> list[list[int]]:
    """The new segment table: the old one's head, the window's and the old tail, moved."""
    entries_from, problems_from, events_from = _ends(segments, first)
    entries_to, problems_to, events_to = _ends(segments, last)
    table = [list(s) for s in segments[:first]]
    table += [[o, line, e + entries_from, p + problems_from, v + events_from]
              for o, line, e, p, v in window.segments]
    grown = (len(window.entries) - (entries_to - entries_from),
             len(window.problems) - (problems_to - problems_from),
             len(window.events) - (events_to - events_from))
    table += [[o + delta, line + shift, e + grown[0], p + grown[1], v + grown[2]]
              for o, line, e, p, v in segments[last:]]
    return table
