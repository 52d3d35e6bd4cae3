"""The lookup sources one at a time against a local server: Crossref, DataCite and arXiv
answers replayed from ../shared/corpus/apis (status, headers, body; expected values read from
the files), and synthetic answers (tests/lookup_helpers.py) for the faults: unknown ids, a
429, malformed bodies, odd DOIs, batching and pacing."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from scholarsync.errors import ConfigError, SourceError
from scholarsync.sources import arxiv
from scholarsync.sources.lookup import rate_limit_pause
from tests.api_helpers import Sources, cached_urls, corpus_file, recorded, replay, serve_sources
from tests.lookup_helpers import Preprint, Services, Work

ATOM = {"a": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom"}
PLOS = "10.1371/journal.pone.0033693"


@pytest.fixture
def sources(tmp_path: Path, httpserver: HTTPServer) -> Iterator[Sources]:
    yield from serve_sources(tmp_path, httpserver)


@pytest.fixture
def services(httpserver: HTTPServer) -> Services:
    handler = Services()
    httpserver.expect_request(re.compile(r"/(works|dois|api)/.*")).respond_with_handler(handler)
    return handler


def ids_table(kind: str, *ids: str) -> str:
    return f'kind = "{kind}"\nids = [{", ".join(json.dumps(i) for i in ids)}]'


def paths(httpserver: HTTPServer) -> list[str]:
    return [r.full_path.rstrip("?") for r, _ in httpserver.log if r.path != "/robots.txt"]


# -- Crossref and DataCite, recorded ---------------------------------------------------------

def test_a_recorded_crossref_work_and_its_rate_limit(sources: Sources,
                                                     httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/works/{PLOS}").respond_with_response(
        replay("apis", "crossref", "work_one_doi_public_pool.json"))
    message = json.loads(corpus_file("apis", "crossref", "work_one_doi_public_pool.json")
                         .read_text())["message"]
    _, _, headers = recorded("apis", "crossref", "work_one_doi_public_pool.json")
    source = sources(ids_table("crossref", f"https://doi.org/{PLOS.upper()}"))
    result = source.lookup([])
    (record,) = result.records
    assert record.title == message["title"][0]
    assert [p.family for p in record.authors] == [a["family"] for a in message["author"]]
    assert record.venue == message["container-title"][0]
    assert record.year == message["issued"]["date-parts"][0][0]
    assert record.fields["volume"] == message["volume"]
    assert record.fields["number"] == message["issue"]
    assert record.fields["pages"] == message["page"]
    assert record.type == "article" and record.ids == {"doi": PLOS}
    assert record.citations == message["is-referenced-by-count"]
    # x-rate-limit-limit 5 per x-rate-limit-interval 1s: at least 0.2 s between requests
    expected = 1.0 / int(headers["x-rate-limit-limit"])
    assert source.context.http.delay_for("api.crossref.org") == pytest.approx(expected)
    assert result.status == "fresh" and not result.problems


def test_the_polite_pool_carries_mailto_and_its_own_limits(tmp_path: Path, sources: Sources,
                                                           httpserver: HTTPServer) -> None:
    body, _, headers = recorded("apis", "crossref", "work_one_doi_public_pool.json")
    _, _, polite = recorded("apis", "crossref", "works_query_polite_pool.json")
    httpserver.expect_request(f"/works/{PLOS}").respond_with_data(
        body, headers=polite, content_type="application/json")
    source = sources(ids_table("crossref", PLOS),
                     network='delay = 0\ntimeout = 5\nemail = "me@example.org"\n')
    source.lookup([])
    (request,) = [r for r, _ in httpserver.log if r.path.startswith("/works/")]
    assert request.headers["User-Agent"].endswith("(mailto:me@example.org)")
    assert source.context.http.delay_for("api.crossref.org") == pytest.approx(
        1.0 / int(polite["x-rate-limit-limit"]))
    assert int(polite["x-rate-limit-limit"]) > int(headers["x-rate-limit-limit"])


def test_rate_limit_headers() -> None:
    assert rate_limit_pause({"x-rate-limit-limit": "50", "x-rate-limit-interval": "1s"}) == 0.02
    assert rate_limit_pause({"x-rate-limit-limit": "2", "x-rate-limit-interval": "1m"}) == 30
    assert rate_limit_pause({"x-rate-limit-limit": "x", "x-rate-limit-interval": "1s"}) is None
    assert rate_limit_pause({}) is None


@pytest.mark.parametrize("name", ["doi_get.json", "doi_dataset.02.json"])
def test_a_doi_crossref_does_not_know_is_asked_of_datacite(sources: Sources,
                                                           httpserver: HTTPServer,
                                                           name: str) -> None:
    meta = json.loads(corpus_file("apis", "datacite", name.replace(".json", ".meta.json"))
                      .read_text())
    attrs = json.loads(corpus_file("apis", "datacite", name).read_text())["data"]["attributes"]
    doi = attrs["doi"]
    assert meta["request"]["url"].split("?")[0].endswith(doi)
    httpserver.expect_request(f"/works/{doi}").respond_with_data(
        "Resource not found.", status=404, content_type="text/plain")
    httpserver.expect_request(f"/dois/{doi}").respond_with_response(
        replay("apis", "datacite", name))
    result = sources(ids_table("crossref", doi)).lookup([])
    (record,) = result.records
    assert record.title == attrs["titles"][0]["title"]
    assert [p.family for p in record.authors] == [c["familyName"] for c in attrs["creators"]]
    assert record.year == int(attrs["publicationYear"])
    assert record.fields["publisher"] == attrs["publisher"]
    assert record.ids == {"doi": doi.lower()}
    assert paths(httpserver) == [f"/works/{doi}", f"/dois/{doi}"]
    assert not result.problems


def test_a_doi_neither_knows_is_a_warning_for_that_doi(sources: Sources, services: Services,
                                                       httpserver: HTTPServer) -> None:
    services.add(Work("10.5555/known", "Known", [("A", "B")], 2020))
    result = sources(ids_table("crossref", "10.5555/known", "10.5555/nobody")).lookup([])
    assert [r.ids["doi"] for r in result.records] == ["10.5555/known"]
    assert result.status == "fresh"
    (problem,) = result.problems
    assert problem.level == "warning" and "10.5555/nobody" in problem.message
    assert "neither Crossref nor DataCite" in problem.message
    assert services.requests("datacite") == ["10.5555/nobody"]


def test_a_doi_with_odd_characters_is_sent_percent_encoded(sources: Sources,
                                                           services: Services,
                                                           httpserver: HTTPServer) -> None:
    doi = "10.1002/(SICI)1097-4636(199812)43:4<351::AID-JBM2>3.0.CO;2-G"
    services.add(Work(doi, "A SICI Work", [("Ann", "Lee")], 1998, container="J. Biomed."))
    result = sources(ids_table("crossref", doi)).lookup([])
    (record,) = result.records
    assert record.ids["doi"] == doi.lower()
    assert services.requests("crossref") == [doi.lower()]  # DOIs are case-insensitive
    (sent,) = [r for r, _ in httpserver.log if r.path.startswith("/works/")]
    raw = sent.environ.get("RAW_URI") or sent.environ.get("REQUEST_URI") or ""
    assert "%3C351" in raw and "%3B2-g" in raw and "<" not in raw


def test_a_429_blocks_the_source_and_caches_nothing(tmp_path: Path, sources: Sources,
                                                    services: Services) -> None:
    services.add(Work("10.5555/a", "A", [("A", "B")], 2020))
    services.faults["crossref"] = "429"
    source = sources(ids_table("crossref", "10.5555/a", "10.5555/b"))
    with pytest.raises(SourceError, match="429"):
        source.lookup([])
    assert services.requests("crossref") == ["10.5555/a"]  # no further request to the host
    assert not [u for u in cached_urls(tmp_path) if "/works/" in u]


def test_a_malformed_answer_costs_that_doi_and_is_not_cached(tmp_path: Path, sources: Sources,
                                                             services: Services) -> None:
    services.add(Work("10.5555/a", "A", [("A", "B")], 2020))
    services.faults["crossref"] = "malformed"
    result = sources(ids_table("crossref", "10.5555/a")).lookup([])
    assert not result.records
    (problem,) = result.problems
    assert problem.level == "error" and "not JSON" in problem.message
    assert not [u for u in cached_urls(tmp_path) if "/works/" in u]


def test_an_invalid_doi_in_ids_is_a_config_error(sources: Sources) -> None:
    with pytest.raises(ConfigError, match="ids"):
        sources(ids_table("crossref", "not a doi"))


# -- arXiv, recorded -------------------------------------------------------------------------

def _feed_entry(name: str) -> ET.Element:
    root = ET.fromstring(corpus_file("apis", "arxiv", name).read_bytes())
    entry = root.find("a:entry", ATOM)
    assert entry is not None
    return entry


@pytest.mark.parametrize("name, ident", [
    ("id_old_style_astro-ph_0601001.xml", "astro-ph/0601001"),
    ("id_versioned_2104.12255v1.xml", "2104.12255v1"),
    ("id_1605.08386.xml", "1605.08386"),
])
def test_recorded_arxiv_entries(sources: Sources, httpserver: HTTPServer, name: str,
                                ident: str) -> None:
    httpserver.expect_request("/api/query").respond_with_response(replay("apis", "arxiv", name))
    entry = _feed_entry(name)
    result = sources(ids_table("arxiv", ident)).lookup([])
    (record,) = result.records
    assert record.title == " ".join((entry.findtext("a:title", "", ATOM)).split())
    assert [p.display for p in record.authors] == [
        n.text for n in entry.findall("a:author/a:name", ATOM)]
    assert record.year == int(entry.findtext("a:published", "", ATOM)[:4])
    assert record.ids["arxiv"] == ident
    assert record.links["arxiv"] == f"https://arxiv.org/abs/{ident}"
    ref = entry.findtext("arxiv:journal_ref", None, ATOM)
    assert record.extra.get("journal_ref") == (" ".join(ref.split()) if ref else None)
    (request,) = [r for r, _ in httpserver.log if r.path == "/api/query"]
    assert request.args["id_list"] == ident
    assert not result.problems


def test_recorded_two_ids_one_of_which_arxiv_has_not(sources: Sources,
                                                     httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/query").respond_with_response(
        replay("apis", "arxiv", "id_list_two.xml"))
    result = sources(ids_table("arxiv", "0808.05394", "1707.08567")).lookup([])
    assert [r.ids["arxiv"] for r in result.records] == ["1707.08567"]
    (problem,) = result.problems
    assert problem.level == "warning" and "no entry for 0808.05394" in problem.message
    assert len([r for r, _ in httpserver.log if r.path == "/api/query"]) == 1


def test_recorded_nonexistent_id_is_a_warning(sources: Sources, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/query").respond_with_response(
        replay("apis", "arxiv", "id_nonexistent.xml"))
    result = sources(ids_table("arxiv", "2312.99999")).lookup([])
    assert not result.records and result.status == "fresh"
    assert "no entry for 2312.99999" in result.problems[0].message


def test_recorded_refusal_of_a_malformed_id_costs_that_request(sources: Sources,
                                                               httpserver: HTTPServer) -> None:
    """arXiv answers HTTP 400 with an error entry; a malformed id is never sent by us, but
    a refusal of a request is an error for its ids, not a crash or a source failure."""
    _, status, _ = recorded("apis", "arxiv", "id_malformed.xml")
    assert status == 400
    httpserver.expect_request("/api/query").respond_with_response(
        replay("apis", "arxiv", "id_malformed.xml"))
    result = sources(ids_table("arxiv", "2311.15194")).lookup([])
    assert not result.records
    assert result.problems[0].level == "error" and "400" in result.problems[0].message


def test_a_malformed_arxiv_id_is_never_sent(sources: Sources, services: Services) -> None:
    with pytest.raises(ConfigError, match="arXiv id"):
        sources(ids_table("arxiv", "abc"))
    source = sources(ids_table("arxiv", "2311.15194"))
    with pytest.raises(SourceError, match="not an arXiv id"):
        source.inspect("abc")
    assert services.requests("arxiv") == []


def test_malformed_atom_is_an_error_for_its_ids_and_not_cached(tmp_path: Path,
                                                               sources: Sources,
                                                               services: Services) -> None:
    services.faults["arxiv"] = "malformed"
    result = sources(ids_table("arxiv", "2311.15194")).lookup([])
    assert not result.records and result.problems[0].level == "error"
    assert "not Atom XML" in result.problems[0].message
    assert not [u for u in cached_urls(tmp_path) if "/api/query" in u]


def test_a_hundred_ids_per_request_paced(sources: Sources, services: Services,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    idents = [f"2301.{n:05d}" for n in range(150)]
    services.add(*[Preprint(i, f"Paper {i}", ["Ann Lee"]) for i in idents])
    source = sources(ids_table("arxiv", *idents))
    assert arxiv.PAUSE == 3.0  # arXiv's terms of use
    monkeypatch.setattr(arxiv, "PAUSE", 0.4)  # the same pacing, shorter for the test
    result = source.lookup([])
    assert len(result.records) == 150
    sent = [(when, ids.split(",")) for when, name, ids, _ in services.log if name == "arxiv"]
    assert [len(ids) for _, ids in sent] == [100, 50]
    assert sent[1][0] - sent[0][0] >= 0.4
    assert source.context.http.delay_for("export.arxiv.org") == pytest.approx(0.4)


def test_a_versioned_id_asks_for_that_version(sources: Sources, services: Services) -> None:
    services.add(Preprint("2104.12255", "Pinned", ["Ann Lee"], version=3))
    result = sources(ids_table("arxiv", "arXiv:2104.12255v1")).lookup([])
    (record,) = result.records
    assert services.requests("arxiv") == ["2104.12255v1"]
    assert record.ids["arxiv"] == "2104.12255v1" and record.extra["arxiv_versions"] == 1



def test_announced_rate_limits_pace_the_requests(sources: Sources, services: Services) -> None:
    services.headers = {"x-rate-limit-limit": "4", "x-rate-limit-interval": "1s",
                        "x-concurrency-limit": "1"}
    dois = [f"10.5555/paced.{n}" for n in range(3)]
    services.add(*[Work(d, f"Paced {d}", [("A", "B")], 2020) for d in dois])
    result = sources(ids_table("crossref", *dois)).lookup([])
    assert len(result.records) == 3
    times = [when for when, name, _, _ in services.log if name == "crossref"]
    assert all(b - a >= 0.25 for a, b in zip(times, times[1:], strict=False))
