"""A small site (bib, eScholarship item, Scholar profile on a local server) for end-to-end tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests import sitegen

USER = "Yno2pxMAAAAJ"
PROFILE_PATH = "/citations"
BIB = r"""@inproceedings{gupta2024infinity,
  title = {Understanding Infinity: Neural Network Models},
  author = {Gupta, Vima and Varma, Sashank},
  booktitle = {Proceedings of the Annual Meeting of the Cognitive Science Society},
  year = {2024},
  eprint = {2311.15194}, archiveprefix = {arXiv},
}
@article{doe2020local,
  title = {A Work Only in the Bib File},
  author = {Doe, Jane and Gupta, Vima},
  journal = {Journal of Local Things},
  year = {2020},
}
"""
PAGE = """---
layout: page
---
Intro text  \r
## Publications
<!-- scholarsync:begin publications -->
<!-- scholarsync:end publications -->
Footer
"""

ITEM = sitegen.Item("5cz2v6d5", "Understanding Infinity: Neural Network Models",
                    [("Gupta", "Vima"), ("Varma", "Sashank")], 2024, volume="46")
ROWS = [
    sitegen.Row("aaaaaaaaaaaC", "Understanding infinity: neural network models",
                "V Gupta, S Varma", "Proceedings of the Annual Meeting of the Cognitive Science",
                2024, 3),
    sitegen.Row("bbbbbbbbbbbC", "A Scholar-Only Workshop Paper on Counting", "V Gupta, A Other",
                "Workshop on Numbers", 2023, None),
]


@dataclass
class Site:
    root: Path
    server: HTTPServer
    mode: dict[str, str]

    @property
    def page(self) -> Path:
        return self.root / "site" / "index.md"

    def outputs(self) -> dict[str, bytes]:
        names = ["site/index.md", "publications.bib", "cache/library.json"]
        return {n: (self.root / n).read_bytes() for n in names if (self.root / n).exists()}

    def requests(self) -> int:
        return len(self.server.log)


def _handler(mode: dict[str, str]):
    def handle(request: Request) -> Response:
        if request.path == "/robots.txt":
            host_rules = sitegen.ROBOTS_SCHOLAR + sitegen.ROBOTS_ESCHOLARSHIP
            return Response(host_rules, content_type="text/plain")
        if request.path == PROFILE_PATH:
            if mode.get("scholar") == "429":
                return Response("Too many requests", status=429)
            page = sitegen.profile_page(USER, "Vima Gupta", ROWS, affiliation="Georgia Tech")
            return Response(page, content_type="text/html; charset=utf-8")
        if request.path == f"/uc/item/{ITEM.id}":
            return Response(sitegen.item_page(ITEM), content_type="text/html; charset=utf-8")
        if request.path == "/graphql":
            body = sitegen.graphql_answer(request.args.get("query", ""), {ITEM.id: ITEM})
            return Response(body, content_type="application/json")
        return Response("not found", status=404)

    return handle


def make_site(tmp_path: Path, httpserver: HTTPServer) -> Site:
    mode: dict[str, str] = {}
    httpserver.expect_request("", method="GET").respond_with_handler(_handler(mode))
    base = httpserver.url_for("/").rstrip("/")
    (tmp_path / "bib").mkdir()
    (tmp_path / "bib" / "mine.bib").write_text(BIB)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.md").write_bytes(PAGE.encode())
    (tmp_path / "scholarsync.toml").write_text(sitegen.config_toml(
        base, items=[ITEM.id], user=USER, page="site/index.md", bibtex=True,
        network="delay = 0\ntimeout = 5\n"))
    return Site(tmp_path, httpserver, mode)


def sync(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    return subprocess.run([sys.executable, "-m", "scholarsync", "sync", "--json", *args],
                          cwd=site.root, capture_output=True, text=True, timeout=120, env=env)


def sync_in_process(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    """``sync --json`` through the CLI in this process (no interpreter start-up per run)."""
    from click.testing import CliRunner

    from scholarsync.cli import cli

    argv = ["sync", "--json", "--config", str(site.root / "scholarsync.toml"), *args]
    result = CliRunner().invoke(cli, argv)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(argv, result.exit_code, result.stdout, result.stderr)


def report(proc: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(proc.stdout)


def sources(data: dict) -> dict[str, dict]:
    return {s["kind"]: s for s in data["sources"]}


