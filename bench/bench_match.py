"""Benchmark (not a test): matching many records must not compare them pairwise.

    python bench/bench_match.py [N ...]

Groups N synthetic records with distinct titles (default 5,000, 10,000 and 20,000; 20,000
distinct titles compared pairwise would be 200 million comparisons) and, for scale, N exact
copies of one entry. Prints seconds per run, records per second, and the growth exponent
between the smallest and the largest N (1.0 is linear). Target: 20,000 distinct records in
under 10 s on the project's 2-core machine, growth close to linear.

Then the incremental merge (issue 13): ``merge_records`` of the largest N distinct records
with one record added, cold and with the matching state the previous run left in a records
cache (median of 3 each; the outputs must be equal).
"""

from __future__ import annotations

import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scholarsync.config import MatchConfig
from scholarsync.core.match import group_records
from scholarsync.core.merge import merge_records
from scholarsync.model import Origin, Person, Record
from scholarsync.recordcache import RecordCache

WORDS = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta"]


def distinct(n: int) -> list[Record]:
    """``n`` records with distinct titles, 500 surnames and 30 years."""
    return [Record(source="bibtex", origin=Origin("bibtex", "a.bib", i), key=f"k{i}",
                   title=f"{WORDS[i % 8]} study number {i} of {WORDS[(i // 8) % 8]} systems",
                   authors=[Person(given="Vima", family=f"Author{i % 500}")],
                   year=1990 + i % 30) for i in range(n)]


def copies(n: int) -> list[Record]:
    """``n`` exact copies of one entry."""
    return [Record(source="bibtex", origin=Origin("bibtex", "a.bib", i), key=f"k{i}",
                   title="Calendar of events", authors=[Person(given="Vima", family="Gupta")],
                   year=2020) for i in range(n)]


def timed(records: list[Record]) -> tuple[float, int]:
    start = time.perf_counter()
    groups = group_records(records, MatchConfig())
    return time.perf_counter() - start, len(groups)


def incremental(n: int) -> None:
    """Cold versus incremental merge of ``n`` distinct records with one record added."""
    records = distinct(n)
    added = records + [Record(source="bibtex", origin=Origin("bibtex", "a.bib", n), key="new",
                              title="One added entry", authors=[Person(family="Gupta")],
                              year=2025)]
    cfg = MatchConfig()
    cold, warm = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(3):
            merge_records(records, cfg, cache=RecordCache(Path(tmp)))  # the previous run
            start = time.perf_counter()
            mine = merge_records(added, cfg, cache=RecordCache(Path(tmp)))
            warm.append(time.perf_counter() - start)
            start = time.perf_counter()
            theirs = merge_records(added, cfg)
            cold.append(time.perf_counter() - start)
    same = ([p.to_dict() for p in mine.publications] == [p.to_dict() for p in theirs.publications]
            and mine.problems == theirs.problems)
    print(f"merge of {n} records + 1 added: cold {statistics.median(cold):.3f} s, incremental "
          f"{statistics.median(warm):.3f} s (median of 3; output "
          f"{'identical' if same else 'DIFFERS'})")


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [5_000, 10_000, 20_000]
    results: dict[str, list[tuple[int, float]]] = {"distinct": [], "copies": []}
    for n in sizes:
        for name, make in (("distinct", distinct), ("copies", copies)):
            seconds, groups = timed(make(n))
            results[name].append((n, seconds))
            print(f"{name:>8} n={n:>6}: {seconds:6.2f} s, {n / seconds:9.0f} records/s, "
                  f"{groups} groups")
    for name, runs in results.items():
        (n0, t0), (n1, t1) = runs[0], runs[-1]
        if n1 > n0 and t0 > 0:
            print(f"{name}: growth exponent {math.log(t1 / t0) / math.log(n1 / n0):.2f}")
    largest = results["distinct"][-1]
    if largest[0] >= 20_000:
        print(f"target: {largest[0]} distinct records in < 10 s: "
              f"{'met' if largest[1] < 10 else 'MISSED'} ({largest[1]:.2f} s)")
    incremental(largest[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
