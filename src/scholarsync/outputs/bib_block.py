"""A managed block in the user's own .bib (``[outputs] bib_block = "_bibliography/papers.bib"``).

al-folio renders ``_bibliography/papers.bib`` with jekyll-scholar. The works that no ``.bib`` of
the user holds but a web source found are written into that file, between two marker lines::

    @comment{scholarsync:begin}
    @misc{gupta2023scholar,
      ...
      google_scholar_id = {bbbbbbbbbbbC},
      bibtex_show = {true},
    }
    @comment{scholarsync:end checksum=3f2a9c01d4e5,...}

* Every byte outside the block is kept (front matter, ``@string``s, comments, order, formatting,
  BOM, line endings). A file without a block gets one at its end, after a blank line (and only
  when there is something to put in it).
* Entries carry al-folio's fields where known: ``abbr``, ``pdf``, ``html``, ``arxiv``, ``doi``,
  ``google_scholar_id`` (the Scholar article id) and ``bibtex_show = {true}``.
* The end marker holds one checksum per entry written. An entry changed or added by hand inside
  the block makes the sync refuse the file (as a hand-edited managed section, unless
  ``--force``); an entry removed from the block (moved to the user's own entries) is not an edit.
* The block is the tool's copy, not the user's: :func:`blank_block` empties it (keeping line
  numbers) before the file is read as a ``bibtex`` source, so a work the user adds to their own
  entries, or moves out of the block, is theirs, and leaves the block at the next sync.
* Markers stand at the start of a line of their own. A begin without an end, an end without a
  begin, or two blocks are errors (exit 2, naming file and line); nothing is written.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from scholarsync.errors import HandEditedError, SectionError
from scholarsync.model import Publication, Rules
from scholarsync.outputs.base import FileChange, Output, PlanContext, landing_page, read_bytes
from scholarsync.outputs.bibtex import FIELD_ORDER, entry_fields, safe_value, written_value
from scholarsync.outputs.pages.sections import decode_page
from scholarsync.sources.scholar import KIND as SCHOLAR  # google_scholar_id is Scholar's, by name

BEGIN = "@comment{scholarsync:begin}"
TAG = "scholarsync:"
_EOL = re.compile(r"\r\n|\n|\r|\Z")
_MARKER = re.compile(r"@comment\s*[{(]\s*scholarsync:(?P<verb>\w*)(?P<rest>[^})]*)[})]\s*$",
                     re.IGNORECASE)
_LOOSE_MARKER = re.compile(r"[ \t]*@comment\s*[{(]\s*scholarsync:", re.IGNORECASE)
_CHECKSUM = re.compile(r"\bchecksum=(\S*)")
_EMPTY = "empty"  # the checksum of a block written with no entry in it
#: al-folio's fields, written after the conventional ones, in this order.
ALFOLIO_FIELDS = ("abbr", "pdf", "html", "arxiv", "google_scholar_id", "bibtex_show")
_RANK = {name: i for i, name in enumerate(FIELD_ORDER + ALFOLIO_FIELDS)}


@dataclass
class Block:
    """Where the managed block sits in the decoded text."""

    begin_line: int  # 1-based
    begin_start: int  # start of the begin marker line
    body_start: int  # after the begin marker line's ending
    body_end: int  # start of the end marker line
    end_text_end: int  # end of the end marker text, before its line ending
    eol: str  # the begin marker line's ending
    checksums: list[str] | None  # None: markers written by hand, nothing to verify

    def body(self, text: str) -> str:
        return text[self.body_start:self.body_end]


def find_block(text: str, path: str) -> Block | None:
    """The block of ``text`` (None when it has none); SectionError on malformed markers."""
    if TAG not in text:  # one scan in C: most .bib files have no block
        return None
    found: Block | None = None
    begin: tuple[int, int, int, str] | None = None  # line, start, body start, eol
    number, counted = 1, 0  # line number of ``counted``
    for start, end, eol in _tagged_lines(text):
        number += _breaks(text, counted, start)
        counted = start
        line = text[start:end]
        marker = _MARKER.match(line)
        if marker is None:
            if _LOOSE_MARKER.match(line):  # indented, or text after it
                raise SectionError(f"{path}:{number}: a scholarsync marker must start its line "
                                   f"and stand alone ({BEGIN} … @comment{{scholarsync:end}})")
            continue
        verb = marker.group("verb").lower()
        where = f"{path}:{number}"
        if verb == "begin":
            if begin is not None or found is not None:
                first = begin[0] if begin is not None else found.begin_line if found else 0
                raise SectionError(f"{where}: a second scholarsync block (the first begins at "
                                   f"line {first}); keep one")
            begin = (number, start, end + len(eol), eol)
        elif verb == "end":
            if begin is None:
                raise SectionError(f"{where}: @comment{{scholarsync:end}} without a begin "
                                   f"marker before it (add {BEGIN} above the block)")
            checksum = _CHECKSUM.search(marker.group("rest"))
            sums = None if checksum is None else [
                s for s in checksum.group(1).split(",") if s and s != _EMPTY]
            found = Block(begin[0], begin[1], begin[2], start, end, begin[3] or "\n", sums)
            begin = None
        else:
            raise SectionError(f"{where}: unknown marker 'scholarsync:{marker.group('verb')}'; "
                               "use scholarsync:begin or scholarsync:end")
    if begin is not None:
        raise SectionError(f"{path}:{begin[0]}: the scholarsync block has no end marker (add "
                           "@comment{scholarsync:end} after it)")
    return found


def _breaks(text: str, start: int, end: int) -> int:
    """Line breaks (CRLF, LF or CR) in ``text[start:end]``."""
    return (text.count("\n", start, end) + text.count("\r", start, end)
            - text.count("\r\n", start, end))


def _tagged_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """Start, end (before the line ending) and line ending of every line holding the tag."""
    pos = text.find(TAG)
    while pos != -1:
        start = max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1
        eol = _EOL.search(text, pos)
        assert eol is not None  # \Z always matches
        yield start, eol.start(), eol.group()
        pos = text.find(TAG, eol.end()) if eol.group() else -1


def blank_block(text: str, path: str = "") -> str:
    """``text`` with the block's entries removed, every line kept (as an empty line), so line
    numbers of what follows stay true. Malformed markers: the text as it is (the bib_block
    output reports them)."""
    try:
        block = find_block(text, path)
    except SectionError:
        return text
    if block is None:
        return text
    body = block.body(text)
    blanked = "".join(m.group(1) for m in re.finditer(r"[^\r\n]*(\r\n|\n|\r)", body))
    return text[:block.body_start] + blanked + text[block.body_end:]


# -- entries and their checksums -------------------------------------------------------------


def entry_chunks(body: str) -> list[str]:
    """The block body cut before every line that starts with ``@``; blank chunks dropped."""
    chunks = re.split(r"(?:^|(?<=[\r\n]))(?=@)", body)
    return [c for c in chunks if c.strip()]


def chunk_checksum(chunk: str) -> str:
    """12 hex digits of sha256, blind to line endings, trailing blanks and edge blank lines."""
    lines = [line.rstrip() for line in re.split(r"\r\n|\r|\n", chunk)]
    normalized = "\n".join(lines).strip("\n")
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:12]


def edited_chunks(body: str, checksums: list[str]) -> list[str]:
    """The chunks of ``body`` the tool did not write (an entry removed is not an edit)."""
    left = list(checksums)
    edited = []
    for chunk in entry_chunks(body):
        digest = chunk_checksum(chunk)
        if digest in left:
            left.remove(digest)
        else:
            edited.append(chunk)
    return edited


def web_only(pubs: list[Publication], rules: Rules) -> list[Publication]:
    """The publications no user-owned source (no .bib of the user) holds."""
    return [p for p in pubs if p.sources and not any(rules.is_user_owned(s) for s in p.sources)]


def block_fields(pub: Publication, rules: Rules) -> dict[str, str]:
    """The merged export's fields plus al-folio's."""
    fields = entry_fields(pub)
    abbr = pub.extra.get("abbr")
    if isinstance(abbr, str) and abbr:
        fields.setdefault("abbr", abbr)
    if pub.links.get("pdf"):
        fields.setdefault("pdf", pub.links["pdf"])
    html = pub.links.get("html") or landing_page(pub, rules)
    if html:
        fields.setdefault("html", html)
    if pub.ids.get("arxiv"):
        fields.setdefault("arxiv", pub.ids["arxiv"])
    scholar = pub.ids.get(SCHOLAR, "")
    if ":" in scholar:
        fields["google_scholar_id"] = scholar.split(":", 1)[1]
    fields["bibtex_show"] = "true"
    return fields


def block_entry(pub: Publication, rules: Rules, eol: str) -> str:
    """One ``@type{key, …}`` entry of the block, lines ended with ``eol``."""
    fields = block_fields(pub, rules)
    names = sorted(fields, key=lambda n: (_RANK.get(n, len(_RANK)), n))
    lines = [f"@{pub.type or 'misc'}{{{pub.key},"]
    lines += [f"  {name} = {_value(name, fields[name])}," for name in names]
    lines.append("}")
    return eol.join(lines) + eol


def _value(name: str, value: str) -> str:
    """A field's value on one physical line: its own line breaks become spaces (as BibTeX reads
    them), so no line inside an entry can start with ``@`` and look like a new entry."""
    if name == "month":
        return written_value(name, value)
    return "{" + safe_value(re.sub(r"\s*[\r\n]+\s*", " ", value)) + "}"


def render_block(pubs: list[Publication], rules: Rules, eol: str) -> tuple[str, str]:
    """The block's body and its end marker line (without line ending)."""
    entries = [block_entry(p, rules, eol) for p in pubs]
    body = eol.join(entries)
    sums = ",".join(chunk_checksum(e) for e in entries) or _EMPTY
    return body, f"@comment{{scholarsync:end checksum={sums}}}"


def _first_eol(text: str) -> str:
    match = re.search(r"\r\n|\n|\r", text)
    return match.group() if match else "\n"


class BibBlockOutput(Output):
    """``[outputs] bib_block = "_bibliography/papers.bib"`` (the file may also be a source)."""

    key = "bib_block"
    edits_input = True

    def plan(self, ctx: PlanContext) -> list[FileChange]:
        old = read_bytes(self.path)
        bom, text = decode_page(old, str(self.path)) if old is not None else (b"", "")
        block = find_block(text, str(self.path))
        pubs = web_only(ctx.publications, ctx.rules)
        if block is None and not pubs:
            return [FileChange(self.path, self.key, old, old, "no works for a block")]
        eol = block.eol if block is not None else _first_eol(text)
        body, end_line = render_block(pubs, ctx.rules, eol)
        if any(_MARKER.match(line) for line in body.splitlines()):  # values are one line each
            raise SectionError(f"{self.path}: an entry for the scholarsync block holds a "
                               "scholarsync marker; refusing to write it")
        if block is None:
            gap = "" if not text else (eol if text.endswith(("\n", "\r")) else eol + eol)
            new_text = f"{text}{gap}{BEGIN}{eol}{body}{end_line}{eol}"
        else:
            if block.checksums is not None and not ctx.force:
                self._refuse_edits(text, block)
            new_text = text[:block.body_start] + body + end_line + text[block.end_text_end:]
        detail = f"{len(pubs)} work{'' if len(pubs) == 1 else 's'} found only on the web"
        return [FileChange(self.path, self.key, old, bom + new_text.encode("utf-8"), detail)]

    def _refuse_edits(self, text: str, block: Block) -> None:
        edited = edited_chunks(block.body(text), block.checksums or [])
        if not edited:
            return
        line = _breaks(text, 0, text.index(edited[0], block.body_start)) + 1
        raise HandEditedError(
            f"{self.path}:{line}: the scholarsync block (begins at line {block.begin_line}) was "
            "edited by hand since scholarsync wrote it; not overwritten (move your entry above "
            f"the {BEGIN} line, where it is yours, or use --force to replace the block)")
