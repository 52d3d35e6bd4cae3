"""Nothing changed since the last run? Then say so without reading anything again.

After a complete, successful sync the run's inputs and outputs are fingerprinted into
``<cache_dir>/state.json`` together with the moment the first cached page it used stops being
fresh. A later sync whose fingerprint is the same, before that moment (or offline, where pages
never expire), would fetch nothing and write the same bytes: it prints the last summary
instead, without importing the fetch, parse and render stack.

The fingerprint covers: the scholarsync version and code, the config file, every local .bib
file, the HTTP cache files, the template overrides, every page, every output file and the saved
library.
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
from scholarsync.fileio import write_atomic
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
    paths += _files(config.render.templates)
    paths += list(config.profile.pages)
    for output in output_registry.configured(config):
        paths += output.owned_files()
    paths.append(library_path(config.network.cache_dir))
    return paths


def _code_stamp() -> str:
    """The installed code (size and time of every module), so an upgrade runs afresh."""
    package = Path(__file__).parents[1]
    stats = (p.stat() for p in sorted(package.rglob("*.py")) + sorted(package.rglob("*.j2")))
    return ";".join(f"{s.st_size}:{s.st_mtime_ns}" for s in stats)


def fingerprint(config: Config) -> str:
    """A digest of every file that a sync reads or writes (missing files count too)."""
    digest = hashlib.sha256(f"scholarsync {__version__} {_code_stamp()}\n".encode())
    for path in _inputs(config):
        try:
            name = path.relative_to(config.root).as_posix()  # the site may move
        except ValueError:
            name = str(path)
        digest.update(f"{name}\n".encode())
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"<missing>")
    return digest.hexdigest()


def state_path(config: Config) -> Path:
    return config.network.cache_dir / STATE_NAME


def load_state(config: Config) -> dict[str, Any] | None:
    try:
        return json.loads(state_path(config).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def unchanged_summary(config: Config, offline: bool) -> dict[str, Any] | None:
    """The last run's summary when nothing changed since, else None."""
    state = load_state(config)
    if not state or state.get("fingerprint") != fingerprint(config):
        return None
    expires = state.get("expires")
    now = dt.datetime.now(dt.UTC)
    if not offline and expires and dt.datetime.fromisoformat(expires) <= now:
        return None
    summary = state["summary"]
    for source in summary["sources"]:
        source["requests"] = 0
        if source_class(source["kind"]).web:
            source["status"] = "cache"
    summary["note"] = "nothing changed since the last run"
    return summary


def save_state(config: Config, summary: dict[str, Any], expires: dt.datetime | None) -> None:
    """Remember a complete, successful run (its summary as "all unchanged")."""
    quiet = dict(summary)
    quiet["unchanged"] = summary["publications"]
    quiet["added"], quiet["updated"], quiet["removed"] = [], [], []
    quiet["files"] = [{**f, "changed": False} for f in summary["files"]]
    state = {
        "fingerprint": fingerprint(config),
        "expires": expires.replace(microsecond=0).isoformat() if expires else None,
        "summary": quiet,
    }
    text = json.dumps(state, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    write_atomic(state_path(config), text.encode("utf-8"))
