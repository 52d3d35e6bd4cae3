"""Benchmark (not a test): bibtexparser's plain parse against a full scholarsync export.

    python bench/bench_export.py [FILE.bib] [--cli]
    python bench/bench_export.py [FILE.bib] --copies N
    python bench/bench_export.py [FILE.bib] --growth

Times, in separate child processes so that they share no memory:

  (a) ``bibtexparser.parse_file(FILE)`` with its default middleware stack;
  (b) what ``scholarsync export`` does with FILE: read it with the bibtex source (macros,
      crossrefs, duplicate keys, LaTeX decoded for display), match and merge, write BibTeX.
      By default through the library functions, inside ``command_run()`` as the CLI runs
      every command; with ``--cli`` by running
      ``scholarsync export -o OUT --config CONFIG`` on a generated config.

Prints wall time, peak memory (the child's ru_maxrss), entries per second, and the ratios
b/a. Targets: issue 2, time and memory ratios <= 1.5; issue 13, time <= 0.75, memory <= 1.0.

With ``--copies N`` it measures instead, side by side, the export of FILE and of one file
holding N exact copies of it (citation keys made unique): the N copies must export no more
publications than one copy plus the extra copies of the entries nothing can match (no title
and no identifier), in at most 4.4 times the time of one copy for N = 4 (issue 14).

With ``--against PYTHON [--rounds N]`` it measures, side by side in N interleaved rounds
(default 3), the bare parse, this checkout's export and the export by another interpreter
(another checkout's venv: the "before" of a change), prints the medians and the ratios (of
wall time, and of CPU time: steadier on a shared machine), and checks that the two exports
are byte-identical.

With ``--growth`` it exports FILE at 0.25, 0.5, 1, 2 and 4 times its size (the first entries of
it; then exact copies, keys made unique) and fits the exponent of time against size (issue 13:
growth stays linear).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "corpus" / "bib" / "huge" / "huge_concat.bib"

PARSE = """
import json, sys, time
start, cpu = time.perf_counter(), time.process_time()
import bibtexparser
library = bibtexparser.parse_file(sys.argv[1])
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "cpu": time.process_time() - cpu,
                  "entries": len(library.entries), "failed": len(library.failed_blocks)}))
"""

EXPORT = """
import json, sys, time
start, cpu = time.perf_counter(), time.process_time()
from scholarsync.config import MatchConfig
from scholarsync.outputs.bibtex import to_bibtex
from scholarsync.core.merge import merge_records
from scholarsync.sources.bibtex import read_bib_file
try:  # as the CLI runs a command (what survives its bulk work is frozen until it ends)
    from scholarsync.core.gcpause import command_run
except ImportError:  # older code, measured with --against
    from contextlib import nullcontext as command_run
with command_run():
    records, problems = read_bib_file(sys.argv[1])
    read = time.perf_counter()
    merged = merge_records(records, MatchConfig())
    merge = time.perf_counter()
    text = to_bibtex(merged.publications)
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        out.write(text)
    end = time.perf_counter()
print(json.dumps({"seconds": end - start, "cpu": time.process_time() - cpu,
                  "entries": len(records), "publications": len(merged.publications),
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
    copies, argv = copies_option(argv)
    against, argv = value_option(argv, "--against")
    rounds, argv = value_option(argv, "--rounds")
    paths = [a for a in argv if not a.startswith("--")]
    bib = Path(paths[0]) if paths else DEFAULT
    if not bib.is_file():
        sys.exit(f"no such file: {bib}")
    if copies:
        compare_copies(bib, copies)
        return
    if "--growth" in argv:
        growth(bib)
        return
    if against:
        compare_against(bib, against, int(rounds or 3))
        return
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
    print(f"issue 13 targets: time <= 0.75: {'ok' if ratio <= 0.75 else 'MISSED'}, "
          f"memory <= 1.0: {'ok' if mem_ratio <= 1.0 else 'MISSED'}")


# -- side by side with another interpreter (before/after a change) -------------------------


def value_option(argv: list[str], name: str) -> tuple[str, list[str]]:
    """``name VALUE`` (or ``name=VALUE``) taken out of ``argv``; "" when absent."""
    rest, value, i = [], "", 0
    while i < len(argv):
        if argv[i] == name and i + 1 < len(argv):
            value, i = argv[i + 1], i + 2
            continue
        if argv[i].startswith(name + "="):
            value = argv[i].split("=", 1)[1]
        else:
            rest.append(argv[i])
        i += 1
    return value, rest


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def compare_against(bib: Path, other: str, rounds: int) -> None:
    """The bare parse, this export and ``other``'s export, interleaved ``rounds`` times."""
    print(f"file: {bib} ({bib.stat().st_size / 1e6:.1f} MB), {rounds} rounds; "
          f"before = {other}, after = {sys.executable}")
    runs: dict[str, list[tuple[dict, float]]] = {"parse": [], "before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        outs = {"before": Path(tmp) / "before.bib", "after": Path(tmp) / "after.bib"}
        pair = [("before", other), ("after", sys.executable)]
        for round_ in range(rounds):
            data, _, mem = run_measured([sys.executable, "-c", PARSE, str(bib)])
            runs["parse"].append((data, mem))
            for name, python in pair if round_ % 2 == 0 else pair[::-1]:  # no place favoured
                data, _, mem = run_measured([python, "-c", EXPORT, str(bib), str(outs[name])])
                runs[name].append((data, mem))
        same = outs["before"].read_bytes() == outs["after"].read_bytes()
    parse_s = _median([d["seconds"] for d, _ in runs["parse"]])
    parse_cpu = _median([d["cpu"] for d, _ in runs["parse"]])
    parse_mb = _median([m for _, m in runs["parse"]])
    print(f"(a) bibtexparser.parse_file: {parse_s:6.2f} s (CPU {parse_cpu:.2f} s), "
          f"peak {parse_mb:7.1f} MB (medians)")
    for name in ("before", "after"):
        seconds = _median([d["seconds"] for d, _ in runs[name]])
        cpu = _median([d["cpu"] for d, _ in runs[name]])
        mem = _median([m for _, m in runs[name]])
        parts = ", ".join(f"{part} {_median([d[part] for d, _ in runs[name]]):.2f} s"
                          for part in ("read", "merge", "write"))
        print(f"(b) export, {name:6s}: {seconds:6.2f} s (CPU {cpu:.2f} s), peak {mem:7.1f} MB "
              f"({parts}); ratios time {seconds / parse_s:.2f} (CPU {cpu / parse_cpu:.2f}), "
              f"memory {mem / parse_mb:.2f}")
    print(f"exports byte-identical: {'yes' if same else 'NO'}")


# -- N exact copies against one (issue 14) --------------------------------------------------

EXPORT_COUNTED = """
import json, sys, time
start = time.perf_counter()
from scholarsync import sources as registry
from scholarsync.config import MatchConfig
from scholarsync.core.match import match_ids
from scholarsync.core.merge import merge_records
from scholarsync.core.normalize import title_key
from scholarsync.outputs.bibtex import to_bibtex
from scholarsync.sources.bibtex import read_bib_file
records, problems = read_bib_file(sys.argv[1])
read = time.perf_counter()
merged = merge_records(records, MatchConfig())
merge = time.perf_counter()
text = to_bibtex(merged.publications)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write(text)
end = time.perf_counter()
rules = registry.rules()
unmatchable = sum(1 for r in records if not title_key(r.title) and not match_ids(r, rules))
unscored = [str(p) for p in merged.problems
            if "not compared" in p.message or "too large to compare" in p.message]
print(json.dumps({"seconds": end - start, "entries": len(records),
                  "publications": len(merged.publications), "unmatchable": unmatchable,
                  "unscored": unscored, "read": read - start, "merge": merge - read,
                  "write": end - merge}))
"""

_HEAD = re.compile(rb"(@[ \t]*(?!(?:string|preamble|comment)\b)[A-Za-z]+[ \t]*[{(][ \t]*)"
                   rb"([^,\s{}()=\"#%']+)([ \t]*,)", re.IGNORECASE)


def copies_option(argv: list[str]) -> tuple[int, list[str]]:
    """``--copies N`` (or ``--copies=N``) taken out of ``argv``; 0 when absent."""
    rest, copies, i = [], 0, 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--copies" and i + 1 < len(argv):
            copies, i = int(argv[i + 1]), i + 2
            continue
        if arg.startswith("--copies="):
            copies = int(arg.split("=", 1)[1])
        else:
            rest.append(arg)
        i += 1
    return copies, rest


def write_copies(bib: Path, n: int, out: Path) -> None:
    """``n`` exact copies of ``bib`` in one file; copy c > 1 suffixes each entry's key with
    ``-copyc`` (everything else, byte for byte, as in the original)."""
    data = bib.read_bytes()
    with out.open("wb") as handle:
        handle.write(data)
        for c in range(2, n + 1):
            suffix = f"-copy{c}".encode()
            handle.write(b"\n")
            handle.write(_HEAD.sub(lambda m, s=suffix: m.group(1) + m.group(2) + s + m.group(3),
                                   data))


def export_measured(bib: Path, out: Path) -> tuple[dict, float]:
    data, wall, mem = run_measured([sys.executable, "-c", EXPORT_COUNTED, str(bib), str(out)])
    print(f"    {bib.name}: {data['seconds']:6.2f} s (process {wall:.2f} s), peak {mem:7.1f} MB, "
          f"{data['entries']} entries -> {data['publications']} publications; read "
          f"{data['read']:.2f} s, match+merge {data['merge']:.2f} s, write {data['write']:.2f} s")
    for line in data["unscored"]:
        print(f"    {line}")
    return data, mem


def compare_copies(bib: Path, n: int) -> None:
    """Export ``bib`` and ``n`` exact copies of it, side by side; print both and the checks."""
    print(f"file: {bib} ({bib.stat().st_size / 1e6:.1f} MB), {n} copies")
    with tempfile.TemporaryDirectory() as tmp:
        many = Path(tmp) / f"{bib.stem}-x{n}.bib"
        write_copies(bib, n, many)
        print(f"(1) one copy, then (n) {n} copies ({many.stat().st_size / 1e6:.1f} MB):")
        one, _ = export_measured(bib, Path(tmp) / "one.bib")
        several, _ = export_measured(many, Path(tmp) / "many.bib")
    allowed = one["publications"] + (n - 1) * one["unmatchable"]
    ratio = several["seconds"] / one["seconds"]
    limit = 1.1 * n
    print(f"publications: {several['publications']} for {n} copies, allowed <= {allowed} "
          f"({one['publications']} + {n - 1} x {one['unmatchable']} unmatchable entries): "
          f"{'ok' if several['publications'] <= allowed else 'MISSED'}")
    print(f"time ratio {n} copies / one: {ratio:.2f} (target <= {limit:.1f}: "
          f"{'ok' if ratio <= limit else 'MISSED'}); match+merge ratio "
          f"{several['merge'] / max(one['merge'], 1e-9):.2f}")
    unscored = len(one["unscored"]) + len(several["unscored"])
    print(f"buckets left unscored: {unscored} ({'ok' if not unscored else 'reported above'})")


# -- growth: time against size (issue 13) ---------------------------------------------------

GROWTH_SIZES = (0.25, 0.5, 1.0, 2.0, 4.0)


def write_part(bib: Path, share: float, out: Path) -> None:
    """The first ``share`` of ``bib``, cut where an entry starts (``share`` < 1)."""
    data = bib.read_bytes()
    cut = data.find(b"\n@", int(len(data) * share))
    out.write_bytes(data if cut < 0 else data[:cut + 1])


def fitted_exponent(sizes: list[float], seconds: list[float]) -> float:
    """The slope of log(seconds) against log(size), by least squares."""
    xs, ys = [math.log(x) for x in sizes], [math.log(y) for y in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return (sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
            / sum((x - mx) ** 2 for x in xs))


def growth(bib: Path) -> None:
    """Export ``bib`` at each of :data:`GROWTH_SIZES` and fit the exponent of time."""
    print(f"file: {bib} ({bib.stat().st_size / 1e6:.1f} MB), sizes {GROWTH_SIZES}")
    sizes, times, merges = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for share in GROWTH_SIZES:
            path = Path(tmp) / f"{bib.stem}-{share:g}x.bib"
            if share < 1:
                write_part(bib, share, path)
            else:
                write_copies(bib, int(share), path)
            data, _ = export_measured(path, Path(tmp) / "out.bib")
            sizes.append(path.stat().st_size / bib.stat().st_size)
            times.append(data["seconds"])
            merges.append(data["merge"])
            path.unlink()
    print(f"fitted exponent, time against size: {fitted_exponent(sizes, times):.2f} "
          f"(match+merge alone: {fitted_exponent(sizes, merges):.2f}; 1.00 is linear)")


if __name__ == "__main__":
    main(sys.argv[1:])
