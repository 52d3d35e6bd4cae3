"""Benchmark (not a test): cold and warm `scholarsync sync` of a 2,000-work profile.

Builds a site in a temporary folder: a .bib file, eScholarship items and a Scholar profile
served by a local HTTP server (generated pages), then runs the real CLI twice and prints:
cold sync time, warm sync time, the floor every run pays (a bare
``python -c "import requests, bs4, bibtexparser, jinja2"``), and the HTTP requests of each run.

Targets (issue 5): warm <= 2x bare import; warm within freshness makes 0 requests; cold makes
one request per 20 configured eScholarship items (its GraphQL API) and one for the profile,
plus one robots.txt per host.

    python bench/bench_sync.py [--bib 1800] [--items 200] [--rows 100] [--repeat 3]

``--apis [N]`` benchmarks the API sources instead: a researcher with N works (default 2,000)
on ORCID, OpenAlex, DBLP, Semantic Scholar and eScholarship's GraphQL API, each served by a local
server of its own (synthetic answers of ``tests/apigen.py``), Scholar blocked (429). It prints
cold and warm times and each source's requests beside what its paging needs (robots.txt + the
pages of its cursor, one bulk read per 100 ORCID put-codes, one DBLP document).

    python bench/bench_sync.py --apis 2000 [--repeat 3]

``--site-bib FILE`` benchmarks reading one big ``.bib`` instead: a site whose one ``.bib`` is a
copy of FILE, with a publications section on its page and no web sources. It prints cold, warm
and one-entry-appended sync times and peak memory beside a bare ``bibtexparser.parse_file`` of
FILE, and what reading the sources costs within the appended runs (issue 13's targets: one
entry changed <= 0.3x the bare parse, peak <= 250 MB).

    python bench/bench_sync.py --site-bib ../shared/corpus/bib/huge/huge_concat.bib
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import localserver  # noqa: E402  (bench/, beside this script)
from tests import apigen, sitegen  # noqa: E402

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

    class Handler(localserver.QuietHandler):
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
            self.reply(body, kind)

    server = localserver.serve(Handler)
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


# -- the API sources (--apis) ------------------------------------------------------------------
API_SERVICES = ("scholar", "escholarship", "orcid", "openalex", "dblp", "semanticscholar")


def api_works(n: int) -> list[apigen.Work]:
    """N works of one researcher. Each service lists most of them (one in seven is missing
    from each in turn), one in eleven has no DOI (matched by title, authors and year), and
    every tenth has an arXiv preprint that OpenAlex and DBLP (CoRR) list apart."""
    works: list[apigen.Work] = []
    for i in range(n):
        gap = i % 7
        doi = "" if i % 11 == 5 else f"10.5555/api.{i}"
        arxiv = f"24{i // 100_000 + 1:02d}.{i % 100_000:05d}" if i % 10 == 0 else ""
        authors = [apigen.OWNER, (f"Author{i % 97}", "Some")]
        venue = "Journal of Benchmarks"
        works.append(apigen.Work(
            title(i), authors, 2000 + i % 25, venue, doi=doi,
            orcid=str(100_000 + i) if gap != 1 else "",
            openalex=f"W{5_000_000_000 + i}" if gap != 2 else "",
            dblp=f"journals/jb/Gupta{i}" if gap != 3 else "",
            s2=f"{i:040x}" if gap != 4 else "",
            escholarship=f"a{i:07d}" if gap != 5 and i % 2 == 0 else "",
            openalex_cites=i % 50, s2_cites=i % 40,
            s2_ids={"ArXiv": arxiv} if arxiv else {}))
        if arxiv:  # the preprint, a version of the work above
            works.append(apigen.Work(
                title(i), authors, 1999 + i % 25, "arXiv", kind="preprint", arxiv=arxiv,
                openalex=f"W{6_000_000_000 + i}", dblp=f"journals/corr/abs-{arxiv}",
                openalex_cites=i % 5))
    return works


def serve_apis(services: apigen.Services) -> dict[str, ThreadingHTTPServer]:
    """One local server per service (its own host, its own robots.txt); Scholar answers 429."""
    servers = {}
    for name in API_SERVICES:
        class Handler(localserver.QuietHandler):
            service = name

            def do_GET(self) -> None:  # noqa: N802
                path, _, query = self.path.partition("?")
                args = {k: v[0] for k, v in parse_qs(query).items()}
                if self.service == "scholar":
                    services.requests["scholar"] = services.requests.get("scholar", 0) + 1
                    status, kind, body = ((200, "text/plain", sitegen.ROBOTS_SCHOLAR)
                                          if path == "/robots.txt" else
                                          (429, "text/html", "unusual traffic"))
                else:
                    status, kind, body = services.answer(self.service, path, args)
                self.reply(body, kind, status)

        server = localserver.serve(Handler)
        servers[name] = server
    return servers


def api_config(servers: dict[str, ThreadingHTTPServer], scholar: bool = True) -> str:
    def base(name: str) -> str:
        return f"http://127.0.0.1:{servers[name].server_port}"

    scholar_table = (f'[[sources]]\nkind = "scholar"\nuser = "{USER}"\n'
                     f'base_url = "{base("scholar")}"\n') if scholar else ""
    return f"""[profile]
name = "Vima Gupta"
page = "index.md"

{scholar_table}
[[sources]]
kind = "escholarship"
author = "{apigen.ORCID_ID}"
base_url = "{base('escholarship')}"

[[sources]]
kind = "orcid"
id = "{apigen.ORCID_ID}"
base_url = "{base('orcid')}"

[[sources]]
kind = "openalex"
author = "{apigen.OPENALEX_AUTHOR}"
base_url = "{base('openalex')}"

[[sources]]
kind = "dblp"
pid = "{apigen.DBLP_PID}"
base_url = "{base('dblp')}"

[[sources]]
kind = "semanticscholar"
author = "{apigen.S2_AUTHOR}"
base_url = "{base('semanticscholar')}"

[network]
delay = 0
"""


def api_needs(services: apigen.Services) -> dict[str, tuple[int, str]]:
    """Requests each source needs for a cold sync, and how they add up."""
    from scholarsync.sources import escholarship_api, openalex, orcid, semanticscholar

    def pages(kind: str, size: int) -> int:
        return max(1, math.ceil(services.listed(kind) / size))

    bulk = pages("orcid", orcid.BULK_SIZE)
    return {
        "scholar": (2, "robots + profile (429)"),
        "escholarship": (1 + pages("escholarship", escholarship_api.PAGE_SIZE),
                         f"robots + {pages('escholarship', escholarship_api.PAGE_SIZE)} pages"),
        "orcid": (2 + bulk, f"robots + list + {bulk} bulk"),
        "openalex": (2 + pages("openalex", openalex.PAGE_SIZE),
                     f"robots + author + {pages('openalex', openalex.PAGE_SIZE)} pages"),
        "dblp": (2, "robots + 1 document"),
        "semanticscholar": (1 + pages("semanticscholar", semanticscholar.PAGE_SIZE),
                            f"robots + {pages('semanticscholar', semanticscholar.PAGE_SIZE)}"
                            " pages"),
    }


def api_sync(root: Path, env: dict[str, str]) -> tuple[float, dict[str, int]]:
    """One sync (exit 3: Scholar is blocked); its time and each source's reported requests."""
    import json
    import os

    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "scholarsync", "sync", "--json", "--quiet"],
                          cwd=root, capture_output=True, text=True, env={**os.environ, **env})
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 3):
        sys.exit(f"sync failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed, {s["kind"]: s.get("requests", 0) for s in json.loads(proc.stdout)["sources"]}


def bench_apis(works: int, repeat: int) -> None:
    """The --apis benchmark (see the module doc). Semantic Scholar gets a made-up key (its
    requests are paced 1 s apart; bench/bench_api_sources.py --anonymous measures 3 s)."""
    from scholarsync.sources import openalex, semanticscholar

    env = {openalex.KEY_ENV: "bench-openalex-key", semanticscholar.KEY_ENV: "bench-s2-key"}
    generated = api_works(works)
    services = apigen.Services(generated)
    servers = serve_apis(services)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "index.md").write_text("# Me\n<!-- scholarsync:begin publications -->\n"
                                       "<!-- scholarsync:end publications -->\n")
        (root / "scholarsync.toml").write_text(api_config(servers))
        cold, reported = api_sync(root, env)
        served = dict(services.requests)
        warm_runs = [api_sync(root, env) for _ in range(repeat)]
        warm_served = {k: (services.requests.get(k, 0) - served.get(k, 0)) // repeat
                       for k in API_SERVICES}
        full_runs = []  # warm, the nothing-changed fast path disabled (state removed)
        for _ in range(repeat):
            (root / "cache" / "state.json").unlink(missing_ok=True)
            full_runs.append(api_sync(root, env)[0])
        listed = subprocess.run([sys.executable, "-m", "scholarsync", "list"], cwd=root,
                                capture_output=True, text=True).stdout.count("\n")
        # the same site without the Scholar source: nothing fails, the fast path applies
        (root / "scholarsync.toml").write_text(api_config(servers, scholar=False))
        api_sync(root, env)
        before = sum(services.requests.values())
        alone = [api_sync(root, env)[0] for _ in range(repeat)]
        alone_requests = (sum(services.requests.values()) - before) // repeat
    for server in servers.values():
        server.shutdown()
    needs = api_needs(services)
    print(f"researcher: {works} works ({len(generated) - works} preprints listed apart) on "
          f"ORCID {services.listed('orcid')}, OpenAlex {services.listed('openalex')}, DBLP "
          f"{services.listed('dblp')}, Semantic Scholar {services.listed('semanticscholar')}, "
          f"eScholarship {services.listed('escholarship')} -> {listed} publications "
          f"(expected {works})")
    print(f"cold sync: {cold:7.2f} s  {sum(served.values())} requests "
          "(Semantic Scholar paced 1 s apart)")
    for kind in API_SERVICES:
        need, how = needs[kind]
        print(f"  {kind:<16} {served.get(kind, 0):>3} served, {reported.get(kind, 0):>3} "
              f"reported (needs {need} = {how})")
    warm = statistics.median(t for t, _ in warm_runs)
    print(f"warm sync: {warm:7.2f} s  requests per run: "
          + ", ".join(f"{k} {warm_served[k]}" for k in API_SERVICES)
          + f" (median of {repeat}; Scholar's block is remembered: the nothing-changed path)")
    print(f"warm, full pipeline (no fast path): {statistics.median(full_runs):7.2f} s  "
          f"(median of {repeat}; every answer from the HTTP cache)")
    print(f"warm sync, Scholar not configured: {statistics.median(alone):7.2f} s  "
          f"{alone_requests} requests per run (median of {repeat})")


#: A sync (as :data:`PEAK`) that also writes the seconds spent reading the sources and the
#: bibtex source alone, wall and CPU, as ``reading-s TOTAL BIBTEX TOTAL-CPU BIBTEX-CPU``.
TIMED = ("import atexit, time\n"
         "from scholarsync.app import reading\n"
         "from scholarsync.sources import bibtex\n"
         "spent = [0.0, 0.0, 0.0, 0.0]\n"
         "def timer(function, slot):\n"
         "    def timed(*args, **kwargs):\n"
         "        start, cpu = time.perf_counter(), time.process_time()\n"
         "        try:\n"
         "            return function(*args, **kwargs)\n"
         "        finally:\n"
         "            spent[slot] += time.perf_counter() - start\n"
         "            spent[slot + 2] += time.process_time() - cpu\n"
         "    return timed\n"
         "reading.read_source = timer(reading.read_source, 0)\n"
         "bibtex.BibtexSource.read = timer(bibtex.BibtexSource.read, 1)\n"
         "atexit.register(lambda: sys.stderr.write('\\nreading-s %f %f %f %f\\n' % tuple(spent)))\n"
         + PEAK)
READING: list[list[float]] = []  # all sources, the bibtex source (wall, then CPU): TIMED runs

#: A bare parse of one file by bibtexparser: prints its seconds (the process is timed too).
BARE_PARSE = ("import sys, time, bibtexparser\n"
              "start = time.perf_counter()\n"
              "bibtexparser.parse_file(sys.argv[1])\n"
              "print(time.perf_counter() - start)\n")


def timed_reading(cmd: list[str], cwd: Path, label: str) -> float:
    """:func:`timed` of a :data:`TIMED` sync, its reading time kept in :data:`READING`."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 3):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    PEAKS[label] = int(proc.stderr.rsplit("peak-kb", 1)[1].split()[0]) / 1024
    READING.append([float(v) for v in proc.stderr.rsplit("reading-s", 1)[1].split()[:4]])
    return elapsed


def bench_site_bib(bib: Path, repeat: int) -> None:
    """The --site-bib benchmark (see the module doc)."""
    sync = [sys.executable, "-c", PEAK, "sync", "--quiet"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "bib").mkdir()
        shutil.copyfile(bib, root / "bib" / "site.bib")
        (root / "index.md").write_text("# Me\n\n## Publications\n"
                                       "<!-- scholarsync:begin publications -->\n"
                                       "<!-- scholarsync:end publications -->\n")
        (root / "scholarsync.toml").write_text(
            '[profile]\nname = "Vima Gupta"\npage = "index.md"\n\n'
            '[[sources]]\nkind = "bibtex"\npaths = ["bib/*.bib"]\n')
        cold = timed(sync, root, "cold")
        warm = statistics.median(timed(sync, root, "warm") for _ in range(repeat))
        changed = []
        for k in range(repeat):
            with open(root / "bib" / "site.bib", "a", encoding="utf-8") as handle:
                handle.write(f"\n@article{{added{k},\n  title = {{One Added Entry {k}}},\n"
                             "  author = {Gupta, Vima},\n  year = {2025},\n}\n")
            changed.append(timed_reading([sys.executable, "-c", TIMED, "sync", "--quiet"],
                                         root, "changed"))
        same = same_as_fresh(root, sync)
        listed = subprocess.run([sys.executable, "-m", "scholarsync", "list"], cwd=root,
                                capture_output=True, text=True).stdout.count("\n")
    bare_runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", PEAK.replace(
            "runpy.run_module('scholarsync', run_name='__main__')", BARE_PARSE.replace(
                "sys.argv[1]", repr(str(bib))))], capture_output=True, text=True)
        total = time.perf_counter() - start
        bare_runs.append((float(proc.stdout.split()[-1]), total))
        PEAKS["bare parse"] = int(proc.stderr.rsplit("peak-kb", 1)[1]) / 1024
    bare = statistics.median(b for b, _ in bare_runs)
    bare_total = statistics.median(t for _, t in bare_runs)
    one = statistics.median(changed)
    reading, bib_read, reading_cpu, bib_cpu = (statistics.median(r[i] for r in READING)
                                               for i in range(4))
    print(f"site: {bib.name} ({bib.stat().st_size / 1e6:.1f} MB) -> {listed} publications")
    print(f"cold sync:              {cold:7.2f} s")
    print(f"warm sync:              {warm:7.2f} s   (median of {repeat})")
    print(f"one .bib entry appended: {one:6.2f} s   (median of {repeat}; outputs "
          f"{'identical to' if same else 'DIFFER from'} a sync without the caches); of it, "
          f"reading the sources {reading:.2f} s (the bibtex source {bib_read:.2f} s; CPU "
          f"{reading_cpu:.2f} s and {bib_cpu:.2f} s)")
    print(f"bare bibtexparser.parse_file: {bare:6.2f} s   ({bare_total:.2f} s with "
          "start-up and import)")
    print(f"one entry appended / bare parse: {one / bare:5.2f}x  (target <= 0.3x)")
    print("peak memory (last run of each): " + ", ".join(
        f"{label} {mb:.0f} MB" for label, mb in PEAKS.items()) + "  (target <= 250 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bib", type=int, default=1800, help=".bib entries")
    parser.add_argument("--items", type=int, default=200, help="eScholarship items")
    parser.add_argument("--rows", type=int, default=100, help="Scholar rows (at most 100)")
    parser.add_argument("--shared", type=int, default=100,
                        help="items that are also in the .bib (same DOI)")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs and import runs")
    parser.add_argument("--apis", type=int, nargs="?", const=2000, default=None, metavar="N",
                        help="benchmark the API sources instead, for N works (default 2,000)")
    parser.add_argument("--site-bib", type=Path, default=None, metavar="FILE",
                        help="benchmark a site whose one .bib is (a copy of) FILE instead")
    args = parser.parse_args()
    if args.site_bib is not None:
        bench_site_bib(args.site_bib.resolve(), args.repeat)
        return
    if args.apis is not None:
        bench_apis(args.apis, args.repeat)
        return

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
