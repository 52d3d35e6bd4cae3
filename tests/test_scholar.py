"""Google Scholar: the profile parser (on pages written for tests) and profile URLs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scholarsync.errors import ParseError, SourceError
from scholarsync.model import Person
from scholarsync.sources.scholar import (
    ScholarSource,
    UnknownProfileError,
    citation_url,
    parse_profile_page,
    profile_url,
    profile_user,
)
from tests import sitegen
from tests.expected import assert_matches_json

FIXTURES = Path(__file__).parent / "fixtures" / "scholar"
TODAY = "2024-06-01"
CASES = {  # fixture -> user id it is the page of
    "profile_TESTuser0001": "TESTuser0001",
    "profile_TESTuser0002": "TESTuser0002",
    "signin_TESTuser0003": "TESTuser0003",
    "captcha": "TESTuser0004",
}


def page(name: str) -> str:
    return (FIXTURES / f"{name}.html").read_text(encoding="utf-8")


def parse(name: str):
    return parse_profile_page(page(name), CASES[name], TODAY)


def outcome(name: str) -> dict:
    try:
        parsed = parse(name)
    except SourceError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"complete": parsed.complete, "detail": parsed.detail, "profile": parsed.profile,
            "problems": [str(p) for p in parsed.problems],
            "records": [r.to_dict() for r in parsed.records]}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_matches_expected_json(name: str) -> None:
    """Each page's parse equals the JSON beside it (SCHOLARSYNC_REGEN=1 rewrites them)."""
    assert_matches_json(outcome(name), FIXTURES / f"{name}.expected.json")


def test_every_fixture_page_has_a_case() -> None:
    assert {p.stem for p in FIXTURES.glob("*.html")} == set(CASES)


def test_rows_of_a_complete_profile() -> None:
    parsed = parse("profile_TESTuser0001")
    assert parsed.complete and parsed.detail == ""
    titles = [r.title for r in parsed.records]
    assert titles == ["A Plain First Row About Testing", "A Row With Many Authors",
                      "Café & Crème: Unicode in a Title", "An Old-Style Row With data-href"]
    first = parsed.records[0]
    assert first.key == "scholar:TESTuser0001:aaaaaaaaaaaC"
    assert first.ids == {"scholar": "TESTuser0001:aaaaaaaaaaaC"}
    assert first.links["scholar"] == citation_url("TESTuser0001:aaaaaaaaaaaC")
    assert "view_op=view_citation" in first.links["scholar"]
    assert first.citations == 1025 and first.citations_read == TODAY  # "1,025"
    assert first.year == 2022 and first.type == "misc"
    assert first.venue == "Journal of Test Data 10 (2), 1-18"  # without ", 2022"
    assert first.fields == {"title": "A Plain First Row About Testing",
                            "author": "Example, A and Sample, B", "year": "2022",
                            "howpublished": "Journal of Test Data 10 (2), 1-18"}
    assert first.authors == [Person(given="A", family="Example"),
                             Person(given="B", family="Sample")]
    assert [r.origin.line for r in parsed.records] == [1, 2, 3, 4]


def test_truncated_authors_and_venue_and_bidi_marks() -> None:
    row = parse("profile_TESTuser0001").records[1]
    assert row.title == "A Row With Many Authors"  # U+202A/U+202C stripped
    assert row.authors_truncated and len(row.authors) == 5
    assert row.fields["author"].endswith("Mock, E and others")
    assert row.venue_truncated and row.venue.endswith("Trunc…")
    assert "\u202a" not in json.dumps(row.to_dict(), ensure_ascii=False)


def test_empty_cells_and_unicode() -> None:
    row = parse("profile_TESTuser0001").records[2]
    assert row.fields["title"] == r"Café \& Crème: Unicode in a Title"
    assert (row.venue, row.year, row.citations) == ("", None, 0)
    assert "year" not in row.fields and "howpublished" not in row.fields
    assert row.authors[0] == Person(given="T", von="van de", family="Ven")
    assert row.fields["author"].startswith("van de Ven, T and ")


def test_2019_data_href_and_rows_without_id() -> None:
    parsed = parse("profile_TESTuser0001")
    assert parsed.records[3].ids["scholar"] == "TESTuser0001:ddddddddddd8"
    assert parsed.records[3].venue == "Test Reports, 2019"  # only the gs_oph year is removed
    assert len(parsed.problems) == 1 and parsed.problems[0].line == 5


def test_profile_header() -> None:
    profile = parse("profile_TESTuser0001").profile
    assert profile["name"] == "Ada Example"
    assert profile["affiliation"] == "Professor of Testing, Example University"
    assert profile["interests"] == ["Software testing", "Fixtures"]
    assert (profile["citations"], profile["citations_since"]) == (1234, 567)
    assert (profile["h_index"], profile["h_index_since"]) == (12, 9)
    assert (profile["i10_index"], profile["i10_index_since"]) == (14, 8)
    assert profile["since_year"] == 2021
    assert profile["photo"].startswith("https://scholar.google.com/citations?view_op=view_photo")
    assert profile["articles_shown"] == 5


def test_show_more_enabled_means_partial() -> None:
    parsed = parse("profile_TESTuser0002")
    assert not parsed.complete and "Show more" in parsed.detail
    assert parsed.profile["citations"] == 18747  # no thousands separator


def test_signin_page_is_an_unknown_profile_naming_the_user() -> None:
    with pytest.raises(UnknownProfileError, match="TESTuser0003"):
        parse("signin_TESTuser0003")
    with pytest.raises(UnknownProfileError):
        parse_profile_page("<html><body>whatever</body></html>", "TESTuser0003", TODAY,
                           final_url="https://accounts.google.com/v3/signin/identifier?x=1")


def test_page_that_is_not_a_profile_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="TESTuser0004"):
        parse("captcha")


def test_truncated_page_keeps_whole_rows_and_is_partial() -> None:
    text = page("profile_TESTuser0001")
    cut = text[:text.index("ccccccccccc4")]  # inside the third row's link
    parsed = parse_profile_page(cut, "TESTuser0001", TODAY)
    assert [r.title for r in parsed.records][:2] == ["A Plain First Row About Testing",
                                                    "A Row With Many Authors"]
    assert not parsed.complete and "missing" in parsed.detail


def test_profile_url_has_a_fixed_parameter_order() -> None:
    assert profile_url("TESTuser0001") == (
        "https://scholar.google.com/citations?user=TESTuser0001&hl=en&pagesize=100")
    assert profile_url("TESTuser0001", "fr").endswith("&hl=fr&pagesize=100")


@pytest.mark.parametrize(("target", "user"), [
    ("https://scholar.google.com/citations?user=Yno2pxMAAAAJ&hl=en", "Yno2pxMAAAAJ"),
    ("https://scholar.google.co.uk/citations?hl=fr&user=LZ5D_p4AAAAJ", "LZ5D_p4AAAAJ"),
    ("scholar.google.ca/citations?user=8daWuo4AAAAJ", "8daWuo4AAAAJ"),
    ("https://scholar.google.com/citations?user=short", None),
    ("https://example.org/citations?user=Yno2pxMAAAAJ", None),
    ("https://escholarship.org/uc/item/5cz2v6d5", None),
    ("Yno2pxMAAAAJ", "Yno2pxMAAAAJ"),  # bare, as the config takes it (issue 9)
    (" LZ5D_p4AAAAJ ", "LZ5D_p4AAAAJ"),
    ("A50238883911", None),  # an OpenAlex-style id, not Scholar's
    ("2311.15194", None),
])
def test_profile_user_and_accepts(target: str, user: str | None) -> None:
    assert profile_user(target) == user
    assert ScholarSource.accepts(target) is (user is not None)


# -- the source, through a real HTTP server on 127.0.0.1 ----------------------------------------

ROBOTS = ("User-agent: *\nDisallow: /citations?\nAllow: /citations?user=\n"
          "Disallow: /citations?*cstart=\n")


@pytest.fixture
def scholar(tmp_path: Path, httpserver):
    from scholarsync.config import load_config
    from scholarsync.sources.base import SourceContext

    httpserver.expect_request("/robots.txt").respond_with_data(ROBOTS, content_type="text/plain")
    contexts: list = []

    def make(user: str, *, offline: bool = False) -> ScholarSource:
        (tmp_path / "scholarsync.toml").write_text(sitegen.config_toml(
            httpserver.url_for("/").rstrip("/"), user=user,
            network="delay = 0\ntimeout = 5\n"))
        config = load_config(tmp_path / "scholarsync.toml")
        context = SourceContext(config, offline=offline, today=TODAY)
        contexts.append(context)
        return ScholarSource(config.sources[0], context)

    yield make
    for context in contexts:
        context.close()


def _profile(httpserver, user: str, body: str = "", status: int = 200, **kwargs) -> None:
    httpserver.expect_request("/citations", query_string=f"user={user}&hl=en&pagesize=100"
                              ).respond_with_data(body, status=status,
                                                  content_type="text/html; charset=utf-8",
                                                  **kwargs)


def _requests(httpserver) -> list[str]:
    return [f"{r.path}?{r.query_string.decode()}" for r, _ in httpserver.log]


def test_source_reads_one_page_once(scholar, httpserver) -> None:
    _profile(httpserver, "TESTuser0001", page("profile_TESTuser0001"))
    result = scholar("TESTuser0001").read()
    assert len(result.records) == 4 and result.complete and result.status == "fresh"
    assert result.profile["name"] == "Ada Example" and result.requests == 2
    assert _requests(httpserver) == ["/robots.txt?",
                                     "/citations?user=TESTuser0001&hl=en&pagesize=100"]
    # counts are dated by when the page was obtained from the site
    assert result.records[0].citations_read == result.read_at
    assert [p.line for p in result.problems] == [5]
    cached = scholar("TESTuser0001").read()
    assert cached.status == "cache" and cached.requests == 0
    assert [r.to_dict() for r in cached.records] == [r.to_dict() for r in result.records]


def test_partial_list_is_reported(scholar, httpserver) -> None:
    _profile(httpserver, "TESTuser0002", page("profile_TESTuser0002"))
    result = scholar("TESTuser0002").read()
    assert not result.complete and "Show more" in result.detail
    assert not any("cstart" in r for r in _requests(httpserver))


@pytest.mark.parametrize("reply", ["429", "captcha", "sorry"])
def test_blocks_raise_and_cache_nothing(scholar, httpserver, reply: str) -> None:
    from scholarsync.errors import BlockedError, NotInCacheError

    if reply == "429":
        _profile(httpserver, "TESTuser0001", "Too Many Requests", status=429)
    elif reply == "captcha":
        _profile(httpserver, "TESTuser0001", page("captcha"))
    else:
        _profile(httpserver, "TESTuser0001", status=302,
                 headers={"Location": "/sorry/index?continue=x"})
    with pytest.raises(BlockedError):
        scholar("TESTuser0001").read()
    profile_requests = [r for r in _requests(httpserver) if r.startswith("/citations")]
    assert len(profile_requests) == 1  # never retried
    with pytest.raises(NotInCacheError):  # the block page was not cached
        scholar("TESTuser0001", offline=True).read()


def test_signin_redirect_is_an_unknown_profile(scholar, httpserver) -> None:
    _profile(httpserver, "AAAAAAAAAAAA", status=302, headers={
        "Location": "https://accounts.google.com/v3/signin/identifier?continue=x"})
    with pytest.raises(UnknownProfileError, match="'AAAAAAAAAAAA' was not found"):
        scholar("AAAAAAAAAAAA").read()


def test_signin_page_served_directly_is_an_unknown_profile(scholar, httpserver) -> None:
    _profile(httpserver, "TESTuser0003", page("signin_TESTuser0003"))
    with pytest.raises(UnknownProfileError, match="TESTuser0003"):
        scholar("TESTuser0003").read()


def test_truncated_page_is_partial(scholar, httpserver) -> None:
    text = page("profile_TESTuser0001")
    _profile(httpserver, "TESTuser0001", text[:text.index("ddddddddddd8")])
    result = scholar("TESTuser0001").read()
    assert len(result.records) >= 2 and not result.complete and "missing" in result.detail


def test_inspect_a_profile_url(scholar, httpserver) -> None:
    _profile(httpserver, "TESTuser0001", page("profile_TESTuser0001"))
    records = scholar("TESTuser0002").inspect(
        "https://scholar.google.com/citations?user=TESTuser0001&hl=en")
    assert [r.ids["scholar"].split(":")[0] for r in records] == ["TESTuser0001"] * 4
