"""normalize: LaTeX <-> Unicode, names, comparison keys, identifiers, years."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scholarsync.core.normalize import (
    arxiv_base,
    collapse_whitespace,
    fold,
    latex_escape,
    latex_to_unicode,
    name_key,
    normalize_arxiv,
    normalize_doi,
    parse_bibtex_name,
    parse_bibtex_names,
    parse_display_name,
    parse_year,
    person_to_bibtex,
    title_key,
)
from scholarsync.model import OTHERS, Person
from scholarsync.sources.escholarship import item_id

# -- LaTeX -> Unicode ------------------------------------------------------------------------


@pytest.mark.parametrize(("latex", "text"), [
    ("Plain title", "Plain title"),
    ("  spread \n over\tlines ", "spread over lines"),
    ("{DNA} and {RNA} Sequencing", "DNA and RNA Sequencing"),
    (r"M{\"u}ller and \"{U}ber and \"Ol", "Müller and Über and Öl"),
    (r"{\'E}mile \'{e}t\'e \`a la \^{i}le", "Émile été à la île"),
    (r"\v{C}apek \v s \c{c}a \k{a} \H{o} \r{a} \u{g} \={o} \.{z}", "Čapek š ça ą ő å ğ ō ż"),
    (r"\'{\i}ndice \'\i{}ndice", "índice índice"),
    (r"\L{}ód\'z and \L ukasz, \o{}re, \aa{}ngstr\"om, Stra\ss{}e",
     "Łódź and Łukasz, øre, ångström, Straße"),
    (r"50\% \& 10\$ \#1 a\_b \{x\}", "50% & 10$ #1 a_b {x}"),
    ("pages 1--10, a---b, ``quoted''", "pages 1\u201310, a\u2014b, \u201cquoted\u201d"),
    (r"\emph{Deep} \textbf{Learning} \textsc{Now} {\it old} {\bf style}",
     "Deep Learning Now old style"),
    (r"\TeX\ and \LaTeX{} and \BibTeX", "TeX and LaTeX and BibTeX"),
    (r"$\alpha$-helix in $O(n^2)$ time", "α-helix in O(n^2) time"),
    (r"The {\TUB} and \CTAN archive", "The TUB and CTAN archive"),
    (r"{\noopsort{a}}Zeta", "Zeta"),
    ("50% of a value is literal in BibTeX", "50% of a value is literal in BibTeX"),
    (r"a~b", "a b"),
    ("", ""),
])
def test_latex_to_unicode(latex: str, text: str) -> None:
    assert latex_to_unicode(latex) == text


def test_latex_to_unicode_falls_back_for_unknown_markup_without_raising() -> None:
    assert latex_to_unicode(r"\ensuremath{\mathcal{O}(\log n)} \unknownmacro{x}") != ""
    assert latex_to_unicode(r"\href{x}") == "hrefx"  # pylatexenc fails; the text still shows
    assert latex_to_unicode("unbalanced {brace") == "unbalanced brace"


@pytest.mark.parametrize(("text", "escaped"), [
    ("R&D at 50% for $5 #1 a_b", r"R\&D at 50\% for \$5 \#1 a\_b"),
    ("{braces} ~ ^ \\", r"\{braces\} \textasciitilde{} \textasciicircum{} \textbackslash{}"),
    ("1--2 and ``q''", "1-{}-2 and `{}`q'{}'"),
    ("Ünïcödé stays", "Ünïcödé stays"),
])
def test_latex_escape(text: str, escaped: str) -> None:
    assert latex_escape(text) == escaped
    assert latex_to_unicode(escaped) == collapse_whitespace(text)


ordinary_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn"),
                                      blacklist_characters="\u0345"), max_size=60)


@given(ordinary_text)
def test_escape_round_trip(text: str) -> None:
    assert latex_to_unicode(latex_escape(text)) == collapse_whitespace(text)


@given(ordinary_text)
def test_collapse_whitespace_is_idempotent(text: str) -> None:
    once = collapse_whitespace(text)
    assert collapse_whitespace(once) == once


latex_pieces = st.sampled_from([
    "a", "B", " ", "{", "}", r"\'e", r"\"{o}", r"\v{c}", r"{\ss}", r"\&", "--", r"\emph{", "x",
    "$x$", r"\TeX{}", r"\o{}", "~", "é",
])


@given(st.lists(latex_pieces, max_size=12).map("".join))
def test_latex_to_unicode_of_plain_output_is_stable(latex: str) -> None:
    text = latex_to_unicode(latex)
    if not any(c in text for c in "\\{}$~") and "--" not in text:
        assert latex_to_unicode(text) == text


# -- comparison keys -------------------------------------------------------------------------


def test_title_key_and_fold() -> None:
    assert title_key("Über die  Wärme: a Study!") == "uber die warme a study"
    assert title_key("Understanding Infinity: Neural") == title_key("understanding infinity neural")
    assert fold("ÉCOLE") == "ecole"
    assert name_key("Dubois-Kaur") == "dubois kaur"


@given(st.text(max_size=40))
def test_title_key_is_idempotent(text: str) -> None:
    once = title_key(text)
    assert title_key(once) == once


# -- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "person"), [
    ("Gupta, Vima", Person(given="Vima", family="Gupta")),
    ("Vima Gupta", Person(given="Vima", family="Gupta")),
    ("Jean de La Fontaine", Person(given="Jean", von="de", family="La Fontaine")),
    ("Ludwig van der Waals", Person(given="Ludwig", von="van der", family="Waals")),
    ("de la Vallée Poussin, Jr., Charles Louis",
     Person(given="Charles Louis", von="de la", family="Vallée Poussin", jr="Jr.")),
    ("van Dyke, Vincent", Person(given="Vincent", von="van", family="Dyke")),
    ("Martin Luther King, Jr.", Person(given="Martin Luther", family="King", jr="Jr.")),
    ("John Smith III", Person(given="John", family="Smith", jr="III")),
    ("{Sony Corporation}", Person(literal="Sony Corporation")),
    ("{Barnes and Noble}", Person(literal="Barnes and Noble")),
    (r"{\'E}mile Zola", Person(given="Émile", family="Zola")),
    (r"{\v{C}}apek, Karel", Person(given="Karel", family="Čapek")),
    (r"M{\"u}ller, J{\"o}rg", Person(given="Jörg", family="Müller")),
    (r"Charles {\"u}ber Lang", Person(given="Charles", von="über", family="Lang")),
    ("Aristotle", Person(family="Aristotle")),
    ("family=Doe, given=Jane, prefix=de", Person(given="Jane", von="de", family="Doe")),
    ("others", OTHERS),
])
def test_parse_bibtex_name(raw: str, person: Person) -> None:
    assert parse_bibtex_name(raw) == person


def test_parse_bibtex_names_splits_on_top_level_and_only() -> None:
    people, truncated = parse_bibtex_names(
        "Doe, Jane AND {Barnes and Noble} and\n  Roe, Richard and others")
    assert [p.display for p in people] == ["Jane Doe", "Barnes and Noble", "Richard Roe"]
    assert truncated
    assert parse_bibtex_names("") == ([], False)
    assert parse_bibtex_names("Doe, Jane and and Roe, R.")[0][1].family == "Roe"


@pytest.mark.parametrize(("name", "person"), [
    ("Vima Gupta", Person(given="Vima", family="Gupta")),
    ("Gupta, Vima", Person(given="Vima", family="Gupta")),
    ("V Gupta", Person(given="V", family="Gupta")),
    ("Ludwig van Beethoven", Person(given="Ludwig", von="van", family="Beethoven")),
    ("R&D Team", Person(given="R&D", family="Team")),
    ("et al.", OTHERS),
    ("  ", Person()),
])
def test_parse_display_name(name: str, person: Person) -> None:
    assert parse_display_name(name) == person


def test_person_to_bibtex_round_trips() -> None:
    people = [Person(given="Jane", family="Doe"), Person(literal="Sony & Co."),
              Person(given="Charles", von="de la", family="Vallée Poussin", jr="Jr."),
              Person(given="A", family="van Dyke"), Person(given="B, C", family="Roe"),
              Person(family="Barnes and Noble"), OTHERS]
    text = " and ".join(person_to_bibtex(p) for p in people[:-1])
    assert parse_bibtex_names(text + " and others") == (people[:-1], True)


name_words = st.text(st.characters(whitelist_categories=("Lu", "Ll")), min_size=1, max_size=8)


@given(st.lists(name_words, min_size=1, max_size=4).map(" ".join))
def test_display_names_survive_bibtex(name: str) -> None:
    person = parse_display_name(name)
    assert parse_bibtex_name(person_to_bibtex(person)) == person


# -- identifiers -----------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "doi"), [
    ("10.1145/ABC.123", "10.1145/abc.123"),
    ("https://doi.org/10.1145/3368089.3409741", "10.1145/3368089.3409741"),
    ("http://dx.doi.org/10.1000/XYZ", "10.1000/xyz"),
    ("doi:10.1038/nphys1170.", "10.1038/nphys1170"),
    ("DOI: 10.1038/nphys1170;", "10.1038/nphys1170"),
    ("(see 10.1000/xyz)", "10.1000/xyz"),
    ("10.1016/0003-4916(63)90068-X", "10.1016/0003-4916(63)90068-x"),
    ("https://doi.org/10.1000%2F182", "10.1000/182"),
    (r"10.1002/\_abc{\_}def", "10.1002/_abc_def"),
    ("not a doi", None),
    ("", None),
    (None, None),
])
def test_normalize_doi(value: str | None, doi: str | None) -> None:
    assert normalize_doi(value) == doi


@given(st.text(max_size=40).map(lambda s: "10.1234/" + s))
def test_normalize_doi_is_idempotent(value: str) -> None:
    once = normalize_doi(value)
    assert once is None or normalize_doi(once) == once


@pytest.mark.parametrize(("value", "arxiv"), [
    ("2311.15194", "2311.15194"),
    ("2311.15194V2", "2311.15194v2"),
    ("arXiv:2311.15194v2 [cs.LG]", "2311.15194v2"),
    ("https://arxiv.org/abs/2311.15194", "2311.15194"),
    ("http://arxiv.org/pdf/2311.15194v1.pdf", "2311.15194v1"),
    ("https://export.arxiv.org/abs/0704.0001", "0704.0001"),
    ("hep-th/9901001", "hep-th/9901001"),
    ("arXiv:hep-th/9901001v3", "hep-th/9901001v3"),
    ("math.GT/0309136", "math/0309136"),
    ("https://arxiv.org/abs/cond-mat/0102536", "cond-mat/0102536"),
    ("1234.5678", None),  # month 34 does not exist
    ("nothing here", None),
    (None, None),
])
def test_normalize_arxiv(value: str | None, arxiv: str | None) -> None:
    assert normalize_arxiv(value) == arxiv


@given(st.one_of(
    st.from_regex(r"\A(arXiv:)?[0-9]{2}(0[1-9]|1[0-2])\.[0-9]{4,5}(v[0-9])?\Z"),
    st.from_regex(r"\A[a-z]{2,6}(-[a-z]{2})?(\.[A-Z]{2})?/[0-9]{7}(v[0-9])?\Z"),
    st.text(max_size=30),
))
def test_normalize_arxiv_is_idempotent(value: str) -> None:
    once = normalize_arxiv(value)
    assert once is None or normalize_arxiv(once) == once
    if once:
        assert arxiv_base(once) == arxiv_base(arxiv_base(once))


@pytest.mark.parametrize(("value", "item"), [
    ("https://escholarship.org/uc/item/5cz2v6d5", "5cz2v6d5"),
    ("https://escholarship.org/uc/item/qt5cz2v6d5", "5cz2v6d5"),
    ("https://escholarship.org/content/qt91z2p9h1/qt91z2p9h1_noSplash_d89a45b032c07c6c0d0c5cfca8df2884.pdf",
     "91z2p9h1"),
    ("qt5cz2v6d5", "5cz2v6d5"),
    ("5CZ2V6D5", "5cz2v6d5"),
    ("https://example.org/uc/item/5cz2v6d5", None),
    ("too-long-id", None),
])
def test_escholarship_item_id(value: str, item: str | None) -> None:
    assert item_id(value) == item
    if item:
        assert item_id(item) == item


@pytest.mark.parametrize(("value", "year"), [
    ("2024", 2024), ("{2024}", 2024), ("2024-05-22", 2024), ("May 1999", 1999), (2001, 2001),
    ("2019/2020", 2019), ("n.d.", None), ("", None), (None, None), ("12345", None),
])
def test_parse_year(value: str | int | None, year: int | None) -> None:
    assert parse_year(value) == year
