"""Which records are the same work: identifiers first, then a blocked, scored comparison.

Identifiers (DOI, arXiv id, eScholarship id, Scholar id) are decisive. Records without a
shared identifier are compared only when they share a *block* (same title key, same
significant-word signature or title prefix, or same first author within the year tolerance),
so the work stays near linear. Records with identical match features (exact duplicates) are
scored once, as one class; a block is scored in vectorised calls (rapidfuzz ``cdist``), split
by title numerals and, when large, by year window; no block is skipped (what cannot be scored
in full is reported). The comparison is a weighted similarity with named components
(``title``, ``author``, ``year``) whose weights and thresholds come from :class:`MatchConfig`;
two records match when the score reaches ``strong`` and the title similarity ``title_min``.

Clusters are the connected components of these matches, built with union-find. Fuzzy matches
are applied in an order derived from the records' content (never their input position) and
never join two clusters that carry different values of one strong identifier, so the
partition does not depend on the input order.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from scholarsync import sources as registry
from scholarsync.config import MatchConfig
from scholarsync.core.normalize import (
    STOP_WORDS,
    name_key,
    title_key,
)
from scholarsync.model import Record, Rules

if TYPE_CHECKING:
    import numpy as np

#: Which identifiers are decisive (equal values: the same work) and exclusive (different
#: values: never the same work) is declared by the sources (:class:`Rules`). A profile's own
#: article id, say, is decisive but not exclusive: a profile often lists two versions of a work.

_BRACES = re.compile(r"[{}\s]+")
_DIGITS = re.compile(r"\d+")
_ROMAN = frozenset({"ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii"})
_SPLIT = 400  # a block of more distinct feature sets is scored by year window
_MAX_PAIRS = 4_000_000  # a larger piece of a block is scored only within each first author
_VECTOR_MIN = 10_000  # pieces with fewer pairs are scored pair by pair (numpy not imported)
_CHUNK_CELLS = 250_000  # title similarities computed per vectorised call (memory bound)


@dataclass(slots=True)
class Features:
    """What matching looks at, computed once per record."""

    ids: dict[str, str]  # decisive identifiers, normalized
    exclusive: dict[str, str]  # those of them of which one work has at most one value
    title: str  # title key
    numbers: frozenset[str]  # numerals in the title ("part 2", "II"): they must agree
    author: str  # first author's folded family name ("" when unknown)
    authors: tuple[str, ...]  # first few family names
    year: int | None
    key: str  # citation key: two copies of one entry may disagree on pages
    sig: tuple  # content-derived identity, for an order-independent tie-break
    locators: dict[str, str] = field(default_factory=dict)  # volume, number, first page
    blocks: list[str] = field(default_factory=list)


@dataclass
class Score:
    """A named-component comparison of two records (each component a similarity in 0..1)."""

    title: float
    author: float | None
    year: float | None
    total: float

    def matches(self, cfg: MatchConfig) -> bool:
        return self.total >= cfg.strong and self.title >= cfg.title_min


def match_ids(record: Record, rules: Rules) -> dict[str, str]:
    """The record's decisive identifiers, normalized for comparison (an arXiv DOI counts as
    the arXiv id it names)."""
    ids: dict[str, str] = {}
    for spec in rules.identifiers:
        value = record.ids.get(spec.name)
        if not spec.decisive or not value:
            continue
        key = spec.match_key(value) if spec.match_key else value.strip()
        if not key:
            continue
        target = spec.alias(key) if spec.alias else None
        if target is not None:
            ids[target[0]] = target[1]
        else:
            ids[spec.name] = key
    return ids


@lru_cache(maxsize=65536)
def _family(family: str) -> str:
    return name_key(family)


def features(record: Record, year_tolerance: int, rules: Rules | None = None,
             titles: dict[str, tuple] | None = None) -> Features:
    """Compute the matching features and blocking keys of one record. ``titles``: what is
    known of each title seen so far (filled here), so it is computed once per distinct title."""
    families = []
    for person in record.authors[:3]:
        name = person.family or person.literal
        if name and name != "others":
            folded = _family(name)
            if folded:
                families.append(folded)
    title = record.title
    parts = None if titles is None else titles.get(title)
    if parts is None:
        parts = _title_parts(title)
        if titles is not None:
            titles[title] = parts
    tkey, numbers, title_blocks = parts
    origin = record.origin
    year = record.year
    sig = (record.source, origin.location, origin.line or 0, record.key, tkey, year or 0)
    author = families[0] if families else ""
    blocks = list(title_blocks)
    if tkey and author:
        if year is None:
            blocks.append(f"a:{author}::{tkey[0]}")
        else:
            blocks.extend([f"a:{author}:{year + d}:{tkey[0]}" for d in range(year_tolerance + 1)])
    rules = rules or registry.rules()
    ids = match_ids(record, rules)
    if ids:
        names = _exclusive_names(rules)
        exclusive = {n: v for n, v in ids.items() if n in names}
    else:
        exclusive = {}
    return Features(ids, exclusive, tkey, numbers, author, tuple(families), year,
                    record.key, sig, _locators(record.fields), blocks)


_EXCLUSIVE: list = [None, frozenset()]  # the rules last seen, and their exclusive identifiers


def _exclusive_names(rules: Rules) -> frozenset[str]:
    """``rules.exclusive`` (a property computed on each use), once per rules object."""
    if _EXCLUSIVE[0] is not rules:
        _EXCLUSIVE[:] = [rules, frozenset(rules.exclusive)]
    return _EXCLUSIVE[1]  # type: ignore[no-any-return]


def _title_parts(title: str) -> tuple[str, frozenset[str], tuple[str, ...]]:
    """A title's key, its numerals and its title blocks."""
    tkey = title_key(title)
    if not tkey:
        return tkey, frozenset(), ()
    words = tkey.split()
    numbers = _ROMAN.intersection(words)
    if not tkey.isalpha():  # (a key of more than one word is never all letters)
        numbers = numbers.union(_DIGITS.findall(tkey))
    blocks = ["t:" + tkey]
    significant = {w for w in words if len(w) > 2 and w not in STOP_WORDS}
    if significant:  # the 4 longest (ties: alphabetically first), in alphabetical order
        longest = sorted(sorted(significant), key=len, reverse=True)[:4]
        blocks.append("s:" + " ".join(sorted(longest)))
    if len(tkey) >= 12:
        blocks.append("p:" + tkey[:16])
    return tkey, numbers, tuple(blocks)


_PAGE = re.compile(r"[A-Za-z]*\d+")


def _locators(fields: dict[str, str]) -> dict[str, str]:
    """Volume, number and first page, compared loosely: two records that both have one and
    disagree on it are different works (monthly columns share title, author and year)."""
    found: dict[str, str] = {}
    for name in ("volume", "number"):
        value = fields.get(name)
        if value:
            if "{" in value or " " in value:
                value = _BRACES.sub("", value)
            if value:
                found[name] = value.casefold()
    pages = fields.get("pages")
    if pages:
        page = _PAGE.search(pages)
        if page:
            found["page"] = page.group().casefold().lstrip("0")
    return found


def _author_similarity(a: Features, b: Features) -> float | None:
    if not a.author or not b.author:
        return None
    if a.author == b.author:
        return 1.0
    if a.author.rsplit(" ", 1)[-1] == b.author.rsplit(" ", 1)[-1]:
        return 0.9  # "van haagen" / "haagen": a particle kept or dropped
    if a.author in b.authors or b.author in a.authors:
        return 0.8  # the same person, listed in another position
    ratio = fuzz.ratio(a.author, b.author) / 100
    return ratio if ratio >= 0.85 else 0.0


def _year_similarity(a: Features, b: Features, tolerance: int) -> float | None:
    if a.year is None or b.year is None:
        return None
    diff = abs(a.year - b.year)
    if diff > tolerance:
        return 0.0
    return 1.0 - 0.5 * diff / (tolerance + 1)


def title_similarity(a: str, b: str) -> float:
    """Similarity of two title keys in 0..1: edit distance or word order ignored; a title cut
    short (at least four words and half the other's length) counts as 0.9."""
    if a == b:
        return 1.0 if a else 0.0
    if not a or not b:
        return 0.0
    similarity = max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100
    short, long = (a, b) if len(a) < len(b) else (b, a)
    if (similarity < 0.9 and long.startswith(short + " ") and short.count(" ") >= 3
            and 2 * len(short) >= len(long)):
        return 0.9
    return similarity


def vetoed(a: Features, b: Features, tolerance: int) -> bool:
    """Never the same work, whatever the score: titles with different numerals ("Part 1" /
    "Part 2"), or years further apart than the tolerance."""
    return a.numbers != b.numbers or (a.year is not None and b.year is not None
                                      and abs(a.year - b.year) > tolerance)


def score(a: Features, b: Features, cfg: MatchConfig, title: float | None = None) -> Score:
    """The weighted similarity of two records. An unknown component counts as half similar;
    a :func:`vetoed` pair scores 0. ``title``: their :func:`title_similarity`, if known."""
    author = _author_similarity(a, b)
    year = _year_similarity(a, b, cfg.year_tolerance)
    if vetoed(a, b, cfg.year_tolerance):
        return Score(0.0, author, year, 0.0)
    if title is None:
        title = title_similarity(a.title, b.title)
    weights = cfg.title_weight + cfg.author_weight + cfg.year_weight
    total = (cfg.title_weight * title
             + cfg.author_weight * (0.5 if author is None else author)
             + cfg.year_weight * (0.5 if year is None else year)) / (weights or 1.0)
    return Score(title, author, year, total)


#: A candidate edge: (sort key derived from content, index, index).
Edge = tuple[tuple, int, int]


class _Clusters:
    """Union-find that remembers each cluster's exclusive identifiers (``exclusive(i)``: a
    fresh dict of record ``i``'s, asked only of the records edges name)."""

    def __init__(self, size: int, exclusive: Callable[[int], dict[str, set[str]]]):
        self.parent = list(range(size))
        self.exclusive = exclusive
        self.ids: dict[int, dict[str, set[str]]] = {}  # root -> values, filled when needed

    def values(self, root: int) -> dict[str, set[str]]:
        found = self.ids.get(root)
        if found is None:
            found = self.ids[root] = self.exclusive(root)
        return found

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def conflict(self, a: int, b: int, locators: bool = True) -> bool:
        """True when the clusters of roots ``a`` and ``b`` disagree on an exclusive id (and,
        with ``locators``, on volume, number or first page)."""
        ids_a, ids_b = self.values(a), self.values(b)
        return any(name in ids_b and not values & ids_b[name] for name, values in ids_a.items()
                   if locators or not name.startswith("~"))

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if ra > rb:
            ra, rb = rb, ra
        self.parent[rb] = ra
        merged = self.values(ra)
        for name, values in self.values(rb).items():
            merged.setdefault(name, set()).update(values)
        del self.ids[rb]


def group_records(records: list[Record], cfg: MatchConfig, rules: Rules | None = None,
                  unscored: list[tuple[str, int]] | None = None) -> list[list[Record]]:
    """Clusters of records that are the same work, each in input order, ordered by their
    first record's position in the input. Blocks of which some pairs were not scored (too
    large even split by year window) are added to ``unscored`` as (block key, size): the
    caller reports them."""
    feats, id_edges, fuzzy_edges = match_edges(records, cfg, rules or registry.rules(), unscored)
    return clusters_of(records, lambda i: exclusive_values(feats[i]), id_edges, fuzzy_edges)


def match_edges(records: list[Record], cfg: MatchConfig, rules: Rules,
                unscored: list[tuple[str, int]] | None = None
                ) -> tuple[list[Features], list[Edge], list[Edge]]:
    """Every record's features, and the candidate edges: shared ids, then scored matches."""
    titles: dict[str, tuple] = {}
    feats = [features(r, cfg.year_tolerance, rules, titles) for r in records]
    del titles
    return feats, _id_edges(feats, rules.decisive), _fuzzy_edges(feats, records, cfg, unscored)


def clusters_of(records: list[Record], exclusive: Callable[[int], dict[str, set[str]]],
                id_edges: list[Edge], fuzzy_edges: list[Edge]) -> list[list[Record]]:
    """The clusters the edges make, applied in their content-derived order (id edges first),
    never joining two clusters whose exclusive values differ."""
    clusters = _Clusters(len(records), exclusive)
    for _, i, j in sorted(id_edges):
        ri, rj = clusters.find(i), clusters.find(j)
        if ri != rj and not clusters.conflict(ri, rj, locators=False):
            clusters.union(ri, rj)
    for _, i, j in sorted(fuzzy_edges):
        ri, rj = clusters.find(i), clusters.find(j)
        if ri != rj and not clusters.conflict(ri, rj):
            clusters.union(ri, rj)
    groups: dict[int, list[Record]] = defaultdict(list)
    for i, record in enumerate(records):
        groups[clusters.find(i)].append(record)
    return list(groups.values())


def _id_edges(feats: list[Features], decisive: tuple[str, ...]) -> list[Edge]:
    """Pairs sharing a decisive identifier, in an order derived from content. A pair whose
    titles and first authors both clearly differ is dropped: that id was copied by mistake."""
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    for i, feat in enumerate(feats):
        for rank, name in enumerate(decisive):
            value = feat.ids.get(name)
            if value:
                groups[(rank, value)].append(i)
    edges: list[Edge] = []
    for (rank, _), members in groups.items():
        if len(members) > 1:
            edges.extend(id_group_edges(rank, members, feats))
    return edges


def id_group_edges(rank: int, members: list[int], feats: Sequence[Features]) -> list[Edge]:
    """The edges of the records ``members`` that share one value of the ``rank``-th decisive
    identifier (every pair, or past 50 records each to the least one by content)."""
    members = sorted(members, key=lambda i: feats[i].sig)
    pairs = ([(a, b) for x, a in enumerate(members) for b in members[x + 1:]]
             if len(members) <= 50 else [(members[0], b) for b in members[1:]])
    edges: list[Edge] = []
    for a, b in pairs:
        fa, fb = feats[a], feats[b]
        if (fa.title and fb.title and title_similarity(fa.title, fb.title) < 0.5
                and _author_similarity(fa, fb) == 0.0):
            continue
        edges.append(((rank, fa.sig, fb.sig), a, b))
    return edges


def _fuzzy_edges(feats: list[Features], records: list[Record], cfg: MatchConfig,
                 unscored: list[tuple[str, int]] | None = None) -> list[Edge]:
    """Matching pairs found within blocks, with a content-derived sort key.

    Records whose match features are identical (exact duplicates) form one *class*: its
    copies get an edge to its least member (by content), and blocks hold classes, so each
    distinct feature set is scored once against the others. Between two classes the one
    edge kept is the one their records' pairwise edges would apply first (between their
    least members)."""
    classes: dict[tuple, list[int]] = {}
    for i, feat in enumerate(feats):
        if feat.blocks:
            classes.setdefault(class_key(feat), []).append(i)
    members = [sorted(group, key=lambda i: feats[i].sig) for group in classes.values()]
    edges: list[Edge] = []
    blocks: dict[str, list[int]] = defaultdict(list)
    for c, group in enumerate(members):
        if len(group) > 1:
            edges.extend(copy_edges(group, feats, records, cfg))
        for key in feats[group[0]].blocks:
            blocks[key].append(c)
    scorer = _BlockScorer(feats, members, cfg, edges)
    for key, block in blocks.items():
        if len(block) > 1:
            scorer.block(key, block)
    if unscored is not None:
        unscored.extend(scorer.unscored)
    return edges


def class_key(feat: Features) -> tuple:
    """Everything pair scoring and its vetoes look at, but the citation key."""
    return (feat.title, feat.authors, feat.year, tuple(sorted(feat.ids.items())),
            tuple(sorted(feat.locators.items())))


def copy_edges(group: list[int], feats: Sequence[Features], records: Sequence[Record],
               cfg: MatchConfig) -> list[Edge]:
    """Edges joining the records of one class to its least member, when such a pair matches
    at all; when it does not (a title alone), only copies of one entry (same type and fields)
    are joined, each to the least of its copies."""
    rep = feats[group[0]]
    own = score(rep, rep, cfg)
    if own.matches(cfg):
        parts = [group]
    else:
        by_content: dict[tuple, list[int]] = defaultdict(list)
        for i in group:
            by_content[_content(records[i])].append(i)
        parts = list(by_content.values())
    return [((-own.total, feats[part[0]].sig, feats[i].sig), part[0], i)
            for part in parts for i in part[1:]]


def _content(record: Record) -> tuple:
    """What an exact copy of an entry shares with it (all but its key and position)."""
    return (record.type, record.title, tuple(record.authors), record.year, record.venue,
            tuple(sorted(record.fields.items())), tuple(sorted(record.ids.items())))


class _BlockScorer:
    """Scores the classes of each block, every pair at most once, into ``edges``.

    A block is first split where no pair could match anyway: by the numerals of the title
    (different numerals veto a match), then, past ``_SPLIT`` classes, into year windows of
    the year tolerance. A piece with more than ``_MAX_PAIRS`` pairs is compared only within
    each first author (and with records lacking one); its block is then in ``unscored``."""

    def __init__(self, feats: list[Features], members: list[list[int]], cfg: MatchConfig,
                 edges: list[Edge]):
        self.feats = feats
        self.members = members
        self.reps = [feats[group[0]] for group in members]
        self.cfg = cfg
        self.edges = edges
        self.seen: set[int] = set()  # class pairs a * len(members) + b, a < b
        self.unscored: list[tuple[str, int]] = []
        self.cutoff = max(0.0, 100 * cfg.title_min - 1e-6)

    def block(self, key: str, block: list[int]) -> None:
        parts: dict[frozenset[str], list[int]] = defaultdict(list)
        for c in block:
            parts[self.reps[c].numbers].append(c)
        same_title = key.startswith("t:")
        for part in parts.values():
            if len(part) < 2:
                continue
            for rows, cols in self._windows(part):
                if _pair_count(rows, cols) <= _MAX_PAIRS:
                    self._rect(rows, cols, same_title)
                else:
                    self._by_author(key, block, rows, cols, same_title)

    def _windows(self, part: list[int]) -> Iterator[tuple[list[int], list[int] | None]]:
        """(rows, cols) pieces covering every pair of ``part`` within the year tolerance;
        cols ``None``: every pair of rows."""
        if len(part) <= _SPLIT:
            yield part, None
            return
        tolerance = self.cfg.year_tolerance
        by_year: dict[int, list[int]] = defaultdict(list)
        undated: list[int] = []
        for c in part:
            year = self.reps[c].year
            if year is None:
                undated.append(c)
            else:
                by_year[year].append(c)
        for year in sorted(by_year):
            rows = by_year[year]
            if len(rows) > 1:
                yield rows, None
            later = [c for d in range(1, tolerance + 1) for c in by_year.get(year + d, ())]
            if later:
                yield rows, later
        if undated:
            if len(undated) > 1:
                yield undated, None
            dated = [c for c in part if self.reps[c].year is not None]
            if dated:
                yield undated, dated

    def _by_author(self, key: str, block: list[int], rows: list[int], cols: list[int] | None,
                   same_title: bool) -> None:
        """Compare a piece too large to score in full only within each first author (and
        with the records that have none), and report its block."""
        if not any(k == key for k, _ in self.unscored):
            self.unscored.append((key, sum(len(self.members[c]) for c in block)))
        row_by, col_by = self._authors(rows), self._authors(rows if cols is None else cols)
        pieces: list[tuple[list[int], list[int] | None]] = []
        for author, mine in row_by.items():
            if not author:
                pieces.append((mine, rows if cols is None else cols))
            elif cols is None:
                pieces.append((mine, None))
                pieces.append((mine, col_by.get("", [])))
            else:
                pieces.append((mine, col_by.get(author, []) + col_by.get("", [])))
        for piece_rows, piece_cols in pieces:
            if piece_cols == []:
                continue
            if _pair_count(piece_rows, piece_cols) <= _MAX_PAIRS:
                self._rect(piece_rows, piece_cols, same_title)

    def _authors(self, classes: list[int]) -> dict[str, list[int]]:
        found: dict[str, list[int]] = defaultdict(list)
        for c in classes:
            found[self.reps[c].author].append(c)
        return found

    def _rect(self, rows: list[int], cols: list[int] | None, same_title: bool) -> None:
        """Score every pair of ``rows`` x ``cols`` (of ``rows`` when ``cols`` is None)."""
        if _pair_count(rows, cols) < _VECTOR_MIN:
            pairs = itertools.combinations(rows, 2) if cols is None else (
                (a, b) for a in rows for b in cols)
            for a, b in pairs:
                self._pair(a, b, None)
            return
        import numpy as np  # only for large blocks: importing it costs ~14 MB

        targets = rows if cols is None else cols
        col_years = _years(self.reps, targets)
        col_titles = [self.reps[c].title for c in targets]
        step = max(1, _CHUNK_CELLS // len(targets))
        for start in range(0, len(rows), step):
            chunk = rows[start:start + step]
            first = start + 1 if cols is None else 0  # a triangle: only columns after the row
            if first >= len(targets):
                break
            gap = np.abs(_years(self.reps, chunk)[:, None] - col_years[None, first:])
            mask = ~(gap > self.cfg.year_tolerance)  # an unknown year vetoes nothing
            sims = None
            if not same_title:
                sims = title_matrix([self.reps[c].title for c in chunk], col_titles[first:],
                                    self.cutoff)
                mask &= sims >= self.cfg.title_min
            if cols is None:
                mask = np.triu(mask)  # row start + r, column start + 1 + c: keep c >= r
            for r, c in zip(*np.nonzero(mask), strict=True):
                title = None if sims is None else float(sims[r, c])
                self._pair(chunk[r], targets[first + c], title)

    def _pair(self, a: int, b: int, title: float | None) -> None:
        if a == b:
            return
        pair = a * len(self.members) + b if a < b else b * len(self.members) + a
        if pair in self.seen:
            return
        self.seen.add(pair)
        self.edges.extend(class_edges(self.feats, self.members[a], self.members[b], self.cfg,
                                      title))


def class_edges(feats: Sequence[Features], group_a: list[int], group_b: list[int],
                cfg: MatchConfig, title: float | None = None) -> list[Edge]:
    """The edges between two classes (each sorted by content, its least member first) that
    share a block: one between their least members when they match, or, when their pages
    disagree, one between each two of their copies of one citation key. ``title``: the
    title similarity, if known."""
    fa, fb = feats[group_a[0]], feats[group_b[0]]
    if vetoed(fa, fb, cfg.year_tolerance) or _hard_conflict(fa, fb):
        return []
    result = score(fa, fb, cfg, title)
    if not result.matches(cfg):
        return []
    if not _page_conflict(fa, fb):
        return [_edge(feats, result.total, group_a[0], group_b[0])]
    by_key: dict[str, list[int]] = defaultdict(list)
    for i in group_a:  # pages disagree: only two copies of one key may still match
        by_key[feats[i].key].append(i)
    return [_edge(feats, result.total, i, j) for j in group_b for i in by_key.get(feats[j].key, ())]


def _edge(feats: Sequence[Features], total: float, i: int, j: int) -> Edge:
    if i > j:
        i, j = j, i
    lo, hi = sorted((feats[i].sig, feats[j].sig))
    return ((-total, lo, hi), i, j)


def _pair_count(rows: list[int], cols: list[int] | None) -> int:
    return len(rows) * (len(rows) - 1) // 2 if cols is None else len(rows) * len(cols)


def _years(reps: list[Features], classes: list[int]) -> np.ndarray:
    import numpy as np

    return np.array([np.nan if reps[c].year is None else reps[c].year for c in classes],
                    dtype=np.float64)


def title_matrix(rows: list[str], cols: list[str], cutoff: float = 0.0) -> np.ndarray:
    """:func:`title_similarity` of every row title key with every column title key, in one
    vectorised call per scorer. Similarities below ``cutoff`` (in percent) may read 0 or, for
    a title cut short, 0.9."""
    import numpy as np

    ratio = process.cdist(rows, cols, scorer=fuzz.ratio, dtype=np.float64,
                          score_cutoff=cutoff)
    # token_sort_ratio is the ratio of the sorted words: title keys are single-spaced words
    ordered = process.cdist([_sorted_words(t) for t in rows], [_sorted_words(t) for t in cols],
                            scorer=fuzz.ratio, dtype=np.float64, score_cutoff=cutoff)
    sims = np.maximum(ratio, ordered) / 100
    for r, c in _cut_short(rows, cols):
        if sims[r, c] < 0.9:
            sims[r, c] = 0.9
    return sims


@lru_cache(maxsize=65536)
def _sorted_words(title: str) -> str:
    return " ".join(sorted(title.split()))


def _cut_short(rows: list[str], cols: list[str]) -> list[tuple[int, int]]:
    """(row, col) pairs of which one title is the other cut short: it starts the other, has
    at least four words and half the other's length."""
    found: list[tuple[int, int]] = []
    for longs, shorts, flipped in ((rows, cols, False), (cols, rows, True)):
        order = sorted(range(len(longs)), key=longs.__getitem__)
        keys = [longs[i] for i in order]
        for s, short in enumerate(shorts):
            if short.count(" ") < 3:
                continue
            head = short + " "
            at = bisect.bisect_left(keys, head)
            while at < len(keys) and keys[at].startswith(head):
                if 2 * len(short) >= len(keys[at]):
                    found.append((s, order[at]) if flipped else (order[at], s))
                at += 1
    return found


def exclusive_values(feat: Features) -> dict[str, set[str]]:
    """A cluster's exclusive values: identifiers, volume and number (pages differ too often
    between copies of one entry to be held against a whole cluster)."""
    values = {name: {v} for name, v in feat.exclusive.items()}
    for name, v in feat.locators.items():
        if name != "page":
            values["~" + name] = {v}
    return values


def _hard_conflict(a: Features, b: Features) -> bool:
    """Never the same work: different exclusive ids, volumes or numbers (different first
    pages too, unless the two share a citation key: see :func:`_page_conflict`)."""
    if any(n in b.exclusive and b.exclusive[n] != v for n, v in a.exclusive.items()):
        return True
    la, lb = a.locators, b.locators
    return any(name in lb and la[name] != lb[name] for name in la if name != "page")


def _page_conflict(a: Features, b: Features) -> bool:
    page = a.locators.get("page")
    return page is not None and page != b.locators.get("page", page)
