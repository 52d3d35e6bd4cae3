"""al-folio's citation-badge data (``[outputs] citations = "_data/citations.yml"``).

The shape al-folio's own updater (``bin/update_scholar_citations.py``) writes and its
``google_scholar_citations`` tag reads::

    metadata:
      last_updated: '2026-12-01'
    papers:
      Yno2pxMAAAAJ:aaaaaaaaaaaC:
        citations: 3
        title: 'Understanding infinity: neural network models'
        year: 2024

A paper's key is ``<scholar user>:<article id>``, the Scholar citation id that the bib layout
builds from ``scholar_userid`` and an entry's ``google_scholar_id``. Every Scholar row the
library holds is listed (a publication Scholar lists twice gives two keys), keys sorted, as
al-folio sorts them. This output names the Scholar source explicitly (its ids and counts): the
badge is Google Scholar's. ``last_updated`` is the day the counts were read from Scholar (the
latest read date among them), not the day of the run: a sync that reads nothing new writes the
same bytes.
"""

from __future__ import annotations

from typing import Any

from scholarsync.model import Publication
from scholarsync.outputs.base import SingleFileOutput
from scholarsync.outputs.data import dump_yaml
from scholarsync.sources.scholar import KIND as SCHOLAR  # the badge is Google Scholar's, by name


def citation_papers(pubs: list[Publication]) -> tuple[dict[str, dict[str, Any]], str | None]:
    """``papers`` keyed by Scholar citation id, and the latest date a count was read."""
    papers: dict[str, dict[str, Any]] = {}
    latest: str | None = None
    for pub in pubs:
        rows = [(r.ids[SCHOLAR], r.citations, r.citations_read) for r in pub.records
                if r.source == SCHOLAR and r.ids.get(SCHOLAR)]
        if not rows and pub.ids.get(SCHOLAR):  # a library saved without its records
            rows = [(pub.ids[SCHOLAR], pub.citations.get(SCHOLAR),
                     pub.citations_read.get(SCHOLAR))]
        for key, count, read in rows:
            if ":" not in key or key in papers:
                continue
            papers[key] = {"citations": count or 0, "title": pub.title, "year": pub.year}
            if read and (latest is None or read > latest):
                latest = read
    return dict(sorted(papers.items())), latest


def citations_document(pubs: list[Publication]) -> dict[str, Any]:
    """The whole file as data: ``metadata`` (``last_updated`` when any count was read) and
    ``papers``."""
    papers, latest = citation_papers(pubs)
    metadata = {"last_updated": latest} if latest else {}
    return {"metadata": metadata, "papers": papers}


class CitationsOutput(SingleFileOutput):
    """``[outputs] citations = "_data/citations.yml"``."""

    key = "citations"

    def render(self, pubs: list[Publication]) -> str:
        return dump_yaml(citations_document(pubs), sort_keys=True)
