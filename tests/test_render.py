"""Rendering: grouping, owner highlighting, shortening, research labels, escaping, overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scholarsync.config import Config, load_config
from scholarsync.errors import SectionError
from scholarsync.model import Person, Publication, Record
from scholarsync.outputs.pages.escape import md_escape, safe_url
from scholarsync.outputs.pages.labels import research_label, venue_label
from scholarsync.outputs.pages.render import PACKAGE_TEMPLATES, Renderer, page_format
from scholarsync.outputs.pages.research import find_publication, resolve_research

markdown_it = pytest.importorskip("markdown_it")
MD = markdown_it.MarkdownIt("commonmark")  # raw HTML on, as on most Markdown sites
COGSCI = "Proceedings of the Annual Meeting of the Cognitive Science Society"


def make_config(tmp_path: Path, extra: str = "") -> Config:
    (tmp_path / "refs.bib").write_text("")
    (tmp_path / "scholarsync.toml").write_text(f"""
[profile]
name = "Renée Dubois-Kaur"
aliases = ["Gupta, V."]

[[sources]]
kind = "bibtex"
paths = ["refs.bib"]
{extra}
""")
    return load_config(tmp_path / "scholarsync.toml")


def person(name: str) -> Person:
    given, _, family = name.rpartition(" ")
    return Person(given=given, family=family)


def pub(key: str, title: str = "A Title", year: int | None = 2024, **kw) -> Publication:
    kw.setdefault("authors", [person("Renée Dubois-Kaur"), person("Sam Lee")])
    kw.setdefault("type", "inproceedings")
    return Publication(key=key, title=title, year=year, **kw)


def render(config: Config, pubs: list[Publication], fmt: str = "md",
           name: str = "publications", **attrs: str) -> str:
    return Renderer(config).render(name, fmt, pubs, attrs)


# -- the publications list --------------------------------------------------------------------

def test_grouped_by_year_newest_first_undated_last(tmp_path: Path) -> None:
    pubs = [pub("a", "Old One", 2019), pub("b", "No Date", None), pub("c", "New One", 2024),
            pub("d", "Also New", 2024)]
    text = render(make_config(tmp_path), pubs)
    headings = re.findall(r"^#### (.+)$", text, re.M)
    assert headings == ["2024", "2019", "Year unknown"]
    order = [t for t in ("New One", "Also New", "Old One", "No Date") if t in text]
    # within a year: by date when known, then by title
    assert sorted(order, key=text.index) == ["Also New", "New One", "Old One", "No Date"]
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_group_by_type_from_config_and_attr(tmp_path: Path) -> None:
    pubs = [pub("a", "Conf", 2024), pub("b", "Jour", 2024, type="article", venue="J. Things"),
            pub("c", "Pre", 2024, type="misc", ids={"arxiv": "2401.00001"})]
    config = make_config(tmp_path, "[render]\ngroup_by_type = true\n")
    text = render(config, pubs)
    labels = re.findall(r"^\*(.+)\*$", text, re.M)
    assert labels == ["Journal articles", "Conference papers", "Preprints"]
    plain = make_config(tmp_path)  # rewritten without [render]
    assert "*Preprints*" not in render(plain, pubs)
    assert "*Preprints*" in render(plain, pubs, group_by_type="true")


def test_owner_highlighted_in_both_formats(tmp_path: Path) -> None:
    pubs = [pub("a", authors=[person("Sam Lee"), Person(given="R.", family="Dubois-Kaur")])]
    config = make_config(tmp_path)
    assert "Sam Lee, **R. Dubois-Kaur**." in render(config, pubs)
    assert "Sam Lee, <strong>R. Dubois-Kaur</strong>." in render(config, pubs, "html")


def test_long_author_list_keeps_the_owner(tmp_path: Path) -> None:
    names = [f"Author{i} X{i}" for i in range(12)]
    authors = [person(n) for n in names[:8]] + [person("Renée Dubois-Kaur")] + [
        person(n) for n in names[8:]]
    text = render(make_config(tmp_path), [pub("a", authors=authors)], max_authors="3")
    assert "Author0 X0, Author1 X1, …, **Renée Dubois-Kaur**, et al." in text
    assert "Author2" not in text and "Author8" not in text


def test_short_list_and_truncated_authors(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    text = render(config, [pub("a", authors=[person("Ann Li"), person("Renée Dubois-Kaur")],
                               authors_truncated=True)])
    assert "Ann Li, **Renée Dubois-Kaur**, et al. A Title." in text
    first = render(config, [pub("a", authors=[person("Renée Dubois-Kaur")] + [
        person(f"A{i} B{i}") for i in range(5)])], max_authors="2")
    assert "**Renée Dubois-Kaur**, A0 B0, et al." in first


def test_entry_fields_links_citations_selected(tmp_path: Path) -> None:
    item = pub("a", "Counting", 2024, venue=COGSCI,
               ids={"doi": "10.1000/xyz", "arxiv": "2311.15194", "escholarship": "5cz2v6d5"},
               links={"pdf": "https://example.org/a.pdf", "code": "https://github.com/x/y"},
               citations={"scholar": 7}, citations_read={"scholar": "2024-06-01"},
               selected=True)
    text = render(make_config(tmp_path), [item])
    assert text.startswith("#### 2024\n\n- ★ **Renée Dubois-Kaur**, Sam Lee. Counting. *" + COGSCI
                           + "*, 2024. [PDF](https://example.org/a.pdf) · ")
    for link in ("[eScholarship](https://escholarship.org/uc/item/5cz2v6d5)",
                 "[arXiv](https://arxiv.org/abs/2311.15194)", "[DOI](https://doi.org/10.1000/xyz)",
                 "[Code](https://github.com/x/y)"):
        assert link in text
    assert "Cited by 7 (Google Scholar, 2024-06-01)." in text
    html = render(make_config(tmp_path), [item], "html")
    assert '<li class="selected">' in html
    assert '<a href="https://doi.org/10.1000/xyz">DOI</a>' in html


def test_attribute_filters(tmp_path: Path) -> None:
    pubs = [pub("a", "Alpha", 2024, selected=True), pub("b", "Beta", 2022),
            pub("c", "Gamma", 2020, type="article"), pub("d", "Delta", 2023)]
    config = make_config(tmp_path)
    assert re.findall(r"(Alpha|Beta|Gamma|Delta)", render(config, pubs, limit="2")) == [
        "Alpha", "Delta"]
    assert "Alpha" in render(config, pubs, selected="true")
    assert "Beta" not in render(config, pubs, selected="true")
    assert re.findall(r"(Alpha|Beta|Gamma|Delta)", render(config, pubs, year="2021-2023")) == [
        "Delta", "Beta"]
    assert re.findall(r"(Alpha|Beta|Gamma|Delta)", render(config, pubs, type="article")) == [
        "Gamma"]
    flat = render(config, pubs, group="none", keys="c,a")
    assert "####" not in flat and re.findall(r"(Alpha|Gamma)", flat) == ["Gamma", "Alpha"]
    with pytest.raises(SectionError, match="limit='many'"):
        render(config, pubs, limit="many")


def test_empty_library_renders_nothing(tmp_path: Path) -> None:
    assert render(make_config(tmp_path), []) == ""


# -- safety -----------------------------------------------------------------------------------

HOSTILE_TITLE = "<script>alert(1)</script> **bold** | [x](javascript:alert(2)) _u_ `c`"
HOSTILE_VENUE = "Venue](javascript:alert(3)) <img src=x onerror=alert(4)>"
BAD_URLS = {"pdf": "javascript:alert(5)", "code": " JaVaScRiPt:alert(6)",
            "slides": "data:text/html,<script>alert(7)</script>", "url": "vbscript:x",
            "poster": "java\tscript:alert(8)", "video": "//evil.example/path"}


def hostile() -> list[Publication]:
    return [pub("h", HOSTILE_TITLE, 2024, venue=HOSTILE_VENUE, links=dict(BAD_URLS),
                authors=[person("<b>Eve</b> Evil"), person("Renée Dubois-Kaur")])]


def test_hostile_strings_in_markdown(tmp_path: Path) -> None:
    text = render(make_config(tmp_path), hostile())
    html = MD.render(text)
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "javascript" not in html.replace("(javascript:alert(2))", "").replace(
        "(javascript:alert(3))", "")  # only as visible text, never as a link
    assert not re.search(r'href="(?!https?:)', html)
    assert "<strong>" in html and html.count("<strong>") == 1  # only the owner, not **bold**
    assert "<em>" in html and "<em>u</em>" not in html
    assert "<code>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** | [x](javascript:alert(2))" in html
    assert "\\[x\\](javascript:alert(2))" in text and "*Venue\\](javascript:alert(3))" in text


def test_hostile_strings_in_html(tmp_path: Path) -> None:
    text = render(make_config(tmp_path), hostile(), "html")
    assert "<script" not in text and "<img" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(4)&gt;" in text
    assert "<strong>Renée Dubois-Kaur</strong>" in text
    assert re.findall(r'href="([^"]*)"', text) == []
    for scheme in ("javascript", "vbscript", "data:"):
        assert scheme not in text.lower().replace("(javascript:alert(2))", "").replace(
            "(javascript:alert(3))", "")


def test_liquid_and_marker_syntax_in_titles_is_neutralised(tmp_path: Path) -> None:
    title = "{{ site.secret }} {% include x %} <!-- scholarsync:end publications -->"
    text = render(make_config(tmp_path), [pub("a", title)])
    assert "{{" not in text and "{%" not in text and "<!--" not in text


def test_safe_url() -> None:
    assert safe_url("https://a.org/x?y=1") == "https://a.org/x?y=1"
    assert safe_url("mailto:me@example.org") == "mailto:me@example.org"
    for bad in ("javascript:alert(1)", "JAVASCRIPT:x", "data:text/html,x", "vbscript:x",
                "java\nscript:x", "//evil.example", "/relative", "https:no-slashes", "", None):
        assert safe_url(bad) == ""


def test_markdown_escaping_stays_readable() -> None:
    for plain in ("Understanding Infinity: Neural Network Models of Becoming a "
                  '"Cardinal Principle Knower"', "Smith & Jones: a 50% gain (2024)",
                  "Renée Dubois-Kaur, Sam Lee"):
        assert md_escape(plain) == plain


_TRICKY = st.lists(st.sampled_from(
    list("ab 1.)#-+=*_[]()<>!`\\|&;$~{}%:/\"'\t\né") + ["&amp;", "&#65;", "javascript:"]),
    max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TRICKY)
def test_markdown_escape_shows_exactly_the_text(text: str) -> None:
    plain = re.sub(r"\s+", " ", text).strip()
    if plain:
        html = MD.render("- " + md_escape(text))
        assert html == "<ul>\n<li>" + markdown_it.common.utils.escapeHtml(plain) + "</li>\n</ul>\n"


# -- research ---------------------------------------------------------------------------------

RESEARCH = """
[[research]]
title = "Teaching neural networks how to count"
summary = ", under the guidance of [Dr. Sashank Varma](https://psychology.gatech.edu/sashank-varma)"
publications = ["poster22", "arXiv:2311.15194v2", "not-a-known-key"]

[[research]]
title = "Scheduling LLM inference"
url = "https://example.org/sched"
"""


def research_pubs() -> list[Publication]:
    return [
        pub("poster22", "Counting Poster", 2022, venue=COGSCI, ids={"escholarship": "91z2p9h1"},
            fields={"keywords": "poster"}),
        pub("full24", "Understanding Infinity", 2024, venue=COGSCI,
            ids={"arxiv": "2311.15194", "escholarship": "5cz2v6d5"},
            links={"pdf": "https://escholarship.org/content/qt5cz2v6d5/qt5cz2v6d5.pdf"},
            fields={"keywords": "full paper", "pubstate": "accepted"}),
    ]


def test_research_section_reads_like_the_seed_page(tmp_path: Path) -> None:
    config = make_config(tmp_path, RESEARCH)
    text = render(config, research_pubs(), name="research")
    assert text == (
        "- Teaching neural networks how to count, under the guidance of [Dr. Sashank Varma]"
        "(https://psychology.gatech.edu/sashank-varma). "
        "[Poster at CogSci'22](https://escholarship.org/uc/item/91z2p9h1). "
        "[Full paper accepted at CogSci'24]"
        "(https://escholarship.org/content/qt5cz2v6d5/qt5cz2v6d5.pdf).\n"
        "- [Scheduling LLM inference](https://example.org/sched).\n")
    html = render(config, research_pubs(), "html", name="research")
    link = '<a href="https://escholarship.org/uc/item/91z2p9h1">Poster at CogSci&#39;22</a>'
    assert link in html


def test_unresolved_research_ref_is_reported(tmp_path: Path) -> None:
    config = make_config(tmp_path, RESEARCH)
    projects, problems = resolve_research(config, research_pubs())
    assert [p.key for p in projects[0].publications] == ["poster22", "full24"]
    assert projects[0].missing == ["not-a-known-key"]
    assert len(problems) == 1 and "not-a-known-key" in problems[0].message
    lines = (tmp_path / "scholarsync.toml").read_text().splitlines()
    assert "not-a-known-key" in lines[problems[0].line - 1]


def test_find_publication_by_any_identifier() -> None:
    target = pub("gupta2024infinity", ids={"doi": "10.1000/abc", "arxiv": "2311.15194v2",
                                           "escholarship": "5cz2v6d5"},
                 aliases=["other-key"])
    target.records.append(Record(source="scholar", key="k", ids={"scholar": "Yno2pxMAAAAJ:abc"}))
    pubs = [pub("x"), target]
    for ref in ("gupta2024infinity", "GUPTA2024INFINITY", "other-key", "10.1000/ABC",
                "https://doi.org/10.1000/abc", "2311.15194", "arXiv:2311.15194v1",
                "https://arxiv.org/abs/2311.15194", "5cz2v6d5", "qt5cz2v6d5",
                "https://escholarship.org/uc/item/5cz2v6d5",
                "https://escholarship.org/content/qt5cz2v6d5/qt5cz2v6d5.pdf",
                "Yno2pxMAAAAJ:abc"):
        assert find_publication(ref, pubs) is target, ref
    assert find_publication("10.1000/other", pubs) is None
    assert find_publication("nothing", pubs) is None


@pytest.mark.parametrize(("fields", "kw", "label"), [
    ({"keywords": "poster"}, {"venue": COGSCI, "year": 2022}, "Poster at CogSci'22"),
    ({"note": "Full paper", "pubstate": "forthcoming"}, {"venue": COGSCI, "year": 2024},
     "Full paper accepted at CogSci'24"),
    ({}, {"venue": "", "year": 2023, "type": "misc", "ids": {"arxiv": "2311.15194"}},
     "Preprint on arXiv'23"),
    ({}, {"venue": "arXiv preprint arXiv:2311.15194", "year": 2023, "type": "article",
          "ids": {"arxiv": "2311.15194"}}, "Preprint on arXiv'23"),
    ({}, {"venue": "Proceedings of the 29th Symposium on Widgets (SoW '23)", "year": 2023},
     "Paper at SoW'23"),
    ({}, {"venue": "Journal of Counting", "year": 2021, "type": "article"},
     "Paper in Journal of Counting'21"),
    ({}, {"venue": "", "year": None}, "Paper"),
])
def test_research_labels(fields: dict, kw: dict, label: str) -> None:
    assert research_label(pub("k", fields=fields, **kw)) == label


def test_venue_label() -> None:
    assert venue_label(COGSCI) == "CogSci"
    assert venue_label("Advances in Neural Information Processing Systems 36") == "NeurIPS"
    assert venue_label("Proceedings of the 2023 Conference on Things, volume 4") == (
        "Conference on Things")
    long = venue_label("International Workshop on Very Long Names of Things That Go On and On")
    assert len(long) <= 41 and long.endswith("…")


# -- templates --------------------------------------------------------------------------------

def test_default_templates_ship_with_the_package() -> None:
    for name in ("publications.md.j2", "publications.html.j2", "research.md.j2",
                 "research.html.j2"):
        assert (PACKAGE_TEMPLATES / name).is_file()


def test_user_overrides_one_template(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "publications.md.j2").write_text(
        "{% for e in entries %}* {{ e.title }} ({{ e.year }})\n{% endfor %}")
    (folder / "publications.html.j2").write_text("{% for e in entries %}<p>{{ e.title }}</p>"
                                                 "{% endfor %}")
    config = make_config(tmp_path, RESEARCH)
    assert config.render.templates == folder.resolve()
    pubs = research_pubs()
    assert render(config, pubs) == "* Understanding Infinity (2024)\n* Counting Poster (2022)\n"
    assert "[Poster at CogSci'22]" in render(config, pubs, name="research")  # still the default
    hostile_html = render(config, hostile(), "html")  # autoescape applies to user .html.j2 too
    assert "&lt;script&gt;" in hostile_html and "<script" not in hostile_html
    assert "\\*\\*bold\\*\\*" in render(config, hostile())  # and Markdown escaping to .md.j2


def test_missing_template_names_it_and_where_it_looked(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with pytest.raises(SectionError) as info:
        render(config, [], name="talks")
    assert "talks.md.j2" in str(info.value) and str(PACKAGE_TEMPLATES) in str(info.value)


def test_broken_user_template_is_a_section_error(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "publications.md.j2").write_text("{{ entries[0].nope }}")
    with pytest.raises(SectionError, match="publications.md.j2"):
        render(make_config(tmp_path), [pub("a")])
    (tmp_path / "templates" / "publications.md.j2").write_text("{% for %}")
    with pytest.raises(SectionError, match=r"publications.md.j2:1"):
        render(make_config(tmp_path), [pub("a")])


def test_page_format() -> None:
    assert page_format("site/index.md") == "md"
    assert page_format(Path("a.markdown")) == "md"
    assert page_format("a.HTML") == "html" and page_format("b.htm") == "html"


def test_links_attribute_limits_the_kinds_of_link_shown() -> None:
    from scholarsync.model import Person, Publication
    from scholarsync.outputs.pages.views import make_entry, select

    pub = Publication(key="k", title="T", authors=[Person("Vima", "Gupta")], year=2024,
                      links={"pdf": "https://x.org/a.pdf", "scholar": "https://scholar.google.com/c"},
                      ids={"doi": "10.1/x"})
    _, options = select([pub], {"links": "pdf, DOI"}, _config_for_links())
    entry = make_entry(pub, _config_for_links().profile, 10, options.links)
    assert list(entry.links) == ["pdf", "doi"]
    assert "scholar" in make_entry(pub, _config_for_links().profile, 10).links


def _config_for_links():
    from pathlib import Path

    from scholarsync.config import Config, SourceConfig

    return Config(path=Path("x.toml"), root=Path("."), sources=(SourceConfig("bibtex", 0),))
