"""Managed sections of a profile page: find them, verify them, replace their bodies.

A managed section sits between two marker lines::

    <!-- scholarsync:begin publications limit=5 checksum=sha256:0123456789abcdef -->
    ...generated...
    <!-- scholarsync:end publications -->

Each marker stands on a line of its own (white space around it is allowed). The begin line may
carry ``key=value`` attributes (``key="a value"`` when it holds spaces); they are handed to the
renderer and kept as written. The tool writes one of its own, ``checksum``: a hash of the body
it wrote. A body that no longer matches its checksum was edited by hand and is not overwritten
unless ``force``. Every byte outside the bodies (and outside the checksum value) is kept exactly:
BOM, line endings, trailing spaces, front matter, a missing final newline.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from scholarsync.errors import HandEditedError, SectionError
from scholarsync.outputs.base import FileChange

BOM = b"\xef\xbb\xbf"
CHECKSUM = "checksum"
_LINE = re.compile(r"[^\r\n]*(\r\n|\n|\r|\Z)")
_ANY_MARKER = re.compile(r"<!--\s*scholarsync:", re.IGNORECASE)
#: :data:`_ANY_MARKER` within one line (no line break in the gap).
_LINE_MARKER = re.compile(r"<!--[^\S\r\n]*scholarsync:", re.IGNORECASE)
_MARKER = re.compile(r"^[ \t]*<!--\s*scholarsync:(?P<verb>\S*)(?P<rest>.*?)-->[ \t]*$",
                     re.IGNORECASE | re.DOTALL)
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_ATTR = re.compile(r"\s+(?P<key>[A-Za-z_][\w-]*)=(?:\"(?P<quoted>[^\"]*)\"|(?P<bare>[^\s\"]+))")


@dataclass
class Section:
    """One managed section. Offsets index the decoded page text (BOM removed)."""

    name: str
    attrs: dict[str, str]
    begin_line: int  # 1-based line of the begin marker
    end_line: int  # 1-based line of the end marker
    content: str  # the body between the marker lines, as it is in the page
    eol: str  # line ending of the begin marker line (the body is written with it)
    marker_start: int  # start of the begin marker line
    marker_end: int  # end of the begin marker line, before its line ending
    body_start: int
    body_end: int  # start of the end marker line
    checksum_span: tuple[int, int] | None = None  # the checksum value inside the marker line

    @property
    def user_attrs(self) -> dict[str, str]:
        """The attributes meant for the template (the tool's own removed)."""
        return {k: v for k, v in self.attrs.items() if k != CHECKSUM}


def body_checksum(body: str) -> str:
    """``sha256:<16 hex>`` of a body, blind to line endings, trailing blanks, edge blank lines."""
    if _RAGGED.search(body):
        lines = [line.rstrip() for line in re.split(r"\r\n|\r|\n", body)]
        normalized = "\n".join(lines).strip("\n")
    else:  # (what a body rendered by this tool is: the same text, without splitting it)
        normalized = body.strip("\n")
    return "sha256:" + hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:16]


#: What :func:`body_checksum` normalizes away within lines: a CR, a blank ending a line.
_RAGGED = re.compile(r"\r|[^\S\n](?=\n|\Z)")


def decode_page(data: bytes, path: str) -> tuple[bytes, str]:
    """Split a page into its BOM (or ``b""``) and its text; SectionError when not UTF-8."""
    bom = BOM if data.startswith(BOM) else b""
    body = data[len(bom):]
    try:
        return bom, body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise SectionError(f"{path}:{line}: the page is not UTF-8 text (byte "
                           f"0x{body[exc.start]:02x}); scholarsync edits UTF-8 pages only; "
                           "convert the file to UTF-8") from None


def _parse_attrs(rest: str, where: str) -> tuple[dict[str, str], tuple[int, int] | None]:
    """``key=value`` pairs of a begin marker and the span (within ``rest``) of the checksum."""
    attrs: dict[str, str] = {}
    span = None
    pos = 0
    while pos < len(rest.rstrip()):
        match = _ATTR.match(rest, pos)
        if not match:
            bad = rest[pos:].split()[0]
            raise SectionError(f"{where}: malformed attribute {bad!r} in a begin marker; "
                               'write key=value (or key="a value")')
        key = match.group("key")
        if key in attrs:
            raise SectionError(f"{where}: attribute {key!r} given twice in a begin marker")
        value = match.group("quoted") if match.group("quoted") is not None else match.group("bare")
        attrs[key] = value
        if key == CHECKSUM:
            group = "quoted" if match.group("quoted") is not None else "bare"
            span = match.span(group)
            if group == "quoted":
                span = (span[0] - 1, span[1] + 1)
        pos = match.end()
    return attrs, span


def _marker_lines(text: str) -> Iterator[tuple[int, re.Match[str]]]:
    """(1-based number, :data:`_LINE` match) of every line holding a marker, found without
    visiting the others (a page of 20,000 publications has many lines)."""
    number, counted, last = 1, 0, -1
    for found in _LINE_MARKER.finditer(text):
        start = max(text.rfind("\n", 0, found.start()), text.rfind("\r", 0, found.start())) + 1
        if start == last:  # a second marker on the same line
            continue
        number += (text.count("\n", counted, start) + text.count("\r", counted, start)
                   - text.count("\r\n", counted, start))
        counted = last = start
        line = _LINE.match(text, start)
        assert line is not None  # (it matches at every position)
        yield number, line


def find_sections(text: str, path: str) -> list[Section]:
    """Every managed section of ``text``, in order; SectionError on malformed markers."""
    sections: list[Section] = []
    open_: dict | None = None
    seen: dict[tuple[str, tuple], int] = {}
    pos = 0
    for number, match in _marker_lines(text):
        line_start, line_end, eol = match.start(), match.start(1), match.group(1)
        line = text[line_start:line_end]
        pos = match.end()
        where = f"{path}:{number}"
        marker = _MARKER.match(line)
        if not marker:
            raise SectionError(f"{where}: a scholarsync marker must stand on a line of its own "
                               "(<!-- scholarsync:begin NAME --> or <!-- scholarsync:end NAME -->)")
        verb = marker.group("verb").lower()
        rest = marker.group("rest")
        words = rest.split()
        name = words[0] if words else ""
        if verb not in ("begin", "end"):
            raise SectionError(f"{where}: unknown marker 'scholarsync:{marker.group('verb')}'; "
                               "use scholarsync:begin NAME or scholarsync:end NAME")
        if name and not _NAME.fullmatch(name) or verb == "begin" and not name:
            raise SectionError(f"{where}: the {verb} marker needs a section name (letters, "
                               f"digits, '-' or '_'), got {name or 'nothing'!r}")
        if verb == "begin":
            if open_ is not None:
                raise SectionError(f"{where}: begin marker of {name!r} inside section "
                                   f"{open_['name']!r} opened at line {open_['line']}; "
                                   "sections cannot nest (close the first one)")
            name_at = rest.index(name) + len(name)
            attrs, span = _parse_attrs(rest[name_at:], where)
            if span is not None:
                offset = line_start + marker.start("rest") + name_at
                span = (span[0] + offset, span[1] + offset)
            ident = (name, tuple(sorted((k, v) for k, v in attrs.items() if k != CHECKSUM)))
            if ident in seen:
                raise SectionError(f"{where}: section {name!r} appears twice (first at line "
                                   f"{seen[ident]}); remove one, or give them different "
                                   "attributes")
            seen[ident] = number
            open_ = {"name": name, "attrs": attrs, "line": number, "start": line_start,
                     "marker_end": line_end, "eol": eol, "body_start": pos, "span": span}
            continue
        if open_ is None:
            raise SectionError(f"{where}: end marker of {name or 'a section'!r} without a "
                               "begin marker before it")
        if name and name != open_["name"]:
            raise SectionError(f"{where}: end marker of {name!r} closes section "
                               f"{open_['name']!r} opened at line {open_['line']}; "
                               "the names must match")
        if not open_["eol"]:
            raise SectionError(f"{where}: begin and end marker on one line")
        sections.append(Section(
            name=open_["name"], attrs=open_["attrs"], begin_line=open_["line"], end_line=number,
            content=text[open_["body_start"]:line_start], eol=open_["eol"],
            marker_start=open_["start"], marker_end=open_["marker_end"],
            body_start=open_["body_start"], body_end=line_start, checksum_span=open_["span"]))
        open_ = None
    if open_ is not None:
        raise SectionError(f"{path}:{open_['line']}: section {open_['name']!r} has no end "
                           f"marker (add <!-- scholarsync:end {open_['name']} -->)")
    return sections


def _labels(sections: list[Section]) -> list[str]:
    counts: dict[str, int] = {}
    for section in sections:
        counts[section.name] = counts.get(section.name, 0) + 1
    return [s.name if counts[s.name] == 1 else f"{s.name} (line {s.begin_line})"
            for s in sections]


def _clean_body(body: str, eol: str) -> str:
    """Rendered text to a body: ends with one line ending (none when empty), page's endings."""
    lines = re.split(r"\r\n|\r|\n", body.strip("\r\n"))
    if lines == [""]:
        return ""
    return eol.join(lines) + eol


def _marker_line(text: str, section: Section, checksum: str) -> str:
    """The begin marker line with its checksum attribute set (everything else kept)."""
    line = text[section.marker_start:section.marker_end]
    if section.checksum_span is not None:
        start, end = (i - section.marker_start for i in section.checksum_span)
        return line[:start] + checksum + line[end:]
    close = line.rindex("-->")
    head = line[:close]
    gap = "" if head.endswith((" ", "\t")) else " "
    return f"{head}{gap}{CHECKSUM}={checksum} {line[close:]}"


def plan_page(path: Path, render: Callable[[str, dict[str, str]], str], *,
              force: bool = False) -> FileChange | None:
    """Render every managed section of ``path`` (``render(name, attrs)`` gives a body): the
    page's planned change (its ``detail`` names the sections), or None without markers.

    Raises SectionError (malformed markers, not UTF-8, a rendering failure) and HandEditedError
    (a section edited by hand, unless ``force``). Nothing is written here."""
    path = Path(path)
    old = path.read_bytes()
    bom, text = decode_page(old, str(path))
    sections = find_sections(text, str(path))
    if not sections:
        return None
    labels = _labels(sections)
    edited = [label for label, s in zip(labels, sections, strict=True)
              if CHECKSUM in s.attrs and s.attrs[CHECKSUM] != body_checksum(s.content)]
    if edited and not force:
        first = sections[labels.index(edited[0])]
        names = ", ".join(edited)
        raise HandEditedError(f"{path}:{first.begin_line}: managed section {names} was edited "
                              "by hand since scholarsync wrote it; not overwritten (move your "
                              "text outside the markers, or use --force to replace it)")
    pieces: list[str] = []
    pos = 0
    for section in sections:
        where = f"{path}:{section.begin_line}"
        try:
            rendered = render(section.name, section.user_attrs)
        except SectionError as exc:
            raise SectionError(f"{where}: section {section.name!r}: {exc}") from None
        body = _clean_body(rendered, section.eol)
        if _ANY_MARKER.search(body) and any(_ANY_MARKER.search(line)
                                            for line in body.splitlines()):
            raise SectionError(f"{where}: the rendered text of section {section.name!r} holds a "
                               "scholarsync marker; refusing to write it")
        pieces.append(text[pos:section.marker_start])
        pieces.append(_marker_line(text, section, body_checksum(body)))
        pieces.append(text[section.marker_end:section.body_start])
        pieces.append(body)
        pos = section.body_end
    pieces.append(text[pos:])
    new = bom + "".join(pieces).encode("utf-8")
    return FileChange(path, "page", old, new, ", ".join(labels))
