"""The lookup stage: after the list sources are read and merged, the lookup sources (role
``"lookup"``) look up the identifiers of every publication, and everything is merged again.

* Each lookup source is asked in config order; when one found records, the works are merged
  again before the next one asks, so an identifier one lookup found (the DOI arXiv gives for a
  published preprint) is looked up by the others in the same run. Rounds repeat until no
  source finds anything new (each identifier is asked once per run).
* A failed lookup source (a 429, a block) keeps its last good records, like any source.
* Lookup records fill gaps only: a work that only lookup records describe is dropped, unless
  its identifier is listed in the source's ``ids`` (``REQUESTED``).
* A preprint and its published version that a source relates (``extra["preprint_of"]`` /
  ``extra["has_preprint"]``, e.g. Crossref's ``relation``) become one work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from scholarsync.app.reading import (
    Progress,
    _failure,
    _relative_locations,
    fill_from_last_good,
    over_budget,
    time_budget,
)
from scholarsync.config import Config
from scholarsync.core.library import Library
from scholarsync.core.merge import MergeResult, merge_records
from scholarsync.core.normalize import arxiv_base, normalize_arxiv, normalize_doi
from scholarsync.errors import SourceError
from scholarsync.model import Record, SourceResult
from scholarsync.sources import rules, source_class
from scholarsync.sources.base import SourceContext
from scholarsync.sources.lookup import REQUESTED

log = logging.getLogger("scholarsync")

MAX_ROUNDS = 3


@dataclass
class LookupStage:
    results: list[SourceResult] = field(default_factory=list)
    merged: MergeResult | None = None
    carried: set[tuple[str, str]] = field(default_factory=set)


def _is_lookup(kind: str) -> bool:
    try:
        return source_class(kind).role == "lookup"
    except KeyError:
        return False


def relation_joins(records: list[Record]) -> list[tuple[Record, Record]]:
    """Pairs (preprint, published) that a record's stated relations name, by DOI."""
    by_doi: dict[str, Record] = {}
    for record in records:
        doi = normalize_doi(record.ids.get("doi"))
        if doi:
            by_doi.setdefault(doi, record)
        arxiv = normalize_arxiv(record.ids.get("arxiv"))
        if arxiv:  # arXiv's own DOI names the preprint in Crossref's relations
            by_doi.setdefault(f"10.48550/arxiv.{arxiv_base(arxiv).lower()}", record)
    joins: list[tuple[Record, Record]] = []
    for record in records:
        for name in ("preprint_of", "has_preprint"):
            for doi in record.extra.get(name, ()) or ():
                other = by_doi.get(str(doi))
                if other is not None and other is not record:
                    joins.append((record, other))
    return joins


def _merge(config: Config, records: list[Record], context: SourceContext,
           step: str) -> MergeResult:
    """Merge with the looked-up records; ``step`` names this merge's matching state in the
    records cache (each merge of the stage keeps its own, as the sync's merge does: the next
    run re-matches only what changed)."""
    merged = merge_records(records, config.matching, rules(), relation_joins(records),
                           cache=context.records, state=f"lookups {step}")
    orphans = [r for p in merged.publications if all(_is_lookup(x.source) for x in p.records)
               and not any(x.extra.get(REQUESTED) for x in p.records) for r in p.records]
    if orphans:  # looked-up works no list source holds: never added
        gone = {id(r) for r in orphans}
        kept = [r for r in records if id(r) not in gone]
        merged = merge_records(kept, config.matching, rules(), relation_joins(kept),
                               cache=context.records, state=f"lookups {step}, kept")
    return merged


def run_lookups(config: Config, context: SourceContext, records: list[Record],
                merged: MergeResult, last: Library | None,
                progress: Progress | None = None) -> LookupStage:
    """Run every configured lookup source on ``merged`` (see the module doc)."""
    configs = [s for s in config.sources if _is_lookup(s.kind)]
    stage = LookupStage(merged=merged)
    if not configs:
        return stage
    sources: list[Any] = []
    results: dict[int, SourceResult] = {}
    requests: dict[int, int] = {}
    for source_config in configs:
        try:
            sources.append(source_class(source_config.kind)(source_config, context))
        except Exception as exc:  # a broken plugin must not stop the run
            results[source_config.index] = _failure(source_config.kind, RuntimeError(
                f"internal error ({type(exc).__name__}: {exc})"))
            sources.append(None)
    pubs = merged.publications
    failed: set[int] = set()  # sources that failed: not asked again in this run
    carried: dict[int, set[tuple[str, str]]] = {}  # records from the last good library
    for round_ in range(MAX_ROUNDS):
        progressed = False
        for source in sources:
            if source is None or source.config.index in failed:
                continue
            index = source.config.index
            if progress and not round_:
                progress(f"looking up ids: {source.config.label}")
            before, found = context.requests_made, len(source.records)
            try:
                with time_budget(context, source.config.label, source):
                    results[index] = source.lookup(pubs)
            except SourceError as exc:
                results[index] = _failure(source.kind, exc)
            except Exception as exc:  # a bug in one source must not stop the others
                log.debug("lookup source %s crashed", source.kind, exc_info=True)
                results[index] = _failure(source.kind, RuntimeError(
                    f"internal error ({type(exc).__name__}: {exc})"))
            requests[index] = requests.get(index, 0) + context.requests_made - before
            result = over_budget(results[index], context, source.config.label)
            if result.status == "failed":
                failed.add(index)
                result.records = list(source.records)  # what it found before failing
            # the last good records of what it could not read, now: the ids in them (a
            # published DOI arXiv gave) are for the other lookups of this run too
            was = len(carried.get(index, ()))
            carried[index] = {(r.source, r.key) for r in fill_from_last_good(result, last)}
            if len(source.records) == found and len(carried[index]) <= was:
                continue
            progressed = True
            looked = [r for i in sorted(results) for r in results[i].records]
            pubs = _merge(config, records + looked, context,
                          f"round {round_} {index}").publications
        if not progressed:
            break
    for index in sorted(results):
        result = results[index]
        result.requests = requests.get(index, 0)
        _relative_locations(result, config.root)
        if index not in carried:  # a source that could not even start
            carried[index] = {(r.source, r.key) for r in fill_from_last_good(result, last)}
        stage.carried.update(carried[index])
        stage.results.append(result)
    looked = [r for result in stage.results for r in result.records]
    stage.merged = _merge(config, records + looked, context, "final")
    return stage
