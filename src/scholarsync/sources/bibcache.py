"""One ``.bib`` file's parse, kept in the records cache (:mod:`scholarsync.recordcache`).

The key is the file's text, its location and the ``@string`` macros earlier files defined (the
only outside state a file's parse sees), with the identifiers the registry declares. The entry
stores what :func:`scholarsync.sources.bibtex.parse_bib_file` returns (entries before crossref
resolution, problems with their lines), the macros the file defines, and the Record of every
entry without ``crossref`` (those are the same whatever other files hold). Crossrefs, duplicate
keys across files and the Records of crossref children are worked out afresh on every run.
"""

from __future__ import annotations

import json
from typing import Any

from scholarsync.model import Problem
from scholarsync.recordcache import (
    RecordCache,
    problem_data,
    problem_from,
    record_data,
    record_from,
)
from scholarsync.sources import rules
from scholarsync.sources.bibtex import BibEntry, ParseFile, entry_record, parse_bib_file

#: Fields of a cached Record that its entry already holds.
_FROM_ENTRY = ("fields",)


def cached_parser(cache: RecordCache) -> ParseFile:
    """:func:`parse_bib_file` through ``cache``."""

    def parse(text: str, location: str, macros: dict[str, str],
              ) -> tuple[list[BibEntry], list[Problem]]:
        ids = ",".join(spec.name for spec in rules().identifiers)
        key = cache.key("bibtex", location, text, json.dumps(sorted(macros.items())), ids)
        data = cache.load(key, location)
        if data is not None:
            try:
                entries, problems, defined = _decode(data, location)
            except (KeyError, TypeError, ValueError, IndexError):
                cache.hits.remove(location)
                cache.misses.append(location)
            else:
                macros.update(defined)
                return entries, problems
        before = dict(macros)
        entries, problems = parse_bib_file(text, location, macros)
        for entry in entries:
            if "crossref" not in entry.fields:
                entry.record = entry_record(entry.key, entry.type, entry.fields, location,
                                            entry.line)
        defined = {k: v for k, v in macros.items() if before.get(k) != v or k not in before}
        stored = _checked(_encode(entries, problems, defined), entries, problems, location)
        if stored is not None:
            cache.store(key, stored)
        return entries, problems

    return parse


def _encode(entries: list[BibEntry], problems: list[Problem],
            defined: dict[str, str]) -> dict[str, Any]:
    return {
        "entries": [[e.key, e.type, e.line, e.fields,
                     None if e.record is None else record_data(e.record, _FROM_ENTRY)]
                    for e in entries],
        "problems": [problem_data(p) for p in problems],
        "macros": defined,
    }


def _decode(data: dict[str, Any], location: str,
            ) -> tuple[list[BibEntry], list[Problem], dict[str, str]]:
    entries = []
    for key, type_, line, fields, record in data["entries"]:
        entry = BibEntry(key, type_, fields, location, line)
        if record is not None:
            entry.record = record_from(record, fields=fields)
        entries.append(entry)
    problems = [problem_from(p) for p in data["problems"]]
    return entries, problems, dict(data["macros"])


def _checked(data: dict[str, Any], entries: list[BibEntry], problems: list[Problem],
             location: str) -> dict[str, Any] | None:
    """``data`` once a JSON round trip is shown to give back these very entries, problems and
    Records; a Record that does not survive it (a value JSON cannot hold) is not stored, and
    is made afresh on every run. None when the entries themselves do not survive."""
    try:
        again = json.loads(json.dumps(data, ensure_ascii=False))
        back, back_problems, _ = _decode(again, location)
    except (TypeError, ValueError, KeyError):
        return None
    if back_problems != problems or len(back) != len(entries):
        return None
    for index, (mine, theirs) in enumerate(zip(entries, back, strict=True)):
        if (mine.key, mine.type, mine.line, mine.fields) != (
                theirs.key, theirs.type, theirs.line, theirs.fields):
            return None
        if mine.record != theirs.record:
            data["entries"][index][4] = None
    return data
