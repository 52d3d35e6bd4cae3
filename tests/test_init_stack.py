"""Issue 12, setting up: ``scholarsync init`` on each site skeleton of tests/fixtures/stacks
(detected, and with ``--stack``) writes a config that fits the stack, reads the owner and the
Scholar id from the site's own files, and ``sync --offline`` then writes the stack's files;
``init --github-action`` writes a workflow that runs the repository's composite action."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import bibtexparser
import pytest
import yaml

from scholarsync import PROJECT_URL, frontmatter
from scholarsync.app.stacks import detect
from scholarsync.config import load_config
from tests.stack_sites import STACKS, tool_files

REPO = Path(__file__).resolve().parents[1]
BIB = "_bibliography/papers.bib"
BEGIN = "@comment{scholarsync:begin}"
#: the skeleton folder of each stack
SKELETON = {"al-folio": "alfolio", "academicpages": "academicpages", "hugo": "hugo"}
USER = "Yno2pxMAAAAJ"  # the al-folio skeleton's scholar_userid (its cache holds that profile)


def run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in the site's folder, without a terminal (init asks nothing)."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "HOME": str(site)}
    proc = subprocess.run([sys.executable, "-m", "scholarsync", *args], cwd=site, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def skeleton(stack: str, tmp_path: Path) -> Path:
    """A copy of the stack's skeleton without its config, as a site before ``init``."""
    site = tmp_path / stack
    shutil.copytree(STACKS / SKELETON[stack], site)
    (site / "scholarsync.toml").unlink()
    return site


def init(site: Path, *args: str) -> dict:
    proc = run(site, "init", *args)
    assert proc.returncode == 0, proc.stderr
    load_config(site / "scholarsync.toml")  # loads as sync will load it
    return tomllib.loads((site / "scholarsync.toml").read_text(encoding="utf-8"))


def kinds(config: dict) -> dict[str, dict]:
    return {s["kind"]: s for s in config["sources"]}


# -- each stack, end to end -------------------------------------------------------------------

@pytest.mark.parametrize("stack", list(SKELETON))
def test_detected_and_given_stack_write_the_same_config(stack: str, tmp_path: Path) -> None:
    site = skeleton(stack, tmp_path)
    proc = run(site, "init")
    assert proc.returncode == 0, proc.stderr
    assert f"found: stack: {stack} (" in proc.stderr
    detected = (site / "scholarsync.toml").read_text(encoding="utf-8")
    (site / "scholarsync.toml").unlink()
    given = run(site, "init", "--stack", stack)
    assert given.returncode == 0, given.stderr
    assert f"found: stack: {stack} (given with --stack)" in given.stderr
    assert (site / "scholarsync.toml").read_text(encoding="utf-8") == detected


def test_alfolio_init_then_sync_writes_the_block_and_the_badges(tmp_path: Path) -> None:
    site = skeleton("al-folio", tmp_path)
    original = (site / BIB).read_bytes()
    config = init(site)
    assert config["profile"]["name"] == "Vima Gupta"  # _config.yml first_name + last_name
    assert config["profile"]["aliases"] == ["V. Gupta"]  # its scholar: first_name list
    sources = kinds(config)
    assert sources["bibtex"]["paths"] == [BIB]
    assert sources["scholar"]["user"] == USER  # from _data/socials.yml
    assert config["outputs"] == {"bib_block": BIB, "citations": "_data/citations.yml"}
    synced = run(site, "sync", "--offline")
    assert synced.returncode == 0, synced.stderr
    new = (site / BIB).read_bytes()
    assert new.startswith(original)  # every byte of the user's file, then the block
    block = new[len(original):].decode()
    assert block.startswith("\n" + BEGIN + "\n")
    inside = bibtexparser.parse_string(block).entries
    assert {e.key for e in inside} == {"gupta2024no", "gupta2023counting"}  # Scholar only
    assert all("google_scholar_id" in e.fields_dict for e in inside)
    badges = yaml.safe_load((site / "_data/citations.yml").read_text(encoding="utf-8"))
    assert f"{USER}:aaaaaaaaaaaC" in badges["papers"]
    assert badges["metadata"]["last_updated"] == "2026-11-30"


def test_academicpages_init_then_sync_writes_publication_pages(tmp_path: Path) -> None:
    site = skeleton("academicpages", tmp_path)
    hand = {p.name: p.read_bytes() for p in (site / "_publications").iterdir()}
    with (site / "_config.yml").open("a", encoding="utf-8") as conf:
        conf.write('author:\n  name: "Vima Gupta"\n')
    proc = run(site, "init")
    assert proc.returncode == 0, proc.stderr
    assert "owner name 'Vima Gupta' (_config.yml author.name)" in proc.stderr
    assert "no web source yet" in proc.stderr  # what is left for the user
    config = tomllib.loads((site / "scholarsync.toml").read_text(encoding="utf-8"))
    assert config["profile"]["name"] == "Vima Gupta"
    sources = kinds(config)
    assert sources["academicpages"]["path"] == "_publications"
    assert sources["bibtex"]["paths"] == ["bib/*.bib"]  # the skeleton keeps its .bib in bib/
    assert config["outputs"] == {"academicpages": "_publications"}
    synced = run(site, "sync", "--offline")
    assert synced.returncode == 0, synced.stderr
    written = tool_files(site, "academicpages")
    assert written and all(re.match(r"\d{4}-\d\d-\d\d-[a-z0-9-]+\.md$", n) for n in written)
    for data in written.values():
        doc = frontmatter.parse(data.decode())
        assert doc.data["collection"] == "publications" and doc.data["title"]
    for name, data in hand.items():  # the user's own pages are untouched
        assert (site / "_publications" / name).read_bytes() == data


def test_academicpages_profile_links_give_scholar_and_a_suggested_orcid(tmp_path: Path) -> None:
    site = skeleton("academicpages", tmp_path)
    with (site / "_config.yml").open("a", encoding="utf-8") as conf:
        conf.write('name: &name "Vima Gupta"\nauthor:\n'
                   '  googlescholar: "https://scholar.google.com/citations?user=Yno2pxMAAAAJ'
                   '&hl=en"\n  orcid: "https://orcid.org/0000-0002-1825-0097"\n')
    config = init(site)
    assert config["profile"]["name"] == "Vima Gupta"  # the site's name: when author.name is not
    sources = kinds(config)
    assert sources["scholar"]["user"] == USER
    assert "orcid" not in sources  # suggested, commented out: an offline first run stays exit 0
    text = (site / "scholarsync.toml").read_text()
    assert '# kind = "orcid"\n# id = "0000-0002-1825-0097"' in text


def test_hugo_init_then_sync_writes_bundles(tmp_path: Path) -> None:
    site = skeleton("hugo", tmp_path)
    config = init(site)
    assert config["profile"]["name"] == "Vima Gupta"  # content/authors/admin/_index.md title
    assert kinds(config)["hugo"]["path"] == "content/publication"
    assert config["outputs"] == {"hugo": "content/publication"}
    synced = run(site, "sync", "--offline")
    assert synced.returncode == 0, synced.stderr
    written = tool_files(site, "hugo")
    bundles = {name.split("/")[0] for name in written}
    assert bundles
    for bundle in bundles:
        assert {f"{bundle}/index.md", f"{bundle}/cite.bib"} <= set(written)
        doc = frontmatter.parse(written[f"{bundle}/index.md"].decode())
        assert "admin" in doc.data["authors"]
        assert bibtexparser.parse_string(written[f"{bundle}/cite.bib"].decode()).entries


# -- what init reads from the site ------------------------------------------------------------

def test_the_scholar_id_comes_from_socials_yml(tmp_path: Path) -> None:
    site = skeleton("al-folio", tmp_path)
    socials = site / "_data/socials.yml"
    socials.write_text(socials.read_text().replace(USER, "AbCdEfGhIjKL"))
    proc = run(site, "init")
    assert proc.returncode == 0, proc.stderr
    assert "Google Scholar user AbCdEfGhIjKL (_data/socials.yml scholar_userid)" in proc.stderr
    assert kinds(tomllib.loads((site / "scholarsync.toml").read_text()))["scholar"] == {
        "kind": "scholar", "user": "AbCdEfGhIjKL"}


def test_other_ids_of_socials_yml_are_suggested_commented_out(tmp_path: Path) -> None:
    site = skeleton("al-folio", tmp_path)
    with (site / "_data/socials.yml").open("a") as socials:
        socials.write("dblp_url: https://dblp.org/pid/95/7448-1.html\n"
                      "semanticscholar_id: 1723755\n")
    proc = run(site, "init")
    text = (site / "scholarsync.toml").read_text()
    for block in ('# kind = "orcid"\n# id = "0000-0002-1825-0097"',
                  '# kind = "dblp"\n# pid = "https://dblp.org/pid/95/7448-1.html"',
                  '# kind = "semanticscholar"\n# author = "1723755"'):
        assert block in text
    assert "DBLP profile https://dblp.org/pid/95/7448-1.html (_data/socials.yml dblp_url)" in (
        proc.stderr)
    # uncommented, each is a source the config accepts
    load_config(site / "scholarsync.toml")
    (site / "scholarsync.toml").write_text(text.replace("# [[sources]]", "[[sources]]")
                                           .replace("# kind", "kind").replace("# id =", "id =")
                                           .replace("# pid =", "pid =")
                                           .replace("# author =", "author ="))
    assert set(kinds(tomllib.loads((site / "scholarsync.toml").read_text()))) >= {
        "orcid", "dblp", "semanticscholar"}
    load_config(site / "scholarsync.toml")


def test_the_users_scholar_option_wins_over_socials_yml(tmp_path: Path) -> None:
    site = skeleton("al-folio", tmp_path)
    config = init(site, "--scholar", "https://scholar.google.com/citations?user=ZZZZpxMAAAAJ")
    assert kinds(config)["scholar"]["user"] == "ZZZZpxMAAAAJ"


def test_alfolio_without_a_scholar_id_leaves_the_badges_out_and_says_so(tmp_path: Path) -> None:
    site = skeleton("al-folio", tmp_path)
    (site / "_data/socials.yml").unlink()
    proc = run(site, "init")
    assert proc.returncode == 0, proc.stderr
    assert "no scholar_userid in _data/socials.yml" in proc.stderr
    config = tomllib.loads((site / "scholarsync.toml").read_text())
    assert "scholar" not in kinds(config)
    assert config["outputs"] == {"bib_block": BIB}
    assert run(site, "sync", "--offline").returncode == 0


def test_alfolio_notes_say_what_jekyll_would_publish_and_a_rival_updater(tmp_path: Path) -> None:
    site = skeleton("al-folio", tmp_path)
    (site / ".github/workflows").mkdir(parents=True)
    (site / ".github/workflows/update-citations.yml").write_text("name: Update citations\n")
    proc = run(site, "init")
    assert "add cache, scholarsync.toml to exclude: in _config.yml" in proc.stderr
    assert "update-citations.yml also writes _data/citations.yml" in proc.stderr
    (site / "scholarsync.toml").unlink()
    with (site / "_config.yml").open("a") as conf:
        conf.write("exclude:\n  - cache/\n  - scholarsync.toml\n")
    assert "to exclude:" not in run(site, "init").stderr


def test_alfolio_bibliography_named_in_config_yml_is_used(tmp_path: Path) -> None:
    site = skeleton("al-folio", tmp_path)
    (site / BIB).rename(site / "_bibliography/mine.bib")
    conf = site / "_config.yml"
    conf.write_text(conf.read_text().replace("bibliography: papers.bib", "bibliography: mine.bib"))
    config = init(site)
    assert kinds(config)["bibtex"]["paths"] == ["_bibliography/mine.bib"]
    assert config["outputs"]["bib_block"] == "_bibliography/mine.bib"


def test_a_stack_given_for_a_bare_folder_creates_what_its_config_needs(tmp_path: Path) -> None:
    for stack, needed in (("al-folio", BIB), ("hugo", "content/publication")):
        site = tmp_path / stack
        site.mkdir()
        init(site, "--stack", stack, "--name", "Vima Gupta")
        assert (site / needed).exists()
        assert run(site, "sync", "--offline").returncode == 0


def test_hugo_newer_kits_keep_publications_in_the_plural_folder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "content/publications").mkdir(parents=True)
    (site / "config/_default").mkdir(parents=True)
    (site / "data/authors").mkdir(parents=True)
    (site / "data/authors/me.yaml").write_text(
        "name:\n  display: Vima Gupta\nlinks:\n  - icon: academicons/google-scholar\n"
        "    url: https://scholar.google.com/citations?user=Yno2pxMAAAAJ\n")
    config = init(site)
    assert config["profile"]["name"] == "Vima Gupta"
    assert kinds(config)["hugo"]["path"] == "content/publications"
    assert kinds(config)["scholar"]["user"] == USER
    assert config["outputs"] == {"hugo": "content/publications"}


def test_hugo_author_page_with_toml_front_matter_names_the_owner(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "content/publication").mkdir(parents=True)
    (site / "content/authors/admin").mkdir(parents=True)
    (site / "hugo.toml").write_text('title = "My site"\n')
    (site / "content/authors/admin/_index.md").write_text(
        '+++\ntitle = "Vima Gupta"\nrole = "Researcher"\n+++\nAbout me.\n')
    config = init(site)
    assert config["profile"]["name"] == "Vima Gupta"


@pytest.mark.parametrize(("files", "expected"), [
    (["_config.yml", "_bibliography/"], "al-folio"),
    (["_config.yml", "_publications/"], "academicpages"),
    (["config/_default/", "content/"], "hugo"),
    (["hugo.toml", "content/"], "hugo"),
    (["config.toml", "content/"], "hugo"),
    (["hugo.yaml"], "plain"),  # no content/: not a site yet
    (["_config.yml"], "plain"),
    ([], "plain"),
])
def test_detection(files: list[str], expected: str, tmp_path: Path) -> None:
    for name in files:
        path = tmp_path / name
        if name.endswith("/"):
            path.mkdir(parents=True)
        else:
            path.write_text("")
    assert detect(tmp_path)[0] == expected


def test_plain_is_todays_starter(tmp_path: Path) -> None:
    proc = run(tmp_path, "init", "--name", "Vima Gupta")
    assert proc.returncode == 0, proc.stderr
    assert "found: stack: plain (" in proc.stderr
    config = tomllib.loads((tmp_path / "scholarsync.toml").read_text())
    assert config["profile"]["page"] == "index.md"
    assert kinds(config)["bibtex"]["paths"] == ["bib/*.bib"]
    assert run(tmp_path, "sync", "--offline").returncode == 0


# -- refusals ---------------------------------------------------------------------------------

def test_an_unknown_stack_is_a_usage_error(tmp_path: Path) -> None:
    proc = run(tmp_path, "init", "--stack", "wordpress")
    assert proc.returncode == 2
    assert "'wordpress' is not one of 'al-folio', 'academicpages', 'hugo', 'plain'" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_existing_config_is_kept_unless_force(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(STACKS / "alfolio", site)
    mine = (site / "scholarsync.toml").read_bytes()
    refused = run(site, "init", "--stack", "al-folio")
    assert refused.returncode == 2 and "already exists; use --force" in refused.stderr
    assert (site / "scholarsync.toml").read_bytes() == mine
    forced = run(site, "init", "--stack", "al-folio", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (site / "scholarsync.toml.bak").read_bytes() == mine
    assert "bib_block" in (site / "scholarsync.toml").read_text()


# -- the workflow -----------------------------------------------------------------------------

def _workflow(site: Path) -> dict:
    data = yaml.safe_load((site / ".github/workflows/scholarsync.yml").read_text())
    assert isinstance(data, dict)
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as true; GitHub reads "on"
    return data


def test_the_workflow_runs_the_repositorys_action_with_its_inputs(tmp_path: Path) -> None:
    site = skeleton("al-folio", tmp_path)
    proc = run(site, "init", "--github-action")
    assert proc.returncode == 0, proc.stderr
    flow = _workflow(site)
    assert flow["on"]["schedule"][0]["cron"] and "workflow_dispatch" in flow["on"]
    assert flow["permissions"] == {"contents": "write"}
    steps = flow["jobs"]["sync"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    step = steps[1]
    owner_repo = PROJECT_URL.removeprefix("https://github.com/")
    assert step["uses"] == f"{owner_repo}@v1"
    assert f"uses: {owner_repo}@v1" in (REPO / "README.md").read_text()  # the README's name
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert set(step["with"]) <= set(action["inputs"])
    assert step["with"]["config"] == "scholarsync.toml" and step["with"]["publish"] == "commit"
    assert step["env"] == {name: "${{ secrets." + name + " }}" for name in (
        "OPENALEX_API_KEY", "SEMANTIC_SCHOLAR_API_KEY", "SCHOLARSYNC_ORCID_TOKEN")}
    assert "secrets OPENALEX_API_KEY" in proc.stderr


def test_the_pull_request_workflow_asks_for_its_permission(tmp_path: Path) -> None:
    proc = run(tmp_path, "--config", "site.toml", "init", "--github-action", "--pull-request",
               "--name", "Vima Gupta")
    assert proc.returncode == 0, proc.stderr
    flow = _workflow(tmp_path)
    assert flow["permissions"] == {"contents": "write", "pull-requests": "write"}
    step = flow["jobs"]["sync"]["steps"][1]
    assert step["with"]["publish"] == "pull-request" and step["with"]["config"] == "site.toml"


def test_the_readme_shows_what_init_writes_for_alfolio(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Set up on your stack"):readme.index("### academicpages")]
    shown = tomllib.loads(section.split("```toml\n")[1].split("```")[0])
    assert init(skeleton("al-folio", tmp_path)) == {**shown, "network": {
        "cache_dir": "cache", "delay": 1.0, "timeout": 20.0}}


def test_the_workflow_alone_keeps_an_existing_config_and_says_so(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(STACKS / "alfolio", site)
    mine = (site / "scholarsync.toml").read_bytes()
    proc = run(site, "init", "--github-action")
    assert proc.returncode == 0, proc.stderr
    assert "scholarsync.toml exists and was kept as it is" in proc.stderr
    assert (site / "scholarsync.toml").read_bytes() == mine
    assert _workflow(site)["jobs"]["sync"]["steps"][1]["with"]["config"] == "scholarsync.toml"
