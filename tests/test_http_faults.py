"""Fault matrix of the HTTP client: every block or broken response raises its typed error,
names the URL, is never retried when it is a block, and leaves nothing in the cache."""

from __future__ import annotations

import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from scholarsync.errors import BlockedError, NetworkError, ParseError
from scholarsync.net.client import HttpStatusError
from scholarsync.sources.scholar import SignInRequiredError
from tests.http_helpers import (
    ESCHOLARSHIP,
    PAGE,
    SCHOLAR,
    allow_all,
    base,
    cached_urls,
    client,
    html,
    paths,
)

PROFILE = f"{SCHOLAR}/citations?user=Yno2pxMAAAAJ&hl=en&pagesize=100"
ITEM = f"{ESCHOLARSHIP}/uc/item/91z2p9h1"


def nothing_cached_for(tmp_path, *urls: str) -> bool:
    stored = cached_urls(tmp_path / "cache") if (tmp_path / "cache" / "http").is_dir() else set()
    return not any(u in stored for u in urls)


def test_429_blocks_the_host_for_the_rest_of_the_run(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    httpserver.expect_request("/citations").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"})
    html(httpserver, "/uc/item/91z2p9h1")
    http = client(tmp_path)
    with pytest.raises(BlockedError, match=r"citations\?user=Yno2pxMAAAAJ.*429") as info:
        http.get(PROFILE, base_url=base(httpserver))
    assert info.value.url == PROFILE
    assert paths(httpserver) == ["/citations"]  # not retried
    other = f"{SCHOLAR}/citations?user=AAAAAAAAAAAA"
    with pytest.raises(BlockedError, match="AAAAAAAAAAAA.*earlier in this run"):
        http.get(other, base_url=base(httpserver))
    assert paths(httpserver) == ["/citations"]  # no further request to that host
    assert http.get(ITEM, base_url=base(httpserver)).status == 200  # other hosts go on
    assert nothing_cached_for(tmp_path, PROFILE, other)


def test_429_from_any_host_blocks(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    httpserver.expect_request("/uc/item/91z2p9h1").respond_with_data("x", status=429)
    with pytest.raises(BlockedError, match="uc/item/91z2p9h1"):
        client(tmp_path).get(ITEM, base_url=base(httpserver))
    assert nothing_cached_for(tmp_path, ITEM)


def test_a_block_is_never_hidden_by_a_cached_copy(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    html(httpserver, "/citations", "good rows")
    client(tmp_path).get(PROFILE, base_url=base(httpserver))
    httpserver.clear()
    allow_all(httpserver)
    httpserver.expect_request("/citations").respond_with_data("x", status=429)
    with pytest.raises(BlockedError):
        client(tmp_path, refresh=True).get(PROFILE, base_url=base(httpserver))
    assert "good rows" in client(tmp_path, offline=True).get(PROFILE).text  # cache intact


def test_403_blocks_on_scholar_but_is_a_plain_error_elsewhere(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    httpserver.expect_request("/citations").respond_with_data("no", status=403)
    httpserver.expect_request("/uc/item/91z2p9h1").respond_with_data("no", status=403)
    http = client(tmp_path)
    with pytest.raises(BlockedError, match="403"):
        http.get(PROFILE, base_url=base(httpserver))
    with pytest.raises(HttpStatusError, match="uc/item/91z2p9h1.*403") as info:
        http.get(ITEM, base_url=base(httpserver))
    assert not isinstance(info.value, BlockedError)
    assert nothing_cached_for(tmp_path, PROFILE, ITEM)


@pytest.mark.parametrize("location", [
    "/sorry/index?continue=https://scholar.google.com/citations",
    "https://www.google.com/sorry/index?continue=https://scholar.google.com/citations",
])
def test_redirect_to_sorry_is_a_block_and_not_followed(httpserver: HTTPServer, tmp_path,
                                                       location):
    allow_all(httpserver)
    httpserver.expect_request("/citations").respond_with_data(
        "", status=302, headers={"Location": location})
    httpserver.expect_request("/sorry/index").respond_with_data(PAGE.format("sorry", "captcha"))
    http = client(tmp_path)
    with pytest.raises(BlockedError, match=r"citations\?user=Yno2pxMAAAAJ.*/sorry/"):
        http.get(PROFILE, base_url=base(httpserver))
    assert paths(httpserver) == ["/citations"]
    with pytest.raises(BlockedError, match="earlier in this run"):
        http.get(PROFILE, base_url=base(httpserver))
    assert nothing_cached_for(tmp_path, PROFILE)


@pytest.mark.parametrize("marker", [
    '<div id="gs_captcha_ccl">', '<script src="https://www.google.com/recaptcha/api.js">',
    '<form id="captcha-form">', "Our systems have detected UNUSUAL TRAFFIC from your network",
])
def test_captcha_page_with_200_is_a_block(httpserver: HTTPServer, tmp_path, marker):
    allow_all(httpserver)
    httpserver.expect_request("/citations").respond_with_data(
        PAGE.format("Google Scholar", marker), content_type="text/html")
    with pytest.raises(BlockedError, match=r"citations\?user=Yno2pxMAAAAJ.*CAPTCHA"):
        client(tmp_path).get(PROFILE, base_url=base(httpserver))
    assert paths(httpserver) == ["/citations"]
    assert nothing_cached_for(tmp_path, PROFILE)


@pytest.mark.parametrize(("status", "body", "headers"), [
    (202, "", {}),
    (202, "<script>window.awsWafCookieDomainList = []; challenge.js</script>", {}),
    (200, PAGE.format("x", "y"), {"x-amzn-waf-action": "challenge"}),
])
def test_aws_waf_challenge_is_a_block(httpserver: HTTPServer, tmp_path, status, body, headers):
    allow_all(httpserver)
    httpserver.expect_request("/uc/item/91z2p9h1").respond_with_data(
        body, status=status, headers=headers, content_type="text/html")
    with pytest.raises(BlockedError, match="uc/item/91z2p9h1.*WAF"):
        client(tmp_path).get(ITEM, base_url=base(httpserver))
    assert paths(httpserver) == ["/uc/item/91z2p9h1"]
    assert nothing_cached_for(tmp_path, ITEM)


def test_signin_redirect_to_accounts_google_is_detected_without_following(
        httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    target = ("https://accounts.google.com/v3/signin/identifier?continue="
              "https%3A%2F%2Fscholar.google.com%2Fcitations%3Fuser%3DAAAAAAAAAAAA")
    httpserver.expect_request("/citations").respond_with_data(
        "", status=302, headers={"Location": target})
    url = f"{SCHOLAR}/citations?user=AAAAAAAAAAAA&hl=en&pagesize=100"
    http = client(tmp_path)
    with pytest.raises(SignInRequiredError, match="AAAAAAAAAAAA.*unknown or private"):
        http.get(url, base_url=base(httpserver))
    assert http.requests_by_host == {"scholar.google.com": 2}  # robots.txt + the profile
    assert nothing_cached_for(tmp_path, url)


def test_signin_page_on_the_mirror_is_detected_and_the_host_stays_usable(
        httpserver: HTTPServer, tmp_path):
    body = PAGE.format("Sign in - Google Accounts", "Use your Google Account")
    allow_all(httpserver)
    httpserver.expect_request("/citations", query_string={"user": "AAAAAAAAAAAA"}) \
        .respond_with_data("", status=302, headers={
            "Location": "/v3/signin/identifier?continue=x&flowName=GlifWebSignIn"})
    httpserver.expect_request("/v3/signin/identifier").respond_with_data(
        body, content_type="text/html")
    html(httpserver, "/citations", "a real profile")
    url = f"{SCHOLAR}/citations?user=AAAAAAAAAAAA"
    http = client(tmp_path)
    with pytest.raises(SignInRequiredError, match=r"user=AAAAAAAAAAAA.*sign-in"):
        http.get(url, base_url=base(httpserver))
    assert "/v3/signin/identifier" not in paths(httpserver)
    assert "a real profile" in http.get(PROFILE, base_url=base(httpserver)).text
    assert nothing_cached_for(tmp_path, url)


def test_oversized_body_is_refused(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    big = PAGE.format("big", "x" * 5_100_000)
    httpserver.expect_request("/uc/item/91z2p9h1").respond_with_data(big, content_type="text/html")
    started = time.monotonic()
    with pytest.raises(ParseError, match="uc/item/91z2p9h1.*larger than 5000000 bytes"):
        client(tmp_path).get(ITEM, base_url=base(httpserver))
    assert time.monotonic() - started < 5
    assert nothing_cached_for(tmp_path, ITEM)


def test_oversized_streamed_body_stops_reading(httpserver: HTTPServer, tmp_path):
    sent: list[int] = []

    def endless():
        yield b"<html><body>"
        for _ in range(2000):  # up to 128 MB if nobody stops reading
            sent.append(1)
            yield b"y" * 65536

    allow_all(httpserver)
    httpserver.expect_request("/uc/item/91z2p9h1").respond_with_handler(
        lambda request: Response(endless(), content_type="text/html"))
    with pytest.raises(ParseError, match="larger than 5000000 bytes"):
        client(tmp_path).get(ITEM, base_url=base(httpserver))
    time.sleep(0.2)
    assert len(sent) < 1000
    assert nothing_cached_for(tmp_path, ITEM)


def test_truncated_body_is_a_network_error_and_not_cached(raw_server, tmp_path):
    payload = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n"
               b"Connection: close\r\n\r\n<html><body><table><tr class=\"gsc_a_tr\">")
    url = raw_server(payload)
    with pytest.raises(NetworkError, match=r"(?s)uc/item/91z2p9h1.*truncated"):
        client(tmp_path).get(ITEM, base_url=url)
    assert nothing_cached_for(tmp_path, ITEM)


def test_redirect_loop_is_a_network_error(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    url = f"{ESCHOLARSHIP}/a"
    http = client(tmp_path)
    with pytest.raises(NetworkError, match=r"escholarship.org/a: redirect loop \(back to "
                       r"https://escholarship.org/a\)"):
        http.get(url, base_url=base(httpserver))
    assert paths(httpserver) == ["/a", "/b"]  # found at once, not after the hop limit
    assert nothing_cached_for(tmp_path, url, f"{ESCHOLARSHIP}/b")


def test_non_html_where_html_is_expected_is_a_parse_error(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    httpserver.expect_request("/data.json").respond_with_json({"title": "x"})
    url = f"{ESCHOLARSHIP}/data.json"
    with pytest.raises(ParseError, match="data.json: expected an HTML page, got application/json"):
        client(tmp_path).get(url, base_url=base(httpserver))
    assert nothing_cached_for(tmp_path, url)
    page = client(tmp_path).get(url, base_url=base(httpserver), expect="any")
    assert page.text == '{"title": "x"}' or '"title"' in page.text


def test_html_without_content_type_is_accepted(httpserver: HTTPServer, tmp_path):
    allow_all(httpserver)
    httpserver.expect_request("/uc/item/91z2p9h1").respond_with_data(
        PAGE.format("t", "café"), content_type="application/octet-stream")
    assert "café" in client(tmp_path).get(ITEM, base_url=base(httpserver)).text
    assert "café" in client(tmp_path, offline=True).get(ITEM).text
