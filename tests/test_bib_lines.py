"""Reported lines are the real 1-based lines, also after lines ending in a backslash (issue 14).

bibtexparser's splitter does not count a newline directly after ``\\``; every message naming a
line must still name the line the block starts on in the file itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scholarsync.sources.bibtex import read_bib_text

REPO = Path(__file__).resolve().parents[1]
BIG = REPO.parent / "shared" / "corpus" / "bib" / "huge" / "huge_concat.bib"

OWN = r"""@comment{a comment line ending in a backslash \
and another \
}
@article{good1,
  title = {One \\
  two},
  year = 2000
}
@preamble{ "\newcommand{\x}{y} \
" }
@article{broken,
  title = {Broken
  year = 2001,

@article{good2, title={Two}, year=2002}
@article{good2, title={Two again}, year=2003}
@article{bomb, title = {A} # {B}, note = {x}, note = {y}}
"""

KEY = re.compile(r"(?:entry|citation key) '([^']+)'")


def _check(text: str, problems: list, records: list) -> int:
    """Assert each located problem and record names a line where its block really starts."""
    lines = text.split("\n")
    checked = 0
    for record in records:
        assert record.key in lines[record.origin.line - 1], (record.key, record.origin.line)
        checked += 1
    for problem in problems:
        if problem.line is None:
            continue
        here = lines[problem.line - 1]
        key = KEY.search(problem.message)
        if problem.message.startswith("duplicate citation key"):
            first, again = map(int, re.findall(r"line (\d+)", problem.message)[:2])
            assert key and key.group(1) in lines[first - 1], problem.message
            assert key.group(1) in lines[again - 1], problem.message
        if key:
            assert key.group(1) in here, (problem.message, problem.line, here)
        elif problem.message.startswith("could not parse @"):
            assert here.lstrip().startswith("@"), (problem.message, problem.line, here)
        checked += 1
    return checked


def test_lines_after_backslash_newlines_are_real() -> None:
    records, problems = read_bib_text(OWN, "own.bib")
    by_message = {p.message.split(" (")[0]: p.line for p in problems}
    assert by_message["could not parse @article"] == 11
    dup = next(p for p in problems if p.message.startswith("duplicate citation key"))
    assert "first at line 15, again at line 16" in dup.message and dup.line == 16
    assert {r.key: r.origin.line for r in records if r.key != "good2"} == {"good1": 4, "bomb": 17}
    assert any(p.message.startswith("entry 'bomb' repeats") and p.line == 17 for p in problems)
    _check(OWN, problems, records)


def test_lines_of_the_big_corpus_file_are_real() -> None:
    if not BIG.is_file():
        pytest.skip("corpus file huge/huge_concat.bib absent (../shared/corpus)")
    text = BIG.read_text(encoding="utf-8")
    assert "\\\n" in text, "the corpus file no longer has backslash-newlines"
    records, problems = read_bib_text(text, "huge.bib")
    dup = [p for p in problems if "'Wang_2003'" in p.message]
    assert dup and "first at line 250027, again at line 263285" in dup[0].message
    assert _check(text, problems, records) > 15_000
