"""Nothing changed since the last run? Then say so without reading anything again.

After a complete, successful sync the run's inputs and outputs are fingerprinted into
``<cache_dir>/state.json`` together with the moment the first cached page it used stops being
fresh. A later sync whose fingerprint is the same, before that moment (or offline, where pages
never expire), would fetch nothing and write the same bytes: it prints the last summary
instead, without importing the fetch, parse and render stack.

A run whose only failures are blocks remembered for the next runs (:mod:`scholarsync.net.
blockmemo`) is kept too, with its exit status 3, until the first of those pauses ends: a
weekly CI run that always meets a blocked Scholar still takes the fast path (online only).

The fingerprint covers: the scholarsync version and code, the config file, every local .bib
file, the HTTP cache files, the remembered blocks, the template overrides, every page, every
output file and the saved library.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from scholarsync import __version__
from scholarsync import outputs as output_registry
from scholarsync.config import Config
from scholarsync.core.library import library_path
from scholarsync.fileio import read_digest, write_atomic
from scholarsync.net import blockmemo
from scholarsync.recordcache import code_stamp
from scholarsync.sources import source_class

STATE_NAME = "state.json"


def _files(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _inputs(config: Config) -> list[Path]:
    paths = [config.path]
    for source in config.sources:  # local files a source reads (its ``paths``)
        paths += [Path(p) for p in source.options.get("paths", ()) if "://" not in p]
        if source.options.get("path"):
            folder = Path(source.options["path"])
            paths += _files(folder) if folder.is_dir() else [folder]
    paths += _files(config.network.cache_dir / "http")
    paths.append(config.network.cache_dir / blockmemo.FILE_NAME)
    paths += _files(config.render.templates)
    paths += list(config.profile.pages)
    for output in output_registry.configured(config):
        paths += output.owned_files()
    paths.append(library_path(config.network.cache_dir))
    return paths


def fingerprint(config: Config) -> str:
    """A digest of every file that a sync reads or writes (missing files count too)."""
    code = code_stamp(("*.py", "*.j2"))  # an upgrade, or an edited template, runs afresh
    digest = hashlib.sha256(f"scholarsync {__version__} {code}\n".encode())
    for path in _inputs(config):
        try:
            name = path.relative_to(config.root).as_posix()  # the site may move
        except ValueError:
            name = str(path)
        digest.update(f"{name}\n".encode())
        try:
            found = read_digest(path)  # in chunks: a 34 MB library is never read whole
        except OSError:
            found = None
        digest.update(found.sha256 if found is not None else b"<missing>")
    return digest.hexdigest()


def state_path(config: Config) -> Path:
    return config.network.cache_dir / STATE_NAME


def load_state(config: Config) -> dict[str, Any] | None:
    try:
        return json.loads(state_path(config).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def unchanged_summary(config: Config, offline: bool) -> tuple[dict[str, Any], int] | None:
    """The last run's summary and exit status when nothing changed since, else None."""
    state = load_state(config)
    if not state or state.get("fingerprint") != fingerprint(config):
        return None
    status = int(state.get("status", 0))
    if status and offline:  # its failures were blocks met online
        return None
    expires = state.get("expires")
    now = dt.datetime.now(dt.UTC)
    if not offline and expires and dt.datetime.fromisoformat(expires) <= now:
        return None
    summary = state["summary"]
    for source in summary["sources"]:
        source["requests"] = 0
        if source_class(source["kind"]).web and source["status"] != "failed":
            source["status"] = "cache"
    summary["note"] = "nothing changed since the last run"
    if status and expires:
        when = blockmemo.shown(dt.datetime.fromisoformat(expires))
        summary["note"] += (", and the blocked sources are not asked again before "
                            f"{when} (sync --refresh asks now)")
    return summary, status


def blocked_until(config: Config, summary: dict[str, Any],
                  expires: dt.datetime | None) -> dt.datetime | None:
    """When a run that failed only through blocks remembered for the next runs stops being
    repeatable (the first pause to end, or ``expires`` if sooner); None when it must not be
    kept (another failure, or no block remembered)."""
    failed = [s for s in summary["sources"] if s["status"] == "failed"]
    if not failed or not all(str(s["detail"]).startswith("blocked:") for s in failed):
        return None
    pauses = [r.until for r in blockmemo.BlockMemory(config.network.cache_dir).active().values()]
    if not pauses:
        return None
    return min([*pauses, expires] if expires else pauses)


def save_state(config: Config, summary: dict[str, Any], expires: dt.datetime | None,
               status: int = 0) -> None:
    """Remember a complete run (its summary as "all unchanged", its exit status)."""
    quiet = dict(summary)
    quiet["unchanged"] = summary["publications"]
    quiet["added"], quiet["updated"], quiet["removed"] = [], [], []
    quiet["files"] = [{**f, "changed": False} for f in summary["files"]]
    state = {
        "fingerprint": fingerprint(config),
        "expires": expires.replace(microsecond=0).isoformat() if expires else None,
        "status": status,
        "summary": quiet,
    }
    text = json.dumps(state, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    write_atomic(state_path(config), text.encode("utf-8"))
