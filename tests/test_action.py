"""The reusable GitHub Action and the pre-commit hook (issue 12): their YAML parses and says
what a site's workflow relies on."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def test_the_action_installs_this_project_syncs_and_tolerates_exit_3() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"config", "args", "publish"}
    steps = action["runs"]["steps"]
    install = next(s for s in steps if s.get("name") == "Install scholarsync")
    assert "github.action_path" in install["run"]
    sync = next(s for s in steps if s.get("id") == "sync")
    assert "scholarsync sync --config" in sync["run"]
    assert '-ne 3' in sync["run"] and "set +e" in sync["run"]
    commit = next(s for s in steps if s.get("name") == "Commit the changed files")
    assert "git diff --cached --quiet" in commit["run"] and "git push" in commit["run"]
    assert all("shell" in s for s in steps if "run" in s)  # composite steps need a shell


def test_the_pre_commit_hook_runs_the_check_offline() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "scholarsync-check")
    assert hook["entry"].startswith("scholarsync sync --check")
    assert "--offline" in hook["entry"] and hook["pass_filenames"] is False
