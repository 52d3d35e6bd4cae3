"""The saved library: a byte-stable round trip, and the diff between two runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from scholarsync.core.library import (
    Library,
    SourceState,
    diff_libraries,
    load_library,
    save_library,
)
from scholarsync.model import Conflict, Origin, Person, Publication, Record


def publication(key: str, title: str, **kwargs) -> Publication:
    record = Record(source="bibtex", origin=Origin("bibtex", "bib/a.bib", 3), key=key,
                    type="article", fields={"title": title, "year": "2024"}, title=title,
                    authors=[Person("Vima", "Gupta")], year=2024)
    defaults = dict(type="article", fields={"title": title, "year": "2024"}, title=title,
                    authors=[Person("Vima", "Gupta"), Person(literal="Sony Corporation")],
                    year=2024, venue="CogSci", sources=["bibtex"], records=[record])
    defaults.update(kwargs)
    return Publication(key=key, **defaults)


def test_save_load_save_is_byte_identical(tmp_path: Path) -> None:
    pub = publication("a", "Counting — with “quotes” and ü", ids={"doi": "10.1/x"},
                      citations={"scholar": 3}, citations_read={"scholar": "2026-11-01"},
                      aliases=["a-old"], stale={"scholar": "2026-10-01"},
                      conflicts=[Conflict("year", "2024", "a.bib:3", "2023", "b.bib:9")])
    library = Library([pub], {"scholar": SourceState("2026-11-01", False, {"name": "V"})})
    assert save_library(tmp_path, library) is True
    first = (tmp_path / "library.json").read_bytes()
    loaded = load_library(tmp_path)
    assert loaded is not None
    assert save_library(tmp_path, loaded) is False  # same bytes: nothing written
    assert (tmp_path / "library.json").read_bytes() == first
    assert loaded.publications[0].to_dict() == pub.to_dict()
    assert "ü" in first.decode("utf-8")  # readable, not \\u-escaped


def test_missing_or_corrupt_library_is_none(tmp_path: Path) -> None:
    assert load_library(tmp_path) is None
    (tmp_path / "library.json").write_text("{not json")
    assert load_library(tmp_path) is None


def test_diff_reports_added_updated_removed_unchanged() -> None:
    old = Library([publication("a", "A"), publication("b", "B"), publication("c", "C")])
    changed = publication("b", "B", citations={"scholar": 5})
    renamed = publication("c-new", "C", aliases=["c"])
    new = Library([publication("a", "A"), changed, renamed, publication("d", "D")])
    diff = diff_libraries(old, new)
    assert [p.key for p in diff.added] == ["d"]
    assert [(c.publication.key, c.fields) for c in diff.updated] == [
        ("b", ["citations"]), ("c-new", ["key"])]
    assert diff.removed == []
    assert diff.unchanged == 1
    gone = diff_libraries(new, Library([publication("a", "A")]))
    assert sorted(p.key for p in gone.removed) == ["b", "c-new", "d"]


def test_first_run_has_everything_added() -> None:
    diff = diff_libraries(None, Library([publication("a", "A")]))
    assert [p.key for p in diff.added] == ["a"] and diff.changed


def _summary(diff) -> tuple:
    return ([p.key for p in diff.added],
            [(c.publication.key, c.fields, c.by) for c in diff.updated],
            [p.key for p in diff.removed], diff.unchanged)


def test_the_lazily_read_library_diffs_like_the_decoded_one(tmp_path: Path) -> None:
    old = Library([publication("a", "A"), publication("b", "B"), publication("c", "C"),
                   publication("e", "E", ids={"doi": "10.1/e"})])
    save_library(tmp_path, old)
    new = Library([publication("a", "A"), publication("b", "B", citations={"scholar": 5}),
                   publication("c-new", "C", aliases=["c"]), publication("d", "D"),
                   publication("e2", "E", ids={"doi": "10.1/e"})])
    lazy, eager = load_library(tmp_path), load_library(tmp_path, lazy=False)
    assert type(lazy).__name__ == "SavedLibrary" and type(eager) is Library
    assert _summary(diff_libraries(lazy, new)) == _summary(diff_libraries(eager, new)) == (
        ["d"], [("b", ["citations"], ["scholar"]), ("c-new", ["key"], []),
                ("e2", ["key"], [])], [], 1)
    assert [p.to_dict() for p in lazy.publications] == [p.to_dict() for p in old.publications]
    # the diff shares the new library's lines with the file written afterwards
    assert save_library(tmp_path, new) is True
    assert (tmp_path / "library.json").read_text() == Library(new.publications).to_json()


def test_a_corrupt_saved_publication_is_as_no_saved_library(tmp_path: Path) -> None:
    save_library(tmp_path, Library([publication("a", "A"), publication("b", "B")]))
    path = tmp_path / "library.json"
    path.write_text(path.read_text().replace('{"type"', '{"type": [}', 1))
    new = Library([publication("a", "A")])
    lazy = load_library(tmp_path)
    assert lazy is not None
    assert _summary(diff_libraries(lazy, new)) == _summary(diff_libraries(None, new))
    assert lazy.publications == [] and lazy.records_of("bibtex") == []
    assert load_library(tmp_path, lazy=False) is None


def test_unchanged_saved_lines_are_not_decoded_and_the_diff_is_the_same(tmp_path: Path) -> None:
    # two saved works share a DOI: the new one that equals the second is still matched the
    # way the decoded library matches it (first saved work with the identity)
    shared = {"doi": "10.1/s"}
    old = Library([publication("x", "X", ids=shared), publication("y", "Y", ids=shared),
                   publication("z", "Z")])
    save_library(tmp_path, old)
    new = Library([publication("y", "Y", ids=shared), publication("z", "Z"),
                   publication("w", "W")])
    lazy, eager = load_library(tmp_path), load_library(tmp_path, lazy=False)
    assert _summary(diff_libraries(lazy, new)) == _summary(diff_libraries(eager, new))
    lazy = load_library(tmp_path)
    assert lazy is not None
    diff_libraries(lazy, Library([publication("x", "X", ids=shared), publication("z", "Z")]))
    assert sorted(lazy._decoded) == [1]  # only the saved work that went was decoded


def test_an_unchanged_saved_line_is_kept_once_in_memory(tmp_path: Path) -> None:
    save_library(tmp_path, Library([publication("a", "A"), publication("b", "B")]))
    new = Library([publication("a", "A"), publication("b", "B2")])
    lazy = load_library(tmp_path)
    assert lazy is not None
    diff_libraries(lazy, new)
    assert lazy.saved_line(0) is new.lines()[0]  # the same text: one string
    assert lazy.saved_line(1) != new.lines()[1]
    assert _summary(diff_libraries(load_library(tmp_path), new)) == _summary(
        diff_libraries(lazy, new))


@pytest.mark.parametrize("count", [0, 1, 2, 5])
def test_the_saved_file_is_read_back_line_for_line(count: int) -> None:
    """Each saved publication is one line, whatever its values hold (commas, new lines)."""
    from scholarsync.core.library import SavedLibrary

    library = Library([Publication(title=f"Title {i}, with,\n a comma", key=f"k{i}")
                       for i in range(count)])
    saved = SavedLibrary.parse(library.to_json())
    assert saved is not None and saved.count() == count
    assert [saved.saved_line(i) for i in range(count)] == library.lines()
    assert [p.to_dict() for p in saved.publications] == [p.to_dict() for p in
                                                          library.publications]


@pytest.mark.parametrize("count", [0, 1, 500, 1001])
def test_the_library_written_piece_by_piece_is_its_json(count: int) -> None:
    """A sync writes library.json in pieces (never whole in memory): the same bytes, across
    the pieces' boundaries, and the digest it is compared by is theirs."""
    from scholarsync.fileio import Digest

    library = Library([Publication(title=f"Tïtle {i}", key=f"k{i}") for i in range(count)])
    whole = library.to_json().encode("utf-8")
    assert b"".join(library.byte_chunks()) == whole == library.to_bytes()
    assert library.digest() == Digest.of(whole) and library.digest() == whole
