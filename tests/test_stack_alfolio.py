"""al-folio end to end: the skeleton of tests/fixtures/stacks/alfolio synced offline from its
recorded cache through the real CLI, checked with al-folio's conventions.

* ``bib_block``: the user's ``_bibliography/papers.bib`` keeps every byte and gains a managed
  block (works only the web knows, al-folio's fields); the file re-parses with bibtexparser and
  with pybtex (another parser family: jekyll-scholar itself is not installable here); a hand
  edit inside the block is refused; a work the user takes in leaves the block.
* ``citations``: al-folio's ``_data/citations.yml`` shape, dated by the read, not the run.
* ``data``: the §6 JSON as YAML that ``yaml.safe_load`` reads back to the same document.

Golden files are in tests/golden/alfolio; regenerate them after an intended change with
``SCHOLARSYNC_REGEN=1 python -m pytest tests/test_stack_alfolio.py`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import bibtexparser
import pybtex.database
import pybtex.errors
import pytest
import yaml

from tests.expected import assert_matches_file
from tests.stacks import ALFOLIO, RECORDED, USER, serving

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "alfolio"
BIB = "_bibliography/papers.bib"
BEGIN = "@comment{scholarsync:begin}"
WEB_ONLY = {"gupta2024no", "gupta2023counting"}
USERS = {"gupta2024infinity", "gupta2020local"}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A fresh copy of the skeleton, as a user's clone of their site holds it."""
    root = tmp_path / "site"
    shutil.copytree(ALFOLIO, root)
    return root


def run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI, in the site's folder."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run([sys.executable, "-m", "scholarsync", *args], cwd=site, env=env,
                          capture_output=True, text=True, timeout=120)


def sync(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = run(site, "sync", "--offline", *args)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def block_of(text: str) -> str:
    start = text.index(BEGIN)
    return text[start:]


def entry_keys(text: str) -> list[str]:
    return [e.key for e in bibtexparser.parse_string(text).entries]


def parse_pybtex(text: str) -> pybtex.database.BibliographyData:
    """pybtex in strict mode: any syntax problem raises instead of being a warning."""
    pybtex.errors.set_strict_mode(True)
    try:
        return pybtex.database.parse_string(text, "bibtex")
    finally:
        pybtex.errors.set_strict_mode(False)


def listed(site: Path) -> dict[str, dict]:
    proc = run(site, "list", "--json")
    assert proc.returncode == 0, proc.stderr
    return {p["key"]: p for p in json.loads(proc.stdout)}


# -- the skeleton, synced -----------------------------------------------------------------


def test_offline_sync_gives_the_golden_files_and_is_byte_stable(site: Path) -> None:
    proc = sync(site)
    assert proc.returncode == 0, proc.stderr
    for name in (BIB, "_data/citations.yml", "_data/publications.yml"):
        assert_matches_file((site / name).read_bytes(), GOLDEN / Path(name).name)
    first = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert run(site, "sync", "--offline", "--check").returncode == 0  # nothing out of date
    again = sync(site)
    assert again.returncode == 0, again.stderr
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == first


def test_every_byte_of_the_users_bib_is_kept_and_the_block_follows(site: Path) -> None:
    original = (site / BIB).read_bytes()
    dry = sync(site, "--dry-run")
    assert dry.returncode == 0 and (site / BIB).read_bytes() == original
    assert "+@comment{scholarsync:begin}" in dry.stdout + dry.stderr  # the diff it would make
    assert sync(site).returncode == 0
    new = (site / BIB).read_bytes()
    assert new.startswith(original)  # front matter, @string, comments, order, blanks
    added = new[len(original):].decode()
    assert added.startswith("\n" + BEGIN + "\n")
    assert added.splitlines()[-1].startswith("@comment{scholarsync:end checksum=")
    assert new.endswith(b"}\n")
    inside = entry_keys(added)
    assert set(inside) == WEB_ONLY  # the works no .bib holds, none of the user's


def test_block_entries_carry_al_folio_fields(site: Path) -> None:
    assert sync(site).returncode == 0
    entries = {e.key: e for e in bibtexparser.parse_string(block_of(
        (site / BIB).read_text())).entries}
    counting = {f.key: f.value for f in entries["gupta2023counting"].fields}
    assert counting["google_scholar_id"] == "bbbbbbbbbbbC"  # the article id, not the user's
    assert counting["bibtex_show"] == "true"
    assert counting["doi"] == "10.5555/count.2023"
    assert counting["pdf"] == "https://escholarship.org/content/qt7qz4x1k2/qt7qz4x1k2.pdf"
    assert counting["html"] == "https://escholarship.org/uc/item/7qz4x1k2"
    preprint = {f.key: f.value for f in entries["gupta2024no"].fields}
    assert preprint["arxiv"] == "2401.01234"  # al-folio links it to arxiv.org/abs/<id>
    assert preprint["google_scholar_id"] == "cccccccccccC"


def test_the_file_reparses_with_two_parser_families(site: Path) -> None:
    assert sync(site).returncode == 0
    text = (site / BIB).read_text()
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    assert {e.key for e in library.entries} == USERS | WEB_ONLY
    assert [s.key for s in library.strings] == ["cogsci"]
    data = parse_pybtex(text)
    assert set(data.entries) == USERS | WEB_ONLY
    fields = data.entries["gupta2024no"].fields
    assert fields["title"] == r"No: A \{Hostile\} Title @ 1e3, yes"
    assert fields["google_scholar_id"] == "cccccccccccC"
    assert data.entries["gupta2024infinity"].fields["booktitle"] == (
        "Proceedings of the Annual Meeting of the Cognitive Science Society")  # @string used


def test_entries_in_the_block_are_not_counted_as_the_users(site: Path) -> None:
    assert sync(site).returncode == 0
    pubs = listed(site)
    assert set(pubs) == USERS | WEB_ONLY  # one publication each, nothing doubled
    assert "bibtex" not in pubs["gupta2024no"]["sources"]
    assert "bibtex" not in pubs["gupta2023counting"]["sources"]
    assert "bibtex" in pubs["gupta2024infinity"]["sources"]
    report = sync(site)  # the file now holds four entries; the bibtex source reads two
    assert report.returncode == 0
    assert "bibtex          fresh         2 records" in report.stdout


def test_hand_edit_in_the_block_is_refused_then_forced(site: Path) -> None:
    assert sync(site).returncode == 0
    path = site / BIB
    edited = path.read_text().replace("author = {Gupta, V},", "author = {Gupta, Vima},")
    path.write_text(edited)
    refused = sync(site)
    assert refused.returncode == 1
    message = refused.stdout + refused.stderr
    assert "papers.bib:" in message and "edited by hand" in message and "--force" in message
    assert path.read_text() == edited
    check = run(site, "sync", "--offline", "--check")
    assert check.returncode == 1 and path.read_text() == edited
    forced = sync(site, "--force")
    assert forced.returncode == 0, forced.stderr
    assert_matches_file(path.read_bytes(), GOLDEN / "papers.bib")


def test_an_entry_added_inside_the_block_is_an_edit(site: Path) -> None:
    assert sync(site).returncode == 0
    path = site / BIB
    text = path.read_text()
    mine = "@misc{sneaky2025, title = {Typed into the block}, year = {2025}}\n"
    path.write_text(text.replace(BEGIN + "\n", BEGIN + "\n" + mine))
    assert sync(site).returncode == 1
    assert mine in path.read_text()


def test_an_entry_moved_out_of_the_block_is_the_users_and_leaves_it(site: Path) -> None:
    assert sync(site).returncode == 0
    path = site / BIB
    text = path.read_text()
    start = text.index("@article{gupta2023counting,")
    end = text.index("\n}\n", start) + 3
    entry = text[start:end]
    moved = text[:start] + text[end:]
    moved = moved.replace("@comment{A note", entry + "\n@comment{A note")
    path.write_text(moved)
    proc = sync(site)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # removing an entry is no edit
    after = path.read_text()
    head, block = after[:after.index(BEGIN)], block_of(after)
    assert head == moved[:moved.index(BEGIN)]  # the user's copy, as they placed it
    assert entry_keys(block) == ["gupta2024no"]
    assert entry_keys(after).count("gupta2023counting") == 1
    assert "bibtex" in listed(site)["gupta2023counting"]["sources"]


def test_a_work_the_user_adds_leaves_the_block(site: Path) -> None:
    assert sync(site).returncode == 0
    path = site / BIB
    text = path.read_text()
    own = ("@inproceedings{gupta2023transformers,\n"
           "  title = {Counting on Transformers: Learning the Successor Function},\n"
           "  author = {Gupta, Vima and Varma, Sashank},\n"
           "  booktitle = {Workshop on Numbers},\n  year = {2023},\n"
           "  doi = {10.5555/COUNT.2023},\n}\n\n")
    path.write_text(text.replace("@comment{A note", own + "@comment{A note"))
    assert sync(site).returncode == 0
    after = path.read_text()
    assert entry_keys(block_of(after)) == ["gupta2024no"]
    pubs = listed(site)
    assert "gupta2023counting" not in pubs
    assert pubs["gupta2023transformers"]["sources"] == ["bibtex", "escholarship", "scholar"]


def test_broken_markers_are_an_error_and_nothing_is_written(site: Path) -> None:
    assert sync(site).returncode == 0
    path = site / BIB
    text = path.read_text()
    broken = text[:text.index("@comment{scholarsync:end")]
    path.write_text(broken)
    proc = sync(site)
    assert proc.returncode == 2
    assert "papers.bib:" in proc.stderr and "no end marker" in proc.stderr
    assert path.read_text() == broken


# -- citations and data ---------------------------------------------------------------------


def _read_date() -> str:
    """The day the recorded Scholar profile was fetched."""
    for path in sorted((ALFOLIO / "cache" / "http").glob("scholar.google.com_*.json")):
        data = json.loads(path.read_text())
        if "/citations?" in data["url"]:
            return data["created_at"][:10]
    raise AssertionError("no recorded Scholar profile")


def test_citations_have_al_folios_shape_and_the_read_date(site: Path) -> None:
    assert sync(site).returncode == 0
    data = yaml.safe_load((site / "_data/citations.yml").read_text())
    assert set(data) == {"metadata", "papers"}
    assert data["metadata"] == {"last_updated": _read_date()}  # a string, as al-folio writes
    assert _read_date() == RECORDED.date().isoformat() != dt.date.today().isoformat()
    socials = yaml.safe_load((site / "_data/socials.yml").read_text())
    assert socials["scholar_userid"] == USER
    keys = list(data["papers"])
    assert keys == sorted(keys) and len(keys) == 4
    for key, paper in data["papers"].items():
        user, _, article = key.partition(":")
        assert user == USER and len(article) == 12
        assert set(paper) == {"title", "year", "citations"}
        assert isinstance(paper["citations"], int) and isinstance(paper["year"], int)
    assert data["papers"][f"{USER}:bbbbbbbbbbbC"]["citations"] == 5
    block = block_of((site / BIB).read_text())
    for entry in bibtexparser.parse_string(block).entries:  # every badge finds its count
        article = entry.fields_dict["google_scholar_id"].value
        assert f"{USER}:{article}" in data["papers"]


def test_counts_and_their_date_change_only_when_scholar_is_read_again(site: Path) -> None:
    assert sync(site).returncode == 0
    citations = site / "_data/citations.yml"
    recorded = citations.read_bytes()
    mode: dict[str, str] = {"scholar": "429"}
    config = site / "scholarsync.toml"
    with serving(mode) as bases:
        text = config.read_text()
        for kind, base in bases.items():
            text = text.replace(f'kind = "{kind}"\n', f'kind = "{kind}"\nbase_url = "{base}"\n')
        config.write_text(text + "delay = 0\n")
        blocked = run(site, "sync", "--refresh")
        assert blocked.returncode == 3, blocked.stdout + blocked.stderr  # last good data used
        assert citations.read_bytes() == recorded
        assert_matches_file((site / BIB).read_bytes(), GOLDEN / "papers.bib")  # works kept
        mode.clear()
        fresh = run(site, "sync", "--refresh")
        assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    data = yaml.safe_load(citations.read_text())
    assert data["metadata"]["last_updated"] == dt.date.today().isoformat()  # read again today
    assert data["papers"] == yaml.safe_load(recorded)["papers"]


def test_data_yaml_reads_back_as_the_json_document(site: Path) -> None:
    assert sync(site).returncode == 0
    loaded = yaml.safe_load((site / "_data/publications.yml").read_text(encoding="utf-8"))
    exported = run(site, "export", "--format", "json")
    assert exported.returncode == 0, exported.stderr
    assert loaded == json.loads(exported.stdout)
    titles = {p["key"]: p["title"] for p in loaded}
    assert titles["gupta2024no"] == "No: A {Hostile} Title @ 1e3, yes"
    config = site / "scholarsync.toml"
    config.write_text(config.read_text().replace('"_data/publications.yml"',
                                                 '"_data/publications.json"'))
    assert sync(site).returncode == 0
    assert json.loads((site / "_data/publications.json").read_text()) == loaded
    assert_matches_file((site / "_data/publications.json").read_bytes(),
                        GOLDEN / "publications.json")


# -- a real al-folio bibliography -------------------------------------------------------------

CORPUS_BIB = REPO.parent / "shared" / "corpus" / "bib" / "medium" / "alfolio_papers.bib"


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS_BIB.exists(), reason=f"the shared corpus is not at {CORPUS_BIB}")
def test_al_folios_own_papers_bib_keeps_its_bytes(site: Path) -> None:
    original = CORPUS_BIB.read_bytes()
    (site / BIB).write_bytes(original)
    proc = sync(site)
    assert proc.returncode == 0, proc.stderr
    new = (site / BIB).read_bytes()
    assert new.startswith(original)
    before = bibtexparser.parse_string(original.decode())
    after = bibtexparser.parse_string(new.decode())
    assert after.failed_blocks == before.failed_blocks == []
    theirs = {e.key for e in before.entries}
    assert entry_keys(new[len(original):].decode()) == [
        e.key for e in after.entries if e.key not in theirs]
    assert len(after.entries) == len(before.entries) + 4  # every Scholar work is web-only now
    parsed = parse_pybtex(new.decode())
    assert set(parsed.entries) == {e.key for e in after.entries}


def test_the_readme_config_syncs_the_skeleton(site: Path) -> None:
    """The config shown in the README's "al-folio in three steps" works as written."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## al-folio in three steps"):]
    start = section.index("```toml\n") + len("```toml\n")
    config = section[start:section.index("```", start)]
    lines = [line[3:] if line.startswith("   ") else line for line in config.splitlines()]
    (site / "scholarsync.toml").write_text("\n".join(lines) + "\n")
    proc = sync(site)
    assert proc.returncode == 0, proc.stderr
    assert "@comment{scholarsync:begin}" in (site / BIB).read_text()
    assert yaml.safe_load((site / "_data/citations.yml").read_text())["papers"]
