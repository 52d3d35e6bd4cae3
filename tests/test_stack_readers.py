"""The data files read by the readers the sites use: Ruby's Psych (Jekyll's YAML), Jekyll itself
(``site.data``) and Hugo (``.Site.Data``), each given values chosen to be misread.

Skipped with a reason when the binaries are absent (Debian packages ``ruby``, ``jekyll``,
``hugo``; ``.ci/run`` runs where they are installed).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from scholarsync.outputs.data import dump_yaml
from tests.stacks import ALFOLIO
from tests.test_bib_block import HOSTILE_STRINGS
from tests.test_stack_alfolio import run

DOCUMENT = [{"key": f"k{i}", "title": value, "year": 2024, "doi": None, "selected": False,
             "authors": [value, "Vima Gupta"]} for i, value in enumerate(HOSTILE_STRINGS)]


def _needs(binary: str) -> None:
    if shutil.which(binary) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{binary} is not installed in CI (apt-get install {binary})")
        pytest.skip(f"{binary} is not installed (Debian package {binary!r})")


def test_ruby_psych_reads_the_same_document() -> None:
    _needs("ruby")
    script = "require 'yaml'; require 'json'; print JSON.generate(YAML.safe_load(STDIN.read))"
    proc = subprocess.run(["ruby", "-e", script], input=dump_yaml(DOCUMENT), text=True,
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr  # safe_load raises on a Date it was not allowed
    assert json.loads(proc.stdout) == DOCUMENT


def test_jekyll_site_data_holds_the_same_document(tmp_path: Path) -> None:
    _needs("jekyll")
    source, site = tmp_path / "src", tmp_path / "site"
    (source / "_data").mkdir(parents=True)
    (source / "_config.yml").write_text("title: test\n")
    (source / "_data" / "publications.yml").write_text(dump_yaml(DOCUMENT), encoding="utf-8")
    (source / "index.html").write_text("---\nlayout: null\n---\n"
                                       "{{ site.data.publications | jsonify }}\n")
    proc = subprocess.run(["jekyll", "build", "--quiet", "--source", str(source),
                           "--destination", str(site)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((site / "index.html").read_text(encoding="utf-8")) == DOCUMENT


def test_hugo_site_data_holds_the_same_document(tmp_path: Path) -> None:
    _needs("hugo")
    source, site = tmp_path / "src", tmp_path / "public"
    (source / "data").mkdir(parents=True)
    (source / "layouts").mkdir()
    (source / "config.toml").write_text('baseURL = "https://example.org/"\n'
                                         'disableKinds = ["taxonomy", "term", "RSS", "sitemap",'
                                         ' "404", "page", "section"]\n')
    (source / "data" / "publications.yaml").write_text(dump_yaml(DOCUMENT), encoding="utf-8")
    (source / "layouts" / "index.html").write_text("{{ jsonify .Site.Data.publications }}\n")
    proc = subprocess.run(["hugo", "--quiet", "--source", str(source), "--destination",
                           str(site)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((site / "index.html").read_text(encoding="utf-8")) == DOCUMENT


def test_jekyll_finds_each_badge_count_the_way_al_folio_looks_it_up(tmp_path: Path) -> None:
    """The skeleton synced, then its _data read by Jekyll: the count of every block entry is
    found under ``site.data.citations.papers[<scholar_userid>:<google_scholar_id>]``."""
    _needs("jekyll")
    root = tmp_path / "alfolio"
    shutil.copytree(ALFOLIO, root)
    assert run(root, "sync", "--offline").returncode == 0
    source, site = tmp_path / "src", tmp_path / "site"
    shutil.copytree(root / "_data", source / "_data")
    (source / "_config.yml").write_text("title: test\n")
    page = ("---\nlayout: null\n---\n{% for id in page.ids %}"
            "{% assign key = site.data.socials.scholar_userid | append: ':' | append: id %}"
            "{{ id }}={{ site.data.citations.papers[key].citations }};{% endfor %}"
            "{{ site.data.citations.metadata.last_updated }}\n")
    ids = "[bbbbbbbbbbbC, cccccccccccC, aaaaaaaaaaaC]"
    (source / "index.html").write_text(page.replace("layout: null", f"layout: null\nids: {ids}"))
    proc = subprocess.run(["jekyll", "build", "--quiet", "--source", str(source),
                           "--destination", str(site)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = (site / "index.html").read_text().strip()
    counts, _, date = text.rpartition(";")
    assert counts == "bbbbbbbbbbbC=5;cccccccccccC=0;aaaaaaaaaaaC=3"
    assert len(date) == 10 and date.startswith("20")
