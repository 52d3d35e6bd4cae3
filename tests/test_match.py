"""Matching: identifiers first, then the blocked, scored title / first author / year test."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from scholarsync.config import MatchConfig
from scholarsync.core.match import features, group_records, score
from scholarsync.model import Origin, Person, Record

CFG = MatchConfig()


def rec(title: str, family: str = "Gupta", year: int | None = 2020, *, source: str = "bibtex",
        key: str | None = None, line: int = 1, location: str = "a.bib", **extra) -> Record:
    authors = [Person(given="Vima", family=family)] if family else []
    return Record(source=source, origin=Origin(source, location, line),
                  key=key or f"k{line}", title=title, authors=authors, year=year, **extra)


def same(a: Record, b: Record) -> bool:
    return len(group_records([a, b], CFG)) == 1


def test_reformatted_duplicate_titles_match():
    a = rec("Deep  Learning: a Review", line=1)
    b = rec("Deep learning — A review", line=2)
    assert same(a, b)
    assert score(features(a, 1), features(b, 1), CFG).total == 1.0


def test_small_typo_in_title_matches():
    assert same(rec("Understanding infinity: counting with neural networks", line=1),
                rec("Understanding infinty: counting with neural network", line=2))


def test_similar_titles_by_different_authors_do_not_match():
    a = rec("Attention is all you need", "Vaswani", 2017, line=1)
    b = rec("Attention is all you need", "Gupta", 2017, line=2)
    assert not same(a, b)


def test_different_titles_same_author_do_not_match():
    assert not same(rec("Learning to count with transformers", line=1),
                    rec("Learning to reason with transformers at scale", line=2))


def test_year_off_by_one_matches_but_five_does_not():
    title = "Understanding infinity in neural networks"
    assert same(rec(title, year=2023, line=1), rec(title, year=2024, line=2))
    assert not same(rec(title, year=2019, line=1), rec(title, year=2024, line=2))


def test_year_tolerance_comes_from_config():
    title = "Understanding infinity in neural networks"
    strict = MatchConfig(year_tolerance=0)
    pair = [rec(title, year=2023, line=1), rec(title, year=2024, line=2)]
    assert len(group_records(pair, strict)) == 2


def test_shared_doi_is_decisive_even_with_different_titles():
    a = rec("A preprint title", ids={"doi": "10.1145/abc"}, line=1)
    b = rec("The final, renamed published title", ids={"doi": "10.1145/abc"}, line=2)
    assert same(a, b)


def test_arxiv_versions_and_arxiv_doi_match_the_published_version():
    pre = rec("Counting with nets", source="scholar", location="https://s", ids={
        "arxiv": "2311.15194v2"}, line=1)
    pub = rec("Understanding counting in networks", key="gupta", line=2,
              ids={"arxiv": "2311.15194", "doi": "10.1145/xyz"})
    web = rec("Counting with nets", source="escholarship", location="https://e",
              ids={"doi": "10.48550/arXiv.2311.15194"}, line=3)
    assert len(group_records([pre, pub, web], CFG)) == 1


def test_preprint_and_published_version_match_by_title_and_author():
    pre = rec("Counting to infinity with transformers", year=2023, type="misc",
              ids={"arxiv": "2311.15194"}, line=1)
    pub = rec("Counting to Infinity with Transformers", year=2024, type="inproceedings",
              ids={"doi": "10.1145/xyz"}, line=2)
    assert same(pre, pub)


def test_different_dois_are_never_merged_by_score():
    a = rec("Deep learning: a review", ids={"doi": "10.1000/a"}, line=1)
    b = rec("Deep learning: a review", ids={"doi": "10.1000/b"}, line=2)
    assert not same(a, b)


def test_a_record_without_ids_does_not_bridge_two_dois():
    a = rec("Deep learning: a review", ids={"doi": "10.1000/a"}, line=1)
    b = rec("Deep learning: a review", ids={"doi": "10.1000/b"}, line=2)
    c = rec("Deep learning: a review", line=3)
    groups = group_records([a, b, c], CFG)
    assert len(groups) == 2
    assert sorted(len(g) for g in groups) == [1, 2]


def test_an_id_copied_onto_unrelated_entries_does_not_merge_them():
    a = rec("Van der Waals epitaxy", "Koma", 1999, ids={"arxiv": "1011.1669"}, line=1)
    b = rec("Theory of nucleation of colloids", "LaMer", 1999, ids={"arxiv": "1011.1669"},
            line=2)
    assert not same(a, b)


def test_same_title_author_year_but_different_volume_are_different_works():
    a = rec("Editorial comments", "Beeton", 1988, fields={"volume": "9", "pages": "121--122"},
            line=1)
    b = rec("Editorial comments", "Beeton", 1988, fields={"volume": "9", "pages": "230--231"},
            line=2)
    c = rec("Editorial comments", "Beeton", 1988, fields={"volume": "9", "pages": "121"},
            line=3)
    groups = group_records([a, b, c], CFG)
    assert sorted(sorted(r.origin.line for r in g) for g in groups) == [[1, 3], [2]]


def test_same_key_twice_in_one_file_is_one_work_only_when_it_matches():
    a = rec("Counting to infinity", key="gupta2024", line=1)
    b = rec("Counting to infinity", key="gupta2024", line=9)
    c = rec("A completely different study of birds", key="gupta2024", line=20)
    groups = group_records([a, b, c], CFG)
    assert sorted(sorted(r.origin.line for r in g) for g in groups) == [[1, 9], [20]]


def test_groups_keep_input_order():
    records = [rec("Paper one about counting", line=1), rec("Another on birds", line=2),
               rec("Paper one about counting", line=3)]
    groups = group_records(records, CFG)
    assert [[r.origin.line for r in g] for g in groups] == [[1, 3], [2]]


def test_two_escholarship_items_alike_in_title_author_and_year_stay_two_works():
    """A unit's yearly report: same title, first author and year, two different items."""
    items = [rec("Annual report of the Center for Coastal Studies", source="escholarship",
                 location=f"https://escholarship.org/uc/item/{ark}", ids={"escholarship": ark},
                 line=n) for n, ark in enumerate(("qt1ab2cd3e", "qt9zy8xw7v"), 1)]
    groups = group_records(items, CFG)
    assert sorted(sorted(r.ids["escholarship"] for r in g) for g in groups) == [
        ["qt1ab2cd3e"], ["qt9zy8xw7v"]]


def test_450_identical_entries_become_one_work():
    """Past the 400-record block size an identical title must still be matched, not skipped."""
    records = [rec("Calendar of events", line=i) for i in range(450)]
    groups = group_records(records, CFG)
    assert [len(g) for g in groups] == [450]


def test_450_copies_spelled_differently_become_one_work():
    records = [Record(source="bibtex", origin=Origin("bibtex", "a.bib", i), key=f"k{i}",
                      title=("Calendar of Events" if i % 2 else "calendar of events."),
                      authors=[Person(given="V." if i % 3 else "Vima", family="Gupta")],
                      year=2020) for i in range(450)]
    assert [len(g) for g in group_records(records, CFG)] == [450]


def test_many_distinct_records_stay_distinct():
    """Blocking must not merge unrelated works (its speed is measured in bench/bench_match.py)."""
    words = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta"]
    records = [rec(f"{words[i % 8]} study number {i} of {words[(i // 8) % 8]} systems",
                   family=f"Author{i % 500}", year=1990 + i % 30, line=i)
               for i in range(3_000)]
    assert len(group_records(records, CFG)) == 3_000


# -- order independence ----------------------------------------------------------------------

_TITLES = ["Deep learning: a review", "Deep  Learning — A Review", "Deep learning reviewed",
           "Counting to infinity", "Counting to infinity!", "Birds of the Sierra"]


@st.composite
def record_lists(draw):
    n = draw(st.integers(2, 9))
    records = []
    for i in range(n):
        ids = {}
        if draw(st.booleans()):
            ids["doi"] = draw(st.sampled_from(["10.1000/a", "10.1000/b"]))
        if draw(st.integers(0, 3)) == 0:
            ids["arxiv"] = draw(st.sampled_from(["2301.00001", "2301.00002v3"]))
        records.append(rec(draw(st.sampled_from(_TITLES)),
                           draw(st.sampled_from(["Gupta", "Varma", ""])),
                           draw(st.sampled_from([2020, 2021, 2025, None])),
                           source=draw(st.sampled_from(["bibtex", "scholar"])),
                           ids=ids, line=i + 1))
    return records


def _partition(groups):
    return sorted(sorted(r.origin.line for r in g) for g in groups)


@settings(max_examples=150, deadline=None)
@given(record_lists(), st.randoms(use_true_random=False))
def test_partition_does_not_depend_on_input_order(records, random):
    expected = _partition(group_records(records, CFG))
    shuffled = list(records)
    random.shuffle(shuffled)
    assert _partition(group_records(shuffled, CFG)) == expected


def test_partition_of_all_permutations_is_the_same():
    records = [rec("Deep learning: a review", ids={"doi": "10.1000/a"}, line=1),
               rec("Deep learning: a review", ids={"doi": "10.1000/b"}, line=2),
               rec("Deep Learning — a Review", line=3),
               rec("Deep learning: a review", "Varma", line=4)]
    results = {str(_partition(group_records(list(p), CFG)))
               for p in itertools.permutations(records)}
    assert len(results) == 1


def test_titles_with_different_numbers_are_different_works():
    assert not same(rec("Neural counting, part 1", line=1), rec("Neural counting, part 2", line=2))
    assert not same(rec("Neural counting II", line=1), rec("Neural counting III", line=2))
    assert same(rec("Announcement of TeX2.1", line=1), rec("Announcement of TeX 2.1", line=2))


def test_a_dropped_name_particle_still_matches():
    assert same(rec("Box plots and scatter plots with macros", "Van Haagen", line=1),
                rec("Box plots and scatter plots with macros", "Haagen", line=2))


def test_a_title_cut_short_matches():
    assert same(rec("E-TeX: Guidelines for future TeX extensions", line=1),
                rec("E-TeX: Guidelines for future TeX", line=2))


def test_two_copies_of_one_key_may_disagree_on_pages():
    a = rec("TeX82 memory structure", key="TB3", fields={"volume": "3", "pages": "13--13"},
            line=1)
    b = rec("TeX82 memory structure", key="TB3", fields={"volume": "3", "pages": "113"}, line=2)
    assert same(a, b)
    b.key = "TB4"
    assert not same(a, b)


def test_a_block_of_450_distinct_records_is_scored_not_skipped():
    """Formerly skipped with a warning (issue 14); the warning path is tested in
    tests/test_match_buckets.py."""
    from scholarsync.core.merge import merge_records

    words = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta", "lambda"]
    records = [rec(f"Zeta {words[i % 9]} {words[i // 9 % 9]} {words[i // 81 % 9]} number {i}",
                   "Smith", 2020, key=f"k{i}") for i in range(450)]
    result = merge_records(records, MatchConfig())
    assert len(result.publications) == 450
    assert not [p for p in result.problems if "too large to compare" in p.message]
