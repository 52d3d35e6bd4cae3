"""Parsed HTTP answers in the records cache (``<cache_dir>/records/``).

A web source reads its answers through the shared client (which caches them by URL); turning an
answer's text into records is what a warm run that is not the nothing-changed fast path spends
its time on. :func:`parse_answer` keeps that parse under the hash of the answer's text, its URL,
the options the parse depends on and the identifier registry (records carry its links), so an
unchanged answer is decoded from compact JSON instead of being parsed again. The cache sits after
the HTTP layer: requests, pacing, freshness and blocks are the client's, as before.

An :class:`Answer` is what one answer yields, in its order: entries (an id or None, and a
record, a problem, a per-item error or None for an item left out) and ``info``, the plain values
paging needs (a cursor, a total).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from scholarsync.errors import ParseError, SourceError
from scholarsync.model import Problem, Record
from scholarsync.recordcache import (
    RecordCache,
    cached,
    problem_data,
    problem_from,
    record_data,
    record_from,
    text_hash,
)

Item = Record | Problem | SourceError | None

#: Per-item error classes an answer may hold, by name (others make the answer uncacheable).
ERRORS: dict[str, type[SourceError]] = {"SourceError": SourceError, "ParseError": ParseError}


def register_error(cls: type[SourceError]) -> type[SourceError]:
    """Let answers hold errors of ``cls`` (constructed as ``cls(message, url=...)``)."""
    ERRORS[cls.__name__] = cls
    return cls


@dataclass
class Answer:
    """What one HTTP answer yields: ``entries`` (id or None, item) in order, and ``info``."""

    entries: list[tuple[str | None, Item]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def add(self, item: Item, ident: str | None = None) -> None:
        self.entries.append((ident, item))

    def _comparable(self) -> list[Any]:
        return [(i, ("error", type(x).__name__, str(x), x.url) if isinstance(x, SourceError)
                 else x) for i, x in self.entries]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Answer) and self.info == other.info
                and self._comparable() == other._comparable())

    __hash__ = None  # type: ignore[assignment]


def _default(spec: Any) -> Any:
    return spec.default if spec.default is not MISSING else spec.default_factory()


#: Each Record field's default: a field holding it is left out of the cache file.
_DEFAULTS: dict[str, Any] = {spec.name: _default(spec) for spec in fields(Record)}


def compact_record(record: Record) -> dict[str, Any]:
    """``record`` as JSON data without the fields that hold their default (same type and
    value); :func:`~scholarsync.recordcache.record_from` gives them back."""
    same = tuple(name for name, default in _DEFAULTS.items()
                 if type(value := getattr(record, name)) is type(default) and value == default)
    return record_data(record, without=same)


def _encode_item(item: Item) -> list[Any]:
    if item is None:
        return ["n"]
    if isinstance(item, Record):
        return ["r", compact_record(item)]
    if isinstance(item, Problem):
        return ["p", problem_data(item)]
    name = type(item).__name__
    if ERRORS.get(name) is not type(item):
        raise TypeError(f"{name} is not a registered answer error")
    return ["e", name, str(item), item.url]


def _decode_item(data: list[Any]) -> Item:
    if data[0] == "r":
        return record_from(data[1])
    if data[0] == "p":
        return problem_from(data[1])
    if data[0] == "e":
        return ERRORS[data[1]](data[2], url=data[3])
    if data[0] == "n":
        return None
    raise ValueError(f"unknown answer entry {data[0]!r}")


def encode(answer: Answer) -> dict[str, Any]:
    """An answer as JSON data."""
    return {"info": answer.info,
            "entries": [[ident, *_encode_item(item)] for ident, item in answer.entries]}


def decode(data: dict[str, Any]) -> Answer:
    """The :class:`Answer` of :func:`encode` output."""
    if not isinstance(data["info"], dict):
        raise TypeError("info is not an object")
    return Answer([(row[0], _decode_item(row[1:])) for row in data["entries"]],
                  dict(data["info"]))


def registry() -> str:
    """The identifier registry records' links are built from (part of every key)."""
    from scholarsync.sources import rules

    return ";".join(f"{s.name}={s.link}" for s in rules().identifiers)


#: The date a parse is made with when its records carry the day they were read: the cache entry
#: then serves every day, and :func:`dated` puts the day in (see :func:`parse_answer`).
UNDATED = ""


def dated(answer: Answer, today: str) -> Answer:
    """``answer`` with ``today`` as the read date of every count parsed with :data:`UNDATED`."""
    for _, item in answer.entries:
        if isinstance(item, Record) and item.citations_read is not None:
            item.citations_read = today
    return answer


def parse_answer(cache: RecordCache, kind: str, url: str, text: str,
                 parse: Callable[[], Answer], *options: str) -> Answer:
    """``parse()`` of the answer ``text`` read from ``url``, or its result from ``cache``.
    ``options``: everything else the parse depends on (owner id, date, requested ids). A
    parse that raises (an answer that is not one) is raised, nothing stored."""
    parts = ("http answer", kind, url, text_hash(text), registry(), *options)
    return cached(cache, url, parts, parse, encode, decode)
