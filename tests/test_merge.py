"""Merging: precedence, provenance, conflicts, keys and order independence."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scholarsync.config import MatchConfig
from scholarsync.core.merge import merge_records
from scholarsync.model import Origin, Person, Record

CFG = MatchConfig()
GUPTA = [Person(given="Vima", family="Gupta"), Person(given="Sashank", family="Varma")]
TITLE = "Understanding Infinity: Counting in Neural Networks"


def bib(key: str, line: int, location: str = "a.bib", title: str = TITLE, **kw) -> Record:
    fields = {"title": title, "author": "Gupta, Vima and Varma, Sashank", "year": "2024"}
    fields.update(kw.pop("fields", {}))
    return Record(source="bibtex", origin=Origin("bibtex", location, line), key=key,
                  type=kw.pop("type", "inproceedings"), fields=fields, title=title,
                  authors=list(GUPTA), year=kw.pop("year", 2024), **kw)


def scholar(row: int, title: str = TITLE, **kw) -> Record:
    fields = {"title": title, "author": "Gupta, V and Varma, S", "year": "2024",
              "journal": "Proceedings of the Annual Meeting of the Cognitive …"}
    return Record(source="scholar", origin=Origin("scholar", "https://scholar.example/u", row),
                  key=f"scholar-{row}", type="article", fields=fields, title=title,
                  authors=[Person(given="V", family="Gupta"), Person(given="S", family="Varma")],
                  authors_truncated=kw.pop("authors_truncated", True),
                  year=kw.pop("year", 2024),
                  venue="Proceedings of the Annual Meeting of the Cognitive …",
                  venue_truncated=True, citations=kw.pop("citations", 3),
                  citations_read="2025-01-02", **kw)


def esch(item: str = "5cz2v6d5", title: str = TITLE) -> Record:
    return Record(source="escholarship",
                  origin=Origin("escholarship", f"https://escholarship.org/uc/item/{item}"),
                  key=f"escholarship-{item}", type="article",
                  fields={"title": title, "author": "Gupta, Vima and Varma, Sashank",
                          "journal": "Proceedings of the Annual Meeting of the Cognitive "
                                     "Science Society", "year": "2024"},
                  title=title, authors=list(GUPTA), year=2024,
                  venue="Proceedings of the Annual Meeting of the Cognitive Science Society",
                  ids={"escholarship": item},
                  links={"escholarship": f"https://escholarship.org/uc/item/{item}",
                         "pdf": f"https://escholarship.org/content/qt{item}/qt{item}.pdf"})


def test_one_work_from_three_sources_merges_with_bib_winning():
    result = merge_records([scholar(1), esch(), bib("gupta2024infinity", 3,
                                                    fields={"booktitle": "CogSci 2024"})], CFG)
    [pub] = result.publications
    assert pub.key == "gupta2024infinity"
    assert pub.type == "inproceedings"
    assert pub.sources == ["bibtex", "escholarship", "scholar"]
    assert pub.fields["booktitle"] == "CogSci 2024"
    assert "journal" not in pub.fields  # the venue is known; no second name for it
    assert pub.field_sources["title"] == "a.bib:3"
    assert pub.ids["escholarship"] == "5cz2v6d5"
    assert pub.links["pdf"].endswith(".pdf")
    assert pub.citations == {"scholar": 3}
    assert pub.citations_read == {"scholar": "2025-01-02"}
    assert len(pub.records) == 3
    assert [r.source for r in pub.records] == ["bibtex", "escholarship", "scholar"]
    # Scholar's abbreviated names and truncated venue are no conflicts
    assert pub.conflicts == []
    assert result.problems == []


def test_truncated_scholar_values_never_overwrite_fuller_ones():
    [pub] = merge_records([scholar(1), esch()], CFG).publications
    assert pub.venue == "Proceedings of the Annual Meeting of the Cognitive Science Society"
    assert not pub.venue_truncated
    assert [a.given for a in pub.authors] == ["Vima", "Sashank"]
    assert pub.authors_truncated is False
    assert pub.fields["author"] == "Gupta, Vima and Varma, Sashank"


def test_first_bib_file_wins_a_conflict_and_the_loser_is_reported():
    first = bib("gupta2024", 1, "a.bib", fields={"publisher": "ACM"})
    second = bib("gupta-infinity", 5, "b.bib", fields={"publisher": "IEEE", "note": "extra"})
    result = merge_records([first, second], CFG)
    [pub] = result.publications
    assert pub.fields["publisher"] == "ACM"
    assert pub.fields["note"] == "extra"  # gaps are filled
    assert pub.field_sources["note"] == "b.bib:5"
    assert pub.aliases == ["gupta-infinity"]
    [conflict] = pub.conflicts
    assert (conflict.field, conflict.kept, conflict.lost) == ("publisher", "ACM", "IEEE")
    [problem] = result.problems
    assert problem.level == "warning"
    assert "publisher" in problem.message and "IEEE" in problem.message
    assert (problem.location, problem.line) == ("b.bib", 5)


def test_differences_that_vanish_after_normalization_are_no_conflict():
    first = bib("x", 1, title="Deep Learning: A {R}eview",
                fields={"journal": "Nature  Reviews"})
    second = bib("y", 2, title="Deep learning -- a review", fields={"journal": "{Nature} reviews"})
    result = merge_records([first, second], CFG)
    assert len(result.publications) == 1
    assert result.problems == []


def test_one_conflict_per_field_per_publication():
    records = [bib(f"k{i}", i, fields={"publisher": f"P{i}"}) for i in range(1, 5)]
    result = merge_records(records, CFG)
    assert len(result.publications[0].conflicts) == 1
    assert len(result.problems) == 1


def test_duplicate_key_same_work_is_one_entry():
    result = merge_records([bib("gupta2024", 1), bib("gupta2024", 30)], CFG)
    [pub] = result.publications
    assert pub.key == "gupta2024" and pub.aliases == []
    assert len(pub.records) == 2


def test_duplicate_key_different_work_gets_a_new_stable_key_and_a_message():
    a = bib("gupta2024", 1)
    b = bib("gupta2024", 30, title="Birds of the Sierra Nevada in winter")
    result = merge_records([a, b], CFG)
    keys = {p.title: p.key for p in result.publications}
    assert keys[TITLE] == "gupta2024"
    assert keys["Birds of the Sierra Nevada in winter"] == "gupta2024-b"
    [problem] = result.problems
    assert "gupta2024" in problem.message and "a.bib:30" in problem.message
    assert "gupta2024-b" in problem.message
    # stable: the same input gives the same keys again
    again = merge_records([a, b], CFG)
    assert {p.title: p.key for p in again.publications} == keys


def test_reused_key_that_has_an_alias_falls_back_to_the_alias():
    a = bib("gupta2024", 1)
    b = bib("gupta2024", 30, title="Birds of the Sierra Nevada in winter")
    c = bib("birds", 40, "b.bib", title="Birds of the Sierra Nevada in winter")
    result = merge_records([a, b, c], CFG)
    keys = {p.title: (p.key, p.aliases) for p in result.publications}
    assert keys["Birds of the Sierra Nevada in winter"] == ("birds", [])


def test_biblatex_ids_field_becomes_aliases():
    result = merge_records([bib("main", 1, fields={"ids": "old1, old2"}), bib("other", 9)],
                           CFG)
    [pub] = result.publications
    assert pub.aliases == ["old1", "old2", "other"]
    assert "ids" not in pub.fields


def test_web_only_publications_get_generated_stable_keys():
    s1 = scholar(1, title="The Birds of Winter")
    s2 = scholar(2, title="The Birds of Summer")  # same base key gupta2024birds
    s3 = scholar(3, title="Counting sheep quickly")
    pubs = merge_records([s1, s2, s3], CFG).publications
    keys = {p.title: p.key for p in pubs}
    assert keys["Counting sheep quickly"] == "gupta2024counting"
    # collisions are resolved by content (title), not by input order
    assert keys["The Birds of Summer"] == "gupta2024birdsa"
    assert keys["The Birds of Winter"] == "gupta2024birdsb"
    reversed_keys = {p.title: p.key for p in merge_records([s3, s2, s1], CFG).publications}
    assert reversed_keys == keys


def test_generated_key_is_ascii():
    record = scholar(1, title="Über die Élégance")
    record.authors = [Person(given="R", family="Dubois-Kaur")]
    [pub] = merge_records([record], CFG).publications
    assert pub.key == "duboiskaur2024uber"


def test_generated_key_avoids_bib_keys():
    web = scholar(1, title="Birds of winter")
    other = bib("gupta2024birds", 1, title="Birds of winter and summer, a second look", year=2024)
    other.authors = [Person(given="A", family="Zed")]
    keys = sorted(p.key for p in merge_records([web, other], CFG).publications)
    assert keys == ["gupta2024birds", "gupta2024birdsa"]


def test_publications_sorted_by_year_then_key():
    recs = [bib("b", 1, title="Second paper on owls", year=2020),
            bib("a", 2, title="First paper on hawks", year=2020),
            bib("c", 3, title="Newest paper on crows", year=2023),
            bib("d", 4, title="Undated note on larks", year=None)]
    assert [p.key for p in merge_records(recs, CFG).publications] == ["c", "a", "b", "d"]


def test_citations_keep_the_largest_scholar_count():
    pubs = merge_records([scholar(1, citations=3), scholar(2, citations=7)], CFG).publications
    assert [p.citations for p in pubs] == [{"scholar": 7}]


# -- order independence ----------------------------------------------------------------------

def _pool() -> list[Record]:
    return [bib("gupta2024", 1), bib("gupta-alt", 2, "b.bib", fields={"pages": "3--4"}),
            bib("birds", 3, title="Birds of the Sierra", year=2019), scholar(1), scholar(2,
            title="A Scholar-only paper on cats", year=2021), esch(),
            esch("aaaaaaaa", title="An eScholarship-only report on dogs")]


def _summary(result) -> list:
    return [(p.key, p.aliases, p.fields, p.field_sources, p.ids, p.links, p.citations,
             p.sources, [str(r.origin) for r in p.records], p.conflicts)
            for p in result.publications] + [sorted(map(str, result.problems))]


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(7)))
def test_merge_does_not_depend_on_order_except_first_bib_wins(order):
    pool = _pool()
    expected = _summary(merge_records(pool, CFG))
    shuffled = [pool[i] for i in order]
    # keep the documented rule: the .bib records keep their relative order
    bibs = iter([r for r in pool if r.source == "bibtex"])
    shuffled = [next(bibs) if r.source == "bibtex" else r for r in shuffled]
    assert _summary(merge_records(shuffled, CFG)) == expected


def test_bib_order_decides_the_winner():
    a = bib("first", 1, "a.bib", fields={"publisher": "ACM"})
    b = bib("second", 1, "b.bib", fields={"publisher": "IEEE"})
    assert merge_records([a, b], CFG).publications[0].fields["publisher"] == "ACM"
    assert merge_records([b, a], CFG).publications[0].fields["publisher"] == "IEEE"


def test_preprint_on_the_web_is_a_version_of_the_published_work_not_a_conflict() -> None:
    from scholarsync.config import MatchConfig
    from scholarsync.core.merge import merge_records
    from scholarsync.model import Origin, Person, Record

    authors = [Person("Vima", "Gupta"), Person("Sashank", "Varma")]
    mine = Record(source="bibtex", origin=Origin("bibtex", "bib/a.bib", 1), key="gupta2024",
                  type="inproceedings", fields={"title": "Understanding Infinity", "year": "2024",
                   "booktitle": "Proceedings of CogSci", "eprint": "2311.15194"},
                  title="Understanding Infinity", authors=authors, year=2024,
                  venue="Proceedings of CogSci", ids={"arxiv": "2311.15194"})
    preprint = Record(source="scholar", origin=Origin("scholar", "https://scholar.google.com/x", 2),
                      key="scholar:U:b", type="misc",
                      fields={"title": "Understanding the Countably Infinite", "year": "2023",
                       "howpublished": "arXiv preprint arXiv:2311.15194"},
                      title="Understanding the Countably Infinite", authors=authors, year=2023,
                      venue="arXiv preprint arXiv:2311.15194",
                      ids={"scholar": "U:b", "arxiv": "2311.15194"}, citations=4)
    result = merge_records([preprint, mine], MatchConfig())
    (pub,) = result.publications
    assert pub.key == "gupta2024" and pub.title == "Understanding Infinity" and pub.year == 2024
    assert pub.conflicts == [] and result.problems == []
    assert pub.versions[0]["title"] == "Understanding the Countably Infinite"
    assert pub.citations == {"scholar": 4} and pub.ids["scholar"] == "U:b"
    assert pub.sources == ["bibtex", "scholar"]
