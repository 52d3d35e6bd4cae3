"""Atomic writes: temp file in the same folder, fsync, rename; only when the bytes change.

New files get the permissions of the user's umask (an existing file keeps its mode); the folder
is fsynced after the rename; temp files that a killed run left behind (our own naming only) are
removed the next time that folder is written to. A file that changed on disk after the run read
it (an editor saving the page meanwhile) is not replaced: :class:`ChangedMeanwhileError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from scholarsync.errors import ScholarsyncError

#: A temp file older than this is a killed run's leftover (runs are serialised by the lock).
STALE_TEMP_SECONDS = 60.0
_TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")  # mkstemp(prefix=".NAME.", suffix=".tmp")
_cleaned: set[Path] = set()
_UNREAD = object()


class ChangedMeanwhileError(ScholarsyncError):
    """The file changed on disk between the run's read and its write; it was left as it is."""

    exit_status = 1

    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"{path} changed while scholarsync was running (saved in an editor?); "
                         "it was left as it is: run again to update it")


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def new_file_mode() -> int:
    """The mode a new file gets from the umask (0644 under the usual 022)."""
    return 0o666 & ~_umask()


def remove_stale_temps(folder: Path, now: float | None = None) -> list[Path]:
    """Delete temp files of our own naming older than :data:`STALE_TEMP_SECONDS`."""
    removed: list[Path] = []
    now = time.time() if now is None else now
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not (name.endswith(".tmp") and _TEMP_NAME.match(name)):
            continue
        path = folder / name
        with contextlib.suppress(OSError):
            if now - path.lstat().st_mtime > STALE_TEMP_SECONDS and path.is_file():
                path.unlink()
                removed.append(path)
    return removed


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Digest:
    """What a large file of the tool's own holds (the saved library), kept as its length and
    SHA-256 rather than a second copy of its bytes; equal to bytes of the same content."""

    __slots__ = ("size", "sha256")

    def __init__(self, size: int, sha256: bytes):
        self.size, self.sha256 = size, sha256

    @classmethod
    def of(cls, data: bytes) -> Digest:
        return cls(len(data), hashlib.sha256(data).digest())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Digest):
            return (self.size, self.sha256) == (other.size, other.sha256)
        if isinstance(other, bytes):
            return len(other) == self.size and hashlib.sha256(other).digest() == self.sha256
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


def read_digest(path: Path) -> Digest | None:
    """The file's :class:`Digest`, read in chunks (never whole), or None when it does not exist."""
    sha, size = hashlib.sha256(), 0
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                sha.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        return None
    return Digest(size, sha.digest())


def write_atomic(path: Path, data: bytes, expected: bytes | None | object = _UNREAD) -> bool:
    """Write ``data`` to ``path`` atomically. Returns False (and writes nothing) when the file
    already holds exactly these bytes.

    ``expected``: the bytes the run read (None: the file did not exist). When the file no longer
    holds them just before the rename, nothing is written and ChangedMeanwhileError is raised.
    (A large file of the tool's own, compared by digest: :func:`write_atomic_chunks`.)
    """
    path = Path(path)
    current = _read_or_none(path)
    if current == data:
        return False
    if expected is not _UNREAD and current != expected:
        raise ChangedMeanwhileError(path)
    del current  # (not held while writing and reading it again)
    _replace(path, [data], lambda: expected is _UNREAD or _read_or_none(path) == expected)
    return True


def write_atomic_chunks(path: Path, chunks: Iterable[bytes], digest: Digest,
                        expected: Digest | None) -> bool:
    """:func:`write_atomic` for a large file of the tool's own, written piece by piece (its
    whole bytes are never held): ``digest`` is the new content's, ``expected`` the one the
    run read (None: the file did not exist); the file on disk is compared by digest."""
    path = Path(path)
    current = read_digest(path)
    if current == digest:
        return False
    if current != expected:
        raise ChangedMeanwhileError(path)
    _replace(path, chunks, lambda: read_digest(path) == expected)
    return True


def write_derived(path: Path, chunks: Iterable[bytes]) -> None:
    """Replace a derived file (a cache entry) by ``chunks``, atomically but without the old
    file read first or the new one synced: a file cut short by a crash is a cache miss."""
    _replace(Path(path), chunks, lambda: True, durable=False)


def _replace(path: Path, chunks: Iterable[bytes], unchanged: Callable[[], bool],
             durable: bool = True) -> None:
    """Write ``chunks`` to a temp file beside ``path`` (fsynced when ``durable``), keep the
    mode, and rename it over ``path`` unless ``unchanged()`` says the file changed meanwhile."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    if folder not in _cleaned:
        _cleaned.add(folder)
        remove_stale_temps(folder)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = new_file_mode()
        os.chmod(tmp, mode)
        if not unchanged():
            raise ChangedMeanwhileError(path)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_folder(folder)


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def write_text_atomic(path: Path, text: str) -> bool:
    """UTF-8 text with LF line endings as given, via :func:`write_atomic`."""
    return write_atomic(path, text.encode("utf-8"))
