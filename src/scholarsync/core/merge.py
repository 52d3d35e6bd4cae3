"""Combine matched records into Publications: field precedence, provenance, keys.

Precedence inside one publication: the ``.bib`` records first, in the order they were read
(the file read first wins a conflict), then eScholarship, then Scholar (web records in an
order derived from their content, so their input order never matters). Lower records fill gaps
and add identifiers, links and citation counts; a value that disagrees with the kept one is
remembered as a :class:`Conflict` and reported once per field. Truncated values (Scholar's
"A Gupta, S Varma, ..." or "Proceedings of the …") never win over fuller ones.

Keys: a publication keeps the key of its first ``.bib`` record; its other keys become aliases.
A key reused by a different work is replaced (by a free alias, else ``key-b``, ``key-c``…), and
works without any ``.bib`` record get a generated ``<family><year><word>`` key.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from scholarsync import sources as registry
from scholarsync.config import MatchConfig
from scholarsync.core.gcpause import gc_paused
from scholarsync.core.match import group_records
from scholarsync.core.mergecache import group_cached
from scholarsync.core.normalize import (
    STOP_WORDS,
    fold,
    name_key,
    normalize_doi,
    parse_bibtex_names,
)
from scholarsync.model import Conflict, Problem, Publication, Record, Rules, Work
from scholarsync.recordcache import RecordCache

_VENUE_FIELDS = ("journal", "booktitle", "howpublished")  # howpublished: Scholar's venue
_NAME_FIELDS = ("author", "editor")
_LOOSE = re.compile(r"[\W_]+")
#: Bookkeeping fields: the first value is kept, other values are no conflict.
QUIET_FIELDS = frozenset({
    "bibsource", "biburl", "timestamp", "owner", "file", "date-added", "date-modified",
    "__markedentry", "groups", "urldate", "keywords", "abstract", "annote", "mendeley-tags",
    "mendeley-groups", "copyright", "language", "langid", "x-color", "added-at", "interhash",
    "intrahash", "creationdate", "modificationdate"})


@dataclass
class MergeResult:
    publications: list[Publication] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def merge_records(records: list[Record], cfg: MatchConfig,
                  rules: Rules | None = None,
                  joins: list[tuple[Record, Record]] | None = None,
                  cache: RecordCache | None = None, state: str = "sync") -> MergeResult:
    """Match ``records`` into works and merge each into one Publication, sorted by year
    (newest first) then key. ``rules`` say what the sources declared (precedence, ids);
    by default, what the registered sources declare. ``joins`` are pairs of records known
    to be versions of one work (a preprint and its published version, by a relation a
    source stated): their works become one even though their DOIs differ. ``cache``: the
    run's records cache, where matching keeps its state for the next run
    (:mod:`scholarsync.core.mergecache`; the result is the same without it), under the name
    ``state`` (one per merge of a run: a run that merges twice keeps two states)."""
    with gc_paused():
        return _Merger(rules or registry.rules(), cache, state).merge(records, cfg, joins or [])


def _unscored_problem(unscored: list[tuple[str, int]]) -> Problem:
    """What matching did not compare in full (issue 14: never in silence)."""
    biggest = sorted(unscored, key=lambda item: (-item[1], item[0]))[:3]
    shown = ", ".join(f"{key.split(':')[0]}-block {key.split(':', 1)[1][:30]!r} "
                      f"({size} records)" for key, size in biggest)
    return Problem("warning", f"matching: {len(unscored)} candidate block(s) too large to "
                   f"compare in full, even by year window: pairs of records with different "
                   f"first authors there were not compared: {shown}")


class _Merger:
    """One merge run: the sources' rules, applied to every cluster."""

    def __init__(self, rules: Rules, cache: RecordCache | None = None, state: str = "sync"):
        self.rules = rules
        self.cache = cache
        self.state = state

    def merge(self, records: list[Record], cfg: MatchConfig,
              joins: list[tuple[Record, Record]] | None = None) -> MergeResult:
        position = {id(r): i for i, r in enumerate(records)}
        unscored: list[tuple[str, int]] = []
        if self.cache is None:
            grouped = group_records(records, cfg, self.rules, unscored)
        else:
            grouped = group_cached(records, cfg, self.rules, self.cache, unscored, self.state)
        clusters = _joined(grouped, joins or [], position)
        pubs = [self.cluster(self.precedence(c, position)) for c in clusters]
        problems = _assign_keys(pubs, position, self.rules)
        if unscored:
            problems.append(_unscored_problem(unscored))
        pubs.sort(key=lambda p: (-(p.year or 0), p.year is None, p.key))
        for pub in pubs:
            problems.extend(_conflict_problem(pub, c) for c in pub.conflicts)
        return MergeResult(pubs, problems)

    def precedence(self, cluster: list[Record], position: dict[int, int]) -> list[Record]:
        if len(cluster) == 1:
            return cluster
        rules = self.rules

        def rank(record: Record) -> tuple:
            kind_rank = rules.rank(record.source)
            if rules.is_user_owned(record.source):
                return (kind_rank, position[id(record)])
            return (kind_rank, record.source, record.origin.location, record.origin.line or 0,
                    record.key)
        return sorted(cluster, key=rank)

    def cluster(self, records: list[Record]) -> Publication:
        return _merge_cluster(records, self.rules)


def _joined(clusters: list[list[Record]], joins: list[tuple[Record, Record]],
            position: dict[int, int]) -> list[list[Record]]:
    """``clusters`` with the clusters of each joined pair made one (in input order)."""
    if not joins:
        return clusters
    owner = {id(r): i for i, c in enumerate(clusters) for r in c}
    parent = list(range(len(clusters)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in joins:
        if id(a) in owner and id(b) in owner:
            ra, rb = find(owner[id(a)]), find(owner[id(b)])
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[Record]] = defaultdict(list)
    for i, cluster in enumerate(clusters):
        groups[find(i)].extend(cluster)
    return [sorted(g, key=lambda r: position[id(r)]) for _, g in sorted(groups.items())]


# -- one cluster -----------------------------------------------------------------------------

_PREPRINT = re.compile(r"\b(arxiv|preprint|biorxiv|medrxiv|ssrn)\b", re.IGNORECASE)
_PREPRINT_TYPES = {"misc", "unpublished", "online", "techreport"}


def is_preprint(work: Work) -> bool:
    """A preprint: its venue names a preprint server ("arXiv preprint arXiv:…", bioRxiv…),
    or it has no venue, an unpublished type and an arXiv id (and no other DOI than arXiv's).
    The one rule, for records (versions) and publications (pages) alike."""
    venue = work.venue or work.fields.get("howpublished", "")
    if venue:
        return bool(_PREPRINT.search(venue))
    doi = work.ids.get("doi", "")
    return (work.type in _PREPRINT_TYPES and "arxiv" in work.ids
            and (not doi or doi.startswith("10.48550/")))


def _version(record: Record) -> dict[str, object]:
    data: dict[str, object] = {"title": record.title, "year": record.year,
                               "venue": record.venue, "source": str(record.origin)}
    data.update({name: record.ids[name] for name in ("arxiv", "doi") if name in record.ids})
    return data


def _merge_cluster(records: list[Record], rules: Rules) -> Publication:
    first = records[0]
    if len(records) == 1:
        return _single(first, rules)
    # One work in two versions: the published one describes it, unless the user's own .bib
    # holds the preprint (the user's file wins on every field it has).
    user = rules.is_user_owned
    preprint = {id(r): is_preprint(r) for r in records}
    web_preprints = [r for r in records if not user(r.source) and preprint[id(r)]]
    published = [r for r in records if r not in web_preprints]
    preprints = web_preprints if published else []
    if user(first.source) and preprint[id(first)]:
        if any(user(r.source) and not preprint[id(r)] for r in published):
            # the user's file holds both versions: its published entry leads
            preprints = [r for r in records if preprint[id(r)]]
            published = [r for r in records if not preprint[id(r)]]
        else:
            # the user's entry is the preprint: a published version another source knows
            # is listed first among the versions and lends its ids and links, not its
            # fields (the entry stays a preprint; the sync report suggests the published one)
            later = [r for r in published if not user(r.source) and r.venue]
            published = [r for r in published if r not in later]
            preprints = later + preprints
    if preprints:
        records = published + preprints
        first = records[0]
    pub = Publication(key=first.key if rules.is_user_owned(first.source) else "",
                      type=first.type)
    pub.records = list(records)
    if preprints:
        pub.versions = [_version(r) for r in preprints]
        records = published
    pub.title = next((r.title for r in records if r.title), "")
    full = [r for r in records if r.authors and not r.authors_truncated]
    with_authors = full or [r for r in records if r.authors]
    if with_authors:
        pub.authors = list(with_authors[0].authors)
        pub.authors_truncated = with_authors[0].authors_truncated
    venues = [r for r in records if r.venue and not r.venue_truncated] or [
        r for r in records if r.venue]
    if venues:
        pub.venue, pub.venue_truncated = venues[0].venue, venues[0].venue_truncated
    pub.year = next((r.year for r in records if r.year is not None), None)
    winners: dict[str, Record] = {}
    for record in records:
        _merge_fields(pub, record, winners, rules)
    for record in pub.records:
        for name, value in record.ids.items():
            if value:
                pub.ids.setdefault(name, value)
        for name, value in record.links.items():
            if value:
                pub.links.setdefault(name, value)
        for name, value in record.extra.items():
            pub.extra.setdefault(name, value)
        pub.abstract = pub.abstract or record.abstract
        pub.keywords = pub.keywords or list(record.keywords)
        pub.selected = pub.selected or record.selected
        if record.citations is not None:
            best = (pub.citations.get(record.source, -1), pub.citations_read.get(record.source))
            if (record.citations, record.citations_read or "") > (best[0], best[1] or ""):
                pub.citations[record.source] = record.citations
                if record.citations_read:
                    pub.citations_read[record.source] = record.citations_read
    pub.sources = rules.ordered({r.source for r in pub.records})
    return pub


def single_publication(record: Record, rules: Rules | None = None) -> Publication:
    """The publication one record alone describes (``inspect`` shows records this way)."""
    return _single(record, rules or registry.rules())


def _single(record: Record, rules: Rules) -> Publication:
    """The common case, kept fast: a work only one record describes."""
    origin = str(record.origin)
    fields = {n: v for n, v in record.fields.items() if n != "ids" and v.strip()}
    pub = Publication(
        key=record.key if record.source in rules.user_owned else "", type=record.type,
        fields=fields,
        field_sources=dict.fromkeys(fields, origin), title=record.title,
        authors=list(record.authors), authors_truncated=record.authors_truncated,
        year=record.year, venue=record.venue, venue_truncated=record.venue_truncated,
        ids={n: v for n, v in record.ids.items() if v},
        links={n: v for n, v in record.links.items() if v}, abstract=record.abstract,
        keywords=list(record.keywords), selected=record.selected, extra=dict(record.extra),
        sources=[record.source], records=[record])
    if record.citations is not None:
        pub.citations[record.source] = record.citations
        if record.citations_read:
            pub.citations_read[record.source] = record.citations_read
    return pub


def _merge_fields(pub: Publication, record: Record, winners: dict[str, Record],
                  rules: Rules) -> None:
    """Fill ``pub.fields`` from ``record``; remember the first disagreement per field."""
    for name, value in record.fields.items():
        if name == "ids" or not value.strip():
            continue
        kept = pub.fields.get(name)
        if kept is not None and (kept == value or name in QUIET_FIELDS):
            continue
        if kept is None:
            if (name in _VENUE_FIELDS and not rules.is_user_owned(record.source)
                    and any(v in pub.fields for v in _VENUE_FIELDS)):
                continue  # the venue is known; another source's name for it is no gap
            pub.fields[name] = value
            pub.field_sources[name] = str(record.origin)
            winners[name] = record
            continue
        if _same(name, kept, value, record) or _same(name, value, kept, winners[name]):
            continue  # equal, or one is a truncated form of the other
        if not any(c.field == name for c in pub.conflicts):
            pub.conflicts.append(Conflict(name, kept, pub.field_sources[name], value,
                                          str(record.origin)))


def _loose(value: str) -> str:
    return _LOOSE.sub("", fold(value))


_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae",
                          "œ": "oe", "ı": "i", "ß": "ss"})
_UMLAUT_SPELLING = re.compile(r"(?<=[a-z])([aou])e")


def _spelling_key(family: str) -> str:
    """A family name as any source may spell it: accents, ø/ł and the "oe"/"ue" spelling of
    an umlaut aside ("{\\O}stergaard" / "Ostergaard", "D{\\"u}rr" / "Duerr")."""
    return _UMLAUT_SPELLING.sub(r"\1", name_key(family).translate(_LETTERS))


def _families(value: str) -> list[str]:
    """Family names of a BibTeX name list, LaTeX decoded and folded, by the name parser."""
    people, _ = parse_bibtex_names(value)
    return [_spelling_key(p.family or p.literal) for p in people if not p.is_others]


def _same(name: str, kept: str, value: str, record: Record) -> bool:
    """Whether ``value`` (from ``record``) says the same as ``kept``, loosely: braces, case,
    punctuation and white space aside; a truncated ``value`` only needs to be a prefix."""
    if name in _NAME_FIELDS:
        people, others = _families(kept), _families(value)
        truncated = (name == "author" and record.authors_truncated) or value.rstrip().endswith(
            "others")
        return people[:len(others)] == others if truncated else people == others
    if name == "doi":
        return normalize_doi(kept) == normalize_doi(value)
    a, b = _loose(kept), _loose(value)
    if name in _VENUE_FIELDS and record.venue_truncated:
        return a.startswith(b.rstrip("…"))
    return a == b


# -- keys ------------------------------------------------------------------------------------

def _assign_keys(pubs: list[Publication], position: dict[int, int],
                 rules: Rules) -> list[Problem]:
    """Give every publication a unique key; report keys reused by different works."""
    problems: list[Problem] = []
    taken: dict[str, Publication] = {}
    bib_pubs = sorted((p for p in pubs if p.key), key=lambda p: position[id(p.records[0])])
    owned = rules.user_owned
    reserved = {r.key for p in bib_pubs for r in p.records if r.source in owned}
    for pub in bib_pubs:
        mine: list[str] = []
        clashes: list[tuple[str, Record]] = []
        for key, record in _bib_keys(pub, rules):
            if key in mine:
                continue
            if key in taken:
                clashes.append((key, record))
                continue
            mine.append(key)
            taken[key] = pub
        if pub.key not in mine:
            pub.key = _free_key(pub.key, mine, taken, reserved)
            taken[pub.key] = pub
        pub.aliases = [k for k in mine if k != pub.key]
        for key, record in clashes:
            where = record.origin
            if key == record.key and record is pub.records[0]:
                text = (f"key {key} at {where} is reused for a different work; "
                        f"exported as {pub.key}")
            else:
                text = (f"key {key} at {where} names a different work than {taken[key].key}; "
                        f"it is not kept as an alias of {pub.key}")
            problems.append(Problem("warning", text, where.location, where.line, record.source))
    _generate_keys([p for p in pubs if not p.key], taken)
    return problems


def _bib_keys(pub: Publication, rules: Rules) -> list[tuple[str, Record]]:
    """Every citation key the publication's .bib records use, with biblatex ``ids``."""
    keys: list[tuple[str, Record]] = []
    for record in pub.records:
        if record.source not in rules.user_owned:
            continue
        keys.append((record.key, record))
        aliases = record.fields.get("ids")
        if aliases:
            keys.extend((a.strip(), record) for a in aliases.split(",") if a.strip())
    return keys


def _free_key(key: str, mine: list[str], taken: dict[str, Publication],
              reserved: set[str]) -> str:
    """A key for a publication whose own key belongs to another work: its first free alias,
    else ``key-b``, ``key-c``…"""
    if mine:
        return mine[0]
    for suffix in "bcdefghijklmnopqrstuvwxyz":
        candidate = f"{key}-{suffix}"
        if candidate not in taken and candidate not in reserved:
            return candidate
    n = 2
    while f"{key}-{n}" in taken or f"{key}-{n}" in reserved:
        n += 1
    return f"{key}-{n}"


_NOT_ASCII_WORD = re.compile(r"[^a-z0-9]")


def _ascii(text: str) -> str:
    return _NOT_ASCII_WORD.sub("", fold(text).encode("ascii", "ignore").decode())


def base_key(pub: Publication) -> str:
    """``<first author family><year><first significant title word>``, ASCII, lower-case."""
    person = next((p for p in pub.authors if not p.is_others), None)
    family = _ascii(person.family or person.literal) if person else ""
    words = (_ascii(w) for w in fold(pub.title).split())  # up to the first significant one
    word = next((w for w in words if w and w not in STOP_WORDS), "")
    return (family or "anon") + (str(pub.year) if pub.year else "") + (word or "untitled")


def _generate_keys(pubs: list[Publication], taken: dict[str, Publication]) -> None:
    """Stable keys for works without a .bib record; collisions get a, b, … by content."""
    groups: dict[str, list[Publication]] = defaultdict(list)
    for pub in pubs:
        groups[base_key(pub)].append(pub)
    for base in sorted(groups):
        members = sorted(groups[base], key=_content_order)
        if len(members) == 1 and base not in taken:
            members[0].key = base
            taken[base] = members[0]
            continue
        suffixes = (s for n in range(1, 4) for s in _letters(n))
        for pub in members:
            key = next(f"{base}{s}" for s in suffixes if f"{base}{s}" not in taken)
            pub.key = key
            taken[key] = pub


def _letters(n: int) -> list[str]:
    import itertools
    import string

    return ["".join(t) for t in itertools.product(string.ascii_lowercase, repeat=n)]


def _content_order(pub: Publication) -> tuple:
    ids = tuple(sorted(pub.ids.items()))
    origins = tuple(sorted(str(r.origin) for r in pub.records))
    return (fold(pub.title), pub.year or 0, ids, origins)


def _short(value: str, limit: int = 60) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[:limit - 1] + "…"


def _conflict_problem(pub: Publication, conflict: Conflict) -> Problem:
    lost = next((r.origin for r in pub.records if str(r.origin) == conflict.lost_from), None)
    return Problem(
        "warning",
        f"{pub.key}: {conflict.field} differs: kept {_short(conflict.kept)!r} from "
        f"{conflict.kept_from}, not {_short(conflict.lost)!r} from {conflict.lost_from}",
        lost.location if lost else None, lost.line if lost else None,
        lost.source if lost else None)
