"""Every way a site can fail costs that source only: exit 3, its works stay on the page (from
the last good library), the other sources are fresh, and nothing bad enters the cache."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests import sitegen
from tests.e2e import ITEM, PROFILE_PATH, ROWS, USER, Site, make_site, report, sources
from tests.e2e import sync_in_process as sync

SCHOLAR_ONLY = "A Scholar-Only Workshop Paper on Counting"
GOOD_PROFILE = sitegen.profile_page(USER, "Vima Gupta", ROWS)


def _fault(mode: str, request: Request) -> Response:
    """Scholar's answer in each failure mode."""
    if mode == "500":
        return Response("server error", status=500)
    if mode == "503":
        return Response("busy", status=503, headers={"Retry-After": "1"})
    if mode == "429":
        return Response("Too many requests", status=429)
    if mode == "sorry":
        return Response("", status=302, headers={"Location": "/sorry/index?continue=x"})
    if mode == "captcha":
        return Response('<html><div id="gs_captcha_ccl">please verify</div></html>',
                        content_type="text/html")
    if mode == "waf":
        return Response("", status=202, headers={"x-amzn-waf-action": "challenge"})
    if mode == "signin":
        return Response("", status=302, headers={
            "Location": "https://accounts.google.com/v3/signin/identifier?continue=x"})
    if mode == "truncated":
        cut = GOOD_PROFILE[: GOOD_PROFILE.index("A Scholar-Only")]
        return Response(cut, content_type="text/html")
    if mode == "huge":
        return Response("<html>" + "x" * 6_000_000, content_type="text/html")
    if mode == "loop":
        return Response("", status=302, headers={"Location": request.full_path})
    if mode == "timeout":
        time.sleep(1.5)
        return Response(GOOD_PROFILE, content_type="text/html")
    raise AssertionError(mode)


@pytest.fixture
def faulty(tmp_path: Path, httpserver: HTTPServer) -> Site:
    site = make_site(tmp_path, httpserver)
    mode = site.mode

    def handle(request: Request) -> Response:
        if request.path == "/robots.txt":
            rules = sitegen.ROBOTS_SCHOLAR + sitegen.ROBOTS_ESCHOLARSHIP
            if mode.get("robots") == "disallow":
                rules = "User-agent: *\nDisallow: /citations\n"
            return Response(rules, content_type="text/plain")
        if request.path == PROFILE_PATH:
            if "scholar" in mode:
                return _fault(mode["scholar"], request)
            return Response(GOOD_PROFILE, content_type="text/html")
        if request.path == f"/uc/item/{ITEM.id}":
            return Response(sitegen.item_page(ITEM), content_type="text/html")
        return Response("not found", status=404)

    httpserver.clear()
    httpserver.expect_request("", method="GET").respond_with_handler(handle)
    config = site.root / "scholarsync.toml"
    config.write_text(config.read_text().replace("timeout = 5", "timeout = 0.5"))
    return site


def cache_files(site: Site) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (site.root / "cache" / "http").glob("*.json")}


def forget_robots(site: Site) -> None:
    for path in (site.root / "cache" / "http").glob("*.json"):
        if json.loads(path.read_text())["url"].endswith("/robots.txt"):
            path.unlink()


MODES = ["500", "503", "429", "sorry", "captcha", "waf", "signin", "truncated", "huge", "loop",
         "timeout", "robots-disallow"]


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_scholar_costs_scholar_only(faulty: Site, mode: str) -> None:
    first = sync(faulty)
    assert first.returncode == 0, first.stderr
    cached = cache_files(faulty)
    if mode == "robots-disallow":
        faulty.mode["robots"] = "disallow"
        forget_robots(faulty)
    else:
        faulty.mode["scholar"] = mode
    proc = sync(faulty, "--refresh")
    assert proc.returncode == 3, (mode, proc.stderr)
    assert "Traceback" not in proc.stderr
    data = report(proc)
    status = sources(data)
    assert status["scholar"]["status"] in ("stale", "failed"), status["scholar"]
    assert status["scholar"]["detail"], "the report says why"
    assert status["bibtex"]["status"] == "fresh"
    assert status["escholarship"]["status"] in ("fresh", "cache")
    assert data["removed"] == []
    page = faulty.page.read_bytes().decode()
    assert SCHOLAR_ONLY in page and "Understanding Infinity" in page
    library = (faulty.root / "cache" / "library.json").read_text()
    assert SCHOLAR_ONLY in library
    after = cache_files(faulty)
    profile_files = [n for n, b in cached.items()
                     if json.loads(b)["url"].startswith("https://scholar.google.com/citations")]
    assert profile_files
    for name in profile_files:  # no bad copy of the profile is kept in the cache
        assert name not in after or b"Scholar-Only" in after[name], mode
