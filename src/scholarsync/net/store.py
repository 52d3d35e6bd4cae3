"""The on-disk HTTP cache: one readable JSON file per canonical URL in ``<cache_dir>/http/``.

Files are requests-cache's JSON form of a :class:`CachedResponse` (its public serializer, body
decoded to readable text where it is text), so caches written by earlier versions still load.
Written atomically and only when the bytes change; a file that does not parse is a miss.
"""

from __future__ import annotations

import logging
from pathlib import Path

from requests_cache.models import CachedResponse
from requests_cache.serializers import SerializerPipeline, init_serializer

from scholarsync.fileio import write_atomic

log = logging.getLogger("scholarsync.net.store")


class JsonStore:
    """``key -> CachedResponse`` as ``<folder>/<key>.json``."""

    def __init__(self, folder: Path):
        self.folder = folder
        serializer = init_serializer("json", decode_content=True)
        assert serializer is not None
        self._serializer: SerializerPipeline = serializer

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def get(self, key: str) -> CachedResponse | None:
        try:
            data = self.path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.debug("unreadable cache entry %s: %s", key, exc)
            return None
        try:
            value = self._serializer.loads(data)
        except Exception:  # a corrupt or foreign file is a cache miss
            log.debug("unparsable cache entry %s", key, exc_info=True)
            return None
        return value if isinstance(value, CachedResponse) else None

    def put(self, key: str, value: CachedResponse) -> None:
        """Store ``value`` (raises OSError when the folder cannot be written)."""
        data = self._serializer.dumps(value)
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path(key), data.encode("utf-8") if isinstance(data, str) else data)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
