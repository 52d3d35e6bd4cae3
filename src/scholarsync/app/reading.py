"""Reading every source in isolation, with the last good data standing in for failures."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from scholarsync.config import Config
from scholarsync.core.library import Library
from scholarsync.errors import BlockedError, NotInCacheError, SourceError
from scholarsync.model import Origin, Problem, Publication, Record, SourceResult
from scholarsync.sources import source_class
from scholarsync.sources.base import Source, SourceContext

log = logging.getLogger("scholarsync")

Progress = Callable[[str], None]


def _failure(kind: str, exc: Exception) -> SourceResult:
    if isinstance(exc, BlockedError):
        reason = f"blocked: {exc}"
    elif isinstance(exc, NotInCacheError):
        reason = f"not in the cache: {exc}"
    else:
        reason = str(exc)
    level = "warning" if isinstance(exc, NotInCacheError) else "error"  # not fetched yet
    return SourceResult(kind=kind, status="failed", detail=reason,
                        problems=[Problem(level, reason, source=kind)])


@contextmanager
def time_budget(context: SourceContext, label: str, source: Source) -> Iterator[None]:
    """The source's requests stop once it has spent ``[network] source_budget`` seconds in
    this run (summed over every call with this label); see :meth:`HttpClient.budget`."""
    if context.offline or not source.fetches():  # no network, nothing to bound (and no
        yield                                    # HTTP client made: requests not imported)
        return
    with context.http.budget(label):
        yield


def over_budget(result: SourceResult, context: SourceContext, label: str) -> SourceResult:
    """A source that used up its time budget failed for this run (exit 3, its last good data
    stands in), keeping what it read; its per-request budget messages become one."""
    http = context._http
    if http is None or label not in http.exhausted:
        return result
    seconds = context.config.network.source_budget
    reason = (f"stopped after its time budget of {seconds:g} s ([network] source_budget); "
              "the rest was not read in this run")
    result.problems = [p for p in result.problems if "source_budget" not in p.message]
    result.problems.append(Problem("error", f"{label}: {reason}", source=result.kind))
    result.status = "failed"
    result.complete = False
    result.detail = reason
    return result


def read_source(config: Config, index: int, context: SourceContext) -> SourceResult:
    """Read one configured source; any failure is contained in the result."""
    source_config = config.sources[index]
    kind = source_config.kind
    before = context.requests_made
    try:
        source = source_class(kind)(source_config, context)
        with time_budget(context, source_config.label, source):
            result = source.read()
    except SourceError as exc:
        result = _failure(kind, exc)
    except Exception as exc:  # a bug in one source must not stop the others
        log.debug("source %s crashed", kind, exc_info=True)
        result = _failure(kind, RuntimeError(f"internal error ({type(exc).__name__}: {exc})"))
    over_budget(result, context, source_config.label)
    result.requests = context.requests_made - before  # the client's one counter
    _relative_locations(result, config.root)
    return result


def _relative(location: str | None, root: Path) -> str | None:
    """A local file below the config's folder, as a path relative to it (portable)."""
    if not location or "://" in location or not os.path.isabs(location):
        return location
    try:
        return Path(location).relative_to(root).as_posix()
    except ValueError:
        return location


def _relative_locations(result: SourceResult, root: Path) -> None:
    """Saved libraries and messages name files relative to the config, not this machine.
    (Each location is worked out once: a source's records come from a few files.)"""
    known: dict[str | None, str | None] = {}

    def relative(location: str | None) -> str | None:
        found = known.get(location, known)
        if found is known:
            found = known[location] = _relative(location, root)
        return found  # type: ignore[return-value]

    for record in result.records:
        origin = record.origin
        location = relative(origin.location)
        if location is not None and location != origin.location:
            record.origin = Origin(origin.source, location, origin.line)
    result.problems = [p if p.location == (location := relative(p.location))
                       else dataclasses.replace(p, location=location) for p in result.problems]
    # a message naming another file (a duplicate key's first place) names it the same way
    renamed = sorted(((old, new) for old, new in known.items() if old and new and old != new),
                     key=lambda pair: -len(pair[0]))
    if renamed:
        result.problems = [_renamed(p, renamed) for p in result.problems]


def _renamed(problem: Problem, renamed: list[tuple[str, str]]) -> Problem:
    message = problem.message
    for old, new in renamed:
        if old in message:
            message = message.replace(old, new)
    return problem if message == problem.message else dataclasses.replace(problem, message=message)


def _needs_last_good(result: SourceResult) -> bool:
    """A failed source, a partial listing, or a web source with failed items."""
    if result.status == "failed" or not result.complete:
        return True
    web = source_class(result.kind).web
    return web and any(p.level == "error" for p in result.problems)


def fill_from_last_good(result: SourceResult, last: Library | None) -> list[Record]:
    """Add the saved records this source did not deliver now; return the ones added."""
    if last is None or not _needs_last_good(result):
        return []
    fresh = {r.key for r in result.records}
    carried = [r for r in last.records_of(result.kind) if r.key not in fresh]
    result.records.extend(carried)
    result.stale_records = len(carried)
    state = last.sources.get(result.kind)
    errors = any(p.level == "error" for p in result.problems)
    if result.status != "failed" and carried and errors:  # a page cut short, items that failed
        result.status = "stale"
        since = f" since {state.read}" if state and state.read else ""
        result.detail = (f"{len(carried)} works from the last good data{since}"
                         + (f"; {result.detail}" if result.detail else ""))
    if result.status == "failed":
        result.status = "stale" if carried else "failed"
        if state and state.read:
            result.read_at = state.read
        if carried:
            since = f" since {state.read}" if state and state.read else ""
            result.detail = f"stale{since}: {result.detail}"
    return carried


def read_all(config: Config, context: SourceContext, last: Library | None,
             progress: Progress | None = None) -> tuple[list[SourceResult], set[tuple[str, str]]]:
    """Read every list source; returns the results and the (kind, key) of records carried
    over. Lookup sources run later, on the merged publications."""
    results: list[SourceResult] = []
    carried_keys: set[tuple[str, str]] = set()
    for index, source_config in enumerate(config.sources):
        if source_class(source_config.kind).role != "list":
            continue
        if progress:
            progress(f"reading {source_config.label}")
        result = read_source(config, index, context)
        carried_keys.update((r.source, r.key) for r in fill_from_last_good(result, last))
        results.append(result)
    return results, carried_keys


def mark_stale(publications: list[Publication], carried: set[tuple[str, str]],
               results: list[SourceResult]) -> None:
    """Mark publications whose data from a source is the last good copy, with its date."""
    since = {r.kind: r.read_at or "unknown" for r in results}
    for pub in publications:
        for record in pub.records:
            if (record.source, record.key) in carried:
                pub.stale[record.source] = since.get(record.source, "unknown")
