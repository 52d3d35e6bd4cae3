"""The HTTP client against a real local server: cache, canonical keys, offline, revalidation,
stale copies, retries, pacing, robots.txt and the User-Agent."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import socket
import time

import pytest
from pytest_httpserver import HTTPServer
from pytest_socket import disable_socket, enable_socket

from scholarsync import PROJECT_URL, __version__
from scholarsync.config import load_config
from scholarsync.errors import DisallowedError, NetworkError, NotInCacheError
from scholarsync.net.client import HttpClient, HttpStatusError, NotFoundError
from scholarsync.net.transport import retry_after as _retry_after
from tests.http_helpers import (
    CORPUS,
    ESCHOLARSHIP,
    SCHOLAR,
    Stamps,
    allow_all,
    base,
    cache_text,
    cached_urls,
    client,
    html,
    paths,
)

ITEM = f"{ESCHOLARSHIP}/uc/item/91z2p9h1"


def test_fetch_then_cache_hit_makes_no_request(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    html(httpserver, "/uc/item/91z2p9h1", "Ünïcode title")
    first = client(tmp_path)
    page = first.get(ITEM, base_url=base(httpserver))
    assert (page.status, page.from_cache, page.stale) == (200, False, False)
    assert "Ünïcode title" in page.text
    assert page.url == page.final_url == ITEM
    assert first.requests_made == 2  # robots.txt + the page
    assert first.requests_by_host == {"escholarship.org": 2}
    served = len(httpserver.log)

    again = first.get(ITEM, base_url=base(httpserver))
    later = client(tmp_path)  # a later run, within the day
    cached = later.get(ITEM, base_url=base(httpserver))
    assert again.from_cache and cached.from_cache and not cached.stale
    assert cached.text == page.text and cached.fetched_at == page.fetched_at
    assert len(httpserver.log) == served and later.requests_made == 0


def test_cache_is_keyed_by_canonical_url(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    httpserver.expect_request("/uc/item/qt91z2p9h1").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/uc/item/91z2p9h1")})
    html(httpserver, "/uc/item/91z2p9h1", "the item")
    http = client(tmp_path)
    page = http.get(f"{ESCHOLARSHIP}/uc/item/qt91z2p9h1", base_url=base(httpserver))
    assert http.requests_made == 3  # robots.txt, the redirect, the item
    assert page.final_url == ITEM  # an absolute Location on the mirror maps back
    assert page.redirects == [f"{ESCHOLARSHIP}/uc/item/qt91z2p9h1"]

    offline = client(tmp_path, offline=True)  # no base_url: the real URL is served from cache
    again = offline.get(f"{ESCHOLARSHIP}/uc/item/qt91z2p9h1")
    assert "the item" in again.text and again.final_url == ITEM and again.from_cache
    assert cached_urls(tmp_path / "cache") == {
        f"{ESCHOLARSHIP}/robots.txt", f"{ESCHOLARSHIP}/uc/item/qt91z2p9h1", ITEM}
    text = cache_text(tmp_path / "cache")
    assert "127.0.0.1" not in text and "Set-Cookie" not in text


def test_cache_files_are_readable_json_named_by_host(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    html(httpserver, "/uc/item/91z2p9h1", "x", headers={"Set-Cookie": "NID=secret"})
    client(tmp_path).get(ITEM, base_url=base(httpserver))
    files = sorted((tmp_path / "cache" / "http").iterdir())
    assert len(files) == 2 and all(f.suffix == ".json" for f in files)
    assert all(f.name.startswith("escholarship.org_") for f in files)
    data = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    page = next(d for d in data if d["url"] == ITEM)
    assert "<title>/uc/item/91z2p9h1</title>" in page["_decoded_content"]  # readable body
    assert "secret" not in cache_text(tmp_path / "cache")


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_offline_opens_no_socket_and_names_missing_url(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    html(httpserver, "/uc/item/91z2p9h1", "kept")
    client(tmp_path).get(ITEM, base_url=base(httpserver))
    disable_socket()
    try:
        with pytest.raises(Exception, match="socket"):  # the guard is real
            socket.socket()
        offline = HttpClient(client(tmp_path).network, offline=True)
        page = offline.get(ITEM, base_url=base(httpserver), max_age_hours=0)
        assert "kept" in page.text and page.from_cache
        missing = f"{ESCHOLARSHIP}/uc/item/5cz2v6d5"
        with pytest.raises(NotInCacheError, match="uc/item/5cz2v6d5"):
            offline.get(missing, base_url=base(httpserver))
        assert offline.requests_made == 0
    finally:
        enable_socket()


def test_conditional_revalidation_keeps_body_on_304(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    html(httpserver, "/uc/item/91z2p9h1", "version one", headers={"ETag": '"v1"'})
    first = client(tmp_path).get(ITEM, base_url=base(httpserver))
    httpserver.clear()
    allow_all(httpserver)
    httpserver.expect_request("/uc/item/91z2p9h1", headers={"If-None-Match": '"v1"'}) \
        .respond_with_data("", status=304, headers={"ETag": '"v1"'})
    later = client(tmp_path)
    page = later.get(ITEM, base_url=base(httpserver), max_age_hours=0)
    assert "version one" in page.text and page.text == first.text
    assert (page.status, page.from_cache, page.stale) == (200, False, False)
    assert later.requests_made == 1 and paths(httpserver) == ["/uc/item/91z2p9h1"]
    assert page.fetched_at >= first.fetched_at


def test_last_modified_is_sent_and_a_changed_page_replaces_the_cache(
        httpserver: HTTPServer, tmp_path):
    stamp = "Mon, 02 Feb 2026 10:00:00 GMT"
    allow_all(httpserver)
    html(httpserver, "/uc/item/91z2p9h1", "old", headers={"Last-Modified": stamp})
    client(tmp_path).get(ITEM, base_url=base(httpserver))
    httpserver.clear()
    allow_all(httpserver)
    html(httpserver, "/uc/item/91z2p9h1", "new")
    page = client(tmp_path).get(ITEM, base_url=base(httpserver), max_age_hours=0)
    assert "new" in page.text
    assert httpserver.log[-1][0].headers.get("If-Modified-Since") == stamp
    assert "new" in client(tmp_path, offline=True).get(ITEM).text


def test_refresh_revalidates_fresh_pages_once_per_run(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    html(httpserver, "/uc/item/91z2p9h1", "v1", headers={"ETag": '"a"'})
    client(tmp_path).get(ITEM, base_url=base(httpserver))
    httpserver.clear()
    allow_all(httpserver)
    html(httpserver, "/uc/item/91z2p9h1", "v2", headers={"ETag": '"b"'})
    refreshing = client(tmp_path, refresh=True)
    page = refreshing.get(ITEM, base_url=base(httpserver))  # fresh, yet asked again
    refreshing.get(ITEM, base_url=base(httpserver))
    assert "v2" in page.text and not page.from_cache
    assert paths(httpserver) == ["/uc/item/91z2p9h1"]  # once; robots.txt kept its day
    assert httpserver.log[-1][0].headers.get("If-None-Match") == '"a"'


def test_stale_copy_on_server_error_and_connection_refused(
        httpserver: HTTPServer, tmp_path, closed_port):
    allow_all(httpserver)
    html(httpserver, "/uc/item/91z2p9h1", "good data")
    client(tmp_path).get(ITEM, base_url=base(httpserver))
    httpserver.clear()
    allow_all(httpserver)
    httpserver.expect_request("/uc/item/91z2p9h1").respond_with_data("oops", status=500)
    page = client(tmp_path).get(ITEM, base_url=base(httpserver), max_age_hours=0)
    assert page.stale and page.from_cache and "good data" in page.text
    assert paths(httpserver) == ["/uc/item/91z2p9h1"]  # 500 is not retried

    refused = client(tmp_path).get(ITEM, base_url=f"http://127.0.0.1:{closed_port}",
                                   max_age_hours=0)
    assert refused.stale and "good data" in refused.text


def test_server_error_or_refusal_without_cache_is_a_network_error(
        httpserver: HTTPServer, tmp_path, closed_port):
    allow_all(httpserver)
    httpserver.expect_request("/uc/item/91z2p9h1").respond_with_data("oops", status=500)
    with pytest.raises(HttpStatusError, match="uc/item/91z2p9h1.*HTTP 500") as info:
        client(tmp_path).get(ITEM, base_url=base(httpserver))
    assert info.value.status == 500 and info.value.url == ITEM
    other = f"{SCHOLAR}/citations?user=Yno2pxMAAAAJ"
    with pytest.raises(NetworkError, match=r"scholar\.google\.com.*(refused|failed)"):
        client(tmp_path).get(other, base_url=f"http://127.0.0.1:{closed_port}")
    assert ITEM not in cached_urls(tmp_path / "cache")


def test_timeout_is_retried_then_reported(raw_server, tmp_path):
    def respond(head: bytes) -> bytes | None:
        if head.startswith(b"GET /robots.txt "):
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        return None  # the page never answers

    started = time.monotonic()
    with pytest.raises(NetworkError, match=r"uc/item/91z2p9h1: timed out after 0.2 s") as info:
        client(tmp_path, timeout=0.2).get(ITEM, base_url=raw_server(respond))
    assert "after 3 attempts" in str(info.value) and "robots" not in str(info.value)
    assert time.monotonic() - started < 3
    assert not (tmp_path / "cache" / "http").exists() or not cached_urls(tmp_path / "cache")


def test_unanswered_robots_txt_stops_the_host_quickly(silent_server, tmp_path):
    started = time.monotonic()
    with pytest.raises(NetworkError, match=r"uc/item/91z2p9h1.*robots.txt.*timed out"):
        client(tmp_path, timeout=0.2).get(ITEM, base_url=silent_server)
    assert time.monotonic() - started < 3


def test_503_with_retry_after_then_success(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    httpserver.expect_oneshot_request("/uc/item/91z2p9h1").respond_with_data(
        "busy", status=503, headers={"Retry-After": "1"})
    html(httpserver, "/uc/item/91z2p9h1", "after the pause")
    started = time.monotonic()
    page = client(tmp_path).get(ITEM, base_url=base(httpserver))
    assert time.monotonic() - started >= 0.9
    assert "after the pause" in page.text
    assert paths(httpserver) == ["/uc/item/91z2p9h1", "/uc/item/91z2p9h1"]


def test_retry_after_beyond_the_cap_gives_up_at_once(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    httpserver.expect_request("/uc/item/91z2p9h1").respond_with_data(
        "busy", status=503, headers={"Retry-After": "3600"})
    started = time.monotonic()
    with pytest.raises(HttpStatusError, match="uc/item/91z2p9h1.*503"):
        client(tmp_path).get(ITEM, base_url=base(httpserver))
    assert time.monotonic() - started < 1.5
    assert paths(httpserver) == ["/uc/item/91z2p9h1"]
    assert ITEM not in cached_urls(tmp_path / "cache")


def test_502_is_retried_twice_with_backoff_then_reported(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    httpserver.expect_request("/uc/item/91z2p9h1").respond_with_data("bad gw", status=502)
    with pytest.raises(HttpStatusError, match="HTTP 502"):
        client(tmp_path).get(ITEM, base_url=base(httpserver))
    assert len(paths(httpserver)) == 3


def test_not_found_is_a_clear_error_and_not_retried(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    httpserver.expect_request("/uc/item/zzzzzzzz").respond_with_data("nope", status=404)
    url = f"{ESCHOLARSHIP}/uc/item/zzzzzzzz"
    with pytest.raises(NotFoundError, match="uc/item/zzzzzzzz: not found"):
        client(tmp_path).get(url, base_url=base(httpserver))
    assert paths(httpserver) == ["/uc/item/zzzzzzzz"]
    assert url not in cached_urls(tmp_path / "cache")


def test_user_agent_names_tool_version_and_project(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    html(httpserver, "/uc/item/91z2p9h1")
    client(tmp_path).get(ITEM, base_url=base(httpserver))
    agents = {req.headers.get("User-Agent") for req, _ in httpserver.log}
    assert agents == {f"scholarsync/{__version__} (+{PROJECT_URL})"}


def test_user_agent_from_config(httpserver: HTTPServer, tmp_path):
    (tmp_path / "scholarsync.toml").write_text(
        '[[sources]]\nkind = "escholarship"\nitems = ["91z2p9h1"]\n'
        '[network]\ndelay = 0\nuser_agent = "labsite-sync/2 (+https://lab.example)"\n',
        encoding="utf-8")
    config = load_config(tmp_path / "scholarsync.toml")
    allow_all(httpserver)
    html(httpserver, "/uc/item/91z2p9h1")
    with HttpClient(config.network) as http:
        http.get(ITEM, base_url=base(httpserver))
    assert httpserver.log[-1][0].headers.get("User-Agent") == \
        "labsite-sync/2 (+https://lab.example)"
    assert (tmp_path / "cache" / "http").is_dir()


def test_config_delay_paces_requests_to_one_host(httpserver: HTTPServer, tmp_path):
    stamps = Stamps()
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/uc/item/a").respond_with_handler(stamps)
    httpserver.expect_request("/uc/item/b").respond_with_handler(stamps)
    http = client(tmp_path, delay=0.3)
    http.get(f"{ESCHOLARSHIP}/uc/item/a", base_url=base(httpserver))
    http.get(f"{ESCHOLARSHIP}/uc/item/b", base_url=base(httpserver))
    assert stamps.times[1] - stamps.times[0] >= 0.29


def test_robots_crawl_delay_wins_over_a_smaller_delay(httpserver: HTTPServer, tmp_path):
    stamps = Stamps()
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nCrawl-delay: 0.4\n", content_type="text/plain")
    httpserver.expect_request("/uc/item/a").respond_with_handler(stamps)
    httpserver.expect_request("/uc/item/b").respond_with_handler(stamps)
    http = client(tmp_path, delay=0.05)
    for item in ("a", "b"):
        http.get(f"{ESCHOLARSHIP}/uc/item/{item}", base_url=base(httpserver))
    assert stamps.times[1] - stamps.times[0] >= 0.39
    started = time.monotonic()  # another host is not slowed down by this one's Crawl-delay
    http.get(f"{SCHOLAR}/robots.txt", base_url=base(httpserver), expect="text")
    assert time.monotonic() - started < 0.3


def test_own_robots_rules_with_wildcards_are_obeyed(httpserver: HTTPServer, tmp_path):
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: otherbot\nDisallow: /\n\n"
        "User-agent: *\nDisallow: /*?*cstart=\nDisallow: /private$\n"
        "Allow: /only/public\nDisallow: /only/\n", content_type="text/plain")
    for path in ("/citations", "/private/ok", "/only/public"):
        html(httpserver, path)
    http = client(tmp_path)
    for path in ("/citations?user=Yno2pxMAAAAJ&cstart=20", "/private", "/only/secret"):
        with pytest.raises(DisallowedError, match=f"{SCHOLAR}{path}".replace("?", r"\?")):
            http.get(SCHOLAR + path, base_url=base(httpserver))
    for path in ("/citations?user=Yno2pxMAAAAJ", "/private/ok", "/only/public"):
        http.get(SCHOLAR + path, base_url=base(httpserver))
    assert paths(httpserver) == ["/citations", "/private/ok", "/only/public"]
    assert [r.path for r, _ in httpserver.log].count("/robots.txt") == 1


def test_a_group_naming_scholarsync_applies_to_us(httpserver: HTTPServer, tmp_path):
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nAllow: /\n\nUser-agent: scholarsync\nDisallow: /uc/\n",
        content_type="text/plain")
    with pytest.raises(DisallowedError, match="uc/item/91z2p9h1.*'scholarsync'"):
        client(tmp_path).get(ITEM, base_url=base(httpserver))
    assert paths(httpserver) == []


@pytest.mark.corpus
def test_real_scholar_robots_rules(httpserver: HTTPServer, tmp_path):
    robots = CORPUS / "scholar" / "robots_scholar.google.com_2026-02-16.txt"
    if not robots.is_file():
        pytest.skip(f"shared corpus not present ({robots})")
    httpserver.expect_request("/robots.txt").respond_with_data(
        robots.read_text(encoding="utf-8"), content_type="text/plain")
    html(httpserver, "/citations")
    http = client(tmp_path)
    profile = f"{SCHOLAR}/citations?user=Yno2pxMAAAAJ&hl=en&pagesize=100"
    assert http.get(profile, base_url=base(httpserver)).status == 200
    for url in (f"{SCHOLAR}/citations?user=Yno2pxMAAAAJ&hl=en&cstart=100&pagesize=100",
                f"{SCHOLAR}/citations?view_op=view_citation&user=Yno2pxMAAAAJ&citation_for_view=x",
                f"{SCHOLAR}/citations?hl=en&user=Yno2pxMAAAAJ",
                f"{SCHOLAR}/scholar?q=counting"):
        with pytest.raises(DisallowedError, match="disallowed by"):
            http.get(url, base_url=base(httpserver))
    assert paths(httpserver) == ["/citations"]
    assert not any("cstart" in u or "view_citation" in u
                   for u in cached_urls(tmp_path / "cache"))


@pytest.mark.corpus
def test_real_escholarship_crawl_delay_is_read(httpserver: HTTPServer, tmp_path):
    name = "robots_escholarship.org_RECONSTRUCTED_from_jschol_source.txt"
    robots = CORPUS / "escholarship" / name
    if not robots.is_file():
        pytest.skip(f"shared corpus not present ({robots})")
    httpserver.expect_request("/robots.txt").respond_with_data(
        robots.read_text(encoding="utf-8"), content_type="text/plain")
    http = client(tmp_path, delay=1.0)
    with pytest.raises(DisallowedError):
        http.get(f"{ESCHOLARSHIP}/search?q=counting", base_url=base(httpserver))
    assert http.delay_for("escholarship.org") == 4.0  # the site's Crawl-delay beats 1.0
    assert paths(httpserver) == []


def test_missing_robots_allows_everything_and_is_fetched_once_a_day(
        httpserver: HTTPServer, tmp_path):
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    html(httpserver, "/search")
    client(tmp_path).get(f"{ESCHOLARSHIP}/search?q=x", base_url=base(httpserver))
    html(httpserver, "/uc/item/91z2p9h1")
    client(tmp_path).get(ITEM, base_url=base(httpserver))  # a second run the same day
    robots = [r.path for r, _ in httpserver.log].count("/robots.txt")
    assert robots == 2  # a 404 is not cached, so asked again; a 200 would be kept


def test_robots_fetched_once_per_day_across_runs(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    html(httpserver, "/uc/item/91z2p9h1")
    html(httpserver, "/uc/item/5cz2v6d5")
    client(tmp_path).get(ITEM, base_url=base(httpserver))
    client(tmp_path).get(f"{ESCHOLARSHIP}/uc/item/5cz2v6d5", base_url=base(httpserver))
    assert [r.path for r, _ in httpserver.log].count("/robots.txt") == 1


def test_unreachable_robots_fetches_nothing_but_serves_stale(httpserver: HTTPServer, tmp_path):
    httpserver.expect_request("/robots.txt").respond_with_data("down", status=503)
    html(httpserver, "/uc/item/91z2p9h1")
    started = time.monotonic()
    with pytest.raises(NetworkError, match="uc/item/91z2p9h1.*robots.txt.*503"):
        client(tmp_path).get(ITEM, base_url=base(httpserver))
    assert time.monotonic() - started < 2
    assert paths(httpserver) == []

    httpserver.clear()
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    html(httpserver, "/uc/item/91z2p9h1", "good")
    client(tmp_path).get(ITEM, base_url=base(httpserver))
    httpserver.clear()
    httpserver.expect_request("/robots.txt").respond_with_data("down", status=503)
    page = client(tmp_path).get(ITEM, base_url=base(httpserver), max_age_hours=0)
    assert page.stale and "good" in page.text
    assert paths(httpserver) == []


def test_a_url_that_is_not_http_is_a_network_error(tmp_path):
    with pytest.raises(NetworkError, match="'ftp://example.org/x' is not an http"):
        client(tmp_path).get("ftp://example.org/x")


def test_retry_after_accepts_seconds_and_http_dates():
    soon = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=90),
                                       usegmt=True)
    assert _retry_after("7") == 7.0
    assert 80 <= (_retry_after(soon) or 0) <= 91
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no pause
    assert _retry_after("soon") is None and _retry_after(None) is None
