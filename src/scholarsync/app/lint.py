"""Warnings for what a user wrote that does nothing (CONTRACT §10): an unknown section attribute,
a ``keys=`` entry that matches no publication, an owner name that matches no author."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from scholarsync.config import Config
from scholarsync.core.owner import is_owner
from scholarsync.errors import SectionError
from scholarsync.model import Problem, Publication
from scholarsync.outputs.pages.research import find_publication
from scholarsync.outputs.pages.sections import CHECKSUM, decode_page, find_sections

#: Every attribute a section's begin marker may carry (README "Managed sections").
SECTION_ATTRIBUTES = ("keys", "type", "year", "selected", "limit", "group", "group_by_type",
                      "heading", "max_authors", "links", "template", CHECKSUM)


def section_warnings(page: Path, data: bytes, pubs: list[Publication]) -> list[Problem]:
    """Unknown attributes and unmatched ``keys=`` entries of every section of one page."""
    try:
        _, text = decode_page(data, str(page))
        sections = find_sections(text, str(page))
    except SectionError:
        return []  # reported as an error by the page's plan
    problems: list[Problem] = []
    for section in sections:
        for name in section.attrs:
            if name in SECTION_ATTRIBUTES:
                continue
            close = difflib.get_close_matches(name, SECTION_ATTRIBUTES[:-1], n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else (
                "known: " + ", ".join(SECTION_ATTRIBUTES[:-1]))
            problems.append(Problem(
                "warning", f"section {section.name!r}: unknown attribute {name!r} is ignored "
                f"({hint})", str(page), section.begin_line))
        refs = section.attrs.get("keys", "")
        missing = [ref.strip() for ref in refs.split(",")
                   if ref.strip() and find_publication(ref, pubs) is None]
        if missing:
            problems.append(Problem(
                "warning", f"section {section.name!r}: keys= {', '.join(map(repr, missing))} "
                "match no publication (a citation key, DOI, arXiv or eScholarship id)",
                str(page), section.begin_line))
    return problems


def owner_warning(config: Config, pubs: list[Publication]) -> Problem | None:
    """A warning when ``[profile] name`` and its aliases match no author of any publication."""
    if not config.profile.name or not any(p.authors for p in pubs):
        return None
    if any(is_owner(person, config.profile) for pub in pubs for person in pub.authors):
        return None
    line = _profile_line(config.path, "name")
    return Problem("warning", f"the owner name {config.profile.name!r} (and its aliases) matches "
                   "no author of any publication, so nothing is marked as theirs: check the "
                   "spelling or add [profile] aliases", str(config.path), line)


def _profile_line(path: Path, key: str) -> int | None:
    """The line of ``key = …`` in the config's ``[profile]`` table."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    table = ""
    assignment = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, text in enumerate(lines, 1):
        header = re.match(r"^\s*\[+\s*([^\]]+?)\s*\]", text)
        if header:
            table = header.group(1)
        elif table == "profile" and assignment.match(text):
            return number
    return None
