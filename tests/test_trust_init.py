"""Issue 9, installing and first use: what ``init`` does with --config, --force, --pull-request,
and without a terminal."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path


def init(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(cwd)}  # inspect's default cache is under ~/.cache
    return subprocess.run([sys.executable, "-m", "scholarsync", *args], cwd=cwd, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=60, env=env)


def test_config_before_init_names_where_the_files_go(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    proc = init(tmp_path, "--config", "site/mine.toml", "init", "--name", "Vima Gupta")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == ["bib", "index.md",
                                                                     "mine.toml"]
    assert not (tmp_path / "scholarsync.toml").exists()
    synced = init(tmp_path, "--config", "site/mine.toml", "sync", "--offline")
    assert synced.returncode == 0, synced.stderr


def test_config_after_init_is_accepted_too(tmp_path: Path) -> None:
    proc = init(tmp_path, "init", "--config", "other.toml", "--name", "Vima Gupta")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "other.toml").exists()


def test_force_keeps_the_real_config_as_a_backup(tmp_path: Path) -> None:
    real = '[profile]\nname = "Vima Gupta"\npage = "cv.md"\n# my own notes\n'
    (tmp_path / "scholarsync.toml").write_text(real)
    refused = init(tmp_path, "init", "--name", "X Y")
    assert refused.returncode == 2 and "already exists" in refused.stderr
    assert (tmp_path / "scholarsync.toml").read_text() == real
    forced = init(tmp_path, "init", "--force", "--name", "X Y")
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "scholarsync.toml.bak").read_text() == real
    assert "scholarsync.toml.bak" in forced.stderr


def test_pull_request_without_github_action_is_refused(tmp_path: Path) -> None:
    proc = init(tmp_path, "init", "--pull-request", "--name", "Vima Gupta")
    assert proc.returncode == 2
    assert "--pull-request goes with --github-action" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_without_a_terminal_the_placeholder_owner_is_announced(tmp_path: Path) -> None:
    proc = init(tmp_path, "init")
    assert proc.returncode == 0
    assert "placeholder 'Your Name'" in proc.stderr
    assert "--name" in proc.stderr


def test_name_and_aliases_are_written(tmp_path: Path) -> None:
    proc = init(tmp_path, "init", "--name", 'Vima "V" Gupta', "--aliases", "V. Gupta; Gupta, V.",
                "--scholar", "https://scholar.google.com/citations?user=Yno2pxMAAAAJ&hl=en")
    assert proc.returncode == 0, proc.stderr
    assert "placeholder" not in proc.stderr
    data = tomllib.loads((tmp_path / "scholarsync.toml").read_text())
    assert data["profile"]["name"] == 'Vima "V" Gupta'
    assert data["profile"]["aliases"] == ["V. Gupta", "Gupta, V."]
    assert any(s.get("user") == "Yno2pxMAAAAJ" for s in data["sources"])


def test_inspect_takes_a_bare_scholar_id_and_says_when_nothing_is_cached(tmp_path: Path) -> None:
    proc = init(tmp_path, "inspect", "ZZZZpxMAAAAJ", "--offline")
    assert proc.returncode == 2
    assert "ZZZZpxMAAAAJ: nothing cached for it and --offline forbids fetching it" in proc.stderr
    assert proc.stdout == ""
