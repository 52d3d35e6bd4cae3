"""Expected-output files beside fixtures: compared, or rewritten with SCHOLARSYNC_REGEN=1 so
that a parser change is reviewed as a diff of data."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def regenerating() -> bool:
    return os.environ.get("SCHOLARSYNC_REGEN") == "1"


def assert_matches_file(got: bytes, expected_path: Path) -> None:
    """``got`` equals the file's bytes (the file is rewritten first when regenerating)."""
    if regenerating():
        expected_path.write_bytes(got)
    assert expected_path.exists(), f"{expected_path.name} missing: run with SCHOLARSYNC_REGEN=1"
    assert got == expected_path.read_bytes(), f"output differs from {expected_path}"


def assert_matches_json(data: Any, expected_path: Path) -> None:
    """``data`` as stable, readable JSON equals the expected file."""
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    assert_matches_file(text.encode("utf-8"), expected_path)
