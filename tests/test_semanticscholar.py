"""Semantic Scholar Graph API: the real 9-page author listing replayed, a synthetic page with
every field, the key header (optional, never stored), pacing, and listings that go wrong."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug import Request, Response

from scholarsync.errors import BlockedError, ConfigError, ParseError, SourceError
from scholarsync.sources import semanticscholar as s2
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

FIXTURES = Path(__file__).parent / "fixtures" / "semanticscholar"
PAPERS = json.loads((FIXTURES / "papers.json").read_text())
REAL = "1723755"  # the author of the recorded listing
KEY = "s2-test-key-77ab"


def _real_pages() -> dict[int, tuple[bytes, int, dict[str, str]]]:
    """The recorded pages by the offset their request asked for."""
    pages = {}
    for n in range(1, 10):
        name = f"author_papers_paged.0{n}.json"
        meta = json.loads(corpus_file("apis", "semanticscholar",
                                      name.replace(".json", ".meta.json")).read_text())
        offset = int(re.search(r"offset=(\d+)", meta["request"]["url"]).group(1))
        pages[offset] = recorded("apis", "semanticscholar", name)
    return pages


class S2:
    """A local Graph API: recorded or synthetic pages by offset; ``mode`` breaks it."""

    def __init__(self) -> None:
        self.pages: dict[str, dict[int, Response | dict]] = {"9000001": {0: PAPERS}}
        self.mode = ""
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        found = re.fullmatch(r"/graph/v1/author/(\d+)/papers", request.path)
        if not found:
            return Response("not found", status=404)
        if self.mode == "429":
            return Response("Too Many Requests", status=429)
        if self.mode == "429-short-once":
            self.mode = ""
            return Response("Too Many Requests", status=429, headers={"Retry-After": "1"})
        if self.mode == "403":
            return json_response({"message": "Forbidden"}, 403)
        offset = int(request.args.get("offset", "0"))
        if offset and self.mode == "page2-500":
            return Response("busy", status=500)
        if offset and self.mode == "page2-malformed":
            return Response('{"offset": 100, "data": [{"paperId": "',
                            content_type="application/json")
        if self.mode == "back" and offset:
            return json_response({"offset": offset, "next": 0, "data": [
                {"paperId": "b" * 40, "title": "Another"}]})
        if self.mode == "empty" and offset:
            return json_response({"offset": offset, "next": offset + 100, "data": []})
        pages = self.pages.get(found.group(1))
        if pages is None:
            return json_response({"error": "Author with ID not found"}, 404)
        answer = pages.get(offset)
        if answer is None:
            return json_response({"offset": offset, "data": []})
        return answer if isinstance(answer, Response) else json_response(answer)


@pytest.fixture
def sources(tmp_path: Path, httpserver, monkeypatch) -> Iterator[Sources]:
    monkeypatch.delenv(s2.KEY_ENV, raising=False)
    monkeypatch.setattr(s2, "ANONYMOUS_DELAY", 0.0)
    monkeypatch.setattr(s2, "KEYED_DELAY", 0.0)
    yield from serve_sources(tmp_path, httpserver)


@pytest.fixture
def api(httpserver) -> S2:
    handler = S2()
    httpserver.expect_request(re.compile(r"^/graph/v1/.*")).respond_with_handler(handler)
    return handler


def _table(author: str = "9000001") -> str:
    return f'kind = "semanticscholar"\nauthor = "{author}"'


def _real(api: S2) -> list[dict]:
    pages = _real_pages()
    api.pages[REAL] = {o: Response(b, status=s, headers=h) for o, (b, s, h) in pages.items()}
    return [p for o in sorted(pages) for p in json.loads(pages[o][0])["data"]]


# -- the real recorded answers -------------------------------------------------------------------

def test_real_nine_page_listing(sources, api, httpserver) -> None:
    papers = _real(api)
    result = sources(_table(REAL)).read()
    assert [r.ids["semanticscholar"] for r in result.records] == list(dict.fromkeys(
        p["paperId"] for p in papers))
    assert [r.title for r in result.records][:3] == [p["title"] for p in papers[:3]]
    offsets = [int(r.args["offset"]) for r in api.requests]
    assert offsets == sorted(_real_pages())  # next followed until absent: 0, 100, … 800
    assert all(r.args["limit"] == str(s2.PAGE_SIZE) for r in api.requests)
    assert result.requests == 1 + 9 and result.complete and result.problems == []
    assert all(r.citations is None for r in result.records)  # fields=title: no counts


def test_real_empty_answer_is_an_author_without_papers(sources, api) -> None:
    body, status, headers = recorded("apis", "semanticscholar", "empty_paginated_results.json")
    api.pages["9000009"] = {0: Response(body, status=status, headers=headers)}
    result = sources(_table("9000009")).read()
    assert result.records == [] and result.complete and result.problems == []


def test_real_papers_of_an_author_record() -> None:
    path = corpus_file("apis", "semanticscholar", "author_with_papers.json")
    papers = json.loads(path.read_text(encoding="utf-8"))["papers"]
    records = [s2.paper_record(p, "2026-12-06") for p in papers]
    for paper, record in zip(papers, records, strict=True):
        external = paper["externalIds"] or {}
        assert record.ids["semanticscholar"] == paper["paperId"]
        assert record.ids.get("doi") == (external["DOI"].lower() if "DOI" in external else None)
        assert record.ids.get("dblp") == external.get("DBLP")
        assert record.citations == paper["citationCount"]
        assert [a.display for a in record.authors] == [a["name"] for a in paper["authors"]]
        assert record.year == paper["year"]
        if (paper.get("journal") or {}).get("name"):
            assert record.venue == paper["journal"]["name"]
        if (paper.get("openAccessPdf") or {}).get("url"):
            assert record.links["pdf"] == paper["openAccessPdf"]["url"]
    assert sum("dblp" in r.ids for r in records) == sum("DBLP" in (p["externalIds"] or {})
                                                        for p in papers) > 0


# -- the synthetic page --------------------------------------------------------------------------

def test_fields_ids_and_counts(sources, api, httpserver) -> None:
    result = sources(_table()).read()
    assert api_paths(httpserver) == ["/graph/v1/author/9000001/papers"]
    [request] = api.requests
    assert request.args["fields"] == s2.FIELDS and request.args["offset"] == "0"
    assert "x-api-key" not in request.headers
    by_id = {r.ids["semanticscholar"][-1]: r for r in result.records}
    article = by_id["1"]
    assert article.ids == {"doi": "10.9999/oa.1", "arxiv": "2311.15194",
                           "dblp": "journals/jsr/GuptaV24", "semanticscholar": "a" + "0" * 38 + "1"}
    assert article.type == "article" and article.venue == "Journal of Synthetic Results"
    assert article.fields["pages"] == "101--120" and article.fields["volume"] == "12"
    assert article.citations == 40 and article.citations_read == "2026-12-06"
    assert [a.display for a in article.authors] == ["Vima Gupta", "S. Varma"]
    assert article.links["semanticscholar"].endswith("/paper/" + article.ids["semanticscholar"])
    assert article.abstract == "We model infinity with neural networks."
    conference = by_id["2"]
    assert conference.type == "inproceedings" and conference.venue == "Synthetic Conference"
    assert conference.ids["dblp"] == "conf/synth/Gupta22" and "doi" not in conference.ids
    assert by_id["3"].venue == "" and by_id["3"].type == "misc"
    assert result.requests == 1 + 1 and result.complete


def test_without_a_key_requests_are_paced_slowly(tmp_path, httpserver, api, monkeypatch) -> None:
    monkeypatch.delenv(s2.KEY_ENV, raising=False)
    made = Sources(tmp_path, httpserver.url_for("/").rstrip("/"))
    httpserver.expect_request("/robots.txt").respond_with_data("", content_type="text/plain")
    try:
        source = made(_table())
        source.read()
        assert source.context.http.delay_for(s2.HOST) == s2.ANONYMOUS_DELAY >= 3.0
        monkeypatch.setenv(s2.KEY_ENV, KEY)
        keyed = made(_table(), refresh=True)
        keyed.read()
        assert keyed.context.http.delay_for(s2.HOST) == s2.KEYED_DELAY
    finally:
        made.close()


def test_the_key_is_sent_as_a_header_and_never_stored(sources, api, monkeypatch,
                                                      tmp_path) -> None:
    monkeypatch.setenv(s2.KEY_ENV, KEY)
    result = sources(_table()).read()
    assert len(result.records) == 3
    assert {r.headers.get("x-api-key") for r in api.requests} == {KEY}
    assert all(KEY not in r.url for r in api.requests)
    assert KEY not in cache_text(tmp_path)
    again = sources(_table()).read()
    assert again.requests == 0 and again.status == "cache"


def test_a_refused_key_is_a_block_named_without_the_key(sources, api, monkeypatch) -> None:
    monkeypatch.setenv(s2.KEY_ENV, KEY)
    api.mode = "403"
    with pytest.raises(BlockedError, match=s2.KEY_ENV) as info:
        sources(_table()).read()
    assert KEY not in str(info.value)


# -- failures ------------------------------------------------------------------------------------

def test_429_is_a_block_for_the_run(sources, api, httpserver) -> None:
    api.mode = "429"
    with pytest.raises(BlockedError, match="429"):
        sources(_table()).read()
    assert len(api_paths(httpserver)) == 1  # never retried


def test_without_a_key_a_short_retry_after_is_still_a_block(sources, api, httpserver) -> None:
    api.mode = "429-short-once"
    with pytest.raises(BlockedError, match="429"):
        sources(_table()).read()
    assert len(api_paths(httpserver)) == 1


def test_with_a_key_a_short_retry_after_is_waited_for(sources, api, monkeypatch) -> None:
    monkeypatch.setenv(s2.KEY_ENV, KEY)
    api.mode = "429-short-once"
    result = sources(_table()).read()
    assert len(result.records) == 3 and len(api.requests) == 2  # asked again after 1 s


@pytest.mark.parametrize("mode", ["page2-500", "page2-malformed", "back", "empty"])
def test_a_listing_that_breaks_off_is_partial_and_not_cached(sources, api, tmp_path,
                                                             mode: str) -> None:
    papers = _real(api)
    api.mode = mode
    result = sources(_table(REAL)).read()
    assert not result.complete
    assert [r.ids["semanticscholar"] for r in result.records][:100] == [
        p["paperId"] for p in papers[:100]]
    assert any(p.level == "error" for p in result.problems)
    assert not [u for u in cached_urls(tmp_path) if "/papers?" in u]


def test_a_malformed_first_page_fails_and_is_not_cached(sources, api, tmp_path) -> None:
    api.pages["9000001"] = {0: Response('{"data": [', content_type="application/json")}
    with pytest.raises(ParseError, match="not JSON"):
        sources(_table()).read()
    assert not [u for u in cached_urls(tmp_path) if "/papers?" in u]


def test_an_answer_without_data_is_no_page(sources, api, tmp_path) -> None:
    api.pages["9000001"] = {0: {"next": 100}}
    with pytest.raises(ParseError, match="no data list"):
        sources(_table()).read()
    assert not [u for u in cached_urls(tmp_path) if "/papers?" in u]


def test_an_unknown_author(sources, api) -> None:
    with pytest.raises(SourceError, match="knows no author 9000404"):
        sources(_table("9000404")).read()


def test_the_pages_are_bounded(sources, api, monkeypatch) -> None:
    _real(api)
    monkeypatch.setattr(s2, "MAX_PAGES", 2)
    result = sources(_table(REAL)).read()
    assert len(result.records) == 200 and not result.complete
    assert "stopped after 2 pages" in result.problems[0].message


# -- config, inspect -----------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("1723755", "1723755"), ("https://www.semanticscholar.org/author/1723755", "1723755"),
    ("https://www.semanticscholar.org/author/A-Turing/1723755", "1723755"),
    ("https://www.semanticscholar.org/author/A-Turing/1723755/", "1723755"),
    ("A5023888391", None), ("Alan Turing", None),
])
def test_author_ids(value: str, expected: str | None) -> None:
    assert s2.author_id(value) == expected


def test_config_rejects_a_bad_author(sources) -> None:
    with pytest.raises(ConfigError, match=r"sources\[0\]\.author.*Semantic Scholar author"):
        sources(_table("Alan Turing"))


def test_inspect_an_author_url(sources, api) -> None:
    source = sources(_table())
    url = "https://www.semanticscholar.org/author/Vima-Gupta/9000001"
    assert s2.SemanticscholarSource.accepts(url) and s2.SemanticscholarSource.accepts("9000001")
    assert not s2.SemanticscholarSource.accepts("https://openalex.org/A5000000001")
    assert len(source.inspect(url)) == 3
