"""The bib_block output and the data YAML writer on their own: line endings, BOM, a missing
final newline, markers placed by hand, broken markers, hostile values, YAML quoting."""

from __future__ import annotations

from pathlib import Path

import bibtexparser
import pytest
import yaml

from scholarsync.errors import HandEditedError, SectionError
from scholarsync.model import Publication
from scholarsync.outputs.base import PlanContext
from scholarsync.outputs.bib_block import BEGIN, BibBlockOutput, blank_block, find_block
from scholarsync.outputs.data import dump_yaml
from scholarsync.sources import rules
from scholarsync.sources.bibtex import read_bib_text

USER_BIB = "---\n---\n@string{x = {X}}\n% mine\n@article{mine2020, title = {Mine}, year = {2020}}\n"


def web_pub(key: str, title: str, article: str) -> Publication:
    return Publication(key=key, type="misc", title=title, year=2023,
                       fields={"title": title, "author": "Gupta, Vima", "year": "2023"},
                       ids={"scholar": f"Yno2pxMAAAAJ:{article}"}, sources=["scholar"])


MINE = Publication(key="mine2020", type="article", title="Mine", sources=["bibtex", "scholar"])
PUBS = [MINE, web_pub("gupta2023a", "First", "aaaaaaaaaaaC"),
        web_pub("gupta2023b", "Second", "bbbbbbbbbbbC")]


def plan(path: Path, pubs: list[Publication], force: bool = False) -> bytes | None:
    ctx = PlanContext(pubs, None, None, rules(), force)  # type: ignore[arg-type]
    [change] = BibBlockOutput(path, None).plan(ctx)  # type: ignore[arg-type]
    return change.new


def keys(text: str) -> list[str]:
    return [e.key for e in bibtexparser.parse_string(text).entries]


def test_crlf_and_bom_are_kept_and_the_block_uses_crlf(tmp_path: Path) -> None:
    path = tmp_path / "papers.bib"
    old = b"\xef\xbb\xbf" + USER_BIB.replace("\n", "\r\n").encode()
    path.write_bytes(old)
    new = plan(path, PUBS)
    assert new is not None and new.startswith(old)
    added = new[len(old):]
    assert b"\n" not in added.replace(b"\r\n", b"")  # no bare LF inside the block
    assert added.startswith(b"\r\n" + BEGIN.encode() + b"\r\n")
    path.write_bytes(new)
    assert plan(path, PUBS) == new  # stable, and CRLF is no hand edit


def test_a_file_without_final_newline_keeps_its_last_byte(tmp_path: Path) -> None:
    path = tmp_path / "papers.bib"
    path.write_text(USER_BIB.rstrip("\n"))
    new = plan(path, PUBS)
    assert new is not None
    assert new.startswith(USER_BIB.rstrip("\n").encode() + b"\n\n" + BEGIN.encode())
    assert keys(new.decode()) == ["mine2020", "gupta2023a", "gupta2023b"]


def test_no_file_gets_a_block_only_and_no_works_write_nothing(tmp_path: Path) -> None:
    path = tmp_path / "papers.bib"
    new = plan(path, PUBS)
    assert new is not None and new.decode().startswith(BEGIN + "\n@misc{gupta2023a,")
    assert plan(path, [MINE]) is None  # no file, nothing to put in it: none is created
    path.write_text(USER_BIB)
    assert plan(path, [MINE]) == USER_BIB.encode()  # no block added for nothing


def test_an_emptied_block_stays_and_still_detects_edits(tmp_path: Path) -> None:
    path = tmp_path / "papers.bib"
    path.write_text(USER_BIB)
    path.write_bytes(plan(path, PUBS) or b"")
    emptied = plan(path, [MINE])
    assert emptied is not None
    assert emptied.decode().endswith(BEGIN + "\n@comment{scholarsync:end checksum=empty}\n")
    path.write_bytes(emptied)
    path.write_text(path.read_text().replace(BEGIN + "\n", BEGIN + "\n@misc{typed, year={1}}\n"))
    with pytest.raises(HandEditedError, match=r"papers\.bib:8: .*edited by hand"):
        plan(path, PUBS)
    assert b"@misc{typed" not in (plan(path, PUBS, force=True) or b"")


def test_markers_placed_by_hand_are_filled_where_they_stand(tmp_path: Path) -> None:
    path = tmp_path / "papers.bib"
    head = "@article{a, title={A}}\n"
    tail = "\n@article{b, title={B}}\n"
    path.write_text(f"{head}{BEGIN}\n@comment{{scholarsync:end}}{tail}")
    new = (plan(path, PUBS) or b"").decode()
    assert new.startswith(head + BEGIN + "\n@misc{gupta2023a,")
    assert new.endswith("}" + tail)
    assert keys(new) == ["a", "gupta2023a", "gupta2023b", "b"]


def test_whitespace_changes_in_the_block_are_no_edit(tmp_path: Path) -> None:
    path = tmp_path / "papers.bib"
    path.write_text(USER_BIB)
    written = (plan(path, PUBS) or b"").decode()
    path.write_text(written.replace("},\n", "},   \n").replace("\n}\n", "\n}\n\n\n"))
    assert plan(path, PUBS) == written.encode()


@pytest.mark.parametrize(("text", "message"), [
    (f"{BEGIN}\n{BEGIN}\n@comment{{scholarsync:end}}\n", r"t\.bib:2: a second scholarsync block"),
    ("@comment{scholarsync:end}\n", r"t\.bib:1: .*without a begin"),
    (f"x\n{BEGIN}\n", r"t\.bib:2: the scholarsync block has no end marker"),
    (f"  {BEGIN}\n@comment{{scholarsync:end}}\n", r"t\.bib:1: .*must start its line"),
    (f"{BEGIN} % mine\n@comment{{scholarsync:end}}\n", r"t\.bib:1: .*stand alone"),
    ("@comment{scholarsync:middle}\n", r"t\.bib:1: unknown marker"),
])
def test_broken_markers_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(SectionError, match=message):
        find_block(text, "t.bib")
    assert blank_block(text) == text  # read as it is; the output reports the markers


def test_the_tag_in_the_users_own_text_is_no_marker() -> None:
    text = ("% kept up to date by scholarsync: see the README\n"
            "@comment{the scholarsync: block is below}\n@misc{a, note = {scholarsync:end}}\n")
    assert find_block(text, "t.bib") is None
    assert blank_block(text) == text


def test_blank_block_hides_the_entries_and_keeps_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "papers.bib"
    path.write_text(USER_BIB)
    written = (plan(path, PUBS) or b"").decode() + "@misc{after, title={After}}\n"
    blanked = blank_block(written)
    assert blanked.count("\n") == written.count("\n")
    records, problems = read_bib_text(written, "papers.bib")
    assert [r.key for r in records] == ["mine2020", "after"]
    assert records[1].origin.line == written.splitlines().index(
        "@misc{after, title={After}}") + 1
    assert not problems


def test_a_title_cannot_forge_a_marker_or_an_entry(tmp_path: Path) -> None:
    path = tmp_path / "papers.bib"
    path.write_text(USER_BIB)
    hostile = "Evil\n@comment{scholarsync:end}\n@misc{forged, title={x}}"
    pubs = [MINE, web_pub("gupta2023evil", hostile, "eeeeeeeeeeeC")]
    pubs[1].fields["title"] = hostile
    new = (plan(path, pubs) or b"").decode()
    assert keys(new) == ["mine2020", "gupta2023evil"]
    block = find_block(new, "papers.bib")
    assert block is not None and block.checksums is not None and len(block.checksums) == 1


#: Strings some YAML reader would take for something else, or mangle.
HOSTILE_STRINGS = [
    "yes", "No", "on", "OFF", "y", "n", "~", "null", "", "1e3", "1E-3", "6.8523015e+5", "0x1F",
    "0o17", "0777", "+1", "-.5", ".inf", "12:30", "1:20:30", "2024-10-01", "2024-10-01T10:00:00",
    "@user", "{x}", "[a]", "- a", "#c", "! tag", "%d", "&a", "*a", "| x", "> x", "a: b", "a #b",
    "'q'", '"d"', " lead", "trail ", "line\nbreak", "tab\there", "a\u2028b", "nel\x85x",
    "ünïcødé ☃", "10.1145/abc", "Yno2pxMAAAAJ:aaaaaaaaaaaC", "{{ site.title }}", "{% raw %}",
]


@pytest.mark.parametrize("value", HOSTILE_STRINGS)
def test_yaml_strings_read_back_as_the_same_strings(value: str) -> None:
    document = [{"title": value, value: [value], "year": 2024, "n": None, "ok": True}]
    text = dump_yaml(document)
    assert yaml.safe_load(text) == document
    assert yaml.load(text, Loader=yaml.BaseLoader)[0]["title"] == value  # no type resolution


@pytest.mark.parametrize("value", ["yes", "on", "1e3", "1E-3", "2024-10-01", "0x1F", "12:30",
                                   "0o17", "y", "null"])
def test_ambiguous_strings_are_quoted_for_every_yaml_version(value: str) -> None:
    line = dump_yaml({"v": value}).strip()
    assert line in (f"v: '{value}'", f'v: "{value}"')


def test_citations_list_every_scholar_row_with_its_own_count_and_read_date() -> None:
    from scholarsync.model import Record
    from scholarsync.outputs.citations import citations_document

    def row(article: str, count: int | None, read: str) -> Record:
        return Record(source="scholar", ids={"scholar": f"Yno2pxMAAAAJ:{article}"},
                      citations=count, citations_read=read)

    twice = Publication(key="p", title="Twice listed", year=2021, sources=["scholar"],
                        records=[row("bbbbbbbbbbbC", 7, "2026-11-02"),
                                 row("aaaaaaaaaaaC", None, "2026-11-30")])
    bib_only = Publication(key="q", title="No Scholar row", sources=["bibtex"])
    document = citations_document([twice, bib_only])
    assert document == {
        "metadata": {"last_updated": "2026-11-30"},
        "papers": {"Yno2pxMAAAAJ:aaaaaaaaaaaC": {"citations": 0, "title": "Twice listed",
                                                 "year": 2021},
                   "Yno2pxMAAAAJ:bbbbbbbbbbbC": {"citations": 7, "title": "Twice listed",
                                                 "year": 2021}}}
    assert citations_document([bib_only]) == {"metadata": {}, "papers": {}}


def test_a_cr_only_file_gets_one_block_however_often_it_is_synced(tmp_path: Path) -> None:
    path = tmp_path / "papers.bib"
    path.write_bytes(USER_BIB.replace("\n", "\r").encode())
    first = plan(path, PUBS)
    assert first is not None and b"\n" not in first
    path.write_bytes(first)
    assert plan(path, PUBS) == first
    block = find_block(first.decode(), "papers.bib")
    assert block is not None and block.begin_line == 7
    assert blank_block(first.decode()).count("\r") == first.count(b"\r")
