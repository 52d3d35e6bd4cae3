"""Benchmark (not a test): the lookup sources on a site whose .bib has 20 entries with DOIs and
5 arXiv preprints (3 of them published, their DOI known to arXiv).

Serves a synthetic Crossref and arXiv (tests/lookup_helpers.py) from a local server, runs the
real CLI (in process) cold, then warm after an edit of the .bib (so the fast path does not
skip the lookups), and prints the requests each service received beside what is needed:

* Crossref: one per distinct DOI (20 in the .bib + 3 published versions arXiv names);
* arXiv: ceil(ids / 100) requests (one here);
* warm: none.

Then the suggestions of that site's report, as a user sees them.

    python bench/bench_lookups.py
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from click.testing import CliRunner  # noqa: E402
from pytest_httpserver import HTTPServer  # noqa: E402
from tests.lookup_helpers import Preprint, Services, Work  # noqa: E402

from scholarsync.cli import cli  # noqa: E402


def site_bib(services: Services) -> str:
    entries = []
    for n in range(20):
        doi = f"10.5555/bench.{n:02d}"
        title = f"Counting Study Number {n}"
        services.add(Work(doi, title, [("Vima", "Gupta"), ("Ann", "Lee")], 2000 + n,
                          container="Journal of Counting", volume=str(n + 1), issue="2",
                          page=f"{n * 10 + 1}-{n * 10 + 9}", citations=n))
        venue = "  journal = {Journal of Counting},\n" if n % 2 else ""  # half lack a venue
        entries.append(f"@article{{gupta{2000 + n}counting{n},\n  title = {{{title}}},\n"
                       f"  author = {{Gupta, Vima and Lee, Ann}},\n{venue}"
                       f"  year = {{{2000 + n}}},\n  doi = {{{doi}}},\n}}\n")
    for n in range(5):
        ident = f"2401.{n + 1:05d}"
        title = f"A Preprint About Tallies {n}"
        doi = f"10.5555/published.{n}" if n < 3 else ""
        services.add(Preprint(ident, title, ["Vima Gupta"], published="2024-01-05T10:00:00Z",
                              doi=doi))
        if doi:
            services.add(Work(doi, title, [("Vima", "Gupta")], 2025,
                              container="Annals of Tallies", volume="3", page="1-20"))
        entries.append(f"@misc{{gupta2024tallies{n},\n  title = {{{title}}},\n"
                       f"  author = {{Gupta, Vima}},\n  howpublished = {{arXiv preprint "
                       f"arXiv:{ident}}},\n  eprint = {{{ident}}},\n  archiveprefix = {{arXiv}},"
                       f"\n  year = {{2024}},\n}}\n")
    return "\n".join(entries)


def main() -> None:
    services = Services()
    server = HTTPServer(threaded=True)
    server.start()
    try:
        server.expect_request("/robots.txt").respond_with_data("User-agent: *\n")
        server.expect_request(re.compile(r"/(works|dois|api)/.*")).respond_with_handler(services)
        base = server.url_for("/").rstrip("/")
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "refs.bib").write_text(site_bib(services))
            (root / "site").mkdir()
            (root / "site" / "index.md").write_text(
                "<!-- scholarsync:begin publications -->\n<!-- scholarsync:end publications -->\n")
            config = root / "scholarsync.toml"
            config.write_text(
                '[profile]\nname = "Vima Gupta"\npage = "site/index.md"\n\n'
                '[[sources]]\nkind = "bibtex"\npaths = ["refs.bib"]\n\n'
                f'[[sources]]\nkind = "crossref"\nbase_url = "{base}"\n\n'
                f'[[sources]]\nkind = "arxiv"\nbase_url = "{base}"\n\n'
                "[network]\ndelay = 0\n")
            runs = []
            for label in ("cold", "warm"):
                services.log.clear()
                if label == "warm":
                    with (root / "refs.bib").open("a") as bib:
                        bib.write("\n% edited\n")
                start = time.perf_counter()
                result = CliRunner().invoke(cli, ["sync", "--json", "--config", str(config)])
                took = time.perf_counter() - start
                crossref = services.requests("crossref")
                runs.append((label, result.exit_code, len(crossref), len(set(crossref)),
                             len(services.requests("datacite")),
                             [len(i.split(",")) for i in services.requests("arxiv")], took))
                data = json.loads(result.stdout)
            page = (root / "site" / "index.md").read_text()
            text = CliRunner().invoke(cli, ["sync", "--dry-run", "--config", str(config)]).output
    finally:
        server.clear()
        server.stop()
    print("run   exit  crossref(distinct)  datacite  arxiv(ids per request)  seconds")
    for label, code, total, distinct, datacite, arxiv, took in runs:
        print(f"{label:5} {code:4}  {total:8} ({distinct:2})       {datacite:4}      "
              f"{len(arxiv)} {arxiv!s:20} {took:7.2f}")
    print("needed cold: crossref 23 (20 + 3 published), arxiv 1 request of 5 ids; warm: 0")
    filled = sum("Journal of Counting" in line for line in page.splitlines())
    print(f"page: {filled} works show the journal (10 from the .bib, 10 filled by Crossref); "
          f"{page.count('https://doi.org/10.5555/published.')} preprints link their "
          "published DOI")
    print(f"suggestions: {len(data['suggestions'])}")
    print("\n".join(line for line in text.splitlines()
                    if line.startswith(("suggestions", "  gupta", "  …"))))


if __name__ == "__main__":
    main()
