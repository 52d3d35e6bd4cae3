"""Helpers shared by page-based sources: meta tags (``citation_*``, Dublin Core, Open Graph),
text cleaning.

Tags are matched by ``name`` **or** ``property`` (eScholarship writes
``property="citation_title"``, Open Graph pages write ``name="og:..."`` as often as
``property=``). Names are compared case-insensitively, so ``DC.title`` and ``dc.title`` are
one key. Every value is kept, in document order, for multi-valued tags such as
``citation_author``.

Example::

    tags = read_meta(html)
    tags.get("citation_title")          # first value or None
    tags.all("citation_author")         # every author, in page order
    tags.first("citation_title", "dc.title", "og:title")
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scholarsync.core.normalize import collapse_whitespace

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

# Bidi embedding/override/isolate marks that some sites wrap visible strings in.
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


_BLOCK_END = re.compile(r"<(?:br|/p|/div|/li|/h\d)\b[^>]*>", re.IGNORECASE)


def strip_marks(text: str) -> str:
    """Remove Unicode bidi marks (U+202A…U+202E, U+2066…U+2069, LRM/RLM)."""
    return _BIDI.sub("", text)


def clean_text(text: str | None) -> str:
    """Bidi marks removed and white space collapsed."""
    return collapse_whitespace(strip_marks(text or ""))


def parse_html(text: str) -> BeautifulSoup:
    """Parse a page with lxml (the project's HTML parser)."""
    from bs4 import BeautifulSoup  # imported when a page is read (a .bib-only run never is)

    return BeautifulSoup(text, "lxml")


def html_to_text(fragment: str | None) -> str:
    """An HTML fragment (a title with ``<i>``, an abstract with ``<p>``) as plain text."""
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        return clean_text(fragment)
    spaced = _BLOCK_END.sub(" ", fragment)  # keep words of adjacent paragraphs apart
    return clean_text(parse_html(spaced).get_text())


@dataclass
class MetaTags:
    """Meta-tag values by lower-case name, each a list in document order."""

    values: dict[str, list[str]] = field(default_factory=dict)

    def all(self, name: str) -> list[str]:
        """Every non-empty value of ``name``, in document order."""
        return list(self.values.get(name.lower(), []))

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first non-empty value of ``name``."""
        found = self.values.get(name.lower())
        return found[0] if found else default

    def first(self, *names: str) -> str | None:
        """The first value of the first of ``names`` that is present."""
        for name in names:
            value = self.get(name)
            if value:
                return value
        return None

    def has_prefix(self, prefix: str) -> bool:
        """True when some tag's name starts with ``prefix`` (e.g. ``citation_``)."""
        prefix = prefix.lower()
        return any(k.startswith(prefix) for k in self.values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self.values

    @property
    def robots(self) -> set[str]:
        """Directives of every ``robots`` meta tag (``noindex``, ``nofollow`` …)."""
        directives: set[str] = set()
        for value in self.all("robots"):
            directives.update(d.strip().lower() for d in value.split(",") if d.strip())
        return directives


def read_meta(page: BeautifulSoup | str) -> MetaTags:
    """Every ``<meta>`` with a ``name`` or ``property`` and a non-empty ``content``."""
    soup = parse_html(page) if isinstance(page, str) else page
    tags = MetaTags()
    for element in soup.find_all("meta"):
        key = element.get("name") or element.get("property")
        content = element.get("content")
        if not isinstance(key, str) or not isinstance(content, str):
            continue
        value = clean_text(content)
        if value:
            tags.values.setdefault(key.strip().lower(), []).append(value)
    return tags
