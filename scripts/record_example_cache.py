"""Record the example site's cache/ from demo pages served on 127.0.0.1.

The pages are WRITTEN FOR THE DEMO from what is known of the example's works (titles, authors,
venues, volumes, years that are known); nothing unknown is invented: the 2022 poster's title is
marked as not recorded, no abstract is copied, and no citation count is given. Scholar article
ids in the demo profile are made up and labelled as such in the page.

Run from the repository root:  python scripts/record_example_cache.py
It serves the pages locally, syncs the example through them (``base_url`` pointed at the local
server), and leaves cache/http/ keyed by the real URLs, so that ``scholarsync sync --offline``
works on a fresh machine.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

from tests import sitegen  # noqa: E402

from scholarsync.app.sync import RunOptions, run_sync  # noqa: E402
from scholarsync.config import load_config  # noqa: E402

USER = "Yno2pxMAAAAJ"
COGSCI = "Proceedings of the Annual Meeting of the Cognitive Science Society"
GUPTA, VARMA = ("Gupta", "Vima"), ("Varma", "Sashank")

ITEMS = {
    "5cz2v6d5": sitegen.Item(
        "5cz2v6d5",
        'Understanding Infinity: Neural Network Models of Becoming a "Cardinal Principle Knower"',
        [GUPTA, VARMA], 2024, volume="46"),
    "91z2p9h1": sitegen.Item(
        "91z2p9h1", "CogSci 2022 poster (title not recorded in this example)", [GUPTA], 2022,
        volume="44"),
}
ROWS = [
    sitegen.Row("demo0000001C", ITEMS["5cz2v6d5"].title, "V Gupta, S Varma",
                f"{COGSCI} 46", 2024),
    sitegen.Row("demo0000002C", "Understanding the Countably Infinite: Neural Network Models of "
                "the Successor Function and its Acquisition", "V Gupta, S Varma",
                "arXiv preprint arXiv:2311.15194", 2023),
]


class DemoHandler(BaseHTTPRequestHandler):
    """Serves robots.txt, the two item pages and the profile page."""

    robots = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path, _, _ = self.path.partition("?")
        if path == "/robots.txt":
            self._send(self.robots, "text/plain")
        elif path == "/citations":
            page = sitegen.profile_page(USER, "Vima Gupta", ROWS,
                                        affiliation="Georgia Institute of Technology")
            self._send(page, "text/html; charset=utf-8")
        elif path.startswith("/uc/item/") and path[9:] in ITEMS:
            self._send(sitegen.item_page(ITEMS[path[9:]]), "text/html; charset=utf-8")
        else:
            self.send_error(404)

    def _send(self, body: str, content_type: str) -> None:
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", f'"demo-{len(data)}"')
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


def serve(robots: str) -> ThreadingHTTPServer:
    """A local server for one host (each host has its own robots.txt)."""
    handler = type("Handler", (DemoHandler,), {"robots": robots})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    servers = {"escholarship": serve(sitegen.ROBOTS_ESCHOLARSHIP),
               "scholar": serve(sitegen.ROBOTS_SCHOLAR)}
    config = load_config(REPO / "scholarsync.toml")
    local = [dataclasses.replace(s, base_url=f"http://127.0.0.1:{servers[s.kind].server_port}")
             if s.kind in servers else s for s in config.sources]
    network = dataclasses.replace(config.network, delay=0.0)
    config = dataclasses.replace(config, sources=tuple(local), network=network)
    shutil.rmtree(config.network.cache_dir / "http", ignore_errors=True)
    (config.network.cache_dir / "library.json").unlink(missing_ok=True)
    outcome = run_sync(config, RunOptions(refresh=True))
    for server in servers.values():
        server.shutdown()
    for result in outcome.build.results:
        print(f"{result.kind}: {result.status}, {len(result.records)} records, "
              f"{result.requests} requests {result.detail}")
    for problem in outcome.build.problems:
        print(problem)


if __name__ == "__main__":
    main()
