"""The pipeline end to end: sources -> merge -> library -> pages -> exports, and its outcome."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from scholarsync import outputs as output_registry
from scholarsync import sources as source_registry
from scholarsync.app.exclude import excluded
from scholarsync.app.lint import owner_warning, section_warnings
from scholarsync.app.lookups import run_lookups
from scholarsync.app.reading import Progress, mark_stale, read_all
from scholarsync.app.suggestions import suggestions
from scholarsync.config import Config
from scholarsync.core.library import (
    Library,
    LibraryDiff,
    SourceState,
    collector_paused,
    diff_libraries,
    library_path,
    load_library,
)
from scholarsync.errors import HandEditedError, SectionError
from scholarsync.fileio import (
    ChangedMeanwhileError,
    Digest,
    read_digest,
    write_atomic,
    write_atomic_chunks,
)
from scholarsync.model import Problem, Publication, SourceResult
from scholarsync.outputs.base import FileChange, Output, PlanContext, read_bytes
from scholarsync.outputs.memo import Memos
from scholarsync.sources import rules
from scholarsync.sources.base import SourceContext


@dataclass(frozen=True)
class RunOptions:
    offline: bool = False
    refresh: bool = False
    dry_run: bool = False
    check: bool = False
    force: bool = False
    today: str | None = None  # ISO date; tests pin it


@dataclass
class BuildResult:
    """Merged publications of one run, before anything is written."""

    results: list[SourceResult]
    publications: list[Publication]
    problems: list[Problem]
    library: Library
    last: Library | None
    suggestions: list[dict[str, str]] = field(default_factory=list)  # per .bib entry


@dataclass
class SyncOutcome:
    build: BuildResult
    diff: LibraryDiff
    files: list[FileChange] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    pages_without_markers: list[Path] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)  # "file: section" refused
    section_errors: list[str] = field(default_factory=list)  # malformed markers
    written: list[Path] = field(default_factory=list)
    removal_refused: str = ""  # CONTRACT §10: too many removals, nothing written
    expires: dt.datetime | None = None  # when the first cached page used stops being fresh
    memos: Memos | None = None  # output pieces to remember (saved by write_outputs)

    @property
    def changed_files(self) -> list[FileChange]:
        return [f for f in self.files if f.changed]

    @property
    def failed_sources(self) -> list[SourceResult]:
        return [r for r in self.build.results if r.status in ("failed", "stale")]


def build(config: Config, context: SourceContext, progress: Progress | None = None,
          use_last: bool = True) -> BuildResult:
    """Read every source (the last good data standing in for failures) and merge."""
    from scholarsync.core.merge import merge_records

    last = load_library(config.network.cache_dir) if use_last else None
    results, carried = read_all(config, context, last, progress)
    records = [r for result in results for r in result.records]
    if progress:
        progress(f"merging {len(records)} records")
    merged = merge_records(records, config.matching, rules(), cache=context.records)
    stage = run_lookups(config, context, records, merged, last, progress)
    results, merged = results + stage.results, stage.merged or merged
    carried |= stage.carried
    mark_stale(merged.publications, carried, results)
    publications, unmatched = excluded(config, merged.publications)
    problems = [*source_registry.plugin_problems(), *output_registry.plugin_problems(),
                *(p for r in results for p in r.problems), *merged.problems, *unmatched]
    library = Library(publications, _source_states(results, last))
    return BuildResult(results, publications, problems, library, last,
                       suggestions(publications))


def _source_states(results: list[SourceResult], last: Library | None) -> dict[str, SourceState]:
    states: dict[str, SourceState] = {}
    for result in results:
        previous = last.sources.get(result.kind) if last else None
        if result.status == "failed" or result.status == "stale" and result.stale_records:
            if previous:
                states[result.kind] = previous
            continue
        state = states.setdefault(result.kind, SourceState())
        state.read = max(filter(None, (state.read, result.read_at)), default=None)
        state.complete = state.complete and result.complete
        state.profile.update(result.profile)
    return states


def plan_outputs(config: Config, build_result: BuildResult, force: bool,
                 outcome: SyncOutcome) -> None:
    """Render every managed section and plan every output into ``outcome.files``."""
    with collector_paused():
        _plan_outputs(config, build_result, force, outcome)


def _plan_outputs(config: Config, build_result: BuildResult, force: bool,
                  outcome: SyncOutcome) -> None:
    from scholarsync.outputs.memo import memo_folder

    pubs = build_result.publications
    memos = Memos(memo_folder(config.network.cache_dir), build_result.library)
    _plan_pages(config, pubs, force, outcome, memos)
    owner = owner_warning(config, pubs)
    if owner:
        outcome.problems.append(owner)
    ctx = PlanContext(pubs, build_result.library, config, rules(), force, memos)
    output: Output
    for output in output_registry.configured(config):
        try:
            outcome.files.extend(output.plan(ctx))
        except HandEditedError as exc:  # a folder output still plans its other files
            outcome.edited.append(str(exc))
            outcome.files.extend(getattr(exc, "planned", ()))
    path = library_path(config.network.cache_dir)
    library = build_result.library  # written piece by piece: its bytes are never held whole
    outcome.files.append(FileChange(path, "library", read_digest(path), library.digest(),
                                    chunks=library.byte_chunks))
    memos.settle()
    outcome.memos = memos  # saved once the files are written


def _plan_pages(config: Config, pubs: list[Publication], force: bool,
                outcome: SyncOutcome, memos: Memos | None = None) -> None:
    from scholarsync.outputs.pages.render import Renderer, page_format, resolve_research
    from scholarsync.outputs.pages.sections import plan_page

    if not config.profile.pages:
        return
    renderer = Renderer(config, memos)
    _, research_problems = resolve_research(config, pubs)
    outcome.problems.extend(research_problems)
    for page in config.profile.pages:
        fmt = page_format(page)

        def render(name: str, attrs: dict[str, str], fmt: str = fmt) -> str:
            return renderer.render(name, fmt, pubs, attrs)

        try:
            plan = plan_page(page, render, force=force)
        except HandEditedError as exc:
            outcome.edited.append(str(exc))
            continue
        except SectionError as exc:
            outcome.section_errors.append(str(exc))
            continue
        if plan is None:
            outcome.pages_without_markers.append(page)
            continue
        outcome.files.append(plan)
        outcome.problems.extend(section_warnings(
            page, plan.old if isinstance(plan.old, bytes) else b"", pubs))




def write_outputs(outcome: SyncOutcome) -> None:
    """Write every changed file atomically; the library last (it is the commit point).

    A file that changed on disk since it was planned (an editor saved the page meanwhile) is not
    replaced: ChangedMeanwhileError, and the library is not written, so the next run redoes it.
    """
    ordered = sorted(outcome.files, key=lambda f: f.role == "library")
    for planned in ordered:
        if not planned.changed:
            continue
        if planned.new is None:
            if read_bytes(planned.path) != planned.old:
                raise ChangedMeanwhileError(planned.path)
            with contextlib.suppress(FileNotFoundError):
                planned.path.unlink()
            outcome.written.append(planned.path)
        elif _write(planned):
            outcome.written.append(planned.path)
    if outcome.memos is not None:
        outcome.memos.save()


def _write(planned: FileChange) -> bool:
    """Write one planned file (False: it already held those bytes)."""
    if planned.chunks is not None:  # the library: written in pieces, compared by digest
        assert isinstance(planned.new, Digest) and not isinstance(planned.old, bytes)
        return write_atomic_chunks(planned.path, planned.chunks(), planned.new, planned.old)
    assert isinstance(planned.new, bytes)
    return write_atomic(planned.path, planned.new, expected=planned.old)


def run_sync(config: Config, options: RunOptions, progress: Progress | None = None) -> SyncOutcome:
    """``scholarsync sync``: everything; writes unless dry-run or check."""
    context = SourceContext(config, offline=options.offline, refresh=options.refresh)
    if options.today:
        context.today = options.today
    try:
        result = build(config, context, progress)
        expires = context.expires_at
        context.records.prune()  # every source was read: what was not used is outdated
    finally:
        context.close()
    outcome = SyncOutcome(result, diff_libraries(result.last, result.library), expires=expires)
    plan_outputs(config, result, options.force, outcome)
    if not options.force:
        outcome.removal_refused = removal_guard(outcome.diff, result.last)
    if not (options.dry_run or options.check or outcome.removal_refused):
        write_outputs(outcome)
    return outcome


#: CONTRACT §10: a run that would remove more than this share of the saved library (and at
#: least :data:`GUARD_MIN_REMOVED` works) writes nothing unless ``--force``.
GUARD_SHARE = 0.25
GUARD_MIN_REMOVED = 3


def removal_guard(diff: LibraryDiff, last: Library | None) -> str:
    """Why the run must not write (too many publications would go), or ""."""
    before = last.count() if last else 0
    gone = len(diff.removed)
    if gone < GUARD_MIN_REMOVED or gone <= before * GUARD_SHARE:
        return ""
    return (f"{gone} of the {before} publications would be removed (more than a quarter), so "
            "nothing was written: is a .bib file emptied or cut short, or a source's list "
            "incomplete? Fix the input, or run again with --force to accept the removals")


def run_render(config: Config, force: bool = False) -> SyncOutcome:
    """``scholarsync render``: re-render pages from the saved library (no fetching)."""
    last = load_library(config.network.cache_dir, lazy=False)
    if last is None:
        with SourceContext(config, offline=True) as context:
            result = build(config, context, use_last=False)
    else:
        result = BuildResult([], last.publications, [], last, last)
    outcome = SyncOutcome(result, LibraryDiff(unchanged=len(result.publications)))
    _plan_pages(config, result.publications, force, outcome)
    write_outputs(outcome)
    return outcome


def exit_status(outcome: SyncOutcome, check: bool) -> int:
    """CONTRACT §3: 1 for check-found-changes or hand edits, 3 partial, 2 marker errors."""
    if outcome.edited or outcome.removal_refused:
        return 1
    if check and outcome.changed_files:
        return 1
    if outcome.section_errors:
        return 2
    if outcome.failed_sources:
        return 3
    return 0
