"""The saved library: a byte-stable round trip, and the diff between two runs."""

from __future__ import annotations

from pathlib import Path

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
