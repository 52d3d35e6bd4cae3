"""One sync at a time; `init` writes a starter site and a GitHub Actions workflow."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from scholarsync.app.init import write_starter
from scholarsync.app.lock import RunLock
from scholarsync.config import load_config
from scholarsync.errors import ConfigError


def test_second_lock_is_refused_and_released_after(tmp_path: Path) -> None:
    with RunLock(tmp_path) as first:
        assert first.acquired
        with RunLock(tmp_path) as second:
            assert not second.acquired
    with RunLock(tmp_path) as third:
        assert third.acquired


def test_lock_of_a_killed_process_does_not_block(tmp_path: Path) -> None:
    code = ("import sys, os; from scholarsync.app.lock import RunLock\n"
            f"l = RunLock({str(tmp_path)!r}).__enter__(); assert l.acquired\n"
            "os._exit(9)  # killed without releasing\n")
    proc = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert proc.returncode == 9
    assert (tmp_path / "sync.lock").exists()
    with RunLock(tmp_path) as lock:
        assert lock.acquired


def test_init_writes_a_config_that_loads(tmp_path: Path) -> None:
    written = write_starter(tmp_path)
    assert tmp_path / "scholarsync.toml" in written
    config = load_config(tmp_path / "scholarsync.toml")
    assert config.sources[0].kind == "bibtex"
    assert config.profile.pages == ((tmp_path / "index.md").resolve(),)
    with pytest.raises(ConfigError, match="already exists"):
        write_starter(tmp_path)


def test_init_github_action_workflow(tmp_path: Path) -> None:
    write_starter(tmp_path, github_action=True)
    text = (tmp_path / ".github/workflows/scholarsync.yml").read_text()
    for needle in ("schedule:", "cron:", "workflow_dispatch", "concurrency:",
                   "actions/checkout", "uses: scholarsync/scholarsync@v1", "publish: commit"):
        assert needle in text, needle
    # The action installs this project from its own checkout, never PyPI's unrelated namesake.
    assert "pip install scholarsync" not in text
    write_starter(tmp_path, github_action=True, pull_request=True, force=True)
    text = (tmp_path / ".github/workflows/scholarsync.yml").read_text()
    assert "publish: pull-request" in text and "pull-requests: write" in text
    assert "publish: commit" not in text


def test_init_cli_asks_nothing_without_a_terminal(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "scholarsync", "init", "--github-action"],
                          cwd=tmp_path, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    data = tomllib.loads((tmp_path / "scholarsync.toml").read_text())
    assert data["sources"][0]["kind"] == "bibtex"
    assert (tmp_path / ".github/workflows/scholarsync.yml").is_file()
