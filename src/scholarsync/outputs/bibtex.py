"""The merged BibTeX export (``[outputs] bibtex``).

Deterministic: the same publications give the same bytes (entries in the given order, fields
in a fixed order, no timestamps). The writer is hand-written (a string join per entry) and
guarantees a file that re-parses: values are written in braces, with unbalanced braces, a
trailing backslash or a line starting with ``@`` neutralized.
"""

from __future__ import annotations

import re

from scholarsync.core.normalize import (
    latex_escape,
    normalize_arxiv,
    normalize_doi,
    person_to_bibtex,
)
from scholarsync.model import Publication
from scholarsync.outputs.base import SingleFileOutput, landing_page
from scholarsync.outputs.memo import Memos, rules_fingerprint
from scholarsync.sources import rules
from scholarsync.sources.bibsplit import GROUP

#: Conventional field order; any other field follows, alphabetically.
FIELD_ORDER = (
    "ids", "author", "editor", "title", "subtitle", "booktitle", "journal", "journaltitle",
    "series", "edition", "volume", "number", "issue", "pages", "chapter", "publisher",
    "organization", "institution", "school", "address", "location", "howpublished", "month",
    "year", "date", "isbn", "issn", "doi", "eprint", "archiveprefix", "eprinttype",
    "primaryclass", "eprintclass", "url", "urldate", "note",
)
_RANK = {name: i for i, name in enumerate(FIELD_ORDER)}
_AT_LINE = re.compile(r"\n([ \t]*@\w*[ \t]*[{(])")
_BRACE = re.compile(r"\\*[{}]")


def to_bibtex(pubs: list[Publication], memos: Memos | None = None) -> str:
    """The publications as one BibTeX file, entries in the given order (each entry read back
    from ``memos`` when that publication's content was written before)."""
    if memos is None:
        return "\n".join([bibtex_entry(pub) for pub in pubs])
    table = memos.table("bibtex entry", rules_fingerprint(rules()))
    return "\n".join(table.get_many(pubs, lambda idx: [bibtex_entry(pubs[i]) for i in idx]))


def bibtex_entry(pub: Publication) -> str:
    """One ``@type{key, …}`` entry, ending in a newline."""
    fields = entry_fields(pub)
    lines = [f"@{pub.type or 'misc'}{{{pub.key},\n"]
    append = lines.append
    for name in _ordered(fields):
        value = fields[name]
        if (name == "month" or "{" in value or "}" in value or "\n" in value
                or value[-1:] == "\\"):
            append(f"  {name} = {written_value(name, value)},\n")
        else:  # what written_value() leaves as it is: the value in braces
            append(f"  {name} = {{{value}}},\n")
    append("}\n")
    return "".join(lines)


def _order(name: str, rank: dict[str, int] = _RANK, last: int = len(_RANK)) -> tuple[int, str]:
    """Where a field goes: :data:`FIELD_ORDER`, then any other field alphabetically."""
    return rank.get(name, last), name


_ORDERS: dict[tuple[str, ...], list[str]] = {}  # field names as given -> in written order


def _ordered(fields: dict[str, str]) -> list[str]:
    """The field names in written order (sorted once per distinct list of names)."""
    given = tuple(fields)
    found = _ORDERS.get(given)
    if found is None:
        found = sorted(given, key=_order)
        if len(_ORDERS) < 4096:
            _ORDERS[given] = found
    return found


_MONTH_NUMBERS = {str(n) for n in range(1, 13)}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def written_value(name: str, value: str) -> str:
    """A field's value as written: in braces, except a month 1..12, which is written as its
    macro (``month = dec``), as the user's file had it."""
    if name == "month" and value in _MONTH_NUMBERS:  # what the reader makes of a macro
        return _MONTHS[int(value) - 1]
    return "{" + safe_value(value) + "}"


def entry_fields(pub: Publication) -> dict[str, str]:
    """The BibTeX fields to write: the merged fields, identifiers normalized, gaps filled
    from display values and other sources' identifiers and links."""
    given = pub.fields
    if "ids" not in given and all(given.values()):
        fields = dict(given)  # the common case: a copy, in C
    else:
        fields = {name: value for name, value in given.items() if name != "ids" and value}
    if pub.aliases:
        fields["ids"] = ", ".join(pub.aliases)
    if "author" not in fields and "editor" not in fields and pub.authors:  # editors: no author
        fields["author"] = " and ".join(person_to_bibtex(p) for p in pub.authors)
    if "author" in fields and pub.authors_truncated and not fields["author"].rstrip().endswith(
            "others"):
        fields["author"] += " and others"
    if "title" not in fields and pub.title:
        fields["title"] = latex_escape(pub.title)
    if "year" not in fields and "date" not in fields and pub.year:
        fields["year"] = str(pub.year)
    if pub.venue and not any(n in fields for n in ("journal", "booktitle", "journaltitle")):
        venue_field = _venue_field(pub.type)
        if venue_field and venue_field not in fields:
            fields[venue_field] = latex_escape(pub.venue)
    doi = normalize_doi(fields.get("doi")) or pub.ids.get("doi")
    if doi:
        fields["doi"] = doi
    arxiv = pub.ids.get("arxiv")
    if "eprint" in fields:
        prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
        pinned = normalize_arxiv(fields["eprint"]) if prefix == "arxiv" else None
        if pinned:
            fields["eprint"] = pinned
    elif arxiv:
        fields["eprint"] = arxiv
        fields["archiveprefix"] = "arXiv"
    if "url" not in fields:
        url = landing_page(pub)
        if url:
            fields["url"] = url
    return fields


def _venue_field(entry_type: str) -> str | None:
    if entry_type == "article":
        return "journal"
    if entry_type in ("inproceedings", "conference", "incollection", "inbook"):
        return "booktitle"
    if entry_type in ("misc", "unpublished", "online"):
        return "howpublished"
    return None


def safe_value(value: str) -> str:
    """``value`` made safe inside ``{…}``: balanced braces whether or not ``\\{`` counts (it
    does for BibTeX, not for bibtexparser), no trailing backslash, no line starting with ``@``.
    Values read from a .bib file pass through unchanged."""
    if "\n" in value and _AT_LINE.search(value):
        value = _AT_LINE.sub(r" \1", value)
    if ("{" in value or "}" in value) and not _plainly_balanced(value):
        value = _balance(value)
    if value.endswith("\\"):
        value += " "
    return value


#: A balanced ``{..}`` group (braces after a backslash not counted), nested at most 8 deep.
_GROUP = re.compile(GROUP)


def _plainly_balanced(value: str) -> bool:
    """True when :func:`_balance` would change nothing: the plain braces balanced and no
    brace after a backslash (a one-pass test in C for what most values are)."""
    return ("\\{" not in value and "\\}" not in value
            and _GROUP.fullmatch("{" + value + "}") is not None)


def _balance(value: str) -> str:
    """Replace unmatched braces by ``\\textbraceleft{}`` / ``\\textbraceright{}``. Braces
    after a backslash (which bibtexparser does not count, but BibTeX does) and plain braces
    are matched separately, so the result is balanced under both rules."""
    tokens = list(_BRACE.finditer(value))
    unmatched: set[int] = set()
    stacks: dict[bool, list[int]] = {False: [], True: []}
    for i, match in enumerate(tokens):
        text = match.group()
        escaped = len(text) > 1
        if text.endswith("{"):
            stacks[escaped].append(i)
        elif stacks[escaped]:
            stacks[escaped].pop()
        else:
            unmatched.add(i)
    unmatched.update(stacks[False] + stacks[True])
    if not unmatched:
        return value
    out: list[str] = []
    last = 0
    for i in sorted(unmatched):
        match = tokens[i]
        slashes = match.group()[:-1]
        if len(slashes) % 2:  # "\{": the backslash escaped the brace; "\\{" is a line break
            slashes = slashes[:-1]
        word = r"\textbraceleft{}" if match.group().endswith("{") else r"\textbraceright{}"
        out.append(value[last:match.start()] + slashes + word)
        last = match.end()
    out.append(value[last:])
    return "".join(out)


class BibtexOutput(SingleFileOutput):
    """``[outputs] bibtex = "publications.bib"``."""

    key = "bibtex"

    def render(self, pubs: list[Publication]) -> str:
        return to_bibtex(pubs)

    def render_with(self, pubs: list[Publication], memos: Memos | None) -> str:
        return to_bibtex(pubs, memos)
