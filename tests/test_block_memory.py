"""A block is remembered between runs: the next run does not knock on a host that refused us
until its pause is over (what it asked with Retry-After, else a default), ``--refresh`` asks at
once, a host that answers again is forgotten, and a damaged memory only means asking again."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pytest_httpserver import HTTPServer

from scholarsync.errors import BlockedError
from scholarsync.net.blockmemo import FILE_NAME, PAUSE_BLOCK, PAUSE_MAX
from tests.http_helpers import SCHOLAR, allow_all, base, client, html, paths

PROFILE = f"{SCHOLAR}/citations?user=Yno2pxMAAAAJ&hl=en&pagesize=100"
CAPTCHA = "<html><body><form id='captcha-form'>unusual traffic</form></body></html>"


def one_run(tmp_path, server: HTTPServer, *, refresh: bool = False) -> str:
    """One run's client asks for the profile; returns what happened (the page or the error)."""
    with client(tmp_path, refresh=refresh) as http:
        try:
            return http.get(PROFILE, base_url=base(server)).text
        except BlockedError as exc:
            return str(exc)


def memory(tmp_path) -> dict:
    return json.loads((tmp_path / "cache" / FILE_NAME).read_text())


def until(tmp_path, host: str = "scholar.google.com") -> dt.datetime:
    return dt.datetime.fromisoformat(memory(tmp_path)[host]["until"])


def test_a_captcha_is_remembered_and_the_next_run_asks_nothing(httpserver: HTTPServer,
                                                               tmp_path) -> None:
    allow_all(httpserver)
    httpserver.expect_request("/citations").respond_with_data(CAPTCHA, content_type="text/html")
    first = one_run(tmp_path, httpserver)
    assert "captcha" in first.lower() and paths(httpserver) == ["/citations"]
    left = until(tmp_path) - dt.datetime.now(dt.UTC)
    assert PAUSE_BLOCK - dt.timedelta(minutes=1) < left <= PAUSE_BLOCK

    second = one_run(tmp_path, httpserver)
    assert "blocked us in an earlier run" in second and "not asked again before" in second
    assert "--refresh" in second
    assert paths(httpserver) == ["/citations"]  # nothing more was asked

    refreshed = one_run(tmp_path, httpserver, refresh=True)  # asks, and is refused again
    assert "earlier run" not in refreshed and paths(httpserver) == ["/citations"] * 2


def test_retry_after_sets_the_pause_within_a_week(httpserver: HTTPServer, tmp_path) -> None:
    allow_all(httpserver)
    httpserver.expect_request("/citations").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7200"})
    one_run(tmp_path, httpserver)
    left = until(tmp_path) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(hours=2) - dt.timedelta(minutes=1) < left <= dt.timedelta(hours=2)
    assert "429" in memory(tmp_path)["scholar.google.com"]["reason"]

    httpserver.clear_log()
    httpserver.clear()
    allow_all(httpserver)
    httpserver.expect_request("/citations").respond_with_data(
        "slow down", status=429, headers={"Retry-After": str(90 * 86400)})
    one_run(tmp_path, httpserver, refresh=True)
    assert until(tmp_path) - dt.datetime.now(dt.UTC) <= PAUSE_MAX


def test_a_host_that_answers_again_is_forgotten(httpserver: HTTPServer, tmp_path) -> None:
    allow_all(httpserver)
    httpserver.expect_request("/citations").respond_with_data(CAPTCHA, content_type="text/html")
    one_run(tmp_path, httpserver)
    assert "scholar.google.com" in memory(tmp_path)
    httpserver.clear()
    allow_all(httpserver)
    html(httpserver, "/citations", "the profile")
    assert "the profile" in one_run(tmp_path, httpserver, refresh=True)
    assert memory(tmp_path) == {}
    assert "the profile" in one_run(tmp_path, httpserver)


def test_an_expired_pause_asks_again(httpserver: HTTPServer, tmp_path) -> None:
    allow_all(httpserver)
    html(httpserver, "/citations", "the profile")
    (tmp_path / "cache").mkdir()
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    (tmp_path / "cache" / FILE_NAME).write_text(json.dumps({"scholar.google.com": {
        "reason": "a CAPTCHA page", "since": (past - PAUSE_BLOCK).isoformat(),
        "until": past.isoformat()}}))
    assert "the profile" in one_run(tmp_path, httpserver)
    assert memory(tmp_path) == {}


@pytest.mark.parametrize("damage", ["{not json", "[1, 2]", '{"scholar.google.com": {}}'])
def test_a_damaged_memory_only_means_asking_again(httpserver: HTTPServer, tmp_path, caplog,
                                                  damage: str) -> None:
    allow_all(httpserver)
    html(httpserver, "/citations", "the profile")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / FILE_NAME).write_text(damage)
    assert "the profile" in one_run(tmp_path, httpserver)
    assert "blocked hosts are asked again" in caplog.text


def test_offline_runs_neither_read_nor_write_it(httpserver: HTTPServer, tmp_path) -> None:
    allow_all(httpserver)
    html(httpserver, "/citations", "the profile")
    with client(tmp_path) as http:
        http.get(PROFILE, base_url=base(httpserver))
    (tmp_path / "cache" / FILE_NAME).write_text("{not json")
    with client(tmp_path, offline=True) as http:
        assert "the profile" in http.get(PROFILE).text
    assert (tmp_path / "cache" / FILE_NAME).read_text() == "{not json"
