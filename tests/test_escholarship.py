"""eScholarship: item ids, the item-page parser (on fixtures written for tests), the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from scholarsync.errors import ParseError, SourceError
from scholarsync.model import Person
from scholarsync.sources.escholarship import (
    EscholarshipSource,
    ItemUnavailableError,
    item_id,
    item_url,
    parse_item_page,
)
from tests.expected import assert_matches_json

FIXTURES = Path(__file__).parent / "fixtures" / "escholarship"
# fixture -> the id it is served under (real example ids, made-up ones for the rest)
IDS = {
    "item_5cz2v6d5": "5cz2v6d5",
    "item_91z2p9h1": "91z2p9h1",
    "item_page_data_only": "0test0a1",
    "item_meta_name_dc": "0test0m1",
    "item_missing_fields": "0test0f1",
    "item_withdrawn": "0test0w1",
    "item_embargoed": "0test0e1",
    "item_no_title": "0test0n1",
    "item_json_outside_script": "0test0x1",
    "item_broken_json": "0test0c1",
}


def parse(name: str):
    ident = IDS[name]
    return parse_item_page((FIXTURES / f"{name}.html").read_text(), item_url(ident), ident)


def outcome(name: str) -> dict:
    try:
        return {"record": parse(name).to_dict()}
    except SourceError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}


@pytest.mark.parametrize("name", sorted(IDS))
def test_fixture_matches_expected_json(name: str) -> None:
    """Each page's parse equals the JSON beside it (SCHOLARSYNC_REGEN=1 rewrites them)."""
    assert_matches_json(outcome(name), FIXTURES / f"{name}.expected.json")


def test_every_fixture_page_has_a_case() -> None:
    assert {p.stem for p in FIXTURES.glob("*.html")} == set(IDS)


# -- item ids -------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "https://escholarship.org/uc/item/5cz2v6d5",
    "http://www.escholarship.org/uc/item/5cz2v6d5/",
    "https://escholarship.org/uc/item/5cz2v6d5?query=x#main",
    "https://escholarship.org/uc/item/qt5cz2v6d5",
    "5cz2v6d5", "qt5cz2v6d5", " 5CZ2V6D5 ",
    "https://escholarship.org/content/qt5cz2v6d5/qt5cz2v6d5.pdf",
    "https://escholarship.org/content/qt5cz2v6d5/qt5cz2v6d5_noSplash_0123456789abcdef0123456789abcdef.pdf",
    "ark:/13030/qt5cz2v6d5",
])
def test_item_id_accepts_every_input_form(value: str) -> None:
    assert item_id(value) == "5cz2v6d5"


@pytest.mark.parametrize("value", [
    "", "5cz2v6d", "5cz2v6d5x", "https://example.org/uc/item/5cz2v6d5",
    "https://escholarship.org/content/qt5cz2v6d5/qt91z2p9h1.pdf",
    "https://escholarship.org/content/qt5cz2v6d5/qt5cz2v6d5_noSplash_0123.pdf",
    "https://escholarship.org/uc/cognitivesciencesociety/44/44",
    "https://scholar.google.com/citations?user=Yno2pxMAAAAJ",
])
def test_item_id_rejects_other_values(value: str) -> None:
    assert item_id(value) is None


def test_accepts_matches_item_id() -> None:
    assert EscholarshipSource.accepts("https://escholarship.org/uc/item/91z2p9h1")
    assert not EscholarshipSource.accepts("https://scholar.google.com/citations?user=abcdefghijkl")


# -- the parser -----------------------------------------------------------------------------

def test_meta_and_page_data_together() -> None:
    record = parse("item_5cz2v6d5")
    assert record.title == ('Understanding Infinity: Neural Network Models of Becoming a '
                            '"Cardinal Principle Knower"')
    assert record.authors == [Person(given="Vima", family="Gupta"),
                              Person(given="Sashank", family="Varma")]
    assert record.year == 2024 and record.type == "inproceedings"
    assert record.venue == "Proceedings of the Annual Meeting of the Cognitive Science Society"
    assert record.fields["author"] == "Gupta, Vima and Varma, Sashank"
    assert record.fields["booktitle"] == record.venue and record.fields["volume"] == "46"
    assert record.key == "escholarship:5cz2v6d5"
    assert record.ids == {"escholarship": "5cz2v6d5"}
    assert record.links == {
        "escholarship": "https://escholarship.org/uc/item/5cz2v6d5",
        "pdf": "https://escholarship.org/content/qt5cz2v6d5/qt5cz2v6d5.pdf"}
    assert record.origin.location == "https://escholarship.org/uc/item/5cz2v6d5"
    # the abstract comes from the page data, HTML stripped
    assert record.abstract == "Placeholder abstract written for tests."
    assert record.keywords == ["placeholder keyword", "written for tests"]


def test_meta_tags_only() -> None:
    record = parse("item_91z2p9h1")
    assert record.title == "Placeholder title of item 91z2p9h1 (written for tests)"
    assert record.authors == [Person(given="Placeholder", family="Author")]
    assert (record.year, record.fields["volume"], record.fields["number"]) == (2022, "44", "44")
    assert record.type == "inproceedings"
    assert record.links["pdf"].endswith("/content/qt91z2p9h1/qt91z2p9h1.pdf")


def test_page_data_only_with_html_title_and_last_first_names() -> None:
    record = parse("item_page_data_only")
    assert record.title == "Counting with Small Networks & Big Numbers: Étude"
    assert record.fields["title"] == r"Counting with Small Networks \& Big Numbers: Étude"
    assert [a.display for a in record.authors] == ["Renée Dubois-Kaur", "Jan van der Berg",
                                                   "Ada Example"]
    assert record.authors[1].von == "van der" and record.authors[1].family == "Berg"
    # the external journal is the venue, not the campus unit the item sits in
    assert record.venue == "Journal of Test Data" and record.type == "article"
    assert record.fields["journal"] == "Journal of Test Data"
    assert (record.fields["volume"], record.fields["number"]) == ("7", "2")
    assert record.ids["doi"] == "10.1234/test.5678_a" == record.fields["doi"]
    assert record.links["doi"] == "https://doi.org/10.1234/test.5678_a"
    assert record.year == 2021 and record.extra["date"] == "2021-03-15"


def test_name_attribute_conference_and_dublin_core() -> None:
    record = parse("item_meta_name_dc")
    assert record.title == "A Workshop Paper Written for Tests"  # not og:/DC. titles
    assert len(record.authors) == 3 and record.authors[2].family == "Placeholder"
    assert record.type == "inproceedings"
    assert record.fields["booktitle"] == "Workshop on Test Fixtures"
    assert record.year == 2019 and record.ids["doi"] == "10.5555/workshop.2019.1"
    assert record.keywords == ["fixtures", "parsing", "tests"]
    assert record.abstract == "Placeholder abstract written for tests."


def test_property_attribute_on_every_tag() -> None:
    html = ('<meta property="citation_title" content="T"/>'
            '<meta property="citation_author" content="Example, Ada"/>'
            '<meta property="citation_publication_date" content="2001"/>')
    record = parse_item_page(html, item_url("0test0p1"), "0test0p1")
    assert (record.title, record.authors[0].family, record.year) == ("T", "Example", 2001)


def test_page_data_wins_over_meta_tags() -> None:
    html = ('<meta property="citation_title" content="Meta Title"/>'
            '<meta name="citation_author" content="Meta, Only"/>'
            '<script>window.jscholApp_initialPageData = {"title": "Data Title", '
            '"authors": [{"name": "Data, Ada", "fname": "Ada", "lname": "Data"}]};</script>')
    record = parse_item_page(html, item_url("0test0p2"), "0test0p2")
    assert record.title == "Data Title" and record.authors == [Person("Ada", "Data")]


def test_missing_fields_leave_gaps() -> None:
    record = parse("item_missing_fields")
    assert record.title == "A Title Without Anything Else"
    assert record.authors == [] and record.year is None and record.venue == ""
    assert set(record.fields) == {"title", "url"} and "pdf" not in record.links
    assert record.type == "article"


def test_withdrawn_item_is_an_error() -> None:
    with pytest.raises(ItemUnavailableError, match="0test0w1.*withdrawn"):
        parse("item_withdrawn")


def test_withdrawn_detected_from_robots_without_page_data() -> None:
    html = '<meta name="robots" content="noindex"/><meta property="og:title" content="X"/>'
    with pytest.raises(ItemUnavailableError):
        parse_item_page(html, item_url("0test0w2"), "0test0w2")


def test_embargoed_item_keeps_metadata_without_pdf() -> None:
    record = parse("item_embargoed")
    assert record.title == "An Embargoed Item Written for Tests"
    assert record.extra["embargoed_until"] == "2030-01-01"
    assert "pdf" not in record.links


def test_page_without_title_is_a_parse_error_naming_the_url() -> None:
    with pytest.raises(ParseError, match="0test0n1"):
        parse("item_no_title")


def test_page_data_outside_a_script_is_ignored() -> None:
    record = parse("item_json_outside_script")
    assert record.title == "The Meta Title Is the Real One"
    assert [a.family for a in record.authors] == ["Example"] and record.year == 2020


def test_cut_page_data_falls_back_to_meta_tags() -> None:
    record = parse("item_broken_json")
    assert record.title == "A Page Cut in the Middle of Its Page Data" and record.year == 2018


# -- the source, through a real HTTP server on 127.0.0.1 ----------------------------------------

ROBOTS = "User-agent: *\nDisallow: /search\n"  # no Crawl-delay: keeps the tests fast


def _serve(httpserver, ident: str, name: str | None = None, status: int = 200) -> None:
    body = (FIXTURES / f"{name or 'item_' + ident}.html").read_text() if status == 200 else "no"
    httpserver.expect_request(f"/uc/item/{ident}").respond_with_data(
        body, status=status, content_type="text/html; charset=utf-8")


@pytest.fixture
def site(tmp_path: Path, httpserver):
    """The item pages of a site without the API (GraphQL answers 404): the page fallback.
    The API route itself is tested in test_escholarship_api.py."""
    httpserver.expect_request("/robots.txt").respond_with_data(ROBOTS, content_type="text/plain")
    httpserver.expect_request("/graphql").respond_with_data("no API here", status=404)

    def make(items: list[str], *, offline: bool = False, refresh: bool = False):
        from scholarsync.config import load_config
        from scholarsync.sources.base import SourceContext

        listed = ", ".join(f'"{i}"' for i in items)
        (tmp_path / "scholarsync.toml").write_text(f"""
[[sources]]
kind = "escholarship"
items = [{listed}]
base_url = "{httpserver.url_for('/').rstrip('/')}"

[network]
delay = 0
timeout = 5
""")
        config = load_config(tmp_path / "scholarsync.toml")
        context = SourceContext(config, offline=offline, refresh=refresh, today="2024-06-01")
        return EscholarshipSource(config.sources[0], context), context

    made: list = []

    def factory(items: list[str], **kwargs):
        source, context = make(items, **kwargs)
        made.append(context)
        return source

    yield factory
    for context in made:
        context.close()


def _paths(httpserver) -> list[str]:
    return [request.path for request, _ in httpserver.log]


def test_source_reads_items_in_every_input_form(site, httpserver) -> None:
    _serve(httpserver, "5cz2v6d5")
    _serve(httpserver, "91z2p9h1")
    source = site(["https://escholarship.org/content/qt5cz2v6d5/qt5cz2v6d5_noSplash_"
                   "0123456789abcdef0123456789abcdef.pdf", "qt91z2p9h1", "5cz2v6d5"])
    result = source.read()
    assert [r.key for r in result.records] == ["escholarship:5cz2v6d5", "escholarship:91z2p9h1"]
    assert result.status == "fresh" and result.problems == [] and result.complete
    # robots.txt, one API request for both items (404 here), two item pages (the duplicate
    # is read once)
    assert result.requests == 4
    assert _paths(httpserver) == ["/robots.txt", "/graphql", "/uc/item/5cz2v6d5",
                                  "/uc/item/91z2p9h1"]
    assert result.read_at and len(result.read_at) == 10

    again = site(["5cz2v6d5", "91z2p9h1"]).read()  # a second run within freshness
    assert again.status == "cache" and again.requests == 1  # the API is asked again
    assert [r.to_dict() for r in again.records] == [r.to_dict() for r in result.records]


def test_missing_item_fails_alone(site, httpserver) -> None:
    _serve(httpserver, "5cz2v6d5")
    _serve(httpserver, "0test0zz", status=404)
    result = site(["0test0zz", "5cz2v6d5"]).read()
    assert [r.key for r in result.records] == ["escholarship:5cz2v6d5"]
    [problem] = result.problems
    assert problem.level == "error" and problem.location.endswith("/uc/item/0test0zz")
    assert "404" in problem.message and "1 of 2 items failed" in result.detail


def test_withdrawn_and_titleless_items_are_per_item_errors(site, httpserver) -> None:
    _serve(httpserver, "5cz2v6d5")
    _serve(httpserver, "0test0w1", "item_withdrawn")
    _serve(httpserver, "0test0n1", "item_no_title")
    result = site(["0test0w1", "5cz2v6d5", "0test0n1"]).read()
    assert len(result.records) == 1
    messages = [p.message for p in result.problems]
    assert "withdrawn" in messages[0] and "no title" in messages[1]


def test_embargoed_item_loads_with_a_warning(site, httpserver) -> None:
    _serve(httpserver, "0test0e1", "item_embargoed")
    result = site(["0test0e1"]).read()
    assert len(result.records) == 1 and "pdf" not in result.records[0].links
    [problem] = result.problems
    assert problem.level == "warning" and "embargo until 2030-01-01" in problem.message


def test_every_item_failing_fails_the_source(site, httpserver) -> None:
    from scholarsync.net.client import NotFoundError

    _serve(httpserver, "0test0y1", status=404)
    _serve(httpserver, "0test0y2", status=404)
    with pytest.raises(NotFoundError, match="every eScholarship item failed"):
        site(["0test0y1", "0test0y2", "not an id"]).read()


def test_redirect_is_followed_and_recorded(site, httpserver) -> None:
    httpserver.expect_request("/uc/item/0test0r1").respond_with_data(
        "", status=301, headers={"Location": "/uc/item/0test0a1"})
    _serve(httpserver, "0test0a1", "item_page_data_only")
    [record] = site(["0test0r1"]).read().records
    assert record.key == "escholarship:0test0a1"
    assert record.extra["redirects"] == ["https://escholarship.org/uc/item/0test0r1"]
    assert record.extra["requested_id"] == "0test0r1"


def test_block_stops_the_source(site, httpserver) -> None:
    from scholarsync.errors import BlockedError

    httpserver.expect_request("/uc/item/0test0b1").respond_with_data("slow down", status=429)
    _serve(httpserver, "5cz2v6d5")
    with pytest.raises(BlockedError):
        site(["0test0b1", "5cz2v6d5"]).read()
    assert "/uc/item/5cz2v6d5" not in _paths(httpserver)


def test_origin_error_serves_the_stale_copy(site, httpserver) -> None:
    _serve(httpserver, "5cz2v6d5")
    assert site(["5cz2v6d5"]).read().status == "fresh"
    httpserver.clear()
    httpserver.expect_request("/robots.txt").respond_with_data(ROBOTS, content_type="text/plain")
    httpserver.expect_request("/uc/item/5cz2v6d5").respond_with_data("oops", status=500)
    result = site(["5cz2v6d5"], refresh=True).read()
    assert result.status == "stale" and "served from the cache" in result.detail
    assert result.records[0].title.startswith("Understanding Infinity")


def test_offline_without_cache_fails_clearly(site, httpserver) -> None:  # API and page
    from scholarsync.errors import NotInCacheError

    with pytest.raises(NotInCacheError, match="not in the cache"):
        site(["5cz2v6d5"], offline=True).read()
    assert _paths(httpserver) == []


def test_truncated_page_uses_what_is_there(site, httpserver) -> None:
    _serve(httpserver, "0test0c1", "item_broken_json")
    [record] = site(["0test0c1"]).read().records
    assert record.title == "A Page Cut in the Middle of Its Page Data"


def test_inspect_one_item(site, httpserver) -> None:
    _serve(httpserver, "91z2p9h1")
    source = site(["5cz2v6d5"])
    [record] = source.inspect("https://escholarship.org/content/qt91z2p9h1/qt91z2p9h1.pdf")
    assert record.ids["escholarship"] == "91z2p9h1"
    with pytest.raises(SourceError):
        source.inspect("https://example.org/nothing")
