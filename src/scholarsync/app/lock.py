"""One sync at a time per cache folder. The OS releases the lock when a run dies."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

LOCK_NAME = "sync.lock"


class RunLock:
    """Non-blocking lock in the cache folder; ``acquired`` is False when another run holds it.

    filelock uses ``fcntl.flock`` on POSIX, so a run that was killed leaves no lock behind.
    """

    def __init__(self, cache_dir: Path):
        self.path = Path(cache_dir) / LOCK_NAME
        self._lock = FileLock(str(self.path), timeout=0)
        self.acquired = False

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
            self.acquired = True
        except Timeout:
            self.acquired = False
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.acquired:
            self._lock.release()
            self.acquired = False
