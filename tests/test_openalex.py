"""OpenAlex: the real recorded answers replayed, a synthetic author listing with cursors, the
API key (required, never stored), and every way a listing can go wrong."""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug import Request, Response

from scholarsync.core.merge import is_preprint
from scholarsync.core.normalize import normalize_doi
from scholarsync.errors import BlockedError, ConfigError, ParseError, SourceError
from scholarsync.sources import openalex
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

FIXTURES = Path(__file__).parent / "fixtures" / "openalex"
AUTHOR = json.loads((FIXTURES / "author.json").read_text())
WORKS = json.loads((FIXTURES / "works.json").read_text())
ORCID = "0000-0002-1825-0097"
KEY = "oa-test-key-5f1c9e"
SINGLE = ["work_book_chapter", "work_dissertation", "work_doi_with_orcid", "work_journal_article",
          "work_missing_contributor_name", "work_posted_content_preprint",
          "work_proceedings_article", "work_too_many_contributor_names"]


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    return 0 if cursor == "*" else int(base64.urlsafe_b64decode(cursor).decode().split(":")[1])


class OpenAlex:
    """A local api.openalex.org: ``/authors/{ref}`` and ``/works?filter=author.id:…`` paged by
    cursor like the real one (``next_cursor`` null on the last page); ``mode`` breaks it."""

    def __init__(self) -> None:
        self.authors: dict[str, object] = {"A5000000001": AUTHOR, f"orcid:{ORCID}": AUTHOR}
        self.works: dict[str, list[dict]] = {"A5000000001": WORKS}
        self.page: Response | None = None  # answers every /works request when set
        self.mode = ""
        self.count = True  # send meta.count
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        if self.mode == "429":
            return Response("Too many requests", status=429)
        if self.mode == "403":
            return json_response({"error": "Forbidden"}, 403)
        if request.path.startswith("/authors/"):
            answer = self.authors.get(request.path.removeprefix("/authors/"))
            if isinstance(answer, Response):
                return answer
            return json_response(answer) if answer else json_response({"error": "404"}, 404)
        if request.path != "/works":
            return Response("not found", status=404)
        if self.page is not None:
            return self.page
        author = request.args["filter"].removeprefix("author.id:")
        works = self.works.get(author, [])
        per_page = int(request.args["per_page"])
        cursor = request.args["cursor"]
        offset = _offset(cursor)
        if offset and self.mode == "page2-500":
            return Response("busy", status=500)
        if offset and self.mode == "page2-malformed":
            return Response('{"meta": {"count": 5}, "results": [{"id": "https://openalex.org/W',
                            content_type="application/json")
        results = works[offset:offset + per_page]
        following = _cursor(offset + per_page) if offset + per_page < len(works) else None
        if self.mode == "loop" and offset:
            following = cursor
        if self.mode == "empty" and offset:
            results = []
        meta: dict[str, object] = {"per_page": per_page, "next_cursor": following}
        if self.count:
            meta["count"] = len(works)
        return json_response({"meta": meta, "results": results})


@pytest.fixture
def sources(tmp_path: Path, httpserver, monkeypatch) -> Iterator[Sources]:
    monkeypatch.setenv(openalex.KEY_ENV, KEY)
    yield from serve_sources(tmp_path, httpserver)


@pytest.fixture
def api(httpserver) -> OpenAlex:
    handler = OpenAlex()
    httpserver.expect_request(re.compile(r"^/(authors|works).*")).respond_with_handler(handler)
    return handler


def _table(author: str = "A5000000001") -> str:
    return f'kind = "openalex"\nauthor = "{author}"'


def _expected_names(work: dict) -> list[str]:
    """The author names of a recorded work, as the file gives them (affiliation lines that
    OpenAlex took for names start with a comma and are not people)."""
    names = [(a["author"] or {}).get("display_name") or a.get("raw_author_name") or ""
             for a in work["authorships"]]
    return [n for n in names if n and n[0].isalpha()]


# -- the real recorded answers -------------------------------------------------------------------

@pytest.mark.parametrize("name", SINGLE)
def test_real_works_become_records(name: str) -> None:
    body, status, _ = recorded("apis", "openalex", f"{name}.json")
    assert status == 200
    work = json.loads(body)
    record = openalex.work_record(work, "2026-12-06")
    assert record.ids["openalex"] == work["id"].rsplit("/", 1)[1]
    assert record.key == f"openalex:{record.ids['openalex']}"
    assert record.ids.get("doi") == normalize_doi(work["doi"])
    assert record.year == work["publication_year"]
    assert record.citations == work["cited_by_count"] and record.citations_read == "2026-12-06"
    assert record.title == " ".join(re.sub(r"<[^>]+>", "", work["title"]).split())
    assert [a.display for a in record.authors] == [" ".join(n.split())
                                                   for n in _expected_names(work)]
    source = (work["primary_location"] or {}).get("source") or {}
    assert record.venue == (source.get("display_name") or "")
    positions = sum(len(v) for v in (work["abstract_inverted_index"] or {}).values())
    assert len(record.abstract.split()) == positions
    if positions:
        first = min(work["abstract_inverted_index"].items(), key=lambda kv: min(kv[1]))[0]
        assert record.abstract.startswith(first)
    biblio = work["biblio"]
    if biblio.get("volume"):
        assert record.fields["volume"] == biblio["volume"]
    first_page, last_page = biblio.get("first_page"), biblio.get("last_page")
    if first_page and last_page:
        assert record.fields["pages"] == (f"{first_page}--{last_page}" if first_page != last_page
                                          else first_page)
    assert record.links["openalex"] == f"https://openalex.org/{record.ids['openalex']}"


def test_real_preprint_and_types() -> None:
    records = {n: openalex.work_record(json.loads(recorded("apis", "openalex", f"{n}.json")[0]),
                                       "2026-12-06") for n in SINGLE}
    assert is_preprint(records["work_posted_content_preprint"])  # bioRxiv
    assert not is_preprint(records["work_journal_article"])
    assert records["work_journal_article"].type == "article"
    assert records["work_proceedings_article"].type == "inproceedings"
    assert records["work_book_chapter"].type == "incollection"
    assert records["work_dissertation"].type == "phdthesis"


def test_real_list_answer_replayed(sources, api, httpserver) -> None:
    body, status, headers = recorded("apis", "openalex", "works_list_sample.02.json")
    api.page = Response(body, status=status, headers=headers)
    document = json.loads(body)
    result = sources(_table()).read()
    wanted = [w for w in document["results"] if not w.get("is_paratext")]
    assert [r.ids["openalex"] for r in result.records] == [w["id"].rsplit("/", 1)[1]
                                                          for w in wanted]
    assert [r.citations for r in result.records] == [w["cited_by_count"] for w in wanted]
    assert result.complete and result.problems == [] and result.status == "fresh"
    # meta.count works read: the listing ends without asking for the next cursor
    assert len(document["results"]) == document["meta"]["count"]
    assert api_paths(httpserver) == ["/authors/A5000000001", "/works"]
    assert result.requests == 1 + 1 + 1  # robots.txt, the author, one page
    assert result.profile["openalex"] == "A5000000001"


def test_real_single_works_served_as_a_listing_page(sources, api) -> None:
    works = [json.loads(corpus_file("apis", "openalex", f"{n}.json").read_text()) for n in SINGLE]
    _, status, headers = recorded("apis", "openalex", "works_list_sample.02.json")
    api.page = Response(json.dumps({"meta": {"count": len(works), "next_cursor": None},
                                    "results": works}), status=status, headers=headers)
    result = sources(_table()).read()
    assert sorted(r.ids["openalex"] for r in result.records) == sorted(
        w["id"].rsplit("/", 1)[1] for w in works)


# -- the synthetic listing -----------------------------------------------------------------------

def test_cursor_paging_ids_and_fields(sources, api, httpserver, monkeypatch) -> None:
    monkeypatch.setattr(openalex, "PAGE_SIZE", 2)
    source = sources(_table(), network='delay = 0\ntimeout = 5\nemail = "me@example.org"\n')
    result = source.read()
    works = [r for r in api.requests if r.path == "/works"]
    assert [r.args["cursor"] for r in works] == ["*", _cursor(2), _cursor(4)]
    assert all(r.args["per_page"] == "2" and r.args["filter"] == "author.id:A5000000001"
               for r in works)
    assert all(r.args["mailto"] == "me@example.org" and r.args["api_key"] == KEY
               for r in api.requests)
    assert result.requests == 1 + 1 + 3 and result.complete
    by_id = {r.ids["openalex"]: r for r in result.records}
    # the front matter (paratext) is left out
    assert list(by_id) == ["W4000000001", "W4000000002", "W4000000003", "W4000000004"]

    article = by_id["W4000000001"]
    assert article.title == "Understanding Infinity: Neural Network Models"
    assert article.ids == {"doi": "10.9999/oa.1", "arxiv": "2311.15194", "pmid": "39000001",
                           "openalex": "W4000000001"}
    assert [a.display for a in article.authors] == ["Vima Gupta", "Sashank Varma"]
    assert article.venue == "Journal of Synthetic Results" and article.type == "article"
    assert article.fields["pages"] == "101--120" and article.fields["number"] == "3"
    assert article.fields["publisher"] == "Synthetic Press"
    assert article.abstract == "We model infinity with neural networks."
    assert article.citations == 42 and article.citations_read == "2026-12-06"
    assert article.links["pdf"] == "https://arxiv.org/pdf/2311.15194"
    assert article.extra["date"] == "2024-03-01" and not is_preprint(article)

    preprint = by_id["W4000000002"]
    assert preprint.ids["arxiv"] == "2311.15194" and is_preprint(preprint)
    proceedings = by_id["W4000000003"]
    assert proceedings.type == "inproceedings" and proceedings.fields["pages"] == "7"
    assert proceedings.fields["booktitle"] == "Proceedings of the Synthetic Conference"
    assert proceedings.abstract == "Sheep count many Sheep"
    report = by_id["W4000000004"]
    assert [a.display for a in report.authors] == ["Vima Gupta"]
    assert report.extra["retracted"] is True and "doi" not in report.ids
    assert result.profile == {"openalex": "A5000000001", "display_name": "Vima Gupta",
                              "works_count": 5, "cited_by_count": 57}


def test_listing_ends_when_next_cursor_is_null(sources, api, monkeypatch) -> None:
    monkeypatch.setattr(openalex, "PAGE_SIZE", 2)
    api.count = False
    result = sources(_table()).read()
    assert len(result.records) == 4 and result.complete
    assert len([r for r in api.requests if r.path == "/works"]) == 3


def test_an_orcid_author_is_resolved(sources, api, httpserver) -> None:
    result = sources(_table(f"orcid:https://orcid.org/{ORCID}")).read()
    assert api_paths(httpserver)[0] == f"/authors/orcid:{ORCID}"
    assert api.requests[1].args["filter"] == "author.id:A5000000001"
    assert len(result.records) == 4


def test_a_merged_author_id_follows_the_new_one(sources, api) -> None:
    api.authors["A5999999999"] = AUTHOR  # OpenAlex answers an old id with the current record
    result = sources(_table("https://openalex.org/A5999999999")).read()
    assert api.requests[1].args["filter"] == "author.id:A5000000001"
    assert len(result.records) == 4


# -- the key -------------------------------------------------------------------------------------

def test_without_a_key_the_source_fails_with_a_clear_message(sources, api, httpserver,
                                                             monkeypatch) -> None:
    monkeypatch.delenv(openalex.KEY_ENV)
    with pytest.raises(SourceError, match=rf"needs an API key.*{openalex.KEY_ENV}"):
        sources(_table()).read()
    assert api_paths(httpserver) == []  # nothing asked


def test_the_key_is_sent_but_never_stored_or_logged(sources, api, tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")  # as --verbose does
    result = sources(_table()).read()
    assert len(result.records) == 4
    assert {r.args.get("api_key") for r in api.requests} == {KEY}
    assert KEY not in cache_text(tmp_path)
    assert all("api_key" not in u for u in cached_urls(tmp_path))
    ours = "\n".join(r.getMessage() for r in caplog.records  # (werkzeug: the test server)
                     if not r.name.startswith("werkzeug"))
    assert KEY not in ours and "api_key=***" in ours  # urllib3's debug lines (--verbose)
    again = sources(_table()).read()
    assert again.requests == 0 and again.status == "cache" and len(again.records) == 4


def test_offline_the_cache_serves_without_a_key(sources, api, monkeypatch) -> None:
    assert len(sources(_table()).read().records) == 4
    monkeypatch.delenv(openalex.KEY_ENV)
    again = sources(_table(), offline=True).read()
    assert len(again.records) == 4 and again.requests == 0


def test_a_refused_key_is_a_block_named_without_the_key(sources, api, httpserver) -> None:
    api.mode = "403"
    with pytest.raises(BlockedError, match=openalex.KEY_ENV) as info:
        sources(_table()).read()
    assert KEY not in str(info.value)
    assert len(api_paths(httpserver)) == 1


def test_a_refused_connection_does_not_show_the_key(tmp_path, closed_port, monkeypatch) -> None:
    from tests.api_helpers import Sources

    monkeypatch.setenv(openalex.KEY_ENV, KEY)
    made = Sources(tmp_path, f"http://127.0.0.1:{closed_port}")
    try:
        with pytest.raises(SourceError) as info:
            made(_table(), network="delay = 0\ntimeout = 0.5\n").read()
    finally:
        made.close()
    assert KEY not in str(info.value)


# -- failures ------------------------------------------------------------------------------------

def test_429_is_a_block(sources, api, httpserver) -> None:
    api.mode = "429"
    with pytest.raises(BlockedError, match="429"):
        sources(_table()).read()
    assert len(api_paths(httpserver)) == 1  # never retried


@pytest.mark.parametrize("mode", ["page2-500", "page2-malformed", "loop", "empty"])
def test_a_listing_that_breaks_off_is_partial_and_not_cached(sources, api, tmp_path,
                                                             monkeypatch, mode: str) -> None:
    monkeypatch.setattr(openalex, "PAGE_SIZE", 2)
    api.mode = mode
    result = sources(_table()).read()
    assert not result.complete  # no removals: the last good data stands in
    assert [r.ids["openalex"] for r in result.records][:2] == ["W4000000001", "W4000000002"]
    assert any(p.level == "error" for p in result.problems)
    assert not [u for u in cached_urls(tmp_path) if "/works?" in u]


def test_a_malformed_first_page_fails_and_is_not_cached(sources, api, tmp_path) -> None:
    api.page = Response('{"meta": {"count": 5}, "results": [', content_type="application/json")
    with pytest.raises(ParseError, match="not JSON"):
        sources(_table()).read()
    assert not [u for u in cached_urls(tmp_path) if "/works?" in u]


def test_an_answer_without_results_is_no_page(sources, api, tmp_path) -> None:
    api.page = json_response({"error": "Invalid query parameters"})
    with pytest.raises(ParseError, match="no results list"):
        sources(_table()).read()
    assert not [u for u in cached_urls(tmp_path) if "/works?" in u]


def test_an_unknown_author(sources, api) -> None:
    with pytest.raises(SourceError, match="knows no author A5000000009"):
        sources(_table("A5000000009")).read()


def test_the_pages_are_bounded(sources, api, monkeypatch) -> None:
    monkeypatch.setattr(openalex, "PAGE_SIZE", 1)
    monkeypatch.setattr(openalex, "MAX_PAGES", 2)
    result = sources(_table()).read()
    assert len(result.records) == 2 and not result.complete
    assert "stopped after 2 pages" in result.problems[0].message


# -- config, inspect -----------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("A5023888391", "A5023888391"), ("a5023888391", "A5023888391"),
    ("https://openalex.org/A5023888391", "A5023888391"),
    ("https://openalex.org/authors/A5023888391", "A5023888391"),
    ("https://api.openalex.org/authors/A5023888391", "A5023888391"),
    (f"orcid:{ORCID}", f"orcid:{ORCID}"), (f"orcid:https://orcid.org/{ORCID}", f"orcid:{ORCID}"),
    ("orcid:0000-0002-1825-0098", None), ("W2600965442", None), ("Vima Gupta", None),
])
def test_author_references(value: str, expected: str | None) -> None:
    assert openalex.author_ref(value) == expected


def test_config_rejects_a_bad_author(sources) -> None:
    with pytest.raises(ConfigError, match=r"sources\[0\]\.author.*OpenAlex author"):
        sources(_table("W2600965442"))


def test_inspect_an_author_url(sources, api) -> None:
    source = sources(_table())
    assert openalex.OpenalexSource.accepts("https://openalex.org/A5000000001")
    assert not openalex.OpenalexSource.accepts(ORCID)
    records = source.inspect("https://openalex.org/A5000000001")
    assert len(records) == 4
