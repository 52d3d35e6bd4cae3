"""The parsed-records cache (``cache/records/``): an incremental sync re-parses only the .bib
file that changed, writes the same bytes as a cold sync, and a broken, deleted or outdated
cache only costs time."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

import scholarsync.recordcache as recordcache
from scholarsync.config import load_config
from scholarsync.model import Problem, Record
from scholarsync.sources.base import SourceContext
from scholarsync.sources.bibcache import cached_parser
from scholarsync.sources.bibtex import (
    READERS,
    BibEntry,
    BibtexSource,
    decode_bib_bytes,
    entry_record,
    parse_bib_file,
    read_bib_texts,
)
from tests import e2e

# a.bib: a macro and a crossref parent that b.bib uses, a broken entry (reported every run)
BIB_A = r"""@string{jot = {Journal of Tests}}
@proceedings{conf2021, title = {Proceedings of the Test Conference}, year = {2021}}
@article{first2021,
  title = {Caf\'e Networks and {DNA}},
  author = {M{\"u}ller, J{\"o}rg and Gupta, Vima},
  journal = jot,
  year = {2021},
  doi = {https://doi.org/10.1234/ABC.5},
}
@misc{broken2020,
  title = {Missing closing brace},
  year = {2020},

@inproceedings{second2022, title={Second Work}, author={Gupta, Vima}, booktitle={Conf}, year=2022}
"""
BIB_B = r"""@article{third2019,
  title = {Third Work on Counting},
  author = {Gupta, Vima and Doe, Jane},
  journal = jot,
  year = {2019},
}
@inproceedings{child2021,
  title = {A Paper in the Proceedings},
  author = {Gupta, Vima},
  crossref = {conf2021},
}
@article{first2021,
  title = {A Reused Key},
  author = {Roe, Richard},
  journal = {Other Journal},
  year = {2018},
}
@article{fourth2017, title = {Fourth Work}, author = {Gupta, Vima}, year = {2017}}
"""
PAGE = ("# Me\n\n## Publications\n<!-- scholarsync:begin publications -->\n"
        "<!-- scholarsync:end publications -->\n")
CONFIG = """[profile]
name = "Vima Gupta"
page = "index.md"

[[sources]]
kind = "bibtex"
paths = ["bib/*.bib"]

[outputs]
bibtex = "publications.bib"
csl_json = "publications.json"
data = "_data/publications.yml"
"""


def make_site(root: Path) -> Path:
    (root / "bib").mkdir(parents=True)
    (root / "bib" / "a.bib").write_text(BIB_A, encoding="utf-8")
    (root / "bib" / "b.bib").write_text(BIB_B, encoding="utf-8")
    (root / "index.md").write_text(PAGE, encoding="utf-8")
    (root / "scholarsync.toml").write_text(CONFIG, encoding="utf-8")
    return root


def sync(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A sync through the command line, the nothing-changed fast path bypassed."""
    (root / "cache" / "state.json").unlink(missing_ok=True)
    proc = subprocess.run([sys.executable, "-m", "scholarsync", "sync", "--verbose", *args],
                          cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc


def parsed(proc: subprocess.CompletedProcess[str]) -> set[str]:
    """Names of the .bib files this run parsed (not taken from the records cache)."""
    return {Path(line.rsplit(" ", 1)[-1]).name for line in proc.stderr.splitlines()
            if "records cache: parsing" in line}


def reused(proc: subprocess.CompletedProcess[str]) -> set[str]:
    return {Path(line.split("records cache: ", 1)[1].split(" unchanged")[0]).name
            for line in proc.stderr.splitlines() if "unchanged, its records reused" in line}


def outputs(root: Path) -> dict[str, bytes]:
    """Every file a sync writes (and the saved library), by path: not the caches."""
    found = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if path.is_file() and (rel.parts[0] != "cache" or rel.name == "library.json"):
            found[rel.as_posix()] = path.read_bytes()
    return found


def cold_copy(root: Path, target: Path) -> Path:
    """The same inputs, synced into a fresh cache (no records, no saved library)."""
    shutil.copytree(root, target, ignore=shutil.ignore_patterns("cache"))
    for name in ("publications.bib", "publications.json"):
        (target / name).unlink(missing_ok=True)
    shutil.rmtree(target / "_data", ignore_errors=True)
    (target / "index.md").write_text(PAGE, encoding="utf-8")
    return target


def test_second_sync_parses_only_the_changed_file_and_equals_a_cold_sync(
        tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    first = sync(root)
    assert parsed(first) == {"a.bib", "b.bib"} and not reused(first)
    assert "broken2020" in first.stderr or "could not parse" in first.stderr
    b = root / "bib" / "b.bib"
    b.write_text(b.read_text().replace("Third Work on Counting", "Third Work on Numbers"),
                 encoding="utf-8")
    second = sync(root)
    assert parsed(second) == {"b.bib"}
    assert reused(second) == {"a.bib"}
    # the unchanged file's broken entry is reported again, with its line
    assert [line for line in first.stderr.splitlines() if "a.bib:10" in line] == [
        line for line in second.stderr.splitlines() if "a.bib:10" in line] != []
    assert "Third Work on Numbers" in (root / "index.md").read_text()

    cold = cold_copy(root, tmp_path / "cold")
    sync(cold)
    assert outputs(root) == outputs(cold)
    # a.bib, b.bib (its old version pruned) and the matching state
    assert len(list((root / "cache" / "records").glob("*.json"))) == 3


def test_nothing_changed_reuses_everything_and_still_warns(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    first = sync(root)
    before = outputs(root)
    again = sync(root)
    assert not parsed(again) and reused(again) == {"a.bib", "b.bib"}
    for needle in ("a.bib:10", "duplicate citation key 'first2021'"):
        assert needle in first.stderr and needle in again.stderr
    assert outputs(root) == before


def test_a_macro_change_in_one_file_reparses_the_files_that_see_it(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    sync(root)
    a = root / "bib" / "a.bib"
    a.write_text(a.read_text().replace("{Journal of Tests}", "{Journal of Trials}"),
                 encoding="utf-8")
    proc = sync(root)
    assert parsed(proc) == {"a.bib", "b.bib"}  # b.bib uses a.bib's @string
    cold = cold_copy(root, tmp_path / "cold")
    sync(cold)
    assert outputs(root) == outputs(cold)
    assert "Journal of Trials" in (root / "publications.bib").read_text()


@pytest.mark.parametrize("damage", ["delete", "garbage", "truncate", "other-key"])
def test_a_damaged_or_missing_cache_file_is_parsed_again(tmp_path: Path, damage: str) -> None:
    root = make_site(tmp_path / "site")
    sync(root)
    before = outputs(root)
    folder = root / "cache" / "records"
    files = sorted(folder.glob("*.json"))
    assert len(files) == 3  # a.bib, b.bib and the matching state
    if damage == "delete":
        shutil.rmtree(folder)
    for path in files if damage != "delete" else []:
        if damage == "garbage":
            path.write_bytes(b"\x00\xffnot json")
        elif damage == "truncate":
            path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
        else:  # valid JSON, but another entry's content
            path.write_text('{"key": "0000", "data": {"entries": []}}')
    proc = sync(root)
    assert parsed(proc) == {"a.bib", "b.bib"}
    assert "a.bib:10" in proc.stderr
    assert outputs(root) == before
    assert reused(sync(root)) == {"a.bib", "b.bib"}  # and the cache works again


def test_a_version_or_format_bump_invalidates(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_site(tmp_path / "site")
    config = load_config(root / "scholarsync.toml")

    def read() -> tuple[list[str], list[str]]:
        with SourceContext(config, offline=True) as context:
            BibtexSource(config.sources[0], context).read()
            return context.records.hits, context.records.misses

    assert read() == ([], [str(root / "bib" / "a.bib"), str(root / "bib" / "b.bib")])
    assert len(read()[0]) == 2
    monkeypatch.setattr(recordcache, "__version__", "999.0")
    assert read()[0] == []
    assert len(read()[0]) == 2
    monkeypatch.setattr(recordcache, "FORMAT", recordcache.FORMAT + 1)
    assert read()[0] == []


def _read(files: list[Path], cache: recordcache.RecordCache | None,
          ) -> tuple[list[Record], list[Problem]]:
    texts = [(decode_bib_bytes(p.read_bytes(), str(p))[0], str(p)) for p in files]
    parse = (cached_parser(cache, parse_bib_file, BibEntry, entry_record, READERS) if cache
             else None)
    return read_bib_texts(texts, parse)


FIXTURES = Path(__file__).parent / "fixtures" / "bib"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "bib" / "edge"


@pytest.mark.parametrize("folder", [FIXTURES, CORPUS], ids=["fixtures", "corpus-edge"])
def test_records_from_the_cache_are_the_parsed_records(tmp_path: Path, folder: Path) -> None:
    """Lossless: every field (and its order), problem and line is the same from the cache."""
    if not folder.is_dir():
        pytest.skip(f"the shared corpus is not at {folder}")
    files = sorted(folder.glob("*.bib"))
    cache = recordcache.RecordCache(tmp_path / "records")
    for group in [files[i:i + 25] for i in range(0, len(files), 25)]:
        plain = _read(group, None)
        first = _read(group, cache)
        warm = recordcache.RecordCache(tmp_path / "records")
        again = _read(group, warm)
        assert len(warm.hits) == len(group) and not warm.misses
        for records, problems in (first, again):
            assert problems == plain[1]
            assert records == plain[0]
            assert [list(r.fields) for r in records] == [list(r.fields) for r in plain[0]]
            assert [r.to_dict() for r in records] == [r.to_dict() for r in plain[0]]
    assert cache.misses and not cache.hits


def test_a_changed_file_reuses_the_records_of_its_unchanged_entries(tmp_path: Path) -> None:
    """Only the new entry's Record is made; the others come from the cache with their new
    lines, and equal a parse without any cache."""
    folder = make_site(tmp_path / "site") / "bib"
    files = [folder / "a.bib", folder / "b.bib"]
    _read(files, recordcache.RecordCache(tmp_path / "records"))
    b = folder / "b.bib"
    b.write_text("@article{new2024, title = {New}, author = {Gupta, Vima}, year = 2024}\n\n"
                 + b.read_text(), encoding="utf-8")  # every line below moves by two
    cache = recordcache.RecordCache(tmp_path / "records")
    records, problems = _read(files, cache)
    assert cache.hits == [str(files[0])] and cache.misses == [str(files[1])]
    assert cache.reused_records == 3  # third2019, first2021 (reused key), fourth2017
    plain = _read(files, None)
    assert (records, problems) == plain
    assert [r.origin.line for r in records] == [r.origin.line for r in plain[0]]
    assert any(r.key == "fourth2017" and r.origin.line == 20 for r in records)


def test_a_cached_scholar_page_is_parsed_once_and_gives_the_same_outputs(
        tmp_path: Path, httpserver: HTTPServer) -> None:
    """Web sources' parses are kept by the cached answer's hash: the second sync (all pages
    from the HTTP cache) takes the Scholar profile's records from the records cache."""
    (tmp_path / "site").mkdir()
    site = e2e.make_site(tmp_path / "site", httpserver)
    first = e2e.sync(site, "--verbose")
    assert first.returncode == 0, first.stderr
    assert "records cache: parsing http" in first.stderr
    before = site.outputs()
    (site.root / "cache" / "state.json").unlink()
    second = e2e.sync(site, "--verbose", "--offline")
    assert second.returncode == 0, second.stderr
    assert f"{e2e.PROFILE_PATH}?user={e2e.USER}" in " ".join(
        line for line in second.stderr.splitlines() if "its records reused" in line)
    assert "records cache: parsing http" not in second.stderr
    assert site.outputs() == before
    cold = tmp_path / "cold"
    shutil.copytree(site.root, cold, ignore=shutil.ignore_patterns("records", "library.json",
                                                                   "state.json"))
    (cold / "site" / "index.md").write_bytes(e2e.PAGE.encode())
    (cold / "publications.bib").unlink()
    again = e2e.sync(e2e.Site(cold, httpserver, {}), "--offline")
    assert again.returncode == 0, again.stderr
    assert e2e.Site(cold, httpserver, {}).outputs() == before
