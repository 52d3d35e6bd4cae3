"""`scholarsync sync` end to end, through the real CLI and a local HTTP server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from scholarsync.config import load_config
from scholarsync.lock import RunLock
from scholarsync.sync import RunOptions, run_sync
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
        return Response("not found", status=404)

    return handle


@pytest.fixture
def site(tmp_path: Path, httpserver: HTTPServer) -> Site:
    mode: dict[str, str] = {}
    httpserver.expect_request("", method="GET").respond_with_handler(_handler(mode))
    base = httpserver.url_for("/").rstrip("/")
    (tmp_path / "bib").mkdir()
    (tmp_path / "bib" / "mine.bib").write_text(BIB)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.md").write_bytes(PAGE.encode())
    (tmp_path / "scholarsync.toml").write_text(f"""
[profile]
name = "Vima Gupta"
page = "site/index.md"

[[sources]]
kind = "bibtex"
paths = ["bib/*.bib"]

[[sources]]
kind = "escholarship"
items = ["5cz2v6d5"]
base_url = "{base}"

[[sources]]
kind = "scholar"
user = "{USER}"
base_url = "{base}"

[outputs]
bibtex = "publications.bib"

[network]
delay = 0
timeout = 5
""")
    return Site(tmp_path, httpserver, mode)


def sync(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    return subprocess.run([sys.executable, "-m", "scholarsync", "sync", "--json", *args],
                          cwd=site.root, capture_output=True, text=True, timeout=120, env=env)


def report(proc: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(proc.stdout)


def sources(data: dict) -> dict[str, dict]:
    return {s["kind"]: s for s in data["sources"]}


def test_cold_then_warm_sync(site: Site) -> None:
    cold = sync(site)
    assert cold.returncode == 0, cold.stderr
    data = report(cold)
    assert "Traceback" not in cold.stderr
    # one request per configured page plus one robots.txt per host
    assert site.requests() == 4
    assert {k: v["status"] for k, v in sources(data).items()} == {
        "bibtex": "fresh", "escholarship": "fresh", "scholar": "fresh"}
    # the published paper is one publication from all three sources; 3 works in all
    assert data["publications"] == 3 and len(data["added"]) == 3
    page = site.page.read_bytes().decode()
    assert page.startswith("---\nlayout: page\n---\nIntro text  \r\n## Publications\n")
    assert page.endswith("<!-- scholarsync:end publications -->\nFooter\n")
    assert "**Vima Gupta**" in page
    assert "A Scholar-Only Workshop Paper on Counting" in page
    assert "A Work Only in the Bib File" in page
    bib = (site.root / "publications.bib").read_text()
    assert "@inproceedings{gupta2024infinity," in bib and "@article{doe2020local," in bib
    before = site.outputs()

    warm = sync(site)
    assert warm.returncode == 0, warm.stderr
    assert site.requests() == 4  # nothing fetched within freshness
    assert site.outputs() == before  # byte-identical
    data = report(warm)
    assert data["added"] == [] and data["unchanged"] == 3
    assert not any(f["changed"] for f in data["files"])


def test_blocked_source_keeps_its_works_and_exits_3(site: Site) -> None:
    assert sync(site).returncode == 0
    site.mode["scholar"] = "429"
    blocked = sync(site, "--refresh")
    assert blocked.returncode == 3, blocked.stderr
    data = report(blocked)
    scholar = sources(data)["scholar"]
    assert scholar["status"] == "stale" and "blocked" in scholar["detail"]
    assert "A Scholar-Only Workshop Paper on Counting" in site.page.read_text()
    assert data["removed"] == []
    assert "Traceback" not in blocked.stderr

    site.mode.clear()
    recovered = sync(site, "--refresh")
    assert recovered.returncode == 0, recovered.stderr
    assert sources(report(recovered))["scholar"]["status"] in ("fresh", "cache")


def test_dry_run_and_check_write_nothing(site: Site) -> None:
    dry = sync(site, "--dry-run")
    assert dry.returncode == 0
    assert site.outputs() == {"site/index.md": PAGE.encode()}
    check = sync(site, "--check")
    assert check.returncode == 1
    assert "out of date" in check.stderr
    assert site.outputs() == {"site/index.md": PAGE.encode()}
    assert sync(site).returncode == 0
    assert sync(site, "--check").returncode == 0
    with (site.root / "bib" / "mine.bib").open("a") as handle:
        handle.write("@misc{new2025, title={Brand New}, author={Gupta, Vima}, year={2025}}\n")
    before = site.outputs()
    assert sync(site, "--check").returncode == 1
    assert site.outputs() == before


def test_second_concurrent_run_exits_0_at_once(site: Site) -> None:
    with RunLock(site.root / "cache"):
        proc = sync(site)
    assert proc.returncode == 0
    assert "another sync holds the lock" in proc.stderr
    assert not (site.root / "publications.bib").exists()


def test_hand_edited_section_is_refused_then_forced(site: Site) -> None:
    assert sync(site).returncode == 0
    text = site.page.read_text().replace("A Work Only in the Bib File", "My own words")
    site.page.write_text(text)
    refused = sync(site)
    assert refused.returncode == 1
    assert "index.md" in refused.stderr + refused.stdout
    assert "My own words" in site.page.read_text()
    forced = sync(site, "--force")
    assert forced.returncode == 0
    assert "My own words" not in site.page.read_text()


def test_interrupted_write_leaves_every_file_old_or_new(site: Site, monkeypatch) -> None:
    assert sync(site).returncode == 0
    old = site.outputs()
    with (site.root / "bib" / "mine.bib").open("a") as handle:
        handle.write("@misc{new2025, title={Brand New}, author={Gupta, Vima}, year={2025}}\n")
    real_replace = os.replace
    calls = {"n": 0}

    def failing_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:  # the page is written, then the run dies
            raise OSError("simulated crash during rename")
        return real_replace(src, dst)

    monkeypatch.setattr("scholarsync.fileio.os.replace", failing_replace)
    config = load_config(site.root / "scholarsync.toml")
    with pytest.raises(OSError, match="simulated crash"):
        run_sync(config, RunOptions(offline=True))
    monkeypatch.undo()
    new = site.outputs()
    for name, data in new.items():
        assert data == old[name] or "Brand New" in data.decode(), name
    assert new["cache/library.json"] == old["cache/library.json"]  # the commit point
    assert not list(site.root.rglob("*.tmp"))
    assert sync(site, "--offline").returncode == 0
    assert "Brand New" in site.page.read_text()


def test_nothing_changed_fast_path_and_what_invalidates_it(site: Site) -> None:
    assert sync(site).returncode == 0
    warm = sync(site)
    assert report(warm).get("note") == "nothing changed since the last run"
    assert site.requests() == 4
    # a changed .bib file is read again
    with (site.root / "bib" / "mine.bib").open("a") as handle:
        handle.write("@misc{new2025, title={Brand New}, author={Gupta, Vima}, year={2025}}\n")
    changed = report(sync(site))
    assert "note" not in changed and [a["key"] for a in changed["added"]] == ["new2025"]
    # a deleted output is written again
    (site.root / "publications.bib").unlink()
    assert "note" not in report(sync(site))
    assert "Brand New" in (site.root / "publications.bib").read_text()
    # a hand edit inside a section is still refused, never skipped
    site.page.write_text(site.page.read_text().replace("Brand New", "Hand edit"))
    assert sync(site).returncode == 1


def test_fast_path_ends_when_a_cached_page_expires(site: Site) -> None:
    assert sync(site).returncode == 0
    state_file = site.root / "cache" / "state.json"
    state = json.loads(state_file.read_text())
    assert state["expires"] is not None
    state["expires"] = "2000-01-01T00:00:00+00:00"
    state_file.write_text(json.dumps(state))
    offline = report(sync(site, "--offline"))  # pages never expire offline
    assert offline.get("note") == "nothing changed since the last run"
    online = report(sync(site))
    assert "note" not in online
