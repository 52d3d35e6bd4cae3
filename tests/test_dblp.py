"""DBLP person documents: the real recorded document, synthetic ones for what it lacks (every
record type, a CoRR preprint, a namesake, a disambiguation page), and each way the answer can
be unusable (the source fails, nothing bad is cached)."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug import Request, Response

from scholarsync.errors import BlockedError, ConfigError, NetworkError, ParseError, SourceError
from scholarsync.net.client import HttpStatusError, NotFoundError
from scholarsync.sources import dblp, rules
from tests.api_helpers import (
    CORPUS,
    Sources,
    api_paths,
    cached_urls,
    corpus_file,
    recorded,
    serve_sources,
)

FIXTURES = Path(__file__).parent / "fixtures" / "dblp"
PID = "123/4567-1"  # the synthetic owner, "Vima Gupta 0001"
REAL_PID = "95/7448-1"
REAL = ("apis", "dblp", "person_95-7448-1.xml")
XML = "application/xml; charset=utf-8"


def real_document() -> tuple[bytes, int, dict[str, str]]:
    """The recorded person document, with its recorded status and headers when the corpus
    has a ``.meta.json`` for it; the corpus holds none for DBLP today (the document was cut
    out of another project's test), so it is served as DBLP serves it: 200, XML."""
    body = corpus_file(*REAL).read_bytes()
    if CORPUS.joinpath(*REAL[:-1], REAL[-1].rsplit(".", 1)[0] + ".meta.json").exists():
        return recorded(*REAL)
    return body, 200, {"Content-Type": XML}


class Dblp:
    """A local dblp.org: person documents by pid, records by key; ``mode`` breaks it."""

    def __init__(self) -> None:
        self.people: dict[str, bytes] = {PID: (FIXTURES / "person.xml").read_bytes(),
                                         "123/4567": (FIXTURES / "disambiguation.xml")
                                         .read_bytes()}
        self.records: dict[str, bytes] = {"conf/nips/MullerG21": (FIXTURES / "record.xml")
                                          .read_bytes()}
        self.mode = ""
        self.requests: list[Request] = []
        self.slept = 0  # answers held back past the client's timeout

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        found = re.fullmatch(r"/(pid|rec)/(.+)\.xml", request.path)
        if not found:
            return Response("not found", status=404)
        kind, name = found.groups()
        body = (self.people if kind == "pid" else self.records).get(name)
        if body is None:
            return Response("<html><body>Error 404: Not Found</body></html>", status=404,
                            content_type="text/html")
        mode = self.mode
        if mode == "429":
            return Response("Too Many Requests", status=429)
        if mode == "429-retry-after":
            return Response("Too Many Requests", status=429, headers={"Retry-After": "600"})
        if mode == "500":
            return Response("Internal Server Error", status=500)
        if mode == "malformed":
            return Response(body.replace(b"</title>", b"</titel>", 1), content_type=XML)
        if mode == "truncated":
            return Response(body[: len(body) // 2], content_type=XML)
        if mode == "empty":
            return Response(b"", content_type=XML)
        if mode == "html":
            return Response("<html><head><title>dblp</title></head><body>maintenance</body>"
                            "</html>", content_type="text/html")
        if mode == "timeout":
            time.sleep(0.6)
            self.slept += 1
        return Response(body, content_type=XML)


@pytest.fixture
def sources(tmp_path: Path, httpserver) -> Iterator[Sources]:
    yield from serve_sources(tmp_path, httpserver)


@pytest.fixture
def api(httpserver) -> Dblp:
    handler = Dblp()
    httpserver.expect_request(re.compile(r"^/(pid|rec)/.*")).respond_with_handler(handler)
    return handler


def _table(pid: str = PID) -> str:
    return f'kind = "dblp"\npid = "{pid}"'


def _blocks(text: str) -> list[tuple[str, str, str]]:
    """(type, key, body) of each record inside an ``<r>``, read with a regular expression
    (not the source's parser)."""
    return re.findall(r'<r><(\w+) key="([^"]+)"[^>]*>(.*?)</\1>\s*</r>', text, re.S)


def _unsuffixed(name: str) -> str:
    return re.sub(r" \d{4}$", "", html.unescape(name))


# -- the real recorded document ------------------------------------------------------------------

def test_real_person_document(sources, api, httpserver) -> None:
    body, status, headers = real_document()
    api.people[REAL_PID] = body
    text = body.decode("utf-8")
    result = sources(_table(REAL_PID)).read()
    blocks = _blocks(text)
    announced = int(re.search(r'<dblpperson [^>]*\bn="(\d+)"', text).group(1))
    assert status == 200 and len(blocks) == announced == len(result.records)
    assert result.complete and result.problems == [] and result.status == "fresh"
    assert result.requests == 2  # robots.txt and the one person document
    assert api_paths(httpserver) == [f"/pid/{REAL_PID}.xml"]
    for (kind, key, inner), record in zip(blocks, result.records, strict=True):
        assert record.ids["dblp"] == key and record.key == f"dblp:{key}"
        assert record.links["dblp"] == f"https://dblp.org/rec/{key}"
        assert record.type == kind  # article / inproceedings
        title = re.search(r"<title>(.*?)</title>", inner, re.S).group(1)
        assert record.title == html.unescape(title).removesuffix(".")
        names = re.findall(r'<author pid="[^"]+">([^<]+)</author>', inner)
        assert [a.display for a in record.authors] == [_unsuffixed(n) for n in names]
        pids = re.findall(r'<author pid="([^"]+)">', inner)
        assert record.extra["dblp_owner"] == pids.index(REAL_PID)
        assert [a["name"] for a in record.extra["dblp_authors"]] == names  # suffix kept
        dois = re.findall(r"<ee>https://doi\.org/([^<]+)</ee>", inner)
        assert record.ids["doi"] == dois[0].lower()
        venue = re.search(r"<(?:booktitle|journal)>([^<]+)<", inner).group(1)
        assert record.venue == venue
        year = re.search(r"<year>(\d+)</year>", inner).group(1)
        assert record.year == int(year)
        pages = re.search(r"<pages>([^<]+)</pages>", inner).group(1)
        assert record.fields["pages"] == pages.replace("-", "--")
    assert all("0001" not in a.display for r in result.records for a in r.authors)
    owner = re.search(r'<dblpperson name="([^"]+)"', text).group(1)
    homonym = re.search(r'<h [^>]*><person [^>]*>\s*<author pid="([^"]+)">([^<]+)<', text)
    assert result.profile["dblp"] == REAL_PID and result.profile["dblp_name"] == owner
    assert result.profile["name"] == _unsuffixed(owner)
    affiliation = re.search(r'<note type="affiliation">([^<]+)</note>', text).group(1)
    assert result.profile["affiliation"] == affiliation
    assert result.profile["homonyms"] == [f"{homonym.group(2)} ({homonym.group(1)})"]


def test_real_document_second_read_is_from_the_cache(sources, api, httpserver) -> None:
    api.people[REAL_PID] = real_document()[0]
    first = sources(_table(REAL_PID)).read()
    again = sources(_table(REAL_PID)).read()
    assert again.requests == 0 and again.status == "cache"
    assert [r.to_dict() for r in again.records] == [r.to_dict() for r in first.records]


# -- synthetic documents -------------------------------------------------------------------------

def test_every_record_type(sources, api, httpserver) -> None:
    result = sources(_table()).read()
    by_key = {r.ids["dblp"]: r for r in result.records}
    text = (FIXTURES / "person.xml").read_text()
    kept = [k for t, k, inner in _blocks(text) if t != "www" and "withdrawn" not in
            re.search(rf'key="{re.escape(k)}"[^>]*>', text).group(0)]
    assert list(by_key) == kept and len(kept) == 8  # www and the withdrawn one skipped
    assert result.complete and result.problems == []
    [request] = api.requests
    assert request.headers["Accept"] == "application/xml"
    assert request.headers["User-Agent"].startswith("scholarsync/")

    book = by_key["books/syn/Gupta23"]
    assert book.type == "book" and book.fields["publisher"] == "Synthetic Press"
    assert book.fields["isbn"] == "978-3-16-148410-0" and book.ids["doi"] == "10.5555/book.2023"
    assert book.extra["dblp_authors"] == [{"name": "Vima Gupta 0001", "pid": PID,
                                           "orcid": "0000-0002-1825-0097"}]
    chapter = by_key["books/syn/23/Gupta23a"]
    assert chapter.type == "incollection" and chapter.fields["booktitle"] == "The Book of Numbers"
    assert chapter.fields["pages"] == "5--17" and chapter.links["url"].startswith("https://link.")
    assert chapter.extra["dblp_crossref"] == "books/syn/23"
    proceedings = by_key["conf/count/2022"]
    assert proceedings.type == "proceedings" and "author" not in proceedings.fields
    assert proceedings.fields["editor"] == "Gupta, Vima and Lee, Ann"
    assert [a.display for a in proceedings.authors] == ["Vima Gupta", "Ann Lee"]
    assert proceedings.venue == "CEUR Workshop Proceedings"
    assert proceedings.fields["volume"] == "3333" and proceedings.extra["dblp_owner"] == 0
    article = by_key["journals/jsr/GuptaGM21"]
    assert article.title == "On n-ary Tallies & Totals"  # <i> and an entity in the title
    assert article.fields["title"] == r"On n-ary Tallies \& Totals"
    assert [a.display for a in article.authors] == ["Vima Gupta", "Vima Gupta", "Jörg Müller"]
    assert article.extra["dblp_owner"] == 1  # by pid: the namesake first is not the owner
    assert [a["pid"] for a in article.extra["dblp_authors"]] == ["123/4567-2", PID, "88/2"]
    assert article.links["url"] == "https://publisher.example.org/jsr/3/2/1"  # not Wikidata
    assert (article.fields["volume"], article.fields["number"]) == ("3", "2")
    assert article.fields["journal"] == "J. Synth. Res."
    thesis = by_key["phd/us/Gupta18"]
    assert thesis.type == "phdthesis" and thesis.fields["school"].startswith("University of")
    assert thesis.title == "Neural Models of Number: Do Networks Count?"
    assert by_key["ms/Gupta14"].type == "mastersthesis"
    assert by_key["ms/Gupta14"].fields["note"] == "In Catalan."
    assert "note" not in by_key["conf/nips/GuptaV20"].fields  # an award note is not text


def test_the_corr_record_is_a_preprint_with_its_arxiv_id(sources, api) -> None:
    from scholarsync.core.merge import is_preprint

    by_key = {r.ids["dblp"]: r for r in sources(_table()).read().records}
    corr = by_key["journals/corr/abs-1912-01234"]
    assert corr.ids == {"dblp": "journals/corr/abs-1912-01234", "arxiv": "1912.01234"}
    assert corr.type == "misc" and is_preprint(corr)
    assert corr.links["arxiv"] == "https://arxiv.org/abs/1912.01234"
    assert corr.fields["eprint"] == "1912.01234" and "volume" not in corr.fields
    published = by_key["conf/nips/GuptaV20"]
    assert not is_preprint(published) and published.ids["doi"] == "10.5555/nips.2020.1"


def test_merge_makes_the_corr_record_a_version_of_the_conference_paper(sources, api) -> None:
    from scholarsync.config import MatchConfig
    from scholarsync.core.merge import merge_records

    records = sources(_table()).read().records
    pubs = merge_records(records, MatchConfig()).publications
    assert len(pubs) == len(records) - 1
    [paper] = [p for p in pubs if p.title == "Counting with Neural Networks"]
    assert paper.venue == "NeurIPS" and paper.year == 2020
    assert paper.ids["doi"] == "10.5555/nips.2020.1" and paper.ids["arxiv"] == "1912.01234"
    assert [v.get("arxiv") for v in paper.versions] == ["1912.01234"]


def test_a_disambiguation_page_fails_the_source_and_names_the_profiles(sources, api,
                                                                        tmp_path) -> None:
    with pytest.raises(SourceError, match="disambiguation") as info:
        sources(_table("123/4567")).read()
    message = str(info.value)
    assert "Vima Gupta 0001 (123/4567-1)" in message and "123/4567-2" in message
    assert not [u for u in cached_urls(tmp_path) if "/pid/" in u]


def test_a_renamed_profile_is_followed_and_its_new_pid_named(sources, api) -> None:
    # DBLP redirects a merged profile's pid to its new one: the document names the new pid
    api.people["9/9"] = api.people[PID]
    result = sources(_table("9/9")).read()
    assert len(result.records) == 8 and result.complete
    assert all("dblp_owner" in r.extra for r in result.records)  # found by the new pid
    [warning] = result.problems
    assert warning.level == "warning" and f'set pid = "{PID}"' in warning.message
    assert result.profile["dblp"] == PID


def test_a_document_announcing_more_records_than_it_holds_is_partial(sources, api) -> None:
    api.people[PID] = api.people[PID].replace(b'n="10"', b'n="12"')
    result = sources(_table()).read()
    assert len(result.records) == 8 and not result.complete
    assert "partial list" in result.problems[0].message


# -- failures ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("mode", "message"), [
    ("malformed", "not XML"), ("truncated", "cut short"), ("empty", "empty answer"),
    ("html", "not a DBLP person document"),
])
def test_an_unusable_document_fails_and_is_not_cached(sources, api, tmp_path, mode: str,
                                                      message: str) -> None:
    api.mode = mode
    with pytest.raises(ParseError, match=message):
        sources(_table()).read()
    assert not [u for u in cached_urls(tmp_path) if "/pid/" in u]


@pytest.mark.parametrize("mode", ["429", "429-retry-after"])
def test_429_is_a_block_never_retried(sources, api, httpserver, tmp_path, mode: str) -> None:
    api.mode = mode
    with pytest.raises(BlockedError, match="429"):
        sources(_table()).read()
    assert len(api_paths(httpserver)) == 1
    assert not [u for u in cached_urls(tmp_path) if "/pid/" in u]


def test_a_server_error_after_a_good_read_serves_the_last_copy_as_stale(sources, api) -> None:
    good = sources(_table()).read()
    api.mode = "500"
    again = sources(_table(), refresh=True).read()
    assert again.status == "stale" and "site failed" in again.detail
    assert [r.key for r in again.records] == [r.key for r in good.records]


def test_a_server_error_without_a_copy_fails(sources, api) -> None:
    api.mode = "500"
    with pytest.raises(HttpStatusError, match="500"):
        sources(_table()).read()


def test_a_timeout_fails(sources, api) -> None:
    api.mode = "timeout"
    with pytest.raises(NetworkError, match="(?i)timed out|timeout"):
        sources(_table(), network="delay = 0\ntimeout = 0.3\n").read()
    attempts = 3  # the client's first try and its two retries
    deadline = time.monotonic() + 10
    while api.slept < attempts and time.monotonic() < deadline:
        time.sleep(0.05)  # let the one-thread server finish the held answers
    assert len(api.requests) == attempts


def test_robots_txt_closing_the_xml_exports_fails_with_that_reason(tmp_path, httpserver) -> None:
    """Rules modelled on dblp.org's robots.txt (a copy of 2026-06: ``Allow: /pid``,
    ``Allow: /rec``, ``Disallow: /*.xml``); nothing but robots.txt is asked."""
    from scholarsync.errors import DisallowedError

    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nAllow: /pid\nAllow: /rec\nDisallow: /rec/xml\nDisallow: /*.xml\n",
        content_type="text/plain")
    handler = Dblp()
    httpserver.expect_request(re.compile(r"^/(pid|rec)/.*")).respond_with_handler(handler)
    made = Sources(tmp_path, httpserver.url_for("/").rstrip("/"))
    try:
        with pytest.raises(DisallowedError, match=r"robots\.txt closes its XML exports"):
            made(_table()).read()
        with pytest.raises(DisallowedError, match="robots"):
            made(_table()).inspect("conf/nips/MullerG21")
    finally:
        made.close()
    assert handler.requests == []  # nothing asked of /pid or /rec


def test_an_unknown_pid_is_not_found(sources, api) -> None:
    with pytest.raises(NotFoundError, match="404"):
        sources(_table("1/1")).read()


# -- config, ids, inspect ------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("95/7448-1", "95/7448-1"), ("https://dblp.org/pid/95/7448-1", "95/7448-1"),
    ("https://dblp.org/pid/95/7448-1.html", "95/7448-1"),
    ("https://dblp.uni-trier.de/pid/95/7448-1.xml", "95/7448-1"),
    ("k/DonaldEKnuth", "k/DonaldEKnuth"), ("95/7448", "95/7448"),
    ("math/0601001", None), ("10.1109/icip.2010.5649486", None), ("Di Xu", None),
    ("conf/icip/XuDN10", None), ("https://dblp.org/pers/hd/x/Xu:Di", None),
])
def test_person_ids(value: str, expected: str | None) -> None:
    assert dblp.person_id(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("conf/nips/Smith20", "conf/nips/Smith20"),
    ("https://dblp.org/rec/journals/corr/abs-1912-01234.html", "journals/corr/abs-1912-01234"),
    ("https://dblp.org/rec/conf/icip/XuDN10.xml", "conf/icip/XuDN10"),
    ("books/sp/22/Gupta22", "books/sp/22/Gupta22"), ("phd/us/Gupta18", "phd/us/Gupta18"),
    ("95/7448-1", None), ("conf/nips", None), ("homepages/95/7448-1", None),
])
def test_record_keys(value: str, expected: str | None) -> None:
    assert dblp.record_key(value) == expected


def test_config_takes_a_person_url_and_rejects_anything_else(sources) -> None:
    source = sources(_table("https://dblp.org/pid/95/7448-1.html"))
    assert source.config.options["pid"] == "95/7448-1"
    assert dblp.DblpSource.owner_page(source.config.options) == "https://dblp.org/pid/95/7448-1"
    with pytest.raises(ConfigError, match=r"sources\[0\]\.pid.*not a DBLP person id"):
        sources(_table("Di Xu"))


def test_the_identifier_is_declared() -> None:
    spec = rules().spec("dblp")
    assert spec is not None and spec.decisive and not spec.exclusive
    assert spec.url("conf/icip/XuDN10") == "https://dblp.org/rec/conf/icip/XuDN10"
    assert rules().rank("orcid") < rules().rank("dblp") < rules().rank("escholarship")


def test_inspect_a_pid_and_a_record_key(sources, api, httpserver) -> None:
    source = sources(_table())
    assert dblp.DblpSource.accepts("https://dblp.org/pid/123/4567-1")
    assert dblp.DblpSource.accepts("conf/nips/MullerG21")
    assert len(source.inspect(f"https://dblp.org/pid/{PID}.html")) == 8
    [record] = source.inspect("https://dblp.org/rec/conf/nips/MullerG21.html")
    assert record.title == "Sheep & Goats: 100% Counted"
    assert [a.display for a in record.authors] == ["Jörg Müller", "Vima Gupta"]
    assert record.ids == {"dblp": "conf/nips/MullerG21", "doi": "10.5555/nips.2021.7",
                          "arxiv": "2106.01234"}
    assert "dblp_owner" not in record.extra  # no owner named: a lookup by key
    assert api_paths(httpserver)[-1] == "/rec/conf/nips/MullerG21.xml"


def test_the_records_survive_the_saved_library_round_trip(sources, api) -> None:
    from scholarsync.model import Record

    for record in sources(_table()).read().records:
        data = json.loads(json.dumps(record.to_dict()))
        assert Record.from_dict(data) == record
