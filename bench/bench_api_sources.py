"""Benchmark (not a test): a researcher with N works on ORCID, eScholarship (by ORCID iD),
OpenAlex and Semantic Scholar.

Serves a generated ORCID record (N works, one group each, bulk reads), eScholarship's GraphQL
API (N items of one author, cursor pages), OpenAlex (an author and N works by cursor) and
Semantic Scholar (N papers by offset) from a local HTTP server, runs the real CLI cold and warm,
and prints each source's requests (from ``sync --json``) beside what the paging needs:

* ORCID: robots.txt + 1 works list + ceil(N / 100) bulk reads;
* eScholarship: robots.txt + ceil(N / 100) pages of the author's items (the last page is known
  by ``total``, so no empty page is asked for);
* OpenAlex: robots.txt + 1 author + ceil(N / 100) pages (the last known by ``meta.count``);
* Semantic Scholar: robots.txt + ceil(N / 100) pages (``next`` absent on the last). Its
  requests are paced (1 s apart with a key, 3 s without): the cold time is mostly that wait.
  The benchmark sets a made-up key; ``--anonymous`` runs without one.

    python bench/bench_api_sources.py [--works 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
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
from tests import sitegen  # noqa: E402

from scholarsync.sources import escholarship_api, openalex, orcid, semanticscholar  # noqa: E402

ORCID_ID = "0000-0002-1825-0097"


class Record:
    """N generated works: ORCID summaries and full works, eScholarship items."""

    def __init__(self, works: int):
        self.items = {f"b{i:07d}": sitegen.Item(f"b{i:07d}", f"Generated work number {i}",
                                                [("Gupta", "Vima"), (f"Author{i % 97}", "Some")],
                                                2000 + i % 25, doi=f"10.5555/bench.{i}")
                      for i in range(works)}
        self.full = {}
        groups = []
        for i in range(works):
            work = {"put-code": 10_000 + i, "display-index": "0",
                    "title": {"title": {"value": f"Generated work number {i}"}},
                    "type": "journal-article", "journal-title": {"value": "Journal of Benches"},
                    "publication-date": {"year": {"value": str(2000 + i % 25)}},
                    "external-ids": {"external-id": [{
                        "external-id-type": "doi", "external-id-value": f"10.5555/bench.{i}",
                        "external-id-relationship": "self"}]},
                    "contributors": {"contributor": [
                        {"credit-name": {"value": "Vima Gupta"}},
                        {"credit-name": {"value": f"Some Author{i % 97}"}}]}}
            self.full[str(work["put-code"])] = work
            groups.append({"external-ids": work["external-ids"], "work-summary": [work]})
        self.works = json.dumps({"group": groups})

    def orcid(self, path: str) -> str:
        tail = path.split("/works", 1)[1]
        if not tail:
            return self.works
        return json.dumps({"bulk": [{"work": self.full[c]} for c in tail[1:].split(",")]})

    def openalex_author(self) -> str:
        return json.dumps({"id": "https://openalex.org/A5000000001", "display_name": "Vima Gupta",
                           "works_count": len(self.items)})

    def openalex_works(self, query: dict[str, list[str]]) -> str:
        per_page, cursor = int(query["per_page"][0]), query["cursor"][0]
        offset = 0 if cursor == "*" else int(cursor.removeprefix("c"))
        ids = list(self.items)
        works = []
        for n in range(offset, min(offset + per_page, len(ids))):
            item = self.items[ids[n]]
            works.append({"id": f"https://openalex.org/W{4_000_000_000 + n}",
                          "doi": f"https://doi.org/{item.doi}", "title": item.title,
                          "publication_year": item.year, "type": "article",
                          "primary_location": {"source": {"display_name": "Journal of Benches",
                                                          "type": "journal"}},
                          "authorships": [{"author": {"display_name": f"{g} {f}"}}
                                          for f, g in item.authors],
                          "cited_by_count": n % 50})
        following = f"c{offset + per_page}" if offset + per_page < len(ids) else None
        return json.dumps({"meta": {"count": len(ids), "next_cursor": following},
                           "results": works})

    def s2_papers(self, query: dict[str, list[str]]) -> str:
        offset, limit = int(query["offset"][0]), int(query["limit"][0])
        ids = list(self.items)
        papers = []
        for n in range(offset, min(offset + limit, len(ids))):
            item = self.items[ids[n]]
            papers.append({"paperId": f"{n:040x}", "externalIds": {"DOI": item.doi},
                           "title": item.title, "year": item.year,
                           "publicationTypes": ["JournalArticle"],
                           "journal": {"name": "Journal of Benches"},
                           "authors": [{"name": f"{g} {f}"} for f, g in item.authors],
                           "citationCount": n % 40})
        body: dict[str, object] = {"offset": offset, "data": papers}
        if offset + limit < len(ids):
            body["next"] = offset + limit
        return json.dumps(body)

    def graphql(self, query: str) -> str:
        ids = list(self.items)
        if "more:" in query:
            cursor = query.split('more: "', 1)[1].split('"', 1)[0]
            offset, size = json.loads(base64.urlsafe_b64decode(cursor + "=="))
        else:
            offset, size = 0, int(query.split("first: ", 1)[1].split(",", 1)[0])
        page = ids[offset:offset + size]
        more = (base64.urlsafe_b64encode(json.dumps([offset + size, size]).encode()).decode()
                .rstrip("=") if len(page) == size else None)
        return json.dumps({"data": {"author": {"items": {
            "total": len(ids), "more": more,
            "nodes": [sitegen.graphql_node(self.items[i]) for i in page]}}}})


def serve(record: Record) -> tuple[ThreadingHTTPServer, list[str]]:
    log: list[str] = []

    class Handler(localserver.QuietHandler):
        def do_GET(self) -> None:  # noqa: N802
            log.append(self.path)
            path, _, query = self.path.partition("?")
            if path == "/robots.txt":
                body, kind = "User-agent: *\nDisallow: /search\n", "text/plain"
            elif path.startswith("/v3.0/"):
                body, kind = record.orcid(path), "application/json"
            elif path == "/graphql":
                body = record.graphql(parse_qs(query).get("query", [""])[0])
                kind = "application/json"
            elif path.startswith("/authors/"):
                body, kind = record.openalex_author(), "application/json"
            elif path == "/works":
                body, kind = record.openalex_works(parse_qs(query)), "application/json"
            elif path.startswith("/graph/v1/author/"):
                body, kind = record.s2_papers(parse_qs(query)), "application/json"
            else:
                self.send_error(404)
                return
            self.reply(body, kind)

    server = localserver.serve(Handler)
    return server, log


def sync(root: Path, env: dict[str, str]) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "scholarsync", "sync", "--json", "--quiet"],
                          cwd=root, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"sync failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    data = json.loads(proc.stdout)
    return elapsed, {s["kind"]: s.get("requests", 0) for s in data.get("sources", [])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=300, help="works of the researcher")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs")
    parser.add_argument("--anonymous", action="store_true",
                        help="no Semantic Scholar key (requests 3 s apart)")
    args = parser.parse_args()
    env = {**os.environ, openalex.KEY_ENV: "bench-openalex-key"}
    env.pop(semanticscholar.KEY_ENV, None)
    if not args.anonymous:
        env[semanticscholar.KEY_ENV] = "bench-s2-key"
    record = Record(args.works)
    server, log = serve(record)
    base = f"http://127.0.0.1:{server.server_port}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "index.md").write_text("# Me\n<!-- scholarsync:begin publications -->\n"
                                       "<!-- scholarsync:end publications -->\n")
        (root / "scholarsync.toml").write_text(f"""[profile]
name = "Vima Gupta"
page = "index.md"

[[sources]]
kind = "orcid"
id = "{ORCID_ID}"
base_url = "{base}"

[[sources]]
kind = "escholarship"
author = "{ORCID_ID}"
base_url = "{base}"

[[sources]]
kind = "openalex"
author = "A5000000001"
base_url = "{base}"

[[sources]]
kind = "semanticscholar"
author = "9000001"
base_url = "{base}"

[network]
delay = 0
""")
        cold, cold_by_source = sync(root, env)
        cold_total = len(log)
        warm_runs = [sync(root, env) for _ in range(args.repeat)]
        warm_total = len(log) - cold_total
        listed = subprocess.run([sys.executable, "-m", "scholarsync", "list"], cwd=root,
                                capture_output=True, text=True).stdout.count("\n")
    server.shutdown()
    need_orcid = 1 + 1 + math.ceil(args.works / orcid.BULK_SIZE)
    need_eschol = 1 + math.ceil(args.works / escholarship_api.PAGE_SIZE)
    need_openalex = 1 + 1 + math.ceil(args.works / openalex.PAGE_SIZE)
    need_s2 = 1 + math.ceil(args.works / semanticscholar.PAGE_SIZE)
    print(f"researcher: {args.works} works on ORCID, eScholarship, OpenAlex and Semantic "
          f"Scholar -> {listed} publications")
    print(f"cold sync: {cold:6.2f} s  {cold_total} requests: orcid {cold_by_source['orcid']} "
          f"(needs {need_orcid} = robots + list + {need_orcid - 2} bulk), escholarship "
          f"{cold_by_source['escholarship']} (needs {need_eschol} = robots + "
          f"{need_eschol - 1} pages)")
    print(f"           openalex {cold_by_source['openalex']} (needs {need_openalex} = robots + "
          f"author + {need_openalex - 2} pages), semanticscholar "
          f"{cold_by_source['semanticscholar']} (needs {need_s2} = robots + {need_s2 - 1} pages"
          f", {'3' if args.anonymous else '1'} s apart)")
    print(f"warm sync: {statistics.median(t for t, _ in warm_runs):6.2f} s  "
          f"{warm_total // args.repeat} requests per run (median of {args.repeat})")


if __name__ == "__main__":
    main()
