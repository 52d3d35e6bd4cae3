"""ORCID public API v3.0: the real recorded answers, synthetic grouped works, bulk reads."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug import Request, Response

from scholarsync.errors import BlockedError, ConfigError, ParseError, SourceError
from scholarsync.net.client import NotFoundError
from scholarsync.sources import orcid
from tests.api_helpers import (
    Sources,
    api_paths,
    cache_text,
    cached_urls,
    corpus_file,
    json_response,
    recorded,
    serve_sources,
)

FIXTURES = Path(__file__).parent / "fixtures" / "orcid"
ID = "0000-0002-1825-0097"  # ORCID's documentation example
WORKS = json.loads((FIXTURES / "works.json").read_text())
FULL = json.loads((FIXTURES / "full.json").read_text())
_PATH = re.compile(r"/v3\.0/([^/]+)/works(?:/([0-9,]+))?")


class Orcid:
    """A local pub.orcid.org: ``/works`` documents by iD, bulk reads from full works (an
    unknown put-code gets an error entry, as ORCID answers); ``mode`` breaks it."""

    def __init__(self) -> None:
        self.works: dict[str, object] = {ID: WORKS}  # iD -> document, or a Response
        self.full: dict[str, dict] = dict(FULL)
        self.mode = ""
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        found = _PATH.fullmatch(request.path)
        if not found:
            return Response("not found", status=404)
        ident, codes = found.groups()
        if self.mode == "429":
            return Response("slow down", status=429, headers={"Retry-After": "3600"})
        if codes is None:
            if self.mode == "malformed-list":
                return Response('{"group": [{"work-summary": [', content_type="application/json")
            answer = self.works.get(ident)
            if isinstance(answer, Response):
                return answer
            return json_response(answer) if answer is not None else Response("", status=404)
        if self.mode == "bulk-500":
            return Response("oops", status=500)
        if self.mode == "bulk-malformed":
            return Response('{"bulk": [{"work": {"put-code": 10', content_type="application/json")
        listed = codes.split(",")
        if len(listed) > orcid.BULK_SIZE:
            return json_response({"error-code": 9006, "developer-message": "too many"}, 400)
        bulk = [{"work": self.full[c]} if c in self.full else {"error": {
            "response-code": 404, "developer-message": f"404 Not Found: no work {c}",
            "error-code": 9016}} for c in listed]
        return json_response({"bulk": bulk})


@pytest.fixture
def sources(tmp_path: Path, httpserver) -> Iterator[Sources]:
    yield from serve_sources(tmp_path, httpserver)


@pytest.fixture
def api(httpserver) -> Orcid:
    handler = Orcid()
    httpserver.expect_request(re.compile(r"^/v3\.0/.*")).respond_with_handler(handler)
    return handler


def _table(ident: str = ID) -> str:
    return f'kind = "orcid"\nid = "{ident}"'


def _preferred(group: dict) -> dict:
    """The summary ORCID documents as preferred: highest display-index, first on a tie."""
    best = group["work-summary"][0]
    for summary in group["work-summary"][1:]:
        if int(summary.get("display-index") or 0) > int(best.get("display-index") or 0):
            best = summary
    return best


# -- the real recorded answers -------------------------------------------------------------------

def test_real_works_list_one_record_per_group(sources, api, httpserver) -> None:
    body, status, headers = recorded("apis", "orcid", "v3_person_and_works.04.json")
    ident = "0000-0003-1444-9135"
    api.works[ident] = Response(body, status=status, headers=headers)
    document = json.loads(body)
    summaries = {str(s["put-code"]): s for g in document["group"] for s in g["work-summary"]}
    api.full = summaries  # bulk answers built from the real summaries (a summary is a work)
    result = sources(_table(ident)).read()
    groups = document["group"]
    assert len(result.records) == len(groups) and result.complete
    assert [r.ids["orcid"] for r in result.records] == [str(_preferred(g)["put-code"])
                                                        for g in groups]
    without_doi = [g for g in groups if not any(
        e["external-id-type"] == "doi" for e in g["external-ids"]["external-id"])]
    assert sum("doi" not in r.ids for r in result.records) == len(without_doi) > 0
    assert all(r.key == f"orcid:{r.ids['orcid']}" for r in result.records)
    assert result.requests == 1 + 1 + math.ceil(len(groups) / orcid.BULK_SIZE)
    assert all(r.title == _preferred(g)["title"]["title"]["value"].strip()
               for r, g in zip(result.records, groups, strict=True) if "<" not in r.title)


def test_real_empty_works_list(sources, api) -> None:
    body, status, headers = recorded("apis", "orcid", "v3_person_and_works.02.json")
    api.works["0000-0003-1620-1408"] = Response(body, status=status, headers=headers)
    result = sources(_table("0000-0003-1620-1408")).read()
    assert result.records == [] and result.problems == [] and result.complete
    assert result.requests == 2  # robots.txt, the list; nothing to read in bulk


def test_real_not_found_answer(sources, api) -> None:
    body, status, headers = recorded("apis", "orcid", "v3_works_error.json")
    api.works[ID] = Response(body, status=status, headers=headers)
    with pytest.raises(NotFoundError, match="404"):
        sources(_table()).read()


def test_real_work_with_a_bibtex_citation(sources, api) -> None:
    path = corpus_file("apis", "orcid", "v3_work_with_bibtex_citation.01.json")
    work = json.loads(path.read_text(encoding="utf-8"))
    ident = "0000-0002-0734-2199"
    summary = {k: work[k] for k in ("put-code", "title", "external-ids", "type",
                                    "publication-date", "journal-title", "source")}
    api.works[ident] = {"group": [{"external-ids": work["external-ids"],
                                   "work-summary": [summary]}]}
    api.full = {str(work["put-code"]): work}
    [record] = sources(_table(ident)).read().records
    names = [c["credit-name"]["value"] for c in work["contributors"]["contributor"]]
    assert [a.display for a in record.authors] == names
    citation = work["citation"]["citation-value"]
    for name in ("volume", "pages", "number"):
        expected = re.search(rf'{name}\s*=\s*"([^"]+)"', citation).group(1)
        assert record.fields[name] == expected
    assert record.venue == work["journal-title"]["value"]
    assert record.year == int(work["publication-date"]["year"]["value"])
    assert record.ids == {"orcid": str(work["put-code"])}  # no DOI: kept all the same
    [(kind, value)] = [(e["external-id-type"], e["external-id-value"])
                       for e in work["external-ids"]["external-id"]]
    assert record.extra["external_ids"] == {kind: value}
    keywords = re.search(r'keywords\s*=\s*"([^"]+)"', citation).group(1)
    assert record.keywords == [k.strip() for k in keywords.split(",")]
    assert record.abstract.startswith(work["short-description"][:30])


# -- synthetic grouped works ---------------------------------------------------------------------

def test_preferred_summary_full_works_and_works_without_doi(sources, api, httpserver) -> None:
    result = sources(_table()).read()
    by_code = {r.ids["orcid"]: r for r in result.records}
    assert list(by_code) == ["1002", "1003", "1004", "1005", "1006"]
    paths = api_paths(httpserver)
    assert paths == [f"/v3.0/{ID}/works", f"/v3.0/{ID}/works/1002,1003,1004,1005,1006"]
    assert all(r.headers["Accept"] == "application/json" for r in api.requests)
    assert all("Authorization" not in r.headers for r in api.requests)

    article = by_code["1002"]
    assert article.title == "Understanding Infinity: Neural Network Models"
    assert [a.display for a in article.authors] == ["Vima Gupta", "Sashank Varma"]
    assert article.ids == {"doi": "10.9999/orcid.1", "orcid": "1002"}
    assert article.venue == "Journal of Synthetic Results" and article.type == "article"
    assert article.abstract == "We model infinity with neural networks."
    assert article.extra["date"] == "2024-03"
    assert article.origin.location == f"https://pub.orcid.org/v3.0/{ID}/work/1002"

    scopus = by_code["1003"]
    assert scopus.type == "inproceedings" and scopus.fields["booktitle"].startswith("Proc")
    assert [a.family for a in scopus.authors] == ["Gupta", "Other"]
    assert scopus.extra["external_ids"] == {"eid": "2-s2.0-99999999999"}

    pure = by_code["1004"]  # authors, number and pages from its BibTeX citation
    assert [a.display for a in pure.authors] == ["Vima Gupta", "Jane Doe"]
    assert pure.fields["number"] == "TR-7" and pure.fields["pages"] == "1--42"
    assert pure.keywords == ["reports", "purity"] and pure.type == "techreport"
    assert pure.links["url"].startswith("https://pure.example.org/")

    assert by_code["1005"].ids["arxiv"] == "2311.15194"
    poster = by_code["1006"]  # not in the bulk answer: its summary stands in
    assert poster.title == "A Poster Without Identifiers" and poster.authors == []
    [warning] = result.problems
    assert warning.level == "warning" and "summary is used" in warning.message
    assert result.complete and result.status == "fresh"


def _many(count: int) -> dict:
    """A synthetic works list of ``count`` single-summary groups (put-codes 5000…)."""
    groups = []
    for n in range(count):
        groups.append({"external-ids": {"external-id": []}, "work-summary": [{
            "put-code": 5000 + n, "display-index": "0", "title": {"title": {"value": f"W {n}"}},
            "type": "journal-article",
            "publication-date": {"year": {"value": "2020"}, "month": None, "day": None}}]})
    return {"group": groups}


def test_bulk_reads_take_at_most_one_hundred_put_codes(sources, api, httpserver) -> None:
    api.works[ID] = _many(250)
    api.full = {}
    result = sources(_table()).read()
    assert len(result.records) == 250
    bulk = [p for p in api_paths(httpserver) if p.count("/") == 4]
    assert [len(p.rsplit("/", 1)[1].split(",")) for p in bulk] == [100, 100, 50]
    assert result.requests == 1 + 1 + 3


def test_the_token_is_sent_but_never_stored(sources, api, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(orcid.TOKEN_ENV, "secret-token-123")
    result = sources(_table()).read()
    assert len(result.records) == 5
    assert {r.headers.get("Authorization") for r in api.requests} == {"Bearer secret-token-123"}
    assert "secret-token-123" not in cache_text(tmp_path)
    assert all("secret" not in u for u in cached_urls(tmp_path))
    again = sources(_table()).read()
    assert again.requests == 0 and again.status == "cache"


# -- failures ------------------------------------------------------------------------------------

def test_a_malformed_list_fails_and_is_not_cached(sources, api, tmp_path) -> None:
    api.mode = "malformed-list"
    with pytest.raises(ParseError, match="not JSON"):
        sources(_table()).read()
    assert not [u for u in cached_urls(tmp_path) if u.endswith("/works")]


@pytest.mark.parametrize("mode", ["bulk-500", "bulk-malformed"])
def test_a_failing_bulk_read_makes_a_partial_list(sources, api, tmp_path, mode: str) -> None:
    api.mode = mode
    result = sources(_table()).read()
    assert result.records == [] and not result.complete  # no removals: last good stays
    [problem] = result.problems
    assert problem.level == "error" and "5 ORCID works not read" in problem.message
    assert not [u for u in cached_urls(tmp_path) if "/works/" in u]


def test_429_is_a_block(sources, api, httpserver) -> None:
    api.mode = "429"
    with pytest.raises(BlockedError, match="429"):
        sources(_table()).read()
    assert len(api_paths(httpserver)) == 1  # never retried


# -- ids, config, inspect ------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (ID, ID), (f"https://orcid.org/{ID}", ID), (f"http://orcid.org/{ID}/", ID),
    ("0000-0002-9079-593x", "0000-0002-9079-593X"),
    ("0000-0002-1825-0098", None), ("0000-0002-1825", None), ("Vima Gupta", None),
])
def test_orcid_ids_are_checked(value: str, expected: str | None) -> None:
    assert orcid.orcid_id(value) == expected


def test_config_rejects_a_bad_id(sources) -> None:
    with pytest.raises(ConfigError, match=r"sources\[0\]\.id.*check digit"):
        sources(_table("0000-0002-1825-0098"))


def test_inspect_an_orcid_url(sources, api) -> None:
    source = sources(_table())
    assert orcid.OrcidSource.accepts(f"https://orcid.org/{ID}")
    records = source.inspect(f"https://orcid.org/{ID}")
    assert [r.ids["orcid"] for r in records] == ["1002", "1003", "1004", "1005", "1006"]


def test_a_refused_token_is_named_without_showing_it(sources, api, monkeypatch) -> None:
    monkeypatch.setenv(orcid.TOKEN_ENV, "expired-token-456")
    api.works[ID] = Response('{"error": "invalid_token"}', status=401,
                             content_type="application/json")
    with pytest.raises(SourceError, match=orcid.TOKEN_ENV) as info:
        sources(_table()).read()
    assert "expired-token-456" not in str(info.value)


def test_the_bulk_reads_are_bounded(sources, api, monkeypatch) -> None:
    monkeypatch.setattr(orcid, "MAX_BULK", 2)
    api.works[ID] = _many(250)
    api.full = {}
    result = sources(_table()).read()
    assert len(result.records) == 200 and not result.complete  # the rest: last good data
    assert result.requests == 1 + 1 + 2
    assert "the first 200 are read" in result.problems[0].message
