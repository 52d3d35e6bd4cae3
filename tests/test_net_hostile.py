"""The client against hostile servers on 127.0.0.1: each attack fails alone, fast, with one
clear message naming the URL, and leaves nothing in the cache."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from scholarsync.errors import (
    BlockedError,
    BudgetExceededError,
    NetworkError,
    NotInCacheError,
    ParseError,
)
from scholarsync.net.client import HttpClient
from scholarsync.net.redirects import is_local_host, refusal
from tests.hostile import (
    Handler,
    HostileServer,
    answer,
    drip_body,
    drip_headers,
    endless_body,
    hostile,
    redirect,
    status,
)
from tests.http_helpers import ESCHOLARSHIP, PAGE, cached_urls, client, network

ITEM = f"{ESCHOLARSHIP}/uc/item/91z2p9h1"
OTHER = f"{ESCHOLARSHIP}/uc/item/5cz2v6d5"


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile() as running:
        yield running


def ok(text: str = "fine") -> Handler:
    return status("200 OK", body=PAGE.format("ok", text).encode())


def nothing_cached(tmp_path, *urls: str) -> bool:
    folder = tmp_path / "cache" / "http"
    stored = cached_urls(tmp_path / "cache") if folder.is_dir() else set()
    return not any(u in stored for u in urls)


# -- total deadline ---------------------------------------------------------------------------
@pytest.mark.parametrize("attack", [drip_body(0.05), drip_headers(0.05)],
                         ids=["body", "headers"])
def test_a_dripping_server_fails_as_a_timeout_at_the_deadline(server, tmp_path, attack):
    server.routes["/uc/item/91z2p9h1"] = attack
    http = client(tmp_path, timeout=0.4)  # every byte comes well within 0.4 s
    started = time.monotonic()
    with pytest.raises(NetworkError, match=r"uc/item/91z2p9h1: no complete answer within "
                       r"0.5 s \(the server is too slow\); not retried") as info:
        http.get(ITEM, base_url=server.url)
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 1.5  # 1.25 x timeout, once
    assert "\n" not in str(info.value)
    assert server.paths() == ["/uc/item/91z2p9h1"]  # a slow server is not asked again
    assert nothing_cached(tmp_path, ITEM)


def test_a_dripping_server_leaves_the_last_good_copy_in_use(server, tmp_path):
    server.routes["/uc/item/91z2p9h1"] = ok("the good copy")
    assert "the good copy" in client(tmp_path).get(ITEM, base_url=server.url).text
    server.routes["/uc/item/91z2p9h1"] = drip_body(0.05)
    page = client(tmp_path, timeout=0.4, refresh=True).get(ITEM, base_url=server.url)
    assert page.stale and "the good copy" in page.text
    assert "the good copy" in client(tmp_path, offline=True).get(ITEM).text  # cache intact


def test_a_dripping_robots_txt_costs_one_deadline_for_the_whole_host(server, tmp_path):
    server.routes["/robots.txt"] = drip_body(0.05)
    server.routes["/uc/item/91z2p9h1"] = ok()
    server.routes["/uc/item/5cz2v6d5"] = ok()
    http = client(tmp_path, timeout=0.4)
    started = time.monotonic()
    for url in (ITEM, OTHER):
        with pytest.raises(NetworkError, match="robots.txt.*could not be read.*too slow"):
            http.get(url, base_url=server.url)
    assert time.monotonic() - started < 1.5
    assert server.log == ["/robots.txt"]


# -- the source's time budget -------------------------------------------------------------------
def test_the_budget_cuts_the_request_in_flight_and_stops_the_rest(server, tmp_path):
    server.routes["/uc/item/91z2p9h1"] = ok("read in time")
    server.routes["/uc/item/5cz2v6d5"] = drip_body(0.05)
    http = client(tmp_path, timeout=2.0)  # the deadline alone would allow 2.5 s
    started = time.monotonic()
    with http.budget("sources[1] (escholarship)", 0.8):
        assert "read in time" in http.get(ITEM, base_url=server.url).text
        with pytest.raises(BudgetExceededError, match=r"uc/item/5cz2v6d5: stopped, the time "
                           r"budget of sources\[1\] \(escholarship\) \(0.8 s, \[network\] "
                           r"source_budget\) used up"):
            http.get(OTHER, base_url=server.url)
    assert time.monotonic() - started < 1.6
    assert "sources[1] (escholarship)" in http.exhausted
    with http.budget("sources[1] (escholarship)", 0.8):  # summed over the run
        assert "read in time" in http.get(ITEM, base_url=server.url).text  # fresh in cache
        with pytest.raises(BudgetExceededError, match="not requested"):
            http.get(OTHER + "?again", base_url=server.url)
    with http.budget("sources[2] (orcid)", 5.0):  # another source has its own budget
        server.routes["/uc/item/5cz2v6d5"] = ok("other source")
        assert "other source" in http.get(OTHER, base_url=server.url).text
    assert nothing_cached(tmp_path, OTHER + "?again")


# -- Retry-After ------------------------------------------------------------------------------
def test_a_short_retry_after_on_a_429_is_waited_for_then_retried(server, tmp_path):
    answers = iter([status("429 Too Many Requests", {"Retry-After": "1"})])

    def first_429_then_ok(conn, path):
        next(answers, ok("after the pause"))(conn, path)

    server.routes["/uc/item/91z2p9h1"] = first_429_then_ok
    started = time.monotonic()
    assert "after the pause" in client(tmp_path).get(ITEM, base_url=server.url).text
    assert 1.0 <= time.monotonic() - started < 2.0
    assert server.paths() == ["/uc/item/91z2p9h1", "/uc/item/91z2p9h1"]


def test_a_retry_after_one_source_met_pauses_the_next_source_on_that_host(server, tmp_path):
    server.routes["/uc/item/91z2p9h1"] = status("503 Service Unavailable", {"Retry-After": "1"})
    server.routes["/uc/item/5cz2v6d5"] = ok("second source")
    http = HttpClient(network(tmp_path), retries=0, retry_after_cap=2.0)
    started = time.monotonic()
    with http.budget("sources[0] (escholarship)", 10), pytest.raises(NetworkError, match="503"):
        http.get(ITEM, base_url=server.url)
    assert time.monotonic() - started < 0.5  # no retries asked: the first source gives up
    with http.budget("sources[1] (orcid)", 10):
        assert "second source" in http.get(OTHER, base_url=server.url).text
    assert 1.0 <= time.monotonic() - started < 1.8  # it waited for the host's pause


def test_retry_after_is_shared_by_the_host_and_capped_per_run(server, tmp_path):
    busy = status("503 Service Unavailable", {"Retry-After": "1"})
    urls = [f"{ESCHOLARSHIP}/uc/item/{i}0000000" for i in range(4)]
    for url in urls:
        server.routes[url.split(ESCHOLARSHIP)[1]] = busy
    http = client(tmp_path)  # retry_after_cap = 2 s per host and run
    started = time.monotonic()
    for url in urls:
        with pytest.raises(NetworkError, match="503|asked to wait"):
            http.get(url, base_url=server.url)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0  # 4 pages, each asking 1 s, three times: 12 s if waited per URL
    assert len(server.paths()) == 3  # then the host is left alone for the run
    with pytest.raises(NetworkError, match=r"not requested, escholarship.org asked to wait 1 s "
                       r"\(Retry-After\), more than this run waits for one host \(2 s in all\)"):
        http.get(f"{ESCHOLARSHIP}/uc/item/x", base_url=server.url)


def test_a_429_with_a_day_long_retry_after_blocks_at_once(server, tmp_path):
    server.routes["/uc/item/91z2p9h1"] = status("429 Too Many Requests",
                                                {"Retry-After": "86400"})
    server.routes["/uc/item/5cz2v6d5"] = ok()
    http = client(tmp_path)
    started = time.monotonic()
    with pytest.raises(BlockedError, match=r"uc/item/91z2p9h1: the site refused the request "
                       r"\(HTTP 429 Too Many Requests; escholarship.org asked to wait 86400 s"):
        http.get(ITEM, base_url=server.url)
    assert time.monotonic() - started < 1.0
    with pytest.raises(BlockedError, match="earlier in this run"):
        http.get(OTHER, base_url=server.url)
    assert server.paths() == ["/uc/item/91z2p9h1"]
    assert nothing_cached(tmp_path, ITEM, OTHER)


# -- redirects --------------------------------------------------------------------------------
@pytest.mark.parametrize(("location", "why"), [
    ("http://escholarship.org/uc/item/91z2p9h1", "from https to plain http"),
    ("http://169.254.169.254/latest/meta-data/", "local or private address"),
    ("http://localhost:1/x", "local or private address"),
    ("http://[::1]:1/x", "local or private address"),
    ("http://2130706433/x", "local or private address"),
    ("file:///etc/passwd", "a file: URL"),
    ("ftp://example.org/x", "a ftp: URL"),
])
def test_dangerous_redirects_are_refused_and_nothing_is_cached(server, tmp_path, location,
                                                               why):
    server.routes["/uc/item/91z2p9h1"] = redirect(location)
    http = client(tmp_path)
    with pytest.raises(NetworkError, match=f"uc/item/91z2p9h1: redirect .*{why}"):
        http.get(ITEM, base_url=server.url)
    assert server.paths() == ["/uc/item/91z2p9h1"]
    assert http.requests_made == 2  # robots.txt and the page: nothing after the redirect
    assert nothing_cached(tmp_path, ITEM, location)


def test_a_redirect_to_another_local_port_sends_nothing_there(server, tmp_path):
    with hostile() as other:
        other.routes["/secret"] = ok("internal admin page")
        server.routes["/uc/item/91z2p9h1"] = redirect(f"{other.url}/secret")
        with pytest.raises(NetworkError, match="local or private address refused"):
            client(tmp_path).get(ITEM, base_url=server.url)
        assert other.log == []
    assert "internal admin page" not in "".join(
        f.read_text() for f in (tmp_path / "cache").rglob("*") if f.is_file())


def test_an_api_request_is_not_redirected_to_another_host(server, tmp_path):
    url = f"{ESCHOLARSHIP}/api/item.json"
    server.routes["/api/item.json"] = redirect("https://api.example.org/item.json")
    with pytest.raises(NetworkError, match="another host refused for an API request"):
        client(tmp_path).get(url, base_url=server.url, expect="json")
    assert server.paths() == ["/api/item.json"]


def test_a_redirect_on_the_same_host_is_followed(server, tmp_path):
    server.routes["/uc/item/91z2p9h1"] = redirect("/uc/item/moved")
    server.routes["/uc/item/moved"] = ok("moved here")
    page = client(tmp_path).get(ITEM, base_url=server.url, expect="html")
    assert "moved here" in page.text
    assert page.redirects == [ITEM]


def test_the_redirect_rules():
    start = "https://api.crossref.org/works/x"
    assert refusal(start, "https://api.crossref.org/works/y", start, strict=True) is None
    assert refusal(start, "https://api.datacite.org/x", start, strict=True,
                   expected_hosts=frozenset({"api.datacite.org"})) is None
    assert "another host" in (refusal(start, "https://evil.example/x", start, strict=True) or "")
    assert refusal(start, "https://raw.example.org/x.bib", start) is None  # a page may move
    assert "loop" in (refusal(start, start, start) or "")
    local = "http://127.0.0.1:8080/a.bib"  # a URL the user configured on a local address
    assert refusal(local, "http://127.0.0.1:8080/b.bib", local) is None
    assert "local or private" in (refusal(local, "http://127.0.0.1:8081/b", local) or "")
    assert "local or private" in (refusal(local, "http://localhost:8080/b", local) or "")
    seen = [f"https://a.org/{i}" for i in range(11)]
    assert "too many redirects" in (refusal(seen[-1], "https://a.org/x", start, seen=seen) or "")
    for host in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "::1", "fd00::1",
                 "localhost", "metadata", "box.local", "0x7f.1", "0.0.0.0"):
        assert is_local_host(host), host
    for host in ("scholar.google.com", "8.8.8.8", "2001:4860::8888"):
        assert not is_local_host(host), host


# -- size and content type --------------------------------------------------------------------
def test_a_body_without_end_is_cut_at_the_cap_not_read_into_memory(server, tmp_path):
    import tracemalloc

    server.routes["/uc/item/91z2p9h1"] = endless_body()
    tracemalloc.start()
    try:
        with pytest.raises(ParseError, match="larger than 5000000 bytes; not used"):
            client(tmp_path).get(ITEM, base_url=server.url)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40_000_000  # a 1 GB body would need 1 GB
    assert nothing_cached(tmp_path, ITEM)


def test_a_declared_1_gb_body_is_refused_before_reading(server, tmp_path):
    def huge(conn, path):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                     b"Content-Length: 1073741824\r\nConnection: close\r\n\r\n")
        conn.sendall(b"z" * 65536)
        time.sleep(2)

    server.routes["/uc/item/91z2p9h1"] = huge
    started = time.monotonic()
    with pytest.raises(ParseError, match="larger than 5000000 bytes"):
        client(tmp_path).get(ITEM, base_url=server.url)
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(("expect", "content_type", "body", "message"), [
    ("json", "text/html", PAGE.format("Sign in", "please log in"),
     "expected JSON, got text/html \\(an HTML page\\)"),
    ("xml", "text/html; charset=utf-8", PAGE.format("Error", "oops"),
     "expected XML, got text/html; charset=utf-8 \\(an HTML page\\)"),
    ("html", "application/json", '{"a": 1}', "expected an HTML page, got application/json"),
])
def test_the_wrong_kind_of_answer_is_refused_and_not_cached(server, tmp_path, expect,
                                                            content_type, body, message):
    def handle(conn, path):
        answer(conn, body=body.encode(), content_type=content_type)

    url = f"{ESCHOLARSHIP}/api/thing"
    server.routes["/api/thing"] = handle
    with pytest.raises(ParseError, match=f"api/thing: {message}"):
        client(tmp_path).get(url, base_url=server.url, expect=expect)
    assert nothing_cached(tmp_path, url)


@pytest.mark.parametrize(("expect", "content_type", "body"), [
    ("json", "application/json", '{"a": 1}'),
    ("json", "application/vnd.orcid+json", '{"a": 1}'),
    ("json", "", '[1, 2]'),
    ("xml", "application/atom+xml", "<feed/>"),
    ("xml", "text/xml", "<?xml version='1.0'?><r/>"),
])
def test_the_expected_kind_of_answer_is_accepted(server, tmp_path, expect, content_type, body):
    def handle(conn, path):
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        conn.sendall(head.encode() + b"\r\n" + body.encode())

    server.routes["/api/thing"] = handle
    page = client(tmp_path).get(f"{ESCHOLARSHIP}/api/thing", base_url=server.url, expect=expect)
    assert page.text == body


def test_the_cache_store_reads_what_it_wrote(server, tmp_path):
    server.routes["/uc/item/91z2p9h1"] = ok("stored")
    client(tmp_path).get(ITEM, base_url=server.url)
    files = list((tmp_path / "cache" / "http").glob("escholarship.org_*.json"))
    assert len(files) == 1 and '"url": "https://escholarship.org/uc/item/91z2p9h1"' in \
        files[0].read_text()
    assert "stored" in HttpClient(network(tmp_path), offline=True).get(ITEM).text
    files[0].write_text("{not json")
    with pytest.raises(NotInCacheError, match="not in the cache"):  # a corrupt file: a miss
        HttpClient(network(tmp_path), offline=True).get(ITEM)


def test_a_host_too_slow_twice_is_left_alone_for_the_run(server, tmp_path):
    for i in range(4):
        server.routes[f"/uc/item/{i}slow"] = drip_body(0.05)
    http = client(tmp_path, timeout=0.4)
    started = time.monotonic()
    for i in range(4):
        with pytest.raises(NetworkError, match=f"uc/item/{i}slow: "):
            http.get(f"{ESCHOLARSHIP}/uc/item/{i}slow", base_url=server.url)
    assert time.monotonic() - started < 2.0  # two deadlines, then nothing
    assert server.paths() == ["/uc/item/0slow", "/uc/item/1slow"]
    with pytest.raises(NetworkError, match=r"not requested, escholarship.org was too slow 2 "
                       r"times in this run \(no complete answer within 0.5 s\)"):
        http.get(ITEM, base_url=server.url)


def test_a_gzip_bomb_is_cut_at_the_cap_while_inflating(server, tmp_path):
    import tracemalloc
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    block = bytes(1 << 20)
    bomb = b"".join(packer.compress(block) for _ in range(200)) + packer.flush()  # 200 MB
    assert len(bomb) < 400_000

    def handle(conn, path):
        answer(conn, body=bomb, headers={"Content-Encoding": "gzip"})

    server.routes["/uc/item/91z2p9h1"] = handle
    tracemalloc.start()
    try:
        with pytest.raises(ParseError, match="larger than 5000000 bytes; not used"):
            client(tmp_path).get(ITEM, base_url=server.url)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40_000_000
    assert nothing_cached(tmp_path, ITEM)
