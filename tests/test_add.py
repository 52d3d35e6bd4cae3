"""``scholarsync add ID… [--to FILE] [--dry-run]`` through the CLI (in process) against a
local Crossref/DataCite/arXiv (tests/lookup_helpers.py, synthetic) and eScholarship's API
(tests/sitegen.py): the entry appended without changing a byte before it, keys in the
file's style, duplicates refused, the dry run, offline from the cache."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from scholarsync.cli import cli
from scholarsync.sources.bibtex import read_bib_text
from tests import sitegen
from tests.lookup_helpers import Preprint, Services, Work

BIB = r"""% Vima's papers -- kept by hand
@article{gupta2021counting,
  title = {Counting with Neural Networks},
  author = {Gupta, Vima and Varma, Sashank},
  journal = {Journal of Counting},
  year = {2021},
  doi = {10.5555/count.2021},
}

@misc{gupta2023beyond,
  title = {Learning to Count Beyond Ten},
  author = {Gupta, Vima},
  eprint = {2311.15194},
  archiveprefix = {arXiv},
  year = {2023},
}
"""
ITEM = sitegen.Item("5cz2v6d5", "Understanding Infinity: Neural Network Models",
                    [("Gupta", "Vima"), ("Varma", "Sashank")], 2024)
NEW = Work("10.5555/tally.2022", "Tallies & Totals: 100% of the Counting",
           [("Léa", "Müller"), ("Vima", "Gupta")], 2022, container="Journal of Counting",
           volume="13", issue="2", page="5-17")
DATA = Work("10.5061/dryad.tally", "Tally Data", [("Vima", "Gupta")], 2021, type="Dataset",
            publisher="Dryad")
PREPRINT = Preprint("2401.01234", "Counting Sheep, Formally", ["Ann Lee", "Vima Gupta"],
                    published="2024-01-03T10:00:00Z")


@dataclass
class Site:
    root: Path
    services: Services

    @property
    def bib(self) -> Path:
        return self.root / "bib" / "refs.bib"


@pytest.fixture
def site(tmp_path: Path, httpserver: HTTPServer) -> Iterator[Site]:
    services = Services()
    services.add(NEW, PREPRINT, Work("10.5555/count.2021", "Counting with neural networks",
                                     [("Vima", "Gupta")], 2021, container="J. Count."))
    services.add(DATA, datacite=True)

    def escholarship(request: Request) -> Response:
        services.log.append((0.0, "escholarship", request.args.get("query", ""), {}))
        return Response(sitegen.graphql_answer(request.args.get("query", ""),
                                               {ITEM.id: ITEM}), content_type="application/json")

    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /search\n", content_type="text/plain")
    httpserver.expect_request("/graphql").respond_with_handler(escholarship)
    httpserver.expect_request(re.compile(r"/(works|dois|api)/.*")).respond_with_handler(services)
    base = httpserver.url_for("/").rstrip("/")
    (tmp_path / "bib").mkdir()
    (tmp_path / "bib" / "refs.bib").write_bytes(BIB.encode())
    (tmp_path / "scholarsync.toml").write_text(
        '[[sources]]\nkind = "bibtex"\npaths = ["bib/*.bib"]\n\n'
        f'[[sources]]\nkind = "escholarship"\nitems = [\"0test2e1\"]\nbase_url = "{base}"\n\n'
        f'[[sources]]\nkind = "crossref"\nbase_url = "{base}"\n\n'
        f'[[sources]]\nkind = "arxiv"\nbase_url = "{base}"\n\n'
        '[network]\ndelay = 0\ntimeout = 5\n')
    yield Site(tmp_path, services)


def add(site: Site, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["add", *args, "--config",
                                      str(site.root / "scholarsync.toml")])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def appended(site: Site, before: bytes = BIB.encode()) -> str:
    data = site.bib.read_bytes()
    assert data.startswith(before), "a byte of the file before the new entry changed"
    return data[len(before):].decode()


def test_add_a_doi_appends_one_entry_in_the_files_style(site: Site) -> None:
    result = add(site, "https://doi.org/10.5555/TALLY.2022")
    assert result.exit_code == 0, result.output
    new = appended(site)
    assert new.startswith("\n@article{muller2022tallies,\n")
    assert "title = {Tallies \\& Totals: 100\\% of the Counting}" in new
    assert "M{\\\"u}ller, L{\\'e}a" in new or "Müller, Léa" in new
    assert "journal = {Journal of Counting}" in new and "pages = {5--17}" in new
    assert "doi = {10.5555/tally.2022}" in new
    assert "muller2022tallies" in result.stderr and "bib/refs.bib" in result.stderr
    records, problems = read_bib_text(site.bib.read_text(), "refs.bib")
    assert [r.key for r in records] == ["gupta2021counting", "gupta2023beyond",
                                        "muller2022tallies"]
    assert not problems
    assert site.services.requests("crossref") == ["10.5555/tally.2022"]


def test_add_an_arxiv_id_an_escholarship_id_and_a_datacite_doi(site: Site) -> None:
    result = add(site, "arXiv:2401.01234v1", "https://escholarship.org/uc/item/5cz2v6d5",
                 "10.5061/dryad.tally")
    assert result.exit_code == 0, result.output
    new = appended(site)
    keys = re.findall(r"^@\w+\{([^,]+),", new, re.M)
    assert keys == ["lee2024counting", "gupta2024understanding", "gupta2021tally"]
    assert "eprint = {2401.01234" in new and "archiveprefix = {arXiv}" in new
    assert "Understanding Infinity: Neural Network Models" in new
    assert "doi = {10.5061/dryad.tally}" in new
    records, _ = read_bib_text(site.bib.read_text(), "refs.bib")
    assert len(records) == 5


def test_a_work_already_in_the_library_is_reported_not_added(site: Site) -> None:
    result = add(site, "doi:10.5555/COUNT.2021", "https://arxiv.org/abs/2311.15194v2")
    assert result.exit_code == 0, result.output
    assert site.bib.read_bytes() == BIB.encode()
    assert "already in the library as gupta2021counting" in result.stderr
    assert "already in the library as gupta2023beyond" in result.stderr
    # the same new id twice in one call: added once
    result = add(site, "10.5555/tally.2022", "10.5555/tally.2022")
    assert appended(site).count("@article{") == 1
    assert "already in the library as muller2022tallies" in result.stderr


def test_dry_run_prints_the_entry_and_writes_nothing(site: Site) -> None:
    result = add(site, "10.5555/tally.2022", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("@article{muller2022tallies,")
    assert site.bib.read_bytes() == BIB.encode()


def test_offline_from_the_cache(site: Site) -> None:
    add(site, "10.5555/tally.2022", "--dry-run")
    site.services.log.clear()
    result = add(site, "10.5555/tally.2022", "--offline")
    assert result.exit_code == 0, result.output
    assert site.services.log == []
    assert "@article{muller2022tallies," in appended(site)
    result = add(site, "10.5555/other.2020", "--offline")
    assert result.exit_code == 2 and "not in the cache" in result.stderr
    assert site.services.log == []


def test_to_another_file_follows_that_files_key_style(site: Site) -> None:
    other = site.root / "bib" / "talks.bib"
    before = (b"@misc{Gupta:2019,\r\n  title = {A Talk},\r\n  author = {Gupta, Vima},\r\n"
              b"  year = {2019},\r\n}\r\n")
    other.write_bytes(before)
    result = add(site, "10.5555/tally.2022", "--to", str(other))
    assert result.exit_code == 0, result.output
    data = other.read_bytes()
    assert data.startswith(before)
    new = data[len(before):].decode()
    assert new.startswith("\r\n@article{Muller:2022,\r\n")
    assert "\n" not in new.replace("\r\n", "")  # the file's line endings kept
    assert site.bib.read_bytes() == BIB.encode()


def test_key_clash_gets_a_letter(site: Site) -> None:
    site.services.add(Work("10.5555/count.2021b", "Counting with Neural Networks, Again",
                           [("Vima", "Gupta")], 2021))
    result = add(site, "10.5555/count.2021b")
    assert result.exit_code == 0, result.output
    assert appended(site).startswith("\n@misc{gupta2021countinga,") or (
        "@article{gupta2021countinga," in appended(site))


@pytest.mark.parametrize("target, message", [
    ("10.5555/nobody", "neither Crossref nor DataCite"),
    ("not-an-id", "is not a DOI, arXiv id"),
    ("2312.99999", "arXiv has no entry"),
])
def test_unknown_ids_are_refused_with_a_message(site: Site, target: str, message: str) -> None:
    result = add(site, target)
    assert result.exit_code == 2
    assert message in result.stderr
    assert site.bib.read_bytes() == BIB.encode()


def test_the_new_entry_reaches_the_next_sync(site: Site) -> None:
    add(site, "10.5555/tally.2022")
    result = CliRunner().invoke(cli, ["list", "--json", "--config",
                                      str(site.root / "scholarsync.toml")])
    keys = [p["key"] for p in json.loads(result.stdout)]
    assert "muller2022tallies" in keys


def test_to_a_new_file_creates_it_in_the_default_style(site: Site) -> None:
    target = site.root / "new.bib"
    result = add(site, "2401.01234", "--to", str(target))
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert text.startswith("@misc{lee2024counting,\n")
    records, problems = read_bib_text(text, "new.bib")
    assert [r.ids.get("arxiv") for r in records] == ["2401.01234"] and not problems
