"""Large matching blocks (issue 14): never skipped, exact duplicates collapsed, titles scored
in one vectorised call with the same results as the pair-by-pair scorer."""

from __future__ import annotations

import itertools
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scholarsync import sources as registry
from scholarsync.config import MatchConfig
from scholarsync.core import match
from scholarsync.core.match import (
    features,
    group_records,
    score,
    title_matrix,
    title_similarity,
    vetoed,
)
from scholarsync.core.merge import merge_records
from scholarsync.model import Origin, Person, Record
from scholarsync.sources.bibtex import read_bib_text

CFG = MatchConfig()
UNSCORED = "too large to compare"


def rec(title: str, family: str = "Smith", year: int | None = 2020, *, line: int,
        key: str | None = None, **extra) -> Record:
    authors = [Person(given="Ada", family=family)] if family else []
    return Record(source="bibtex", origin=Origin("bibtex", "a.bib", line), key=key or f"k{line}",
                  title=title, authors=authors, year=year, **extra)


def words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(string.ascii_lowercase) for _ in range(8)) for _ in range(n)]


def typo(title: str, at: int = 1) -> str:
    """One letter of word ``at`` changed: another title key and word set (and prefix, for a
    word in the first 16 letters)."""
    parts = title.split(" ")
    word = parts[at]
    parts[at] = word[:2] + ("x" if word[2] != "x" else "y") + word[3:]
    return " ".join(parts)


def unscored(problems) -> list[str]:
    return [str(p) for p in problems if UNSCORED in p.message]


def test_a_block_of_450_by_one_author_and_year_finds_its_true_matches():
    """All 450 share only the block "a:smith:2020:z" (> 400, formerly skipped unscored); the
    20 misspelt copies share no other block with their originals, yet they are matched."""
    rng = random.Random(14)
    titles = [f"Zeta {' '.join(words(rng, 3))}" for _ in range(430)]
    records = [rec(t, line=i) for i, t in enumerate(titles)]
    records += [rec(typo(titles[i * 21]), line=1000 + i) for i in range(20)]
    shared = set.intersection(*(set(features(r, 1).blocks) for r in records))
    assert shared == {"a:smith:2020:z", "a:smith:2021:z"}
    result = merge_records(records, CFG)
    assert len(result.publications) == 430
    groups = group_records(records, CFG)
    pairs = sorted(sorted(r.origin.line for r in g) for g in groups if len(g) > 1)
    assert pairs == [[i * 21, 1000 + i] for i in range(20)]
    assert not unscored(result.problems)


def test_a_large_block_split_by_year_window_still_matches_across_the_tolerance():
    """Past 400 distinct records a block is scored per year window: a copy one year off or
    without a year is still matched, one two years off is not. The copies share only the
    600-record block "p:zeta commonplace" with their originals."""
    rng = random.Random(15)
    titles = [f"Zeta commonplace {' '.join(words(rng, 3))}" for _ in range(600)]
    records = [rec(t, f"Author{i}", year=2000 + i % 20, line=i) for i, t in enumerate(titles)]
    next_year = rec(typo(titles[5], 2), "van Author5", year=2006, line=2001)
    undated = rec(typo(titles[7], 2), "van Author7", year=None, line=2002)
    too_late = rec(typo(titles[9], 2), "van Author9", year=2011, line=2003)
    assert set(features(records[5], 1).blocks) & set(features(next_year, 1).blocks) == {
        "p:zeta commonplace"}
    result = merge_records([*records, next_year, undated, too_late], CFG)
    assert len(result.publications) == 601
    groups = group_records([*records, next_year, undated, too_late], CFG)
    pairs = sorted(sorted(r.origin.line for r in g) for g in groups if len(g) > 1)
    assert pairs == [[5, 2001], [7, 2002]]
    assert not unscored(result.problems)


ENTRY = """@article{{{key},
  author = {{Gupta, Vima and Varma, Sunil}},
  title = {{Counting to infinity with neural networks}},
  journal = {{Journal of Counting}},
  year = {{2021}},
  volume = {{12}},
  pages = {{1--20}},{extra}
}}
"""


def test_500_exact_copies_of_one_entry_are_one_publication():
    text = "\n".join(ENTRY.format(key=f"copy{i}", extra="") for i in range(500))
    records, _ = read_bib_text(text, "copies.bib")
    assert len(records) == 500
    result = merge_records(records, CFG)
    assert len(result.publications) == 1
    pub = result.publications[0]
    assert pub.key == "copy0" and len(pub.aliases) == 499
    assert not unscored(result.problems)


def test_500_copies_of_a_title_only_entry_are_one_publication_but_two_entries_are_two():
    """A title alone scores too low to match; exact copies of one entry are joined anyway,
    two different entries that merely share the title stay two works."""
    entry = "@misc{{{key}, title = {{Calendar}}, note = {{{note}}}}}\n"
    copies = "".join(entry.format(key=f"c{i}", note="Spring issue") for i in range(500))
    records, _ = read_bib_text(copies + entry.format(key="other", note="Autumn issue"), "c.bib")
    result = merge_records(records, CFG)
    assert sorted(len(p.aliases) for p in result.publications) == [0, 499]
    assert not unscored(result.problems)


def test_exact_copies_with_conflicting_dois_stay_apart():
    text = "\n".join(ENTRY.format(key=f"copy{i}", extra=f"\n  doi = {{10.1000/v{i % 2}}},")
                     for i in range(500))
    records, _ = read_bib_text(text, "copies.bib")
    result = merge_records(records, CFG)
    assert sorted(p.ids["doi"] for p in result.publications) == ["10.1000/v0", "10.1000/v1"]
    assert [len(p.aliases) for p in result.publications] == [249, 249]
    assert not unscored(result.problems)


def test_exact_copies_but_for_the_volume_stay_apart():
    text = "\n".join(ENTRY.format(key=f"copy{i}", extra="").replace(
        "{12}", "{12}" if i % 2 else "{13}") for i in range(500))
    records, _ = read_bib_text(text, "copies.bib")
    assert sorted(p.fields["volume"] for p in merge_records(records, CFG).publications) == [
        "12", "13"]


def test_copies_of_one_key_disagreeing_on_pages_join_only_their_own_key():
    """Different first pages part two records unless they share a citation key, and this
    holds for every copy, not only for the least one of its class."""
    title = "TeX82 memory structure"
    a = [rec(title, key=f"TB{i}", fields={"volume": "3", "pages": "13"}, line=i)
         for i in range(3)]
    b = rec(title, key="TB2", fields={"volume": "3", "pages": "113"}, line=10)
    c = rec(title, key="TB9", fields={"volume": "3", "pages": "114"}, line=11)
    groups = group_records([*a, b, c], CFG)
    assert sorted(sorted(r.origin.line for r in g) for g in groups) == [[0, 1, 2, 10], [11]]


def test_a_piece_too_large_even_by_year_is_compared_within_first_author_and_reported(
        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(match, "_MAX_PAIRS", 2000)
    rng = random.Random(16)
    titles = [f"Zeta commonplace {' '.join(words(rng, 3))}" for _ in range(450)]
    # one block ("p:zeta commonplace") of 450 records by 9 first authors, in one year
    records = [rec(t, family=f"Author{i % 9}", line=i) for i, t in enumerate(titles)]
    same_author = rec(typo(titles[4], 2), family="Author4", line=1001)
    other_author = rec(typo(titles[6], 2), family="Bauthor", line=1002)  # would match
    result = merge_records([*records, same_author, other_author], CFG)
    warnings = unscored(result.problems)
    assert len(warnings) == 1 and "p-block 'zeta commonplace'" in warnings[0], warnings
    assert "(452 records)" in warnings[0] and "not compared" in warnings[0]
    groups = group_records([*records, same_author, other_author], CFG)
    pairs = sorted(sorted(r.origin.line for r in g) for g in groups if len(g) > 1)
    assert pairs == [[4, 1001]]


TITLES = [
    "e tex guidelines for future tex extensions", "e tex guidelines for future tex",
    "guidelines for future tex extensions e tex", "e tex guidelines for future tex extension",
    "deep learning a review", "deep learning a review of methods", "a review deep learning",
    "counting to infinity", "counting to infinity with neural networks and more words",
    "understanding infinity counting with neural networks",
    "understanding infinty counting with neural network", "calendar", "calendar of events",
    "tex", "one two three four five six seven eight", "one two three four",
    "one two three four five six seven eight nine ten eleven", "zürich über straße",
]


def test_vectorised_title_scores_equal_the_pair_by_pair_scorer():
    sims = title_matrix(TITLES, TITLES[::-1])
    for r, a in enumerate(TITLES):
        for c, b in enumerate(TITLES[::-1]):
            assert sims[r, c] == title_similarity(a, b), (a, b)


def test_vectorised_title_scores_at_the_cutoff_are_exact_above_it():
    rng = random.Random(17)
    pool = TITLES + [" ".join(rng.choice(["tex", "macro", "fonts", "guide", "of", "the"])
                              for _ in range(rng.randint(1, 7))) for _ in range(150)]
    sims = title_matrix(pool, pool, 100 * CFG.title_min - 1e-6)
    for r, a in enumerate(pool):
        for c, b in enumerate(pool):
            exact = title_similarity(a, b)
            if exact >= CFG.title_min or sims[r, c] >= CFG.title_min:
                assert sims[r, c] == exact, (a, b)


@pytest.mark.parametrize("vector_min", [1, 10**9])
def test_pair_by_pair_and_vectorised_scoring_give_one_partition(
        monkeypatch: pytest.MonkeyPatch, vector_min: int):
    rng = random.Random(18)
    base = [f"{rng.choice(['Deep', 'Neural', 'Counting'])} {' '.join(words(rng, 2))}"
            for _ in range(40)]
    records = [rec(rng.choice(base) if i % 3 else typo(rng.choice(base)),
                   family=rng.choice(["Smith", "Varma", ""]),
                   year=rng.choice([2019, 2020, 2021, None]), line=i) for i in range(200)]
    expected = sorted(sorted(r.origin.line for r in g) for g in group_records(records, CFG))
    monkeypatch.setattr(match, "_VECTOR_MIN", vector_min)
    monkeypatch.setattr(match, "_SPLIT", 5)
    got = sorted(sorted(r.origin.line for r in g) for g in group_records(records, CFG))
    assert got == expected


# -- the same partition as scoring every pair that shares a block ----------------------------

def reference_partition(records: list[Record]) -> list[list[int]]:
    """Every pair sharing a block scored record by record (no classes, no splits, no
    vectors); copies of one entry with a title joined whatever their score."""
    rules = registry.rules()
    feats = [features(r, CFG.year_tolerance, rules) for r in records]
    clusters = match._Clusters(len(feats), lambda i: match.exclusive_values(feats[i]))
    for _, i, j in sorted(match._id_edges(feats, rules.decisive)):
        ri, rj = clusters.find(i), clusters.find(j)
        if ri != rj and not clusters.conflict(ri, rj, locators=False):
            clusters.union(ri, rj)
    edges = []
    for i, j in itertools.combinations(range(len(records)), 2):
        fi, fj = feats[i], feats[j]
        if not set(fi.blocks) & set(fj.blocks) or vetoed(fi, fj, CFG.year_tolerance):
            continue
        if any(n in fj.exclusive and fj.exclusive[n] != v for n, v in fi.exclusive.items()):
            continue
        if any(n in fj.locators and fi.locators[n] != fj.locators[n]
               and (n != "page" or fi.key != fj.key) for n in fi.locators):
            continue
        result = score(fi, fj, CFG)
        copies = match._content(records[i]) == match._content(records[j])
        if result.matches(CFG) or copies:
            edges.append(((-result.total, *sorted((fi.sig, fj.sig))), i, j))
    for _, i, j in sorted(edges):
        ri, rj = clusters.find(i), clusters.find(j)
        if ri != rj and not clusters.conflict(ri, rj):
            clusters.union(ri, rj)
    groups: dict[int, list[int]] = {}
    for i in range(len(records)):
        groups.setdefault(clusters.find(i), []).append(records[i].origin.line or 0)
    return sorted(groups.values())


_POOL = ["Deep learning: a review", "Deep  Learning — A Review", "Deep learning reviewed",
         "Counting to infinity", "Counting to infinity, part 2", "Calendar",
         "E-TeX: Guidelines for future TeX extensions", "E-TeX: Guidelines for future TeX", ""]


@st.composite
def record_lists(draw) -> list[Record]:
    """Lists with many exact and near copies: shared or conflicting DOIs, volumes, pages
    and citation keys."""
    protos = []
    for _ in range(draw(st.integers(1, 5))):
        fields = {}
        if draw(st.booleans()):
            fields["volume"] = draw(st.sampled_from(["1", "2"]))
        if draw(st.booleans()):
            fields["pages"] = draw(st.sampled_from(["10--20", "11", "30"]))
        doi = draw(st.sampled_from([None, None, "10.1000/a", "10.1000/b"]))
        protos.append((draw(st.sampled_from(_POOL)),
                       draw(st.sampled_from(["Gupta", "van Gupta", "Varma", ""])),
                       draw(st.sampled_from([2020, 2021, 2023, None])),
                       {"doi": doi} if doi else {}, fields))
    records = []
    for line in range(1, draw(st.integers(2, 14)) + 1):
        title, family, year, ids, fields = draw(st.sampled_from(protos))
        records.append(rec(title, family, year, line=line, ids=dict(ids), fields=dict(fields),
                           key=draw(st.sampled_from(["A", "B", f"k{line}"]))))
    return records


@settings(max_examples=300, deadline=None)
@given(record_lists(), st.booleans())
def test_classes_and_vectors_give_the_partition_of_scoring_every_pair(records, vectors):
    with pytest.MonkeyPatch.context() as patch:
        if vectors:  # every piece through cdist and year windows
            patch.setattr(match, "_VECTOR_MIN", 1)
            patch.setattr(match, "_SPLIT", 1)
        got = sorted(sorted(r.origin.line or 0 for r in g) for g in group_records(records, CFG))
    assert got == reference_partition(records)
