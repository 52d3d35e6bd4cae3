"""A fast BibTeX block splitter that gives the blocks bibtexparser 2's splitter gives.

bibtexparser's splitter walks the text one "mark" at a time (an unescaped ``{ } " , =``, a
newline, or ``@type`` before ``{``/``(``) in Python. This module matches a whole well-formed
block with compiled regular expressions instead (entry head, then one match per field: its
name, its balanced-brace / quoted / bare / ``#``-joined value and the ``,`` or closing
delimiter after it). Whatever those expressions do not accept (an entry cut short, braces
nested deeper than :data:`MAX_FAST_DEPTH`, ``@type{`` inside a value, ``@string(...)``…) is
handed, block by block, to :class:`_Scanner`, which follows bibtexparser's rules mark by mark
and so fails the same blocks with the same reasons and resumes where bibtexparser resumes.

Differences on purpose: every line is the real 1-based line (bibtexparser counts from 0 and
does not count a newline right after a backslash), an entry carries no ``raw`` text, and a
reused key or a repeated field is not wrapped in a failed block (the caller reports those).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

#: Deepest ``{`` nesting inside a value the fast path accepts; deeper values take the slow path.
MAX_FAST_DEPTH = 8

Field = tuple[str, str, int]  # (name as written, raw value, real line of its "=")


class Entry(NamedTuple):
    line: int
    type: str  # lower case, as bibtexparser gives it
    key: str
    fields: list[Field]


class String(NamedTuple):
    line: int
    key: str
    value: str  # raw, with its braces or quotes


class Preamble(NamedTuple):
    line: int
    value: str


class Comment(NamedTuple):
    """``@comment{...}`` (explicit) or text between blocks (implicit)."""

    line: int
    comment: str
    explicit: bool


class Failed(NamedTuple):
    """A block bibtexparser's splitter aborts: its text up to where it stopped, and why."""

    line: int
    raw: str
    reason: str


Block = Entry | String | Preamble | Comment | Failed

# -- the regular expressions -----------------------------------------------------------------

# Where a block starts: what bibtexparser's block-start mark matches.
_HEAD = re.compile(r"@\w*[ \t]*(?=[{(])")
# "@" that does not start a block: ordinary text everywhere.
_AT = r"@(?!\w*[ \t]*[{(])"


def _group(depth: int) -> str:
    """A ``{..}`` group (braces balanced, escaped ones ignored) nested at most ``depth`` deep."""
    inner = rf"[^{{}}\\@]++|\\[{{}}]?+|{_AT}"
    if depth > 1:
        inner += "|" + _group(depth - 1)
    return rf"\{{(?:{inner})*+\}}"


_GROUP = _group(MAX_FAST_DEPTH)
GROUP = _GROUP  # the pattern of one balanced ``{..}`` group
# In a "..." value braces are not counted; a `"` is literal after a backslash or as {"}.
_QUOTED = rf'"(?:[^"\\@]++|\\"?+|(?<=\{{)"(?=\}}[\s\S])|{_AT})*+"'


def _value(close: str) -> str:
    """A field value up to (not including) the ``,`` or ``close`` that ends it."""
    # Outside braces and quotes, a lone "}" is ordinary text in a "(" block.
    plain = r'[^{}",\\@]++' if close == "}" else r'[^{",\\@)]++'
    escaped = r'\\[{}",=]?+' if close == "}" else r'\\[{}",=)]?+'
    return rf"(?:{plain}|{escaped}|{_GROUP}|{_QUOTED}|{_AT})*+"


def _name(close: str) -> str:
    """A citation key or field name: text without marks (and without backslashes)."""
    chars = r'[^,{}"=@\\)]++' if close == ")" else r'[^,{}"=@\\]++'
    return rf"(?:{chars}|{_AT})*+"


class _Patterns:
    """The compiled expressions for blocks closed by ``close`` (``}`` or ``)``)."""

    def __init__(self, open_: str, close: str) -> None:
        o, c = re.escape(open_), re.escape(close)
        # "@type{key," or "@type{key}": type, key, and the mark after the key.
        self.entry = re.compile(rf"@(\w*)[ \t]*{o}({_name(close)})([,{c}])")
        # One field: name, value, and the mark after it.
        self.field = re.compile(rf"({_name(close)})=({_value(close)})([,{c}])")
        self.tail = re.compile(rf"\s*+{c}")  # what may follow the last ","
        body = rf"(?:[^{{}}\\@]++|\\[{{}}]?+|{_GROUP}|{_AT})*+"
        self.string = re.compile(rf'@\w*[ \t]*{o}([^{{}}",=@\\]*+)=({body})\}}') \
            if close == "}" else None
        self.text = re.compile(rf"@\w*[ \t]*{o}({body})\}}") if close == "}" else None


_BRACED = _Patterns("{", "}")
_PARENS = _Patterns("(", ")")

# bibtexparser's marks, newlines left out (lines are counted apart).
_MARKS = re.compile(r'(?<!\\)[{}",=]|@\w*[ \t]*(?=[{(])')
_PAREN_MARKS = re.compile(r'(?<!\\)[{}",=)]|@\w*[ \t]*(?=[{(])')

# -- splitting -------------------------------------------------------------------------------


def split(text: str, fast: bool = True) -> list[Block]:
    """The blocks of one file's text, in order (see the module docstring). ``fast=False``
    reads every block mark by mark (for tests: both paths must agree)."""
    blocks: list[Block] = []
    append = blocks.append
    count = text.count
    search = _HEAD.search
    line, counted = 1, 0  # the real line of offset `counted`
    comment_from = 0  # where the text between blocks starts
    pos = 0
    size = len(text)
    while True:
        head = search(text, pos)
        start = size if head is None else head.start()
        if comment_from < start:
            chunk = text[comment_from:start]
            stripped = chunk.lstrip()
            if stripped:
                at = start - len(stripped)
                line += count("\n", counted, at)
                counted = at
                append(Comment(line, stripped.rstrip(), False))
        if head is None:
            return blocks
        line += count("\n", counted, start)
        counted = start
        block, end = _fast(text, head, line) if fast else (None, 0)
        if block is None:
            block, comment_from, pos = _Scanner(text, head).block(line)
        else:
            comment_from = pos = end
        append(block)


def _fast(text: str, head: re.Match[str], line: int) -> tuple[Block | None, int]:
    """The block starting at ``head`` and the offset after it, when the expressions accept it;
    else (None, 0)."""
    start = head.start()
    opener = text[head.end()]
    kind = head.group().lower()
    if kind.startswith(("@comment", "@preamble", "@string")):
        if opener != "{":
            return None, 0
        if kind.startswith("@string"):
            found = _BRACED.string.match(text, start)  # type: ignore[union-attr]
            if found is None:
                return None, 0
            return String(line, found.group(1).strip(), found.group(2).strip()), found.end()
        found = _BRACED.text.match(text, start)  # type: ignore[union-attr]
        if found is None:
            return None, 0
        if kind.startswith("@comment"):
            return Comment(line, found.group(1).strip(), True), found.end()
        return Preamble(line, found.group(1)), found.end()
    patterns = _BRACED if opener == "{" else _PARENS
    found = patterns.entry.match(text, start)
    if found is None:
        return None, 0
    type_, key, mark = found.groups()
    fields: list[Field] = []
    entry = Entry(line, kind[1:].strip(), key.strip(), fields)
    pos = found.end()
    if mark != ",":
        return entry, pos
    line += text.count("\n", start, pos)
    # Each field starts where the one before it ended: a scanner matches them one after the
    # other. The line of a field's "=" is counted from the newlines in its name and the
    # values before it.
    field = patterns.field.scanner(text, pos).match  # type: ignore[attr-defined]
    append = fields.append
    while True:
        found = field()
        if found is None:
            tail = patterns.tail.match(text, pos)
            if tail is None:
                return None, 0
            return entry, tail.end()
        name, value, mark = found.groups()
        if "\n" in name:
            line += name.count("\n")
        append((name.strip(), value.strip(), line))
        if "\n" in value:
            line += value.count("\n")
        if mark != ",":
            return entry, found.end()
        pos = found.end()


class _Abort(Exception):
    """bibtexparser's splitter gives up on a block: why, and where its text stops."""

    def __init__(self, reason: str, end: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.end = end


class _Scanner:
    """One block read mark by mark, by bibtexparser's rules (the slow, exact path)."""

    def __init__(self, text: str, head: re.Match[str]) -> None:
        self.text = text
        self.head = head
        self.pending: re.Match[str] | None = None  # a mark looked at but not consumed
        self.pos = head.start()  # the mark last handed out
        opener = head.end()
        if text[opener] == "(":
            self.close = ")"
            self.marks = _PAREN_MARKS.finditer(text, opener + 1)
        else:
            self.close = "}"
            self.marks = _MARKS.finditer(text, opener)
            self.mark()  # the "{" itself

    def block(self, line: int) -> tuple[Block, int, int]:
        """The block, where the text after it starts, and where to look for the next block."""
        kind = self.head.group().lower()
        try:
            if kind.startswith("@comment"):
                end = self.to_close(quotes=False)
                block: Block = Comment(line, self.text[self.head.end() + 1:end].strip(), True)
            elif kind.startswith("@preamble"):
                end = self.to_close(quotes=True)
                block = Preamble(line, self.text[self.head.end() + 1:end])
            elif kind.startswith("@string"):
                block = self.string(line)
            else:
                block = self.entry(line, kind[1:].strip())
        except _Abort as abort:
            block = Failed(line, self.text[self.head.start():abort.end], abort.reason)
        pending = self.pending
        return block, self.pos + 1, self.pos if pending is None else pending.start()

    def mark(self) -> re.Match[str]:
        """The next mark (raises _Abort at the end of the text)."""
        if self.pending is not None:
            found, self.pending = self.pending, None
        else:
            found = next(self.marks, None)  # type: ignore[arg-type]
            if found is None:
                self.pos = len(self.text)
                raise _Abort("Unexpectedly reached end of file.", len(self.text))
        self.pos = found.start()
        return found

    def at_line_start(self, pos: int) -> bool:
        """Only blanks between ``pos`` and the start of its line (or of the text)."""
        text = self.text
        i = pos - 1
        while i >= 0 and text[i] != "\n" and text[i].isspace():
            i -= 1  # only over the blanks: a long line costs nothing
        return i < 0 or text[i] == "\n"

    def block_start(self, found: re.Match[str], looking: str) -> _Abort:
        self.pending = found
        return _Abort(f"Unexpected block start: `{found.group()}`. Was still looking for "
                      f"{looking}", found.start() - 1)

    def to_close(self, quotes: bool) -> int:
        """Offset of the delimiter that closes the block (nested braces skipped)."""
        depth = 0
        quoted = False
        quotes = quotes and self.close == ")"
        while True:
            found = self.mark()
            mark = found.group()
            if mark == "{":
                depth += 1
            elif mark == "}" and depth:
                depth -= 1
            elif not depth and mark == '"' and quotes:
                quoted = not quoted
            elif not depth and mark == self.close and not quoted:
                return found.start()
            elif mark[0] == "@" and self.at_line_start(found.start()):
                raise self.block_start(found, "closing bracket")

    def string(self, line: int) -> String:
        equals = self.mark()
        if equals.group() != "=":
            self.pending = equals
            raise _Abort(f"Expected equals sign after field key, but found {equals.group()}",
                         equals.end())
        key = self.text[self.head.end() + 1:equals.start()].strip()
        end = self.to_close(quotes=True)
        return String(line, key, self.text[equals.end():end].strip())

    def entry(self, line: int, type_: str) -> Entry:
        after_key = self.mark()
        key = self.text[self.head.end() + 1:after_key.start()].strip()
        if after_key.group() == self.close:
            return Entry(line, type_, key, [])
        if after_key.group() != ",":
            self.pending = after_key
            raise _Abort(f"Expected comma after entry key, but found {after_key.group()}",
                         after_key.end())
        return Entry(line, type_, key, self.fields(after_key.end(), line))

    def fields(self, name_from: int, line: int) -> list[Field]:
        fields: list[Field] = []
        counted = self.head.start()
        text = self.text
        while True:
            equals = self.mark()
            mark = equals.group()
            if mark == self.close:
                dangling = text[name_from:equals.start()].strip()
                if dangling:
                    raise _Abort(f"Expected a `=` after entry key `{dangling}`, but found the "
                                 f"end of the entry (`{self.close}`).", equals.end())
                return fields
            if mark != "=":
                self.pending = equals
                raise _Abort(f"Expected a `=` after entry key, but found `{mark}`.",
                             equals.start())
            end = self.value_end()
            line += text.count("\n", counted, equals.start())
            counted = equals.start()
            fields.append((text[name_from:equals.start()].strip(),
                           text[equals.end():end].strip(), line))
            after = self.mark()  # the "," or closing delimiter value_end() stopped at
            if after.group() == ",":
                name_from = after.end()
            else:
                self.pending = after
                name_from = after.start()

    def value_end(self) -> int:
        """Offset of the ``,`` or closing delimiter that ends a field value (left pending)."""
        text = self.text
        quoted = False
        depth = 0
        while True:
            found = self.mark()
            mark = found.group()
            if mark == '"' and not depth:
                at = found.start()
                if (quoted and at >= 1 and text[at - 1] == "{" and at + 2 < len(text)
                        and text[at + 1] == "}"):
                    continue  # {"}: a literal quote inside "..."
                quoted = not quoted
            elif mark == "{" and not quoted:
                depth += 1
            elif mark == "}" and not quoted and depth:
                depth -= 1
            elif mark in (",", self.close) and not quoted and not depth:
                self.pending = found
                return found.start()
            elif mark[0] == "@" and self.at_line_start(found.start()):
                looking = ('`"`' if quoted else "`}`" if depth
                           else f"`,` or `{self.close}`")
                raise self.block_start(found, f"field-value closing {looking} ")


# -- restarting inside a file (incremental re-reads) -----------------------------------------
#
# A block start with only blanks before it on its line (an "anchor") is never crossed: the
# expressions accept no ``@type{`` inside a block, and the mark-by-mark path stops at one that
# starts a line. So every anchor starts a block, and the blocks from an anchor on depend only
# on the text from it on: a changed file can be split again from the anchor before the change
# up to an anchor after it, the blocks around that window being the ones of the last split.

_ANCHOR = re.compile(r"\n[^\S\n]*+(?=@\w*[ \t]*[{(])")
_LEAD = re.compile(r"[^\S\n]*+(?=@\w*[ \t]*[{(])")


def anchors(text: str) -> list[tuple[int, int]]:
    """Offset and real 1-based line of every anchor of ``text``, in order."""
    found: list[tuple[int, int]] = []
    lead = _LEAD.match(text)
    if lead is not None:
        found.append((lead.end(), 1))
    line, counted = 1, 0
    count = text.count
    for match in _ANCHOR.finditer(text):
        at = match.end()
        line += count("\n", counted, at)
        counted = at
        found.append((at, line))
    return found


def is_anchor(text: str, pos: int) -> bool:
    """True when a block start at ``pos`` is an anchor (only blanks before it on its line)."""
    start = text.rfind("\n", 0, pos) + 1
    found = _LEAD.match(text, start)
    return found is not None and found.end() == pos


def head_end(text: str, pos: int) -> int:
    """Offset of the ``{`` or ``(`` of the block start at ``pos`` (-1: no block start)."""
    head = _HEAD.match(text, pos)
    return -1 if head is None else head.end()


def split_from(text: str, pos: int, line: int, stop: Callable[[int], bool],
               ) -> tuple[list[Block], list[tuple[int, int, int]], tuple[int, int] | None]:
    """The blocks of ``text`` from ``pos`` (0 or an anchor; on real line ``line``) to the first
    later block start ``stop`` accepts (not split). Also the anchors met (index of their block
    in the list, offset, line) and that stop (offset, line), or None when the text ended first."""
    blocks: list[Block] = []
    met: list[tuple[int, int, int]] = []
    count = text.count
    first = counted = comment_from = pos
    size = len(text)
    while True:
        head = _HEAD.search(text, pos)
        start = size if head is None else head.start()
        if comment_from < start:
            stripped = text[comment_from:start].lstrip()
            if stripped:
                at = start - len(stripped)
                line += count("\n", counted, at)
                counted = at
                blocks.append(Comment(line, stripped.rstrip(), False))
        if head is None:
            return blocks, met, None
        line += count("\n", counted, start)
        counted = start
        if start > first and stop(start):
            return blocks, met, (start, line)
        if is_anchor(text, start):
            met.append((len(blocks), start, line))
        block, end = _fast(text, head, line)
        if block is None:
            block, comment_from, pos = _Scanner(text, head).block(line)
        else:
            comment_from = pos = end
        blocks.append(block)
