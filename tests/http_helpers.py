"""Helpers for the HTTP tests: configs, clients and a look into the on-disk cache."""

from __future__ import annotations

import json
import time
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from scholarsync.config import NetworkConfig
from scholarsync.net.client import HttpClient
from scholarsync.sources.scholar import ScholarSource

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
SCHOLAR = "https://scholar.google.com"
ESCHOLARSHIP = "https://escholarship.org"
PAGE = "<!DOCTYPE html><html><head><title>{}</title></head><body>{}</body></html>"


def network(tmp_path: Path, **overrides: object) -> NetworkConfig:
    values: dict = {"cache_dir": tmp_path / "cache", "delay": 0.0, "timeout": 5.0}
    values.update(overrides)
    return NetworkConfig(**values)


def client(tmp_path: Path, *, offline: bool = False, refresh: bool = False,
           **overrides: object) -> HttpClient:
    """A client with tiny retry pauses (tests stay fast) and Scholar's block rules (what a
    run registers when a config has a Scholar source)."""
    return HttpClient(network(tmp_path, **overrides), offline=offline, refresh=refresh,
                      retries=2, backoff=0.01, retry_after_cap=2.0,
                      block_rules=ScholarSource.block_rules)


def base(server: HTTPServer) -> str:
    return server.url_for("/").rstrip("/")


def allow_all(server: HTTPServer, extra: str = "") -> None:
    """Serve a permissive robots.txt (every test site needs one: a 5xx robots.txt stops us)."""
    server.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /search\n" + extra, content_type="text/plain")


def html(server: HTTPServer, path: str, body: str = "hello", **kwargs: object) -> None:
    server.expect_request(path).respond_with_data(
        PAGE.format(path, body), content_type="text/html; charset=utf-8", **kwargs)


def paths(server: HTTPServer) -> list[str]:
    """Paths requested from the server so far, robots.txt excluded."""
    return [req.path for req, _ in server.log if req.path != "/robots.txt"]


def cached_urls(cache_dir: Path) -> set[str]:
    """Canonical URLs (and redirect hops) stored in the HTTP cache."""
    urls: set[str] = set()
    for file in (cache_dir / "http").glob("*.json"):
        data = json.loads(file.read_text(encoding="utf-8"))
        urls.add(data["url"])
        urls.update(h["url"] for h in data.get("history", []))
    return urls


def cache_text(cache_dir: Path) -> str:
    return "".join(f.read_text(encoding="utf-8") for f in (cache_dir / "http").glob("*"))


class Stamps:
    """A handler that records when each request arrived, then answers with a page."""

    def __init__(self, status: int = 200):
        self.times: list[float] = []
        self.status = status

    def __call__(self, request: Request) -> Response:
        self.times.append(time.monotonic())
        return Response(PAGE.format("t", request.path), status=self.status,
                        content_type="text/html")
