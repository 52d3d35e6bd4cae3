"""Benchmark (not a test): what a sync after a one-entry change costs after the merge.

Builds (once) the site of ``bench/bench_sync.py`` in DIR (a .bib of ``--bib`` entries,
``--items`` eScholarship items, a Scholar profile; one page with a publications section and a
BibTeX export) and syncs it cold through the CLI. Each timed round then appends one entry to
the .bib, builds the run in process (offline: the HTTP cache answers) and times the phases
this benchmark is about: the library diff (with the new library's lines), the planning of
every output (page, BibTeX export, library.json) and the writing. A last check syncs a copy
with ``cache/records`` and ``cache/library.json`` removed and compares every output byte.

    python bench/bench_outputs.py DIR [--bib 18000] [--items 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import bench_sync  # noqa: E402  (bench/, beside this script)

from scholarsync.app.sync import (  # noqa: E402
    SyncOutcome,
    build,
    plan_outputs,
    write_outputs,
)
from scholarsync.config import load_config  # noqa: E402
from scholarsync.core.library import diff_libraries  # noqa: E402
from scholarsync.sources.base import SourceContext  # noqa: E402


def make_site(root: Path, bib: int, items: int) -> None:
    """The bench_sync site in ``root``, synced cold (the local server runs meanwhile)."""
    pages = bench_sync.Pages(items, 100, 100)
    server, _ = bench_sync.serve(pages)
    root.mkdir(parents=True)
    bench_sync.build_site(root, pages, bib, 100, server.server_port)
    subprocess.run([sys.executable, "-m", "scholarsync", "sync", "--quiet"], cwd=root,
                   check=False)
    server.shutdown()


def append_entry(root: Path) -> None:
    """One new .bib entry (a key not used before)."""
    path = root / "bib" / "works.bib"
    n = path.read_text(encoding="utf-8").count("@article{added")
    with open(path, "a", encoding="utf-8") as bib:
        bib.write(f"\n@article{{added{n},\n  title = {{One Added Entry Number {n}}},\n"
                  "  author = {Gupta, Vima},\n  year = {2025},\n}\n")


def one_round(root: Path) -> dict[str, float]:
    """Append an entry, build in process, time diff + plan + write."""
    append_entry(root)
    os.chdir(root)
    config = load_config(root / "scholarsync.toml")
    context = SourceContext(config, offline=True)
    start = time.perf_counter()
    result = build(config, context)
    context.records.prune()
    context.close()
    built, cpu = time.perf_counter(), time.process_time()
    diff = diff_libraries(result.last, result.library)
    diffed = time.perf_counter()
    outcome = SyncOutcome(result, diff)
    plan_outputs(config, result, False, outcome)
    planned = time.perf_counter()
    write_outputs(outcome)
    written = time.perf_counter()
    return {"build": built - start, "diff": diffed - built, "plan": planned - diffed,
            "write": written - planned, "after build": written - built,
            "(cpu)": time.process_time() - cpu}


def same_as_cold(root: Path) -> bool:
    """A copy synced without cache/records and cache/library.json writes the same bytes."""
    cold = root.parent / (root.name + "-cold")
    shutil.rmtree(cold, ignore_errors=True)
    shutil.copytree(root, cold)
    for name in ("library.json", "state.json"):
        (cold / "cache" / name).unlink(missing_ok=True)
    shutil.rmtree(cold / "cache" / "records", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "scholarsync", "sync", "--quiet", "--offline"],
                   cwd=cold, check=False)
    files = ["index.md", "publications.bib", "cache/library.json"]
    same = all((root / f).read_bytes() == (cold / f).read_bytes() for f in files)
    shutil.rmtree(cold)
    return same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--bib", type=int, default=18000)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args()
    root = args.site.resolve()
    if not root.exists():
        make_site(root, args.bib, args.items)
    rounds = [one_round(root) for _ in range(args.rounds)]
    for name in rounds[0]:
        values = [r[name] for r in rounds]
        print(f"{name:>12}: median {statistics.median(values):6.3f} s  "
              + " ".join(f"{v:.3f}" for v in values))
    if not args.no_check:
        print("outputs identical to a cold sync:", same_as_cold(root))


if __name__ == "__main__":
    main()
