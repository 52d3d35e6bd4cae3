"""BibTeX files (local paths or http(s) URLs) to Records.

Blocks come from :mod:`scholarsync.sources.bibsplit`, a regex splitter that gives the blocks
bibtexparser 2's splitter gives (``reader="bibtexparser"`` still uses that one: the reference the
conformance test compares with), with real 1-based lines.

What this adds to the splitter (bibtexparser's middlewares are not used: slow, and miss cases):

* ``@string`` macros (case-insensitive, also ones defined later in the file or in an earlier
  file of the same source), ``#`` concatenation and the month macros. ``jan`` .. ``dec`` become
  the numbers ``1`` .. ``12``: what biber makes of them and what biblatex's ``month`` field
  expects. An undefined macro is kept as its name, with a warning.
* ``crossref`` inheritance (cascading; a missing parent or a cycle is reported): fields the child
  lacks are copied from the parent, and a parent ``title`` becomes the child's ``booktitle``. A
  parent with no author of its own (a proceedings volume) is not a publication.
* An entry whose value swallowed the next field (a missing comma) or that has no fields is left
  out, reported with file and line.
* Recovery of what bibtexparser sends to ``failed_blocks``: a reused citation key (both entries
  become Records, reported with both lines) and a field repeated inside one entry (the first value
  is kept, keywords are joined; reported). Truly broken blocks are reported with file and line
  and the rest of the file is used.
* Files are decoded as UTF-8 (BOM and CRLF tolerated), else the configured encoding, else
  cp1252/latin-1, with a warning naming the file.
* Display values (title, names, venue) are decoded from LaTeX only where markup is present.
"""

from __future__ import annotations

import codecs
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scholarsync.core.gcpause import gc_paused
from scholarsync.core.normalize import (
    MONTHS,
    is_true,
    latex_to_unicode,
    normalize_arxiv,
    normalize_doi,
    parse_bibtex_names,
    parse_year,
)
from scholarsync.errors import SourceError
from scholarsync.model import IdentifierSpec, Origin, Problem, Record, SourceResult
from scholarsync.outputs.bib_block import blank_block
from scholarsync.sources import bibsplit, rules
from scholarsync.sources.base import Source
from scholarsync.sources.bibcache import Readers, cached_parser

# bibtexparser is imported where it is used (the reference reader only): importing it costs
# an export ~50 ms.
if TYPE_CHECKING:
    from bibtexparser.model import Block

    from scholarsync.config import OptionReader

KIND = "bibtex"
# Not inherited through crossref: they belong to the parent entry itself.
NO_INHERIT = {"ids", "crossref", "xref", "entryset", "label", "shorthand", "sortkey", "key",
              "abstract", "keywords", "file", "related", "xdata", "title", "subtitle",
              "titleaddon", "shorttitle"}
BOOK_LIKE = {"proceedings", "book", "collection", "mvbook", "mvproceedings", "mvcollection",
             "reference", "mvreference", "periodical"}
JOINED_FIELDS = {"keywords": ", ", "mendeley-tags": ", "}


@dataclass
class BibEntry:
    """One entry as read, before it becomes a Record."""

    key: str
    type: str
    fields: dict[str, str]
    location: str
    line: int
    inherited: list[str] = field(default_factory=list)
    # its Record, made before crossref resolution (by a cache); only for entries without crossref
    record: Record | None = field(default=None, compare=False, repr=False)


# -- decoding --------------------------------------------------------------------------------


def decode_bib_bytes(data: bytes, location: str,
                     encoding: str | None = None) -> tuple[str, list[Problem]]:
    """Bytes of a .bib file to text: UTF-8 (with or without BOM), UTF-16 with a BOM, else the
    configured encoding, else cp1252, else latin-1 (which always succeeds), with a warning."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), []
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = f"byte 0x{data[exc.start]:02x} at line {line}"
    for candidate in (encoding, "cp1252", "latin-1"):
        if not candidate or candidate.replace("-", "").lower() in ("utf8", "utf8sig"):
            continue
        try:
            text = data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        message = (f"not valid UTF-8 ({bad}); decoded as {candidate}"
                   + ("" if candidate == encoding else "; check the accented characters"))
        return text, [Problem("warning", message, location, None, KIND)]
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


# -- values ----------------------------------------------------------------------------------


#: Bounds on ``@string`` expansion: a few hundred bytes of nested macros can otherwise expand to
#: gigabytes (an "@string bomb"). No real field comes near them (the corpus' longest is ~30 kB).
MAX_VALUE_CHARS = 200_000
MAX_MACRO_DEPTH = 32


class _TooLarge(Exception):
    """A value whose macro expansion passes :data:`MAX_VALUE_CHARS` or :data:`MAX_MACRO_DEPTH`."""

    def __init__(self, why: str, culprit: str = ""):
        super().__init__(why)
        self.why = why
        self.culprit = culprit  # the @string whose own value is too large, if any

    def copy(self) -> _TooLarge:
        """A fresh one to raise: a kept exception that was raised holds its frames (a cycle)."""
        return _TooLarge(self.why, self.culprit)

    def __str__(self) -> str:
        if self.culprit:
            return f"uses @string '{self.culprit}', which {self.why}"
        return self.why


class _Values:
    """Resolves raw field values: enclosing braces/quotes, macros and ``#`` concatenation."""

    def __init__(self, macros: dict[str, str], location: str, problems: list[Problem]):
        self.macros = macros
        self.location = location
        self.problems = problems
        self.undefined: set[str] = set()
        self.raw_strings: dict[str, tuple[str, int]] = {}
        self.resolving: set[str] = set()
        self.resolved: set[str] = set()  # this file's own definitions, once resolved
        self.too_large: dict[str, _TooLarge] = {}  # macro -> why it cannot be expanded
        # every field value of the file, once: equal values are one string object (a file
        # repeats its journals, publishers, years… and, concatenated, whole entries)
        self.shared: dict[str, str] = {}

    def define(self, name: str, raw: str, line: int) -> None:
        lowered = name.strip().lower()
        if lowered in self.raw_strings:
            first = self.raw_strings[lowered][1]
            self.problems.append(Problem(
                "warning", f"@string '{name}' is defined again (first at line {first}); "
                "the first definition is used", self.location, line, KIND))
            return
        self.raw_strings[lowered] = (raw, line)

    def macro(self, name: str, line: int) -> str:
        lowered = name.lower()
        if lowered in self.resolved:  # most uses: a definition of this file, resolved before
            return self.macros[lowered]
        if lowered in self.too_large:
            raise self.too_large[lowered].copy()
        if lowered in self.raw_strings and lowered not in self.resolved:
            if lowered in self.resolving:
                self._undefined(name, line, "refers to itself")
                return name
            if len(self.resolving) >= MAX_MACRO_DEPTH:
                raise _TooLarge(f"nests macros deeper than {MAX_MACRO_DEPTH} levels")
            self.resolving.add(lowered)
            try:
                self.macros[lowered] = self.value(self.raw_strings[lowered][0], line)
            except _TooLarge as exc:
                self.too_large[lowered] = _TooLarge(exc.why, exc.culprit or lowered)
                raise self.too_large[lowered].copy() from None
            finally:
                self.resolving.discard(lowered)
            self.resolved.add(lowered)
        found = self.macros.get(lowered)
        if found is not None:
            return found
        if lowered in MONTHS:
            return str(MONTHS[lowered])
        self._undefined(name, line, "is not defined")
        return name

    def resolve_all(self) -> None:
        """Resolve every definition of this file into the shared macros (for later files)."""
        for lowered, (_, line) in list(self.raw_strings.items()):
            try:
                self.macro(lowered, line)
            except _TooLarge as exc:
                if exc.culprit == lowered:  # the macros built on it are not reported again
                    self.problems.append(Problem(
                        "warning", f"@string '{lowered}' is not used: its value {exc.why} (an "
                        "@string bomb?)", self.location, line, KIND))

    def _undefined(self, name: str, line: int, why: str) -> None:
        if name.lower() not in self.undefined:
            self.undefined.add(name.lower())
            self.problems.append(Problem(
                "warning", f"macro '{name}' {why}; its name is kept as the value",
                self.location, line, KIND))

    def value(self, raw: str, line: int) -> str:
        """The value of a field as written (``{..}``, ``".."``, number, macro, concatenation)."""
        if not raw:
            return ""
        if "#" not in raw:
            first = raw[0]
            if (first == "{" and raw[-1] == "}") or (first == '"' and raw[-1] == '"'):
                return raw[1:-1]
            if raw.isdigit():
                return raw
            return self.macro(raw, line)
        return "".join(self._pieces(raw, line))

    def _pieces(self, raw: str, line: int) -> list[str]:
        pieces: list[str] = []
        size = 0
        i, n = 0, len(raw)
        while i < n:
            if size > MAX_VALUE_CHARS:
                raise _TooLarge(f"expands beyond {MAX_VALUE_CHARS:,} characters")
            ch = raw[i]
            if ch in " \t\r\n#":
                i += 1
            elif ch == "{" or ch == '"':
                end = _closing(raw, i)
                if end < 0:
                    return [raw]  # not a concatenation after all: keep it as written
                pieces.append(raw[i + 1 : end])
                i = end + 1
            else:
                end = raw.find("#", i)
                end = n if end < 0 else end
                token = raw[i:end].strip()
                pieces.append(token if token.isdigit() else self.macro(token, line))
                i = end
            if pieces:  # (blanks and "#" before the first piece: nothing yet)
                size += len(pieces[-1])
        if size > MAX_VALUE_CHARS:
            raise _TooLarge(f"expands beyond {MAX_VALUE_CHARS:,} characters")
        return pieces


_DELIMITERS = re.compile(r'[{}"]')
_BRACES = re.compile(r"(?<!\\)[{}]")


def _balanced(text: str) -> bool:
    """True when no ``}`` in ``text`` closes a group it did not open (escaped braces aside)."""
    depth = 0
    for match in _BRACES.finditer(text):
        depth += 1 if match.group() == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def _closing(text: str, start: int) -> int:
    """Index of the delimiter closing the ``{`` or ``"`` at ``start`` (-1 when unbalanced)."""
    quote = text[start] == '"'
    depth = 0
    for match in _DELIMITERS.finditer(text, start + 1):
        ch = match.group()
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return -1 if quote else match.start()
            depth -= 1
        elif quote and depth == 0:
            return match.start()
    return -1


# -- parsing ---------------------------------------------------------------------------------


class _LineMap:
    """Real 1-based lines for bibtexparser's line numbers.

    bibtexparser's splitter does not count a newline directly after a backslash, so its line
    numbers drift by one for every such newline above. This maps its (0-based) count back to
    the real line; a block's own text pins down the exact line when backslash-lines precede it.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]  # offset of each counted line's first character
        self.real = [1]  # the real 1-based line of that character
        newline = text.find("\n")
        real = 1
        while newline >= 0:
            real += 1
            if newline == 0 or text[newline - 1] != "\\":
                self.starts.append(newline + 1)
                self.real.append(real)
            newline = text.find("\n", newline + 1)

    def line(self, counted: int) -> int:
        """The real 1-based line of bibtexparser's 0-based line ``counted``."""
        counted = max(0, min(counted, len(self.real) - 1))
        return self.real[counted]

    def block(self, block: Block) -> int:
        """The real 1-based line on which ``block`` starts."""
        counted = max(0, min(block.start_line or 0, len(self.real) - 1))
        head = (block.raw or "").lstrip()[:80]
        if head:
            end = self.starts[counted + 1] if counted + 1 < len(self.starts) else len(self.text)
            found = self.text.find(head, self.starts[counted], end + len(head))
            if found >= 0:
                return self.real[counted] + self.text.count("\n", self.starts[counted], found)
        return self.real[counted]


_LINES = threading.local()  # .map: the _LineMap of the file this thread parses, if it needs one


def _lines() -> _LineMap | None:
    """The line map of the file being parsed on this thread (None: bibtexparser's are real)."""
    return getattr(_LINES, "map", None)


def _line(block: Block) -> int:
    """The real 1-based line a block starts on (bibtexparser counts from 0)."""
    lines = _lines()
    if lines is None:
        return (block.start_line or 0) + 1
    return lines.block(block)


def _field_line(counted: int) -> int:
    """The real 1-based line of a field bibtexparser places on 0-based line ``counted``."""
    lines = _lines()
    return counted + 1 if lines is None else lines.line(counted)


def _fix_reason(reason: str) -> str:
    """bibtexparser's abort reason with its (0-based, drifting) line numbers made real."""
    lines = _lines()

    def real(match: re.Match[str]) -> str:
        counted = int(match.group(1))
        return f"line {counted + 1 if lines is None else lines.line(counted)}"

    return re.sub(r"\bline (\d+)", real, reason)


#: Field names as written -> lower case: one string object per name for all entries.
_NAMES: dict[str, str] = {}
#: A value that is one ``{..}`` group, braces balanced (what most nested values are).
_ONE_GROUP = re.compile(bibsplit.GROUP)


def _fields(entry: bibsplit.Entry, values: _Values, location: str,
            problems: list[Problem]) -> dict[str, str] | None:
    """The entry's resolved fields; None (reported) when a value swallowed the next field."""
    fields: dict[str, str] = {}
    repeated: list[str] = []
    line = entry.line
    names = _NAMES
    shared = values.shared.setdefault
    for key, raw, field_line in entry.fields:
        name = names.get(key)
        if name is None:
            name = key.lower()
            if len(names) < 4096:
                names[key] = name
        first, last = raw[:1], raw[-1:]
        if (last == "}" and first == "{" or last == '"' and first == '"') and "#" not in raw:
            value = raw[1:-1]  # the common case, inlined: one braced or quoted value
            if ("}" in value and _ONE_GROUP.fullmatch(raw) is None
                    and not _balanced(value)):
                problems.append(Problem(
                    "warning", f"entry '{entry.key}': the value of '{name}' (line "
                    f"{field_line}) is malformed (a comma missing after it?); "
                    "entry skipped", location, line, KIND))
                return None
        else:
            try:
                value = values.value(raw, line)
            except _TooLarge as exc:
                problems.append(Problem(
                    "warning", f"entry '{entry.key}': the value of '{name}' {exc} (an @string "
                    "bomb?); entry skipped", location, line, KIND))
                return None
        if len(value) > MAX_VALUE_CHARS:
            problems.append(Problem(
                "warning", f"entry '{entry.key}': the value of '{name}' is longer than "
                f"{MAX_VALUE_CHARS:,} characters; entry skipped", location, line, KIND))
            return None
        if name in fields:
            if name not in repeated:
                repeated.append(name)
            joiner = JOINED_FIELDS.get(name)
            if joiner and value and value not in fields[name]:
                fields[name] = f"{fields[name]}{joiner}{value}" if fields[name] else value
            continue
        fields[name] = shared(value, value)
    if repeated:
        problems.append(Problem(
            "warning", f"entry '{entry.key}' repeats field(s) {', '.join(repeated)}: kept the "
            "first value" + (" (keywords joined)" if set(repeated) & set(JOINED_FIELDS) else ""),
            location, line, KIND))
    return fields


def _failure(block: bibsplit.Failed, location: str) -> Problem:
    raw = block.raw.lstrip()
    head = raw.split("{", 1)[0].split("(", 1)[0].strip() or "block"
    return Problem("warning", f"could not parse {head[:40]} ({block.reason.strip()}); skipped",
                   location, block.line, KIND)


#: Which splitter :func:`parse_bib_text` uses by default: ``"regex"`` (:mod:`.bibsplit`) or
#: ``"bibtexparser"`` (its own splitter, the reference the conformance test compares with).
READER = "regex"


def parse_bib_text(text: str, location: str, macros: dict[str, str] | None = None,
                   reader: str | None = None) -> tuple[list[BibEntry], list[Problem]]:
    """Split one file's text into entries with resolved values (no crossref, no Records).

    ``macros`` (lower-case name -> value) are visible to this file and receive its ``@string``
    definitions, so that a later file can use them. ``reader`` picks the splitter (default
    :data:`READER`); both give the same entries and problems.
    """
    return _read_blocks(split_bib_text(text, reader), location, macros)


def normalize_bib_text(text: str) -> str:
    """The text the splitters read: BOM dropped, CRLF as LF; a stray CR inside a line is a
    space, and a CR-only (old Mac) file's CRs are newlines."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        text = text.replace("\r", " " if "\n" in text else "\n")
    return text


def split_bib_text(text: str, reader: str | None = None) -> list[bibsplit.Block]:
    """One file's text (BOM and CRs tolerated) to blocks, by the chosen splitter."""
    text = normalize_bib_text(text)
    reader = reader or READER
    if reader == "regex":
        return bibsplit.split(text)
    if reader != "bibtexparser":
        raise ValueError(f"unknown BibTeX reader {reader!r}")
    import bibtexparser

    with _quiet_parser():
        blocks = bibtexparser.parse_string(text, parse_stack=[]).blocks
    _LINES.map = _LineMap(text) if "\\\n" in text else None
    try:
        return _from_bibtexparser(blocks)
    finally:
        _LINES.map = None


def _from_bibtexparser(blocks: list[Block]) -> list[bibsplit.Block]:
    """bibtexparser's blocks as :mod:`.bibsplit` blocks (real lines; reused keys and repeated
    fields unwrapped: the caller reports those)."""
    from bibtexparser.model import (
        DuplicateBlockKeyBlock,
        DuplicateFieldKeyBlock,
        Entry,
        ExplicitComment,
        ImplicitComment,
        ParsingFailedBlock,
        Preamble,
        String,
    )

    found: list[bibsplit.Block] = []
    for block in blocks:
        if isinstance(block, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock):
            inner = block.ignore_error_block
            if isinstance(inner, DuplicateFieldKeyBlock):
                inner = inner.ignore_error_block
            if isinstance(inner, Entry | String):
                block = inner
        if isinstance(block, Entry):
            found.append(bibsplit.Entry(
                _line(block), block.entry_type, block.key,
                [(f.key, f.value, _field_line(f.start_line)) for f in block.fields]))
        elif isinstance(block, String):
            found.append(bibsplit.String(_line(block), block.key, block.value))
        elif isinstance(block, Preamble):
            found.append(bibsplit.Preamble(_line(block), block.value))
        elif isinstance(block, ExplicitComment | ImplicitComment):
            found.append(bibsplit.Comment(_line(block), block.comment,
                                          isinstance(block, ExplicitComment)))
        elif isinstance(block, ParsingFailedBlock):
            reason = getattr(block.error, "abort_reason", None) or str(block.error)
            found.append(bibsplit.Failed(_line(block), block.raw or "", _fix_reason(reason)))
    return found


def _read_blocks(blocks: list[bibsplit.Block], location: str, macros: dict[str, str] | None,
                 ) -> tuple[list[BibEntry], list[Problem]]:
    """Entries and problems of one file's blocks."""
    problems: list[Problem] = []
    values = _Values({} if macros is None else macros, location, problems)
    _define_strings(blocks, values)
    entries: list[BibEntry] = []
    for index, block in enumerate(blocks):
        blocks[index] = None  # type: ignore[call-overload]  # free memory as we go
        entry = _read_block(block, values, location, problems)
        if entry is not None:
            entries.append(entry)
    values.resolve_all()
    return entries, problems


def _define_strings(blocks: list[bibsplit.Block], values: _Values) -> None:
    """Every ``@string`` of the file, before any entry is read (a later one counts too)."""
    for block in blocks:
        if isinstance(block, bibsplit.String):
            values.define(block.key, block.value, block.line)


def _read_block(block: bibsplit.Block, values: _Values, location: str,
                problems: list[Problem]) -> BibEntry | None:
    """The entry of one block, if it is a usable entry (problems reported to ``problems``)."""
    if isinstance(block, bibsplit.Failed):
        problems.append(_failure(block, location))
        return None
    if not isinstance(block, bibsplit.Entry):
        return None  # @string (done), @preamble, @comment, text between entries
    line = block.line
    if not block.key:
        problems.append(Problem("warning", f"@{block.type} entry has no citation key; "
                                "skipped", location, line, KIND))
        return None
    fields = _fields(block, values, location, problems)
    if fields is None:
        return None
    if not fields:
        problems.append(Problem("warning", f"entry '{block.key}' has no fields; skipped",
                                location, line, KIND))
        return None
    if not fields.get("title", "").strip() and "crossref" not in fields:
        problems.append(Problem("warning", f"entry '{block.key}' has no title: exported, "
                                "but left off the page", location, line, KIND))
    type_ = block.type.lower()
    return BibEntry(block.key, values.shared.setdefault(type_, type_), fields, location, line)


# -- reading by segments (incremental re-reads of a changed file) ----------------------------
#
# A file's blocks fall into segments, each starting at an anchor (a block start alone at the
# start of its line: :func:`scholarsync.sources.bibsplit.anchors`), the first at offset 0. A
# segment's entries and problems depend only on its own text and the file's ``@string``
# definitions, except the macro warnings: an undefined macro is reported once per file, at its
# first use, and a macro's own definition is resolved (its warnings given) at its first use.
# So a segment is read alone with the warnings left out, noting each use of a macro that may
# warn (an "event": where among the segment's problems, the name, the line); the file's
# problems are then those of its segments with the events replayed in order
# (:func:`replay_problems`), which gives every warning where a whole read gives it. A file
# with a macro cycle or an @string bomb (values that depend on the order of reading) is not
# read by segments. The records cache (:mod:`scholarsync.sources.bibcache`) keeps the
# segments and re-reads only a changed window.

#: A segment: offset and line where it starts, and the number of entries, problems (macro
#: warnings left out) and events of the file up to its end.
Segment = tuple[int, int, int, int, int]
StringDef = tuple[str, str, int]  # an @string: name, raw value, line
Event = tuple[int, str, int]  # a macro use: index among the problems, name, line


class _Recorder(_Values):
    """:class:`_Values` that notes the uses of macros that may warn instead of warning."""

    def __init__(self, macros: dict[str, str], location: str, problems: list[Problem]):
        super().__init__(macros, location, problems)
        self.events: list[Event] = []
        self.cycle = False

    def macro(self, name: str, line: int) -> str:
        if not self.resolving:  # a use in a field (not inside a definition)
            lowered = name.lower()
            if lowered in self.raw_strings or (lowered not in self.macros
                                               and lowered not in MONTHS):
                self.events.append((len(self.problems), name, line))
        return super().macro(name, line)

    def _undefined(self, name: str, line: int, why: str) -> None:
        if why == "refers to itself":
            self.cycle = True


@dataclass
class Segmented:
    """A file's (or a window's) entries and problems, with its segments."""

    entries: list[BibEntry]
    problems: list[Problem]  # the macro warnings left out
    events: list[Event]
    segments: list[Segment]
    strings: list[StringDef]
    clean: bool  # read by segments (see above); else ``problems`` are the file's, whole
    text: str = ""  # the text the splitter read
    stop: tuple[int, int] | None = None  # a window's end (offset, line); None: end of text
    whole: list[Problem] = field(default_factory=list)  # a file's problems, warnings in


def prepare_bib_text(text: str, location: str) -> str:
    """What :func:`parse_bib_file` splits: the bib_block output blanked, the text normalized."""
    return normalize_bib_text(blank_block(text, location))


def parse_bib_segments(text: str, location: str, macros: dict[str, str]) -> Segmented:
    """:func:`parse_bib_file` of ``text``, with its segments (``macros`` receive its
    ``@string`` definitions); ``whole`` holds the file's problems."""
    text = prepare_bib_text(text, location)
    blocks = bibsplit.split(text)
    starts = _segment_starts(blocks, bibsplit.anchors(text))
    if starts is not None:
        found = _read_segments(blocks, starts, location, dict(macros), ())
        if found.clean:
            replayed = dict(macros)
            whole = replay_problems(found.strings, found.problems, found.events, location,
                                    replayed)
            if whole is not None:
                macros.update(replayed)
                found.whole, found.text = whole, text
                return found
        blocks = bibsplit.split(text)  # (read and let go of as they were read)
    entries, problems = _read_blocks(blocks, location, macros)
    return Segmented(entries, problems, [], [], [], False, text, whole=problems)


def parse_bib_window(text: str, start: tuple[int, int], stop: Callable[[int], bool],
                     strings: list[StringDef], location: str, macros: dict[str, str],
                     ) -> Segmented | None:
    """The segments of prepared ``text`` from the segment at ``start`` (offset, line) to the
    first anchor ``stop`` accepts, read with the file's ``strings``; None when the window
    holds an ``@string`` or is not clean (the file must be read whole)."""
    blocks, met, end = bibsplit.split_from(text, start[0], start[1], stop)
    if any(isinstance(b, bibsplit.String) for b in blocks):
        return None
    starts = {0: start}
    starts.update((index, (offset, line)) for index, offset, line in met if index)
    found = _read_segments(blocks, starts, location, macros, strings)
    found.stop = end
    return found if found.clean else None


def replay_problems(strings: list[StringDef], problems: list[Problem], events: list[Event],
                    location: str, macros: dict[str, str]) -> list[Problem] | None:
    """A file's problems: those of its segments with the macro warnings of ``events`` put
    back, as a whole read gives them (``macros`` receive the file's definitions); None when
    the order of reading matters after all (a cycle, an @string bomb)."""
    whole: list[Problem] = []
    values = _Values(macros, location, whole)
    for name, raw, line in strings:
        values.define(name, raw, line)
    done = 0
    try:
        for at, name, line in events:
            whole.extend(problems[done:at])
            done = at
            values.macro(name, line)
    except _TooLarge:
        return None
    whole.extend(problems[done:])
    values.resolve_all()
    if values.too_large or any(p.message.endswith("refers to itself; its name is kept as the "
                                                  "value") for p in whole):
        return None
    return whole


def _segment_starts(blocks: list[bibsplit.Block], anchors: list[tuple[int, int]],
                    ) -> dict[int, tuple[int, int]] | None:
    """Block index -> (offset, line) of each segment's first block; None when the anchors do
    not match the blocks (then the file is not read by segments)."""
    starts: dict[int, tuple[int, int]] = {0: (0, 1)}
    todo = iter(anchors)
    anchor = next(todo, None)
    if anchor is not None and anchor[0] == 0:
        anchor = next(todo, None)
    for index, block in enumerate(blocks):
        if anchor is None:
            break
        if isinstance(block, bibsplit.Comment) and not block.explicit:
            continue
        if block.line == anchor[1]:
            if index:  # (an anchor after blanks that start the text: still segment 0)
                starts[index] = anchor
            anchor = next(todo, None)
        elif block.line > anchor[1]:
            return None
    return starts if anchor is None else None


def _read_segments(blocks: list[bibsplit.Block], starts: dict[int, tuple[int, int]],
                   location: str, macros: dict[str, str], strings: Iterable[StringDef],
                   ) -> Segmented:
    """The entries, problems (macro warnings left out) and events of ``blocks``, noting where
    each segment (``starts``: block index -> offset and line) ends in them. ``strings``: the
    file's definitions, when ``blocks`` are only a part of it."""
    problems: list[Problem] = []
    values = _Recorder(macros, location, problems)
    for name, raw, line in strings:
        values.define(name, raw, line)
    _define_strings(blocks, values)
    del problems[:]  # ("defined again": the replay gives them)
    defined = [(b.key, b.value, b.line) for b in blocks if isinstance(b, bibsplit.String)]
    entries: list[BibEntry] = []
    segments: list[Segment] = []
    events = values.events
    for index, block in enumerate(blocks):
        blocks[index] = None  # type: ignore[call-overload]  # free memory as we go
        if index in starts:
            if segments:
                segments[-1] = (*segments[-1][:2], len(entries), len(problems), len(events))
            segments.append((*starts[index], 0, 0, 0))
        entry = _read_block(block, values, location, problems)
        if entry is not None:
            entries.append(entry)
    if not segments:
        segments.append((*starts[0], 0, 0, 0))
    segments[-1] = (*segments[-1][:2], len(entries), len(problems), len(events))
    clean = not values.cycle and not values.too_large
    return Segmented(entries, problems, events, segments, defined, clean)


# -- crossref and duplicates -----------------------------------------------------------------


def resolve_crossrefs(entries: list[BibEntry]) -> list[Problem]:
    """Copy parent fields into entries with ``crossref`` (cascading, cycle-safe)."""
    by_key: dict[str, BibEntry] = {}
    for entry in entries:
        by_key.setdefault(entry.key, entry)
        by_key.setdefault(entry.key.lower(), entry)
    problems: list[Problem] = []
    done: set[int] = set()
    for entry in entries:
        _resolve(entry, [], by_key, done, problems)
    return problems


def _resolve(entry: BibEntry, chain: list[str], by_key: dict[str, BibEntry], done: set[int],
             problems: list[Problem]) -> None:
    """One entry's crossref, its parent's first. (Not a closure: a recursive closure is a
    reference cycle, which would keep ``by_key`` and every entry alive until a full GC.)"""
    if id(entry) in done:
        return
    done.add(id(entry))
    target = entry.fields.get("crossref", "").strip()
    if not target:
        return
    parent = by_key.get(target) or by_key.get(target.lower())
    if parent is None:
        problems.append(Problem("warning", f"entry '{entry.key}': crossref '{target}' is not "
                                "in the file(s); nothing inherited",
                                entry.location, entry.line, KIND))
        return
    if parent.key in chain or parent is entry:
        problems.append(Problem("warning", "crossref cycle " + " -> ".join(
            [*chain, entry.key, parent.key]) + "; stopped there",
            entry.location, entry.line, KIND))
        return
    _resolve(parent, [*chain, entry.key], by_key, done, problems)
    if ("booktitle" not in entry.fields and "title" in parent.fields
            and entry.type.startswith("in") and parent.type in BOOK_LIKE):
        entry.fields["booktitle"] = parent.fields["title"]  # biblatex: title -> booktitle
        entry.inherited.append("booktitle")
    for name, value in parent.fields.items():
        if name not in entry.fields and name not in NO_INHERIT:
            entry.fields[name] = value
            entry.inherited.append(name)


def container_only(entries: list[BibEntry]) -> set[int]:
    """Entries that exist only as a crossref parent: a proceedings volume, collection or book
    with no author of its own that a paper (or, in turn, another such parent) inherits from.
    They are not publications (their editors are not authors); the children carry what they
    inherit. A parent only other book-like entries point to (a cycle of books) stays."""
    by_key = {e.key.lower(): e for e in reversed(entries)}
    found: set[int] = set()
    todo = [e for e in entries if e.type not in BOOK_LIKE]
    while todo:
        child = todo.pop()
        parent = by_key.get(child.fields.get("crossref", "").strip().lower())
        if (parent is not None and id(parent) not in found and parent.type in BOOK_LIKE
                and "author" not in parent.fields):
            found.add(id(parent))
            todo.append(parent)
    return found


def report_duplicate_keys(entries: list[BibEntry], seen: dict[str, BibEntry] | None = None,
                          ) -> list[Problem]:
    """A warning for every entry whose key was used before (in this file or an earlier one)."""
    seen = {} if seen is None else seen
    problems = []
    for entry in entries:
        first = seen.setdefault(entry.key, entry)
        if first is entry:
            continue
        where = (f"line {first.line}" if first.location == entry.location
                 else f"{first.location}:{first.line}")
        problems.append(Problem(
            "warning", f"duplicate citation key '{entry.key}' (first at {where}, again at line "
            f"{entry.line}); both entries are kept", entry.location, entry.line, KIND))
    return problems


# -- entries to Records ----------------------------------------------------------------------

VENUE_FIELDS = ("journal", "journaltitle", "booktitle", "eventtitle", "school", "institution",
                "organization", "publisher", "series", "howpublished")
LINK_FIELDS = ("url", "pdf", "code", "slides", "poster", "video", "html", "website", "blog",
               "supp", "data", "preprint")
_RELATIVE_LINK = re.compile(r"^[\w./~-][^:\\]*$")  # no scheme: "paper.pdf", "/assets/pdf/x"
_URL_COMMAND = re.compile(r"^\\(?:url|href)\s*\{([^{}]*)\}")
_ARXIV_HOST = re.compile(r"arxiv\.org/(?:abs|pdf|html)/", re.IGNORECASE)
_KEYWORD_SEP = re.compile(r"[,;]")


#: A display value: LaTeX decoded where there is markup (the decoding itself is cached).
_display = latex_to_unicode


def _url(value: str, relative: bool = False) -> str | None:
    """An absolute URL from a field value (``\\url{..}``, LaTeX escapes), else None; with
    ``relative``, also a path relative to the site (``paper.pdf``, ``/assets/pdf/x.pdf``)."""
    text = value.strip()
    command = _URL_COMMAND.match(text)
    if command:
        text = command.group(1)
    if "\\" in text or "{" in text:
        text = re.sub(r"\\([_%&#~$])", r"\1", text).replace("{", "").replace("}", "")
    text = text.strip()
    if text.startswith("www."):
        text = "https://" + text
    if " " in text or not text:
        return None
    if text.startswith(("http://", "https://")):
        return text
    if relative and not text.startswith("//") and _RELATIVE_LINK.match(text):
        return text
    return None


_ARXIV_FIELDS = ("eprint", "arxiv", "arxivid")


def _arxiv(fields: dict[str, str], links: dict[str, str]) -> str | None:
    if not links and not any(name in fields for name in _ARXIV_FIELDS):
        return None  # most entries: nothing to look at
    eprint = fields.get("eprint", "").strip()
    kind = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip().lower()
    if eprint and (kind == "arxiv" or (not kind and "arxiv" in eprint.lower())):
        primary = fields.get("primaryclass", "").strip()
        if eprint.isdigit() and len(eprint) == 7 and primary:
            eprint = f"{primary.split('.')[0]}/{eprint}"
        found = normalize_arxiv(eprint)
        if found:
            return found
    for name in ("arxiv", "arxivid"):
        found = normalize_arxiv(fields.get(name))
        if found:
            return found
    for url in links.values():
        if _ARXIV_HOST.search(url):
            return normalize_arxiv(url)
    return None


_PARSERS: list[Any] = [None, ()]  # the rules last seen, and their identifiers read from URLs


def _url_parsers() -> tuple[IdentifierSpec, ...]:
    """The identifiers some source reads from a URL (looked up once, not once per entry)."""
    known = rules()
    if _PARSERS[0] is not known:
        _PARSERS[:] = [known, tuple(s for s in known.identifiers if s.parse is not None)]
    return _PARSERS[1]  # type: ignore[no-any-return]


def _ids_and_links(fields: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    links: dict[str, str] = {}
    for name in LINK_FIELDS:
        if name in fields:
            url = _url(fields[name], relative=True)
            if url:
                links[name] = url
    if "url" not in links and "howpublished" in fields:
        url = _url(fields["howpublished"])
        if url:
            links["url"] = url
    ids: dict[str, str] = {}
    doi = normalize_doi(fields["doi"]) if "doi" in fields else None
    if doi is None and links:
        doi = next((normalize_doi(u) for u in links.values() if "doi.org/" in u), None)
    if doi:
        ids["doi"] = doi
    arxiv = _arxiv(fields, links)
    if arxiv:
        ids["arxiv"] = arxiv
    absolute = [u for u in links.values() if "://" in u] if links else None
    if absolute:
        for spec in _url_parsers():  # ids other sources read from URLs (an eScholarship item…)
            if spec.name not in ids:
                for url in absolute:
                    found = spec.parse(url)  # type: ignore[misc]
                    if found:
                        ids[spec.name] = found
                        break
    if ids:
        links.update(rules().id_links(ids))
    if "isbn" in fields:
        isbn = re.sub(r"[^0-9Xx]", "", fields["isbn"].split(",")[0]).upper()
        if len(isbn) in (10, 13):
            ids["isbn"] = isbn
    if "pmid" in fields and fields["pmid"].strip().isdigit():
        ids["pmid"] = fields["pmid"].strip()
    return ids, links


def _venue(fields: dict[str, str]) -> str:
    for name in VENUE_FIELDS:
        value = fields.get(name)
        if value and not (name == "howpublished" and ("http" in value or "\\url" in value)):
            return _display(value)
    return ""


def entry_record(key: str, type_: str, fields: dict[str, str], location: str, line: int,
                 inherited: list[str] | None = None) -> Record:
    """One entry's resolved fields to a Record (display values decoded, ids, links, extra)."""
    names = fields.get("author") or fields.get("editor") or ""
    authors, truncated = parse_bibtex_names(names) if names else ([], False)
    year = (parse_year(fields["year"]) if "year" in fields else None) or (
        parse_year(fields["date"]) if "date" in fields else None)
    ids, links = _ids_and_links(fields)
    extra: dict[str, object] = {}
    abstract = _display(fields["abstract"]) if fields.get("abstract") else ""
    keywords: list[str] = []
    if fields.get("keywords"):
        words = [w.strip() for w in _KEYWORD_SEP.split(fields["keywords"]) if w.strip()]
        keywords = [_display(w) for w in words]
    selected = "selected" in fields and is_true(fields["selected"])
    if fields.get("abbr"):
        extra["abbr"] = _display(fields["abbr"])
    if inherited:
        extra["inherited"] = sorted(inherited)
    return Record(
        source=KIND, origin=Origin(KIND, location, line), key=key, type=type_, fields=fields,
        title=_display(fields["title"]) if "title" in fields else "", authors=authors,
        authors_truncated=truncated, year=year, venue=_venue(fields), ids=ids, links=links,
        abstract=abstract, keywords=keywords, selected=selected, extra=extra,
    )


# -- public entry points ---------------------------------------------------------------------


@contextmanager
def _quiet_parser() -> Iterator[None]:
    """bibtexparser logs every failed block; they are reported as Problems instead."""
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


#: One file's text, location and the macros so far -> its entries and problems (see
#: :func:`parse_bib_file`; :mod:`scholarsync.sources.bibcache` wraps it in the records cache).
ParseFile = Callable[[str, str, dict[str, str]], tuple[list[BibEntry], list[Problem]]]


def parse_bib_file(text: str, location: str, macros: dict[str, str],
                   ) -> tuple[list[BibEntry], list[Problem]]:
    """One file of a bibliography: its entries (no crossref resolved) and problems; its
    ``@string`` definitions are added to ``macros``."""
    text = blank_block(text, location)  # a bib_block output's entries are not the user's
    return parse_bib_text(text, location, macros)


def read_bib_texts(texts: list[tuple[str, str]], parse_file: ParseFile | None = None,
                   ) -> tuple[list[Record], list[Problem]]:
    """Several files' ``(text, location)`` read as one bibliography, in order: macros and
    crossref parents of one file are visible to the others, duplicates are reported across."""
    with gc_paused():
        return _read_bib_texts(texts, parse_file or parse_bib_file)


def _read_bib_texts(texts: list[tuple[str, str]], parse_file: ParseFile,
                    ) -> tuple[list[Record], list[Problem]]:
    entries, problems = _bib_entries(texts, parse_file)
    records = [e.record if e.record is not None
               else entry_record(e.key, e.type, e.fields, e.location, e.line, e.inherited)
               for e in entries]
    return records, problems


def _bib_entries(texts: list[tuple[str, str]], parse_file: ParseFile,
                 ) -> tuple[list[BibEntry], list[Problem]]:
    """Every file's entries, crossrefs resolved and container-only parents left out."""
    macros: dict[str, str] = {}
    entries: list[BibEntry] = []
    problems: list[Problem] = []
    seen: dict[str, BibEntry] = {}
    for text, location in texts:
        found, file_problems = parse_file(text, location, macros)
        problems.extend(file_problems)
        problems.extend(report_duplicate_keys(found, seen))
        entries.extend(found)
    problems.extend(resolve_crossrefs(entries))
    parents = container_only(entries)
    if parents:
        parent_keys = {e.key.lower() for e in entries if id(e) in parents}
        for entry in entries:  # the parent is not exported: the child holds what it inherited
            if entry.fields.get("crossref", "").strip().lower() in parent_keys:
                del entry.fields["crossref"]
        entries = [e for e in entries if id(e) not in parents]
    return entries, problems


def read_bib_text(text: str, location: str) -> tuple[list[Record], list[Problem]]:
    """One file's text to Records (one per entry) and Problems."""
    return read_bib_texts([(text, location)])


def read_bib_file(path: str | Path, encoding: str | None = None,
                  ) -> tuple[list[Record], list[Problem]]:
    """One local .bib file to Records and Problems (raises SourceError when unreadable)."""
    text, problems = _load_local(str(path), encoding)
    records, more = read_bib_text(text, str(path))
    return records, problems + more


def _is_url(path: str) -> bool:
    """A configured path that is a web address (read through the HTTP client)."""
    return path.startswith(("http://", "https://"))


def _load_local(path: str, encoding: str | None) -> tuple[str, list[Problem]]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    return decode_bib_bytes(data, path, encoding)


#: The segmented reading the records cache re-reads a changed file with.
READERS = Readers(parse_bib_segments, parse_bib_window, prepare_bib_text, replay_problems)


class BibtexSource(Source):
    """The ``bibtex`` source: every configured path (already glob-expanded) or URL, in order."""

    kind = KIND
    rank = 0  # the user's own entries win every field they have
    user_owned = True
    web = False
    required = ("paths",)
    optional = ("encoding", "max_age_hours")

    @classmethod
    def parse_options(cls, table: OptionReader) -> dict[str, Any]:
        encoding = table.string("encoding") or None
        if encoding:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise table.error("encoding", f"unknown text encoding {encoding!r} (valid: "
                                  "utf-8, cp1252, latin-1, …)") from None
        options: dict[str, Any] = {"paths": table.bib_paths("paths"), "encoding": encoding}
        if table.get("max_age_hours") is not None:
            options["max_age_hours"] = table.number("max_age_hours", 24.0)
        return options

    def fetches(self) -> bool:
        return any(_is_url(str(p)) for p in self.config.options.get("paths", []))

    def read(self) -> SourceResult:
        encoding = self.config.options.get("encoding")
        paths = [str(p) for p in self.config.options.get("paths", [])]
        texts: list[tuple[str, str]] = []
        problems: list[Problem] = []
        status = "fresh"
        for path in paths:
            try:
                if _is_url(path):
                    text, from_cache = self._load_remote(path)
                    status = "cache" if from_cache else status
                    found: list[Problem] = []
                else:
                    text, found = _load_local(path, encoding)
            except SourceError as exc:
                problems.append(Problem("error", str(exc), path, None, KIND))
                continue
            problems.extend(found)
            texts.append((text, path))
        if paths and not texts:
            raise SourceError("no .bib file could be read: " + "; ".join(
                p.message for p in problems if p.level == "error"))
        parse = cached_parser(self.context.records, parse_bib_file, BibEntry, entry_record,
                              READERS)
        records, more = read_bib_texts(texts, parse)
        return SourceResult(kind=KIND, records=records, problems=problems + more, status=status)

    def _load_remote(self, url: str) -> tuple[str, bool]:
        """A .bib file over http(s), through the shared cached client."""
        max_age = self.config.options.get("max_age_hours")
        page = self.context.http.get(url, expect="text", max_age_hours=max_age)
        return page.text, page.from_cache
