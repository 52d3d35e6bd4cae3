"""Blocks remembered between runs: a host that refused us (CAPTCHA, WAF, 429) is not asked
again until its pause is over, so a scheduled run that keeps meeting a block stops knocking.

Kept in ``<cache_dir>/blocks.json`` (safe to delete: it only makes the next run ask again).
A pause lasts what the host asked for (``Retry-After``), else :data:`PAUSE_429` after a 429
and :data:`PAUSE_BLOCK` after any other block, never more than :data:`PAUSE_MAX`.
``sync --refresh`` asks at once, and a host that answers again is forgotten.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from scholarsync.fileio import write_atomic

log = logging.getLogger(__name__)

FILE_NAME = "blocks.json"
PAUSE_429 = dt.timedelta(hours=1)
PAUSE_BLOCK = dt.timedelta(hours=12)
PAUSE_MAX = dt.timedelta(days=7)


@dataclass(frozen=True)
class Remembered:
    """One host's block: why, when it happened, and when it may be asked again."""

    reason: str
    since: dt.datetime
    until: dt.datetime

    def describe(self) -> str:
        return (f"{self.reason}, at {shown(self.since)}; not asked again before "
                f"{shown(self.until)} (sync --refresh asks now)")


def pause_for(reason: str, retry_after: float | None) -> dt.timedelta:
    """How long a host that refused us for ``reason`` is left alone."""
    if retry_after is not None and retry_after > 0:
        return min(dt.timedelta(seconds=retry_after), PAUSE_MAX)
    return PAUSE_429 if "429" in reason else PAUSE_BLOCK


class BlockMemory:
    """The hosts blocked in earlier runs whose pause is not over (see the module docstring)."""

    def __init__(self, cache_dir: Path, now: dt.datetime | None = None):
        self.path = Path(cache_dir) / FILE_NAME
        self.now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
        self._hosts = self._load()
        self._changed = False

    def active(self) -> dict[str, Remembered]:
        """Hosts still paused now."""
        return {h: r for h, r in self._hosts.items() if r.until > self.now}

    def remember(self, host: str, reason: str, retry_after: float | None = None) -> None:
        self._hosts[host] = Remembered(reason, self.now, self.now + pause_for(reason, retry_after))
        self._changed = True

    def forget(self, host: str) -> None:
        if self._hosts.pop(host, None) is not None:
            self._changed = True

    def save(self) -> None:
        """Write the file when it changed (expired entries dropped); a failure only warns."""
        live = self.active()
        if not self._changed and len(live) == len(self._hosts):
            return
        data = {host: {"reason": r.reason, "since": r.since.isoformat(),
                       "until": r.until.isoformat()} for host, r in sorted(live.items())}
        try:
            if data or self.path.exists():
                write_atomic(self.path, (json.dumps(data, indent=1) + "\n").encode())
        except OSError as exc:
            log.warning("could not remember blocked hosts in %s: %s", self.path, exc)

    def _load(self) -> dict[str, Remembered]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(host): Remembered(str(v["reason"]), _when(v["since"]), _when(v["until"]))
                    for host, v in data.items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("ignoring %s (%s): blocked hosts are asked again", self.path, exc)
            return {}


def _when(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def shown(when: dt.datetime) -> str:
    """``when`` as people read it in a report: ``2026-12-08 01:37 UTC``."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
