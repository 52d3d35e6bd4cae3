"""A local Crossref, DataCite and arXiv for the lookup tests, answering from data.

The answers are SYNTHETIC, written by these tests, modelled on the structure of the recorded
answers in ``../shared/corpus/apis/{crossref,datacite,arxiv}`` (Crossref's ``{"status",
"message-type", "message"}`` work with ``date-parts`` and ``relation``; DataCite's JSON:API
``data.attributes``; arXiv's Atom feed with ``arxiv:`` elements and its error entry for a
malformed id). Unknown DOIs get Crossref's plain-text 404 and DataCite's JSON error; an arXiv
id with no entry gets an empty feed, as the real services answer.
"""

from __future__ import annotations

import html
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from werkzeug import Request, Response

LABEL = "SYNTHETIC answer of scholarsync's tests/lookup_helpers.py"
_ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")


@dataclass
class Work:
    """One work as Crossref (or DataCite) holds it."""

    doi: str
    title: str
    authors: list[tuple[str, str]]  # (given, family)
    year: int
    type: str = "journal-article"
    container: str = ""
    volume: str = ""
    issue: str = ""
    page: str = ""
    publisher: str = "Synthetic Publishers"
    citations: int = 0
    orcids: dict[str, str] = field(default_factory=dict)  # family -> iD
    relation: dict[str, list[str]] = field(default_factory=dict)  # "has-preprint": [DOI]


def crossref_work(work: Work) -> dict[str, Any]:
    """Crossref's ``/works/{doi}`` answer for ``work``."""
    authors = []
    for i, (given, family) in enumerate(work.authors):
        author: dict[str, Any] = {"given": given, "family": family,
                                  "sequence": "first" if i == 0 else "additional",
                                  "affiliation": []}
        if family in work.orcids:
            author["ORCID"] = f"https://orcid.org/{work.orcids[family]}"
            author["authenticated-orcid"] = False
        authors.append(author)
    message: dict[str, Any] = {
        "DOI": work.doi, "type": work.type, "title": [work.title], "author": authors,
        "container-title": [work.container] if work.container else [],
        "publisher": work.publisher, "issued": {"date-parts": [[work.year, 3, 21]]},
        "is-referenced-by-count": work.citations, "URL": f"https://doi.org/{work.doi}",
        "resource": {"primary": {"URL": f"https://publisher.example/{work.doi}"}},
        "relation": {name: [{"id-type": "doi", "id": doi, "asserted-by": "subject"}
                            for doi in dois] for name, dois in work.relation.items()},
        "prefix": work.doi.split("/")[0], "member": "340", "source": "Crossref",
    }
    for key, value in (("volume", work.volume), ("issue", work.issue), ("page", work.page)):
        if value:
            message[key] = value
    return {"status": "ok", "message-type": "work", "message-version": "1.0.0",
            "message": message, "_note": LABEL}


def datacite_doi(work: Work) -> dict[str, Any]:
    """DataCite's ``/dois/{doi}`` answer for ``work``."""
    creators = [{"name": f"{family}, {given}", "nameType": "Personal", "givenName": given,
                 "familyName": family, "affiliation": [], "nameIdentifiers": [
                     {"nameIdentifier": f"https://orcid.org/{work.orcids[family]}",
                      "nameIdentifierScheme": "ORCID"}] if family in work.orcids else []}
                for given, family in work.authors]
    attributes = {"doi": work.doi, "titles": [{"title": work.title}], "creators": creators,
                  "publisher": work.publisher, "publicationYear": work.year,
                  "types": {"resourceTypeGeneral": work.type, "bibtex": "misc"},
                  "container": {}, "relatedIdentifiers": [], "url": f"https://data.example/"
                  f"{work.doi}", "citationCount": work.citations}
    return {"data": {"id": work.doi, "type": "dois", "attributes": attributes},
            "_note": LABEL}


@dataclass
class Preprint:
    """One arXiv entry."""

    id: str  # without version
    title: str
    authors: list[str]  # display names
    published: str = "2023-11-23T10:00:00Z"
    version: int = 1
    doi: str = ""
    journal_ref: str = ""
    primary: str = "cs.LG"
    summary: str = "An abstract."


def arxiv_entry(entry: Preprint) -> str:
    esc = html.escape
    ident = f"{entry.id}v{entry.version}"
    parts = [
        "  <entry>", f"    <id>http://arxiv.org/abs/{ident}</id>",
        f"    <updated>{entry.published}</updated>",
        f"    <published>{entry.published}</published>",
        f"    <title>{esc(entry.title)}</title>", f"    <summary>{esc(entry.summary)}</summary>",
        *[f"    <author>\n      <name>{esc(name)}</name>\n    </author>"
          for name in entry.authors],
    ]
    if entry.doi:
        parts.append(f"    <arxiv:doi>{esc(entry.doi)}</arxiv:doi>")
        parts.append(f'    <link title="doi" href="http://dx.doi.org/{esc(entry.doi)}" '
                     'rel="related"/>')
    if entry.journal_ref:
        parts.append(f"    <arxiv:journal_ref>{esc(entry.journal_ref)}</arxiv:journal_ref>")
    parts += [
        f'    <link href="http://arxiv.org/abs/{ident}" rel="alternate" type="text/html"/>',
        f'    <link title="pdf" href="http://arxiv.org/pdf/{ident}" rel="related" '
        'type="application/pdf"/>',
        f'    <arxiv:primary_category term="{entry.primary}" '
        'scheme="http://arxiv.org/schemas/atom"/>',
        f'    <category term="{entry.primary}" scheme="http://arxiv.org/schemas/atom"/>',
        "  </entry>"]
    return "\n".join(parts)


def arxiv_feed(entries: list[str], total: int | None = None) -> str:
    """An arXiv Atom feed holding ``entries`` (already rendered)."""
    return "\n".join([
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">',
        f"  <!-- {LABEL} -->",
        "  <id>https://arxiv.org/api/synthetic</id>", "  <title>arXiv Query</title>",
        "  <updated>2026-12-06T00:00:00Z</updated>",
        f"  <opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>",
        f"  <opensearch:totalResults>{len(entries) if total is None else total}"
        "</opensearch:totalResults>",
        "  <opensearch:startIndex>0</opensearch:startIndex>", *entries, "</feed>", ""])


def arxiv_error(ident: str) -> str:
    """arXiv's answer (HTTP 400) to a malformed id: a feed with one error entry."""
    return arxiv_feed([
        "  <entry>", f"    <id>https://arxiv.org/api/errors#incorrect_id_format_for_{ident}</id>",
        "    <title>Error</title>", f"    <summary>incorrect id format for {ident}</summary>",
        "    <author>\n      <name>arXiv api core</name>\n    </author>", "  </entry>"])


class Services:
    """One handler for ``/works/{doi}`` (Crossref), ``/dois/{doi}`` (DataCite) and
    ``/api/query`` (arXiv). ``faults`` maps a service name ("crossref", "datacite", "arxiv")
    (or "service:id", one id only) to a mode: "429", "500", "malformed", "slow" (0.6 s:
    longer than the tests' timeout; serve from a threaded server)."""

    def __init__(self) -> None:
        self.crossref: dict[str, Work] = {}
        self.datacite: dict[str, Work] = {}
        self.arxiv: dict[str, Preprint] = {}
        self.faults: dict[str, str] = {}
        self.headers: dict[str, str] = {}  # sent with every Crossref answer (rate limits)
        self.log: list[tuple[float, str, str, dict[str, str]]] = []  # time, service, id, hdrs

    def add(self, *works: Work | Preprint, datacite: bool = False) -> None:
        for work in works:
            if isinstance(work, Preprint):
                self.arxiv[work.id] = work
            elif datacite:
                self.datacite[work.doi.lower()] = work
            else:
                self.crossref[work.doi.lower()] = work

    def requests(self, service: str) -> list[str]:
        return [ident for _, name, ident, _ in self.log if name == service]

    def __call__(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/works/"):
            return self._crossref(request, unquote(path[len("/works/"):]))
        if path.startswith("/dois/"):
            return self._datacite(request, unquote(path[len("/dois/"):]))
        if path == "/api/query":
            return self._arxiv(request)
        return Response("not found", status=404)

    def _fault(self, service: str, ident: str) -> Response | None:
        mode = self.faults.get(f"{service}:{ident}") or self.faults.get(service, "")
        if mode == "429":
            return Response("Too many requests", status=429, headers={"Retry-After": "3600"})
        if mode == "500":
            return Response("server error", status=500)
        if mode == "slow":
            time.sleep(0.6)
        if mode == "malformed":
            kind = "application/atom+xml" if service == "arxiv" else "application/json"
            return Response('{"status": "ok", "message": {"DOI": "10.' if kind.endswith(
                "json") else "<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>",
                content_type=kind)
        return None

    def _note(self, service: str, ident: str, request: Request) -> None:
        self.log.append((time.monotonic(), service, ident, dict(request.headers)))

    def _crossref(self, request: Request, doi: str) -> Response:
        self._note("crossref", doi, request)
        fault = self._fault("crossref", doi.lower())
        if fault is not None:
            return fault
        work = self.crossref.get(doi.lower())
        if work is None:
            return Response("Resource not found.", status=404, content_type="text/plain",
                            headers=self.headers)
        return Response(json.dumps(crossref_work(work)), content_type="application/json",
                        headers=self.headers)

    def _datacite(self, request: Request, doi: str) -> Response:
        self._note("datacite", doi, request)
        fault = self._fault("datacite", doi.lower())
        if fault is not None:
            return fault
        work = self.datacite.get(doi.lower())
        if work is None:
            return Response(json.dumps({"errors": [{"status": "404", "title": "The resource "
                                                    "you are looking for doesn't exist."}]}),
                            status=404, content_type="application/vnd.api+json")
        return Response(json.dumps(datacite_doi(work)),
                        content_type="application/vnd.api+json; charset=utf-8")

    def _arxiv(self, request: Request) -> Response:
        idents = [i for i in request.args.get("id_list", "").split(",") if i]
        self._note("arxiv", ",".join(idents), request)
        fault = self._fault("arxiv", ",".join(idents))
        if fault is not None:
            return fault
        bad = next((i for i in idents if not _ARXIV_ID.match(i)), None)
        if bad is not None:
            return Response(arxiv_error(bad), status=400, content_type="application/atom+xml")
        entries = []
        for ident in idents:
            base = re.sub(r"v\d+$", "", ident)
            found = self.arxiv.get(base)
            if found is not None:
                pinned = re.search(r"v(\d+)$", ident)
                shown = Preprint(**{**found.__dict__, "version": int(pinned.group(1))}) \
                    if pinned else found
                entries.append(arxiv_entry(shown))
        return Response(arxiv_feed(entries), content_type="application/atom+xml; charset=utf-8")
