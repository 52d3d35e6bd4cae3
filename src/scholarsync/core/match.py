"""Which records are the same work: identifiers first, then a blocked, scored comparison.

Identifiers (DOI, arXiv id, eScholarship id, Scholar id) are decisive. Records without a
shared identifier are compared only when they share a *block* (same title key, same
significant-word signature or title prefix, or same first author within the year tolerance),
so the work stays near linear. The comparison is a weighted similarity with named components
(``title``, ``author``, ``year``) whose weights and thresholds come from :class:`MatchConfig`;
two records match when the score reaches ``strong`` and the title similarity ``title_min``.

Clusters are the connected components of these matches, built with union-find. Fuzzy matches
are applied in an order derived from the records' content (never their input position) and
never join two clusters that carry different values of one strong identifier, so the
partition does not depend on the input order.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from scholarsync import sources as registry
from scholarsync.config import MatchConfig
from scholarsync.core.normalize import (
    STOP_WORDS,
    name_key,
    title_key,
)
from scholarsync.model import Record, Rules

#: Which identifiers are decisive (equal values: the same work) and exclusive (different
#: values: never the same work) is declared by the sources (:class:`Rules`). A profile's own
#: article id, say, is decisive but not exclusive: a profile often lists two versions of a work.

_BRACES = re.compile(r"[{}\s]+")
_DIGITS = re.compile(r"\d+")
_ROMAN = frozenset({"ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii"})
_MAX_BLOCK = 400  # a larger fuzzy block (e.g. a very common surname) is not scored


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


def features(record: Record, year_tolerance: int, rules: Rules | None = None) -> Features:
    """Compute the matching features and blocking keys of one record."""
    families = []
    for person in record.authors[:3]:
        name = person.family or person.literal
        if name and name != "others":
            folded = _family(name)
            if folded:
                families.append(folded)
    tkey = title_key(record.title)
    words = tkey.split()
    numbers = frozenset(_DIGITS.findall(tkey) + [w for w in words if w in _ROMAN]
                        ) if tkey else frozenset()
    origin = record.origin
    sig = (record.source, origin.location, origin.line or 0, record.key, tkey, record.year or 0)
    author = families[0] if families else ""
    blocks: list[str] = []
    if tkey:
        blocks.append("t:" + tkey)
        significant = sorted({w for w in words if len(w) > 2 and w not in STOP_WORDS},
                             key=_longest_first)[:4]
        if significant:
            blocks.append("s:" + " ".join(sorted(significant)))
        if len(tkey) >= 12:
            blocks.append("p:" + tkey[:16])
        if author:
            year = record.year
            if year is None:
                blocks.append(f"a:{author}::{tkey[0]}")
            else:
                blocks.extend(f"a:{author}:{year + d}:{tkey[0]}"
                              for d in range(year_tolerance + 1))
    rules = rules or registry.rules()
    ids = match_ids(record, rules)
    exclusive = {n: v for n, v in ids.items() if n in rules.exclusive}
    return Features(ids, exclusive, tkey, numbers, author, tuple(families), record.year,
                    record.key, sig, _locators(record.fields), blocks)


def _longest_first(word: str) -> tuple[int, str]:
    return (-len(word), word)


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


def score(a: Features, b: Features, cfg: MatchConfig) -> Score:
    """The weighted similarity of two records. An unknown component counts as half similar;
    a :func:`vetoed` pair scores 0."""
    author = _author_similarity(a, b)
    year = _year_similarity(a, b, cfg.year_tolerance)
    if vetoed(a, b, cfg.year_tolerance):
        return Score(0.0, author, year, 0.0)
    title = title_similarity(a.title, b.title)
    weights = cfg.title_weight + cfg.author_weight + cfg.year_weight
    total = (cfg.title_weight * title
             + cfg.author_weight * (0.5 if author is None else author)
             + cfg.year_weight * (0.5 if year is None else year)) / (weights or 1.0)
    return Score(title, author, year, total)


class _Clusters:
    """Union-find that remembers each cluster's exclusive identifiers."""

    def __init__(self, feats: list[Features]):
        self.parent = list(range(len(feats)))
        self.feats = feats
        self.ids: dict[int, dict[str, set[str]]] = {}  # root -> values, filled when needed

    def values(self, root: int) -> dict[str, set[str]]:
        found = self.ids.get(root)
        if found is None:
            found = self.ids[root] = _exclusive(self.feats[root])
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
    first record's position in the input. Blocks too large to score pair by pair are added
    to ``unscored`` as (block key, size): the caller reports them."""
    rules = rules or registry.rules()
    feats = [features(r, cfg.year_tolerance, rules) for r in records]
    clusters = _Clusters(feats)
    for _, i, j in sorted(_id_edges(feats, rules.decisive)):
        ri, rj = clusters.find(i), clusters.find(j)
        if ri != rj and not clusters.conflict(ri, rj, locators=False):
            clusters.union(ri, rj)
    for _, i, j in sorted(_fuzzy_edges(feats, cfg, unscored)):
        ri, rj = clusters.find(i), clusters.find(j)
        if ri != rj and not clusters.conflict(ri, rj):
            clusters.union(ri, rj)
    groups: dict[int, list[Record]] = defaultdict(list)
    for i, record in enumerate(records):
        groups[clusters.find(i)].append(record)
    return list(groups.values())


def _id_edges(feats: list[Features], decisive: tuple[str, ...]) -> list[tuple[tuple, int, int]]:
    """Pairs sharing a decisive identifier, in an order derived from content. A pair whose
    titles and first authors both clearly differ is dropped: that id was copied by mistake."""
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    for i, feat in enumerate(feats):
        for rank, name in enumerate(decisive):
            value = feat.ids.get(name)
            if value:
                groups[(rank, value)].append(i)
    edges: list[tuple[tuple, int, int]] = []
    for (rank, _), members in groups.items():
        if len(members) < 2:
            continue
        members = sorted(members, key=lambda i: feats[i].sig)
        pairs = ([(a, b) for x, a in enumerate(members) for b in members[x + 1:]]
                 if len(members) <= 50 else [(members[0], b) for b in members[1:]])
        for a, b in pairs:
            fa, fb = feats[a], feats[b]
            if (fa.title and fb.title and title_similarity(fa.title, fb.title) < 0.5
                    and _author_similarity(fa, fb) == 0.0):
                continue
            edges.append(((rank, fa.sig, fb.sig), a, b))
    return edges


def _fuzzy_edges(feats: list[Features], cfg: MatchConfig,
                 unscored: list[tuple[str, int]] | None = None) -> list[tuple[tuple, int, int]]:
    """Matching pairs found within blocks, with a content-derived sort key."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, feat in enumerate(feats):
        for key in feat.blocks:
            blocks[key].append(i)
    seen: set[tuple[int, int]] = set()
    edges: list[tuple[tuple, int, int]] = []
    for key, members in blocks.items():
        if len(members) < 2:
            continue
        if key.startswith("t:"):
            members = _distinct(members, feats, cfg, edges)
        if len(members) > _MAX_BLOCK and not key.startswith("t:"):
            if unscored is not None:
                unscored.append((key, len(members)))
            continue
        for x, i in enumerate(members):
            fi = feats[i]
            for j in members[x + 1:]:
                pair = (i, j) if i < j else (j, i)
                if pair in seen:
                    continue
                seen.add(pair)
                fj = feats[j]
                if vetoed(fi, fj, cfg.year_tolerance) or _exclusive_conflict(fi, fj):
                    continue
                result = score(fi, fj, cfg)
                if result.matches(cfg):
                    lo, hi = sorted((fi.sig, fj.sig))
                    edges.append(((-result.total, lo, hi), i, j))
    return edges


def _distinct(members: list[int], feats: list[Features], cfg: MatchConfig,
              edges: list[tuple[tuple, int, int]]) -> list[int]:
    """Members of an identical-title block to compare pairwise: every record with ids, and one
    representative (the least by content) per (authors, year, locators) among the rest. The
    others get an edge to their representative when such a pair matches at all."""
    kept: list[int] = []
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i in members:
        f = feats[i]
        if f.ids:
            kept.append(i)
        else:
            groups[(f.authors, f.year, tuple(sorted(f.locators.items())))].append(i)
    for group in groups.values():
        rep = min(group, key=lambda i: feats[i].sig)
        kept.append(rep)
        self_score = score(feats[rep], feats[rep], cfg)
        if len(group) > 1 and self_score.matches(cfg):
            for i in group:
                if i != rep:
                    edges.append(((-self_score.total, feats[rep].sig, feats[i].sig), rep, i))
    return sorted(kept)


def _exclusive(feat: Features) -> dict[str, set[str]]:
    """A cluster's exclusive values: identifiers, volume and number (pages differ too often
    between copies of one entry to be held against a whole cluster)."""
    values = {name: {v} for name, v in feat.exclusive.items()}
    for name, v in feat.locators.items():
        if name != "page":
            values["~" + name] = {v}
    return values


def _exclusive_conflict(a: Features, b: Features) -> bool:
    if any(n in b.exclusive and b.exclusive[n] != v for n, v in a.exclusive.items()):
        return True
    la, lb = a.locators, b.locators
    return any(name in lb and la[name] != lb[name] and (name != "page" or a.key != b.key)
               for name in la)
