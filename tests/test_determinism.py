"""A sync is byte-for-byte the same whatever Python's hash seed (set and dict order)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = ["scholarsync.toml", "bib", "site", "templates", "cache"]
SEEDS = ("0", "2718281828")
OUTPUTS = ["site/index.md", "publications.bib", "publications.json", "publications.csl.json",
           "cache/library.json"]

FAMILIES = ["Gupta", "van der Berg", "Müller", "O'Neil", "Zhang", "Varma"]


def extra_bib() -> str:
    """Entries that tie on year, share titles, keywords and co-authors, in scrambled order."""
    entries = []
    for i in range(60):
        authors = " and ".join(f"{FAMILIES[(i + k) % 6]}, A{k}." for k in range(1 + i % 4))
        title = f"Study {i % 20} of counting" if i % 3 else "Calendar of events"
        entries.append(
            f"@article{{key{(i * 37) % 60:02d},\n  title = {{{title}}},\n"
            f"  author = {{Gupta, Vima and {authors}}},\n  year = {{{2018 + i % 4}}},\n"
            f"  journal = {{Journal {i % 5}}},\n  keywords = {{b{i % 3}, a{i % 2}, c}},\n}}\n")
    return "\n".join(entries)


def site(root: Path) -> Path:
    root.mkdir()
    for name in EXAMPLE:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy2(source, root / name)
    (root / "cache" / "library.json").unlink(missing_ok=True)
    (root / "cache" / "state.json").unlink(missing_ok=True)
    (root / "bib" / "extra.bib").write_text(extra_bib(), encoding="utf-8")
    config = root / "scholarsync.toml"
    text = config.read_text(encoding="utf-8").replace(
        'bibtex = "publications.bib"\n',
        'bibtex = "publications.bib"\njson = "publications.json"\n'
        'csl_json = "publications.csl.json"\n')
    config.write_text(text, encoding="utf-8")
    return root


def sync(root: Path, seed: str) -> dict[str, bytes]:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    proc = subprocess.run([sys.executable, "-m", "scholarsync", "sync", "--offline", "--force"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {name: (root / name).read_bytes() for name in OUTPUTS}


def test_two_hash_seeds_write_the_same_bytes(tmp_path: Path) -> None:
    first, second = (sync(site(tmp_path / f"seed{seed}"), seed) for seed in SEEDS)
    assert b"Calendar of events" in first["site/index.md"]
    for name in OUTPUTS:
        assert first[name] == second[name], f"{name} differs between PYTHONHASHSEED values"
