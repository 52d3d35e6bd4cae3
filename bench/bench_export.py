"""Benchmark (not a test): bibtexparser's plain parse against a full scholarsync export.

    python bench/bench_export.py [FILE.bib] [--cli]

Times, in separate child processes so that they share no memory:

  (a) ``bibtexparser.parse_file(FILE)`` with its default middleware stack;
  (b) what ``scholarsync export`` does with FILE: read it with the bibtex source (macros,
      crossrefs, duplicate keys, LaTeX decoded for display), match and merge, write BibTeX.
      By default through the library functions; with ``--cli`` by running
      ``scholarsync export -o OUT --config CONFIG`` on a generated config.

Prints wall time, peak memory (the child's ru_maxrss), entries per second, and the ratios
b/a. Targets (issue 2): time ratio <= 1.5, memory ratio <= 1.5.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "corpus" / "bib" / "huge" / "huge_concat.bib"

PARSE = """
import json, sys, time
start = time.perf_counter()
import bibtexparser
library = bibtexparser.parse_file(sys.argv[1])
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "entries": len(library.entries),
                  "failed": len(library.failed_blocks)}))
"""

EXPORT = """
import json, sys, time
start = time.perf_counter()
from scholarsync.config import MatchConfig
from scholarsync.outputs.bibtex import to_bibtex
from scholarsync.core.merge import merge_records
from scholarsync.sources.bibtex import read_bib_file
records, problems = read_bib_file(sys.argv[1])
read = time.perf_counter()
merged = merge_records(records, MatchConfig())
merge = time.perf_counter()
text = to_bibtex(merged.publications)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write(text)
end = time.perf_counter()
print(json.dumps({"seconds": end - start, "entries": len(records),
                  "publications": len(merged.publications),
                  "problems": len(problems) + len(merged.problems),
                  "read": read - start, "merge": merge - read, "write": end - merge}))
"""


def run_measured(args: list[str]) -> tuple[dict, float, float]:
    """Run a child process; return its last JSON line, wall seconds and its own peak RSS
    in MB (from wait4(), so the two children never share a figure)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode:
        sys.exit(f"child failed ({proc.returncode}): {' '.join(args)}\n{stderr[-2000:]}")
    lines = stdout.strip().splitlines()
    data = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return data, wall, usage.ru_maxrss / 1024  # Linux: kilobytes


def cli_args(bib: Path, workdir: Path, out: Path) -> list[str]:
    config = workdir / "scholarsync.toml"
    config.write_text(f'[[sources]]\nkind = "bibtex"\npaths = ["{bib}"]\n\n'
                      f'[network]\ncache_dir = "{workdir / "cache"}"\n', encoding="utf-8")
    exe = Path(sys.executable).with_name("scholarsync")
    return [str(exe), "export", "-o", str(out), "--config", str(config)]


def main(argv: list[str]) -> None:
    use_cli = "--cli" in argv
    paths = [a for a in argv if not a.startswith("--")]
    bib = Path(paths[0]) if paths else DEFAULT
    if not bib.is_file():
        sys.exit(f"no such file: {bib}")
    print(f"file: {bib} ({bib.stat().st_size / 1e6:.1f} MB)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "export.bib"
        a, a_wall, a_mem = run_measured([sys.executable, "-c", PARSE, str(bib)])
        if use_cli:
            b, b_wall, b_mem = run_measured(cli_args(bib, Path(tmp), out))
            b_seconds, how = b_wall, "scholarsync export (CLI, wall time of the process)"
            b_entries = a["entries"]
        else:
            b, b_wall, b_mem = run_measured([sys.executable, "-c", EXPORT, str(bib), str(out)])
            b_seconds, how = b["seconds"], "read_bib_file -> merge_records -> to_bibtex"
            b_entries = b["entries"]
        written = out.stat().st_size if out.exists() else 0
    a_seconds = a["seconds"]
    print(f"(a) bibtexparser.parse_file, default stack: {a_seconds:6.2f} s "
          f"(process {a_wall:.2f} s), peak {a_mem:7.1f} MB, {a['entries']} entries "
          f"+ {a['failed']} failed blocks, {a['entries'] / a_seconds:8.0f} entries/s")
    print(f"(b) {how}: {b_seconds:6.2f} s (process {b_wall:.2f} s), peak {b_mem:7.1f} MB, "
          f"{b_entries} entries, {b_entries / b_seconds:8.0f} entries/s")
    if not use_cli:
        print(f"    read {b['read']:.2f} s, match+merge {b['merge']:.2f} s, "
              f"write {b['write']:.2f} s; {b['publications']} publications, "
              f"{b['problems']} problems reported; {written / 1e6:.1f} MB written")
    ratio, mem_ratio = b_seconds / a_seconds, b_mem / a_mem
    print(f"ratio b/a: time {ratio:.2f} (target <= 1.5: {'ok' if ratio <= 1.5 else 'MISSED'}), "
          f"memory {mem_ratio:.2f} (target <= 1.5: {'ok' if mem_ratio <= 1.5 else 'MISSED'})")


if __name__ == "__main__":
    main(sys.argv[1:])
