"""Benchmark (not a test): cold and warm `scholarsync sync` of a 2,000-work profile.

Builds a site in a temporary folder: a .bib file, eScholarship items and a Scholar profile
served by a local HTTP server (generated pages), then runs the real CLI twice and prints:
cold sync time, warm sync time, the floor every run pays (a bare
``python -c "import requests, bs4, bibtexparser, jinja2"``), and the HTTP requests of each run.

Targets (issue 5): warm <= 2x bare import; warm within freshness makes 0 requests; cold makes
one request per 20 configured eScholarship items (its GraphQL API) and one for the profile,
plus one robots.txt per host.

    python bench/bench_sync.py [--bib 1800] [--items 200] [--rows 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests import sitegen  # noqa: E402

from scholarsync.sources.escholarship_api import ITEMS_PER_QUERY  # noqa: E402

USER = "BenchUser01A"
WORDS = ["neural", "counting", "infinity", "models", "successor", "learning", "numbers",
         "cardinal", "principle", "networks", "children", "symbolic", "quantity", "estimation",
         "language", "acquisition", "developmental", "bayesian", "inference", "representation",
         "magnitude"]


def title(i: int) -> str:
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(6)]
    return f"{' '.join(words).capitalize()} study {i}"


def bib_text(n: int, shared: int) -> str:
    entries = []
    for i in range(n):
        doi = f"  doi = {{10.5555/bench.{i}}},\n" if i < shared else ""
        entries.append(
            f"@article{{work{i},\n  title = {{{title(i)}}},\n"
            f"  author = {{Gupta, Vima and Author{i % 97}, Some}},\n"
            f"  journal = {{Journal of Benchmarks}},\n  year = {{{2000 + i % 25}}},\n{doi}}}\n")
    return "\n".join(entries)


class Pages:
    """The generated web: item pages by id and one profile page."""

    def __init__(self, items: int, rows: int, shared: int):
        self.items = {}
        for i in range(items):
            number = i if i < shared else 100_000 + i  # the first `shared` are in the .bib too
            item_id = f"b{i:07d}"
            self.items[item_id] = sitegen.Item(
                item_id, title(number), [("Gupta", "Vima"), (f"Author{number % 97}", "Some")],
                2000 + number % 25, doi=f"10.5555/bench.{number}" if i < shared else "")
        profile_rows = []
        for r in range(rows):
            number = 100_000 + r if r < rows // 2 else 200_000 + r  # half match eScholarship
            profile_rows.append(sitegen.Row(f"row{r:08d}C", title(number),
                                            f"V Gupta, S Author{number % 97}",
                                            "Journal of Benchmarks", 2000 + number % 25, r))
        self.profile = sitegen.profile_page(USER, "Vima Gupta", profile_rows)


def serve(pages: Pages) -> tuple[ThreadingHTTPServer, list[str]]:
    log: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            log.append(self.path)
            path, _, query = self.path.partition("?")
            kind = "text/html; charset=utf-8"
            if path == "/robots.txt":
                body = sitegen.ROBOTS_SCHOLAR
            elif path == "/graphql":  # eScholarship's API: item queries, 20 items each
                body = sitegen.graphql_answer(parse_qs(query).get("query", [""])[0],
                                              pages.items)
                kind = "application/json"
            elif path == "/citations":
                body = pages.profile
            elif path.startswith("/uc/item/") and path[9:] in pages.items:
                body = sitegen.item_page(pages.items[path[9:]])
            else:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, log


def build_site(root: Path, pages: Pages, bib_entries: int, shared: int, port: int) -> None:
    (root / "bib").mkdir()
    (root / "bib" / "works.bib").write_text(bib_text(bib_entries, shared))
    (root / "index.md").write_text("# Me\n\n<!-- scholarsync:begin publications -->\n"
                                   "<!-- scholarsync:end publications -->\n")
    (root / "scholarsync.toml").write_text(sitegen.config_toml(
        f"http://127.0.0.1:{port}", items=list(pages.items), user=USER, page="index.md",
        bibtex=True))


#: Runs ``python -m scholarsync ARGS`` and writes its peak memory (kB) as the last stderr line.
PEAK = ("import atexit, resource, runpy, sys\n"
        "atexit.register(lambda: sys.stderr.write('\\npeak-kb %d\\n' % "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
        "sys.argv = ['scholarsync', *sys.argv[1:]]\n"
        "runpy.run_module('scholarsync', run_name='__main__')\n")
PEAKS: dict[str, float] = {}  # label -> MB of the last timed run with that label


def timed(cmd: list[str], cwd: Path, label: str = "") -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 3):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    if "peak-kb" in proc.stderr:
        PEAKS[label] = int(proc.stderr.rsplit("peak-kb", 1)[1]) / 1024
    return elapsed


def same_as_fresh(root: Path, sync: list[str]) -> bool:
    """True when a copy of the site synced without its saved library (cached pages kept)
    writes the same page and exports as the incremental runs did."""
    fresh = root.parent / (root.name + "-fresh")
    shutil.copytree(root, fresh)
    for name in ("library.json", "state.json"):
        (fresh / "cache" / name).unlink(missing_ok=True)
    shutil.rmtree(fresh / "cache" / "records", ignore_errors=True)  # parsed-records cache
    timed(sync, fresh, "fresh")
    mine = {p.relative_to(root): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and "cache" not in p.relative_to(root).parts}
    theirs = {p.relative_to(fresh): p.read_bytes() for p in fresh.rglob("*")
              if p.is_file() and "cache" not in p.relative_to(fresh).parts}
    shutil.rmtree(fresh)
    return mine == theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bib", type=int, default=1800, help=".bib entries")
    parser.add_argument("--items", type=int, default=200, help="eScholarship items")
    parser.add_argument("--rows", type=int, default=100, help="Scholar rows (at most 100)")
    parser.add_argument("--shared", type=int, default=100,
                        help="items that are also in the .bib (same DOI)")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs and import runs")
    args = parser.parse_args()

    pages = Pages(args.items, args.rows, args.shared)
    server, log = serve(pages)
    sync = [sys.executable, "-c", PEAK, "sync", "--quiet"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_site(root, pages, args.bib, args.shared, server.server_port)
        cold = timed(sync, root, "cold")
        cold_requests = len(log)
        warm_times = []
        for _ in range(args.repeat):
            warm_times.append(timed(sync, root, "warm"))
        warm_requests = len(log) - cold_requests
        full_times = []  # warm, but the nothing-changed fast path disabled (state removed)
        for _ in range(args.repeat):
            (root / "cache" / "state.json").unlink(missing_ok=True)
            full_times.append(timed(sync, root, "full"))
        full_requests = len(log) - cold_requests - warm_requests
        changed_times = []  # one .bib entry appended: what any real edit costs
        for k in range(args.repeat):
            with open(root / "bib" / "works.bib", "a", encoding="utf-8") as bib:
                bib.write(f"\n@article{{added{k},\n  title = {{One Added Entry Number {k}}},\n"
                          "  author = {Gupta, Vima},\n  year = {2025},\n}\n")
            changed_times.append(timed(sync, root, "changed"))
        same = same_as_fresh(root, sync)
        listed = subprocess.run([sys.executable, "-m", "scholarsync", "list"], cwd=root,
                                capture_output=True, text=True).stdout.count("\n")
    server.shutdown()
    bare = [timed([sys.executable, "-c", "import requests, bs4, bibtexparser, jinja2"], REPO)
            for _ in range(args.repeat)]
    warm, floor = statistics.median(warm_times), statistics.median(bare)
    # eScholarship API requests (20 items each) + profile + one robots.txt per host
    expected_cold = math.ceil(args.items / ITEMS_PER_QUERY) + 1 + 2
    print(f"profile: {args.bib} .bib entries, {args.items} eScholarship items, "
          f"{args.rows} Scholar rows -> {listed} merged publications")
    print(f"cold sync:   {cold:7.2f} s   {cold_requests} requests (target {expected_cold})")
    print(f"warm sync:   {warm:7.2f} s   {warm_requests // args.repeat} requests per run "
          f"(target 0; median of {args.repeat})")
    print(f"warm, full pipeline (no fast path): {statistics.median(full_times):7.2f} s   "
          f"{full_requests // args.repeat} requests per run")
    print(f"one .bib entry changed: {statistics.median(changed_times):7.2f} s   (median of "
          f"{args.repeat}; outputs {'identical to' if same else 'DIFFER from'} a sync without "
          "the saved library)")
    print("peak memory (last run of each): " + ", ".join(
        f"{label} {mb:.0f} MB" for label, mb in PEAKS.items()))
    print(f"bare import: {floor:7.2f} s   (python -c 'import requests, bs4, bibtexparser, "
          "jinja2')")
    print(f"warm / bare: {warm / floor:7.2f}x  (target <= 2.0x)")


if __name__ == "__main__":
    main()
