"""``scholarsync add DBLP-KEY`` through the CLI (in process) against a local dblp.org serving
the synthetic fixtures of tests/fixtures/dblp: the record read from ``/rec/{key}.xml``, the
entry appended in the file's key style without changing a byte before it, DBLP's name
suffixes dropped, duplicates reported, a profile refused, the dry run, offline."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from scholarsync.cli import cli
from scholarsync.sources.bibtex import read_bib_text

FIXTURES = Path(__file__).parent / "fixtures" / "dblp"
PID = "123/4567-1"
XML = "application/xml; charset=utf-8"
BIB = r"""% Vima's papers -- kept by hand
@article{gupta2021counting,
  title = {Counting with Neural Networks},
  author = {Gupta, Vima and Varma, Sashank},
  journal = {Journal of Counting},
  year = {2021},
  doi = {10.5555/count.2021},
}
"""
# a record of the work the .bib holds (same DOI), as DBLP would list it
SAME_AS_BIB = """<?xml version="1.0" encoding="US-ASCII"?>
<!-- SYNTHETIC answer of scholarsync's tests; not a DBLP answer -->
<dblp><article key="journals/jc/GuptaV21" mdate="2026-01-01">
<author pid="123/4567-1">Vima Gupta 0001</author><author pid="99/3">Sashank Varma</author>
<title>Counting with Neural Networks.</title><year>2021</year><journal>J. Count.</journal>
<ee>https://doi.org/10.5555/COUNT.2021</ee></article></dblp>
"""


@dataclass
class Site:
    root: Path
    paths: list[str] = field(default_factory=list)

    @property
    def bib(self) -> Path:
        return self.root / "bib" / "refs.bib"

    def handle(self, request: Request) -> Response:
        self.paths.append(request.path)
        answers = {"/rec/conf/nips/MullerG21.xml": (FIXTURES / "record.xml").read_text(),
                   "/rec/journals/jc/GuptaV21.xml": SAME_AS_BIB,
                   f"/pid/{PID}.xml": (FIXTURES / "person.xml").read_text()}
        if request.path in answers:
            return Response(answers[request.path], content_type=XML)
        return Response("<html><body>Error 404: Not Found</body></html>", status=404,
                        content_type="text/html")


@pytest.fixture
def site(tmp_path: Path, httpserver: HTTPServer) -> Site:
    made = Site(tmp_path)
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /search\n", content_type="text/plain")
    httpserver.expect_request(re.compile(r"/(rec|pid)/.*")).respond_with_handler(made.handle)
    base = httpserver.url_for("/").rstrip("/")
    (tmp_path / "bib").mkdir()
    made.bib.write_bytes(BIB.encode())
    (tmp_path / "scholarsync.toml").write_text(
        '[[sources]]\nkind = "bibtex"\npaths = ["bib/*.bib"]\n\n'
        f'[[sources]]\nkind = "dblp"\npid = "{PID}"\nbase_url = "{base}"\n\n'
        '[network]\ndelay = 0\ntimeout = 5\n')
    return made


def add(site: Site, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["add", *args, "--config",
                                      str(site.root / "scholarsync.toml")])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def appended(site: Site) -> str:
    data = site.bib.read_bytes()
    assert data.startswith(BIB.encode()), "a byte of the file before the new entry changed"
    return data[len(BIB.encode()):].decode()


@pytest.mark.parametrize("target", ["conf/nips/MullerG21",
                                    "https://dblp.org/rec/conf/nips/MullerG21.html"])
def test_add_a_dblp_record_key(site: Site, target: str) -> None:
    result = add(site, target)
    assert result.exit_code == 0, result.output
    new = appended(site)
    assert new.startswith("\n@inproceedings{muller2021sheep,\n")
    assert "title = {Sheep \\& Goats: 100\\% Counted}" in new  # DBLP's final period dropped
    assert re.search(r"author = \{M(\{\\\"u\}|ü)ller, J(\{\\\"o\}|ö)rg and Gupta, Vima\}", new)
    assert "0001" not in new
    assert "booktitle = {NeurIPS}" in new and "pages = {101--110}" in new
    assert "doi = {10.5555/nips.2021.7}" in new and "eprint = {2106.01234}" in new
    records, problems = read_bib_text(site.bib.read_text(), "refs.bib")
    assert [r.key for r in records] == ["gupta2021counting", "muller2021sheep"] and not problems
    assert records[1].ids["doi"] == "10.5555/nips.2021.7"
    assert site.paths == ["/rec/conf/nips/MullerG21.xml"]  # one request (and robots.txt)
    assert "muller2021sheep" in result.stderr


def test_a_dblp_record_of_a_work_in_the_library_is_reported(site: Site) -> None:
    result = add(site, "journals/jc/GuptaV21")
    assert result.exit_code == 0, result.output
    assert "already in the library as gupta2021counting" in result.stderr
    assert site.bib.read_bytes() == BIB.encode()


def test_a_key_the_synced_dblp_source_holds_needs_no_lookup(site: Site) -> None:
    sync = CliRunner().invoke(cli, ["sync", "--quiet", "--config",
                                    str(site.root / "scholarsync.toml")])
    assert sync.exit_code == 0, sync.output
    site.paths.clear()
    result = add(site, "conf/nips/GuptaV20")
    assert result.exit_code == 0, result.output
    assert re.search(r"already in the library as gupta2020counting", result.stderr)
    assert site.paths == [] and site.bib.read_bytes() == BIB.encode()


def test_dry_run_then_offline_from_the_cache(site: Site) -> None:
    result = add(site, "conf/nips/MullerG21", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("@inproceedings{muller2021sheep,")
    assert site.bib.read_bytes() == BIB.encode()
    site.paths.clear()
    result = add(site, "conf/nips/MullerG21", "--offline")
    assert result.exit_code == 0, result.output
    assert site.paths == [] and "@inproceedings{muller2021sheep," in appended(site)


@pytest.mark.parametrize(("target", "message"), [
    ("conf/nips/Nobody99", "not found (HTTP 404)"),
    (PID, "names 8 works in dblp (a profile?)"),
])
def test_an_unknown_key_and_a_person_are_refused(site: Site, target: str, message: str) -> None:
    result = add(site, target)
    assert result.exit_code == 2
    assert message in result.stderr
    assert site.bib.read_bytes() == BIB.encode()
