"""Remembered output pieces (``cache/records/outputs/``): an incremental sync writes exactly what
a cold one writes; a changed template or option, or a corrupt memo file, costs only speed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scholarsync.app.sync import RunOptions, run_sync
from scholarsync.config import load_config
from scholarsync.model import Person, Publication
from scholarsync.outputs.memo import memo_folder
from scholarsync.outputs.pages.render import Renderer

WHOLE = Path(__file__).parent / "fixtures" / "templates_whole"  # the one-file templates

BIB = r"""@inproceedings{gupta2024infinity,
  title = {Understanding Infinity: {N}eural Network Models},
  author = {Gupta, Vima and Varma, Sashank and Lee, Sam and Roe, Ann and Moe, Bo},
  booktitle = {Proceedings of the Annual Meeting of the Cognitive Science Society},
  year = {2024}, month = dec, pages = {10--20}, volume = {46},
  eprint = {2311.15194}, archiveprefix = {arXiv}, url = {https://example.org/p.pdf},
}
@article{doe2020local,
  title = {A Work {{ Only }} in the <b>Bib</b> File *really*},
  author = {Doe, Jane and Gupta, Vima},
  journal = {Journal of Local {\&} Things},
  year = {2020}, doi = {10.1234/ABC.5},
}
@phdthesis{gupta2019thesis,
  title = {Counting to Infinity},
  author = {Gupta, Vima},
  school = {UC Merced},
  year = {2019}, selected = {true},
}
@book{ed2018,
  title = {Edited Volume},
  editor = {Gupta, Vima and Other, Ed},
  publisher = {Press},
  year = {2018},
}
"""

PAGE = "# Me\n\n<!-- scholarsync:begin publications -->\n<!-- scholarsync:end publications -->\n"
HTML = ("<main>\n<!-- scholarsync:begin publications group_by_type=true max_authors=2 -->\n"
        "<!-- scholarsync:end publications -->\n</main>\n")
OUTPUTS = {"bibtex": "out/publications.bib", "json": "out/publications.json",
           "data": "out/data.yml", "csl_json": "out/csl.json", "citations": "out/citations.yml"}


def make_site(root: Path, render: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "refs.bib").write_text(BIB, encoding="utf-8")
    (root / "index.md").write_text(PAGE, encoding="utf-8")
    (root / "papers.html").write_text(HTML, encoding="utf-8")
    outputs = "".join(f'{key} = "{path}"\n' for key, path in OUTPUTS.items())
    (root / "scholarsync.toml").write_text(f"""
[profile]
name = "Vima Gupta"
page = ["index.md", "papers.html"]

[[sources]]
kind = "bibtex"
paths = ["refs.bib"]

[outputs]
{outputs}
{render}
""", encoding="utf-8")
    return root


def sync(root: Path) -> None:
    run_sync(load_config(root / "scholarsync.toml"), RunOptions(today="2026-12-01"))


def written(root: Path) -> dict[str, bytes]:
    """Every file a sync writes: pages, outputs, the saved library."""
    names = ["index.md", "papers.html", "cache/library.json", *OUTPUTS.values()]
    return {name: (root / name).read_bytes() for name in names}


def cold_copy(root: Path) -> dict[str, bytes]:
    """What a sync of a copy without cache/records and cache/library.json writes."""
    cold = root.parent / (root.name + "-cold")
    shutil.copytree(root, cold)
    shutil.rmtree(cold / "cache" / "records", ignore_errors=True)
    (cold / "cache" / "library.json").unlink()
    sync(cold)
    files = written(cold)
    shutil.rmtree(cold)
    return files


def edit_bib(root: Path) -> None:
    text = (root / "refs.bib").read_text(encoding="utf-8")
    text = text.replace("Counting to Infinity", "Counting to Infinity, Revised")
    text += "@misc{new2025,\n  title = {A New Preprint},\n  author = {Gupta, Vima},\n" \
            "  year = {2025}, eprint = {2501.00001}, archiveprefix = {arXiv},\n}\n"
    (root / "refs.bib").write_text(text, encoding="utf-8")


def test_incremental_sync_writes_what_a_cold_sync_writes(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    sync(root)
    assert any(memo_folder(root / "cache").glob("*.json"))  # pieces were remembered
    edit_bib(root)
    sync(root)
    assert "Counting to Infinity, Revised" in (root / "index.md").read_text(encoding="utf-8")
    assert "new2025" in (root / "out/publications.bib").read_text(encoding="utf-8")
    assert written(root) == cold_copy(root)


def test_memo_tables_of_old_options_are_removed(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    sync(root)
    before = set(memo_folder(root / "cache").glob("*.json"))
    make_site(root, "[render]\nmax_authors = 2\n")
    sync(root)
    after = set(memo_folder(root / "cache").glob("*.json"))
    assert after != before and len(after) == len(before)


def test_a_changed_option_or_template_is_not_served_from_the_memo(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    sync(root)
    make_site(root, "[render]\nmax_authors = 1\n")  # a config option that the markup reads
    sync(root)
    assert "Varma" not in (root / "index.md").read_text(encoding="utf-8")
    assert written(root) == cold_copy(root)
    templates = root / "templates"  # a user's own entry template, then an edit of it
    templates.mkdir()
    entry = templates / "publications_entry.md.j2"
    entry.write_text("- {{ e.title }} ({{ e.key }})\n", encoding="utf-8")
    sync(root)
    assert "(gupta2019thesis)" in (root / "index.md").read_text(encoding="utf-8")
    entry.write_text("- {{ e.title }} [{{ e.key }}]\n", encoding="utf-8")
    sync(root)
    assert "[gupta2019thesis]" in (root / "index.md").read_text(encoding="utf-8")
    assert written(root) == cold_copy(root)


def test_a_corrupt_memo_file_is_ignored(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    sync(root)
    files = sorted(memo_folder(root / "cache").glob("*.json"))
    files[0].write_text('{"key": "nope", "data": {"x": "- stale entry"}}', encoding="utf-8")
    files[-1].write_bytes(files[-1].read_bytes()[:40])  # cut short
    edit_bib(root)
    sync(root)
    assert written(root) == cold_copy(root)
    assert b"stale entry" not in written(root)["index.md"]


def test_a_user_template_without_entry_renders_as_before(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    shutil.copytree(WHOLE, root / "templates")  # the one-file templates of earlier versions
    sync(root)
    whole = written(root)
    shutil.rmtree(root / "templates")
    sync(root)
    assert written(root) == whole  # the default templates write the same bytes


# -- the default templates: entry(e) writes what the one-file templates wrote ------------------

TEXT = st.lists(st.sampled_from([*"ab {}%#*_<>&\\`|[]$~-.!?\né", "{{", "{%", "et al."]),
                max_size=8).map("".join)


def _config(tmp_path: Path, whole: bool, render: str = ""):
    root = tmp_path / ("whole" if whole else "split")
    make_site(root, render + (f'[render]\ntemplates = "{WHOLE}"\n' if whole else ""))
    return load_config(root / "scholarsync.toml")


@settings(max_examples=60, deadline=None)
@given(titles=st.lists(TEXT, min_size=1, max_size=4), venue=TEXT, given_name=TEXT,
       selected=st.booleans(), cited=st.sampled_from([None, 0, 7]))
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_split_templates_equal_the_whole_ones(tmp_path_factory, fmt: str, titles: list[str],
                                              venue: str, given_name: str, selected: bool,
                                              cited: int | None) -> None:
    tmp = tmp_path_factory.mktemp("t")
    pubs = [Publication(key=f"k{i}", title=t or "x", year=2020 + i % 2, venue=venue,
                        type=("article", "phdthesis", "misc")[i % 3], selected=selected,
                        authors=[Person(given=given_name, family="Gupta"),
                                 Person(given="Vima", family="Gupta")],
                        citations={"scholar": cited} if cited is not None else {},
                        links={"pdf": "https://example.org/x.pdf"}, fields={"pages": "1--2"})
            for i, t in enumerate(titles)]
    for attrs in ({}, {"group_by_type": "true", "max_authors": "1", "links": "pdf"}):
        split = Renderer(_config(tmp, False)).render("publications", fmt, pubs, attrs)
        whole = Renderer(_config(tmp, True)).render("publications", fmt, pubs, attrs)
        assert split == whole


# -- the memo itself --------------------------------------------------------------------------

def test_a_piece_is_made_once_per_content_and_kept_per_options(tmp_path: Path) -> None:
    from scholarsync.core.library import Library
    from scholarsync.outputs.memo import Memos

    pubs = [Publication(key=f"k{i}", title=f"T{i}") for i in range(40)]
    made: list[str] = []

    def pieces(library: Library, *options: str) -> list[str]:
        memos = Memos(tmp_path, library)
        table = memos.table("test", *options)
        out = [table.get(p, lambda p=p: made.append(p.key) or f"<{p.title}>") for p in pubs]
        memos.save()
        return out

    first = pieces(Library(pubs))
    assert first == [f"<T{i}>" for i in range(40)] and len(made) == 40
    made.clear()
    assert pieces(Library(pubs)) == first and made == []  # read back
    pubs[3] = Publication(key="k3", title="Changed")
    assert pieces(Library(pubs))[3] == "<Changed>" and made == ["k3"]
    made.clear()
    pieces(Library(pubs), "other option")
    assert len(made) == 40  # another table
    outsider = Memos(tmp_path, Library(pubs[:1])).table("test")
    assert outsider.get(pubs[5], lambda: "made") == "made"  # not of this library: not kept


WORDS = st.sampled_from(["yes", "1e3", "2024-10-01", "a: b", "- x", "# c", "é", "\n", "'", '"',
                         "{{", "null", "", " ", "~", "0x1F", "12:30", "x" * 90])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.lists(WORDS, max_size=3).map("".join),
                          st.lists(WORDS, max_size=2).map("".join)), max_size=5))
def test_outputs_read_back_from_the_memo_write_what_they_write_without(
        tmp_path_factory, works: list[tuple[str, str]]) -> None:
    from scholarsync import outputs as registry
    from scholarsync.core.library import Library
    from scholarsync.outputs.memo import Memos

    tmp = tmp_path_factory.mktemp("o")
    config = load_config(make_site(tmp) / "scholarsync.toml")
    pubs = [Publication(key=f"k{i}", title=title, venue=venue, year=2020 + i,
                        authors=[Person(given="Vima", family=title or "Gupta")],
                        ids={"doi": f"10.1/{i}"} if i % 2 else {}, fields={"pages": venue},
                        links={"pdf": f"https://example.org/{i}.pdf"})
            for i, (title, venue) in enumerate(works)]
    library = Library(pubs)
    for key in ("bibtex", "json", "csl_json", "data"):
        for path in ("out/x.yml", "out/x.json"):
            output = registry.output_class(key)(tmp / path, config)
            expected = output.render(pubs)
            for _ in range(2):  # made, then read back
                memos = Memos(tmp / "memo", library)
                assert output.render_with(pubs, memos) == expected, (key, path)
                memos.save()
