"""Normalization shared by every room: LaTeX <-> Unicode, names, titles, identifiers, years.

Every function here is pure and idempotent on its own output.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from scholarsync.model import OTHERS, Person

_WS = re.compile(r"\s+")
_LATEX_HINT = re.compile(r"[\\{}$~]|--")


def collapse_whitespace(text: str) -> str:
    """Runs of white space to one space, stripped."""
    return _WS.sub(" ", text).strip()


@lru_cache(maxsize=65536)
def _decode(text: str) -> str:
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True).latex_to_text(text)


def latex_to_unicode(text: str) -> str:
    """Decode LaTeX markup for display; plain text is returned without parsing."""
    if not text:
        return ""
    if not _LATEX_HINT.search(text):
        return collapse_whitespace(text)
    return collapse_whitespace(_decode(text))


_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            "\\": r"\textbackslash{}"}
_ESCAPE_RE = re.compile(r"[&%$#_{}~^\\]")


def latex_escape(text: str) -> str:
    """Unicode text (from a web page) to a BibTeX-safe value; non-ASCII is kept as UTF-8."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], collapse_whitespace(text))


def fold(text: str) -> str:
    """Accent-stripped, case-folded text for comparisons."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def title_key(title: str) -> str:
    """A matching key: folded, punctuation dropped, words joined by single spaces."""
    return _NON_ALNUM.sub(" ", fold(title)).strip()


def name_key(name: str) -> str:
    """A folded family name for comparisons ("Dubois-Kaur" -> "dubois kaur")."""
    return title_key(name)


# -- names -----------------------------------------------------------------------------------

_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def _split_top_level(text: str, sep: re.Pattern[str]) -> list[str]:
    """Split on ``sep`` outside braces."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            match = sep.match(text, i)
            if match and match.end() > i:
                parts.append(text[start:i])
                start = i = match.end()
                continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _is_lower_word(word: str) -> bool:
    stripped = word.lstrip("{\\")
    return bool(stripped) and stripped[0].islower()


def parse_bibtex_name(raw: str) -> Person:
    """One BibTeX name ("von Last, Jr, First" / "First von Last") to a Person."""
    raw = collapse_whitespace(raw)
    if raw.startswith("{") and raw.endswith("}") and _balanced(raw[1:-1]):
        return Person(literal=latex_to_unicode(raw[1:-1]))
    parts = _split_top_level(raw, re.compile(r","))
    if len(parts) == 1:
        words = _split_top_level(raw, re.compile(r"\s+"))
        if len(words) == 1:
            return Person(family=latex_to_unicode(words[0]))
        von_start = next((i for i, w in enumerate(words[:-1]) if _is_lower_word(w)), None)
        if von_start is None:
            given, von, family = words[:-1], [], words[-1:]
        else:
            von_end = von_start
            while von_end < len(words) - 1 and _is_lower_word(words[von_end]):
                von_end += 1
            given, von, family = words[:von_start], words[von_start:von_end], words[von_end:]
        jr: list[str] = []
    else:
        last_words = _split_top_level(parts[0], re.compile(r"\s+"))
        split = 0
        while split < len(last_words) - 1 and _is_lower_word(last_words[split]):
            split += 1
        von, family = last_words[:split], last_words[split:]
        if len(parts) >= 3:
            jr, given = [parts[1]], [", ".join(parts[2:])]
        else:
            jr, given = [], [parts[1]]
    return Person(
        given=latex_to_unicode(" ".join(given)),
        family=latex_to_unicode(" ".join(family)),
        von=latex_to_unicode(" ".join(von)),
        jr=latex_to_unicode(" ".join(jr)),
    )


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "{"
        depth -= ch == "}"
        if depth < 0:
            return False
    return depth == 0


def parse_bibtex_names(value: str) -> tuple[list[Person], bool]:
    """An ``author``/``editor`` field to Persons; ``truncated`` when it ends in "and others"."""
    people: list[Person] = []
    truncated = False
    for part in _split_top_level(collapse_whitespace(value), _AND):
        if part.casefold() == "others":
            truncated = True
            continue
        people.append(parse_bibtex_name(part))
    return people, truncated


def parse_display_name(name: str) -> Person:
    """A name as a web page writes it ("Vima Gupta" or "Gupta, Vima") to a Person."""
    name = collapse_whitespace(name).strip(" ,")
    if not name:
        return Person()
    if name.casefold() in {"others", "et al", "et al."}:
        return OTHERS
    if "," in name:
        family, _, given = name.partition(",")
        return Person(given=given.strip(), family=family.strip())
    words = name.split(" ")
    if len(words) == 1:
        return Person(family=words[0])
    return Person(given=" ".join(words[:-1]), family=words[-1])


def person_to_bibtex(person: Person) -> str:
    """A Person back to BibTeX name syntax ("von Family, Jr, Given")."""
    if person.literal:
        return "others" if person.is_others else "{" + latex_escape(person.literal) + "}"
    family = " ".join(p for p in (person.von, person.family) if p)
    parts = [latex_escape(family)]
    if person.jr:
        parts.append(latex_escape(person.jr))
    if person.given:
        parts.append(latex_escape(person.given))
    return ", ".join(parts)


# -- identifiers -----------------------------------------------------------------------------

_DOI = re.compile(r"(10\.\d{4,9}/\S+)", re.IGNORECASE)


def normalize_doi(value: str | None) -> str | None:
    """``https://doi.org/10.1145/ABC`` / ``doi:10.1145/abc`` -> ``10.1145/abc``; None if no DOI."""
    if not value:
        return None
    match = _DOI.search(value.strip())
    if not match:
        return None
    doi = match.group(1).rstrip(".,;)]}")
    doi = doi.replace(r"\_", "_")
    return doi.lower()


_ARXIV_NEW = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(v\d+)?(?!\d)", re.IGNORECASE)
_ARXIV_OLD = re.compile(r"([a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(v\d+)?", re.IGNORECASE)


def normalize_arxiv(value: str | None) -> str | None:
    """arXiv id from an id, ``arXiv:`` form or arxiv.org URL; a pinned version is kept."""
    if not value:
        return None
    text = value.strip()
    text = re.sub(r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/", "", text,
                  flags=re.IGNORECASE)
    text = re.sub(r"^arxiv:\s*", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\.pdf$", "", text)
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        match = pattern.match(text) if pattern is _ARXIV_OLD else pattern.search(text)
        if match:
            base = match.group(1)
            if pattern is _ARXIV_OLD:
                archive, _, number = base.partition("/")
                base = f"{archive.lower()}/{number}"
            return base + (match.group(2) or "").lower()
    return None


def arxiv_base(arxiv_id: str) -> str:
    """The arXiv id without its version, for matching."""
    return re.sub(r"v\d+$", "", arxiv_id)


_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|2100)(?!\d)")


def parse_year(value: str | int | None) -> int | None:
    """The first plausible four-digit year in ``value`` (``2024``, ``2024-05-22``, ``{2024}``)."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    match = _YEAR.search(value)
    return int(match.group(1)) if match else None
