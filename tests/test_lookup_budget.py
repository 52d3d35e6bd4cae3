"""The time budget of a lookup source (``[network] source_budget``), through the CLI: a slow
Crossref stops at its budget, keeps its last good lookups, and arXiv after it has its own."""

from __future__ import annotations

import time

from tests.test_sync_lookups import Site, server, site, sync

__all__ = ["server", "site"]  # fixtures of the lookup site, used here


def test_a_slow_lookup_source_stops_at_its_budget_and_the_next_one_has_its_own(
        site: Site) -> None:
    result, _ = sync(site)
    assert result.exit_code == 0, result.stderr
    good_export = site.export()
    site.write_config(timeout=5)
    site.config.write_text(site.config.read_text() + "source_budget = 1\n")
    site.services.faults["crossref"] = "slow"  # 0.6 s an answer: the budget is 1 s
    asked = len(site.services.requests("crossref"))
    started = time.monotonic()
    result, data = sync(site, "--refresh")
    assert time.monotonic() - started < 8
    assert result.exit_code == 3, result.stderr
    assert "Traceback" not in result.output
    status = {s["kind"]: s for s in data["sources"]}
    assert status["crossref"]["status"] == "stale"
    assert "time budget of 1 s ([network] source_budget)" in status["crossref"]["detail"]
    assert status["arxiv"]["status"] in ("fresh", "cache")
    assert len(site.services.requests("crossref")) - asked <= 2  # 5 DOIs, stopped after ~1 s
    assert site.export() == good_export  # the last good lookups are kept
