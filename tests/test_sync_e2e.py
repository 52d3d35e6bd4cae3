"""`scholarsync sync` end to end, through the real CLI and a local HTTP server."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from scholarsync.app.lock import RunLock
from scholarsync.app.sync import RunOptions, run_sync
from scholarsync.config import load_config
from tests.e2e import PAGE, Site, make_site, report, sources, sync


@pytest.fixture
def site(tmp_path: Path, httpserver: HTTPServer) -> Site:
    return make_site(tmp_path, httpserver)


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
        calls["n"] += "records" not in Path(dst).parts  # (caches are written while reading)
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


def test_a_remembered_block_keeps_the_fast_path_with_exit_3(site: Site) -> None:
    site.mode["scholar"] = "429"  # blocked from the first run on (a CI runner's address)
    assert sync(site).returncode == 3  # remembered for the next runs
    asked = site.requests()
    again = sync(site)
    assert again.returncode == 3, again.stderr
    data = report(again)
    assert data["note"].startswith("nothing changed since the last run, and the blocked sources "
                                   "are not asked again before ")
    assert sources(data)["scholar"]["status"] == "failed"
    assert site.requests() == asked  # nothing asked of anyone
    offline = sync(site, "--offline")  # its failure was met online: offline runs afresh
    assert offline.returncode == 3 and "note" not in report(offline)
    # a change still runs afresh: the new entry appears, Scholar's block is still respected
    with (site.root / "bib" / "mine.bib").open("a") as handle:
        handle.write("@misc{new2025, title={Brand New}, author={Gupta, Vima}, year={2025}}\n")
    changed = sync(site)
    assert changed.returncode == 3 and "note" not in report(changed)
    assert "blocked us in an earlier run" in sources(report(changed))["scholar"]["detail"]
    assert site.requests() == asked
    assert "Brand New" in site.page.read_text()
    site.mode.clear()  # the block is over: --refresh asks at once and the run is clean again
    assert sync(site, "--refresh").returncode == 0
    assert sync(site).returncode == 0 and site.requests() > asked
