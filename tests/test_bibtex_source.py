"""The BibTeX source on small fixture files modeled on the corpus edge cases."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from scholarsync.config import load_config
from scholarsync.errors import SourceError
from scholarsync.model import OTHERS, Person, Problem, Record
from scholarsync.sources.base import SourceContext
from scholarsync.sources.bibtex import BibtexSource, read_bib_file, read_bib_text, read_bib_texts

FIXTURES = Path(__file__).parent / "fixtures" / "bib"


def by_key(records: list[Record]) -> dict[str, Record]:
    return {r.key: r for r in records}


def messages(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


@pytest.fixture(scope="module")
def profile() -> tuple[dict[str, Record], list[Problem]]:
    records, problems = read_bib_file(FIXTURES / "profile.bib")
    return by_key(records), problems


def test_every_entry_becomes_a_record_with_its_line(profile) -> None:
    records, _ = profile
    # procs and series exist only as crossref parents (no author): not publications
    assert list(records) == ["gupta2024infinity", "doe2020local", "oldarxiv", "child", "orphan"]
    gupta = records["gupta2024infinity"]
    assert gupta.source == "bibtex" and gupta.type == "inproceedings"
    assert gupta.origin.location == str(FIXTURES / "profile.bib") and gupta.origin.line == 8
    assert records["orphan"].origin.line == 63


def test_macros_concatenation_and_months(profile) -> None:
    records, problems = profile
    gupta = records["gupta2024infinity"]
    # @STRING(...) defined before the macro it uses, which is defined in the other style later
    assert gupta.fields["booktitle"] == (
        "Proceedings of the Annual Meeting of the Cognitive Science Society")
    assert gupta.venue == gupta.fields["booktitle"]
    assert gupta.fields["month"] == "5"  # `may`: a number, as biber and biblatex expect
    assert records["doe2020local"].fields["note"] == "Part one and two"
    assert records["oldarxiv"].fields["year"] == "1999"
    assert "preamble" not in messages(problems) and "comment" not in messages(problems)


def test_fields_keep_latex_and_display_values_decode_it(profile) -> None:
    records, _ = profile
    gupta = records["gupta2024infinity"]
    assert gupta.fields["title"] == (
        r'Understanding {Infinity}: Neural Network Models of {\"U}bersicht')
    assert gupta.title == "Understanding Infinity: Neural Network Models of Übersicht"
    assert gupta.authors == [Person(given="Vima", family="Gupta"),
                             Person(given="Sashank", family="Varma")]
    assert gupta.year == 2024
    child = records["child"]
    assert child.authors == [Person(given="Jörg", family="Müller")]
    assert child.fields["author"] == r'M{\"u}ller, J{\"o}rg'


def test_ids_links_and_extra(profile) -> None:
    records, _ = profile
    gupta = records["gupta2024infinity"]
    assert gupta.ids == {"arxiv": "2311.15194v2", "escholarship": "5cz2v6d5"}
    assert gupta.links["arxiv"] == "https://arxiv.org/abs/2311.15194v2"
    assert gupta.links["escholarship"] == "https://escholarship.org/uc/item/5cz2v6d5"
    assert gupta.links["code"] == "https://github.com/example/infinity"
    assert gupta.links["pdf"] == "gupta2024.pdf"  # relative to the site, kept as written
    assert gupta.selected is True
    assert gupta.keywords == ["counting", "neural networks"]
    assert gupta.abstract == "We study infinity \u2013 the concept."
    doe = records["doe2020local"]
    assert doe.ids == {"doi": "10.1145/abc.123"}
    assert doe.links["doi"] == "https://doi.org/10.1145/abc.123"
    assert doe.year == 2020  # from `date`
    assert doe.authors == [Person(given="Jean", von="de", family="La Fontaine"),
                           Person(literal="Sony Corporation")]
    assert doe.authors_truncated and OTHERS not in doe.authors
    old = records["oldarxiv"]
    assert old.ids == {"arxiv": "hep-th/9901001"}  # eprint + primaryClass, old style
    assert old.authors == [Person(given="John", family="Smith", jr="Jr.")]  # editor fallback
    assert old.links["url"] == "https://arxiv.org/abs/hep-th/9901001"  # from \url{} howpublished


def test_crossref_inheritance_cascades_and_reports_missing_parents(profile) -> None:
    records, problems = profile
    child = records["child"]
    assert child.fields["booktitle"] == "Proceedings of the Workshop on Things"
    assert child.venue == "Proceedings of the Workshop on Things"
    assert child.year == 2019  # from the parent
    assert child.fields["publisher"] == "Springer"  # from the grandparent
    assert "title" not in child.extra["inherited"]
    assert child.fields["title"] == "A Paper in the Proceedings"
    assert "crossref" not in child.fields  # its parent is not exported
    (missing,) = [p for p in problems if "nowhere" in p.message]
    assert missing.line == 63 and missing.level == "warning"
    assert "orphan" in missing.message


def test_crossref_cycle_is_reported_not_looping() -> None:
    text = ("@book{a, title={A}, crossref={b}}\n@book{b, title={B}, crossref={c}}\n"
            "@book{c, title={C}, crossref={a}, year={2000}}\n")
    records, problems = read_bib_text(text, "cycle.bib")
    assert len(records) == 3
    assert any("cycle" in p.message for p in problems)


def test_broken_entry_is_reported_and_the_rest_is_used() -> None:
    records, problems = read_bib_file(FIXTURES / "broken.bib")
    assert [r.key for r in records] == ["good1", "good2"]  # nocomma is left out
    broken = [p for p in problems if "could not parse" in p.message]
    assert len(broken) == 1
    assert broken[0].line == 7 and broken[0].location == str(FIXTURES / "broken.bib")
    malformed = [p for p in problems if "nocomma" in p.message]
    assert malformed and malformed[0].line == 13 and "line 14" in malformed[0].message


def test_duplicate_keys_keep_both_entries_and_name_both_lines() -> None:
    records, problems = read_bib_file(FIXTURES / "duplicates.bib")
    same = [r for r in records if r.key == "same"]
    assert [r.title for r in same] == ["The First Work Under This Key",
                                       "A Different Work Reusing the Key"]
    assert [r.origin.line for r in same] == [1, 7]
    (dup,) = [p for p in problems if "duplicate citation key" in p.message]
    assert "'same'" in dup.message and "line 1" in dup.message and "line 7" in dup.message
    assert dup.line == 7


def test_repeated_field_in_one_entry_is_recovered() -> None:
    records, problems = read_bib_file(FIXTURES / "duplicates.bib")
    wos = by_key(records)["ISI:000445987100063"]
    assert wos.title == "A Web of Science Export"
    assert wos.fields["author-email"] == "kim@example.org"  # the first value is kept
    assert wos.fields["keywords"] == "alpha, beta, gamma"  # keywords are joined
    (warning,) = [p for p in problems if "repeats field" in p.message]
    assert "author-email" in warning.message and warning.line == 13


def test_duplicate_key_across_files_names_the_other_file() -> None:
    text = "@article{k, title={One}}\n"
    records, problems = read_bib_texts([(text, "a.bib"), ("\n" + text, "b.bib")])
    assert len(records) == 2
    assert any("a.bib:1" in p.message and p.location == "b.bib" and p.line == 2
               for p in problems)


def test_macros_of_an_earlier_file_serve_a_later_one() -> None:
    records, problems = read_bib_texts([
        ('@string{jcp = "Journal of Chemical Physics"}', "abbrev.bib"),
        ("@article{x, journal = jcp, title = {T}, publisher = unknownmacro}", "papers.bib"),
    ])
    assert records[0].venue == "Journal of Chemical Physics"
    assert records[0].fields["publisher"] == "unknownmacro"
    assert any("unknownmacro" in p.message and p.location == "papers.bib" for p in problems)


def test_bom_and_crlf_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "windows.bib"
    text = ("@article{w,\r\n  title = {Windows\r\n  File},\r\n  year = 2020\r\n}\r\n"
            "@misc{m, title={M}}")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    records, problems = read_bib_file(path)
    assert [r.key for r in records] == ["w", "m"]
    assert records[0].title == "Windows File" and "\r" not in records[0].fields["title"]
    assert records[1].origin.line == 6
    assert problems == []


def test_non_utf8_file_is_decoded_with_a_warning_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "latin.bib"
    path.write_bytes("@article{l,\n  author = {Müller, Jörg},\n  title = {Café}\n}\n"
                     .encode("cp1252"))
    records, problems = read_bib_file(path)
    assert records[0].title == "Café"
    assert records[0].authors == [Person(given="Jörg", family="Müller")]
    (warning,) = problems
    assert warning.level == "warning" and warning.location == str(path)
    assert "UTF-8" in warning.message and "cp1252" in warning.message
    assert "line 2" in warning.message


def test_configured_encoding_is_tried_first(tmp_path: Path) -> None:
    path = tmp_path / "cyrillic.bib"
    path.write_bytes("@article{c, title = {Привет}}\n".encode("koi8-r"))
    records, problems = read_bib_file(path, encoding="koi8-r")
    assert records[0].title == "Привет"
    assert "koi8-r" in problems[0].message


def test_entry_without_key_is_reported() -> None:
    records, problems = read_bib_text("@article{, title = {No Key}}\n", "nokey.bib")
    assert records == []
    assert problems[0].line == 1 and "no citation key" in problems[0].message


def write_config(tmp_path: Path, paths: str, extra: str = "") -> Path:
    config = tmp_path / "scholarsync.toml"
    config.write_text(f'[[sources]]\nkind = "bibtex"\npaths = {paths}\n{extra}'
                      f'[network]\ncache_dir = "cache"\n')
    return config


def test_source_reads_every_configured_file_in_order(tmp_path: Path) -> None:
    (tmp_path / "bib").mkdir()
    (tmp_path / "bib" / "b.bib").write_text("@article{b1, title = {From B}, journal = jn}\n")
    (tmp_path / "bib" / "a.bib").write_text('@string{jn = "Journal N"}\n@article{a1, title={A}}\n')
    config = load_config(write_config(tmp_path, '["bib/*.bib"]'))
    result = BibtexSource(config.sources[0], SourceContext(config)).read()
    assert result.kind == "bibtex" and result.status == "fresh"
    assert [r.key for r in result.records] == ["a1", "b1"]
    assert result.records[1].venue == "Journal N"
    assert result.problems == []


def test_source_with_only_unreadable_files_fails(tmp_path: Path) -> None:
    (tmp_path / "bib").mkdir()
    target = tmp_path / "bib" / "gone.bib"
    target.write_text("")
    config = load_config(write_config(tmp_path, '["bib/gone.bib"]'))
    target.unlink()
    with pytest.raises(SourceError, match="gone.bib"):
        BibtexSource(config.sources[0], SourceContext(config)).read()


@pytest.mark.skipif(importlib.util.find_spec("scholarsync.net.client") is None,
                    reason="scholarsync.net.client is not there yet")
def test_source_fetches_bib_urls_through_the_http_client(tmp_path: Path, httpserver) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/pubs.bib").respond_with_data(
        "@article{remote, title = {Over {HTTP}}, year = 2022}\n", content_type="text/plain")
    url = httpserver.url_for("/pubs.bib")
    config = load_config(write_config(tmp_path, f'["{url}"]'))
    context = SourceContext(config)
    try:
        result = BibtexSource(config.sources[0], context).read()
    finally:
        context.close()
    assert [(r.key, r.title, r.origin.location) for r in result.records] == [
        ("remote", "Over HTTP", url)]
