"""Incremental matching: the previous run's candidate edges, reused for unchanged records.

:func:`scholarsync.core.match.group_records` is a union-find over a list of candidate edges
(shared ids, copies of one entry, scored matches between the classes of a block). Every edge
depends only on the content of the records it joins and of their classes (exact duplicates),
and which pairs are compared depends only on content (shared blocks) as long as no block is
too large to score in full. So the run's edges are stored in the records cache
(``<cache_dir>/records/``, one JSON file, :class:`MatchState`), with each record's content
signature, class and block/id hashes; the next run keeps the edges of unchanged records,
scores again only the classes and id groups an added or removed record belongs to (against
the members of their blocks), and applies the union-find to the whole list: the clusters
are exactly those of a cold :func:`group_records`.

Any doubt means the full computation: no or an unusable state, many changes, two records of
identical content, a block the previous run could not score in full or one that grows large.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import marshal
import zlib
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from scholarsync.config import MatchConfig
from scholarsync.core import match
from scholarsync.core.match import Edge, Features
from scholarsync.model import Record, Rules
from scholarsync.recordcache import RecordCache

log = logging.getLogger("scholarsync")

FORMAT = 1
_SAFE_BLOCK = 2000  # a block of at most this many records is scored in full (2M pairs)
_NO_CLASS = "-"  # the class of a record without blocks (no title)


def record_sig(record: Record) -> str:
    """A hash of everything matching looks at in ``record`` (marshal version 2: no object
    references, so equal content gives equal bytes in every process)."""
    origin = record.origin
    data = (record.source, origin.location, origin.line, record.key, record.type, record.title,
            [(p.given, p.family, p.von, p.jr, p.literal) for p in record.authors],
            record.year, record.venue, record.fields, record.ids)
    return hashlib.blake2b(marshal.dumps(data, 2), digest_size=12).hexdigest()


def _class_hash(feat: Features) -> str:
    if not feat.blocks:
        return _NO_CLASS
    return hashlib.blake2b(marshal.dumps(match.class_key(feat), 2), digest_size=12).hexdigest()


def _crc(text: str) -> int:
    """A short hash of a block key or id: equal keys, equal hashes (collisions only cost a
    comparison)."""
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def _block_hashes(feat: Features) -> list[int]:
    """The hashes of a record's blocks, each with the numerals of its title: only records
    with equal numerals are compared (:class:`match._BlockScorer` splits blocks so)."""
    numbers = " ".join(sorted(feat.numbers))
    return [_crc(f"{block}\x00{numbers}") for block in feat.blocks]


def _id_keys(feat: Features, decisive: tuple[str, ...]) -> Iterator[tuple[int, str]]:
    for rank, name in enumerate(decisive):
        value = feat.ids.get(name)
        if value:
            yield rank, value


def _id_hash(rank: int, value: str) -> int:
    return _crc(f"{rank}\x00{value}")


class _LazyFeatures(Sequence[Features]):
    """The features of the records asked for, computed once each."""

    def __init__(self, records: list[Record], cfg: MatchConfig, rules: Rules):
        self.records = records
        self.cfg = cfg
        self.rules = rules
        self.known: dict[int, Features] = {}
        self.titles: dict[str, tuple] = {}

    def __len__(self) -> int:
        return len(self.records)

    @overload
    def __getitem__(self, i: int) -> Features: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Features]: ...

    def __getitem__(self, i: int | slice) -> Features | Sequence[Features]:
        if isinstance(i, slice):
            raise TypeError("no slices")
        feat = self.known.get(i)
        if feat is None:
            feat = self.known[i] = match.features(self.records[i], self.cfg.year_tolerance,
                                                  self.rules, self.titles)
        return feat


def _pack(values: array) -> str:
    return base64.b64encode(values.tobytes()).decode("ascii")


def _unpack(text: str, code: str) -> array:
    found = array(code)
    found.frombytes(base64.b64decode(text))
    return found


@dataclass
class MatchState:
    """What one run's matching leaves for the next (positions are that run's)."""

    sigs: list[str]  # content signature of each record
    classes: list[str]  # class hash of each record (_NO_CLASS: none)
    block_hashes: array  # (hash, position) of every block of every record
    block_pos: array
    id_hashes: array  # (hash, position) of every decisive id of every record
    id_pos: array
    id_edges: list[tuple[int, Edge]]  # (id hash, edge)
    fuzzy_edges: list[Edge]
    exclusive: dict[int, dict[str, str]]  # of the edges' records that have exclusive values

    def data(self) -> dict[str, Any]:
        return {"sigs": "".join(self.sigs), "classes": ",".join(self.classes),
                "blocks": [_pack(self.block_hashes), _pack(self.block_pos)],
                "ids": [_pack(self.id_hashes), _pack(self.id_pos)],
                "id_edges": [[tag, key[0], key[1], key[2], i, j]
                             for tag, (key, i, j) in self.id_edges],
                "fuzzy_edges": [[key[0], key[1], key[2], i, j]
                                for key, i, j in self.fuzzy_edges],
                "exclusive": [[i, values] for i, values in self.exclusive.items()]}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> MatchState:
        """The state of :meth:`data` output (any malformation raises)."""
        text = data["sigs"]
        sigs = [text[k:k + 24] for k in range(0, len(text), 24)]
        classes = data["classes"].split(",") if sigs else []
        block_hashes, block_pos = (_unpack(data["blocks"][0], "I"),
                                   _unpack(data["blocks"][1], "i"))
        id_hashes, id_pos = _unpack(data["ids"][0], "I"), _unpack(data["ids"][1], "i")
        if (len(classes) != len(sigs) or len(block_hashes) != len(block_pos)
                or len(id_hashes) != len(id_pos)):
            raise ValueError("inconsistent matching state")
        id_edges = [(int(tag), ((int(rank), tuple(a), tuple(b)), int(i), int(j)))
                    for tag, rank, a, b, i, j in data["id_edges"]]
        fuzzy = [((float(w), tuple(a), tuple(b)), int(i), int(j))
                 for w, a, b, i, j in data["fuzzy_edges"]]
        exclusive = {int(i): {str(k): str(v) for k, v in values.items()}
                     for i, values in data["exclusive"]}
        size = len(sigs)
        positions = [p for _, (_, i, j) in id_edges for p in (i, j)]
        positions += [p for _, i, j in fuzzy for p in (i, j)]
        if any(not 0 <= p < size for p in (*positions, *block_pos, *id_pos, *exclusive)):
            raise ValueError("matching state names records it does not have")
        return cls(sigs, classes, block_hashes, block_pos, id_hashes, id_pos, id_edges, fuzzy,
                   exclusive)


def state_key(cache: RecordCache, cfg: MatchConfig, rules: Rules) -> str:
    """The one cache key of the matching state for these settings and this code."""
    return cache.key("matching state", str(FORMAT), repr(cfg), repr(rules.decisive),
                     repr(rules.exclusive), str(array("I").itemsize), str(array("i").itemsize))


def group_cached(records: list[Record], cfg: MatchConfig, rules: Rules, cache: RecordCache,
                 unscored: list[tuple[str, int]]) -> list[list[Record]]:
    """:func:`match.group_records` of ``records``, reusing (and leaving for the next run) the
    matching state in ``cache``."""
    if cache.folder is None:
        return match.group_records(records, cfg, rules, unscored)
    try:
        sigs = [record_sig(r) for r in records]
    except (ValueError, TypeError):  # a value marshal cannot write: no state
        return match.group_records(records, cfg, rules, unscored)
    if not _distinct(records, sigs):
        return match.group_records(records, cfg, rules, unscored)
    key = state_key(cache, cfg, rules)
    state = _load(cache, key)
    found = None if state is None else _incremental(records, sigs, state, cfg, rules)
    if found is None:
        feats, id_edges, fuzzy_edges = match.match_edges(records, cfg, rules, unscored)
        groups = match.clusters_of(records, lambda i: match.exclusive_values(feats[i]),
                                   id_edges, fuzzy_edges)
        if not unscored:
            cache.store(key, _cold_state(sigs, feats, id_edges, fuzzy_edges, rules).data())
        return groups
    groups, new_state = found
    log.info("matching: the last run's matches reused for the unchanged records")
    cache.store(key, new_state.data())
    return groups


def _distinct(records: list[Record], sigs: list[str]) -> bool:
    """Whether no two records have one signature, nor one place (source, location, line,
    key, year: then edge sort keys never tie and their order is the records' content's)."""
    places = {(r.source, r.origin.location, r.origin.line or 0, r.key, r.year or 0)
              for r in records}
    return len(places) == len(records) and len(set(sigs)) == len(sigs)


def _load(cache: RecordCache, key: str) -> MatchState | None:
    stored = cache.read(key)
    if stored is None:
        return None
    cache.used.add(key)  # (overwritten at the end of the run; not logged as a parsed input)
    try:
        return MatchState.from_data(stored["data"])
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        log.debug("records cache: matching state unusable (%s); matching all records", exc)
        return None


def _cold_state(sigs: list[str], feats: list[Features], id_edges: list[Edge],
                fuzzy_edges: list[Edge], rules: Rules) -> MatchState:
    block_hashes, block_pos, id_hashes, id_pos = array("I"), array("i"), array("I"), array("i")
    for i, feat in enumerate(feats):
        for h in _block_hashes(feat):
            block_hashes.append(h)
            block_pos.append(i)
        for rank, value in _id_keys(feat, rules.decisive):
            id_hashes.append(_id_hash(rank, value))
            id_pos.append(i)
    decisive = rules.decisive
    tagged = [(_id_hash(key[0], feats[i].ids[decisive[key[0]]]), (key, i, j))
              for key, i, j in id_edges]
    ends = {p for _, i, j in (*id_edges, *fuzzy_edges) for p in (i, j)}
    exclusive = {i: values for i in ends if (values := _plain_exclusive(feats[i]))}
    return MatchState(sigs, [_class_hash(f) for f in feats], block_hashes, block_pos,
                      id_hashes, id_pos, tagged, fuzzy_edges, exclusive)


def _plain_exclusive(feat: Features) -> dict[str, str]:
    return {name: next(iter(values)) for name, values in match.exclusive_values(feat).items()}


def _remap(hashes: array, positions: array, old2new: list[int], wanted: set[int]
           ) -> tuple[array, array, dict[int, set[int]]]:
    """The (hash, position) pairs of the kept records in this run's positions, and the
    positions of each ``wanted`` hash."""
    new_hashes, new_pos = array("I"), array("i")
    buckets: dict[int, set[int]] = defaultdict(set)
    for h, p in zip(hashes, positions, strict=True):
        q = old2new[p]
        if q >= 0:
            new_hashes.append(h)
            new_pos.append(q)
            if h in wanted:
                buckets[h].add(q)
    return new_hashes, new_pos, buckets


class _Update:
    """One incremental run: the previous state mapped onto this run's records."""

    def __init__(self, records: list[Record], sigs: list[str], state: MatchState,
                 old2new: list[int], new2old: list[int], cfg: MatchConfig, rules: Rules):
        self.records = records
        self.sigs = sigs
        self.state = state
        self.old2new = old2new
        self.cfg = cfg
        self.rules = rules
        self.feats = _LazyFeatures(records, cfg, rules)
        self.added = [i for i, o in enumerate(new2old) if o < 0]
        self.removed = [o for o, i in enumerate(old2new) if i < 0]
        feats = self.feats
        self.classes = [state.classes[o] if o >= 0 else _class_hash(feats[i])
                        for i, o in enumerate(new2old)]

    def fuzzy(self) -> tuple[list[Edge], array, array] | None:
        """Every fuzzy edge of this run, and the block hashes (None: a block grew too large to
        be sure it is scored in full)."""
        state, feats, classes = self.state, self.feats, self.classes
        touched = {classes[i] for i in self.added} | {state.classes[o] for o in self.removed}
        touched.discard(_NO_CLASS)
        members: dict[str, list[int]] = defaultdict(list)
        if touched:
            for i, c in enumerate(classes):
                if c in touched:
                    members[c].append(i)
        for group in members.values():
            group.sort(key=lambda i: feats[i].sig)
        wanted = {h for group in members.values() for h in _block_hashes(feats[group[0]])}
        hashes, positions, buckets = _remap(state.block_hashes, state.block_pos, self.old2new,
                                            wanted)
        for i in self.added:
            for h in _block_hashes(feats[i]):
                hashes.append(h)
                positions.append(i)
                if h in wanted:
                    buckets[h].add(i)
        if any(len(bucket) > _SAFE_BLOCK for bucket in buckets.values()):
            return None
        inside = {i for group in members.values() for i in group}
        old2new = self.old2new
        edges = [(key, old2new[i], old2new[j]) for key, i, j in state.fuzzy_edges
                 if old2new[i] >= 0 and old2new[j] >= 0
                 and old2new[i] not in inside and old2new[j] not in inside]
        for c, group in members.items():
            if len(group) > 1:
                edges.extend(match.copy_edges(group, feats, self.records, self.cfg))
            edges.extend(self._neighbours(c, group, members, buckets))
        return edges, hashes, positions

    def _neighbours(self, c: str, group: list[int], members: dict[str, list[int]],
                    buckets: dict[int, set[int]]) -> list[Edge]:
        """The edges between class ``c`` (changed) and the classes sharing a block with it
        (between two changed classes, found from the lesser one's side)."""
        feats, classes = self.feats, self.classes
        rep = feats[group[0]]
        others: dict[str, set[int]] = defaultdict(set)
        for h in _block_hashes(rep):
            for p in buckets.get(h, ()):
                d = classes[p]
                if d != c and d != _NO_CLASS and not (d in members and d < c):
                    others[d].add(p)
        blocks = set(rep.blocks)
        edges: list[Edge] = []
        for d, found in others.items():
            other = members[d] if d in members else sorted(found, key=lambda i: feats[i].sig)
            least = feats[other[0]]
            if least.numbers == rep.numbers and blocks.intersection(least.blocks):
                edges.extend(match.class_edges(feats, group, other, self.cfg))
        return edges

    def ids(self) -> tuple[list[tuple[int, Edge]], array, array]:
        """Every id edge of this run (with its id hash), and the id hashes."""
        state, feats, old2new = self.state, self.feats, self.old2new
        decisive = self.rules.decisive
        wanted = {h for h, p in zip(state.id_hashes, state.id_pos, strict=True)
                  if old2new[p] < 0} if self.removed else set()
        own = [(i, _id_hash(rank, value)) for i in self.added
               for rank, value in _id_keys(feats[i], decisive)]
        wanted.update(h for _, h in own)
        hashes, positions, buckets = _remap(state.id_hashes, state.id_pos, old2new, wanted)
        for i, h in own:
            hashes.append(h)
            positions.append(i)
            buckets[h].add(i)
        edges = [(tag, (key, old2new[i], old2new[j])) for tag, (key, i, j) in state.id_edges
                 if tag not in wanted]
        for h, bucket in buckets.items():
            groups: dict[tuple[int, str], list[int]] = defaultdict(list)
            for i in sorted(bucket):
                for rank, value in _id_keys(feats[i], decisive):
                    if _id_hash(rank, value) == h:
                        groups[(rank, value)].append(i)
            for (rank, _), group in groups.items():
                if len(group) > 1:
                    edges.extend((h, e) for e in match.id_group_edges(rank, group, feats))
        return edges, hashes, positions

    def exclusive(self) -> dict[int, dict[str, str]]:
        """The kept records' stored exclusive values, in this run's positions."""
        old2new = self.old2new
        return {old2new[o]: values for o, values in self.state.exclusive.items()
                if old2new[o] >= 0}


def _incremental(records: list[Record], sigs: list[str], state: MatchState, cfg: MatchConfig,
                 rules: Rules) -> tuple[list[list[Record]], MatchState] | None:
    """The clusters of ``records`` from the previous ``state``, and the new state (None:
    match everything again)."""
    old_at = {s: i for i, s in enumerate(state.sigs)}
    new_at = {s: i for i, s in enumerate(sigs)}
    if len(old_at) != len(state.sigs) or len(new_at) != len(sigs):
        return None
    old2new = [new_at.get(s, -1) for s in state.sigs]
    new2old = [old_at.get(s, -1) for s in sigs]
    changes = sum(1 for o in new2old if o < 0) + sum(1 for i in old2new if i < 0)
    if changes > max(64, len(records) // 4):
        return None
    update = _Update(records, sigs, state, old2new, new2old, cfg, rules)
    fuzzy = update.fuzzy()
    if fuzzy is None:
        return None
    fuzzy_edges, block_hashes, block_pos = fuzzy
    id_edges, id_hashes, id_pos = update.ids()
    stored = update.exclusive()
    known = update.feats.known

    def exclusive(i: int) -> dict[str, set[str]]:
        if i in known:
            return match.exclusive_values(known[i])
        return {name: {value} for name, value in stored.get(i, {}).items()}

    plain_ids = [e for _, e in id_edges]
    groups = match.clusters_of(records, exclusive, plain_ids, fuzzy_edges)
    ends = {p for _, i, j in (*plain_ids, *fuzzy_edges) for p in (i, j)}
    new_exclusive = {i: values for i in ends
                     if (values := (_plain_exclusive(known[i]) if i in known
                                    else stored.get(i, {})))}
    return groups, MatchState(sigs, update.classes, block_hashes, block_pos, id_hashes, id_pos,
                              id_edges, fuzzy_edges, new_exclusive)
