"""``scholarsync inspect``: one page or item through the matching source, as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scholarsync.config import CONFIG_NAME, Config, NetworkConfig, SourceConfig, load_config
from scholarsync.errors import ConfigError
from scholarsync.model import Record
from scholarsync.sources import KINDS
from scholarsync.sources.base import SourceContext


def _config(config_path: str | None) -> Config:
    """The user's config when there is one; else defaults with a cache in the user's folder."""
    if config_path or Path(CONFIG_NAME).is_file():
        return load_config(config_path)
    cache = Path.home() / ".cache" / "scholarsync"
    return Config(path=Path(CONFIG_NAME).resolve(), root=Path.cwd(), sources=(),
                  network=NetworkConfig(cache_dir=cache))


def record_json(record: Record) -> dict[str, Any]:
    """One source's record with the keys of CONTRACT §6 (``citations`` is this source's)."""
    authors = [a.display for a in record.authors]
    if record.authors_truncated:
        authors.append("others")
    data: dict[str, Any] = {
        "key": record.key,
        "type": record.type,
        "title": record.title,
        "authors": authors,
        "year": record.year,
        "venue": record.venue,
        "ids": dict(sorted(record.ids.items())),
        "links": dict(sorted(record.links.items())),
        "sources": [record.source],
        "origin": record.origin.to_dict(),
        "fields": dict(sorted(record.fields.items())),
    }
    if record.citations is not None:
        data["citations"] = {record.source: record.citations}
        data["citations_read"] = record.citations_read
    if record.authors_truncated:
        data["authors_truncated"] = True
    if record.venue_truncated:
        data["venue_truncated"] = True
    if record.extra:
        data["extra"] = dict(sorted(record.extra.items()))
    return data


def inspect_target(target: str, config_path: str | None, offline: bool = False) -> list[
        dict[str, Any]]:
    """Records of ``target`` as JSON-ready dicts (CONTRACT §6 keys where they apply)."""
    config = _config(config_path)
    for name, spec in KINDS.items():
        if not spec.web:
            continue
        source_class = spec.load()
        if not source_class.accepts(target):
            continue
        configured = config.sources_of(name)
        source_config = SourceConfig(
            kind=name, index=configured[0].index if configured else 0,
            options=dict(configured[0].options) if configured else {"items": (target,)},
            base_url=configured[0].base_url if configured else None)
        context = SourceContext(config, offline=offline)
        try:
            records = source_class(source_config, context).inspect(target)
        finally:
            context.close()
        return [record_json(r) for r in records]
    kinds = ", ".join(k for k, s in KINDS.items() if s.web)
    raise ConfigError("inspect", None, f"no source recognizes {target!r} (web sources: {kinds}; "
                      "give an eScholarship item URL or id, or a Scholar profile URL)")
