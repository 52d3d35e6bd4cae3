"""Typed errors. The CLI turns each into one clear line and an exit status."""

from __future__ import annotations

import errno


class ScholarsyncError(Exception):
    """Base class of every expected failure (never shown as a traceback)."""

    exit_status = 1


class ConfigError(ScholarsyncError):
    """The configuration is invalid: names the file, the key and what would be valid."""

    exit_status = 2

    def __init__(self, file: str, key: str | None, message: str, line: int | None = None):
        self.file = file
        self.key = key
        self.line = line
        where = file if line is None else f"{file}:{line}"
        head = f"{where}: " + (f"[{key}] " if key else "")
        super().__init__(head + message)


class UsageError(ScholarsyncError):
    """A command was given something it cannot use (an unknown id, nothing cached offline)."""

    exit_status = 2


class SourceError(ScholarsyncError):
    """One source (or one item of it) could not be read; other sources go on."""

    exit_status = 3

    def __init__(self, message: str, url: str | None = None):
        self.url = url
        super().__init__(message)


class NetworkError(SourceError):
    """Connection refused, timeout, 5xx after retries, redirect loop, oversized body."""


class BudgetExceededError(NetworkError):
    """A source used up its time budget (``[network] source_budget``); the rest of it is not
    read in this run."""


class NotInCacheError(SourceError):
    """Offline mode and the page was never cached."""


class BlockedError(SourceError):
    """The site refused us (CAPTCHA, /sorry/, 429, WAF, sign-in wall). Never retried."""

    host_wide = True  # no further request goes to that host in this run


class DisallowedError(SourceError):
    """robots.txt forbids the URL; it was not fetched."""


class ParseError(SourceError):
    """A page or file did not have the expected structure."""


class SectionError(ScholarsyncError):
    """Malformed managed-section markers in a page; nothing is written to it."""

    exit_status = 2


class HandEditedError(ScholarsyncError):
    """A managed section was edited by hand since the tool wrote it (use --force)."""

    exit_status = 1


_OS_CAUSES = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the disk",
    errno.EDQUOT: "disk quota exceeded",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOTDIR: "a part of this path is a file, not a folder",
    errno.ENOENT: "no such file or folder",
    errno.EEXIST: "already exists",
}


def os_problem(exc: OSError) -> str:
    """One line naming the path and the cause of an operating-system error; nothing was lost
    (every write goes through a temp file and a rename)."""
    cause = _OS_CAUSES.get(exc.errno or 0) or exc.strerror or type(exc).__name__
    paths = [str(p) for p in (exc.filename, exc.filename2) if p]
    where = " -> ".join(paths) if paths else "a file"
    return f"{where}: {cause}; nothing was changed there (check the path and its permissions)"
