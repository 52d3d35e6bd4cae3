"""Issue 9, what a user sees on the page and in the exports, through the CLI.

Every .bib text here is synthetic, written for these tests after entries seen in real files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from scholarsync.cli import cli
from tests import e2e, sitegen

HEAD = """[profile]
name = "Vima Gupta"
page = "{page}"
{profile}
[[sources]]
kind = "bibtex"
paths = ["refs.bib"]

[outputs]
bibtex = "out.bib"
csl_json = "out.json"
{extra}"""
MD_PAGE = "# Me\n\n<!-- scholarsync:begin publications -->\n<!-- scholarsync:end publications -->\n"
HTML_PAGE = ("---\nlayout: default\n---\n<h2>Publications</h2>\n"
             "<!-- scholarsync:begin publications -->\n<!-- scholarsync:end publications -->\n")


@dataclass
class Run:
    root: Path
    code: int
    out: str
    err: str

    @property
    def page(self) -> str:
        return next(p for p in (self.root / "site").iterdir()).read_text()

    @property
    def bib(self) -> str:
        return (self.root / "out.bib").read_text()

    @property
    def csl(self) -> list[dict]:
        return json.loads((self.root / "out.json").read_text())

    def section(self) -> str:
        text = self.page
        return text[text.index("scholarsync:begin"):text.index("scholarsync:end")]


def site(tmp_path: Path, bib: str, *, page: str = "index.md", page_text: str | None = None,
         profile: str = "", extra: str = "") -> Path:
    (tmp_path / "site").mkdir(exist_ok=True)
    for old in (tmp_path / "site").iterdir():
        old.unlink()
    (tmp_path / "refs.bib").write_text(bib)
    text = page_text if page_text is not None else (
        HTML_PAGE if page.endswith(".html") else MD_PAGE)
    (tmp_path / "site" / page).write_text(text)
    (tmp_path / "scholarsync.toml").write_text(
        HEAD.format(page=f"site/{page}", profile=profile, extra=extra))
    return tmp_path


def run(root: Path, *args: str, command: str = "sync") -> Run:
    result = CliRunner().invoke(cli, [command, "--config", str(root / "scholarsync.toml"), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(root, result.exit_code, result.stdout, result.stderr)


def sync(tmp_path: Path, bib: str, **kw: str) -> Run:
    return run(site(tmp_path, bib, **kw))


def bullets(section: str) -> list[str]:
    return [line for line in section.splitlines() if line.startswith("- ")]


# -- wrong things on the page ----------------------------------------------------------------

PROCEEDINGS = r"""@proceedings{conf2023,
  title = {Proceedings of the Big Conference},
  editor = {Smith, Ed and Jones, Ann},
  year = {2023},
  publisher = {ACM},
}
@inproceedings{child2023,
  title = {A Child Paper},
  author = {Gupta, Vima},
  crossref = {conf2023},
}
"""


def test_a_crossref_only_proceedings_is_not_a_publication(tmp_path: Path) -> None:
    result = sync(tmp_path, PROCEEDINGS)
    assert result.code == 0, result.err
    section = result.section()
    assert len(bullets(section)) == 1
    assert "Ed Smith" not in section  # editors are not shown as authors
    assert "*Proceedings of the Big Conference*, 2023" in section  # the child's venue
    assert "@proceedings" not in result.bib and "author = {Smith" not in result.bib
    assert "crossref" not in result.bib  # the child carries what it inherited
    assert "publisher = {ACM}" in result.bib


def test_an_edited_volume_is_exported_with_editors_not_an_invented_author(tmp_path: Path) -> None:
    volume = PROCEEDINGS.replace("crossref = {conf2023},", "booktitle = {Elsewhere},")
    bib = sync(tmp_path, volume).bib
    entry = bib[bib.index("@proceedings{conf2023"):].split("\n\n")[0]
    assert "editor = {Smith, Ed and Jones, Ann}" in entry and "author" not in entry
    assert "- Ed Smith, Ann Jones (eds.). Proceedings of the Big Conference." in (
        (tmp_path / "site" / "index.md").read_text())


BROKEN = r"""@article{good2021,
  title = {A Good Entry},
  author = {Gupta, Vima},
  journal = {J},
  year = {2021},
}

@article{broken2022,
  title = {A Missing Comma Breaks This Entry}
  author = {Garc{\'i}a-L{\'o}pez, Jos{\'e}},
  journal = {J},
  year = {2022},
}

@misc{empty2020,
}

@misc{untitled2019, note = {Only a note}}
"""


def test_a_broken_entry_and_an_empty_one_are_left_out_and_reported(tmp_path: Path) -> None:
    result = sync(tmp_path, BROKEN)
    assert result.code == 0, result.err
    section = result.section()
    assert bullets(section) and len(bullets(section)) == 1
    assert "Missing Comma" not in section and "Missing Comma" not in result.bib
    assert "textbrace" not in result.bib
    assert re.search(r"refs\.bib:8: .*broken2022.*skipped", result.err)
    assert re.search(r"refs\.bib:15: .*empty2020.*no fields", result.err)
    assert re.search(r"refs\.bib:18: .*untitled2019.*no title", result.err)
    assert "Only a note" in result.bib  # every parsed entry is exported (§5)
    assert "- \n" not in section and not re.search(r"<li>\s*(<span[^>]*></span>)?\s*</li>",
                                                  section)


ORDER = r"""@article{aaa2020, title = {Zeta Came in January}, author = {Gupta, Vima}, journal = {J},
  year = {2020}, month = jan}
@article{bbb2020, title = {Beta Came in November}, author = {Gupta, Vima}, journal = {J},
  year = {2020}, month = nov}
@article{ccc2020, title = {Alpha Has No Month}, author = {Gupta, Vima}, journal = {J},
  year = {2020}}
@article{ddd2020, title = {Omega Came on 3 November}, author = {Gupta, Vima}, journal = {J},
  date = {2020-11-03}}
@article{eee2020, title = {Gamma Has No Month Either}, author = {Gupta, Vima}, journal = {J},
  year = {2020}}
"""


def test_within_a_year_newest_date_first_then_title(tmp_path: Path) -> None:
    section = sync(tmp_path, ORDER).section()
    titles = [re.search(r"\. (\w+) ", line).group(1) for line in bullets(section)]
    assert titles == ["Omega", "Beta", "Zeta", "Alpha", "Gamma"]


KINDS = r"""@article{vol2021, title = {In a Journal}, author = {Gupta, Vima},
  journal = {Journal of Things}, volume = {8}, number = {2}, pages = {100--120}, year = {2021}}
@phdthesis{thesis2019, title = {My Thesis}, author = {Gupta, Vima}, school = {UC Merced},
  year = {2019}}
@techreport{report2018, title = {A Report}, author = {Gupta, Vima}, institution = {UC Merced},
  number = {TR-7}, year = {2018}}
@mastersthesis{ms2017, title = {Earlier Thesis}, author = {Gupta, Vima}, school = {UC Merced},
  year = {2017}}
"""


def test_volume_pages_and_thesis_and_report_kinds_are_shown(tmp_path: Path) -> None:
    section = sync(tmp_path, KINDS).section()
    assert "*Journal of Things*, vol. 8, no. 2, pp. 100–120, 2021." in section
    assert "My Thesis. PhD thesis, *UC Merced*, 2019." in section
    assert "A Report. Technical report TR-7, *UC Merced*, 2018." in section
    assert "Earlier Thesis. Master's thesis, *UC Merced*, 2017." in section
    html = run(site(tmp_path, KINDS, page="index.html")).section()
    assert "PhD thesis, <em>UC Merced</em>, 2019." in html


LINKS = r"""@article{rel2021, title = {Relative Links}, author = {Gupta, Vima}, journal = {J},
  year = {2021}, pdf = {paper.pdf}, poster = {/assets/pdf/poster.pdf},
  slides = {//evil.example/x}, code = {javascript:alert(1)}}
"""


def test_relative_links_in_the_bib_stay_relative_to_the_site(tmp_path: Path) -> None:
    section = sync(tmp_path, LINKS).section()
    assert "[PDF](paper.pdf)" in section and "(/assets/pdf/poster.pdf)" in section
    assert "evil" not in section and "javascript" not in section
    html = run(site(tmp_path, LINKS, page="index.html")).section()
    assert '<a href="paper.pdf">PDF</a>' in html and 'href="/assets/pdf/poster.pdf"' in html
    listed = run(tmp_path, "--json", command="list")
    assert json.loads(listed.out)[0]["links"]["pdf"] == "paper.pdf"


MATH = r"""@article{math2021, title = {Regret $O(\sqrt{T \log T})$ and $O(n \log n)$ Sorting},
  author = {Gupta, Vima}, journal = {J}, year = {2021}}
"""


def test_math_in_a_title_stays_readable(tmp_path: Path) -> None:
    result = sync(tmp_path, MATH)
    section = result.section()
    assert r"\$O(\\sqrt{T \\log T})\$" in section  # the TeX, escaped for Markdown
    assert "O(n log n) Sorting" in section  # simple math as text, spaces kept
    assert "√T logT" not in section
    listed = json.loads(run(tmp_path, "--json", command="list").out)
    assert listed[0]["title"] == r"Regret $O(\sqrt{T \log T})$ and O(n log n) Sorting"


TACL = r"""@article{tacl2024, title = {A Journal Paper}, author = {Gupta, Vima},
  journal = {Transactions of the Association for Computational Linguistics}, year = {2024}}
@inproceedings{acl2024, title = {A Conference Paper}, author = {Gupta, Vima},
  booktitle = {Proceedings of the 62nd Annual Meeting of the Association for Computational
  Linguistics}, year = {2024}}
"""
RESEARCH = """
[[research]]
title = "Language"
publications = ["tacl2024", "acl2024"]
"""
RESEARCH_PAGE = ("# Me\n\n<!-- scholarsync:begin research -->\n"
                 "<!-- scholarsync:end research -->\n")


def test_tacl_is_not_labelled_acl(tmp_path: Path) -> None:
    result = sync(tmp_path, TACL, page_text=RESEARCH_PAGE, extra=RESEARCH)
    assert result.code == 0, result.err
    section = result.section()
    assert "TACL'24" in section and "ACL'24" in section.replace("TACL'24", "")
    assert "in ACL'24" not in section


def test_no_author_differs_warning_for_spellings_of_one_name(tmp_path: Path) -> None:
    (tmp_path / "a.bib").write_text(
        "@article{a2020, title = {Same Work}, journal = {J}, year = {2020},\n"
        r"  author = {D{\"u}rr, Anna and {\O}stergaard, Karl and Garc{\'i}a-L{\'o}pez, Jos{\'e}}}"
        "\n")
    (tmp_path / "b.bib").write_text(
        "@article{b2020, title = {Same Work}, journal = {J}, year = {2020},\n"
        "  author = {Anna Duerr and Karl Ostergaard and José García-López}}\n")
    (tmp_path / "c.bib").write_text(
        "@article{c2020, title = {Same Work}, journal = {J}, year = {2020},\n"
        "  author = {Anna Duerr and Karl Other and José García-López}}\n")
    config = tmp_path / "scholarsync.toml"
    config.write_text('[[sources]]\nkind = "bibtex"\npaths = ["a.bib", "b.bib"]\n')
    result = run(tmp_path)
    assert result.code == 0 and "differs" not in result.err + result.out
    config.write_text('[[sources]]\nkind = "bibtex"\npaths = ["a.bib", "c.bib"]\n')
    result = run(tmp_path)  # a real difference is still reported
    assert "author differs" in result.err


# -- what the exports change that they should not --------------------------------------------

EXPORTED = r"""@article{vdb2021, title = {Particles}, journal = {J}, year = {2021}, month = dec,
  author = {van der Berg, Jan and Beethoven, Ludwig van and de La Fontaine, Jean},
  doi = {10.1162/TACL_a_00001}, url = {https://doi.org/10.1162/TACL_a_00001},
  note = {Also as DOI 10.1162/TACL_a_00001}}
"""


def test_exports_keep_month_macros_doi_case_and_name_particles(tmp_path: Path) -> None:
    result = sync(tmp_path, EXPORTED)
    assert result.code == 0, result.err
    bib = result.bib
    assert "  month = dec,\n" in bib
    assert "doi = {10.1162/tacl_a_00001}" in bib  # the doi field, normalized (§5)
    assert "url = {https://doi.org/10.1162/TACL_a_00001}" in bib  # the user's own fields
    assert "note = {Also as DOI 10.1162/TACL_a_00001}" in bib
    (item,) = result.csl
    assert item["author"] == [
        {"family": "Berg", "given": "Jan", "non-dropping-particle": "van der"},
        {"family": "Beethoven", "given": "Ludwig", "dropping-particle": "van"},
        {"family": "La Fontaine", "given": "Jean", "non-dropping-particle": "de"}]
    assert item["issued"] == {"date-parts": [[2021, 12]]}
    again = run(tmp_path)  # the export re-reads as the same months, and is stable
    assert again.bib == bib


EXCLUDE = r"""@article{mine2021, title = {My Own Paper}, author = {Gupta, Vima}, journal = {J},
  year = {2021}}
@article{other2021, title = {Someone Else's Paper}, author = {Gupta, Vika}, journal = {J},
  year = {2021}}
@article{third2020, title = {Another Stranger's Work}, author = {Gupta, V.}, journal = {J},
  year = {2020}, doi = {10.1000/Stranger}}
"""


def test_profile_exclude_keeps_works_out_of_every_output(tmp_path: Path) -> None:
    profile = ('exclude = ["someone else\'s paper", "https://doi.org/10.1000/stranger", '
               '"nothing-like-this"]')
    result = sync(tmp_path, EXCLUDE, profile=profile)
    assert result.code == 0, result.err
    everything = result.section() + result.bib + json.dumps(result.csl) + (
        tmp_path / "cache" / "library.json").read_text()
    assert "My Own Paper" in everything
    assert "Someone Else" not in everything and "Stranger" not in everything
    assert re.search(r"scholarsync\.toml: .*'nothing-like-this' matches no publication",
                     result.err)
    listed = run(tmp_path, "--json", command="list")
    assert [p["key"] for p in json.loads(listed.out)] == ["mine2021"]
    exported = run(tmp_path, "--format", "json", command="export")
    assert [p["key"] for p in json.loads(exported.out)] == ["mine2021"]


def test_an_output_over_an_input_is_a_config_error(tmp_path: Path) -> None:
    bib = "% my notes\n@string{me = {Gupta, Vima}}\n" + EXCLUDE
    for key, target in (("bibtex", "refs.bib"), ("csl_json", "site/index.md"),
                        ("bibtex", "./site/../refs.bib")):
        root = site(tmp_path, bib)
        config = root / "scholarsync.toml"
        config.write_text(config.read_text().replace(
            f'{key} = "out.{"bib" if key == "bibtex" else "json"}"', f'{key} = "{target}"'))
        before = {p: p.read_bytes() for p in (root / "refs.bib", root / "site" / "index.md")}
        result = run(root)
        assert result.code == 2, (target, result.err)
        assert f"outputs.{key}" in result.err and "also an input" in result.err
        assert "Traceback" not in result.err
        assert {p: p.read_bytes() for p in before} == before


# -- dangerous input -------------------------------------------------------------------------

LIQUID = r"""@article{liq2020,
  title = {Leak \{\{ site.github.token \}\} then \{% include secret.html %\} \{\{< hugo >\}\}},
  author = {Gupta, Vima and \{\{site.x\}\}, Eve},
  journal = {Journal \{% raw %\}},
  year = {2020}, note = {\{\{ note \}\}}, keywords = {\{\{k\}\}}}
@article{split2021, title = {Ends in a brace \{}, author = {Gupta, Vima},
  journal = {\{ starts in one}, year = {2021}}
"""
LIQUID_TAG = re.compile(r"\{[{%]")


def test_liquid_delimiters_are_escaped_in_html_pages_with_front_matter(tmp_path: Path) -> None:
    result = sync(tmp_path, LIQUID, page="index.html")
    assert result.code == 0, result.err
    section = result.section()
    assert "site.github.token" in section and "include secret.html" in section  # shown
    assert LIQUID_TAG.findall(section) == []  # figure: Liquid tags surviving, must be 0
    assert LIQUID_TAG.findall(result.page.replace(section, "")) == []
    assert "&#123;{ site.github.token }}" in section
    md = sync(tmp_path, LIQUID).section()  # the Markdown path, as before
    assert LIQUID_TAG.findall(md) == [] and "site.github.token" in md


ESCAPES = ("@article{esc2020, title = {Click \x1b]8;;https://evil.example/\x07here\x1b]8;;\x07"
           " \x1b[2J\x1b[31mred\x1b[0m \x07\u202etxet}, author = {Gupta, Vima},\n"
           "  journal = {J}, year = {2020}}\n"
           "@article{esc2021, title = {Broken \x1b[1m, author = {Gupta, Vima}, year = {2021}}\n")
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")


def test_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    root = site(tmp_path, ESCAPES)
    dry = run(root, "--dry-run")  # the diff of the page, with the titles in it
    assert "Click here" in dry.out + dry.err and not RAW.search(dry.out + dry.err)
    result = run(root)  # the human report: a new title is listed in it
    assert "+ esc2020: Click here red" in result.out
    assert not RAW.search(result.out) and not RAW.search(result.err)
    listed = run(root, command="list")
    assert "esc2020\t2020\tClick here red txet\t[bibtex]" in listed.out
    assert not RAW.search(listed.out) and not RAW.search(listed.err)


def test_a_markdown_page_may_name_an_html_template(tmp_path: Path) -> None:
    page = ("---\nlayout: page\n---\n# Me\n\n"
            "<!-- scholarsync:begin publications template=publications.html.j2 -->\n"
            "<!-- scholarsync:end publications -->\n")
    result = sync(tmp_path, KINDS + LIQUID, page_text=page)
    assert result.code == 0, result.err
    section = result.section()
    assert '<ul class="publications">' in section and "<strong>Vima Gupta</strong>" in section
    assert "- " not in section.replace("<!-- ", "")
    assert LIQUID_TAG.findall(section) == []  # a .md page is processed by Jekyll too
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "mine.html.j2").write_text(
        "{% for e in entries %}<p>{{ e.title }}</p>\n{% endfor %}")
    result = run(site(tmp_path, KINDS, page_text=page.replace("publications.html.j2",
                                                              "mine.html.j2")))
    assert "<p>My Thesis</p>" in result.section()
    bad = run(site(tmp_path, KINDS, page_text=page.replace("publications.html.j2",
                                                           "../../etc/passwd")))
    assert bad.code != 0 and "template=" in bad.out + bad.err and "Traceback" not in bad.err


WEB_ROWS = [
    sitegen.Row("liquidliqC", "Leak {{ site.github.token }} and {% include secret.html %}",
                "V Gupta, {{ site.x }} Other", "Workshop {%- raw -%} on Things", 2023, 4),
    sitegen.Row("escapesesC", "Click \x1b]8;;https://evil.example/\x07here\x1b]8;;\x07 now",
                "V Gupta", "Venue \x1b[2J", 2022, None),
]


def test_hostile_web_titles_cannot_run_liquid_or_drive_the_terminal(
        tmp_path: Path, httpserver: HTTPServer) -> None:
    def handle(request: Request) -> Response:
        if request.path == "/robots.txt":
            return Response(sitegen.ROBOTS_SCHOLAR, content_type="text/plain")
        page = sitegen.profile_page(e2e.USER, "Vima Gupta", WEB_ROWS)
        return Response(page, content_type="text/html; charset=utf-8")

    httpserver.expect_request("", method="GET").respond_with_handler(handle)
    base = httpserver.url_for("/").rstrip("/")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(HTML_PAGE)
    (tmp_path / "scholarsync.toml").write_text(
        sitegen.config_toml(base, user=e2e.USER, page="site/index.html"))
    result = run(tmp_path)
    assert result.code == 0, result.err
    section = result.section()
    assert "site.github.token" in section and "include secret.html" in section
    assert LIQUID_TAG.findall(result.page) == []  # figure: 0 Liquid tags survive
    assert "+ " in result.out and "Click here now" in result.out
    assert not RAW.search(result.out + result.err)
    listed = run(tmp_path, command="list")
    assert "Click here now" in listed.out and not RAW.search(listed.out + listed.err)


def test_terminal_escape_sequences_never_reach_the_page(tmp_path: Path) -> None:
    osc = "\x1b]8;;https://evil.example\x1b\\Click\x1b]8;;\x1b\\"
    bib = ("@article{esc2024, title = {A Title " + osc + " With Tricks\x07}, author = {Gupta, "
           "Vima}, year = 2024}\n")
    for page in ("index.md", "index.html"):
        result = sync(tmp_path, bib, page=page)
        assert result.code == 0, result.err
        assert "\x1b" not in result.page and "\x07" not in result.page
        assert "Click" in result.page and "With Tricks" in result.page
