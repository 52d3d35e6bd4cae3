"""``[profile] exclude``: works kept out of every output (a Scholar profile that lists someone
else's paper). A reference is a citation key, any identifier ``keys=`` accepts, or a title."""

from __future__ import annotations

from scholarsync.config import Config
from scholarsync.core.normalize import title_key
from scholarsync.model import Problem, Publication
from scholarsync.outputs.pages.research import find_publication


def excluded(config: Config, pubs: list[Publication]) -> tuple[list[Publication], list[Problem]]:
    """The publications left after ``exclude``, and a warning for each reference matching
    nothing (naming the config file)."""
    refs = config.profile.exclude
    if not refs:
        return pubs, []
    out: set[int] = set()
    problems: list[Problem] = []
    for ref in refs:
        found = find_publication(ref, pubs)
        hits = [found] if found is not None else [
            p for p in pubs if title_key(ref) and title_key(p.title) == title_key(ref)]
        if not hits:
            problems.append(Problem("warning", f"profile.exclude: {ref!r} matches no "
                                    "publication (a key, DOI, arXiv id or title)",
                                    str(config.path), None, None))
        out.update(id(p) for p in hits)
    return [p for p in pubs if id(p) not in out], problems
