"""Benchmark (not a test): a researcher with N records on DBLP.

Serves a generated DBLP person document (N records: conference papers, journal articles and
CoRR preprints of some of them, in DBLP's XML shape) from a local HTTP server, runs the real
CLI cold and warm, and prints the DBLP source's requests (from ``sync --json``) beside what it
needs: robots.txt + the one person document, whatever N; none within freshness. Also the time
to parse the document alone.

    python bench/bench_dblp.py [--works 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import localserver  # noqa: E402  (bench/, beside this script)

from scholarsync.sources import dblp  # noqa: E402

PID = "123/4567-1"


def record(i: int) -> str:
    """One generated record; every fifth conference paper also has a CoRR preprint."""
    authors = (f'<author pid="{PID}">Vima Gupta 0001</author>'
               f'<author pid="9/{i % 97}">Some Author{i % 97}</author>')
    year = 2000 + i % 25
    title = f"Generated work number {i}."
    if i % 2:
        body = (f'<article key="journals/jb/Gupta{i}" mdate="2026-01-01">{authors}'
                f"<title>{title}</title><pages>{i}-{i + 9}</pages><year>{year}</year>"
                f"<volume>{i % 40}</volume><journal>J. Bench.</journal>"
                f"<ee>https://doi.org/10.5555/bench.{i}</ee></article>")
    else:
        body = (f'<inproceedings key="conf/bench/Gupta{i}" mdate="2026-01-01">{authors}'
                f"<title>{title}</title><pages>{i}-{i + 9}</pages><year>{year}</year>"
                f"<booktitle>BENCH</booktitle><ee>https://doi.org/10.5555/bench.{i}</ee>"
                f"</inproceedings>")
    out = f"<r>{body}</r>\n"
    if i % 10 == 0:
        out += (f'<r><article key="journals/corr/abs-{i}" mdate="2026-01-01" '
                f'publtype="informal">{authors}<title>{title}</title><year>{year}</year>'
                f"<volume>abs/2001.{i:05d}</volume><journal>CoRR</journal>"
                f'<ee type="oa">https://arxiv.org/abs/2001.{i:05d}</ee></article></r>\n')
    return out


def document(works: int) -> tuple[str, int]:
    """The person document of ``works`` works, and how many records it holds."""
    records = [record(i) for i in range(works)]
    count = sum(r.count("<r>") for r in records)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<dblpperson name="Vima Gupta 0001" '
            f'pid="{PID}" n="{count}">\n<person key="homepages/{PID}"><author pid="{PID}">'
            f"Vima Gupta 0001</author></person>\n{''.join(records)}</dblpperson>\n", count)


def serve(body: str) -> tuple[ThreadingHTTPServer, list[str]]:
    log: list[str] = []

    class Handler(localserver.QuietHandler):
        def do_GET(self) -> None:  # noqa: N802
            log.append(self.path)
            if self.path == "/robots.txt":
                text, kind = "User-agent: *\nDisallow: /search\n", "text/plain"
            elif self.path == f"/pid/{PID}.xml":
                text, kind = body, "application/xml; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.reply(text, kind)

    server = localserver.serve(Handler)
    return server, log


def sync(root: Path) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "scholarsync", "sync", "--json", "--quiet"],
                          cwd=root, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"sync failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    data = json.loads(proc.stdout)
    return elapsed, {s["kind"]: s.get("requests", 0) for s in data.get("sources", [])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=300, help="works of the researcher")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs")
    args = parser.parse_args()
    body, count = document(args.works)
    start = time.perf_counter()
    parsed, _, _ = dblp.person_records(dblp.parse_xml(body, "bench"), PID, "bench")
    parse_time = time.perf_counter() - start
    server, log = serve(body)
    base = f"http://127.0.0.1:{server.server_port}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "index.md").write_text("# Me\n<!-- scholarsync:begin publications -->\n"
                                       "<!-- scholarsync:end publications -->\n")
        (root / "scholarsync.toml").write_text(f"""[profile]
name = "Vima Gupta"
page = "index.md"

[[sources]]
kind = "dblp"
pid = "{PID}"
base_url = "{base}"

[network]
delay = 0
""")
        cold, cold_by_source = sync(root)
        cold_total = len(log)
        warm_runs = [sync(root) for _ in range(args.repeat)]
        warm_total = len(log) - cold_total
        listed = subprocess.run([sys.executable, "-m", "scholarsync", "list"], cwd=root,
                                capture_output=True, text=True).stdout.count("\n")
    server.shutdown()
    print(f"researcher: {args.works} works, {count} DBLP records ({len(body) // 1024} KiB) "
          f"-> {listed} publications (CoRR copies merged as versions)")
    print(f"parse alone: {parse_time * 1000:6.1f} ms for {len(parsed)} records")
    print(f"cold sync: {cold:6.2f} s  {cold_total} requests: dblp {cold_by_source['dblp']} "
          "(needs 2 = robots + the person document)")
    print(f"warm sync: {statistics.median(t for t, _ in warm_runs):6.2f} s  "
          f"{warm_total // args.repeat} requests per run (median of {args.repeat})")


if __name__ == "__main__":
    main()
