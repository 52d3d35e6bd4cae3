"""The ``jsonld`` section: schema.org JSON-LD that search engines read and nothing can break."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from scholarsync.cli import cli
from scholarsync.config import load_config

HOSTILE = "Counting </script><!-- {{ site.github.token }} {% include x.html %} & more"

BIB = r"""
@article{gupta2023,
  title = {Learning the Successor Function},
  author = {Gupta, Vima and Varma, Sashank},
  journal = {Cognitive Science},
  year = {2023}, month = jul,
  doi = {10.1111/cogs.13000},
  eprint = {2311.15194}, archiveprefix = {arXiv},
  abstract = {Children learn to count.},
  keywords = {number, learning},
}
@inproceedings{gupta2022,
  title = {""" + HOSTILE + r"""},
  author = {Varma, Sashank and Gupta, V.},
  booktitle = {Proceedings of CogSci},
  year = {2022},
}
"""

PAGE = """<!doctype html>
<html><head>
<title>Vima Gupta</title>
<!-- scholarsync:begin jsonld -->
<!-- scholarsync:end jsonld -->
</head><body><p>Hello</p></body></html>
"""

CONFIG = """
[profile]
name = "Vima Gupta"
aliases = ["Gupta, V."]
page = "index.html"

[[sources]]
kind = "bibtex"
paths = ["refs.bib"]
"""

WEB_SOURCES = """
[[sources]]
kind = "orcid"
id = "https://orcid.org/0000-0002-1825-0097"

[[sources]]
kind = "scholar"
user = "Yno2pxMAAAAJ"
"""


def site(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "scholarsync.toml").write_text(CONFIG + extra, encoding="utf-8")
    return tmp_path


def script_json(page: str) -> dict:
    found = re.findall(r'<script type="application/ld\+json">\n(.*?)\n</script>', page, re.S)
    assert len(found) == 1, page
    return json.loads(found[0])


def synced(tmp_path: Path) -> str:
    result = CliRunner().invoke(cli, ["sync", "--offline", "--config",
                                      str(tmp_path / "scholarsync.toml")])
    assert result.exit_code == 0, result.output
    return (tmp_path / "index.html").read_text(encoding="utf-8")


def test_the_page_gets_a_person_and_her_articles(tmp_path: Path) -> None:
    page = synced(site(tmp_path))
    assert "<p>Hello</p>" in page and "<title>Vima Gupta</title>" in page
    doc = script_json(page)
    assert doc["@context"] == "https://schema.org"
    owner, *works = doc["@graph"]
    assert owner == {"@type": "Person", "@id": "#owner", "name": "Vima Gupta",
                     "alternateName": ["Gupta, V."]}
    article = next(w for w in works if w["name"] == "Learning the Successor Function")
    assert article["@type"] == "ScholarlyArticle"
    assert article["datePublished"] == "2023-07"
    assert article["isPartOf"] == {"@type": "Periodical", "name": "Cognitive Science"}
    assert article["identifier"] == {"@type": "PropertyValue", "propertyID": "DOI",
                                     "value": "10.1111/cogs.13000"}
    assert article["url"] == "https://doi.org/10.1111/cogs.13000"
    assert "https://arxiv.org/abs/2311.15194" in article["sameAs"]
    assert article["author"] == [{"@id": "#owner", "name": "Vima Gupta"},
                                 {"@type": "Person", "name": "Sashank Varma"}]
    assert article["abstract"] == "Children learn to count."
    paper = next(w for w in works if w is not article)
    assert paper["author"][1] == {"@id": "#owner", "name": "V. Gupta"}  # an alias: the owner
    assert paper["datePublished"] == "2022"


def test_hostile_titles_cannot_close_the_script_or_reach_liquid(tmp_path: Path) -> None:
    page = synced(site(tmp_path))
    block = page[page.index('<script type="application/ld+json">'):]
    block = block[len('<script type="application/ld+json">'):block.index("</script>")]
    for dangerous in ("</script", "<!--", "{{", "{%", "<", ">"):
        assert dangerous not in block, dangerous
    names = [w["name"] for w in script_json(page)["@graph"][1:]]
    assert any(n.startswith("Counting </script><!") for n in names)


def test_web_data_with_delimiters_round_trips_exactly(tmp_path: Path) -> None:
    """A title as a web source gives it (no BibTeX decoding) comes back from the JSON as is."""
    from scholarsync.model import Person, Publication
    from scholarsync.outputs.pages.jsonld import jsonld_text

    config = load_config(site(tmp_path) / "scholarsync.toml")
    title = HOSTILE + " \u2028 \u007b \ue000  "
    text = jsonld_text([Publication(key="k", title=title, venue="{% raw %}",
                                    authors=[Person(given="A", family="{{B}}")])], config)
    for dangerous in ("</script", "<!--", "{{", "{%", "<", ">", " "):
        assert dangerous not in text, dangerous
    work = json.loads(text)["@graph"][1]
    assert work["name"] == title.replace("\ue000", "")  # a private-use character is dropped
    assert work["author"][0]["name"] == "A {{B}}"


def test_sources_name_the_owners_profile_pages(tmp_path: Path) -> None:
    from scholarsync.outputs.pages.jsonld import jsonld_text

    config = load_config(site(tmp_path, WEB_SOURCES) / "scholarsync.toml")
    owner = json.loads(jsonld_text([], config))["@graph"][0]
    assert owner["sameAs"] == ["https://orcid.org/0000-0002-1825-0097",
                               "https://scholar.google.com/citations?user=Yno2pxMAAAAJ"]


def test_a_second_sync_changes_nothing(tmp_path: Path) -> None:
    first = synced(site(tmp_path))
    assert synced(tmp_path) == first
