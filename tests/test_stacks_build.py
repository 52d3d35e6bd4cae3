"""The synced skeletons built by the real generators (Debian's jekyll 4.3 and hugo 0.111) with
minimal layouts of our own: every publication page exists, titles and authors are text, and
nothing from the data was run as Liquid or as a shortcode.

Skipped (with the reason) only when a binary is missing outside CI; under CI (``CI`` set) a
missing binary fails: ``.ci/run`` installs both.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from scholarsync import frontmatter
from tests.stack_sites import FOLDERS, copy_stack, sync, tool_files

TEMPLATED = "Templates: {{ site.title }}, {% raw %} and {{< param owner >}}"


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed, and CI must build the skeletons "
                        "(apt-get install jekyll hugo)")
        pytest.skip(f"{name} is not installed (apt-get install {name}); the built-site "
                    "checks need the real generator")
    return found


def _build(args: list[str], cwd: Path) -> None:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "JEKYLL_ENV": "production"})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _text(page: str) -> str:
    """The page's text: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _published(site: Path, stack: str) -> dict[str, dict]:
    """Front matter of every publication file of the folder (the user's too), by name."""
    folder = site / FOLDERS[stack]
    found = {}
    for path in sorted(folder.rglob("*.md")):
        if path.name == "_index.md":
            continue
        name = path.parent.name if path.name == "index.md" else path.stem
        found[name] = frontmatter.parse(path.read_text(encoding="utf-8")).data
    return found


def test_jekyll_builds_every_academicpages_publication_page(tmp_path: Path) -> None:
    jekyll = _binary("jekyll")
    site = copy_stack("academicpages", tmp_path)
    assert sync(site).returncode == 0
    out = tmp_path / "built"
    _build([jekyll, "build", "--quiet", "--safe", "-s", str(site), "-d", str(out)], site)
    pubs = _published(site, "academicpages")
    assert len(pubs) == 7
    listing = (out / "publications" / "index.html").read_text(encoding="utf-8")
    for name, data in pubs.items():
        page = (out / "publication" / f"{name}.html").read_text(encoding="utf-8")
        title = html.unescape(data["title"])
        assert title in _text(page), name
        assert title in _text(listing)
        for author in data.get("citation_author", []):
            assert f'<meta name="citation_author" content="{html.escape(author)}">' in page
    templated = (out / "publication" / "2022-01-01-templates-site-title-raw-and-param-owner"
                 ".html").read_text(encoding="utf-8")
    text = _text(templated)
    assert TEMPLATED in text  # Liquid in the data stayed text, in the title and the body
    assert "Data is not code: {{ site.title }} and {% include x.html %} stay text" in text
    assert "<script>" not in templated and "<b>markup</b>" not in templated
    assert "Test Scholar," not in text.split("|", 1)[1]  # site.title never substituted
    doe = (out / "publication" / "2020-01-01-counting-sheep-goats-a-field-study.html"
           ).read_text(encoding="utf-8")
    assert '<meta name="citation_doi" content="10.1234/jlt.2020.12">' in doe
    assert '<meta name="citation_publication_date" content="2020">' in doe


def test_hugo_builds_every_bundle_with_the_owner_as_admin(tmp_path: Path) -> None:
    hugo = _binary("hugo")
    site = copy_stack("hugo", tmp_path)
    assert sync(site).returncode == 0
    out = tmp_path / "public"
    _build([hugo, "--quiet", "-s", str(site), "-d", str(out)], site)
    pubs = _published(site, "hugo")
    assert len(pubs) == 6
    for name, data in pubs.items():
        page = (out / "publication" / name / "index.html").read_text(encoding="utf-8")
        text = _text(page)
        assert str(data["title"]) in text, name
        assert "Vima Gupta" in text  # "admin" shown as the owner by the layout
        assert "admin" not in text
    templated = (out / "publication" / "templates-site-title-raw-and-param-owner" /
                 "index.html").read_text(encoding="utf-8")
    assert TEMPLATED in _text(templated)  # no shortcode, no template ran from the data
    assert "<script>" not in templated and "<b>markup</b>" not in templated
    infinity = (out / "publication" / "understanding-infinity-neural-network-models" /
                "index.html").read_text(encoding="utf-8")
    assert '<meta name="citation_publication_date" content="2024/07/01">' in infinity
    assert '<meta name="citation_author" content="Sashank Varma">' in infinity
    assert len(tool_files(site, "hugo")) == 10
