"""`scholarsync sync` through the CLI against hostile servers: a server that drips, asks for a
day-long pause or redirects to a cloud metadata address costs its sources only (exit 3, last
good data kept, one clear line each, no traceback), within a bounded time."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_httpserver import HTTPServer

from tests import sitegen
from tests.e2e import ITEM, PROFILE_PATH, Site, make_site, report, sources, sync
from tests.hostile import HostileServer, answer, drip_body, hostile, redirect, status

SCHOLAR_ONLY = "A Scholar-Only Workshop Paper on Counting"


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile() as running:
        running.routes["/robots.txt"] = lambda conn, path: answer(
            conn, body=(sitegen.ROBOTS_SCHOLAR + sitegen.ROBOTS_ESCHOLARSHIP).encode(),
            content_type="text/plain")
        yield running


@pytest.fixture
def site(tmp_path: Path, httpserver: HTTPServer) -> Site:
    """A site synced once from a good server (its last good data), then pointed at ``server``."""
    made = make_site(tmp_path, httpserver)
    first = sync(made)
    assert first.returncode == 0, first.stderr
    return made


def point_at(site: Site, server: HostileServer, network: str) -> None:
    config = site.root / "scholarsync.toml"
    text = config.read_text().replace(site.server.url_for("/").rstrip("/"), server.url)
    config.write_text(re.sub(r"(?s)\[network\].*", "[network]\n" + network, text))


def assert_costs_web_sources_only(site: Site, proc, why: str) -> dict:
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    data = report(proc)
    status = sources(data)
    assert status["bibtex"]["status"] == "fresh"
    for kind in ("scholar", "escholarship"):
        assert status[kind]["status"] == "stale", status[kind]
        assert re.search(why, status[kind]["detail"]), status[kind]["detail"]
    assert data["removed"] == []
    page = site.page.read_text()
    assert SCHOLAR_ONLY in page and "Understanding Infinity" in page  # last good data kept
    assert SCHOLAR_ONLY in (site.root / "cache" / "library.json").read_text()
    for line in proc.stderr.splitlines():
        assert len(line) < 400, line  # one readable line each, no dumped bodies
    return data


def test_a_server_dripping_every_answer_costs_its_sources_a_bounded_time(site, server):
    server.routes[PROFILE_PATH] = drip_body(0.2)
    server.routes[f"/uc/item/{ITEM.id}"] = drip_body(0.2)
    point_at(site, server, "delay = 0\ntimeout = 1\n")
    started = time.monotonic()
    proc = sync(site, "--refresh")
    elapsed = time.monotonic() - started
    assert_costs_web_sources_only(site, proc, r"too slow")
    assert elapsed < 12  # two pages x 1.25 s, plus start-up; unbounded before
    assert server.paths().count(PROFILE_PATH) == 1  # a dripping page is not asked again


def test_a_source_stops_at_its_time_budget(site, server):
    server.routes[PROFILE_PATH] = drip_body(0.2)
    server.routes[f"/uc/item/{ITEM.id}"] = drip_body(0.2)
    point_at(site, server, "delay = 0\ntimeout = 20\nsource_budget = 1\n")
    started = time.monotonic()
    proc = sync(site, "--refresh")
    elapsed = time.monotonic() - started
    assert_costs_web_sources_only(site, proc, r"time budget of 1 s \(\[network\] source_budget\)")
    assert elapsed < 12  # the deadline alone would allow 25 s a page
    assert "source_budget" in proc.stderr


def test_a_day_long_retry_after_blocks_at_once(site, server):
    busy = status("429 Too Many Requests", {"Retry-After": "86400"}, b"come back tomorrow")
    server.routes[PROFILE_PATH] = busy
    server.routes[f"/uc/item/{ITEM.id}"] = busy
    point_at(site, server, "delay = 0\ntimeout = 5\n")
    started = time.monotonic()
    proc = sync(site, "--refresh")
    assert time.monotonic() - started < 10
    assert_costs_web_sources_only(site, proc, r"429|Retry-After")
    assert "86400" in proc.stderr or "86400" in json.dumps(report(proc))
    assert server.paths().count(f"/uc/item/{ITEM.id}") == 1


def test_a_redirect_to_the_metadata_address_is_refused_and_not_cached(site, server):
    server.routes[PROFILE_PATH] = redirect("http://169.254.169.254/latest/meta-data/")
    server.routes[f"/uc/item/{ITEM.id}"] = redirect("file:///etc/passwd")
    point_at(site, server, "delay = 0\ntimeout = 5\n")
    proc = sync(site, "--refresh")
    assert_costs_web_sources_only(site, proc, r"redirect .*refused")
    cache = "".join(p.read_text() for p in (site.root / "cache" / "http").glob("*.json"))
    assert "169.254.169.254" not in cache and "/etc/passwd" not in cache


@pytest.mark.parametrize("value", ["0", "-5", '"soon"', "nan", "inf", "1e400", "[1]"])
def test_a_bad_source_budget_is_a_config_error(tmp_path, value):
    (tmp_path / "a.bib").write_text("@misc{a, title={A}, year={2020}}\n")
    (tmp_path / "scholarsync.toml").write_text(
        f'[[sources]]\nkind = "bibtex"\npaths = ["a.bib"]\n\n[network]\nsource_budget = {value}\n')
    site = Site(tmp_path, None, {})  # type: ignore[arg-type]
    proc = sync(site)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert "scholarsync.toml" in line and "[network.source_budget]" in line, line


def test_the_wrong_kind_of_answer_costs_its_source_and_is_not_cached(site, server):
    signin = b"<!DOCTYPE html><html><body><form>Please sign in</form></body></html>"
    server.routes["/graphql"] = status("200 OK", body=signin)  # the API answers with a page
    server.routes[PROFILE_PATH] = server.routes[f"/uc/item/{ITEM.id}"] = \
        lambda conn, path: answer(conn, body=b'{"error": "moved"}',
                                  content_type="application/json")
    point_at(site, server, "delay = 0\ntimeout = 5\n")
    proc = sync(site, "--refresh")
    # eScholarship's API answers with a page; its fallback, the item page, with JSON
    assert_costs_web_sources_only(site, proc, r"expected an HTML page, got application/json")
    cache = "".join(p.read_text() for p in (site.root / "cache" / "http").glob("*.json"))
    assert "Please sign in" not in cache and "moved" not in cache


def test_a_remote_bib_may_move_within_its_server_but_not_to_another_port(tmp_path, server):
    bib = b"@article{moved2021, title = {A Moved Bibliography Entry}, author = {Doe, Jane},\n" \
          b"  journal = {J}, year = {2021}}\n"
    server.routes["/old.bib"] = redirect("/new.bib")
    server.routes["/new.bib"] = lambda conn, path: answer(conn, body=bib,
                                                          content_type="text/plain")
    with hostile() as other:
        other.routes["/internal.bib"] = server.routes["/new.bib"]
        server.routes["/evil.bib"] = redirect(f"{other.url}/internal.bib")
        for name in ("old", "evil"):
            (tmp_path / "scholarsync.toml").write_text(
                f'[[sources]]\nkind = "bibtex"\npaths = ["{server.url}/{name}.bib"]\n\n'
                '[outputs]\nbibtex = "out.bib"\n\n[network]\ndelay = 0\ntimeout = 5\n')
            proc = sync(Site(tmp_path, None, {}))  # type: ignore[arg-type]
            assert "Traceback" not in proc.stderr
            if name == "old":
                assert proc.returncode == 0, proc.stderr
                assert "A Moved Bibliography Entry" in (tmp_path / "out.bib").read_text()
            else:
                assert proc.returncode == 3, proc.stderr
                assert "redirect to a local or private address refused" in proc.stderr
        assert other.log == []



def test_a_dripping_scholar_costs_scholar_only(site, server):
    def graphql(conn, target):
        query = parse_qs(urlsplit(target).query).get("query", [""])[0]
        answer(conn, body=sitegen.graphql_answer(query, {ITEM.id: ITEM}).encode(),
               content_type="application/json")

    server.routes["/graphql"] = graphql
    server.routes[PROFILE_PATH] = drip_body(0.2)
    point_at(site, server, "delay = 0\ntimeout = 1\n")
    proc = sync(site, "--refresh")
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    status = sources(report(proc))
    assert status["escholarship"]["status"] == "fresh", status["escholarship"]
    assert status["bibtex"]["status"] == "fresh"
    assert status["scholar"]["status"] == "stale"
    assert "too slow" in status["scholar"]["detail"]
    assert SCHOLAR_ONLY in site.page.read_text()
