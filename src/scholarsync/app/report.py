"""The change report printed after a run: one summary, as plain text or as JSON."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from scholarsync.app.sync import SyncOutcome
from scholarsync.app.terminal import relative
from scholarsync.model import Publication, SourceResult
from scholarsync.outputs.base import FileChange

_STATUS = {"fresh": "fresh", "cache": "from cache", "stale": "stale", "failed": "FAILED"}


def _rel(path: Path, root: Path) -> str:
    return relative(path, root)


def _brief(pub: Publication) -> dict[str, Any]:
    return {"key": pub.key, "title": pub.title, "year": pub.year}


def _source(result: SourceResult) -> dict[str, Any]:
    return {"kind": result.kind, "status": result.status, "records": len(result.records),
            "requests": result.requests, "complete": result.complete, "detail": result.detail,
            "read": result.read_at}


def summary(outcome: SyncOutcome, root: Path) -> dict[str, Any]:
    """Everything the report says, as JSON-ready data."""
    diff = outcome.diff
    return {
        "publications": len(outcome.build.publications),
        "added": [_brief(p) for p in diff.added],
        "updated": [{**_brief(c.publication), "fields": c.fields, "by": c.by}
                    for c in diff.updated],
        "removed": [_brief(p) for p in diff.removed],
        "unchanged": diff.unchanged,
        "sources": [_source(r) for r in outcome.build.results],
        "files": [{"path": _rel(f.path, root), "role": f.role, "changed": f.changed,
                   "written": f.path in outcome.written, "sections": f.detail}
                  for f in outcome.files],
        "untouched_pages": [_rel(p, root) for p in outcome.pages_without_markers],
        "refused": list(outcome.edited) + [r for r in [outcome.removal_refused] if r],
        "errors": list(outcome.section_errors),
        "problems": [str(p) for p in outcome.build.problems + outcome.problems],
        "suggestions": list(outcome.build.suggestions),
    }


def _line(item: dict[str, Any], width: int = 70) -> str:
    title = item["title"]
    title = title if len(title) <= width else title[: width - 1] + "…"
    year = f" ({item['year']})" if item.get("year") else ""
    return f"{item['key']}: {title}{year}"


def _web(kind: str) -> bool:
    from scholarsync.sources import source_class

    try:
        return bool(source_class(kind).web)
    except KeyError:  # a plugin that failed to load
        return False


def source_line(source: dict[str, Any], verbose: bool = False) -> str:
    """One source's line; with ``verbose`` a web source always names its requests (0 when the
    cache answered everything)."""
    status = _STATUS.get(source["status"], source["status"])
    parts = [f"{source['kind']:<15} {status:<10} {source['records']:>4} records"]
    if source.get("requests") or (verbose and _web(source["kind"])):
        count = source.get("requests") or 0
        parts.append(f"{count} request" + ("" if count == 1 else "s"))
    if not source.get("complete", True):
        parts.append("partial list")
    if source.get("detail"):
        parts.append(source["detail"])
    return ", ".join(parts)


def text_report(data: dict[str, Any], *, dry_run: bool = False, verbose: bool = False) -> str:
    """The summary for people (``verbose``: every web source's request count, 0 included)."""
    lines = [
        f"{data['publications']} publications: {len(data['added'])} added, "
        f"{len(data['updated'])} updated, {len(data['removed'])} removed, "
        f"{data['unchanged']} unchanged" + (f" ({data['note']})" if data.get("note") else "")
    ]
    lines += [f"  + {_line(p)}" for p in data["added"]]
    for change in data["updated"]:
        by = f" (from {', '.join(change['by'])})" if change["by"] else ""
        lines.append(f"  ~ {_line(change)}: {', '.join(change['fields'])}{by}")
    lines += [f"  - {_line(p)}" for p in data["removed"]]
    lines.append("sources:")
    lines += [f"  {source_line(s, verbose)}" for s in data["sources"]]
    lines.append("files:")
    for planned in data["files"]:
        if not planned["changed"]:
            state = "unchanged"
        elif dry_run:
            state = "would write"
        else:
            state = "wrote" if planned.get("written", True) else "not written"
        detail = f" [{planned['sections']}]" if planned.get("sections") else ""
        lines.append(f"  {planned['path']}: {state}{detail}")
    lines += [f"  {p}: no scholarsync markers, left untouched" for p in data["untouched_pages"]]
    lines += [f"  refused: {e}" for e in data["refused"]]
    lines += [f"  error: {e}" for e in data["errors"]]
    lines += suggestion_lines(data.get("suggestions", []))
    return "\n".join(lines) + "\n"


def suggestion_lines(items: list[dict[str, str]], limit: int = 20) -> list[str]:
    """The short list of suggestions for the user's .bib entries (nothing is changed): one
    line per entry and kind (published versions, DOIs, then the other fields together)."""
    if not items:
        return []
    lines: dict[tuple[str, bool], list[str]] = {}
    for item in items:
        value = item["value"] if len(item["value"]) <= 90 else item["value"][:89] + "…"
        group = (item["key"], item["field"] in ("published", "doi"))
        lines.setdefault(group if group[1] else (item["key"], False), []).append(
            f"{item['field']} = {{{value}}} ({item['source']})")
    shown = [f"  {key}: " + "; ".join(parts) for (key, _), parts in lines.items()]
    head = (f"suggestions for your .bib entries ({len(items)} for {len({i['key'] for i in items})}"
            " entries; sync changes none of them):")
    tail = ([f"  … and {len(shown) - limit} more lines (sync --json lists them all)"]
            if len(shown) > limit else [])
    return [head, *shown[:limit], *tail]


def json_report(data: dict[str, Any]) -> str:
    """The summary for machines."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def problem_lines(data: dict[str, Any], verbose: bool = False, limit: int = 20) -> list[str]:
    """Warnings and errors worth showing; the rest summarized unless verbose."""
    problems = data["problems"]
    shown = problems if verbose else problems[:limit]
    lines = list(shown)
    if len(problems) > len(shown):
        lines.append(f"… and {len(problems) - len(shown)} more warnings (use --verbose)")
    return lines


#: Lines longer than this are shortened in a --dry-run diff (a JSON file on one line…).
DIFF_LINE_CHARS = 300


def _short(line: str) -> str:
    if len(line) <= DIFF_LINE_CHARS:
        return line
    end = "\n" if line.endswith("\n") else ""
    return f"{line[:DIFF_LINE_CHARS]}… ({len(line):,} characters)" + end


def file_diff(planned: FileChange, root: Path) -> str:
    """Unified diff of one planned file (for --dry-run). The library (the tool's own JSON) is
    summarised by the report's added/updated/removed lines instead; long lines are shortened."""
    name = _rel(planned.path, root)
    if planned.role == "library":
        return f"--- {name}: would be saved (the publications above)\n"
    old = (planned.old if isinstance(planned.old, bytes) else b"").decode(
        "utf-8", "replace").splitlines(keepends=True)
    new = (planned.new if isinstance(planned.new, bytes) else b"").decode(
        "utf-8", "replace").splitlines(keepends=True)
    target = "/dev/null" if planned.new is None else f"b/{name}"
    return "".join(_short(line) for line in difflib.unified_diff(old, new, f"a/{name}", target))
