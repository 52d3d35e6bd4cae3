"""Lookup sources (Crossref/DataCite by DOI, arXiv by id) in whole syncs through the CLI, in
process, against a local Crossref/DataCite/arXiv (tests/lookup_helpers.py, synthetic): gaps
filled while the user's .bib wins every field, DataCite for a DOI Crossref does not know,
preprints joined to their published version, suggestions in the report, one request per DOI
and per 100 arXiv ids cold and none warm, and every failure costing the lookup source only."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer

from scholarsync.cli import cli
from tests.lookup_helpers import Preprint, Services, Work

ROBOTS = "User-agent: *\nDisallow: /search\n"
BIB = r"""% my publications
@article{gupta2021counting,
  title = {Counting with Neural Networks},
  author = {Gupta, Vima and Varma, Sashank},
  journal = {Journal of Counting},
  year = {2021},
  doi = {10.5555/count.2021},
}

@inproceedings{gupta2022infinity,
  title = {Understanding Infinity},
  author = {Gupta, Vima},
  year = {2022},
  doi = {https://doi.org/10.5555/INF.2022},
}

@misc{gupta2023beyond,
  title = {Learning to Count Beyond Ten},
  author = {Gupta, Vima and Doe, Jane},
  howpublished = {arXiv preprint arXiv:2311.15194},
  eprint = {2311.15194},
  archiveprefix = {arXiv},
  year = {2023},
}

@misc{gupta2020data,
  title = {Counting Data Set},
  author = {Gupta, Vima},
  year = {2020},
  doi = {10.5061/dryad.synth},
}

@article{gupta2019lost,
  title = {A Paper Nobody Registered},
  author = {Gupta, Vima},
  journal = {Lost Letters},
  year = {2019},
  doi = {10.5555/never.registered},
}

@misc{gupta2006old,
  title = {Hot Jupiters Toward the Bulge},
  author = {Gupta, Vima},
  eprint = {astro-ph/0601001},
  archiveprefix = {arXiv},
  year = {2006},
}

@misc{gupta2021pinned,
  title = {A Pinned Version},
  author = {Gupta, Vima},
  eprint = {2104.12255v1},
  archiveprefix = {arXiv},
  year = {2021},
}
"""
PAGE = """# Vima Gupta

<!-- scholarsync:begin publications -->
<!-- scholarsync:end publications -->
"""
COUNTING = Work("10.5555/count.2021", "Counting with neural networks",
                [("Vima", "Gupta"), ("Sashank", "Varma")], 2021, container="J. Count.",
                volume="12", issue="3", page="101-120", citations=42,
                orcids={"Gupta": "0000-0002-1825-0097"})
INFINITY = Work("10.5555/inf.2022", "Understanding Infinity", [("Vima", "Gupta")], 2022,
                type="proceedings-article",
                container="Proceedings of the Conference on Synthetic Minds", page="7-9")
BEYOND = Work("10.5555/beyond.2024", "Learning to Count Beyond Ten",
              [("Vima", "Gupta"), ("Jane", "Doe")], 2024, container="Journal of Counting",
              volume="15", page="1-30", relation={"has-preprint": ["10.48550/arxiv.2311.15194"]})
DATA = Work("10.5061/dryad.synth", "Counting Data Set", [("Vima", "Gupta")], 2020,
            type="Dataset", publisher="Dryad")
PREPRINTS = [
    Preprint("2311.15194", "Learning to Count Beyond Ten", ["Vima Gupta", "Jane Doe"],
             version=2, doi="10.5555/beyond.2024",
             journal_ref="Journal of Counting 15 (2024) 1-30"),
    Preprint("astro-ph/0601001", "Hot Jupiters Toward the Bulge", ["Vima Gupta"],
             published="2006-01-02T14:57:58Z", primary="astro-ph",
             journal_ref="ActaAstron.56:1-50,2006"),
    Preprint("2104.12255", "A Pinned Version", ["Vima Gupta"], version=3,
             published="2021-04-20T16:07:14Z"),
]


@dataclass
class Site:
    root: Path
    server: HTTPServer
    services: Services

    @property
    def config(self) -> Path:
        return self.root / "scholarsync.toml"

    def write_config(self, *, arxiv_ids: tuple[str, ...] = (), email: str = "",
                     timeout: float = 5) -> None:
        base = self.server.url_for("/").rstrip("/")
        ids = f"ids = [{', '.join(json.dumps(i) for i in arxiv_ids)}]\n" if arxiv_ids else ""
        mail = f'email = "{email}"\n' if email else ""
        self.config.write_text(
            '[profile]\nname = "Vima Gupta"\npage = "site/index.md"\n\n'
            '[[sources]]\nkind = "bibtex"\npaths = ["bib/refs.bib"]\n\n'
            f'[[sources]]\nkind = "crossref"\nbase_url = "{base}"\n\n'
            f'[[sources]]\nkind = "arxiv"\nbase_url = "{base}"\n{ids}\n'
            '[outputs]\nbibtex = "publications.bib"\n\n'
            f"[network]\ndelay = 0\ntimeout = {timeout}\n{mail}")

    def page(self) -> str:
        return (self.root / "site" / "index.md").read_text()

    def export(self) -> str:
        return (self.root / "publications.bib").read_text()


@pytest.fixture
def site(tmp_path: Path, httpserver: HTTPServer) -> Site:
    services = Services()
    services.add(COUNTING, INFINITY, BEYOND, *PREPRINTS)
    services.add(DATA, datacite=True)
    httpserver.expect_request("/robots.txt").respond_with_data(ROBOTS, content_type="text/plain")
    httpserver.expect_request(re.compile(r"/(works|dois|api)/.*")).respond_with_handler(services)
    (tmp_path / "bib").mkdir()
    (tmp_path / "bib" / "refs.bib").write_text(BIB)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.md").write_text(PAGE)
    made = Site(tmp_path, httpserver, services)
    made.write_config()
    return made


def run(site: Site, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--config", str(site.config)])


def sync(site: Site, *args: str) -> tuple[Result, dict]:
    result = run(site, "sync", "--json", *args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result, json.loads(result.stdout)


def by_key(data: dict) -> dict:
    return {p["key"]: p for p in data}


def listed(site: Site) -> dict:
    result = run(site, "list", "--json")
    assert result.exit_code == 0, result.output
    return by_key(json.loads(result.stdout))


def test_cold_sync_fills_gaps_and_the_bib_wins(site: Site) -> None:
    result, data = sync(site)
    assert result.exit_code == 0, result.stderr
    pubs = listed(site)
    counting = pubs["gupta2021counting"]
    # the .bib's own title and journal win; Crossref fills volume and pages it lacks
    assert counting["title"] == "Counting with Neural Networks"
    assert counting["venue"] == "Journal of Counting"
    assert "crossref" in counting["sources"]
    entry = re.search(r"@article\{gupta2021counting,.*?\n\}", site.export(), re.S)
    assert entry is not None
    assert "volume = {12}" in entry.group(0) and "pages = {101--120}" in entry.group(0)
    assert "journal = {Journal of Counting}" in entry.group(0)
    assert "J. Count." not in site.export()
    # a venue the .bib lacks comes from Crossref and reaches the page
    assert pubs["gupta2022infinity"]["venue"] == "Proceedings of the Conference on Synthetic Minds"
    assert "Proceedings of the Conference on Synthetic Minds" in site.page()
    # the .bib file itself is never touched
    assert (site.root / "bib" / "refs.bib").read_text() == BIB
