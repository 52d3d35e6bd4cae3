"""A changed ``.bib`` file re-read incrementally (issue 13) equals a fresh parse of it.

The records cache keeps a file's last parse and text; after a change only the blocks the change
touches are read again (:mod:`scholarsync.sources.bibcache`). Whatever the change, the entries
(keys, fields, lines), Records, problems (with their lines) and macros must be the ones a parse
without any cache gives.
"""

from __future__ import annotations

import logging
import random
import re
from pathlib import Path

import pytest

from scholarsync import recordcache
from scholarsync.model import Problem, Record
from scholarsync.sources import bibcache, bibsplit, bibtex
from scholarsync.sources.bibcache import cached_parser, common_ends
from scholarsync.sources.bibtex import (
    READERS,
    BibEntry,
    entry_record,
    parse_bib_file,
    read_bib_texts,
    split_bib_text,
)

BASE = r"""% my publications
@string{jot = {Journal of Tests}}
@preamble{"\newcommand{\x}{x}"}

@article{alpha2020,
  title = {Alpha and {DNA}},
  author = {M{\"u}ller, J{\"o}rg and Gupta, Vima},
  journal = jot,
  month = jan,
  year = {2020},
  doi = {10.1234/alpha},
}

@proceedings{conf2021, title = {Proceedings of the Test Conference}, year = {2021}}

@inproceedings{beta2021,
  title = {Beta in the Proceedings},
  author = {Gupta, Vima},
  crossref = {conf2021},
}
@comment{nothing here}
@article{gamma2019,
  title = "Gamma " # jot,
  author = {Doe, Jane and Gupta, Vima},
  year = 2019,
  keywords = {a, b},
  keywords = {c},
}
  @misc(delta2018, title = {Delta in parentheses}, year = {2018})
@article{alpha2020,
  title = {A Reused Key},
  author = {Roe, Richard},
  year = {2018},
}
@misc{notitle, year = {2001}, publisher = nopub}
@string{jot = {Journal of Tests, Again}}
@string{sub = und # " series"}
@misc{theta2000, title = {Theta}, series = sub, note = nopub}
text between entries @misc{inline2017, title = {Not at a line start}, year = 2017}
@book{epsilon2016,
  title = {Epsilon},
  editor = {Gupta, Vima},
  publisher = {Press},
  year = {2016},
  url = {https://example.org/epsilon},
}
"""

#: A later file: uses the first file's macro and crossref parent.
SECOND = r"""@article{zeta2015, title = {Zeta}, author = {Gupta, Vima}, journal = jot, year = 2015}
@inproceedings{eta2014, title = {Eta}, author = {Gupta, Vima}, crossref = {conf2021}}
"""

NEW_ENTRY = ("@article{new2024,\n  title = {A New One},\n  author = {New, Person},\n"
             "  year = 2024,\n}\n")


@pytest.fixture(autouse=True, params=[bibcache.CHUNK, 2], ids=["chunks", "small-chunks"])
def _chunk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries are stored in chunks, the ones a change does not touch kept as they were
    written: with chunks of two entries, most of them are."""
    monkeypatch.setattr(bibcache, "CHUNK", request.param)


def _fresh(texts: list[tuple[str, str]]) -> tuple[list[Record], list[Problem]]:
    return read_bib_texts(texts)


def _cached(texts: list[tuple[str, str]], folder: Path) -> tuple[list[Record], list[Problem]]:
    cache = recordcache.RecordCache(folder)
    return read_bib_texts(texts, cached_parser(cache, parse_bib_file, BibEntry, entry_record,
                                               READERS))


def _file_parse(text: str, folder: Path | None) -> tuple[list[BibEntry], list[Problem],
                                                         dict[str, str]]:
    macros = {"earlier": "From an earlier file"}
    if folder is None:
        entries, problems = parse_bib_file(text, "a.bib", macros)
    else:
        parse = cached_parser(recordcache.RecordCache(folder), parse_bib_file, BibEntry,
                              entry_record, READERS)
        entries, problems = parse(text, "a.bib", macros)
    return entries, problems, macros


def _assert_same(old: str, new: str, folder: Path) -> None:
    """Read ``old`` then ``new`` through the cache: ``new`` as a fresh parse reads it."""
    texts = [(old, "a.bib"), (SECOND, "b.bib")]
    assert _cached(texts, folder) == _fresh(texts)
    texts = [(new, "a.bib"), (SECOND, "b.bib")]
    got, expected = _cached(texts, folder), _fresh(texts)
    assert got[1] == expected[1]
    assert got[0] == expected[0]
    assert [r.to_dict() for r in got[0]] == [r.to_dict() for r in expected[0]]
    assert [list(r.fields) for r in got[0]] == [list(r.fields) for r in expected[0]]
    # and one file's parse alone: entries (with lines), problems and the macros it defines
    _file_parse(old, folder)
    assert _file_parse(new, folder) == _file_parse(new, None)
    # a third, warm read of the incremental result is still right
    assert _cached(texts, folder) == expected


def _incremental(caplog: pytest.LogCaptureFixture) -> bool:
    return any("read again, the rest reused" in r.getMessage() for r in caplog.records)


def _entry_at(text: str, key: str) -> int:
    return text.index("@", text.index(key) - 20)


EDITS = {
    "append": lambda t: t + "\n" + NEW_ENTRY,
    "append-no-newline": lambda t: t.rstrip("\n") + NEW_ENTRY,
    "insert": lambda t: t.replace("@comment{", NEW_ENTRY + "@comment{"),
    "prepend": lambda t: NEW_ENTRY + t,
    "delete": lambda t: re.sub(r"@article\{gamma2019,.*?\n}\n", "", t, flags=re.S),
    "edit-field": lambda t: t.replace("Beta in the", "Beta, Edited, in the"),
    "edit-adds-lines": lambda t: t.replace("  year = 2019,\n", "  year = 2019,\n  note = {a\n"
                                           "two-line note},\n"),
    "edit-key": lambda t: t.replace("gamma2019", "gamma2020"),
    "string-changed": lambda t: t.replace("Journal of Tests", "Journal of Other Tests"),
    "string-added": lambda t: t.replace("@comment{", "@string{jan = {January!}}\n@comment{"),
    "string-removed": lambda t: t.replace("@string{jot = {Journal of Tests}}\n", ""),
    "broken-entry-added": lambda t: t.replace("@comment{", "@misc{broken,\n  title = {Open\n"
                                              "@comment{"),
    "broken-entry-fixed": lambda t: t.replace("Richard},\n", "Richard}\n  ,"),
    "truncated": lambda t: t[: t.index("publisher = {Pr")],
    "truncated-to-nothing": lambda t: "",
    "undefined-macro": lambda t: t.replace("year = {2018},\n}", "year = {2018},\n  "
                                           "journal = nowhere,\n}"),
    "head-not-at-line-start": lambda t: t.replace("@comment{", "x @comment{"),
    "unindented": lambda t: t.replace("  @misc(delta2018", "@misc(delta2018"),
    "macro-from-earlier": lambda t: t.replace("year = {2016},",
                                              "year = {2016},\n  note = earlier,"),
    "malformed-value-above": lambda t: t.replace("title = {Beta in the Proceedings},",
                                                 "title = {Beta} in {the Proceedings},"),
    "duplicate-key-added": lambda t: t + "\n@misc{epsilon2016, title = {Again}}\n",
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "first-use-removed": lambda t: t.replace(", publisher = nopub", ""),
    "earlier-use-added": lambda t: t.replace("@comment{", "@misc{use, title = {U}, note = "
                                             "nopub # sub}\n@comment{"),
    "macro-cycle": lambda t: t.replace("@string{sub = und", "@string{sub = sub"),
    "everything": lambda t: SECOND,
    "blanks-first": lambda t: "  " + t.replace("% my publications\n", ""),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_an_edited_file_reads_as_a_fresh_parse(tmp_path: Path, name: str,
                                               caplog: pytest.LogCaptureFixture) -> None:
    new = EDITS[name](BASE)
    assert new != BASE
    with caplog.at_level(logging.INFO, logger="scholarsync"):
        _assert_same(BASE, new, tmp_path / "records")
    if name in ("append", "append-no-newline", "insert", "prepend", "delete", "edit-field",
                "edit-adds-lines", "edit-key", "broken-entry-added", "truncated",
                "head-not-at-line-start", "duplicate-key-added", "undefined-macro",
                "macro-from-earlier", "first-use-removed", "earlier-use-added"):
        assert _incremental(caplog), "the change should have been read incrementally"
    if name in ("string-changed", "string-added", "string-removed"):
        assert not _incremental(caplog), "an @string change needs the whole file"


@pytest.mark.parametrize(("old", "new"), [
    ("  @misc{a, title={A}}\n", "@misc{n, title={N}}\n  @misc{a, title={A}}\n"),
    ("  @misc{a, title={A}}\n", "x @misc{n, title={N}}\n  @misc{a, title={A}}\n"),
    ("  @misc{a, title={A}}\n@misc{b, title={B}}\n",
     " @misc{n, title={N}} @misc{a, title={A}}\n@misc{b, title={B}}\n"),
    ("@misc{a, title={A}}\n", "\n\n@misc{a, title={A}}\n"),
    ("@misc{a, title={A}}\n", "@misc{n, title={N}}@misc{a, title={A}}\n"),
])
def test_changes_at_the_start_of_the_text(tmp_path: Path, old: str, new: str) -> None:
    """The first segment starts at offset 0, also when the text starts with blanks and a
    block head (an anchor that is not a segment of its own)."""
    _file_parse(old, tmp_path)
    assert _file_parse(new, tmp_path) == _file_parse(new, None)


def test_edits_one_after_another_stay_exact(tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """Each incremental result is the base of the next change."""
    text = BASE
    names = ["append", "insert", "edit-field", "delete", "edit-adds-lines", "broken-entry-added",
             "prepend", "edit-key", "unindented", "head-not-at-line-start", "truncated"]
    with caplog.at_level(logging.INFO, logger="scholarsync"):
        for name in names:
            new = EDITS[name](text)
            _assert_same(text, new, tmp_path / "records")
            text = new
    assert _incremental(caplog)


def _random_edit(rng: random.Random, text: str) -> str:
    pieces = ["{", "}", "@", "@misc{", "\n@article{r" + str(rng.randrange(99)) + ",", ",",
              "\n", " = ", '"', "title = {T}", "}\n", "\n}\n", "jot", " # ", "\\", "(", ")",
              NEW_ENTRY, "\n\n", "@string{s = {S}}"]
    at = rng.randrange(len(text) + 1)
    kind = rng.randrange(3)
    if kind == 0 or not text:
        return text[:at] + rng.choice(pieces) + text[at:]
    end = min(len(text), at + rng.randrange(1, 40))
    if kind == 1:
        return text[:at] + text[end:]
    return text[:at] + rng.choice(pieces) + text[end:]


@pytest.mark.parametrize("seed", range(6))
def test_random_edits_read_as_a_fresh_parse(tmp_path: Path, seed: int) -> None:
    """Random cuts and insertions of marks (braces, quotes, ``@``, newlines, whole entries):
    every incremental read equals a fresh one."""
    rng = random.Random(seed)
    text = BASE + SECOND + BASE.replace("alpha2020", "again2020")
    for step in range(25):
        new = _random_edit(rng, text)
        folder = tmp_path / f"records{step % 3}"
        _file_parse(text, folder)
        assert _file_parse(new, folder) == _file_parse(new, None), f"step {step}: {new!r}"
        text = new


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "bib" / "edge"


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
def test_corpus_files_with_an_entry_changed_read_as_a_fresh_parse(tmp_path: Path) -> None:
    rng = random.Random(13)
    for path in sorted(CORPUS.glob("*.bib"))[:40]:
        text = path.read_text(encoding="utf-8", errors="replace")
        folder = tmp_path / path.stem
        for edit in (lambda t: t + "\n" + NEW_ENTRY, lambda t: _random_edit(rng, t)):
            new = edit(text)
            _file_parse(text, folder)
            assert _file_parse(new, folder) == _file_parse(new, None), path.name


def test_a_corrupt_cache_file_is_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    new = EDITS["insert"](BASE)
    for damage in (b"\x00\xffnot json", b'{"key": "0", "content": "", "data": {}}', b""):
        _file_parse(BASE, folder)
        for path in folder.glob("*.json"):
            path.write_bytes(damage if damage else path.read_bytes()[:100])
        assert _file_parse(new, folder) == _file_parse(new, None)


def test_a_damaged_segment_table_is_ignored(tmp_path: Path) -> None:
    """Valid JSON, this very key, nonsense inside: the file is parsed whole."""
    folder = tmp_path / "records"
    _file_parse(BASE, folder)
    for path in folder.glob("*.json"):
        body = path.read_text(encoding="utf-8")
        path.write_text(body.replace('"segments":[[0,1,', '"segments":[[5,"x",'),
                        encoding="utf-8")
    new = EDITS["insert"](BASE)
    assert _file_parse(new, folder) == _file_parse(new, None)


def test_split_from_an_anchor_gives_the_blocks_of_a_whole_split() -> None:
    text = split_text = BASE + SECOND
    blocks = [b for b in split_bib_text(split_text)
              if not (isinstance(b, bibsplit.Comment) and not b.explicit)]
    for offset, line in bibsplit.anchors(text):
        found, met, stop = bibsplit.split_from(text, offset, line, lambda _: False)
        assert stop is None
        mine = [b for b in found if not (isinstance(b, bibsplit.Comment) and not b.explicit)]
        assert mine == [b for b in blocks if b.line >= line]
        assert all(bibsplit.is_anchor(text, at) for _, at, _ in met)


def test_common_ends() -> None:
    assert common_ends("abcXdef", "abcYYdef") == (3, 3)
    assert common_ends("abc", "xabc") == (0, 3)
    assert common_ends("abc", "abcd") == (3, 0)
    big = "x" * 200_000
    assert common_ends(big + "a" + big, big + "b" + big, step=1000) == (200_000, 200_000)
    assert common_ends("", "abc") == (0, 0)


ALL_CORPUS = sorted(CORPUS.parent.rglob("*.bib")) if CORPUS.is_dir() else []


@pytest.mark.corpus
@pytest.mark.skipif(not ALL_CORPUS, reason=f"the shared corpus is not at {CORPUS.parent}")
def test_every_anchor_of_the_corpus_starts_a_block_and_restarts_the_split() -> None:
    """The premise of incremental reads: every block head alone at the start of its line
    starts a block, and splitting from it gives the blocks a whole split gives from there."""
    rng = random.Random(7)
    for path in ALL_CORPUS:
        if path.stat().st_size > 3_000_000:
            continue
        text = bibtex.prepare_bib_text(path.read_text(encoding="utf-8", errors="replace"),
                                       str(path))
        blocks = bibsplit.split(text)
        anchors = bibsplit.anchors(text)
        assert bibtex._segment_starts(blocks, anchors) is not None, path.name
        heads = [b for b in blocks if not (isinstance(b, bibsplit.Comment) and not b.explicit)]
        for offset, line in rng.sample(anchors, min(3, len(anchors))):
            found, _, _ = bibsplit.split_from(text, offset, line, lambda _: False)
            mine = [b for b in found
                    if not (isinstance(b, bibsplit.Comment) and not b.explicit)]
            assert mine == [b for b in heads if b.line >= line], f"{path.name} at line {line}"
