"""Incremental matching: the previous run's candidate edges, reused for unchanged records.

:func:`scholarsync.core.match.group_records` is a union-find over a list of candidate edges
(shared ids, copies of one entry, scored matches between the classes of a block). Every edge
depends only on the content of the records it joins and of their classes (exact duplicates),
and which pairs are compared depends only on content (shared blocks) as long as no block is
too large to score in full. So the run's edges are stored in the records cache
(``<cache_dir>/records/``, one JSON file, :class:`MatchState`), with each record's content
signature (its line left out: an entry moved by an edit above it is unchanged), class and
block/id hashes; the next run keeps the edges of unchanged records (their sort keys rebuilt
from the records' current lines), scores again only the classes and id groups an added or
removed record belongs to (against the members of their blocks), and applies the union-find
to the whole list: the clusters are exactly those of a cold :func:`group_records`.

Any doubt means the full computation: no or an unusable state, many changes, two records in
one place (sort keys could tie), a block the previous run could not score in full or one
that grows large.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import marshal
import zlib
from array import array
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from scholarsync.config import MatchConfig
from scholarsync.core import match
from scholarsync.core.match import Edge, Features
from scholarsync.model import Record, Rules
from scholarsync.recordcache import RecordCache

log = logging.getLogger("scholarsync")

FORMAT = 2
_SAFE_BLOCK = 2000  # a block of at most this many records is scored in full (2M pairs)
_NO_CLASS = "-"  # the class of a record without blocks (no title)
_MAX_DEAD = 1000  # dead slots (and more than a quarter) that make a full run compact the state
_FEW_HASHES = 64  # wanted hashes looked up by a byte search each (more: one pass)
_SIG_LENGTH = 24  # hex digits of a record signature
_DEAD = "-" * _SIG_LENGTH  # the signature of a slot whose record is gone


def record_sig(record: Record) -> bytes:
    """A hash of everything matching looks at in ``record`` but its line (an entry added above
    it moves it, nothing else), in marshal version 2: no object references, so equal content
    gives equal bytes in every process."""
    data = (record.source, record.origin.location, record.key, record.type, record.title,
            [(p.given, p.family, p.von, p.jr, p.literal) for p in record.authors],
            record.year, record.venue, record.fields, record.ids)
    return hashlib.blake2b(marshal.dumps(data, 2), digest_size=_SIG_LENGTH // 2).digest()


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
    tail = "\x00" + " ".join(sorted(feat.numbers)) if feat.numbers else "\x00"
    crc = zlib.crc32
    return [crc((block + tail).encode("utf-8", "surrogatepass")) for block in feat.blocks]


def _id_keys(feat: Features, decisive: tuple[str, ...]) -> list[tuple[int, str]]:
    ids = feat.ids
    if not ids:
        return []
    return [(rank, ids[name]) for rank, name in enumerate(decisive) if ids.get(name)]


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
    """What the runs so far left for the next. Records are named by *slot*: the place in
    ``sigs`` a record got when it first came; a record gone leaves a dead slot (``_DEAD``)
    and its hashes stay in the (append-only) arrays until a full run writes a fresh state."""

    sigs: list[str]  # content signature of the record in each slot
    classes: list[str]  # class hash of each slot's record (_NO_CLASS: none)
    block_hashes: array  # (hash, slot) of every block of every record
    block_slots: array
    id_hashes: array  # (hash, slot) of every decisive id of every record
    id_slots: array
    id_edges: list[tuple[int, int, int, int]]  # (id hash, id rank, slot, slot)
    fuzzy_edges: list[tuple[float, int, int]]  # (- score, slot, slot)
    exclusive: dict[int, dict[str, str]]  # of the edges' slots that have exclusive values
    title_keys: dict[int, str]  # of the edges' slots (for their sort keys)

    def data(self) -> dict[str, Any]:
        return {"sigs": "".join(self.sigs), "classes": ",".join(self.classes),
                "blocks": [_pack(self.block_hashes), _pack(self.block_slots)],
                "ids": [_pack(self.id_hashes), _pack(self.id_slots)],
                "id_edges": self.id_edges, "fuzzy_edges": self.fuzzy_edges,
                "exclusive": [[i, values] for i, values in self.exclusive.items()],
                "title_keys": [[i, key] for i, key in self.title_keys.items()]}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> MatchState:
        """The state of :meth:`data` output (any malformation raises)."""
        text = data["sigs"]
        if len(text) % _SIG_LENGTH:
            raise ValueError("signatures cut short")
        sigs = [text[k:k + _SIG_LENGTH] for k in range(0, len(text), _SIG_LENGTH)]
        classes = data["classes"].split(",") if sigs else []
        block_hashes, block_slots = (_unpack(data["blocks"][0], "I"),
                                     _unpack(data["blocks"][1], "i"))
        id_hashes, id_slots = _unpack(data["ids"][0], "I"), _unpack(data["ids"][1], "i")
        if (len(classes) != len(sigs) or len(block_hashes) != len(block_slots)
                or len(id_hashes) != len(id_slots)):
            raise ValueError("inconsistent matching state")
        id_edges = [(int(tag), int(rank), int(i), int(j)) for tag, rank, i, j in data["id_edges"]]
        fuzzy = [(float(w), int(i), int(j)) for w, i, j in data["fuzzy_edges"]]
        exclusive = {int(i): {str(k): str(v) for k, v in values.items()}
                     for i, values in data["exclusive"]}
        title_keys = {int(i): str(key) for i, key in data["title_keys"]}
        ends = [p for _, _, i, j in id_edges for p in (i, j)]
        ends += [p for _, i, j in fuzzy for p in (i, j)]
        if any(p not in title_keys for p in ends):
            raise ValueError("an edge without its records' title keys")
        ends += exclusive
        slots = [array("i", ends), block_slots, id_slots]
        if any(a and not (min(a) >= 0 and max(a) < len(sigs)) for a in slots):
            raise ValueError("matching state names records it does not have")
        return cls(sigs, classes, block_hashes, block_slots, id_hashes, id_slots, id_edges,
                   fuzzy, exclusive, title_keys)


def _sort_key(record: Record, title_key: str) -> tuple:
    """The record's :attr:`Features.sig` (its order among edges), from its title key."""
    origin = record.origin
    return (record.source, origin.location, origin.line or 0, record.key, title_key,
            record.year or 0)


def _keyed(first: float | int, i: int, j: int, records: list[Record],
           title_key: Callable[[int], str]) -> Edge:
    """The edge between positions ``i`` and ``j`` with the sort key :mod:`match` gives it:
    its score (or id rank), then its records' sort keys in order."""
    a, b = _sort_key(records[i], title_key(i)), _sort_key(records[j], title_key(j))
    return ((first, a, b) if a <= b else (first, b, a), i, j)


def state_key(cache: RecordCache, cfg: MatchConfig, rules: Rules, name: str = "sync") -> str:
    """The cache key of the matching state ``name`` for these settings and this code."""
    return cache.key("matching state", name, str(FORMAT), repr(cfg), repr(rules.decisive),
                     repr(rules.exclusive), str(array("I").itemsize), str(array("i").itemsize))


def group_cached(records: list[Record], cfg: MatchConfig, rules: Rules, cache: RecordCache,
                 unscored: list[tuple[str, int]], name: str = "sync") -> list[list[Record]]:
    """:func:`match.group_records` of ``records``, reusing (and leaving for the next run) the
    matching state in ``cache``."""
    sigs = _signatures(records) if cache.folder is not None else None
    if sigs is None:
        return match.group_records(records, cfg, rules, unscored)
    key = state_key(cache, cfg, rules, name)
    state = _load(cache, key)
    found = None
    if state is not None:
        try:
            found = _incremental(records, sigs, state, cfg, rules)
        except (KeyError, TypeError, ValueError, IndexError) as exc:  # a state that lied
            log.debug("records cache: matching state unusable (%s); matching all records", exc)
    if found is None:
        feats, id_edges, fuzzy_edges = match.match_edges(records, cfg, rules, unscored)
        groups = match.clusters_of(records, lambda i: match.exclusive_values(feats[i]),
                                   id_edges, fuzzy_edges)
        state = None if unscored else _cold_state(records, sigs, feats, id_edges, fuzzy_edges,
                                                   rules)
        if state is not None:
            cache.store(key, state.data())
        return groups
    groups, new_state = found
    log.info("matching: the last run's matches reused for the unchanged records")
    if new_state is not None:
        cache.store(key, new_state.data())
    return groups


def _signatures(records: list[Record]) -> list[str] | None:
    """Each record's :func:`record_sig` (in hex; that of the n-th copy of one content made
    its own), or None when two records have one place (source, location, line, key, year:
    their sort keys could tie, and the order of edges would depend on positions) or a value
    marshal cannot write."""
    places = set()
    sigs = []
    try:
        for record in records:
            origin = record.origin
            places.add((record.source, origin.location, origin.line or 0, record.key,
                        record.year or 0))
            sigs.append(record_sig(record))
    except (ValueError, TypeError):
        return None
    if len(places) != len(records):
        return None
    if len(set(sigs)) != len(sigs):  # copies of one entry: the first, the second, ...
        seen: dict[bytes, int] = {}
        for n, sig in enumerate(sigs):
            seen[sig] = k = seen.get(sig, -1) + 1
            if k:
                sigs[n] = hashlib.blake2b(sig + str(k).encode(),
                                          digest_size=_SIG_LENGTH // 2).digest()
    return [sig.hex() for sig in sigs]


def _load(cache: RecordCache, key: str) -> MatchState | None:
    stored = cache.read(key)
    if stored is None:
        return None
    cache.used.add(key)  # (overwritten at the end of the run; not logged as a parsed input)
    try:
        return MatchState.from_data(stored["data"])
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
        log.debug("records cache: matching state unusable (%s); matching all records", exc)
        return None


def _cold_state(records: list[Record], sigs: list[str], feats: list[Features],
                id_edges: list[Edge], fuzzy_edges: list[Edge], rules: Rules) -> MatchState | None:
    """The state of a full run (slots are positions); None if an edge's sort key is not the
    one :func:`_keyed` gives it (then the state could not be used)."""
    def title_key(i: int) -> str:
        return feats[i].title

    if any(_keyed(key[0], i, j, records, title_key) != (key, i, j)
           for key, i, j in (*id_edges, *fuzzy_edges)):
        return None
    decisive = rules.decisive
    blocks = [(h, i) for i, feat in enumerate(feats) for h in _block_hashes(feat)]
    ids = [(_id_hash(rank, value), i) for i, feat in enumerate(feats)
           for rank, value in _id_keys(feat, decisive)]
    block_hashes = array("I", [h for h, _ in blocks])
    block_slots = array("i", [i for _, i in blocks])
    id_hashes, id_slots = array("I", [h for h, _ in ids]), array("i", [i for _, i in ids])
    tagged = [(_id_hash(key[0], feats[i].ids[decisive[key[0]]]), key[0], i, j)
              for key, i, j in id_edges]
    ends = {p for _, i, j in (*id_edges, *fuzzy_edges) for p in (i, j)}
    exclusive = {i: values for i in ends if (values := _plain_exclusive(feats[i]))}
    return MatchState(sigs, [_class_hash(f) for f in feats], block_hashes, block_slots,
                      id_hashes, id_slots, tagged, [(key[0], i, j) for key, i, j in fuzzy_edges],
                      exclusive, {i: feats[i].title for i in ends})


def _plain_exclusive(feat: Features) -> dict[str, str]:
    return {name: next(iter(values)) for name, values in match.exclusive_values(feat).items()}


def _find(hashes: array, wanted: set[int]) -> dict[int, list[int]]:
    """The indices in ``hashes`` of each ``wanted`` hash (a byte search per hash when they
    are few, else one pass)."""
    found: dict[int, list[int]] = {}
    if len(wanted) > _FEW_HASHES:
        for k, h in enumerate(hashes):
            if h in wanted:
                found.setdefault(h, []).append(k)
        return found
    raw = hashes.tobytes()
    size = hashes.itemsize
    for h in wanted:
        needle = array(hashes.typecode, [h]).tobytes()
        at = raw.find(needle)
        while at >= 0:
            if at % size == 0:
                found.setdefault(h, []).append(at // size)
            at = raw.find(needle, at + 1)
    return found


class _Update:
    """One incremental run: the previous state mapped onto this run's records (which get
    slots: added ones new slots at the end)."""

    def __init__(self, records: list[Record], sigs: list[str], state: MatchState,
                 slot2new: list[int], new2slot: list[int], cfg: MatchConfig, rules: Rules):
        self.records = records
        self.state = state
        self.cfg = cfg
        self.rules = rules
        self.feats = feats = _LazyFeatures(records, cfg, rules)
        self.removed = [slot for slot, i in enumerate(slot2new)
                        if i < 0 and state.sigs[slot] != _DEAD]
        self.added = [i for i, slot in enumerate(new2slot) if slot < 0]
        for i in self.added:
            new2slot[i] = len(state.sigs)
            slot2new.append(i)
            state.sigs.append(sigs[i])
            state.classes.append(_class_hash(feats[i]))
        for slot in self.removed:
            state.sigs[slot] = _DEAD
        self.slot2new = slot2new
        self.new2slot = new2slot

    def fuzzy(self) -> list[Edge] | None:
        """Every fuzzy edge of this run, between positions (None: a block grew too large to
        be sure it is scored in full)."""
        state, feats, slot2new = self.state, self.feats, self.slot2new
        touched = {state.classes[self.new2slot[i]] for i in self.added}
        touched.update(state.classes[slot] for slot in self.removed)
        touched.discard(_NO_CLASS)
        members: dict[str, list[int]] = defaultdict(list)
        if touched:
            for slot, c in enumerate(state.classes):
                if c in touched and slot2new[slot] >= 0:
                    members[c].append(slot2new[slot])
        for group in members.values():
            group.sort(key=lambda i: feats[i].sig)
        wanted = {h for group in members.values() for h in _block_hashes(feats[group[0]])}
        found = _find(state.block_hashes, wanted)
        buckets = {h: {q for k in at if (q := slot2new[state.block_slots[k]]) >= 0}
                   for h, at in found.items()}
        for i in self.added:
            for h in _block_hashes(feats[i]):
                state.block_hashes.append(h)
                state.block_slots.append(self.new2slot[i])
                if h in wanted:
                    buckets.setdefault(h, set()).add(i)
        if any(len(bucket) > _SAFE_BLOCK for bucket in buckets.values()):
            return None
        inside = {i for group in members.values() for i in group}
        edges = [_keyed(w, slot2new[i], slot2new[j], self.records, self.title_key)
                 for w, i, j in state.fuzzy_edges
                 if slot2new[i] >= 0 and slot2new[j] >= 0
                 and slot2new[i] not in inside and slot2new[j] not in inside]
        for c, group in members.items():
            if len(group) > 1:
                edges.extend(match.copy_edges(group, feats, self.records, self.cfg))
            edges.extend(self._neighbours(c, group, members, buckets))
        return edges

    def _neighbours(self, c: str, group: list[int], members: dict[str, list[int]],
                    buckets: dict[int, set[int]]) -> list[Edge]:
        """The edges between class ``c`` (changed) and the classes sharing a block with it
        (between two changed classes, found from the lesser one's side)."""
        feats, classes, new2slot = self.feats, self.state.classes, self.new2slot
        rep = feats[group[0]]
        others: dict[str, set[int]] = defaultdict(set)
        for h in _block_hashes(rep):
            for p in buckets.get(h, ()):
                d = classes[new2slot[p]]
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

    def ids(self) -> list[tuple[int, Edge]]:
        """Every id edge of this run (with its id hash), between positions."""
        state, feats, slot2new = self.state, self.feats, self.slot2new
        decisive = self.rules.decisive
        wanted: set[int] = set()
        if self.removed:
            removed = set(self.removed)
            wanted.update(h for h, slot in zip(state.id_hashes, state.id_slots, strict=True)
                          if slot in removed)
        own = [(i, _id_hash(rank, value)) for i in self.added
               for rank, value in _id_keys(feats[i], decisive)]
        wanted.update(h for _, h in own)
        buckets = {h: {q for k in at if (q := slot2new[state.id_slots[k]]) >= 0}
                   for h, at in _find(state.id_hashes, wanted).items()}
        for i, h in own:
            state.id_hashes.append(h)
            state.id_slots.append(self.new2slot[i])
            buckets.setdefault(h, set()).add(i)
        edges = [(tag, _keyed(rank, slot2new[i], slot2new[j], self.records, self.title_key))
                 for tag, rank, i, j in state.id_edges if tag not in wanted]
        for h, bucket in buckets.items():
            groups: dict[tuple[int, str], list[int]] = defaultdict(list)
            for i in sorted(bucket):
                for rank, value in _id_keys(feats[i], decisive):
                    if _id_hash(rank, value) == h:
                        groups[(rank, value)].append(i)
            for (rank, _), group in groups.items():
                if len(group) > 1:
                    edges.extend((h, e) for e in match.id_group_edges(rank, group, feats))
        return edges

    def title_key(self, i: int) -> str:
        """The title key of the record at position ``i`` (an edge's end)."""
        feat = self.feats.known.get(i)
        return feat.title if feat is not None else self.state.title_keys[self.new2slot[i]]

    def finish(self, id_edges: list[tuple[int, Edge]], fuzzy_edges: list[Edge]) -> None:
        """Keep this run's edges (and their ends' exclusive values) in the state, by slot."""
        state, known, slot = self.state, self.feats.known, self.new2slot
        stored = state.exclusive
        ends = {p for _, (_, i, j) in id_edges for p in (i, j)}
        ends.update(p for _, i, j in fuzzy_edges for p in (i, j))
        exclusive = {}
        for i in ends:
            values = _plain_exclusive(known[i]) if i in known else stored.get(slot[i])
            if values:
                exclusive[slot[i]] = values
        state.title_keys = {slot[i]: self.title_key(i) for i in ends}
        state.exclusive = exclusive
        state.id_edges = [(tag, key[0], slot[i], slot[j]) for tag, (key, i, j) in id_edges]
        state.fuzzy_edges = [(key[0], slot[i], slot[j]) for key, i, j in fuzzy_edges]


def _incremental(records: list[Record], sigs: list[str], state: MatchState, cfg: MatchConfig,
                 rules: Rules) -> tuple[list[list[Record]], MatchState | None] | None:
    """The clusters of ``records`` from the previous ``state``, and the new state (None: no
    change). None: match everything again (many changes, many dead slots, a large block)."""
    live = {s: slot for slot, s in enumerate(state.sigs) if s != _DEAD}
    new_at = {s: i for i, s in enumerate(sigs)}
    slot2new = [new_at.get(s, -1) for s in state.sigs]
    new2slot = [live.get(s, -1) for s in sigs]
    changes = (len(sigs) - sum(1 for slot in new2slot if slot >= 0)) + (len(live) - len(
        [i for i in slot2new if i >= 0]))
    if changes > max(64, len(records) // 4):
        return None
    if len(state.sigs) + changes - len(records) > max(_MAX_DEAD, len(state.sigs) // 4):
        return None  # many dead slots: a full run writes a compact state
    update = _Update(records, sigs, state, slot2new, new2slot, cfg, rules)
    fuzzy_edges = update.fuzzy()
    if fuzzy_edges is None:
        return None
    id_edges = update.ids()
    known = update.feats.known
    stored, slot_of = state.exclusive, update.new2slot

    def exclusive(i: int) -> dict[str, set[str]]:
        if i in known:
            return match.exclusive_values(known[i])
        return {name: {value} for name, value in stored.get(slot_of[i], {}).items()}

    groups = match.clusters_of(records, exclusive, [e for _, e in id_edges], fuzzy_edges)
    if not changes and all(slot == i for i, slot in enumerate(new2slot)):
        return groups, None
    update.finish(id_edges, fuzzy_edges)
    return groups, state
