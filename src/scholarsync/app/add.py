"""``scholarsync add ID… [--to FILE] [--dry-run]``: new ``.bib`` entries from identifiers.

Each ID (a DOI bare or as a URL, an arXiv id, an eScholarship id or URL, a DBLP record key
``conf/nips/Smith20`` or its ``dblp.org/rec/`` URL) is looked up through the source that
accepts it (its ``base_url`` and cache from the config; lookup sources are asked first; an id
naming a whole profile, several works, is refused). The entry is written
by the project's own BibTeX writer (:func:`scholarsync.outputs.bibtex.bibtex_entry`), not
taken from the service's BibTeX (DOI content negotiation): every entry then has the same field
names, order, escaping and identifier forms as the merged export, whichever service answered.

The key follows the style of the target file's existing keys (:func:`key_style`); a work
already in the library (same DOI, arXiv id or other decisive identifier) is reported with its
key and not added. The entries are appended to the file: every byte already there is kept,
and the result is checked to re-parse before it is written. ``--dry-run`` prints instead.
Offline (``--offline``, or a lookup already cached) no request is sent.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from scholarsync import sources as registry
from scholarsync.config import Config, SourceConfig
from scholarsync.core.match import match_ids
from scholarsync.core.merge import single_publication
from scholarsync.core.normalize import (
    STOP_WORDS,
    arxiv_base,
    fold,
    normalize_arxiv,
    normalize_doi,
)
from scholarsync.errors import NotInCacheError, SourceError, UsageError
from scholarsync.fileio import write_atomic
from scholarsync.model import Publication, Record, Work
from scholarsync.sources.base import SourceContext

#: Key patterns recognised in a file, in order of preference on a tie.
TEMPLATES = (
    "{fam}{year}{word}", "{fam}{year}", "{fam}{yy}{word}", "{fam}{yy}", "{fam}:{year}",
    "{fam}:{year}:{word}", "{fam}{year}:{word}", "{fam}_{year}_{word}", "{fam}_{year}",
    "{fam}-{year}-{word}", "{fam}-{year}", "{fam}etal{year}", "{fam}{year}{first}",
)
DEFAULT_STYLE = ("{fam}{year}{word}", "lower")
_CASES = ("lower", "family", "title")


@dataclass
class AddItem:
    """One ID given to ``add``: the entry made for it, or the key it already has."""

    target: str
    key: str = ""
    entry: str = ""  # the BibTeX text appended ("" when nothing is added)
    existing: str = ""  # key of the library work it already is
    source: str = ""  # the source kind that looked it up


@dataclass
class AddOutcome:
    file: Path
    items: list[AddItem] = field(default_factory=list)
    written: bool = False
    style: str = ""

    @property
    def added(self) -> list[AddItem]:
        return [i for i in self.items if i.entry]


def _ascii(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text).encode("ascii", "ignore").decode())


def key_parts(pub: Publication | Record) -> dict[str, str]:
    """The pieces a key is built from: first author family, year, title words (ASCII)."""
    person = next((p for p in pub.authors if not p.is_others), None)
    family = _ascii(person.family or person.literal) if person else ""
    words = [_ascii(w) for w in fold(pub.title).split()]
    words = [w for w in words if w]
    word = next((w for w in words if w not in STOP_WORDS), "")
    year = str(pub.year) if pub.year else ""
    return {"fam": family or "anon", "year": year, "yy": year[2:], "word": word or "untitled",
            "first": words[0] if words else "untitled"}


def render_key(template: str, case: str, parts: dict[str, str]) -> str:
    def cased(name: str, value: str) -> str:
        if case == "title" and name in ("fam", "word", "first") or (
                case == "family" and name == "fam"):
            return value[:1].upper() + value[1:]
        return value
    return re.sub(r"\{(\w+)\}", lambda m: cased(m.group(1), parts[m.group(1)]), template)


def key_style(records: list[Record]) -> tuple[str, str]:
    """The (template, case) most of ``records``' keys follow; the default when none does."""
    votes: Counter[tuple[str, str]] = Counter()
    for record in records:
        parts = key_parts(record)
        if not record.year:
            continue
        for template in TEMPLATES:
            for case in _CASES:
                rendered = render_key(template, case, parts)
                if re.fullmatch(re.escape(rendered) + r"[a-z]?", record.key):
                    votes[(template, case)] += 1
                    break
            else:
                continue
            break
    if not votes:
        return DEFAULT_STYLE
    order = {t: i for i, t in enumerate(TEMPLATES)}
    return min(votes, key=lambda s: (-votes[s], order[s[0]], _CASES.index(s[1])))


def new_key(pub: Publication, style: tuple[str, str], taken: set[str]) -> str:
    base = render_key(style[0], style[1], key_parts(pub))
    if base not in taken:
        return base
    return next(f"{base}{c}" for c in "abcdefghijklmnopqrstuvwxyz" if f"{base}{c}" not in taken)


def target_file(config: Config, to: Path | None) -> Path:
    """``--to`` or the first local file of the first source of the user's own entries."""
    if to is not None:
        return to
    for source in config.sources:
        if registry.source_class(source.kind).user_owned:
            local = [p for p in source.options.get("paths", ()) if "://" not in p]
            if local:
                return Path(local[0])
    raise UsageError("no .bib file to add to: give --to FILE or configure a bibtex source "
                     "with local paths")


def _source_for(config: Config, target: str) -> tuple[str, SourceConfig]:
    kinds = [k for k in registry.kinds() if registry.source_class(k).web]
    kinds.sort(key=lambda k: registry.source_class(k).role != "lookup")
    for kind in kinds:
        if registry.source_class(kind).accepts(target):
            configured = config.sources_of(kind)
            return kind, SourceConfig(
                kind=kind, index=configured[0].index if configured else 0,
                options=dict(configured[0].options) if configured else {},
                base_url=configured[0].base_url if configured else None)
    raise UsageError(f"{target!r} is not a DOI, arXiv id, eScholarship id or URL, DBLP record "
                     f"key, or other identifier a source recognizes (sources: "
                     f"{', '.join(kinds)})")


def _identities(record: Record) -> set[tuple[str, str]]:
    return set(match_ids(record, registry.rules()).items())


def _existing(record: Record, pubs: list[Publication]) -> str:
    mine = _identities(record)
    for pub in pubs:
        if any(mine & _identities(r) for r in pub.records):
            return pub.key
    return ""


def _known(target: str, pubs: list[Publication]) -> str:
    """The key of the work in ``pubs`` that has the DOI, arXiv id or other identifier a
    source declares (a DBLP record key, an eScholarship id) that ``target`` names."""
    doi = normalize_doi(target) if re.match(r"\s*(doi:|https?://(dx\.)?doi\.org/|10\.)",
                                            target, re.IGNORECASE) else None
    arxiv = normalize_arxiv(target)
    arxiv = arxiv_base(arxiv) if arxiv else None
    declared = [(spec.name, found) for spec in registry.rules().identifiers
                if spec.parse is not None and spec.name not in ("doi", "arxiv")
                and (found := spec.parse(target.strip()))]
    for pub in pubs:
        works: list[Work] = [pub, *pub.records]
        for record in works:
            if doi and normalize_doi(record.ids.get("doi")) == doi:
                return pub.key
            theirs = normalize_arxiv(record.ids.get("arxiv"))
            if arxiv and theirs and arxiv_base(theirs) == arxiv:
                return pub.key
            if any(record.ids.get(name) == value for name, value in declared):
                return pub.key
    return ""


def _bib_records(path: Path) -> tuple[bytes, list[Record]]:
    from scholarsync.sources.bibtex import read_bib_text

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return b"", []
    records, _ = read_bib_text(data.decode("utf-8", "replace"), str(path))
    return data, records


def add(config: Config, targets: list[str], to: Path | None = None, *, dry_run: bool = False,
        offline: bool = False) -> AddOutcome:
    """Look up every target and append the new entries (see the module doc)."""
    from scholarsync.app.commands import offline_publications
    from scholarsync.outputs.bibtex import bibtex_entry

    path = target_file(config, to)
    old, file_records = _bib_records(path)
    style = key_style(file_records)
    outcome = AddOutcome(path, style=render_key(style[0], style[1], {
        "fam": "family", "year": "YYYY", "yy": "YY", "word": "word", "first": "first"}))
    pubs, _ = offline_publications(config)
    taken = {k for p in pubs for k in p.all_keys} | {r.key for r in file_records}
    added: list[Publication] = []
    with SourceContext(config, offline=offline) as context:
        for target in targets:
            known = _known(target, pubs + added)
            if known:  # no lookup needed: the library has this identifier already
                outcome.items.append(AddItem(target, key=known, existing=known))
                continue
            kind, source_config = _source_for(config, target)
            source = registry.source_class(kind)(source_config, context)
            try:
                records = source.inspect(target)
            except NotInCacheError as exc:
                raise UsageError(f"{target}: not in the cache and --offline forbids fetching "
                                 f"it ({exc})") from None
            except SourceError as exc:
                raise UsageError(f"{target}: could not be looked up: {exc}") from None
            if not records:
                raise UsageError(f"{target}: {kind} gave no record for it")
            if len(records) > 1:  # a profile (an ORCID iD, a DBLP pid), not one work
                raise UsageError(f"{target}: names {len(records)} works in {kind} (a profile?), "
                                 "not one; give the id of one work (a DOI, an arXiv id, a DBLP "
                                 "record key …)")
            record = records[0]
            item = AddItem(target, source=kind)
            item.existing = _existing(record, pubs + added)
            if item.existing:
                item.key = item.existing
                outcome.items.append(item)
                continue
            pub = single_publication(record)
            pub.key = item.key = new_key(pub, style, taken)
            taken.add(pub.key)
            item.entry = bibtex_entry(pub)
            added.append(pub)
            outcome.items.append(item)
    if not outcome.added or dry_run:
        return outcome
    text = "".join(("\n" if i else "") + item.entry for i, item in enumerate(outcome.added))
    sep = b"" if not old or old.endswith(b"\n\n") else (
        b"\n" if old.endswith(b"\n") else b"\n\n")
    if b"\r\n" in old:  # keep the file's line endings
        text, sep = text.replace("\n", "\r\n"), sep.replace(b"\n", b"\r\n")
    new = old + sep + text.encode("utf-8")
    _check(new, path, len(file_records) + len(outcome.added))
    outcome.written = write_atomic(path, new)
    return outcome


def _check(data: bytes, path: Path, expected: int) -> None:
    from scholarsync.sources.bibtex import read_bib_text

    records, _ = read_bib_text(data.decode("utf-8", "replace"), str(path))
    if len(records) != expected:
        raise UsageError(f"{path}: the new entries would not re-parse cleanly "
                         f"({len(records)} entries instead of {expected}); nothing written")
