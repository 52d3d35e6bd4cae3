"""The corpus guard: under CI a test skipped for a missing corpus fails instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SKIPPING_TEST = '''
import pytest

def test_needs_corpus():
    pytest.skip("shared corpus not found at ../shared/corpus")

def test_other_skip():
    pytest.skip("needs a terminal")
'''


def _run(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_skips.py").write_text(SKIPPING_TEST, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "1"
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.corpus_guard", "-p", "no:cacheprovider",
         str(tmp_path / "test_skips.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_missing_corpus_is_a_skip_on_a_contributors_machine(tmp_path: Path) -> None:
    result = _run(tmp_path, ci=False)
    assert result.returncode == 0, result.stdout
    assert "2 skipped" in result.stdout


def test_missing_corpus_fails_under_ci(tmp_path: Path) -> None:
    result = _run(tmp_path, ci=True)
    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout and "1 skipped" in result.stdout
    assert "missing shared corpus is an error" in result.stdout
