"""Helpers for the API sources' tests: a source built from a config served by a local server,
replay of recorded corpus responses (body, status, headers), and a look into the cache."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug import Response

from scholarsync.config import load_config
from scholarsync.sources import source_class
from scholarsync.sources.base import SourceContext

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
ROBOTS = "User-agent: *\nDisallow: /search\n"  # no Crawl-delay: keeps the tests fast
# hop-by-hop and encoding headers of a recording: the body is stored decoded
_DROP = {"status", "transfer-encoding", "content-encoding", "content-length", "connection",
         "set-cookie"}


def corpus_file(*parts: str) -> Path:
    """A corpus file; the test is skipped when the corpus is absent (failed under CI)."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"corpus file {path} missing (CI must have ../shared/corpus)")
        pytest.skip(f"corpus file {path} not present (../shared/corpus is not checked out)")
    return path


def recorded(*parts: str) -> tuple[bytes, int, dict[str, str]]:
    """A recorded body with the status and headers of its ``.meta.json``."""
    meta_path = corpus_file(*parts[:-1], parts[-1].rsplit(".", 1)[0] + ".meta.json")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))["response"]
    body = corpus_file(*parts[:-1], meta["body"]).read_bytes()
    headers = {k: v for k, v in meta["headers"].items() if k.lower() not in _DROP}
    return body, int(meta["status"]), headers


def replay(*parts: str) -> Response:
    body, status, headers = recorded(*parts)
    return Response(body, status=status, headers=headers)


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def config_text(base: str, table: str, network: str = "delay = 0\ntimeout = 5\n") -> str:
    return f'[[sources]]\n{table.strip()}\nbase_url = "{base}"\n\n[network]\n{network}'


class Sources:
    """Builds sources of one kind from a ``[[sources]]`` table, one context per build."""

    def __init__(self, root: Path, base: str):
        self.root = root
        self.base = base
        self.contexts: list[SourceContext] = []

    def __call__(self, table: str, *, offline: bool = False, refresh: bool = False,
                 network: str | None = None) -> Any:
        path = self.root / "scholarsync.toml"
        path.write_text(config_text(self.base, table) if network is None
                        else config_text(self.base, table, network))
        config = load_config(path)
        context = SourceContext(config, offline=offline, refresh=refresh, today="2026-12-06")
        self.contexts.append(context)
        return source_class(config.sources[0].kind)(config.sources[0], context)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def serve_sources(tmp_path: Path, httpserver) -> Iterator[Sources]:
    """Body of each test module's ``sources`` fixture (robots.txt served, contexts closed)."""
    httpserver.expect_request("/robots.txt").respond_with_data(ROBOTS, content_type="text/plain")
    made = Sources(tmp_path, httpserver.url_for("/").rstrip("/"))
    yield made
    made.close()


def cached_urls(root: Path) -> list[str]:
    return sorted(json.loads(p.read_text(encoding="utf-8"))["url"]
                  for p in (root / "cache" / "http").glob("*.json"))


def cache_text(root: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in (root / "cache" / "http").glob("*"))


def api_paths(httpserver) -> list[str]:
    return [r.path for r, _ in httpserver.log if r.path != "/robots.txt"]
