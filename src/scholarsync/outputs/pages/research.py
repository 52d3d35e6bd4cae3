"""The research section's data: config projects resolved to publications from the library."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from scholarsync.config import Config, ResearchProject
from scholarsync.core.normalize import arxiv_base, normalize_arxiv, normalize_doi
from scholarsync.model import Problem, Publication
from scholarsync.sources import rules


@dataclass
class ResolvedProject:
    project: ResearchProject
    publications: list[Publication] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # refs that matched nothing


def _ids(pub: Publication, name: str) -> set[str]:
    """Every value of one identifier over the publication and the records merged into it."""
    values = {pub.ids.get(name, "")}
    values.update(r.ids.get(name, "") for r in pub.records)
    values.discard("")
    return values


def _has_id(name: str, value: str) -> Callable[[Publication], bool]:
    return lambda pub: value in _ids(pub, name)


def find_publication(ref: str, pubs: list[Publication]) -> Publication | None:
    """The publication a research ref names: a citation key (or alias), a DOI, an arXiv id, an
    eScholarship id or URL, or a Scholar article id; None when nothing matches."""
    ref = ref.strip()
    if not ref:
        return None
    folded = ref.casefold()
    for pub in pubs:
        if any(k.casefold() == folded for k in pub.all_keys):
            return pub
    tests: list[Callable[[Publication], bool]] = []
    doi = normalize_doi(ref)
    if doi:
        tests.append(lambda p: doi in {d.lower() for d in _ids(p, "doi")})
    arxiv = normalize_arxiv(ref)
    if arxiv:
        base = arxiv_base(arxiv)
        tests.append(lambda p: base in {arxiv_base(a) for a in _ids(p, "arxiv")})
    for spec in rules().identifiers:  # ids the sources declared: parsed refs, or as written
        value = spec.parse(ref) if spec.parse else None
        if value:
            tests.append(_has_id(spec.name, value))
        elif spec.name not in ("doi", "arxiv"):
            tests.append(_has_id(spec.name, ref))
    for test in tests:
        for pub in pubs:
            if test(pub):
                return pub
    return None


def _config_line(config: Config, ref: str) -> int | None:
    try:
        lines = config.path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    quoted = (f'"{ref}"', f"'{ref}'")
    return next((i for i, line in enumerate(lines, 1) if any(q in line for q in quoted)), None)


def resolve_research(config: Config, pubs: list[Publication]
                     ) -> tuple[list[ResolvedProject], list[Problem]]:
    """Each ``[[research]]`` project with its publications (in the order given, once each), and
    a warning for every ref that matches no publication (the section leaves it out)."""
    resolved: list[ResolvedProject] = []
    problems: list[Problem] = []
    for project in config.research:
        item = ResolvedProject(project)
        for ref in project.publications:
            pub = find_publication(ref, pubs)
            if pub is None:
                item.missing.append(ref)
                problems.append(Problem(
                    "warning", f"research project {project.title!r}: publication {ref!r} is not "
                    "in the library (use a citation key, DOI, arXiv id or eScholarship id); "
                    "left out of the research section",
                    location=str(config.path), line=_config_line(config, ref)))
            elif all(p is not pub for p in item.publications):
                item.publications.append(pub)
        resolved.append(item)
    return resolved, problems
