"""The commands as use cases: each takes a config and options and returns what to print and the
exit status. The CLI only parses arguments, calls one of these, prints and exits.

The run lock, the nothing-changed fast path and the one outcome -> exit status mapping live
here (and in :mod:`scholarsync.app.sync`), never in the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scholarsync.app import unchanged
from scholarsync.app.lock import RunLock
from scholarsync.app.progress import progress_reporter
from scholarsync.app.sync import (
    RunOptions,
    SyncOutcome,
    build,
    exit_status,
    run_render,
    run_sync,
)
from scholarsync.config import Config
from scholarsync.fileio import write_atomic
from scholarsync.model import Problem, Publication
from scholarsync.sources.base import SourceContext


@dataclass
class SyncRun:
    """What ``scholarsync sync`` did: its report data, the full outcome (None when the fast
    path answered or another run holds the lock) and the exit status."""

    summary: dict[str, Any] = field(default_factory=dict)
    outcome: SyncOutcome | None = None
    status: int = 0
    locked_by: Path | None = None  # the lock file of another running sync

    @property
    def out_of_date(self) -> list[Path]:
        """Files a ``--check`` found out of date."""
        if self.outcome is None or self.status != 1:
            return []
        return [f.path for f in self.outcome.changed_files]


def sync(config: Config, options: RunOptions, *, show_progress: bool = True) -> SyncRun:
    """``scholarsync sync``: one run at a time; nothing read again when nothing changed."""
    from scholarsync.app.report import summary

    with RunLock(config.network.cache_dir) as lock:
        if not lock.acquired:
            return SyncRun(locked_by=lock.path)
        if not (options.refresh or options.force):
            last = unchanged.unchanged_summary(config, options.offline)
            if last is not None:
                return SyncRun(last[0], status=last[1])
        with progress_reporter(enabled=show_progress) as progress:
            outcome = run_sync(config, options, progress)
        data = summary(outcome, config.root)
        status = exit_status(outcome, options.check)
        if not (options.dry_run or options.check):
            if status == 0:
                unchanged.save_state(config, data, outcome.expires)
            elif status == 3 and not options.offline:
                until = unchanged.blocked_until(config, data, outcome.expires)
                if until is not None:
                    unchanged.save_state(config, data, until, status=3)
        return SyncRun(data, outcome, status)


def render(config: Config, force: bool = False) -> tuple[SyncOutcome, int]:
    """``scholarsync render``: the managed sections again, from the saved library."""
    outcome = run_render(config, force=force)
    return outcome, exit_status(outcome, check=False)


def offline_publications(config: Config) -> tuple[list[Publication], list[Problem]]:
    """Publications from .bib files afresh and web sources from the cache (as ``--offline``);
    what ``list`` and ``export`` show."""
    with SourceContext(config, offline=True) as context:
        result = build(config, context)
    return result.publications, result.problems


EXPORT_FORMATS = ("bibtex", "csl-json", "json")


def export_text(pubs: list[Publication], fmt: str) -> str:
    """The merged library in one of :data:`EXPORT_FORMATS`."""
    from scholarsync.outputs.bibtex import to_bibtex
    from scholarsync.outputs.csl_json import to_csl_json
    from scholarsync.outputs.json import to_json

    writers = {"bibtex": to_bibtex, "csl-json": to_csl_json, "json": to_json}
    return writers[fmt](pubs)


def export(config: Config, fmt: str, output: Path | None) -> tuple[str, list[Problem], int]:
    """``scholarsync export``: the text (written to ``output`` when given), problems, count."""
    pubs, problems = offline_publications(config)
    text = export_text(pubs, fmt)
    if output is not None:
        write_atomic(output, text.encode("utf-8"))
    return text, problems, len(pubs)
