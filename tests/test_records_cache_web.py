"""The parsed-records cache of the web sources: a sync that is not the nothing-changed fast path
takes the records of every unchanged HTTP answer (eScholarship's GraphQL pages and item queries,
ORCID's works list and bulk reads, OpenAlex's and Semantic Scholar's pages, DBLP's person
document) from ``cache/records/`` instead of parsing the answer again, writes the same bytes as
a sync that parses everything, parses a changed answer again, and ignores a corrupt cache file.
Every service is a real local HTTP server (the site of tests/test_sync_all_apis.py)."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path

import pytest

from tests import apigen
from tests import test_sync_all_apis as apis
from tests.test_record_cache import outputs

site = apis.site  # the fixture: every API on a local server, Scholar blocked
Site = apis.Site
ITEM = "e2e0004c"  # configured, and left out of the author's listing: read by an item query


class ListedApart(apigen.Services):
    """The services of tests/test_sync_all_apis.py, but eScholarship's listing of the author
    leaves out :data:`ITEM`."""

    def _escholarship(self, path: str, args: dict[str, str]) -> tuple[str, str] | None:
        if "author(" not in args.get("query", ""):
            return super()._escholarship(path, args)
        every = self.items
        self.items = {k: v for k, v in every.items() if k != ITEM}
        try:
            return super()._escholarship(path, args)
        finally:
            self.items = every


@pytest.fixture
def web(site: Site) -> Site:
    """Every API on a local server (Scholar blocked); eScholarship also asked for an item."""
    site.services = ListedApart(site.services.works)
    config = site.root / "scholarsync.toml"
    config.write_text(config.read_text().replace('items = ["e2e0003b"]',
                                                 f'items = ["e2e0003b", "{ITEM}"]'))
    return site

#: The host of each changed source's answers, as the source names them (before base_url).
HOSTS = {"escholarship": "escholarship.org/graphql", "orcid": "pub.orcid.org",
         "openalex": "api.openalex.org/works", "semanticscholar": "api.semanticscholar.org",
         "dblp": "dblp.org/pid/"}


def sync(site: Site, caplog: pytest.LogCaptureFixture, *args: str) -> tuple[set[str], set[str]]:
    """A sync with the fast path bypassed; the answers it parsed and those it reused."""
    (site.root / "cache" / "state.json").unlink(missing_ok=True)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="scholarsync"):
        result = apis.run(site, "--verbose", *args)
    assert result.exit_code == 3, result.output  # Scholar is blocked, nothing else fails
    parsed, reused = parsed_and_reused(caplog)
    return {u for u in parsed if _kind(u)}, {u for u in reused if _kind(u)}


def parsed_and_reused(caplog: pytest.LogCaptureFixture) -> tuple[set[str], set[str]]:
    """What the records cache logged: the inputs parsed, and those whose parse was reused."""
    parsed, reused = set(), set()
    for record in caplog.records:
        message = record.getMessage()
        if message.startswith("records cache: parsing "):
            parsed.add(message.removeprefix("records cache: parsing "))
        elif message.endswith(" unchanged, its records reused"):
            reused.add(message.removeprefix("records cache: ").split(" unchanged")[0])
    return parsed, reused


def _kind(url: str) -> str | None:
    return next((kind for kind, host in HOSTS.items() if host in url), None)


def kinds(urls: set[str]) -> set[str | None]:
    return {_kind(u) for u in urls}


def records_files(root: Path) -> list[Path]:
    return sorted((root / "cache" / "records").glob("*.json"))


def test_unchanged_answers_are_not_parsed_again(web: Site, caplog) -> None:
    parsed, reused = sync(web, caplog)
    assert kinds(parsed) == set(HOSTS) and not reused
    assert any("item%28id" in url for url in parsed)  # the item query
    cold = outputs(web.root)
    assert len(records_files(web.root)) >= len(parsed)
    again, reused = sync(web, caplog)
    assert not again and reused == parsed  # every answer's records from the cache
    assert outputs(web.root) == cold  # byte for byte
    shutil.rmtree(web.root / "cache" / "records")  # safe to delete: everything parsed again
    parsed_again, reused = sync(web, caplog)
    assert parsed_again == parsed and not reused
    assert outputs(web.root) == cold


def test_a_changed_answer_is_parsed_again(web: Site, caplog) -> None:
    first, _ = sync(web, caplog)
    old = "Infants Track Small Sets"  # on ORCID, OpenAlex, Semantic Scholar, eScholarship
    item = "An eScholarship-Only Working Paper"  # the item query
    works = [dataclasses.replace(w, title="Infants Track Large Sets") if w.title == old else
             dataclasses.replace(w, title="A Working Paper Renamed") if w.title == item else w
             for w in web.services.works]
    web.services = ListedApart(works)
    parsed, reused = sync(web, caplog, "--refresh")  # the servers are asked again
    assert kinds(parsed) == {"orcid", "openalex", "semanticscholar", "escholarship"}
    assert "dblp" in kinds(reused) and parsed | reused == first
    page = (web.root / "site" / "index.md").read_text()
    assert "Infants Track Large Sets" in page and old not in page
    assert "A Working Paper Renamed" in page and item not in page
    assert any("item%28id" in url for url in parsed)
    incremental = outputs(web.root)
    shutil.rmtree(web.root / "cache" / "records")
    sync(web, caplog)
    assert outputs(web.root) == incremental


@pytest.mark.parametrize("damage", ["garbage", "cut", "foreign"])
def test_a_corrupt_records_cache_file_is_ignored(web: Site, caplog, damage: str) -> None:
    parsed, _ = sync(web, caplog)
    cold = outputs(web.root)
    files = records_files(web.root)
    for n, path in enumerate(files):
        body = path.read_bytes()
        if damage == "garbage":
            path.write_bytes(b"\x00not json{")
        elif damage == "cut":
            path.write_bytes(body[:len(body) // 2])
        else:  # another entry's content under this name
            path.write_bytes(files[(n + 1) % len(files)].read_bytes() if len(files) > 1
                             else b"{}")
    again, reused = sync(web, caplog)
    assert again == parsed and not reused
    assert outputs(web.root) == cold
    third, reused = sync(web, caplog)  # the files were written again
    assert not third and reused == parsed


def test_compact_record_layout_decodes_to_an_equal_record() -> None:
    """Fields holding their default are left out of the cache file and come back as they were;
    a value of another type than its default (0 for None, an empty versions entry) is kept."""
    from scholarsync.model import Origin, Person, Record
    from scholarsync.recordcache import record_from
    from scholarsync.sources.answers import compact_record

    plain = Record()
    full = Record(source="openalex", origin=Origin("openalex", "https://x/W1", 3), key="k",
                  type="article", fields={"title": "T"}, title="T",
                  authors=[Person(given="A", family="B")], authors_truncated=True, year=0,
                  citations=0, citations_read="2026-01-01", extra={"date": "2020-01"},
                  versions=[{}])
    assert compact_record(plain) == {}
    assert {"year", "citations", "versions", "authors_truncated"} <= set(compact_record(full))
    for record in (plain, full):
        assert record_from(compact_record(record)) == record


def test_escholarship_item_pages_are_parsed_once(tmp_path: Path, httpserver) -> None:
    """The fallback when the API fails: an item page's parse comes from the records cache
    while the page is unchanged, and is made again when it changes or its file is broken."""
    from werkzeug import Request, Response

    from tests.api_helpers import serve_sources
    from tests.test_escholarship_api import PAGE

    html = {"text": PAGE.read_text()}

    def item_page(request: Request) -> Response:
        return Response(html["text"], content_type="text/html; charset=utf-8")

    httpserver.expect_request("/graphql").respond_with_data("busy", status=500)
    httpserver.expect_request("/uc/item/5cz2v6d5").respond_with_handler(item_page)
    table = 'kind = "escholarship"\nitems = ["5cz2v6d5"]'
    made = serve_sources(tmp_path, httpserver)
    sources = next(made)

    def read(**options: bool) -> tuple[list, list[str], list[str]]:
        source = sources(table, **options)
        records = source.read().records
        pages = [u for u in source.context.records.hits + source.context.records.misses
                 if "/uc/item/" in u]
        return records, [u for u in pages if u in source.context.records.hits], pages

    cold, hits, pages = read()
    assert pages and not hits and cold[0].title.startswith("Understanding Infinity")
    warm, hits, _ = read()
    assert hits == pages and warm == cold
    html["text"] = html["text"].replace("Understanding Infinity", "Understanding Finity")
    changed, hits, _ = read(refresh=True)
    assert not hits and changed[0].title.startswith("Understanding Finity")
    for path in records_files(tmp_path):
        path.write_text("{", encoding="utf-8")
    again, hits, _ = read()
    assert not hits and again == changed
    next(made, None)  # closes the contexts


def _read_on(root: Path, kind: str, today: str) -> tuple[list, list[str], list[str]]:
    """``kind``'s records read on ``today`` from the site's caches, with the records cache's
    hits and misses."""
    from scholarsync.config import load_config
    from scholarsync.sources import source_class
    from scholarsync.sources.base import SourceContext

    config = load_config(root / "scholarsync.toml")
    spec = next(s for s in config.sources if s.kind == kind)
    with SourceContext(config, today=today) as context:
        records = source_class(kind)(spec, context).read().records
        return records, list(context.records.hits), list(context.records.misses)


@pytest.mark.parametrize("kind", ["openalex", "semanticscholar"])
def test_counts_read_on_another_day_reuse_the_parse(web: Site, caplog, kind: str) -> None:
    """The read date of a count is the day of the run, not part of the cache key: the next
    day's run takes the parse from the cache and dates its counts that day, as a parse would."""
    sync(web, caplog)
    later, hits, misses = _read_on(web.root, kind, "2031-02-03")
    assert hits and not [u for u in misses if _kind(u) == kind]
    counted = [r for r in later if r.citations is not None]
    assert counted and {r.citations_read for r in counted} == {"2031-02-03"}
    shutil.rmtree(web.root / "cache" / "records")
    fresh, hits, _ = _read_on(web.root, kind, "2031-02-03")
    assert not hits and fresh == later
