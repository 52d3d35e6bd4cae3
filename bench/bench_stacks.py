"""Benchmark (not a test): the academicpages and Hugo Blox folder outputs on a large library.

    python bench/bench_stacks.py [FILE.bib] [--hand 200]

Builds a site in a temporary folder whose one source is FILE (default: the corpus's
``biber_definitions.bib`` … any .bib works) plus ``--hand`` hand-made ``_publications`` files
(every one a work of FILE, so each must suppress a tool file), then times, in this process:

  (a) the first plan + write of both outputs (every file new);
  (b) a second plan with nothing changed (every file read back, checksums verified);

and prints publications, files written, seconds and files per second.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
DEFAULT = REPO.parent / "shared" / "corpus" / "bib" / "medium" / "biber_definitions.bib"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bib", nargs="?", default=str(DEFAULT))
    parser.add_argument("--hand", type=int, default=200)
    args = parser.parse_args()

    from scholarsync.app.sync import RunOptions, build, plan_outputs, write_outputs
    from scholarsync.app.sync import SyncOutcome as Outcome
    from scholarsync.config import load_config
    from scholarsync.core.library import LibraryDiff
    from scholarsync.sources.base import SourceContext

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        (site / "_publications").mkdir()
        (site / "scholarsync.toml").write_text(
            f'[[sources]]\nkind = "bibtex"\npaths = ["{args.bib}"]\n[outputs]\n'
            'academicpages = "_publications"\nhugo = "content/publication"\n'
            '[network]\ncache_dir = "cache"\n')
        config = load_config(site / "scholarsync.toml")
        with SourceContext(config, offline=True) as context:
            result = build(config, context)
        pubs = result.publications
        for i, pub in enumerate(pubs[:args.hand]):
            (site / "_publications" / f"hand-{i}.md").write_text(
                f"---\ntitle: {pub.title!r}\ndate: {pub.year or 2000}-01-01\n---\n")
        options = RunOptions(offline=True)
        timings = []
        for label in ("first (all new)", "second (unchanged)"):
            outcome = Outcome(result, LibraryDiff())
            start = time.perf_counter()
            plan_outputs(config, result, options.force, outcome)
            write_outputs(outcome)
            seconds = time.perf_counter() - start
            files = [f for f in outcome.files if f.role != "library"]
            timings.append((label, seconds, len(files), len(outcome.written)))
        print(f"{len(pubs)} publications from {args.bib}, {min(args.hand, len(pubs))} hand files")
        for label, seconds, files, written in timings:
            print(f"  {label:20s} {seconds:7.2f} s  {files} files planned, {written} written, "
                  f"{files / seconds if seconds else 0:,.0f} files/s")


if __name__ == "__main__":
    main()
