"""Meta-tag helper shared by page-based sources."""

from __future__ import annotations

from types import SimpleNamespace

from scholarsync.sources.base import freshness
from scholarsync.sources.meta import clean_text, html_to_text, read_meta

PAGE = """<html><head>
<meta property="citation_title" content="  A  Title  "/>
<meta name="citation_author" content="Example, Ada"/>
<meta property="citation_author" content="Sample, Bo"/>
<meta name="citation_author" content="Placeholder, Cy"/>
<meta name="citation_author" content=""/>
<meta name="DC.Title" content="Dublin Core Title"/>
<meta property="og:title" content="Open Graph Title"/>
<meta name="robots" content="NOINDEX, nofollow"/>
<meta charset="utf-8"/>
</head><body><meta name="late" content="still read"/></body></html>"""


def test_name_and_property_are_both_read_in_order() -> None:
    tags = read_meta(PAGE)
    assert tags.get("citation_title") == "A Title"
    assert tags.all("citation_author") == ["Example, Ada", "Sample, Bo", "Placeholder, Cy"]
    assert tags.get("og:title") == "Open Graph Title"
    assert tags.get("late") == "still read"


def test_names_are_case_insensitive_and_first_picks_in_order() -> None:
    tags = read_meta(PAGE)
    assert tags.get("dc.title") == "Dublin Core Title"
    assert "DC.TITLE" in tags
    assert tags.first("citation_journal_title", "dc.title", "og:title") == "Dublin Core Title"
    assert tags.first("nothing", "missing") is None
    assert tags.get("missing", "default") == "default"
    assert tags.has_prefix("citation_") and not tags.has_prefix("prism.")


def test_robots_directives() -> None:
    assert read_meta(PAGE).robots == {"noindex", "nofollow"}
    assert read_meta("<html></html>").robots == set()


def test_empty_content_is_not_a_value() -> None:
    tags = read_meta('<meta name="citation_doi" content="  "/>')
    assert "citation_doi" not in tags and tags.all("citation_doi") == []


def test_html_to_text_strips_markup_and_keeps_words_apart() -> None:
    assert html_to_text("Counting with <i>Small</i> Networks &amp; More") == (
        "Counting with Small Networks & More")
    assert html_to_text("<p>One.</p><p>Two.</p>") == "One. Two."
    assert html_to_text("") == "" and html_to_text(None) == ""


def test_clean_text_strips_bidi_marks() -> None:
    assert clean_text("\u202aAda  Example\u202c ") == "Ada Example"


def _page(stale: bool = False, cached: bool = False, at: str | None = "2024-05-01T10:00:00"):
    return SimpleNamespace(url="https://example.org/x", stale=stale, from_cache=cached,
                           fetched_at=at)


def test_freshness_summarizes_page_flags() -> None:
    assert freshness([], "2024-06-01").status == "fresh"
    fresh = freshness([_page(), _page(at="2024-04-01T00:00:00")], "2024-06-01")
    assert (fresh.status, fresh.read_at) == ("fresh", "2024-04-01")
    assert freshness([_page(cached=True)], "2024-06-01").status == "cache"
    stale = freshness([_page(), _page(stale=True, cached=True)], "2024-06-01")
    assert stale.status == "stale" and "1 of 2" in stale.detail and "2024-05-01" in stale.detail
    assert freshness([_page(at=None)], "2024-06-01").read_at == "2024-06-01"
