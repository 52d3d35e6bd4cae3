"""academicpages and Hugo Blox skeletons synced end to end: golden folders, the stacks' own
conventions, and who owns which file (CONTRACT §9).

Regenerate the golden folders after an intended change with
``SCHOLARSYNC_REGEN=1 python -m pytest tests/test_stacks_sync.py`` and review the diff.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import bibtexparser
import pytest

from scholarsync import frontmatter
from tests.expected import regenerating
from tests.stack_sites import (
    FOLDERS,
    GOLDEN,
    copy_stack,
    edit_bib,
    listing,
    sync,
    sync_process,
    tool_files,
    tree,
)

STACKS = ["academicpages", "hugo"]
HAND = {"academicpages": ["2009-10-01-learning-to-count-sheep.md",
                          "2015-06-01-an-old-workshop-talk.md"],
        "hugo": ["counting-by-hand/index.md", "counting-by-hand/cite.bib", "_index.md"]}
DOE = {"academicpages": "2020-01-01-counting-sheep-goats-a-field-study.md",
       "hugo": "counting-sheep-goats-a-field-study/index.md"}
NOTES = {"academicpages": ["2023-01-01-a-note-on-counting.md",
                           "2023-01-01-a-note-on-counting-2.md"],
         "hugo": ["a-note-on-counting/index.md", "a-note-on-counting-2023/index.md"]}


def _golden(stack: str, produced: dict[str, bytes]) -> None:
    folder = GOLDEN / stack
    if regenerating():
        shutil.rmtree(folder, ignore_errors=True)
        for name, data in produced.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
    assert folder.is_dir(), f"{folder} missing: run with SCHOLARSYNC_REGEN=1"
    expected = tree(folder)
    assert sorted(produced) == sorted(expected)
    for name, data in produced.items():
        assert data == expected[name], f"{stack}: {name} differs from the golden file"


@pytest.mark.parametrize("stack", STACKS)
def test_fresh_skeleton_syncs_to_the_golden_folder(stack: str, tmp_path: Path) -> None:
    site = copy_stack(stack, tmp_path)
    before = tree(site / FOLDERS[stack])
    proc = sync_process(site)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    after = tree(site / FOLDERS[stack])
    _golden(stack, after)
    for name in HAND[stack]:  # the user's files, byte for byte
        assert after[name] == before[name]


@pytest.mark.parametrize("stack", STACKS)
def test_second_sync_changes_nothing(stack: str, tmp_path: Path) -> None:
    site = copy_stack(stack, tmp_path)
    assert sync(site).returncode == 0
    first = tree(site / FOLDERS[stack])
    (site / "cache" / "state.json").unlink(missing_ok=True)  # no fast path: plan again
    proc = sync(site, "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert tree(site / FOLDERS[stack]) == first


def test_academicpages_front_matter_is_yaml_in_its_vocabulary(tmp_path: Path) -> None:
    site = copy_stack("academicpages", tmp_path)
    assert sync(site).returncode == 0
    files = tool_files(site, "academicpages")
    assert len(files) == 5
    for name, data in files.items():
        doc = frontmatter.parse(data.decode("utf-8"))
        assert doc.has_front_matter
        for key in ("title", "collection", "category", "permalink", "date", "venue",
                    "citation", "citation_title", "citation_publication_date"):
            assert key in doc.data, (name, key)
        assert doc.data["collection"] == "publications"
        assert doc.data["category"] in ("manuscripts", "conferences", "books")
        assert doc.data["permalink"] == "/publication/" + name.removesuffix(".md")
        assert name.startswith(doc.data["date"].isoformat() + "-")
        assert doc.owner_key and doc.checksum.startswith("sha256:")
    doe = frontmatter.parse(files[DOE["academicpages"]].decode()).data
    assert doe["paperurl"] == "https://example.org/files/doe2020.pdf"
    assert doe["citation_doi"] == "10.1234/jlt.2020.12"
    assert doe["citation_author"] == ["Jane Doe", "Vima Gupta"]
    assert doe["title"] == "Counting Sheep &amp; Goats: A Field Study"  # printed as HTML
    infinity = frontmatter.parse(
        files["2024-07-01-understanding-infinity-neural-network-models.md"].decode()).data
    assert infinity["citation_publication_date"] == "2024/07/01"
    assert infinity["category"] == "conferences"
    assert infinity["slidesurl"] == "https://example.org/files/infinity-slides.pdf"
    assert infinity["paperurl"] == "https://arxiv.org/abs/2311.15194"  # no PDF: the preprint


def test_hugo_bundles_in_hugo_blox_vocabulary_and_cite_bib_reparses(tmp_path: Path) -> None:
    site = copy_stack("hugo", tmp_path)
    assert sync(site).returncode == 0
    files = tool_files(site, "hugo")
    mains = {n: d for n, d in files.items() if n.endswith("index.md")}
    assert len(mains) == 5 and len(files) == 10
    for name, data in mains.items():
        doc = frontmatter.parse(data.decode("utf-8"))
        for key in ("title", "authors", "date", "publishDate", "publication_types",
                    "featured", "citation_title"):
            assert key in doc.data, (name, key)
        assert "admin" in doc.data["authors"]  # the owner, as Hugo Blox names them
        assert "Vima Gupta" not in doc.data["authors"]
        bib = files[name.replace("index.md", "cite.bib")].decode("utf-8")
        library = bibtexparser.parse_string(bib)
        assert not library.failed_blocks
        assert [e.key for e in library.entries] == [doc.owner_key]
    doe = frontmatter.parse(mains[DOE["hugo"]].decode()).data
    assert doe["featured"] is True  # selected = {true}
    assert doe["doi"] == "10.1234/jlt.2020.12"
    assert doe["url_pdf"] == "https://example.org/files/doe2020.pdf"
    assert doe["publication_types"] == ["article-journal"]
    assert doe["authors"] == ["Jane Doe", "admin"]
    assert doe["publication"] == "Journal of Local Things" and doe["publication_short"] == "JLT"
    infinity = frontmatter.parse(
        mains["understanding-infinity-neural-network-models/index.md"].decode()).data
    assert infinity["url_code"] == "https://github.com/example/infinity"
    assert infinity["url_slides"] == "https://example.org/files/infinity-slides.pdf"
    assert infinity["links"] == [{"name": "arXiv", "url": "https://arxiv.org/abs/2311.15194"}]
    assert infinity["hugoblox"] == {"ids": {"arxiv": "2311.15194"}}
    assert infinity["publication_types"] == ["paper-conference"]


@pytest.mark.parametrize("stack", STACKS)
def test_a_hand_made_file_means_none_is_written_and_it_is_read_once(stack: str,
                                                                    tmp_path: Path) -> None:
    site = copy_stack(stack, tmp_path)
    assert sync(site).returncode == 0
    keys = [frontmatter.parse(d.decode()).owner_key for n, d in tool_files(site, stack).items()
            if not n.endswith(".bib")]
    assert "gupta2009sheep" not in keys  # the user's own page stands for it
    pubs = listing(site)
    sheep = [p for p in pubs if "sheep" in p["title"].lower() and "goats" not in
             p["title"].lower()]
    assert len(sheep) == 1  # read as a record and matched, not duplicated
    assert set(sheep[0]["sources"]) == {"bibtex", stack}


def test_a_work_only_a_hand_page_knows_is_a_publication_with_no_tool_file(tmp_path) -> None:
    site = copy_stack("academicpages", tmp_path)
    assert sync(site).returncode == 0
    talk = [p for p in listing(site) if p["title"] == "An Old Workshop Talk on Tallies"]
    assert len(talk) == 1 and talk[0]["sources"] == ["academicpages"]
    assert talk[0]["year"] == 2015 and talk[0]["venue"] == "Workshop on Tallies"
    assert not any("tallies" in n for n in tool_files(site, "academicpages"))


@pytest.mark.parametrize("stack", STACKS)
def test_two_works_of_one_title_and_year_get_two_files(stack: str, tmp_path: Path) -> None:
    site = copy_stack(stack, tmp_path)
    assert sync(site).returncode == 0
    files = tool_files(site, stack)
    keys = {frontmatter.parse(files[n].decode()).owner_key for n in NOTES[stack]}
    assert keys == {"gupta2023notea", "gupta2023noteb"}


@pytest.mark.parametrize("stack", STACKS)
def test_names_are_stable_when_a_title_changes(stack: str, tmp_path: Path) -> None:
    site = copy_stack(stack, tmp_path)
    assert sync(site).returncode == 0
    edit_bib(site, "Counting Sheep \\& Goats: A Field Study", "Counting Sheep and Goats")
    assert sync(site).returncode == 0
    doc = frontmatter.parse((site / FOLDERS[stack] / DOE[stack]).read_text())
    assert doc.data["citation_title"] == "Counting Sheep and Goats"
    assert doc.owner_key == "doe2020local"
    assert not any("sheep-and-goats" in n for n in tree(site / FOLDERS[stack]))


@pytest.mark.parametrize("stack", STACKS)
def test_a_removed_publication_loses_its_file_and_hand_files_stay(stack: str,
                                                                  tmp_path: Path) -> None:
    site = copy_stack(stack, tmp_path)
    assert sync(site).returncode == 0
    before = tree(site / FOLDERS[stack])
    start = (site / "bib" / "mine.bib").read_text().index("@article{doe2020local")
    text = (site / "bib" / "mine.bib").read_text()
    end = text.index("@inproceedings", start)
    (site / "bib" / "mine.bib").write_text(text[:start] + text[end:])
    proc = sync(site)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = tree(site / FOLDERS[stack])
    assert DOE[stack] not in after
    assert DOE[stack].replace("index.md", "cite.bib") not in after
    for name in HAND[stack]:
        assert after[name] == before[name]
    assert {n for n in before if n not in after} == {DOE[stack], DOE[stack].replace(
        "index.md", "cite.bib")}


@pytest.mark.parametrize("stack", STACKS)
def test_a_hand_edited_tool_file_is_refused_unless_force(stack: str, tmp_path: Path) -> None:
    site = copy_stack(stack, tmp_path)
    assert sync(site).returncode == 0
    path = site / FOLDERS[stack] / DOE[stack]
    edited = path.read_text().replace("Journal of Local Things", "My Own Venue Name", 1)
    path.write_text(edited)
    edit_bib(site, "journal = {Journal of Local Things}", "journal = {Journal of Far Things}")
    edit_bib(site, "@article{gupta2009sheep", "@misc{gupta2021new,\n  title = {A Brand New "
             "Work},\n  author = {Gupta, Vima},\n  year = {2021},\n}\n@article{gupta2009sheep")
    proc = sync(site)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert str(path) in proc.stdout + proc.stderr and "edited by hand" in proc.stdout + proc.stderr
    assert path.read_text() == edited  # not overwritten
    new = [n for n in tree(site / FOLDERS[stack]) if "a-brand-new-work" in n]
    assert new  # the rest of the folder was still written
    proc = sync(site, "--force")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Journal of Far Things" in path.read_text()
    assert "My Own Venue Name" not in path.read_text()


def test_a_hand_edited_cite_bib_counts_as_an_edit(tmp_path: Path) -> None:
    site = copy_stack("hugo", tmp_path)
    assert sync(site).returncode == 0
    bib = site / FOLDERS["hugo"] / DOE["hugo"].replace("index.md", "cite.bib")
    bib.write_text(bib.read_text().replace("year = {2020}", "year = {2020},\n  note = {mine}"))
    edit_bib(site, "journal = {Journal of Local Things}", "journal = {Journal of Far Things}")
    proc = sync(site)
    assert proc.returncode == 1
    assert "note = {mine}" in bib.read_text()


def test_a_file_the_user_took_over_is_theirs(tmp_path: Path) -> None:
    """Removing the scholarsync lines makes a tool file the user's: never touched again,
    and read as their page for the work."""
    site = copy_stack("academicpages", tmp_path)
    assert sync(site).returncode == 0
    path = site / "_publications" / DOE["academicpages"]
    text = path.read_text()
    mine = text[:text.index("scholarsync:\n")] + text[text.index("---", text.index(
        "scholarsync:\n")):]
    path.write_text(mine.replace("Journal of Local Things", "My Journal", 1))
    edit_bib(site, "volume = {12}", "volume = {13}")
    assert sync(site).returncode == 0
    assert path.read_text() == mine.replace("Journal of Local Things", "My Journal", 1)
    assert not any(frontmatter.parse(d.decode()).owner_key == "doe2020local"
                   for d in tool_files(site, "academicpages").values())


def test_a_missing_reader_folder_is_a_config_error(tmp_path: Path) -> None:
    site = copy_stack("academicpages", tmp_path)
    shutil.rmtree(site / "_publications")
    proc = sync(site)
    assert proc.returncode == 2
    assert "path" in proc.stderr + proc.stdout and "Traceback" not in proc.stderr


def test_a_hand_page_made_later_replaces_the_tools_copy(tmp_path: Path) -> None:
    site = copy_stack("academicpages", tmp_path)
    assert sync(site).returncode == 0
    tool = site / "_publications" / DOE["academicpages"]
    assert tool.exists()
    mine = site / "_publications" / "doe-field-study.md"
    mine.write_text("---\ntitle: 'Counting sheep and goats: a field study'\ndate: 2020-05-01\n"
                    "venue: 'J. Local Things'\ncitation_doi: '10.1234/JLT.2020.12'\n---\nMine.\n")
    proc = sync(site)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not tool.exists()  # the user's page stands for the work now
    assert mine.read_text().endswith("Mine.\n")
    doe = [p for p in listing(site) if p["ids"].get("doi") == "10.1234/jlt.2020.12"]
    assert len(doe) == 1 and set(doe[0]["sources"]) == {"bibtex", "academicpages"}


@pytest.mark.parametrize("stack", STACKS)
def test_hand_files_count_without_a_reader_source(stack: str, tmp_path: Path) -> None:
    """The output reads its folder itself: a hand-made file for a work still means none."""
    site = copy_stack(stack, tmp_path)
    config = site / "scholarsync.toml"
    text = config.read_text()
    start = text.index("[[sources]]\nkind = \"" + stack)
    config.write_text(text[:start] + text[text.index("[outputs]"):])
    proc = sync(site)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    keys = {frontmatter.parse(d.decode()).owner_key for n, d in tool_files(site, stack).items()
            if not n.endswith(".bib")}
    assert "gupta2009sheep" not in keys and "doe2020local" in keys
    assert all(p["sources"] == ["bibtex"] for p in listing(site))


@pytest.mark.parametrize("stack", STACKS)
def test_a_work_whose_key_changes_keeps_its_file(stack: str, tmp_path: Path) -> None:
    site = copy_stack(stack, tmp_path)
    assert sync(site).returncode == 0
    before = set(tree(site / FOLDERS[stack]))
    edit_bib(site, "@article{doe2020local", "@article{doe2020field")
    proc = sync(site)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(tree(site / FOLDERS[stack])) == before  # same names, none added or deleted
    doc = frontmatter.parse((site / FOLDERS[stack] / DOE[stack]).read_text())
    assert doc.owner_key == "doe2020field" and frontmatter.intact(doc, tuple(
        p.read_text() for p in [(site / FOLDERS[stack] / DOE[stack]).parent / "cite.bib"]
        if stack == "hugo"))


def test_a_tool_file_whose_front_matter_an_edit_broke_is_refused_not_duplicated(
        tmp_path: Path) -> None:
    site = copy_stack("academicpages", tmp_path)
    assert sync(site).returncode == 0
    path = site / "_publications" / DOE["academicpages"]
    broken = path.read_text().replace("venue: Journal of Local Things", "venue: [unclosed")
    path.write_text(broken)
    before = set(tree(site / "_publications"))
    proc = sync(site)
    assert proc.returncode == 1 and "edited by hand" in proc.stdout + proc.stderr
    assert path.read_text() == broken
    assert set(tree(site / "_publications")) == before  # no second file for the work
