"""`list`, `export`, `inspect` and `init` through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import bibtexparser
from pytest_httpserver import HTTPServer

from tests import sitegen

BIB_A = r"""@article{first2021,
  title = {Caf\'e Networks and {DNA}},
  author = {M{\"u}ller, J{\"o}rg and Gupta, Vima},
  journal = {Journal of Tests},
  year = {2021},
  doi = {https://doi.org/10.1234/ABC.5},
}
@misc{broken2020,
  title = {Missing closing brace},
  year = {2020},

@inproceedings{second2022, title={Second Work}, author={Gupta, Vima}, booktitle={Conf}, year=2022}
"""
BIB_B = r"""@article{other-key,
  title = {Café networks and DNA},
  author = {Müller, Jörg and Gupta, Vima},
  journal = {J. Tests},
  year = {2021},
  doi = {10.1234/abc.5},
}
"""


def make_site(root: Path, extra: str = "") -> Path:
    (root / "bib").mkdir()
    (root / "bib" / "a.bib").write_text(BIB_A, encoding="utf-8")
    (root / "bib" / "b.bib").write_text(BIB_B, encoding="utf-8")
    (root / "scholarsync.toml").write_text(
        '[profile]\nname = "Vima Gupta"\n\n[[sources]]\nkind = "bibtex"\n'
        'paths = ["bib/*.bib"]\n' + extra, encoding="utf-8")
    return root


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scholarsync", *args], cwd=root,
                          capture_output=True, text=True, timeout=120)


def test_list_json_has_the_contract_keys_and_merges_across_files(tmp_path: Path) -> None:
    proc = run(make_site(tmp_path), "list", "--json")
    assert proc.returncode == 0, proc.stderr
    pubs = json.loads(proc.stdout)  # stdout is only the JSON
    by_key = {p["key"]: p for p in pubs}
    assert set(by_key) == {"first2021", "second2022"}
    first = by_key["first2021"]
    for key in ("key", "type", "title", "authors", "year", "venue", "ids", "links", "sources"):
        assert key in first
    assert first["title"] == "Café Networks and DNA"
    assert first["authors"] == ["Jörg Müller", "Vima Gupta"]
    assert first["year"] == 2021 and first["ids"]["doi"] == "10.1234/abc.5"
    assert first["sources"] == ["bibtex"]
    # the broken entry is a warning with file and line, not a failure
    assert "a.bib:8" in proc.stderr and "Traceback" not in proc.stderr


def test_list_plain_is_one_line_per_publication(tmp_path: Path) -> None:
    proc = run(make_site(tmp_path), "list")
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("second2022\t2022\tSecond Work")


def test_export_bibtex_keeps_keys_aliases_and_reparses(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    proc = run(root, "export", "-o", "out.bib")
    assert proc.returncode == 0, proc.stderr
    text = (root / "out.bib").read_text(encoding="utf-8")
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    entries = {e.key: e for e in library.entries}
    assert set(entries) == {"first2021", "second2022"}
    assert entries["first2021"]["ids"] == "other-key"  # the other key, for \cite users
    assert entries["first2021"]["doi"] == "10.1234/abc.5"
    assert run(root, "export", "-o", "again.bib").returncode == 0
    assert (root / "again.bib").read_bytes() == (root / "out.bib").read_bytes()


def test_export_formats_to_stdout(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    csl = json.loads(run(root, "export", "--format", "csl-json").stdout)
    assert {item["id"] for item in csl} == {"first2021", "second2022"}
    item = next(i for i in csl if i["id"] == "first2021")
    assert item["type"] == "article-journal" and item["DOI"] == "10.1234/abc.5"
    assert item["issued"] == {"date-parts": [[2021]]}
    data = json.loads(run(root, "export", "--format", "json").stdout)
    assert [p["key"] for p in data] == ["second2022", "first2021"]


def test_inspect_uses_the_configured_base_url(tmp_path: Path, httpserver: HTTPServer) -> None:
    item = sitegen.Item("5cz2v6d5", "Understanding Infinity", [("Gupta", "Vima")], 2024)
    httpserver.expect_request("/robots.txt").respond_with_data(
        sitegen.ROBOTS_ESCHOLARSHIP, content_type="text/plain")
    httpserver.expect_request("/uc/item/5cz2v6d5").respond_with_data(
        sitegen.item_page(item), content_type="text/html")
    base = httpserver.url_for("/").rstrip("/")
    root = make_site(tmp_path, f'\n[[sources]]\nkind = "escholarship"\nitems = ["5cz2v6d5"]\n'
                     f'base_url = "{base}"\n\n[network]\ndelay = 0\n')
    pdf = "https://escholarship.org/content/qt5cz2v6d5/qt5cz2v6d5_noSplash_" + "a" * 32 + ".pdf"
    proc = run(root, "inspect", pdf)
    assert proc.returncode == 0, proc.stderr
    (record,) = json.loads(proc.stdout)
    assert record["title"] == "Understanding Infinity" and record["year"] == 2024
    assert record["ids"]["escholarship"] == "5cz2v6d5"
    assert record["links"]["escholarship"] == "https://escholarship.org/uc/item/5cz2v6d5"
    assert record["sources"] == ["escholarship"]


def test_inspect_unknown_target_is_a_clear_error(tmp_path: Path) -> None:
    proc = run(make_site(tmp_path), "inspect", "https://example.org/nothing")
    assert proc.returncode == 2
    assert "no source recognizes" in proc.stderr and "Traceback" not in proc.stderr


def test_a_fresh_init_site_syncs_end_to_end(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    (tmp_path / "bib" / "publications.bib").write_text(
        "@article{mine2024, title={My Paper}, author={Name, Your}, journal={J}, year={2024}}\n")
    proc = run(tmp_path, "sync", "--offline")
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "index.md").read_text()
    assert "My Paper" in page and "**Your Name**" in page
    assert "@article{mine2024," in (tmp_path / "publications.bib").read_text()
