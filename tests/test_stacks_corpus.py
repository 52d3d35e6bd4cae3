"""Real users' .bib files of the shared corpus (read in place) through both folder outputs:
every work gets one file of its own, every file's front matter is YAML with the stack's keys,
every ``cite.bib`` re-parses, and a second sync changes nothing. Hugo Blox's own example
``cite.bib`` files are read back by the ``hugo`` reader."""

from __future__ import annotations

import json
from pathlib import Path

import bibtexparser
import pytest

from scholarsync import frontmatter
from scholarsync.config import ProfileConfig
from scholarsync.sources.hugo import HugoSource
from tests.stack_sites import listing, sync

REPO = Path(__file__).resolve().parents[1]
MEDIUM = REPO.parent / "shared" / "corpus" / "bib" / "medium"
FILES = ["alfolio_papers.bib", "biblatex_examples.bib", "bibtexparser_v1_biber-examples.bib"]

pytestmark = [pytest.mark.corpus,
              pytest.mark.skipif(not MEDIUM.is_dir(), reason=f"the shared corpus is not at "
                                 f"{MEDIUM}")]


def _site(tmp_path: Path, bib: Path) -> Path:
    (tmp_path / "scholarsync.toml").write_text(
        f'[profile]\nname = "Albert Einstein"\n[[sources]]\nkind = "bibtex"\npaths = '
        f'[{json.dumps(str(bib))}]\n[outputs]\nacademicpages = "_publications"\n'
        'hugo = "content/publication"\n[network]\ncache_dir = "cache"\n')
    return tmp_path


@pytest.mark.parametrize("name", FILES)
def test_corpus_bib_gives_one_valid_file_per_work_in_each_stack(name: str,
                                                                tmp_path: Path) -> None:
    site = _site(tmp_path, MEDIUM / name)
    proc = sync(site)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pubs = listing(site)
    pages = sorted((site / "_publications").glob("*.md"))
    bundles = sorted((site / "content" / "publication").glob("*/index.md"))
    assert len(pages) == len(bundles) == len(pubs)
    keys = set()
    for path in pages + bundles:
        doc = frontmatter.parse(path.read_text(encoding="utf-8"))
        assert doc.owner_key and frontmatter.intact(doc, tuple(
            p.read_text(encoding="utf-8") for p in [path.parent / "cite.bib"]
            if path.name == "index.md"))
        assert doc.data["title"] and doc.data["citation_title"]
        keys.add((path.name == "index.md", doc.owner_key))
        if path.name == "index.md":
            assert isinstance(doc.data["publication_types"], list)
            library = bibtexparser.parse_string((path.parent / "cite.bib").read_text("utf-8"))
            assert not library.failed_blocks and len(library.entries) == 1
            assert library.entries[0].key == doc.owner_key
        else:
            assert doc.data["collection"] == "publications"
            assert doc.data["permalink"] == f"/publication/{path.stem}"
    assert len(keys) == 2 * len(pubs)  # one file per work, never two works in one file
    (site / "cache" / "state.json").unlink(missing_ok=True)
    assert sync(site, "--check").returncode == 0


@pytest.mark.parametrize(("name", "year"), [("hugoblox_cite_conf.bib", 2013),
                                           ("hugoblox_cite_journal.bib", 2015)])
def test_hugo_blox_example_cite_bib_is_read_by_the_reader(name: str, year: int,
                                                         tmp_path: Path) -> None:
    bundle = tmp_path / "example"
    bundle.mkdir()
    (bundle / "index.md").write_text("---\ntitle: 'Front matter title'\nauthors: [admin]\n"
                                     "date: '2013-07-01T00:00:00Z'\n---\n", encoding="utf-8")
    (bundle / "cite.bib").write_bytes((MEDIUM / name).read_bytes())
    doc = frontmatter.parse((bundle / "index.md").read_text())
    problems: list = []
    record = HugoSource.record_of(doc, bundle / "index.md", ProfileConfig(name="X Y"), problems)
    assert record is not None and not problems
    assert record.title.startswith("An example") and record.year == year  # cite.bib first
    assert len(record.authors) >= 2 and record.type in ("inproceedings", "article")
