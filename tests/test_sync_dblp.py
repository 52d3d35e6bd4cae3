"""DBLP in whole syncs (the CLI, in process, beside a .bib and ORCID, against a local server):
one request per cold sync, none within freshness; the CoRR preprint and its conference
version one publication; a work DBLP and ORCID share one entry with both ids; names without
DBLP's suffix; and every way dblp.org can fail costs the DBLP source only (exit 3, its works
kept from the last good library, the others fresh, nothing bad cached)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from scholarsync.cli import cli
from tests.test_sync_apis import _orcid_answer

FIXTURES = Path(__file__).parent / "fixtures" / "dblp"
PID = "123/4567-1"
ORCID_ID = "0000-0002-1825-0097"
ORCID_ONLY = "A Report Only in Pure"
DBLP_ONLY = "Counting Beyond Ten"
# a record of the work ORCID lists as put-code 1002 (DOI 10.9999/orcid.1), added to the
# synthetic person document so that the two sources share one work
SHARED = """<r><article key="journals/jsr/GuptaV24" mdate="2026-01-01">
<author pid="123/4567-1">Vima Gupta 0001</author>
<author pid="99/3">Sashank Varma</author>
<title>Understanding Infinity: Neural Network Models.</title>
<year>2024</year>
<journal>J. Synth. Res.</journal>
<ee>https://doi.org/10.9999/ORCID.1</ee>
</article>
</r>
"""
BIB = """@article{doe2020local,
  title = {A Work Only in the Bib File},
  author = {Doe, Jane and Gupta, Vima},
  journal = {Journal of Local Things},
  year = {2020},
}
"""
XML = "application/xml; charset=utf-8"


def person_document() -> str:
    text = (FIXTURES / "person.xml").read_text()
    return text.replace('n="10"', 'n="11"').replace("<coauthors", SHARED + "<coauthors")


def _fault(mode: str, good: str) -> Response:
    """dblp.org's answer in each failure mode (``good`` is the document it would send)."""
    if mode == "500":
        return Response("Internal Server Error", status=500)
    if mode == "429":
        return Response("Too Many Requests", status=429)
    if mode == "429-retry-after":
        return Response("Too Many Requests", status=429, headers={"Retry-After": "120"})
    if mode == "malformed":
        return Response(good.replace("</title>", "</titel>", 1), content_type=XML)
    if mode == "truncated":
        return Response(good[: len(good) // 2], content_type=XML)
    if mode == "empty":
        return Response("", content_type=XML)
    if mode == "maintenance":
        return Response("<html><body><h1>dblp is down for maintenance</h1></body></html>",
                        content_type="text/html")
    if mode == "disambiguation":  # the pid now names the page of everyone of that name
        return Response((FIXTURES / "disambiguation.xml").read_text(), content_type=XML)
    if mode == "timeout":
        time.sleep(1.2)
        return Response(good, content_type=XML)
    raise AssertionError(mode)


def _drain(site: Site) -> None:
    """Wait until the one-thread server has answered every request it held back (a timeout
    case), so that none of them reaches the next test's server."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        before = len(site.server.log)
        time.sleep(1.5)
        if len(site.server.log) == before:
            return


@dataclass
class Site:
    root: Path
    server: HTTPServer
    mode: str = ""  # failure mode of dblp.org
    dblp_paths: list[str] = field(default_factory=list)
    robots: str = "User-agent: *\nDisallow: /search\n"

    def handle(self, request: Request) -> Response:
        path = request.path
        if path == "/robots.txt":
            return Response(self.robots, content_type="text/plain")
        if path.startswith("/v3.0/"):
            return Response(_orcid_answer(path), content_type="application/json")
        if path == f"/pid/{PID}.xml":
            self.dblp_paths.append(path)
            good = person_document()
            return _fault(self.mode, good) if self.mode else Response(good, content_type=XML)
        return Response("not found", status=404)

    def config(self, *, dblp_base: str | None = None) -> None:
        base = self.server.url_for("/").rstrip("/")
        (self.root / "scholarsync.toml").write_text(f"""[profile]
name = "Vima Gupta"
page = "site/index.md"

[[sources]]
kind = "bibtex"
paths = ["bib/*.bib"]

[[sources]]
kind = "orcid"
id = "{ORCID_ID}"
base_url = "{base}"

[[sources]]
kind = "dblp"
pid = "https://dblp.org/pid/{PID}"
base_url = "{dblp_base or base}"

[outputs]
bibtex = "publications.bib"

[network]
delay = 0
timeout = 0.5
""")


@pytest.fixture
def site(tmp_path: Path, httpserver: HTTPServer) -> Site:
    made = Site(tmp_path, httpserver)
    httpserver.expect_request("", method="GET").respond_with_handler(made.handle)
    (tmp_path / "bib").mkdir()
    (tmp_path / "bib" / "mine.bib").write_text(BIB)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.md").write_text(
        "# Me\n<!-- scholarsync:begin publications -->\n<!-- scholarsync:end publications -->\n")
    made.config()
    return made


def run(site: Site, *args: str) -> Result:
    return CliRunner().invoke(cli, ["sync", "--json", "--quiet", "--config",
                                    str(site.root / "scholarsync.toml"), *args])


def statuses(result: Result) -> dict[str, dict]:
    return {s["kind"]: s for s in json.loads(result.stdout)["sources"]}


def listed(site: Site) -> list[dict]:
    result = CliRunner().invoke(cli, ["list", "--json", "--config",
                                      str(site.root / "scholarsync.toml")])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def dblp_cache(site: Site) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (site.root / "cache" / "http").glob("dblp.org_*")
            if not json.loads(p.read_bytes())["url"].endswith("/robots.txt")}


def test_a_cold_sync_reads_one_document_and_a_warm_one_nothing(site: Site) -> None:
    first = run(site)
    assert first.exit_code == 0, first.stderr
    dblp = statuses(first)["dblp"]
    assert dblp["status"] == "fresh" and dblp["requests"] == 2  # robots.txt + the document
    assert site.dblp_paths == [f"/pid/{PID}.xml"]
    requests = len(site.server.log)
    again = run(site)
    assert again.exit_code == 0, again.stderr
    assert len(site.server.log) == requests and statuses(again)["dblp"]["requests"] == 0


def test_works_are_merged_across_versions_and_sources(site: Site) -> None:
    assert run(site).exit_code == 0
    pubs = listed(site)
    titles = [p["title"] for p in pubs]
    assert len(titles) == len(set(titles))  # every work once
    [counting] = [p for p in pubs if p["title"] == "Counting with Neural Networks"]
    assert counting["ids"]["doi"] == "10.5555/nips.2020.1"
    assert counting["ids"]["arxiv"] == "1912.01234"
    assert counting["ids"]["dblp"] == "conf/nips/GuptaV20" and counting["venue"] == "NeurIPS"
    library = json.loads((site.root / "cache" / "library.json").read_text())
    [saved] = [p for p in library["publications"] if p["title"] == counting["title"]]
    assert [v.get("arxiv") for v in saved["versions"]] == ["1912.01234"]
    [shared] = [p for p in pubs if p["title"].startswith("Understanding Infinity")]
    assert shared["ids"]["orcid"] == "1002" and shared["ids"]["dblp"] == "journals/jsr/GuptaV24"
    assert set(shared["sources"]) == {"orcid", "dblp"}
    assert {DBLP_ONLY, ORCID_ONLY, "A Work Only in the Bib File"} <= set(titles)
    assert "A Withdrawn Note" not in titles and "Home Page" not in titles


def test_dblp_suffixes_never_reach_the_page_or_the_export(site: Site) -> None:
    assert run(site).exit_code == 0
    page = (site.root / "site" / "index.md").read_text()
    export = (site.root / "publications.bib").read_text()
    assert DBLP_ONLY in page and "**Vima Gupta**" in page  # the owner is highlighted
    assert not re.search(r"Gupta 000\d", page + export)
    assert "https://dblp.org/rec/books/syn/Gupta23" in page  # the DBLP link is shown


CASES = ["timeout", "refused", "500", "429", "429-retry-after", "malformed", "truncated",
         "empty", "maintenance", "disambiguation"]


@pytest.mark.parametrize("mode", CASES)
def test_a_failing_dblp_costs_its_source_only(site: Site, closed_port: int, mode: str) -> None:
    first = run(site)
    assert first.exit_code == 0, first.stderr
    before = dblp_cache(site)
    assert len(before) == 1
    if mode == "refused":
        site.config(dblp_base=f"http://127.0.0.1:{closed_port}")
    else:
        site.mode = mode
    result = run(site, "--refresh")
    assert result.exit_code == 3, (mode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    status = statuses(result)
    assert status["dblp"]["status"] in ("stale", "failed"), status["dblp"]
    assert status["dblp"]["detail"], "the report says why"
    if mode == "disambiguation":
        assert "disambiguation" in status["dblp"]["detail"]
        assert "123/4567-1" in status["dblp"]["detail"]
    assert status["orcid"]["status"] == "fresh" and status["bibtex"]["status"] == "fresh"
    assert json.loads(result.stdout)["removed"] == []
    page = (site.root / "site" / "index.md").read_text()
    assert DBLP_ONLY in page and ORCID_ONLY in page and "Only in the Bib File" in page
    assert "Someone Else" not in page
    after = dblp_cache(site)
    assert set(after) <= set(before)  # nothing new, nothing bad kept
    for name, body in after.items():
        assert json.loads(body)["status_code"] == 200
        assert json.loads(body)["_content"] == json.loads(before[name])[
            "_content"] or body == before[name], mode
    if mode == "timeout":
        _drain(site)
    if mode in ("429", "429-retry-after"):
        assert site.dblp_paths == [f"/pid/{PID}.xml"] * 2  # asked once, never retried


def test_robots_txt_closing_the_xml_exports_costs_the_dblp_source_only(site: Site) -> None:
    """dblp.org's robots.txt (a copy of 2026-06) allows /pid and /rec but disallows /*.xml:
    the client obeys it, so the source fails with that reason and keeps its last good data."""
    assert run(site).exit_code == 0
    for cached in (site.root / "cache" / "http").glob("dblp.org_*"):
        if json.loads(cached.read_bytes())["url"].endswith("/robots.txt"):
            cached.unlink()  # robots.txt is kept a day: as if that day had passed
    site.robots = "User-agent: *\nAllow: /pid\nAllow: /rec\nDisallow: /*.xml\n"
    site.dblp_paths.clear()
    result = run(site, "--refresh")
    assert result.exit_code == 3, result.stderr
    status = statuses(result)
    assert status["dblp"]["status"] in ("stale", "failed")
    assert "robots.txt" in status["dblp"]["detail"], status["dblp"]
    assert status["orcid"]["status"] == "fresh" and site.dblp_paths == []
    assert DBLP_ONLY in (site.root / "site" / "index.md").read_text()


def test_verbose_names_the_requests_of_dblp(site: Site) -> None:
    result = CliRunner().invoke(cli, ["sync", "--verbose", "--config",
                                      str(site.root / "scholarsync.toml")])
    assert result.exit_code == 0, result.output
    line = next(s for s in result.output.splitlines() if re.search(r"\bdblp\b", s) and
                "request" in s)
    assert "2 requests" in line
