"""Conformance on real saved Scholar pages (../shared/corpus/scholar), read independently.

Expected values come from regular expressions over the raw HTML, never from the parser.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from scholarsync.config import load_config
from scholarsync.sources.base import SourceContext
from scholarsync.sources.scholar import ScholarSource, UnknownProfileError, parse_profile_page
from tests import sitegen

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "scholar"
pytestmark = pytest.mark.corpus

# From the corpus README: LZ5D_p4AAAAJ and P1RwlvoAAAAJ are complete ("Show more" disabled).
COMPLETE_PER_README = {"LZ5D_p4AAAAJ", "P1RwlvoAAAAJ"}


def _pages() -> list[Path]:
    return sorted(CORPUS.glob("profile_*.html")) if CORPUS.is_dir() else []


def _need_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS} (only present in the project "
                    "workspace)")


def _text(fragment: str) -> str:
    plain = html.unescape(re.sub(r"<[^>]+>", "", fragment))
    plain = re.sub("[\u202a-\u202e]", "", plain)
    return " ".join(plain.split())


def _independent(raw: str) -> dict:
    rows = re.findall(r'<tr class="gsc_a_tr">(.*?)</tr>', raw, re.S)
    titles = [_text(re.search(r'<a[^>]*class="gsc_a_at"[^>]*>(.*?)</a>', r, re.S).group(1))
              for r in rows]
    years = []
    for r in rows:
        year = re.search(r'<span class="gsc_a_h[^"]*">(\d*)</span>', r).group(1)
        years.append(int(year) if year else None)
    cited = []
    for r in rows:
        count = re.search(r'<a[^>]*class="gsc_a_ac[^"]*"[^>]*>([^<]*)</a>', r).group(1)
        cited.append(int(re.sub(r"\D", "", count) or 0))
    venues = []
    for r in rows:
        grays = re.findall(r'<div class="gs_gray">(.*?)</div>', r, re.S)
        venue = re.sub(r'<span class="gs_oph">.*?</span>', "", grays[1]) if len(grays) > 1 else ""
        venues.append(_text(venue))
    button = re.search(r'<button[^>]*id="gsc_bpf_more"[^>]*>', raw).group(0)
    return {"count": len(rows), "titles": titles, "years": years, "cited": cited,
            "venues": venues, "complete": "disabled" in button}


def _user(path: Path) -> str:
    return re.match(r"(?:invalid_)?profile_([\w-]{12})_", path.name).group(1)


@pytest.mark.parametrize("path", _pages(), ids=lambda p: p.name)
def test_rows_match_independent_reading(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    expected = _independent(raw)
    parsed = parse_profile_page(raw, _user(path), "2026-02-16")
    assert expected["count"] > 0
    assert len(parsed.records) == expected["count"]
    assert [r.title for r in parsed.records] == expected["titles"]
    assert [r.year for r in parsed.records] == expected["years"]
    assert [r.citations for r in parsed.records] == expected["cited"]
    assert parsed.complete is expected["complete"]
    assert parsed.complete is (_user(path) in COMPLETE_PER_README)
    for record in parsed.records:
        assert record.ids["scholar"].startswith(_user(path) + ":")
        assert not re.search("[\u202a-\u202e]", record.title + record.venue)
    assert [r.venue for r in parsed.records] == [v.rstrip(", ") for v in expected["venues"]]


def test_corpus_present_or_skipped() -> None:
    _need_corpus()
    assert len(_pages()) >= 7


def test_invalid_profile_is_a_clear_unknown_profile_error() -> None:
    _need_corpus()
    path = next(CORPUS.glob("invalid_profile_*.html"))
    with pytest.raises(UnknownProfileError, match="AAAAAAAAAAAA"):
        parse_profile_page(path.read_text(encoding="utf-8"), "AAAAAAAAAAAA", "2026-02-16")


def test_real_page_through_local_server(tmp_path: Path, httpserver: HTTPServer) -> None:
    """A real saved page served on 127.0.0.1 and read by the source end to end."""
    _need_corpus()
    path = CORPUS / "profile_LZ5D_p4AAAAJ_2026-02-16_hl-en.html"
    raw = path.read_text(encoding="utf-8")
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /citations?\nAllow: /citations?user=\n"
        "Disallow: /citations?*cstart=\n", content_type="text/plain")
    httpserver.expect_request(
        "/citations", query_string="user=LZ5D_p4AAAAJ&hl=en&pagesize=100",
    ).respond_with_data(raw, content_type="text/html; charset=utf-8")
    (tmp_path / "scholarsync.toml").write_text(sitegen.config_toml(
        httpserver.url_for("/").rstrip("/"), user="LZ5D_p4AAAAJ",
        network="delay = 0\ntimeout = 5\n"))
    config = load_config(tmp_path / "scholarsync.toml")
    context = SourceContext(config, today="2026-02-16")
    try:
        result = ScholarSource(config.sources[0], context).read()
    finally:
        context.close()
    expected = _independent(raw)
    assert [r.title for r in result.records] == expected["titles"]
    assert result.complete and result.status == "fresh" and result.requests == 2
    assert result.profile["name"] == "Doaa Elmatary" and result.profile["citations"] == 56
