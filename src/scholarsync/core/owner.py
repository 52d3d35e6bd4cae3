"""Is this author the profile's owner? Accent-, case-, hyphen- and initials-aware.

The owner is ``[profile] name`` plus ``aliases``; each is read like a BibTeX name ("Given
Family", "Family, Given", "von Family, Given"). An author is the owner when the family names
agree (accents, case and hyphens ignored) and the given names are compatible: compared word by
word, a full word must equal a full word and an initial ("R.", "R", "RD" for two) must equal the
first letter. "R. Dubois-Kaur", "Dubois-Kaur, Renée" and "Renee Dubois-Kaur" are all "Renée
Dubois-Kaur"; "P. Dubois-Kaur" and "Renée Dubois" are not. An author without a given name never
matches (too weak to claim).
"""

from __future__ import annotations

import re
from functools import lru_cache

from scholarsync.config import ProfileConfig
from scholarsync.core.normalize import fold, name_key, parse_bibtex_name, parse_display_name
from scholarsync.model import Person

_WORD = re.compile(r"[^\W\d_]+\.?", re.UNICODE)


def _given_parts(given: str) -> tuple[str, ...]:
    """Given names as folded words; initials as single letters ("R. J." / "RJ" -> r, j)."""
    parts: list[str] = []
    for word in _WORD.findall(given):
        bare = word.rstrip(".")
        if word.endswith(".") or (len(bare) <= 3 and bare.isupper()):
            parts.extend(fold(c) for c in bare)
        else:
            parts.append(fold(bare))
    return tuple(parts)


def _family(person: Person) -> str:
    return name_key(" ".join(p for p in (person.von, person.family) if p))


def _split(person: Person) -> Person:
    """A literal or family-only name that holds several words, re-read as a display name."""
    if person.literal and not person.is_others:
        return parse_display_name(person.literal)
    if not person.given and " " in person.family.strip():
        return parse_display_name(person.family)
    return person


def _compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if not a or not b:
        return False
    for x, y in zip(a, b, strict=False):
        if len(x) == 1 or len(y) == 1:
            if x[0] != y[0]:
                return False
        elif x != y:
            return False
    return True


@lru_cache(maxsize=64)
def _variants(name: str, aliases: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    variants = []
    for raw in (name, *aliases):
        if raw.strip():
            person = parse_bibtex_name(raw)
            variants.append((_family(person), _given_parts(person.given)))
    return tuple(variants)


def _matches(person: Person, family: str, given: tuple[str, ...]) -> bool:
    own = _family(person)
    if own == family:
        return _compatible(_given_parts(person.given), given)
    # "Renée Dubois Kaur" read as given "Renée Dubois": the family's first words in the given
    words, own_words = family.split(), own.split()
    missing = len(words) - len(own_words)
    given_words = person.given.split()
    if missing <= 0 or not own_words or words[missing:] != own_words:
        return False
    if name_key(" ".join(given_words[-missing:])).split() != words[:missing]:
        return False
    return _compatible(_given_parts(" ".join(given_words[:-missing])), given)


def is_owner(person: Person, profile: ProfileConfig) -> bool:
    """True when ``person`` is the profile's owner (``name`` or one of ``aliases``)."""
    return _is_owner(person, profile.name, tuple(profile.aliases))


@lru_cache(maxsize=65536)  # a pure function of its arguments; the same authors recur
def _is_owner(person: Person, name: str, aliases: tuple[str, ...]) -> bool:
    variants = _variants(name, aliases)
    if not variants or person.is_others:
        return False
    person = _split(person)
    return any(_matches(person, family, given) for family, given in variants)
