"""Suggestions for the user's own ``.bib`` entries (CONTRACT §8), listed by the sync report.

For each entry of the user's files (a user-owned record): the published version of a
preprint that another source knows (venue, year, DOI), and the DOI, venue, volume and pages
that another source knows and the entry lacks. ``sync`` only lists them; ``scholarsync add``
or a hand edit applies them. Values are in BibTeX form, ready to paste.
"""

from __future__ import annotations

from scholarsync.core.merge import is_preprint
from scholarsync.core.normalize import normalize_doi
from scholarsync.model import Publication, Record
from scholarsync.sources import rules

_VENUES = ("journal", "booktitle")
_GAPS = ("volume", "pages")


def _doi(record: Record) -> str | None:
    doi = normalize_doi(record.ids.get("doi") or record.fields.get("doi"))
    return None if doi is None or doi.startswith("10.48550/") else doi


def _published(others: list[Record]) -> tuple[Record, str] | None:
    """The published version among other sources' records, and how to name it."""
    for record in others:
        if is_preprint(record) or not _doi(record) or not record.venue:
            continue
        parts = [record.venue, str(record.year) if record.year else "", f"doi:{_doi(record)}"]
        return record, ", ".join(p for p in parts if p)
    for record in others:
        ref = record.extra.get("journal_ref")
        if isinstance(ref, str) and ref:
            doi = record.extra.get("published_doi")
            return record, ref + (f", doi:{doi}" if doi else "")
    return None


def entry_suggestions(pub: Publication) -> list[dict[str, str]]:
    """What other sources know that the work's first ``.bib`` entry lacks."""
    the_rules = rules()
    owned = [r for r in pub.records if the_rules.is_user_owned(r.source)]
    if not owned:
        return []
    entry = owned[0]
    others = sorted((r for r in pub.records if not the_rules.is_user_owned(r.source)),
                    key=lambda r: (the_rules.rank(r.source), r.source, r.key))
    found: list[dict[str, str]] = []

    def add(name: str, value: str, record: Record) -> None:
        if value and not any(s["field"] == name for s in found):
            found.append({"key": entry.key, "field": name, "value": value,
                          "source": record.source})

    preprint = is_preprint(entry)
    if preprint:
        published = _published(others)
        if published is not None:
            add("published", published[1], published[0])
    if not _doi(entry):
        for record in others:
            doi = _doi(record)
            if doi and (not preprint or not is_preprint(record)):
                add("doi", doi, record)
                break
    has_venue = any(entry.fields.get(n) for n in _VENUES)
    for record in others:
        if preprint and is_preprint(record):
            continue
        if not has_venue and not preprint:
            for name in _VENUES:
                if record.fields.get(name) and not record.venue_truncated:
                    add(name, record.fields[name], record)
        if not preprint:
            for name in _GAPS:
                if not entry.fields.get(name) and record.fields.get(name):
                    add(name, record.fields[name], record)
    return found


def suggestions(pubs: list[Publication]) -> list[dict[str, str]]:
    """Suggestions for every ``.bib`` entry: published versions first, then DOIs, then the
    other fields; by key within each."""
    found = [s for pub in pubs for s in entry_suggestions(pub)]
    first = {"published": 0, "doi": 1}  # a published version matters most, then a DOI
    return sorted(found, key=lambda s: (first.get(s["field"], 2), s["key"], s["field"]))
