"""Normalization shared by every room: LaTeX <-> Unicode, names, titles, identifiers, years.

Every function here is pure. ``collapse_whitespace``, ``fold``, ``title_key``, ``name_key``,
``normalize_doi``, ``normalize_arxiv`` and ``parse_year`` are
idempotent (applying one twice changes nothing). ``latex_to_unicode`` is not (``\\{`` decodes to
``{``, which would then be read as a group), but for ordinary text
``latex_to_unicode(latex_escape(s)) == collapse_whitespace(s)``.

LaTeX decoding and escaping live in :mod:`scholarsync.core.latex` and are re-exported here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import unquote

from scholarsync.core.latex import LATEX_HINT as _LATEX_HINT
from scholarsync.core.latex import (  # noqa: F401  (latex_escape is re-exported: the shared API)
    SYMBOL_WORDS,
    collapse_whitespace,
    latex_escape,
    latex_to_unicode,
)
from scholarsync.model import OTHERS, Person

# -- comparison keys -------------------------------------------------------------------------


def _fold_once(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold(text: str) -> str:
    """Accent-stripped, case-folded text for comparisons."""
    if text.isascii():
        return text.lower()
    once = _fold_once(text)
    return once if once.isascii() else _fold_once(once)


_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def title_key(title: str) -> str:
    """A matching key: folded, punctuation dropped, words joined by single spaces."""
    return _NON_ALNUM.sub(" ", fold(title)).strip()


def name_key(name: str) -> str:
    """A folded family name for comparisons ("Dubois-Kaur" -> "dubois kaur")."""
    return title_key(name)




# -- names -----------------------------------------------------------------------------------

_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_SPACE = re.compile(r"[\s~]+")
_COMMA = re.compile(r",")
_LETTER_COMMAND = re.compile(r"\\([a-zA-Z]+)")
_SUFFIX = re.compile(r"^(?:jr|sr|jnr|snr)\.?$|^(?:II|III|IV)$", re.IGNORECASE)
_EXTENDED = re.compile(r"^\s*(family|given|prefix|suffix|useprefix)\s*=\s*(.*)$", re.DOTALL)


_BRACED: dict[str, re.Pattern[str]] = {}  # separator pattern -> pattern that also finds braces


#: Text whose braces are balanced and never close below depth 0 (groups nested at most twice).
_FLAT_GROUPS = re.compile(r"(?:[^{}]++|\{(?:[^{}]++|\{[^{}]*+\})*+\})*+")


def _split_top_level(text: str, sep: re.Pattern[str], keep_empty: bool = False) -> list[str]:
    """Split on ``sep`` outside braces."""
    parts = sep.split(text)
    if len(parts) > 1 and "{" in text and not all(
            _FLAT_GROUPS.fullmatch(part) for part in parts[:-1]):
        parts = _split_braced(text, sep)  # a separator may sit inside braces
    stripped = [p.strip() for p in parts]
    return stripped if keep_empty else [p for p in stripped if p]


def _split_braced(text: str, sep: re.Pattern[str]) -> list[str]:
    """Split on ``sep`` where the brace depth is 0 (a ``}`` too many counts for nothing)."""
    braced = _BRACED.get(sep.pattern)
    if braced is None:
        braced = _BRACED[sep.pattern] = re.compile(r"(\{)|(\})|" + sep.pattern, sep.flags)
    parts, depth, start = [], 0, 0
    for match in braced.finditer(text):
        if match.group(1):
            depth += 1
        elif match.group(2):
            depth = max(0, depth - 1)
        elif depth == 0:
            parts.append(text[start : match.start()])
            start = match.end()
    parts.append(text[start:])
    return parts


def _word_case(word: str) -> str:
    """"l" when a name word starts lower-case (a "von" particle), "u" upper, "" caseless.

    As BibTeX does: braces hide their content, except a special character ``{\\'e}``, whose
    case is that of its letter; letters of a bare accent command (``\\v``) are not counted.
    """
    depth, i, n = 0, 0, len(word)
    while i < n:
        ch = word[i]
        if ch == "{":
            if depth == 0 and word.startswith("{\\", i):
                end = word.find("}", i)
                group = word[i + 2 : end if end > 0 else n]
                command = _LETTER_COMMAND.match("\\" + group)
                if command and command.group(1) in SYMBOL_WORDS:
                    return "l" if command.group(1)[0].islower() else "u"
                rest = group[command.end() - 1 :] if command else group[1:]
                for c in rest:
                    if c.isalpha():
                        return "l" if c.islower() else "u"
                return ""
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and ch == "\\":
            command = _LETTER_COMMAND.match(word, i)
            if command:
                if command.group(1) in SYMBOL_WORDS:
                    return "l" if command.group(1)[0].islower() else "u"
                i = command.end()
                continue
            i += 2
            continue
        elif depth == 0 and ch.isalpha():
            return "l" if ch.islower() else "u"
        i += 1
    return ""


def _person(given: list[str], von: list[str], family: list[str], jr: list[str],
            plain: bool = False) -> Person:
    if plain:  # no LaTeX markup anywhere in the name: nothing to decode
        return Person(given=" ".join(given), family=" ".join(family), von=" ".join(von),
                      jr=" ".join(jr))
    return Person(
        given=latex_to_unicode(" ".join(given)),
        family=latex_to_unicode(" ".join(family)),
        von=latex_to_unicode(" ".join(von)),
        jr=latex_to_unicode(" ".join(jr)),
    )


def _von_last(words: list[str]) -> tuple[list[str], list[str]]:
    """Split "von Last" words: von runs to the last lower-case word before the final one."""
    split = 0
    for i, word in enumerate(words[:-1]):
        if _word_case(word) == "l":
            split = i + 1
    return words[:split], words[split:]


def _extended_name(parts: list[str]) -> Person | None:
    """biblatex's extended name format ``family=Doe, given=Jane, prefix=de``."""
    values: dict[str, str] = {}
    for part in parts:
        match = _EXTENDED.match(part)
        if not match:
            return None
        values[match.group(1)] = match.group(2).strip()
    return _person([values.get("given", "")], [values.get("prefix", "")],
                   [values.get("family", "")], [values.get("suffix", "")])


def _plain_case(word: str) -> str:
    """:func:`_word_case` of a word without braces or backslashes: its first letter's case."""
    for ch in word:
        if ch.isalpha():
            return "l" if ch.islower() else "u"
    return ""


def _plain_von_last(words: list[str]) -> tuple[list[str], list[str]]:
    """:func:`_von_last` of words without braces or backslashes."""
    split = 0
    for i, word in enumerate(words[:-1]):
        if _plain_case(word) == "l":
            split = i + 1
    return words[:split], words[split:]


def _plain_name(raw: str) -> Person | None:
    """What the general parser makes of a name without markup, ``=`` or a second comma, by
    shorter ways; None for the forms left to it (a suffix after a comma, an empty name)."""
    if "," in raw:
        family, given = raw.split(",")
        family, given = family.strip(), given.strip()
        if " " not in family:
            return Person(given=given, family=family)
        if _SUFFIX.match(given):
            return None  # "Martin Luther King, Jr."
        von, last = _plain_von_last(family.split())
        return Person(given=given, family=" ".join(last), von=" ".join(von))
    words = raw.split()
    if len(words) == 2 and words[0][:1].isupper() and words[1][:1].isupper():
        return Person(given=words[0], family=words[1])
    if not words:
        return None
    jr = ""
    if len(words) >= 3 and _SUFFIX.match(words[-1]):
        words, jr = words[:-1], words[-1]
    start = next((i for i, w in enumerate(words[:-1]) if _plain_case(w) == "l"), None)
    if start is None:
        return Person(given=" ".join(words[:-1]), family=words[-1], jr=jr)
    von, last = _plain_von_last(words[start:])
    return Person(given=" ".join(words[:start]), family=" ".join(last), von=" ".join(von),
                  jr=jr)


@lru_cache(maxsize=65536)
def _parse_name(raw: str) -> Person:
    if "=" not in raw and raw.count(",") <= 1 and not _LATEX_HINT.search(raw):
        person = _plain_name(raw)  # the common forms, without the general machinery
        if person is not None:
            return person
    if raw.startswith("{") and raw.endswith("}") and _group_closes_at_end(raw):
        return Person(literal=latex_to_unicode(raw))
    parts = _split_top_level(raw, _COMMA, keep_empty=True)
    plain = not _LATEX_HINT.search(raw)
    if len(parts) > 1 and "=" in raw:
        extended = _extended_name(parts)
        if extended is not None:
            return extended
    if len(parts) == 2 and _SUFFIX.match(parts[1]) and " " in parts[0]:
        parts = [parts[0]]  # "Martin Luther King, Jr."
        suffix = [raw.rsplit(",", 1)[1].strip()]
    else:
        suffix = []
    if len(parts) == 1:
        words = _split_top_level(parts[0], _SPACE)
        if not suffix and len(words) >= 3 and _SUFFIX.match(words[-1]):
            words, suffix = words[:-1], [words[-1]]
        if len(words) == 1:
            return _person([], [], words, suffix, plain)
        start = next((i for i, w in enumerate(words[:-1]) if _word_case(w) == "l"), None)
        if start is None:
            return _person(words[:-1], [], words[-1:], suffix, plain)
        von_words, family_words = _von_last(words[start:])
        return _person(words[:start], von_words, family_words, suffix, plain)
    von_words, family_words = _von_last(_split_top_level(parts[0], _SPACE))
    if len(parts) == 2:
        return _person([parts[1]], von_words, family_words, [], plain)
    return _person([", ".join(p for p in parts[2:] if p)], von_words, family_words, [parts[1]],
                   plain)


def _group_closes_at_end(text: str) -> bool:
    """True when the ``{`` opening ``text`` is closed by its last character."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif ch == "}" and text[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return i == len(text) - 1
    return False


def parse_bibtex_name(raw: str) -> Person:
    """One BibTeX name ("von Last, Jr, First" / "First von Last" / "{Corporate}") to a Person."""
    raw = collapse_whitespace(raw)
    if raw.casefold() == "others":
        return OTHERS
    return _parse_name(raw)


@lru_cache(maxsize=65536)
def _parse_names(value: str) -> tuple[tuple[Person, ...], bool]:
    people: list[Person] = []
    truncated = False
    text = collapse_whitespace(value)
    parts = _split_top_level(text, _AND)
    if "others" not in text.casefold():  # (case folding goes letter by letter)
        return tuple([p for p in map(_parse_name, parts)
                      if p.family or p.given or p.literal or p.von or p.jr]), False
    for part in parts:
        if part.casefold() == "others":
            truncated = True
            continue
        person = _parse_name(part)
        if _somebody(person):
            people.append(person)
    return tuple(people), truncated


def _somebody(person: Person) -> bool:
    """Not the empty Person() (tested by its parts: quicker than comparing dataclasses)."""
    return bool(person.family or person.given or person.literal or person.von or person.jr)


def parse_bibtex_names(value: str) -> tuple[list[Person], bool]:
    """An ``author``/``editor`` field to Persons; ``truncated`` when it ends in "and others"."""
    people, truncated = _parse_names(value)
    return list(people), truncated


def parse_display_name(name: str) -> Person:
    """A name as a web page writes it ("Vima Gupta", "Gupta, Vima", "Ludwig van Beethoven")."""
    name = collapse_whitespace(name).strip(" ,")
    if not name:
        return Person()
    if name.casefold() in {"others", "et al", "et al.", "..."}:
        return OTHERS
    return _parse_name(latex_escape(name))


def _protect(part: str, lower_ok: bool = True) -> str:
    """Escape one name part, bracing it when BibTeX would otherwise split or re-case it."""
    escaped = latex_escape(part)
    if "," in escaped or _AND.search(f" {escaped} ") or (
        not lower_ok and _word_case(escaped) == "l"
    ):
        return "{" + escaped + "}"
    return escaped


def person_to_bibtex(person: Person) -> str:
    """A Person back to BibTeX name syntax ("von Family, Jr, Given")."""
    if person.literal:
        return "others" if person.is_others else "{" + latex_escape(person.literal) + "}"
    family = _protect(person.family, lower_ok=False) if person.family else ""
    if person.von:
        family = f"{latex_escape(person.von)} {family}".strip()
    parts = [family]
    if person.jr:
        parts.append(_protect(person.jr))
    if person.given or person.jr:
        parts.append(_protect(person.given))
    elif family.startswith("{") and not person.von:
        parts.append("")  # "{de Souza}," so that it is not read as a corporate literal
    return ", ".join(parts).strip()


# -- identifiers -----------------------------------------------------------------------------

_DOI = re.compile(r"10\.\d{4,9}/[^\s\"<>]+", re.IGNORECASE)
_WHOLE_DOI = re.compile(r"(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/[^\s\"]+)",
                        re.IGNORECASE)
_CLOSERS = {")": "(", "]": "["}


def normalize_doi(value: str | None) -> str | None:
    """``https://doi.org/10.1145/ABC`` / ``doi:10.1145/abc.`` -> ``10.1145/abc``; None if no DOI."""
    if not value:
        return None
    text = value.strip()
    if "%" in text:
        text = unquote(text)
    if "\\" in text or "{" in text:
        text = text.replace("\\_", "_").replace("\\%", "%").replace("{", "").replace("}", "")
    whole = _WHOLE_DOI.fullmatch(text)  # a field holding just a DOI may hold "<" and ">"
    if whole and "</" not in text:
        doi = whole.group(1)
    else:
        match = _DOI.search(text)
        if not match:
            return None
        doi = match.group(0)
    while doi[-1] in ".,;:)]'":
        opener = _CLOSERS.get(doi[-1])
        if opener and doi.count(opener) >= doi.count(doi[-1]):
            break  # "10.1016/0003(63)90068-X)" keeps a bracket that closes inside it
        doi = doi[:-1]
    return None if doi.endswith("/") else doi.lower()


_ARXIV_PREFIX = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/|^arxiv:\s*",
    re.IGNORECASE,
)
_ARXIV_NEW = re.compile(r"(?<![\d.])(\d\d)(\d\d)\.(\d{4,5})(v\d+)?(?!\d)", re.IGNORECASE)
_ARXIV_OLD = re.compile(r"(?<![\w.-])([a-z]+(?:-[a-z]+)?)(?:\.[a-z]{2})?/(\d{7})(v\d+)?(?!\d)",
                        re.IGNORECASE)


def normalize_arxiv(value: str | None) -> str | None:
    """arXiv id from an id, ``arXiv:`` form or arxiv.org URL; a pinned version is kept.

    New ids (``2311.15194``) and old ones (``hep-th/9901001``; a subject class as in
    ``math.GT/0309136`` is dropped, as arXiv does).
    """
    if not value:
        return None
    text = _ARXIV_PREFIX.sub("", value.strip())
    old = _ARXIV_OLD.search(text)
    if old:
        return f"{old.group(1).lower()}/{old.group(2)}{(old.group(3) or '').lower()}"
    for new in _ARXIV_NEW.finditer(text):
        if 1 <= int(new.group(2)) <= 12:
            version = (new.group(4) or "").lower()
            return f"{new.group(1)}{new.group(2)}.{new.group(3)}{version}"
    return None


def arxiv_base(arxiv_id: str) -> str:
    """The arXiv id without its version, for matching."""
    return re.sub(r"v\d+$", "", arxiv_id)


_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|2100)(?!\d)")


def parse_year(value: str | int | None) -> int | None:
    """The first plausible four-digit year in ``value`` (``2024``, ``2024-05-22``, ``{2024}``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return _year_in(value)


@lru_cache(maxsize=4096)
def _year_in(text: str) -> int | None:
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None


TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "0", "off"})


def is_true(value: object) -> bool:
    """A yes/no value of a ``.bib`` field or section attribute (``{true}``, ``yes``, ``1``)."""
    if isinstance(value, str):
        return value.strip().strip("{}").strip().casefold() in TRUE_WORDS
    return bool(value)


#: Title words that say nothing of a work (matching signatures, generated citation keys).
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "by", "de", "der", "die", "for", "from", "in", "into",
    "is", "of", "on", "or", "the", "to", "via", "with"})

#: BibTeX's month macros and the numbers biblatex expects for them.
MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def month_number(value: str) -> int | None:
    """1..12 from a month field: a number, a macro or a month name ("December")."""
    value = value.strip().strip("{}").strip().lower()
    if value.isdigit():
        return int(value) if 1 <= int(value) <= 12 else None
    return MONTHS.get(value[:3])
