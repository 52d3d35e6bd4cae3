"""Benchmark (not a test): wall time of `scholarsync sync` when every web source drips.

A site with a .bib file, an eScholarship item and a Scholar profile is synced once from good
pages, then with ``--refresh`` against a server that answers every page one byte per second
(robots.txt stays quick). Prints the wall time of that run, its exit status and its messages.
Before issue 9 such a run had no bound (``timeout`` is per socket read); now each request ends
at 1.25 x ``timeout`` and each source at ``[network] source_budget``.

    python bench/bench_hostile.py [--timeout 3] [--interval 1.0] [--budget 600]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests import sitegen  # noqa: E402
from tests.e2e import BIB, ITEM, PAGE, PROFILE_PATH, ROWS, USER  # noqa: E402
from tests.hostile import answer, drip_body, hostile  # noqa: E402


def good(conn, target: str) -> None:
    if target.startswith("/robots.txt"):
        answer(conn, body=(sitegen.ROBOTS_SCHOLAR + sitegen.ROBOTS_ESCHOLARSHIP).encode(),
               content_type="text/plain")
    elif target.startswith(PROFILE_PATH):
        answer(conn, body=sitegen.profile_page(USER, "Vima Gupta", ROWS).encode())
    elif target.startswith("/graphql"):
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(target).query).get("query", [""])[0]
        answer(conn, body=sitegen.graphql_answer(query, {ITEM.id: ITEM}).encode(),
               content_type="application/json")
    else:
        answer(conn, body=sitegen.item_page(ITEM).encode())


def run(root: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "scholarsync", "sync", *args], cwd=root,
                          capture_output=True, text=True, env=env, timeout=3600)
    return time.monotonic() - started, proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=3.0)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--budget", type=float, default=600.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, hostile() as server:
        root = Path(tmp)
        (root / "bib").mkdir()
        (root / "bib" / "mine.bib").write_text(BIB)
        (root / "site").mkdir()
        (root / "site" / "index.md").write_text(PAGE)
        network = f"delay = 0\ntimeout = {args.timeout:g}\nsource_budget = {args.budget:g}\n"
        (root / "scholarsync.toml").write_text(sitegen.config_toml(
            server.url, items=[ITEM.id], user=USER, page="site/index.md", bibtex=True,
            network=network))
        for path in ("/robots.txt", PROFILE_PATH, "/graphql", f"/uc/item/{ITEM.id}"):
            server.routes[path] = good
        cold, proc = run(root)
        print(f"good run: {cold:.1f} s, exit {proc.returncode}")
        for path in (PROFILE_PATH, "/graphql", f"/uc/item/{ITEM.id}"):
            server.routes[path] = drip_body(args.interval)
        asked = len(server.paths())
        wall, proc = run(root, "--refresh")
        print(f"every web source dripping 1 byte / {args.interval:g} s, timeout = "
              f"{args.timeout:g}: {wall:.1f} s wall, exit {proc.returncode}, "
              f"{len(server.paths()) - asked} page requests")
        for name, text in (("stdout", proc.stdout), ("stderr", proc.stderr)):
            for line in text.splitlines():
                print(f"  {name}:", re.sub(r"\s+", " ", line)[:200])


if __name__ == "__main__":
    main()
