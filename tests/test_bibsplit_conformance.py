"""The regex reader (sources/bibsplit.py) against bibtexparser's splitter, the reference (issue 13).

Both readers go through ``split_bib_text``: bibtexparser's blocks are turned into the same
tuples (real 1-based lines, reused keys and repeated fields unwrapped), so the comparison is of
entry keys, types, field names, raw values and lines, ``@string``, ``@preamble``, comments,
text between entries and failed blocks (text and reason), then of the resolved entries and the
problems reported. Every .bib file of ../shared/corpus is compared; the hand-written cases
below also check what a user sees.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scholarsync.sources import bibsplit
from scholarsync.sources.bibsplit import Comment, Entry, Failed, Preamble, String
from scholarsync.sources.bibtex import (
    _read_blocks,
    decode_bib_bytes,
    parse_bib_text,
    read_bib_text,
    split_bib_text,
)

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "bib"
FILES = sorted(CORPUS.rglob("*.bib")) if CORPUS.is_dir() else []
SLOW_PATH_MAX_BYTES = 1_500_000  # the mark-by-mark path alone is as slow as bibtexparser


def _first_difference(mine: list, reference: list) -> str:
    for index, (a, b) in enumerate(zip(mine, reference, strict=False)):
        if a != b:
            return f"block {index}:\n  regex:        {a!r:.500}\n  bibtexparser: {b!r:.500}"
    return f"{len(mine)} blocks against {len(reference)}"


def _same_everywhere(text: str) -> list[bibsplit.Block]:
    """Split ``text`` by bibtexparser, by the regex reader and by its slow path alone; assert
    the three agree (blocks, then entries and problems) and return the blocks."""
    reference = split_bib_text(text, reader="bibtexparser")
    mine = split_bib_text(text, reader="regex")
    assert mine == reference, _first_difference(mine, reference)
    assert bibsplit.split(text, fast=False) == reference
    assert parse_bib_text(text, "x.bib", reader="regex") == parse_bib_text(
        text, "x.bib", reader="bibtexparser")
    return mine


# -- the corpus ------------------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.skipif(not FILES, reason=f"the shared corpus is not at {CORPUS}")
@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_splits_as_bibtexparser_splits_it(path: Path) -> None:
    text, _ = decode_bib_bytes(path.read_bytes(), str(path))
    reference = split_bib_text(text, reader="bibtexparser")
    mine = split_bib_text(text, reader="regex")
    assert mine == reference, _first_difference(mine, reference)
    if path.stat().st_size <= SLOW_PATH_MAX_BYTES:
        plain = text.lstrip("\ufeff").replace("\r\n", "\n")
        plain = plain.replace("\r", " " if "\n" in plain else "\n")
        assert bibsplit.split(plain, fast=False) == reference
    # and what is made of the blocks: resolved entries, @string use, every problem
    assert _read_blocks(list(mine), str(path), None) == _read_blocks(
        list(reference), str(path), None)


# -- hand-written cases ----------------------------------------------------------------------


def test_nested_braces_and_quoted_values_with_braces() -> None:
    text = ('@article{k1,\n  title = {The {RNA} of {{DNA} and {\\"O}l}},\n'
            '  author = "Doe, J. and {Smith and Sons}",\n  note = "a } b { c",\n'
            '  quote = "say {"}hi{"}",\n  year = 2001\n}\n')
    (entry,) = _same_everywhere(text)
    assert entry == Entry(1, "article", "k1", [
        ("title", '{The {RNA} of {{DNA} and {\\"O}l}}', 2),
        ("author", '"Doe, J. and {Smith and Sons}"', 3),
        ("note", '"a } b { c"', 4),
        ("quote", '"say {"}hi{"}"', 5),
        ("year", "2001", 6)])


def test_concatenation_and_string_use() -> None:
    text = ('@string{ACM = "Association for " # {Computing} # " Machinery"}\n'
            '@STRING(pub = {ACM Press})\n'
            '@article{k2, journal = acm # { Trans.}, publisher = pub, month = mar,\n'
            '  title = "Part " # {One}}\n')
    blocks = _same_everywhere(text)
    assert blocks[0] == String(1, "ACM", '"Association for " # {Computing} # " Machinery"')
    assert blocks[1] == String(2, "pub", "{ACM Press}")
    (entry,), problems = parse_bib_text(text, "x.bib")
    assert entry.fields == {"journal": "Association for Computing Machinery Trans.",
                            "publisher": "ACM Press", "month": "3", "title": "Part One"}
    assert problems == []


def test_an_entry_cut_short_is_reported_and_the_next_one_kept() -> None:
    text = ("@article{cut,\n  title = {Never closed,\n  year = 1999\n\n"
            "@article{good, title = {Good}, year = 2000}\n")
    blocks = _same_everywhere(text)
    assert blocks[0] == Failed(1, "@article{cut,\n  title = {Never closed,\n  year = 1999\n",
                               "Unexpected block start: `@article`. Was still looking for "
                               "field-value closing `}` ")
    assert blocks[1] == Entry(5, "article", "good", [("title", "{Good}", 5),
                                                      ("year", "2000", 5)])
    records, problems = read_bib_text(text, "x.bib")
    assert [r.key for r in records] == ["good"]
    assert [(p.line, p.message[:27]) for p in problems] == [(1, "could not parse @article (U")]


def test_backslash_newlines_before_a_broken_entry_keep_lines_exact() -> None:
    text = ("@comment{ends in a backslash \\\nand again \\\n}\n"
            "@article{a, title = {One \\\\\n two \\\n three}}\n"
            "@article{broken, title = {x}, year\n}\n"
            "@article{b, title = {B}}\n")
    blocks = _same_everywhere(text)
    assert [type(b).__name__ for b in blocks] == ["Comment", "Entry", "Failed", "Entry"]
    assert [b.line for b in blocks] == [1, 4, 7, 9]
    assert blocks[2].reason == ("Expected a `=` after entry key `year`, but found the end of "
                                "the entry (`}`).")
    _, problems = parse_bib_text(text, "x.bib")
    assert [p.line for p in problems] == [7]
    assert text.split("\n")[6].startswith("@article{broken")


def test_comments_with_braces_and_text_between_entries() -> None:
    text = ("Some text before % with a percent\n"
            "@comment{jabref-meta: {groups} {nested {deep}}}\n"
            "  text between entries, with a = and a \"quote\n"
            "@preamble{ \"\\newcommand{\\x}{y}\" }\n"
            "@misc{m, title = {M}}\ntrailing words\n")
    blocks = _same_everywhere(text)
    assert blocks == [
        Comment(1, "Some text before % with a percent", False),
        Comment(2, "jabref-meta: {groups} {nested {deep}}", True),
        Comment(3, 'text between entries, with a = and a "quote', False),
        Preamble(4, ' "\\newcommand{\\x}{y}" '),
        Entry(5, "misc", "m", [("title", "{M}", 5)]),
        Comment(6, "trailing words", False)]


@pytest.mark.parametrize("text", [
    # parenthesised blocks, a ")" or "}" inside them, a lone "}" in a "(" entry
    '@book(b1, title = {A (b) c}, note = "x ) y", extra = a}b)\n',
    '@string(s = "with ) inside")\n@preamble("a ) b")\n@comment(x {)} y)\n',
    # escapes: \{ and \" are not delimiters, \, is not a separator
    '@misc{e1, title = {a \\} b}, note = "q \\" r", k\\,x = 1}\n',
    '@misc{e2, title = "\\{"}, x = {y}}\n',
    # "@" in values: inside a line it is text, at a line start it ends the entry
    '@misc{a1, email = {me@host.org}, note = {see @misc{x}}}\n',
    '@misc{a2, title = {start\n  @inproceedings{next, title = {N}}\n',
    # broken shapes: no comma after the key, a missing "=", a missing comma, end of file
    "@article{nokey title = {x}}\n@article{k, title = {x}}\n",
    "@article{k, title {x}}\n@article{k2, title = {x},}\n",
    "@article{k, title = {x} year = 2000}\n",
    "@article{k, title = {never closed\n",
    '@string{broken "x"}\n@string{ok = {y}}\n',
    # no fields (RefTeX), reused key, repeated field, an empty type, trailing comma
    "@misc{lonely}\n@misc{dup, title={A}}\n@misc{dup, title={B}, title={C}}\n@{k, a=1,}\n",
    # braces nested deeper than the fast path takes
    "@misc{deep, title = {" + "{" * 12 + "x" + "}" * 12 + "}}\n",
    # an @ block start not at a line start, mid-text
    "junk @misc{mid, title = {M}} more junk @comment{c}\n",
    # hostile shapes: block starts inside an unclosed value on one line, a brace avalanche
    "@misc{a, title = {" + " @x{y} " * 200 + "\n@misc{b, title = {B}}\n",
    "@misc{a, title = " + "{" * 300 + "}\n@misc{b, title={B}}\n",
    # quotes: {"} inside "...", a quote left open
    '@misc{q1, title = "a {"} b"}\n@misc{q2, title = "open, year = 1}\n@misc{q3, t={x}}\n',
])
def test_tricky_blocks_split_as_bibtexparser_splits_them(text: str) -> None:
    _same_everywhere(text)


def test_string_bounds_still_apply() -> None:
    bomb = ('@string{a = "' + "x" * 64 + '"}\n'
            + "".join(f"@string{{{n} = {' # '.join([p] * 16)}}}\n"
                      for p, n in zip("abcde", "bcdef", strict=True))
            + "@article{bomb, title = f}\n@article{fine, title = {Fine}}\n")
    _same_everywhere(bomb)
    entries, problems = parse_bib_text(bomb, "x.bib")
    assert [e.key for e in entries] == ["fine"]
    assert any("'bomb'" in p.message and "expands beyond 200,000" in p.message and p.line == 7
               for p in problems)


def test_an_unknown_reader_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown BibTeX reader"):
        split_bib_text("", reader="pybtex")
