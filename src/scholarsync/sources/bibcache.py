"""One ``.bib`` file's parse, kept in the records cache (:mod:`scholarsync.recordcache`).

One cache file per ``.bib`` location (and set of identifiers the registry declares, which the
Records depend on). It holds the hash of what the parse saw (the file's text and the ``@string``
macros earlier files defined: the only outside state a file's parse sees) and what
:func:`scholarsync.sources.bibtex.parse_bib_file` returned: the entries before crossref
resolution, the problems with their lines, the macros the file defines, and the Record of every
entry without ``crossref`` (the same whatever other files hold). When the hash matches, all of
it is reused. When the file changed, it is parsed again, but the Record of an entry whose key,
type and fields are as before is taken from the cache (its line set anew) instead of being
made again. Crossrefs, duplicate keys across files and the Records of crossref children are
worked out afresh on every run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from scholarsync.model import Origin, Problem, Record
from scholarsync.recordcache import (
    RecordCache,
    problem_data,
    problem_from,
    record_data,
    record_from,
)
from scholarsync.sources import rules

log = logging.getLogger("scholarsync")

#: Fields of a cached Record that its entry already holds.
_FROM_ENTRY = ("fields",)


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


def cached_parser(cache: RecordCache, parse_file: Parse[E],
                  new_entry: Callable[[str, str, dict[str, str], str, int], E],
                  make_record: Callable[[str, str, dict[str, str], str, int], Record],
                  ) -> Parse[E]:
    """``parse_file`` (:func:`scholarsync.sources.bibtex.parse_bib_file`) through ``cache``;
    ``new_entry`` makes an entry, ``make_record`` an entry's Record (``entry_record``)."""

    def parse(text: str, location: str, macros: dict[str, str],
              ) -> tuple[list[E], list[Problem]]:
        ids = ",".join(spec.name for spec in rules().identifiers)  # Records depend on them
        key = cache.key("bibtex file", location, ids)
        content = hashlib.sha256("\0".join(
            [text, json.dumps(sorted(macros.items()))]).encode("utf-8", "surrogatepass")
        ).hexdigest()
        stored = cache.read(key) if cache.content_of(key) == content else None
        if stored is not None and stored.get("content") == content:
            try:
                entries, problems, defined = _decode(stored["data"], location, new_entry)
            except (KeyError, TypeError, ValueError, IndexError, AttributeError):
                pass
            else:
                cache.hit(key, location)
                macros.update(defined)
                return entries, problems
        del stored  # the old entry is read after the parse (not held during it: memory)
        cache.miss(location)
        before = dict(macros)
        entries, problems = parse_file(text, location, macros)
        known = _known_records(cache.read(key))
        fresh: list[int] = []
        saved: dict[int, dict[str, Any]] = {}  # stored data of the reused Records
        for index, entry in enumerate(entries):
            if "crossref" in entry.fields:
                continue
            found = _reuse(known, entry, location)
            if found is None:
                entry.record = make_record(entry.key, entry.type, entry.fields, location,
                                           entry.line)
                fresh.append(index)
            else:
                entry.record, saved[index] = found
        reused = len(saved)
        cache.reused_records += reused
        if known:
            log.info("records cache: %s changed; the records of %d of its %d entries reused",
                     location, reused, len(entries))
        defined = {k: v for k, v in macros.items() if before.get(k) != v or k not in before}
        data = _encode(entries, problems, defined, saved)
        _drop_lossy(data, entries, fresh)
        cache.store(key, data, content)
        return entries, problems

    return parse


def _signature(key: str, type_: str, fields: dict[str, str]) -> str:
    return json.dumps([key, type_, fields], ensure_ascii=False)


def _known_records(stored: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Record data of the file's last parse, by entry signature (key, type and fields)."""
    known: dict[str, dict[str, Any]] = {}
    try:
        for key, type_, _, fields, record in (stored or {}).get("data", {}).get("entries", ()):
            if record is not None:
                known.setdefault(_signature(key, type_, fields), record)
    except (TypeError, ValueError, AttributeError):
        return {}
    return known


def _reuse(known: dict[str, dict[str, Any]], entry: Entry, location: str,
           ) -> tuple[Record, dict[str, Any]] | None:
    """The Record of an unchanged entry from the last parse, at its line now, and its data."""
    data = known.get(_signature(entry.key, entry.type, entry.fields)) if known else None
    if data is None or not isinstance(data.get("origin"), dict) or (
            data["origin"].get("location") != location):
        return None
    origin = Origin(data["origin"].get("source", ""), location, entry.line)
    data = {**data, "origin": origin.to_dict()}
    try:
        return record_from(data, fields=entry.fields, origin=origin), data
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


def _encode(entries: list[E], problems: list[Problem], defined: dict[str, str],
            saved: dict[int, dict[str, Any]]) -> dict[str, Any]:
    return {
        "entries": [[e.key, e.type, e.line, e.fields,
                     saved.get(i) or (None if e.record is None
                                      else record_data(e.record, _FROM_ENTRY))]
                    for i, e in enumerate(entries)],
        "problems": [problem_data(p) for p in problems],
        "macros": defined,
    }


def _decode(data: dict[str, Any], location: str,
            new_entry: Callable[[str, str, dict[str, str], str, int], E],
            ) -> tuple[list[E], list[Problem], dict[str, str]]:
    entries = []
    for key, type_, line, fields, record in data["entries"]:
        entry = new_entry(key, type_, fields, location, line)
        if record is not None:
            entry.record = record_from(record, fields=fields)
        entries.append(entry)
    problems = [problem_from(p) for p in data["problems"]]
    return entries, problems, dict(data["macros"])


def _drop_lossy(data: dict[str, Any], entries: list[E], fresh: list[int]) -> None:
    """Store no Record that a JSON round trip would not give back exactly (a value JSON cannot
    hold): it is made afresh on every run instead. (Entries hold only strings and lines, and
    a reused Record came from the cache: only the new ones need the check.)"""
    for index in fresh:
        stored = data["entries"][index][4]
        record = entries[index].record
        try:
            back = record_from(json.loads(json.dumps(stored, ensure_ascii=False)),
                               fields=entries[index].fields)
        except (TypeError, ValueError, KeyError, AttributeError):
            back = None
        if back != record:
            data["entries"][index][4] = None
