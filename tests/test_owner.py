"""Owner-name matching: accents, initials, hyphens, "Last, First", aliases."""

from __future__ import annotations

import pytest

from scholarsync.config import ProfileConfig
from scholarsync.core.normalize import parse_bibtex_name, parse_display_name
from scholarsync.core.owner import is_owner
from scholarsync.model import OTHERS, Person

RENEE = ProfileConfig(name="Renée Dubois-Kaur")
VIMA = ProfileConfig(name="Vima Gupta", aliases=("Gupta, V.",))


@pytest.mark.parametrize("name", [
    "Renée Dubois-Kaur", "R. Dubois-Kaur", "Dubois-Kaur, Renée", "R Dubois-Kaur",
    "Renee Dubois-Kaur", "RENÉE DUBOIS-KAUR", "Dubois-Kaur, R.", "Renée Dubois Kaur",
    "R. J. Dubois-Kaur", "RJ Dubois-Kaur", "Renée J. Dubois-Kaur",
])
def test_same_person(name: str) -> None:
    assert is_owner(parse_display_name(name), RENEE)
    assert is_owner(parse_bibtex_name(name), RENEE)


@pytest.mark.parametrize("name", [
    "P. Dubois-Kaur", "Renée Dubois", "Pierre Dubois-Kaur", "Dubois-Kaur", "Kaur, Renée",
    "René Dubois-Kaur", "Renée Kaur", "Sam Lee",
])
def test_other_person(name: str) -> None:
    assert not is_owner(parse_display_name(name), RENEE)


def test_latex_accents_from_bibtex() -> None:
    assert is_owner(parse_bibtex_name(r"Dubois-Kaur, Ren{\'e}e"), RENEE)


def test_alias_in_last_first_form() -> None:
    assert is_owner(Person(given="V", family="Gupta"), VIMA)
    assert is_owner(Person(given="Vima", family="Gupta"), VIMA)
    assert not is_owner(Person(given="Ajay", family="Gupta"), VIMA)


def test_alias_with_a_different_family_name() -> None:
    profile = ProfileConfig(name="Renée Dubois-Kaur", aliases=("Renée Dubois",))
    assert is_owner(parse_display_name("R. Dubois"), profile)


def test_literal_and_others() -> None:
    assert is_owner(Person(literal="Renée Dubois-Kaur"), RENEE)
    assert not is_owner(OTHERS, RENEE)
    assert not is_owner(Person(literal="Sony Corporation"), RENEE)


def test_no_profile_name_matches_nobody() -> None:
    assert not is_owner(Person(given="Vima", family="Gupta"), ProfileConfig())
