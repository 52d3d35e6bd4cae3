"""The parsed-records cache of the lookup sources: a sync that is not the nothing-changed fast
path takes the record of every unchanged Crossref or DataCite answer, and the entries of every
unchanged arXiv feed, from ``cache/records/``; a changed answer is parsed again; a corrupt cache
file is ignored. Against the local Crossref/DataCite/arXiv of tests/test_sync_lookups.py."""

from __future__ import annotations

import dataclasses
import logging
import shutil

import pytest

from tests import test_sync_lookups as lookups
from tests.test_record_cache import outputs
from tests.test_records_cache_web import parsed_and_reused, records_files

server = lookups.server  # the fixtures: a threaded local server and the site it serves
site = lookups.site
Site = lookups.Site
HOSTS = {"crossref": "api.crossref.org/works/", "datacite": "api.datacite.org/dois/",
         "arxiv": "export.arxiv.org/api/query"}


def _kind(url: str) -> str | None:
    return next((kind for kind, host in HOSTS.items() if host in url), None)


def sync(site: Site, caplog: pytest.LogCaptureFixture, *args: str) -> tuple[set[str], set[str]]:
    """A sync with the fast path bypassed; the answers it parsed and those it reused."""
    (site.root / "cache" / "state.json").unlink(missing_ok=True)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="scholarsync"):
        result = lookups.run(site, "sync", "--verbose", *args)
    assert result.exit_code == 0, result.output
    parsed, reused = parsed_and_reused(caplog)
    return {u for u in parsed if _kind(u)}, {u for u in reused if _kind(u)}


def kinds(urls: set[str]) -> set[str | None]:
    return {_kind(u) for u in urls}


def test_unchanged_lookup_answers_are_not_parsed_again(site: Site, caplog) -> None:
    parsed, reused = sync(site, caplog)
    assert kinds(parsed) == set(HOSTS) and not reused
    cold = outputs(site.root)
    again, reused = sync(site, caplog)
    assert not again and reused == parsed
    assert outputs(site.root) == cold  # byte for byte
    shutil.rmtree(site.root / "cache" / "records")
    parsed_again, _ = sync(site, caplog)
    assert parsed_again == parsed and outputs(site.root) == cold


def test_a_changed_lookup_answer_is_parsed_again(site: Site, caplog) -> None:
    first, _ = sync(site, caplog)
    doi = lookups.INFINITY.doi.lower()
    site.services.crossref[doi] = dataclasses.replace(lookups.INFINITY, page="7-19")
    parsed, reused = sync(site, caplog, "--refresh")
    assert parsed == {u for u in first if "inf.2022" in u.lower()}
    assert reused == first - parsed
    assert "7--19" in site.export()
    incremental = outputs(site.root)
    shutil.rmtree(site.root / "cache" / "records")
    sync(site, caplog)
    assert outputs(site.root) == incremental


def test_a_corrupt_lookup_records_file_is_ignored(site: Site, caplog) -> None:
    parsed, _ = sync(site, caplog)
    cold = outputs(site.root)
    for path in records_files(site.root):
        path.write_bytes(path.read_bytes()[:40])
    again, reused = sync(site, caplog)
    assert again == parsed and not reused
    assert outputs(site.root) == cold


def test_a_doi_read_on_another_day_reuses_the_parse(site: Site, caplog) -> None:
    from scholarsync.config import load_config
    from scholarsync.sources import source_class
    from scholarsync.sources.base import SourceContext

    sync(site, caplog)
    config = load_config(site.config)
    spec = next(s for s in config.sources if s.kind == "crossref")

    def inspect(today: str) -> tuple[list, list[str]]:
        with SourceContext(config, today=today) as context:
            found = source_class("crossref")(spec, context).inspect(lookups.COUNTING.doi)
            return found, list(context.records.hits)

    later, hits = inspect("2031-02-03")
    assert hits and later[0].citations == 42 and later[0].citations_read == "2031-02-03"
    shutil.rmtree(site.root / "cache" / "records")
    fresh, hits = inspect("2031-02-03")
    assert not hits and fresh == later
