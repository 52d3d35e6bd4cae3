"""The site-stack skeletons of ``tests/fixtures/stacks/`` (written for these tests, shaped like
academicpages and Hugo Blox sites), copied to a temporary folder and synced through the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

STACKS = Path(__file__).parent / "fixtures" / "stacks"
GOLDEN = Path(__file__).parent / "golden" / "stacks"
SRC = Path(__file__).parents[1] / "src"
#: the folder each skeleton keeps its publications in
FOLDERS = {"academicpages": "_publications", "hugo": "content/publication"}


def copy_stack(name: str, tmp_path: Path) -> Path:
    site = tmp_path / name
    shutil.copytree(STACKS / name, site)
    return site


def sync(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``scholarsync sync --offline ARGS`` through the CLI, in this process."""
    from scholarsync.cli import cli

    argv = ["sync", "--offline", "--config", str(site / "scholarsync.toml"), *args]
    result = CliRunner().invoke(cli, argv)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(argv, result.exit_code, result.stdout, result.stderr)


def sync_process(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The same in a fresh interpreter (``python -m scholarsync``), as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-m", "scholarsync", "sync", "--offline", *args],
                          cwd=site, capture_output=True, text=True, timeout=120, env=env)


def listing(site: Path) -> list[dict]:
    from scholarsync.cli import cli

    result = CliRunner().invoke(cli, ["list", "--json", "--config",
                                      str(site / "scholarsync.toml")])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def tool_files(site: Path, stack: str) -> dict[str, bytes]:
    """The files of the stack's folder that carry the tool's mark (and their bundles)."""
    folder = site / FOLDERS[stack]
    found = {}
    for name, data in tree(folder).items():
        main = folder / name
        if main.name == "cite.bib":
            main = main.parent / "index.md"
        if b"\nscholarsync:\n  key:" in main.read_bytes():
            found[name] = data
    return found


def edit_bib(site: Path, old: str, new: str) -> None:
    bib = site / "bib" / "mine.bib"
    text = bib.read_text(encoding="utf-8")
    assert old in text
    bib.write_text(text.replace(old, new), encoding="utf-8")
