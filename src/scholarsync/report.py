"""The change report printed after a run: plain text for people, JSON for machines."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from scholarsync.model import Publication, SourceResult
from scholarsync.sync import PlannedFile, SyncOutcome

_STATUS = {"fresh": "fresh", "cache": "from cache", "stale": "stale", "failed": "FAILED"}


def _short(pub: Publication, width: int = 70) -> str:
    title = pub.title if len(pub.title) <= width else pub.title[: width - 1] + "…"
    year = f" ({pub.year})" if pub.year else ""
    return f"{pub.key}: {title}{year}"


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def source_line(result: SourceResult) -> str:
    status = _STATUS.get(result.status, result.status)
    parts = [f"{result.kind:<13} {status:<10} {len(result.records):>4} records"]
    if result.requests:
        parts.append(f"{result.requests} requests")
    if not result.complete:
        parts.append("partial list")
    if result.detail:
        parts.append(result.detail)
    return ", ".join(parts)


def text_report(outcome: SyncOutcome, root: Path, *, dry_run: bool = False,
                verbose: bool = False) -> str:
    diff = outcome.diff
    lines = [
        f"{len(outcome.build.publications)} publications: {len(diff.added)} added, "
        f"{len(diff.updated)} updated, {len(diff.removed)} removed, {diff.unchanged} unchanged"
    ]
    lines += [f"  + {_short(p)}" for p in diff.added]
    for change in diff.updated:
        by = f" (from {', '.join(change.by)})" if change.by else ""
        lines.append(f"  ~ {_short(change.publication)}: {', '.join(change.fields)}{by}")
    lines += [f"  - {_short(p)}" for p in diff.removed]
    lines.append("sources:")
    lines += [f"  {source_line(r)}" for r in outcome.build.results]
    verb = "would write" if dry_run else "wrote"
    lines.append("files:")
    for planned in outcome.files:
        state = verb if planned.changed else "unchanged"
        detail = f" [{planned.detail}]" if planned.detail else ""
        lines.append(f"  {_rel(planned.path, root)}: {state}{detail}")
    lines += [f"  {_rel(p, root)}: no scholarsync markers, left untouched"
              for p in outcome.pages_without_markers]
    lines += [f"  refused: {e}" for e in outcome.edited]
    lines += [f"  error: {e}" for e in outcome.section_errors]
    return "\n".join(lines) + "\n"


def problem_lines(outcome: SyncOutcome, verbose: bool = False, limit: int = 20) -> list[str]:
    """Warnings and errors worth showing; the rest summarized unless verbose."""
    problems = list(outcome.build.problems) + list(outcome.problems)
    shown = problems if verbose else problems[:limit]
    lines = [str(p) for p in shown]
    if len(problems) > len(shown):
        lines.append(f"… and {len(problems) - len(shown)} more warnings (use --verbose)")
    return lines


def json_report(outcome: SyncOutcome, root: Path) -> str:
    diff = outcome.diff
    data: dict[str, Any] = {
        "publications": len(outcome.build.publications),
        "added": [p.key for p in diff.added],
        "updated": [{"key": c.publication.key, "fields": c.fields, "by": c.by}
                    for c in diff.updated],
        "removed": [p.key for p in diff.removed],
        "unchanged": diff.unchanged,
        "sources": [{"kind": r.kind, "status": r.status, "records": len(r.records),
                     "requests": r.requests, "complete": r.complete, "detail": r.detail,
                     "read": r.read_at} for r in outcome.build.results],
        "files": [{"path": _rel(f.path, root), "role": f.role, "changed": f.changed}
                  for f in outcome.files],
        "untouched_pages": [_rel(p, root) for p in outcome.pages_without_markers],
        "refused": outcome.edited,
        "errors": outcome.section_errors,
        "problems": [str(p) for p in outcome.build.problems + outcome.problems],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def file_diff(planned: PlannedFile, root: Path) -> str:
    """Unified diff of one planned file (for --dry-run)."""
    old = (planned.old or b"").decode("utf-8", "replace").splitlines(keepends=True)
    new = planned.new.decode("utf-8", "replace").splitlines(keepends=True)
    name = _rel(planned.path, root)
    return "".join(difflib.unified_diff(old, new, f"a/{name}", f"b/{name}"))
