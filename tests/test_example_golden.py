"""The repository's example site, synced offline from a fresh copy, gives the committed page.

Regenerate the expected files after an intended change with
``SCHOLARSYNC_REGEN=1 python -m pytest tests/test_example_golden.py`` and review the diff.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.expected import assert_matches_file

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
EXAMPLE = ["scholarsync.toml", "bib", "site", "templates", "cache"]


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A fresh copy of the example site, with the sections emptied as a new user would."""
    for name in EXAMPLE:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy2(source, tmp_path / name)
    (tmp_path / "cache" / "state.json").unlink(missing_ok=True)
    (tmp_path / "cache" / "library.json").unlink(missing_ok=True)
    page = tmp_path / "site" / "index.md"
    text = page.read_text(encoding="utf-8")
    for name in ("research", "publications"):  # keep the user's attributes, not the checksum
        start = text.index(f"<!-- scholarsync:begin {name}")
        line_end = text.index("\n", start) + 1
        begin = re.sub(r" checksum=\S+", "", text[start:line_end])
        end = text.index(f"<!-- scholarsync:end {name} -->")
        text = text[:start] + begin + text[end:]
    page.write_text(text, encoding="utf-8")
    return tmp_path


def run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scholarsync", *args], cwd=site,
                          capture_output=True, text=True, timeout=120)


def check_golden(produced: Path, name: str) -> None:
    assert_matches_file(produced.read_bytes(), GOLDEN / name)


def test_offline_sync_of_the_example_matches_the_golden_page(example: Path) -> None:
    proc = run(example, "sync", "--offline")
    assert proc.returncode == 0, proc.stderr
    assert "3 publications: 3 added" in proc.stdout
    assert "Traceback" not in proc.stderr
    check_golden(example / "site" / "index.md", "example-index.md")
    check_golden(example / "publications.bib", "example-publications.bib")
    # every byte outside the managed sections is the seed page's
    page = (example / "site" / "index.md").read_text(encoding="utf-8")
    assert page.startswith("## About Me\n\nI am a second year PhD student")
    assert "### Interests and Hobbies" in page and "**Vima Gupta**" in page
    assert "[Poster at CogSci'22](" in page and "[Full paper at CogSci'24](" in page


def test_the_committed_example_is_up_to_date() -> None:
    """The repository's own page, export and library are what an offline sync produces."""
    proc = run(REPO, "sync", "--offline", "--check", "--force")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_render_without_network_from_the_saved_library(example: Path) -> None:
    assert run(example, "sync", "--offline").returncode == 0
    before = (example / "site" / "index.md").read_bytes()
    proc = run(example, "render")
    assert proc.returncode == 0, proc.stderr
    assert (example / "site" / "index.md").read_bytes() == before
