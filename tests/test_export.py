"""Exports: BibTeX round trip (parse -> write -> parse keeps every entry, field and value),
byte-identical reruns, CSL-JSON and the JSON of CONTRACT §6."""

from __future__ import annotations

import json
import re
from pathlib import Path

import bibtexparser
import pytest

from scholarsync.config import MatchConfig
from scholarsync.core.merge import merge_records
from scholarsync.core.normalize import normalize_doi, parse_bibtex_names, parse_year
from scholarsync.model import Origin, Person, Publication, Record
from scholarsync.outputs.bibtex import (
    bibtex_entry,
    entry_fields,
    safe_value,
    to_bibtex,
    written_value,
)
from scholarsync.outputs.csl_json import to_csl_json
from scholarsync.outputs.json import publication_json, to_json

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "bib"
CFG = MatchConfig()


def read_bib(text: str, location: str = "in.bib") -> list[Record]:
    """Records through the project's reader (bibtexparser directly if it is not there)."""
    try:
        from scholarsync.sources.bibtex import read_bib_text
    except ImportError:
        return _plain_records(text, location)
    return read_bib_text(text, location)[0]


def _plain_records(text: str, location: str) -> list[Record]:
    records = []
    for entry in bibtexparser.parse_string(text).entries:
        fields = {f.key.lower(): str(f.value) for f in entry.fields}
        authors, truncated = parse_bibtex_names(fields.get("author", ""))
        doi = normalize_doi(fields.get("doi"))
        records.append(Record(source="bibtex",
                              origin=Origin("bibtex", location, entry.start_line + 1),
                              key=entry.key, type=entry.entry_type.lower(), fields=fields,
                              title=fields.get("title", ""), authors=authors,
                              authors_truncated=truncated, year=parse_year(fields.get("year")),
                              ids={"doi": doi} if doi else {}))
    return records


def unbraced(written: str) -> str:
    """A value as bibtexparser gives it back: braces off, a month macro as its name."""
    return written[1:-1] if written.startswith("{") else written


def reparse(text: str) -> dict[str, dict[str, str]]:
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == [], [b.error for b in library.failed_blocks]
    return {e.key: {f.key.lower(): str(f.value) for f in e.fields} for e in library.entries}


def export_text(text: str) -> str:
    return to_bibtex(merge_records(read_bib(text), CFG).publications)


NASTY = r"""
@string{acm = "ACM Press"}
@article{nested,
  author = {M{\"u}ller, J{\"o}rg and {Sony Corporation} and van der Berg, Jan},
  title = {The {{Nested {Braces}}} of {\LaTeX}: 50\% of R\&D \# and @home},
  journal = {J. of "Quoted" Things},
  year = 2021,
  note = {Backslash \\ line and \textbackslash{} and a \{ pair \}},
  publisher = acm,
  doi = {https://doi.org/10.1145/ABC.DEF},
}

@inproceedings{unicode,
  author = {Dubois-Kaur, Renée and Ólafsdóttir, Þóra},
  title = {Ünïcödé — “quotes” and 中文},
  booktitle = {Proc. of the @Conference},
  year = {2020},
  pages = {1--10},
  url = {https://example.org/a%20b?x=1&y=2#frag},
  abstract = {Multi-line
  abstract with % percent
  and more},
}

@misc{preprint,
  title = {A preprint},
  author = {Gupta, Vima},
  eprint = {2311.15194v2},
  archiveprefix = {arXiv},
  year = {2023},
}
"""


def test_round_trip_keeps_every_entry_field_and_value():
    before = reparse(NASTY)
    after = reparse(export_text(NASTY))
    assert set(after) == set(before)
    for key, fields in before.items():
        for name, value in fields.items():
            if name == "doi":
                assert after[key][name] == normalize_doi(value)
            else:
                assert after[key][name] == value, (key, name)


def test_round_trip_of_the_export_is_a_fixed_point():
    once = export_text(NASTY)
    assert export_text(once) == once


def test_second_run_is_byte_identical_and_field_order_does_not_matter():
    first = export_text(NASTY)
    assert export_text(NASTY) == first
    records = read_bib(NASTY)
    for record in records:
        record.fields = dict(reversed(list(record.fields.items())))
    assert to_bibtex(merge_records(records, CFG).publications) == first


def test_fields_in_conventional_order_then_alphabetical():
    text = export_text(NASTY)
    entry = text[text.index("@inproceedings{unicode"):]
    entry = entry[:entry.index("\n}\n")]
    names = re.findall(r"^  (\w+) = \{", entry, flags=re.MULTILINE)
    assert names == ["author", "title", "booktitle", "pages", "year", "url", "abstract"]


def test_doi_lower_case_without_prefix_and_arxiv_version_kept_when_pinned():
    text = export_text(NASTY)
    assert "doi = {10.1145/abc.def}" in text
    assert "eprint = {2311.15194v2}" in text


def record(source: str = "scholar", **kw) -> Record:
    defaults = dict(key="s1", type="article", title="A Study")
    defaults.update(kw)
    return Record(source=source, origin=Origin(source, f"https://{source}.example", 1),
                  **defaults)


def test_unbalanced_braces_from_a_web_source_still_reparse():
    nasty = [r"a { b", r"a } b", r"a \{ b", r"ends with \\", "x }{ y", "line\n@article{x,",
             r"\}\{", "{{}", r"line\\{\em x}"]
    pubs = []
    for i, value in enumerate(nasty):
        pubs.append(Publication(key=f"k{i}", type="misc", fields={"title": value, "note": "ok"}))
    parsed = reparse(to_bibtex(pubs))
    assert len(parsed) == len(nasty)
    assert all(parsed[f"k{i}"]["note"] == "ok" for i in range(len(nasty)))
    assert r"\textbraceleft{}" in parsed["k0"]["title"]
    for value in nasty:  # balanced for BibTeX too (every brace counts there)
        safe = safe_value(value)
        depth = 0
        for ch in safe:
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0
        assert depth == 0


def test_balanced_values_pass_through_unchanged():
    for value in [r"{\"u}ber", r"\{ pair \}", "100% # @ \"q\"", r"a\\b"]:
        assert safe_value(value) == value


def test_aliases_are_written_as_ids():
    text = ("@article{first, title={Counting to infinity}, author={Gupta, Vima}, year=2024}\n"
            "@article{second, title={Counting to Infinity}, author={Gupta, Vima}, year=2024}\n")
    out = export_text(text)
    parsed = reparse(out)
    assert list(parsed) == ["first"]
    assert parsed["first"]["ids"] == "second"
    assert out.index("ids =") < out.index("author =")


def test_scholar_only_work_with_truncated_authors_gets_and_others():
    web = record(title="Counting to infinity: 50% of R&D", year=2024,
                 authors=[Person(given="V", family="Gupta"), Person(given="S", family="Varma")],
                 authors_truncated=True, venue="Proceedings of the Annual …",
                 venue_truncated=True, ids={"scholar": "U:1"}, citations=3)
    [pub] = merge_records([web], CFG).publications
    fields = reparse(to_bibtex([pub]))[pub.key]
    assert fields["author"] == "Gupta, V and Varma, S and others"
    assert fields["title"] == r"Counting to infinity: 50\% of R\&D"
    assert fields["year"] == "2024"
    assert fields["journal"] == "Proceedings of the Annual …"


def test_web_identifiers_fill_gaps_in_the_export():
    web = record("escholarship", title="Counting", year=2024,
                 authors=[Person(given="Vima", family="Gupta")],
                 ids={"doi": "10.1000/xyz", "arxiv": "2311.15194", "escholarship": "5cz2v6d5"},
                 links={"escholarship": "https://escholarship.org/uc/item/5cz2v6d5"})
    [pub] = merge_records([web], CFG).publications
    fields = reparse(to_bibtex([pub]))[pub.key]
    assert fields["doi"] == "10.1000/xyz"
    assert (fields["eprint"], fields["archiveprefix"]) == ("2311.15194", "arXiv")
    assert fields["url"] == "https://escholarship.org/uc/item/5cz2v6d5"


def test_entries_follow_the_given_order():
    pubs = [Publication(key=k, fields={"title": k}) for k in ("zeta", "alpha", "mid")]
    assert [line for line in to_bibtex(pubs).splitlines() if line.startswith("@")] == [
        "@misc{zeta,", "@misc{alpha,", "@misc{mid,"]
    assert bibtex_entry(pubs[0]).endswith("}\n")


# -- JSON and CSL-JSON -----------------------------------------------------------------------

def _pub() -> Publication:
    return Publication(
        key="gupta2024infinity", type="inproceedings", title="Understanding Infinity",
        authors=[Person(given="Vima", family="Gupta"), Person(literal="Sony Corporation"),
                 Person(given="Jan", von="van der", family="Berg", jr="Jr")],
        authors_truncated=True, year=2024, venue="CogSci",
        fields={"pages": "1--10", "volume": "46", "month": "may", "publisher": "{ACM}"},
        ids={"arxiv": "2311.15194", "escholarship": "5cz2v6d5", "doi": "10.1000/x"},
        links={"pdf": "https://e.org/a.pdf"}, citations={"scholar": 3},
        citations_read={"scholar": "2025-01-02"}, aliases=["old"],
        sources=["bibtex", "scholar"])


def test_publication_json_has_the_contract_keys():
    data = publication_json(_pub())
    assert list(data)[:10] == ["key", "type", "title", "authors", "year", "venue", "ids",
                               "links", "citations", "citations_read"]
    assert data["authors"] == ["Vima Gupta", "Sony Corporation", "Jan van der Berg, Jr",
                               "others"]
    assert data["ids"] == {"doi": "10.1000/x", "arxiv": "2311.15194",
                           "escholarship": "5cz2v6d5", "scholar": None}
    assert data["citations"] == {"scholar": 3}
    assert data["sources"] == ["bibtex", "scholar"]
    assert data["aliases"] == ["old"]
    parsed = json.loads(to_json([_pub(), _pub()]))
    assert isinstance(parsed, list) and len(parsed) == 2


def test_citations_absent_when_unknown():
    assert publication_json(Publication(key="x"))["citations"] == {}


def test_csl_json_shape():
    [item] = json.loads(to_csl_json([_pub()]))
    assert item["id"] == "gupta2024infinity"
    assert item["type"] == "paper-conference"
    assert item["author"] == [{"family": "Gupta", "given": "Vima"},
                              {"literal": "Sony Corporation"},
                              {"family": "Berg", "given": "Jan",
                               "non-dropping-particle": "van der", "suffix": "Jr"}]
    assert item["issued"] == {"date-parts": [[2024, 5]]}
    assert item["container-title"] == "CogSci"
    assert (item["page"], item["volume"], item["publisher"]) == ("1-10", "46", "ACM")
    assert item["DOI"] == "10.1000/x"


@pytest.mark.parametrize("bib_type,csl", [("article", "article-journal"), ("book", "book"),
                                          ("incollection", "chapter"), ("phdthesis", "thesis"),
                                          ("techreport", "report"),
                                          ("unpublished", "manuscript")])
def test_csl_types(bib_type, csl):
    [item] = json.loads(to_csl_json([Publication(key="k", type=bib_type)]))
    assert item["type"] == csl


# -- the shared corpus -----------------------------------------------------------------------

@pytest.mark.corpus
def test_corpus_files_round_trip():
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not present (../shared/corpus/bib)")
    files = sorted(CORPUS.glob("medium/*.bib")) + sorted(CORPUS.glob("edge/*.bib"))
    checked = 0
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        pubs = merge_records(read_bib(text, str(path)), CFG).publications
        out = to_bibtex(pubs)
        parsed = reparse(out)
        assert len(parsed) == len(pubs), path
        for pub in pubs:  # every field written comes back with its value
            wanted = {k: unbraced(written_value(k, v)) for k, v in entry_fields(pub).items()}
            assert parsed[pub.key] == wanted, (path, pub.key)
        assert to_bibtex(merge_records(read_bib(text, str(path)), CFG).publications) == out
        checked += 1
    assert checked > 100
