"""``scholarsync inspect``: one page or item through the matching source, as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scholarsync import sources as registry
from scholarsync.config import CONFIG_NAME, Config, NetworkConfig, SourceConfig, load_config
from scholarsync.core.merge import single_publication
from scholarsync.errors import NotInCacheError, UsageError
from scholarsync.model import Record
from scholarsync.outputs.json import publication_json
from scholarsync.sources.base import SourceContext


def _config(config_path: str | None) -> Config:
    """The user's config when there is one; else defaults with a cache in the user's folder."""
    if config_path or Path(CONFIG_NAME).is_file():
        return load_config(config_path)
    cache = Path.home() / ".cache" / "scholarsync"
    return Config(path=Path(CONFIG_NAME).resolve(), root=Path.cwd(), sources=(),
                  network=NetworkConfig(cache_dir=cache))


def record_json(record: Record) -> dict[str, Any]:
    """One source's record as the contract JSON (§6; ``citations`` is this source's), with
    where it came from and its BibTeX fields."""
    data = publication_json(single_publication(record))
    data["key"] = record.key
    data["origin"] = record.origin.to_dict()
    data["fields"] = dict(sorted(record.fields.items()))
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
    web = [k for k in registry.kinds() if registry.source_class(k).web]
    for name in web:
        source_class = registry.source_class(name)
        if not source_class.accepts(target):
            continue
        configured = config.sources_of(name)
        source_config = SourceConfig(
            kind=name, index=configured[0].index if configured else 0,
            options=dict(configured[0].options) if configured else {},
            base_url=configured[0].base_url if configured else None)
        with SourceContext(config, offline=offline) as context:
            try:
                records = source_class(source_config, context).inspect(target)
            except NotInCacheError as exc:
                raise UsageError(f"{target}: nothing cached for it and --offline forbids "
                                 f"fetching it ({exc})") from None
        return [record_json(r) for r in records]
    raise UsageError(f"no source recognizes {target!r} (web sources: {', '.join(web)}; give "
                     "an item or profile URL or id of one of them)")
