"""Lookup sources (Crossref/DataCite by DOI, arXiv by id) in whole syncs through the CLI, in
process, against a local Crossref/DataCite/arXiv (tests/lookup_helpers.py, synthetic): gaps
filled while the user's .bib wins every field, DataCite for a DOI Crossref does not know,
preprints joined to their published version, suggestions in the report, one request per DOI
and per 100 arXiv ids cold and none warm, and every failure costing the lookup source only."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
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
def server() -> Iterator[HTTPServer]:
    """A threaded server: a slow answer holds up nobody else's request."""
    made = HTTPServer(threaded=True)
    made.start()
    yield made
    made.clear()
    made.stop()


@pytest.fixture
def site(tmp_path: Path, server: HTTPServer) -> Site:
    httpserver = server
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


def test_a_preprint_and_its_published_version_are_one_publication(site: Site) -> None:
    result, data = sync(site)
    assert result.exit_code == 0, result.stderr
    pubs = listed(site)
    beyond = pubs["gupta2023beyond"]
    assert len([p for p in pubs.values() if p["title"] == "Learning to Count Beyond Ten"]) == 1
    # the .bib holds the preprint: it stays one (its venue), linked to the published DOI,
    # the arXiv link kept; the published version is listed first among its versions
    assert beyond["venue"] == "arXiv preprint arXiv:2311.15194"
    assert beyond["ids"]["doi"] == "10.5555/beyond.2024"
    assert beyond["links"]["arxiv"] == "https://arxiv.org/abs/2311.15194"
    assert beyond["links"]["doi"] == "https://doi.org/10.5555/beyond.2024"
    assert "https://doi.org/10.5555/beyond.2024" in site.page()
    assert "https://arxiv.org/abs/2311.15194" in site.page()
    library = json.loads((site.root / "cache" / "library.json").read_text())
    (saved,) = [p for p in library["publications"] if p["key"] == "gupta2023beyond"]
    assert [v.get("doi") for v in saved["versions"]][:1] == ["10.5555/beyond.2024"]
    # its fields are not mixed into the preprint entry, and no "year differs" noise
    entry = re.search(r"@misc\{gupta2023beyond,.*?\n\}", site.export(), re.S)
    assert entry is not None and "volume" not in entry.group(0)
    assert "year = {2023}" in entry.group(0)
    assert not [p for p in data["problems"] if "gupta2023beyond" in p]
    # the published DOI was found through arXiv and looked up in the same run
    assert site.services.requests("crossref").count("10.5555/beyond.2024") == 1


def test_a_published_entry_keeps_its_arxiv_version(site: Site) -> None:
    bib = BIB.replace("""@misc{gupta2023beyond,
  title = {Learning to Count Beyond Ten},
  author = {Gupta, Vima and Doe, Jane},
  howpublished = {arXiv preprint arXiv:2311.15194},
  eprint = {2311.15194},
  archiveprefix = {arXiv},
  year = {2023},
}""", """@article{gupta2024beyond,
  title = {Learning to Count Beyond Ten},
  author = {Gupta, Vima and Doe, Jane},
  journal = {Journal of Counting},
  year = {2024},
  doi = {10.5555/beyond.2024},
}""")
    (site.root / "bib" / "refs.bib").write_text(bib)
    site.write_config(arxiv_ids=("2311.15194",))
    result, _ = sync(site)
    assert result.exit_code == 0, result.stderr
    pubs = listed(site)
    assert "gupta2023beyond" not in pubs
    beyond = pubs["gupta2024beyond"]
    assert beyond["venue"] == "Journal of Counting"
    assert beyond["ids"]["arxiv"] == "2311.15194"
    assert beyond["links"]["arxiv"] == "https://arxiv.org/abs/2311.15194"
    assert sorted(beyond["sources"]) == ["arxiv", "bibtex", "crossref"]
    assert len(pubs) == 7


def test_relations_join_a_listed_preprint_to_its_published_version(site: Site) -> None:
    """Crossref's ``has-preprint`` names arXiv's DOI; the preprint's own feed has no DOI."""
    site.services.arxiv["2311.15194"] = Preprint(
        "2311.15194", "Counting Past Ten, an Early Draft", ["Vima Gupta", "Jane Doe"])
    bib = BIB.replace("@misc{gupta2023beyond", "@misc{gupta2023draft").replace(
        "Learning to Count Beyond Ten},\n  author = {Gupta, Vima and Doe, Jane},\n  how",
        "Counting Past Ten, an Early Draft},\n  author = {Gupta, Vima and Doe, Jane},\n  how")
    bib += """
@article{gupta2024beyond,
  title = {Learning to Count Beyond Ten},
  author = {Gupta, Vima and Doe, Jane},
  journal = {Journal of Counting},
  year = {2024},
  doi = {10.5555/beyond.2024},
}
"""
    (site.root / "bib" / "refs.bib").write_text(bib)
    result, _ = sync(site)
    assert result.exit_code == 0, result.stderr
    pubs = listed(site)
    assert "gupta2024beyond" in pubs
    joined = [p for p in pubs.values() if p["ids"].get("arxiv") == "2311.15194"]
    assert len(joined) == 1 and joined[0]["ids"]["doi"] == "10.5555/beyond.2024"


def test_suggestions_in_the_report(site: Site) -> None:
    result, data = sync(site)
    assert result.exit_code == 0
    found = {(s["key"], s["field"]): s for s in data["suggestions"]}
    assert found[("gupta2021counting", "volume")]["value"] == "12"
    assert found[("gupta2021counting", "pages")]["value"] == "101--120"
    assert found[("gupta2021counting", "pages")]["source"] == "crossref"
    assert ("gupta2021counting", "journal") not in found  # the .bib has one: it wins
    assert found[("gupta2022infinity", "booktitle")]["value"] == (
        "Proceedings of the Conference on Synthetic Minds")
    published = found[("gupta2023beyond", "published")]["value"]
    assert "Journal of Counting" in published and "10.5555/beyond.2024" in published
    assert found[("gupta2023beyond", "doi")]["value"] == "10.5555/beyond.2024"
    assert "ActaAstron" in found[("gupta2006old", "published")]["value"]
    assert not [s for s in data["suggestions"] if s["key"] == "gupta2019lost"]
    text = run(site, "sync", "--dry-run").output
    assert "suggestions for your .bib entries" in text
    (line,) = [x for x in text.splitlines() if x.startswith("  gupta2021counting: ")]
    assert "volume = {12} (crossref)" in line and "pages = {101--120} (crossref)" in line
    lines = text[text.index("suggestions for"):].splitlines()
    assert lines[1].startswith("  gupta2006old: published = ")  # published versions first
    assert (site.root / "bib" / "refs.bib").read_text() == BIB


def test_cold_one_request_per_doi_warm_none(site: Site) -> None:
    sync(site)
    crossref = site.services.requests("crossref")
    assert sorted(crossref) == sorted(set(crossref))  # each DOI asked once
    assert len(crossref) == 5  # four in the .bib, one found through arXiv
    assert site.services.requests("datacite") == ["10.5061/dryad.synth",
                                                  "10.5555/never.registered"]
    assert len(site.services.requests("arxiv")) == 1
    # a warm sync (the .bib changed, so every source is read again) sends no lookup
    site.services.log.clear()
    (site.root / "bib" / "refs.bib").write_text(BIB + "\n% edited\n")
    result, data = sync(site)
    assert result.exit_code == 0, result.stderr
    assert site.services.requests("arxiv") == []
    # only the DOI nobody registered is asked again (a 404 is not cached)
    assert site.services.requests("crossref") == ["10.5555/never.registered"]
    status = {s["kind"]: s["status"] for s in data["sources"]}
    assert status == {"bibtex": "fresh", "crossref": "cache", "arxiv": "cache"}
    assert listed(site)["gupta2020data"]["sources"] == ["bibtex", "crossref"]


def test_offline_sync_uses_the_cached_lookups(site: Site) -> None:
    sync(site)
    site.services.log.clear()
    (site.root / "bib" / "refs.bib").write_text(BIB + "\n% edited\n")
    result, data = sync(site, "--offline")
    assert result.exit_code == 0, result.stderr
    assert site.services.log == []
    assert "volume = {12}" in site.export()
    assert listed(site)["gupta2020data"]["sources"] == ["bibtex", "crossref"]


@pytest.mark.parametrize("service, mode", [
    ("crossref", "429"), ("crossref:10.5555/count.2021", "slow"), ("crossref", "500"),
    ("crossref:10.5555/inf.2022", "malformed"), ("arxiv", "429"), ("arxiv", "slow"),
    ("arxiv", "malformed"), ("datacite", "429"),
])
def test_a_failing_lookup_costs_its_source_only(site: Site, service: str, mode: str) -> None:
    result, _ = sync(site)
    assert result.exit_code == 0
    good_export = site.export()
    good_page = site.page()
    site.write_config(timeout=0.3)
    site.services.faults[service] = mode
    (site.root / "bib" / "refs.bib").write_text(BIB + "\n% edited\n")
    result, data = sync(site, "--refresh")
    assert result.exit_code == 3, (result.stderr, data["sources"])
    assert "Traceback" not in result.output
    kind = "arxiv" if service == "arxiv" else "crossref"
    status = {s["kind"]: s["status"] for s in data["sources"]}
    assert status[kind] == "stale"
    assert status["bibtex"] == "fresh"
    other = "arxiv" if kind == "crossref" else "crossref"
    assert status[other] in ("fresh", "cache")
    # the last good lookups are kept: nothing the user saw is lost
    assert site.export() == good_export
    assert site.page() == good_page
    # and nothing bad was cached: the next healthy run is whole again, fresh
    site.services.faults.clear()
    (site.root / "bib" / "refs.bib").write_text(BIB)
    result, data = sync(site)
    if mode == "429" and result.exit_code == 3:  # a lookup that needs the refusing host:
        # the pause its 429 asked for is honoured by the next runs too
        assert "not asked again before" in result.stderr
        assert site.export() == good_export
        result, data = sync(site, "--refresh")  # asks at once
    assert result.exit_code == 0, result.stderr
    assert site.export() == good_export


def test_only_ids_listed_explicitly_add_a_work(site: Site) -> None:
    site.services.add(Preprint("2401.01234", "Counting Sheep, Formally", ["Vima Gupta"]))
    result, data = sync(site)
    assert "Counting Sheep, Formally" not in site.page()  # not in any list source
    site.write_config(arxiv_ids=("https://arxiv.org/abs/2401.01234",))
    result, data = sync(site)
    assert result.exit_code == 0, result.stderr
    assert "Counting Sheep, Formally" in site.page()
    assert data["added"] and len(listed(site)) == 8


def test_inspect_a_doi_and_an_arxiv_id(site: Site) -> None:
    result = run(site, "inspect", "https://doi.org/10.5555/count.2021")
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    assert record["title"] == "Counting with neural networks"
    assert record["ids"]["doi"] == "10.5555/count.2021"
    result = run(site, "inspect", "astro-ph/0601001")
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    assert record["ids"]["arxiv"] == "astro-ph/0601001"


def test_max_age_hours_bounds_a_cached_lookup(site: Site) -> None:
    sync(site)
    config = site.config.read_text().replace('kind = "crossref"\n',
                                             'kind = "crossref"\nmax_age_hours = 0\n')
    site.config.write_text(config)
    site.services.log.clear()
    (site.root / "bib" / "refs.bib").write_text(BIB + "\n% edited\n")
    result, _ = sync(site)
    assert result.exit_code == 0, result.stderr
    # asked again, too old at once; the DataCite DOI goes to DataCite straight
    assert len(site.services.requests("crossref")) == 4
    assert site.services.requests("datacite") == ["10.5061/dryad.synth",
                                                  "10.5555/never.registered"]
    assert site.services.requests("arxiv") == []  # its own default: 30 days


def test_a_429_midway_keeps_what_was_found_before_it(site: Site) -> None:
    """First run, no last good data: the DOIs answered before the 429 still fill gaps."""
    site.services.faults["crossref:10.5555/inf.2022"] = "429"
    result, data = sync(site)
    assert result.exit_code == 3, result.stderr
    status = {s["kind"]: s for s in data["sources"]}
    assert status["crossref"]["status"] == "failed" and "429" in status["crossref"]["detail"]
    assert status["arxiv"]["status"] == "fresh"
    assert "volume = {12}" in site.export()  # 10.5555/count.2021 came before the 429
    assert listed(site)["gupta2022infinity"]["venue"] == ""
    assert "Traceback" not in result.output


def test_a_sync_after_an_edit_rematches_incrementally_with_the_lookups_too(site: Site) -> None:
    """The lookup stage's merges keep matching states of their own (not the sync's: they
    would replace each other), and the result is a cold sync's, byte for byte."""
    import shutil

    sync(site)
    (site.root / "bib" / "refs.bib").write_text(
        BIB + "\n@article{gupta2024added, title = {An Added Work on Counting}, "
        "author = {Gupta, Vima}, year = {2024}}\n")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "scholarsync", "sync", "--verbose", "--config",
                           str(site.config)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("last run's matches reused") >= 2  # the sync's and the stage's
    page, export = site.page(), site.export()
    cache = site.root / "cache"
    shutil.rmtree(cache / "records")
    (cache / "library.json").unlink()
    (cache / "state.json").unlink(missing_ok=True)
    assert run(site, "sync").exit_code == 0
    assert (site.page(), site.export()) == (page, export)
    assert "An Added Work on Counting" in page
