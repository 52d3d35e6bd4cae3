"""The JSON of CONTRACT §6 (``[outputs] json``, ``list --json``, ``export --format json``):
the one function that turns a publication into its contract object."""

from __future__ import annotations

import json
from typing import Any

from scholarsync.model import Publication
from scholarsync.outputs.base import SingleFileOutput
from scholarsync.outputs.memo import Memos, rules_fingerprint
from scholarsync.sources import rules


def publication_json(pub: Publication) -> dict[str, Any]:
    """One publication as the JSON object of CONTRACT §6 (plus aliases and read dates)."""
    authors = [p.display for p in pub.authors if not p.is_others]
    if pub.authors_truncated:
        authors.append("others")
    listed = rules().listed
    ids: dict[str, str | None] = {name: pub.ids.get(name) for name in listed}
    ids.update(sorted((k, v) for k, v in pub.ids.items() if k not in listed))
    return {
        "key": pub.key,
        "type": pub.type,
        "title": pub.title,
        "authors": authors,
        "year": pub.year,
        "venue": pub.venue,
        "ids": ids,
        "links": dict(sorted(pub.links.items())),
        "citations": dict(sorted(pub.citations.items())),
        "citations_read": dict(sorted(pub.citations_read.items())),
        "sources": list(pub.sources),
        "aliases": list(pub.aliases),
    }


def to_json(pubs: list[Publication], memos: Memos | None = None) -> str:
    """A JSON array of :func:`publication_json` objects (each read back from ``memos`` when
    that publication's content was written before)."""
    if memos is None:
        return dump_json([publication_json(p) for p in pubs])
    table = memos.table("json item", rules_fingerprint(rules()))
    return dump_json_items(table.get_many(
        pubs, lambda idx: [json_item(publication_json(pubs[i])) for i in idx]))


def dump_json(data: Any) -> str:
    """Indented, Unicode kept, one trailing newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def json_item(data: Any) -> str:
    """``data`` as an element of the array :func:`dump_json` writes (one level in)."""
    return json.dumps(data, indent=2, ensure_ascii=False).replace("\n", "\n  ")


def dump_json_items(items: list[str]) -> str:
    """:func:`dump_json` of a list, from its elements' :func:`json_item` texts."""
    return "[\n  " + ",\n  ".join(items) + "\n]\n" if items else "[]\n"


class JsonOutput(SingleFileOutput):
    """``[outputs] json = "publications.json"``."""

    key = "json"

    def render(self, pubs: list[Publication]) -> str:
        return to_json(pubs)

    def render_with(self, pubs: list[Publication], memos: Memos | None) -> str:
        return to_json(pubs, memos)
