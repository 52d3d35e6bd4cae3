"""One end-to-end sync through every API source (the real CLI, in process, in a temporary site):
Google Scholar answers with a CAPTCHA page and 429, eScholarship's item pages with its firewall's
403, and ORCID, OpenAlex, DBLP, Semantic Scholar and eScholarship's GraphQL API are each served by
a local HTTP server of their own (synthetic answers from ``tests/apigen.py``). The site still
syncs: exit 3 naming Scholar alone, every work once with every id and every count, a second sync
within freshness asks the APIs nothing, and ``--verbose`` names each source's requests."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from scholarsync.cli import cli
from scholarsync.sources import escholarship_api, openalex, orcid, semanticscholar
from tests import apigen, sitegen
from tests.apigen import OWNER, Work

VARMA = ("Varma", "Sashank")
PAIR_DOI, PAIR_ARXIV = "10.9999/e2e.pair", "2401.00077"
PAIR_S2 = "a" * 40
WORKS = [
    # the published version, on every service but eScholarship; Semantic Scholar knows its
    # arXiv id and DBLP key, DBLP lists its CoRR copy, OpenAlex the preprint apart
    Work("Counting with Transformers", [OWNER, VARMA], 2024,
         "Proceedings of the Synthetic Conference", kind="inproceedings", doi=PAIR_DOI,
         orcid="2001", openalex="W5000000001", dblp="conf/synth/GuptaV24", s2=PAIR_S2,
         openalex_cites=40, s2_cites=37,
         s2_ids={"ArXiv": PAIR_ARXIV, "DBLP": "conf/synth/GuptaV24"}),
    Work("Counting with Transformers", [OWNER, VARMA], 2023, "arXiv", kind="preprint",
         arxiv=PAIR_ARXIV, openalex="W5000000002", dblp="journals/corr/abs-2401-00077",
         openalex_cites=5),
    Work("Neural Models of the Successor Function", [OWNER, VARMA], 2023,
         "Journal of Synthetic Results", doi="10.9999/e2e.2", orcid="2002",
         openalex="W5000000003", dblp="journals/jsr/GuptaV23", s2="b" * 40,
         escholarship="e2e0002a", openalex_cites=12, s2_cites=10),
    Work("Infants Track Small Sets", [("Lee", "Ann"), OWNER], 2021,
         "Journal of Synthetic Development", doi="10.9999/e2e.3", orcid="2003",
         openalex="W5000000004", s2="c" * 40, escholarship="e2e0003b", openalex_cites=3,
         s2_cites=2),
    Work("A Report Only in ORCID", [OWNER], 2020, "Synthetic University Reports", kind="report",
         orcid="2004"),
    Work("An OpenAlex-Only Data Note", [OWNER], 2022, "Synthetic Data Letters",
         doi="10.9999/e2e.oa", openalex="W5000000005", openalex_cites=0),
    Work("A DBLP-Only Workshop Paper", [OWNER, VARMA], 2022, "Synthetic Workshop",
         kind="inproceedings", dblp="conf/synthws/GuptaV22"),
    Work("A Semantic-Scholar-Only Abstract", [OWNER], 2019, "Synthetic Abstracts",
         s2="d" * 40, s2_cites=1),
    Work("An eScholarship-Only Working Paper", [OWNER], 2018, "Working Papers in Synthesis",
         escholarship="e2e0004c"),
]
BIB = """@article{gupta2023successor,
  title = {Neural Models of the Successor Function},
  author = {Gupta, Vima and Varma, Sashank},
  journal = {Journal of Synthetic Results},
  year = {2023},
  doi = {10.9999/e2e.2},
}

@article{doe2020local,
  title = {A Work Only in the Bib File},
  author = {Doe, Jane and Gupta, Vima},
  journal = {Journal of Local Things},
  year = {2020},
}
"""
# what each merged publication must carry: ids, and the counts of the sources that give one
EXPECTED = {
    "Counting with Transformers": (
        {"doi": PAIR_DOI, "arxiv": PAIR_ARXIV, "orcid": "2001", "openalex": "W5000000001",
         "dblp": "conf/synth/GuptaV24", "semanticscholar": PAIR_S2},
        {"openalex": 40, "semanticscholar": 37}),
    "Neural Models of the Successor Function": (
        {"doi": "10.9999/e2e.2", "orcid": "2002", "openalex": "W5000000003",
         "dblp": "journals/jsr/GuptaV23", "semanticscholar": "b" * 40,
         "escholarship": "e2e0002a"},
        {"openalex": 12, "semanticscholar": 10}),
    "Infants Track Small Sets": (
        {"doi": "10.9999/e2e.3", "orcid": "2003", "openalex": "W5000000004",
         "semanticscholar": "c" * 40, "escholarship": "e2e0003b"},
        {"openalex": 3, "semanticscholar": 2}),
    "A Report Only in ORCID": ({"orcid": "2004"}, {}),
    "An OpenAlex-Only Data Note": ({"doi": "10.9999/e2e.oa", "openalex": "W5000000005"},
                                   {"openalex": 0}),
    "A DBLP-Only Workshop Paper": ({"dblp": "conf/synthws/GuptaV22"}, {}),
    "A Semantic-Scholar-Only Abstract": ({"semanticscholar": "d" * 40}, {"semanticscholar": 1}),
    "An eScholarship-Only Working Paper": ({"escholarship": "e2e0004c"}, {}),
    "A Work Only in the Bib File": ({}, {}),
}
PAGE = 2  # page size of every cursor (and put-codes per ORCID bulk read): several pages each
CAPTCHA = ("<html><head><title>Sorry...</title></head><body><!-- synthetic -->"
           "<div id=\"gs_captcha_ccl\"><h1>Please show you're not a robot</h1>"
           "<p>Our systems have detected unusual traffic from your computer network.</p>"
           "</div></body></html>")
WAF_PAGE = ("<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1>"
            "Request blocked. Generated by cloudfront (CloudFront) / awswaf</body></html>")
SERVICES = ("scholar", "escholarship", "orcid", "openalex", "dblp", "semanticscholar")


@dataclass
class Site:
    root: Path
    services: apigen.Services
    servers: dict[str, HTTPServer]

    def handler(self, service: str):
        def handle(request: Request) -> Response:
            path = request.path
            if service == "scholar":
                self.services.requests["scholar"] = self.services.requests.get("scholar", 0) + 1
                if path == "/robots.txt":
                    return Response(sitegen.ROBOTS_SCHOLAR, content_type="text/plain")
                return Response(CAPTCHA, status=429, content_type="text/html")
            if service == "escholarship" and path.startswith("/uc/item/"):
                self.services.requests["escholarship-pages"] = (
                    self.services.requests.get("escholarship-pages", 0) + 1)
                return Response(WAF_PAGE, status=403, content_type="text/html")
            status, kind, body = self.services.answer(service, path, dict(request.args))
            return Response(body, status=status, content_type=kind)
        return handle

    def base(self, service: str) -> str:
        return self.servers[service].url_for("/").rstrip("/")

    def counts(self) -> dict[str, int]:
        return {name: len(server.log) for name, server in self.servers.items()}


def write_config(site: Site) -> None:
    b = site.base
    (site.root / "scholarsync.toml").write_text(f"""[profile]
name = "Vima Gupta"
page = "site/index.md"

[[sources]]
kind = "bibtex"
paths = ["bib/*.bib"]

[[sources]]
kind = "scholar"
user = "Yno2pxMAAAAJ"
base_url = "{b('scholar')}"

[[sources]]
kind = "escholarship"
author = "{apigen.ORCID_ID}"
items = ["e2e0003b"]
base_url = "{b('escholarship')}"

[[sources]]
kind = "orcid"
id = "{apigen.ORCID_ID}"
base_url = "{b('orcid')}"

[[sources]]
kind = "openalex"
author = "https://openalex.org/{apigen.OPENALEX_AUTHOR}"
base_url = "{b('openalex')}"

[[sources]]
kind = "dblp"
pid = "{apigen.DBLP_PID}"
base_url = "{b('dblp')}"

[[sources]]
kind = "semanticscholar"
author = "{apigen.S2_AUTHOR}"
base_url = "{b('semanticscholar')}"

[outputs]
bibtex = "publications.bib"
json = "publications.json"

[network]
delay = 0
timeout = 2
email = "me@example.org"
""")


@pytest.fixture
def site(tmp_path: Path, monkeypatch) -> Iterator[Site]:
    monkeypatch.setenv(openalex.KEY_ENV, "e2e-openalex-key")
    monkeypatch.delenv(semanticscholar.KEY_ENV, raising=False)
    monkeypatch.delenv(orcid.TOKEN_ENV, raising=False)
    monkeypatch.setattr(semanticscholar, "ANONYMOUS_DELAY", 0.0)
    for module, name in ((openalex, "PAGE_SIZE"), (semanticscholar, "PAGE_SIZE"),
                         (escholarship_api, "PAGE_SIZE"), (orcid, "BULK_SIZE")):
        monkeypatch.setattr(module, name, PAGE)
    servers = {name: HTTPServer(host="127.0.0.1") for name in SERVICES}
    made = Site(tmp_path, apigen.Services(WORKS), servers)
    for name, server in servers.items():
        server.expect_request("").respond_with_handler(made.handler(name))
        server.start()
    (tmp_path / "bib").mkdir()
    (tmp_path / "bib" / "mine.bib").write_text(BIB)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.md").write_text(
        "# Me\n<!-- scholarsync:begin publications -->\n<!-- scholarsync:end publications -->\n")
    write_config(made)
    yield made
    for server in servers.values():
        server.clear()
        if server.is_running():
            server.stop()


def run(site: Site, *args: str) -> Result:
    return CliRunner().invoke(cli, ["sync", "--config", str(site.root / "scholarsync.toml"),
                                    *args])


def cold_requests(services: apigen.Services) -> dict[str, int]:
    """What each service needs: robots.txt + the pages of its cursor (or its one document);
    ORCID: the works list + one bulk read per PAGE put-codes; OpenAlex: the author first."""
    pages = {k: math.ceil(services.listed(k) / PAGE)
             for k in ("escholarship", "openalex", "semanticscholar")}
    return {"scholar": 2,  # robots.txt, then the profile: 429, blocked
            "escholarship": 1 + pages["escholarship"],
            "orcid": 1 + 1 + math.ceil(services.listed("orcid") / PAGE),
            "openalex": 1 + 1 + pages["openalex"],
            "dblp": 1 + 1,
            "semanticscholar": 1 + pages["semanticscholar"]}


def test_scholar_blocked_and_pages_firewalled_every_api_carries_the_site(site: Site) -> None:
    first = run(site, "--json", "--quiet")
    assert first.exit_code == 3, first.output
    data = json.loads(first.stdout)
    status = {s["kind"]: s for s in data["sources"]}
    assert [k for k, s in status.items() if s["status"] != "fresh"] == ["scholar"]
    assert status["scholar"]["status"] == "failed" and "blocked" in status["scholar"]["detail"]
    assert all(not s["detail"] and s["complete"] for k, s in status.items() if k != "scholar")
    assert site.services.requests.get("escholarship-pages", 0) == 0  # the API gave every item
    # requests: what each service needs, no more, as the servers saw them and as reported
    need = cold_requests(site.services)
    assert site.counts() == need
    assert {k: s["requests"] for k, s in status.items() if k != "bibtex"} == need

    exported = json.loads((site.root / "publications.json").read_text())
    assert sorted(p["title"] for p in exported) == sorted(EXPECTED)  # every work once
    for pub in exported:
        ids, counts = EXPECTED[pub["title"]]
        assert {k: v for k, v in pub["ids"].items() if v} == ids, pub["title"]
        assert pub["citations"] == counts, pub["title"]
        assert set(pub["citations_read"]) == set(counts), pub["title"]
    page = (site.root / "site" / "index.md").read_text()
    for title in EXPECTED:
        assert page.count(title) == 1, title
    assert not re.search(r"Gupta 000\d", page)
    bib = (site.root / "publications.bib").read_text()
    assert len(re.findall(r"^@\w+\{", bib, re.M)) == len(EXPECTED)
    assert bib.count("title = {Counting with Transformers}") == 1
    [pair] = [p for p in exported if p["title"] == "Counting with Transformers"]
    assert set(pair["sources"]) == {"orcid", "openalex", "dblp", "semanticscholar"}
    library = json.loads((site.root / "cache" / "library.json").read_text())
    [stored] = [p for p in library["publications"] if p["title"] == pair["title"]]
    assert PAIR_ARXIV in {v.get("arxiv") for v in stored["versions"]}  # the preprint

    # within freshness a second sync asks nothing at all: the APIs' answers are fresh, and
    # Scholar's block is remembered (not asked again before its pause is over)
    before = site.counts()
    again = run(site, "--json", "--quiet")
    assert again.exit_code == 3, again.output
    after = site.counts()
    assert {k: after[k] - before[k] for k in after} == {k: 0 for k in after}
    assert "nothing changed since the last run" in again.output  # the fast path
    assert "blocked sources are not asked again before" in again.output
    assert json.loads((site.root / "publications.json").read_text()) == exported
    # --refresh asks the blocked host at once (and is refused again)
    refreshed = run(site, "--refresh", "--quiet")
    assert refreshed.exit_code == 3, refreshed.output
    assert site.counts()["scholar"] > after["scholar"]


def test_verbose_names_each_sources_requests(site: Site) -> None:
    cold = run(site, "--verbose")
    assert cold.exit_code == 3, cold.output
    need = cold_requests(site.services)
    lines = {line.split()[0]: line for line in cold.stdout.splitlines()
             if line.startswith("  ") and line.split()[0] in SERVICES}
    assert set(lines) == set(SERVICES)
    for kind, count in need.items():
        assert f"{count} request{'' if count == 1 else 's'}," in lines[kind] + ",", lines[kind]
    warm = run(site, "--verbose")
    lines = {line.split()[0]: line for line in warm.stdout.splitlines()
             if line.startswith("  ") and line.split()[0] in (*SERVICES, "bibtex")}
    for kind in SERVICES:
        if kind != "scholar":
            assert "from cache" in lines[kind] and "0 requests" in lines[kind], lines[kind]
    assert "requests" not in lines["bibtex"]  # not a web source
    # without --verbose a source that asked nothing says nothing of it: here every source
    # is asked (--refresh), Scholar again despite its remembered block
    quiet = run(site, "--refresh")
    assert "0 requests" not in quiet.stdout
    assert re.search(r"^  scholar .*[1-9] requests?", quiet.stdout, re.M), quiet.stdout


# the rules of dblp.org's robots.txt that concern person documents (a public snapshot of
# 2026-06-26; the corpus holds none): /pid is allowed, but every .xml export is not, and the
# longer rule wins
ROBOTS_DBLP = "User-agent: *\nCrawl-delay: 4\nAllow: /pid\nAllow: /rec\nDisallow: /*.xml\n"


def test_dblp_robots_closing_the_xml_exports_costs_dblp_alone(site: Site) -> None:
    """What a user meets today with dblp.org's own robots.txt: DBLP fails with that reason
    (nothing but robots.txt asked), exit 3; the works other services know are all listed, with
    every id but DBLP's; the DBLP-only work is missing until DBLP opens its XML again."""
    site.services.robots["dblp"] = ROBOTS_DBLP
    result = run(site, "--json", "--quiet")
    assert result.exit_code == 3, result.output
    status = {s["kind"]: s for s in json.loads(result.stdout)["sources"]}
    assert sorted(k for k, s in status.items() if s["status"] != "fresh") == ["dblp", "scholar"]
    assert "robots.txt" in status["dblp"]["detail"] and "/*.xml" in status["dblp"]["detail"]
    assert site.counts()["dblp"] == 1 == status["dblp"]["requests"]  # robots.txt only
    exported = {p["title"]: p for p in json.loads((site.root / "publications.json").read_text())}
    assert set(exported) == set(EXPECTED) - {"A DBLP-Only Workshop Paper"}
    for title, pub in exported.items():
        ids = {k: v for k, v in EXPECTED[title][0].items() if k != "dblp"}
        if title == "Counting with Transformers":
            ids["dblp"] = "conf/synth/GuptaV24"  # Semantic Scholar knows the DBLP key too
        assert {k: v for k, v in pub["ids"].items() if v} == ids, title
        assert "dblp" not in pub["sources"], title
