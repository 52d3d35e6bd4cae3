"""Front matter handling and the ``academicpages`` / ``hugo`` reader sources, file by file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from scholarsync import frontmatter
from scholarsync.config import ProfileConfig
from scholarsync.model import Problem
from scholarsync.sources.academicpages import AcademicpagesSource
from scholarsync.sources.hugo import HugoSource

PROFILE = ProfileConfig(name="Vima Gupta")


def _record(cls, path: Path):
    problems: list[Problem] = []
    doc = frontmatter.parse(path.read_text(encoding="utf-8"))
    return cls.record_of(doc, path, PROFILE, problems), problems


@pytest.mark.parametrize("title", [
    "Plain", "A: colon", "# not a comment", "'quoted' and \"double\"", "yes", "null", "2024",
    "- dash", "{{ liquid }}", "{% tag %}", "[list]", "tab\there", "Unicode: Ünïcødé — ok",
    "line\nbreak", "trailing space ", "*star", "&anchor", "!tag", "%percent", "@at", "`tick`",
])
def test_signed_front_matter_parses_back_to_the_same_values(title: str) -> None:
    data = {"title": title, "date": dt.date(2024, 7, 1), "authors": ["admin", title]}
    text = frontmatter.signed(data, "\nbody\n", "key:with:colons")
    doc = frontmatter.parse(text)
    assert doc.data["title"] == title and doc.data["authors"] == ["admin", title]
    assert doc.data["date"] == dt.date(2024, 7, 1)
    assert doc.owner_key == "key:with:colons" and frontmatter.intact(doc)
    assert yaml.safe_load(text.split("---\n")[1]) == doc.data


def test_the_checksum_sees_edits_but_not_line_endings() -> None:
    text = frontmatter.signed({"title": "T", "venue": "V"}, "\nbody\n", "k", ("@misc{k,}\n",))
    doc = frontmatter.parse(text)
    assert frontmatter.intact(doc, ("@misc{k,}\n",))
    assert not frontmatter.intact(doc, ("@misc{k, note={x}}\n",))  # a companion edited
    assert frontmatter.intact(frontmatter.parse(text.replace("\n", "\r\n")), ("@misc{k,}\n",))
    assert not frontmatter.intact(frontmatter.parse(text.replace("venue: V", "venue: W")),
                                  ("@misc{k,}\n",))
    assert not frontmatter.intact(frontmatter.parse(text.replace("body", "my body")),
                                  ("@misc{k,}\n",))


def test_broken_front_matter_names_its_line() -> None:
    with pytest.raises(frontmatter.FrontMatterError) as caught:
        frontmatter.parse("---\ntitle: ok\nvenue: [unclosed\n---\n")
    assert caught.value.line is not None and caught.value.line >= 3
    with pytest.raises(frontmatter.FrontMatterError):
        frontmatter.parse("---\ntitle: never closed\n")
    assert not frontmatter.parse("no front matter here\n").has_front_matter


def test_slugs_are_ascii_words_cut_at_a_word() -> None:
    assert frontmatter.slugify("Understanding Infinity: Neural Network Models") == \
        "understanding-infinity-neural-network-models"
    assert frontmatter.slugify("Über Ärger — naïve café") == "uber-arger-naive-cafe"
    assert frontmatter.slugify("???") == "untitled"
    long = frontmatter.slugify("word " * 40)
    assert len(long) <= 60 and not long.endswith("-") and long.endswith("word")


def test_academicpages_reader_decodes_the_generators_entities(tmp_path: Path) -> None:
    path = tmp_path / "2009-10-01-paper-title-number-1.md"
    path.write_text("---\ntitle: \"Paper &quot;Title&quot; Number 1\"\ncollection: "
                    "publications\ncategory: conferences\ndate: 2009-10-01\nvenue: 'Journal "
                    "&amp; Co'\npaperurl: 'http://example.org/paper1.pdf'\nslidesurl: "
                    "'http://example.org/slides1.pdf'\ncitation: 'Your Name, You. (2009).'\n"
                    "authors:\n  - firstname: Vima\n    lastname: Gupta\n---\nbody\n")
    record, problems = _record(AcademicpagesSource, path)
    assert not problems
    assert record.title == 'Paper "Title" Number 1' and record.venue == "Journal & Co"
    assert (record.year, record.type) == (2009, "inproceedings")
    assert record.links == {"pdf": "http://example.org/paper1.pdf",
                            "slides": "http://example.org/slides1.pdf"}
    assert [a.display for a in record.authors] == ["Vima Gupta"]
    assert record.fields["month"] == "10" and record.source == "academicpages"


def test_academicpages_reader_skips_the_tools_files_and_reports_broken_ones(
        tmp_path: Path) -> None:
    (tmp_path / "mine.md").write_text("---\ntitle: Mine\ndate: 2020-01-01\n---\n")
    (tmp_path / "tool.md").write_text(frontmatter.signed({"title": "Copy"}, "", "k2020"))
    (tmp_path / "broken.md").write_text("---\ntitle: [oops\n---\n")
    (tmp_path / "notes.txt").write_text("not a publication")
    source = AcademicpagesSource.__new__(AcademicpagesSource)
    source.config = type("C", (), {"options": {"path": tmp_path}})()  # type: ignore[assignment]
    source.context = type("X", (), {"config": type("K", (), {"profile": PROFILE})()})()  # type: ignore[assignment]
    result = source.read()
    assert [r.title for r in result.records] == ["Mine"]
    assert [p.location for p in result.problems] == [str(tmp_path / "broken.md")]
    assert result.problems[0].line is not None


def test_hugo_reader_takes_cite_bib_first_and_admin_as_the_owner(tmp_path: Path) -> None:
    bundle = tmp_path / "my-paper"
    bundle.mkdir()
    (bundle / "index.md").write_text(
        "---\ntitle: 'Front Matter Title'\nauthors: [admin, Robert Ford]\ndate: "
        "'2013-07-01T00:00:00Z'\npublication_types: ['2']\npublication: '*Journal of "
        "Things*'\nfeatured: true\nurl_pdf: https://example.org/p.pdf\nurl_code: "
        "https://github.com/x/y\nhugoblox:\n  ids:\n    doi: 10.5555/123456\n---\n")
    record, _ = _record(HugoSource, bundle / "index.md")
    assert [a.display for a in record.authors] == ["Vima Gupta", "Robert Ford"]
    assert (record.title, record.venue, record.type) == ("Front Matter Title",
                                                         "Journal of Things", "article")
    assert record.ids["doi"] == "10.5555/123456" and record.selected
    assert record.links["pdf"] == "https://example.org/p.pdf"
    assert record.links["code"] == "https://github.com/x/y"
    (bundle / "cite.bib").write_text("@inproceedings{ford2013,\n title = {The BibTeX Title},"
                                     "\n author = {Ford, Robert and Gupta, Vima},\n booktitle"
                                     " = {Conf}, year = {2013}}\n")
    record, _ = _record(HugoSource, bundle / "index.md")
    assert record.title == "The BibTeX Title" and record.type == "inproceedings"
    assert [a.display for a in record.authors] == ["Robert Ford", "Vima Gupta"]
    assert record.links["code"] == "https://github.com/x/y"  # front matter adds links


def test_hugo_reader_reads_toml_front_matter(tmp_path: Path) -> None:
    bundle = tmp_path / "toml-paper"
    bundle.mkdir()
    (bundle / "index.md").write_text('+++\ntitle = "A TOML Paper"\nauthors = ["me", "A. '
                                     'Other"]\ndate = 2021-03-04\npublication_types = '
                                     '["paper-conference"]\ndoi = "10.1234/X"\n+++\n')
    assert HugoSource.files(tmp_path) == [bundle / "index.md"]
    record, _ = _record(HugoSource, bundle / "index.md")
    assert (record.title, record.year, record.type) == ("A TOML Paper", 2021, "inproceedings")
    assert record.ids["doi"] == "10.1234/x"
    assert record.authors[0].display == "Vima Gupta"
