"""Conformance over every .bib of the shared corpus: no exception, nothing silently lost.

Every entry bibtexparser itself sees (its entries, plus failed blocks that start like an entry:
broken ones, reused keys, repeated fields) must come out as a Record or as a reported Problem
at the same 1-based line. The expected set is computed here with bibtexparser alone, on the bytes
decoded as latin-1 (which never fails and keeps the line structure), not from our reader.

Files over 1.5 MB (``huge_concat.bib`` and the two largest TUGboat files) are skipped to keep the
suite fast; ``bench/`` reads the big one.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import bibtexparser
import pytest

from scholarsync.sources.bibtex import (
    container_only,
    decode_bib_bytes,
    parse_bib_text,
    read_bib_file,
    resolve_crossrefs,
)

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "bib"
MAX_BYTES = 1_500_000
ENTRY_START = re.compile(r"@\s*(?!comment\b|string\b|preamble\b)[a-z]", re.IGNORECASE)

FILES = sorted(CORPUS.rglob("*.bib")) if CORPUS.is_dir() else []
SMALL = [f for f in FILES if f.stat().st_size <= MAX_BYTES]
TOTALS = {"files": 0, "entries": 0, "records": 0, "problems": 0}

pytestmark = pytest.mark.corpus


def expected_lines(path: Path) -> set[int]:
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    library = bibtexparser.parse_string(path.read_bytes().decode("latin-1"))
    lines = {e.start_line + 1 for e in library.entries}
    lines |= {b.start_line + 1 for b in library.failed_blocks
              if ENTRY_START.match((b.raw or "").lstrip())}
    return lines


def container_lines(path: Path) -> set[int]:
    """Lines of entries that are only crossref parents (proceedings volumes): not publications."""
    text, _ = decode_bib_bytes(path.read_bytes(), str(path))
    entries, _ = parse_bib_text(text, str(path))
    resolve_crossrefs(entries)
    containers = container_only(entries)
    return {e.line for e in entries if id(e) in containers}


@pytest.mark.skipif(not SMALL, reason=f"the shared corpus is not at {CORPUS}")
@pytest.mark.parametrize("path", SMALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_entry_is_a_record_or_a_reported_problem(path: Path) -> None:
    records, problems = read_bib_file(path)
    expected = expected_lines(path)
    accounted = ({r.origin.line for r in records} | {p.line for p in problems}
                 | container_lines(path))
    assert expected <= accounted, f"entries lost at lines {sorted(expected - accounted)[:10]}"
    assert all(r.key and r.source == "bibtex" for r in records)
    assert all(p.level in ("warning", "error") and p.location == str(path) for p in problems)
    TOTALS["files"] += 1
    TOTALS["entries"] += len(expected)
    TOTALS["records"] += len(records) + len(container_lines(path))
    TOTALS["problems"] += len(problems)


@pytest.mark.skipif(not SMALL, reason=f"the shared corpus is not at {CORPUS}")
def test_corpus_totals(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs last in this module: prints the totals and checks the whole corpus was read."""
    if TOTALS["files"] != len(SMALL):
        pytest.skip("run the whole module to get the totals")
    skipped = len(FILES) - len(SMALL)
    with capsys.disabled():
        print(f"\ncorpus: {TOTALS['files']} files read ({skipped} over 1.5 MB skipped), "
              f"{TOTALS['entries']} entries seen by bibtexparser, {TOTALS['records']} records, "
              f"{TOTALS['problems']} problems reported")
    assert TOTALS["records"] >= TOTALS["entries"] - TOTALS["problems"]
