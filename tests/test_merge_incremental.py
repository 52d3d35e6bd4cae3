"""Incremental matching (``cache/records``' matching state): after any edit of the records, a
merge that reuses the previous run's state gives exactly the publications and problems of a
cold merge; a broken state only costs time; a sync after a ``.bib`` edit writes the bytes of
a cold sync."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from scholarsync.config import MatchConfig
from scholarsync.core import match, mergecache
from scholarsync.core.merge import MergeResult, merge_records
from scholarsync.model import Origin, Person, Record
from scholarsync.recordcache import RecordCache
from scholarsync.sources import rules
from tests.test_record_cache import cold_copy, make_site, outputs, sync

CFG = MatchConfig()
TITLES = ["Understanding Infinity in Neural Network Models", "Counting With Successor Functions",
          "A Bayesian Account of Number Word Learning", "Calendar of Events",
          "Magnitude Estimation in Children", "Symbolic Quantity and Language Acquisition",
          "Part 2 of the Cardinal Principle", "Part 3 of the Cardinal Principle",
          "Editorial"]
FAMILIES = ["Gupta", "Varma", "Doe", "Müller", "van Haagen", "Haagen", "Roe"]
SOURCES = ["bibtex", "bibtex", "escholarship", "scholar"]


class Pool:
    """Random records of several sources that often are, or nearly are, the same work."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.serial = 0

    def title(self) -> str:
        rng = self.rng
        title = rng.choice(TITLES)
        tweak = rng.random()
        if tweak < 0.15:
            title = title.lower()
        elif tweak < 0.25:
            title = title.replace("e", "a", 1)  # a typo: a near duplicate
        elif tweak < 0.3:
            title = " ".join(title.split()[:4])  # cut short
        elif tweak < 0.35:
            title = ""
        return title

    def record(self) -> Record:
        rng = self.rng
        self.serial += 1
        source = rng.choice(SOURCES)
        title = self.title()
        authors = [Person(given=rng.choice(["Vima", "V", "Jane"]), family=f)
                   for f in rng.sample(FAMILIES, rng.randint(0, 3))]
        year = rng.choice([None, 2019, 2020, 2020, 2021, 2023])
        ids = {}
        if rng.random() < 0.3:
            ids["doi"] = f"10.1234/w.{rng.randint(0, 6)}"
        if rng.random() < 0.15:
            ids["arxiv"] = f"2311.{rng.randint(15190, 15194)}"
        fields = {"title": title}
        for name in ("volume", "number", "pages"):
            if rng.random() < 0.2:
                fields[name] = str(rng.randint(1, 3)) + ("--9" if name == "pages" else "")
        if rng.random() < 0.3:
            fields["journal"] = rng.choice(["Cognition", "Cognitive Science", "Proc. CogSci"])
        if source == "bibtex":
            location = rng.choice(["a.bib", "b.bib"])
            origin = Origin(source, location, self.serial)
            key = rng.choice(["gupta2020", "doe2021", "key3", "key4"]) + (
                "" if rng.random() < 0.5 else str(self.serial))
            if rng.random() < 0.2:
                fields["ids"] = rng.choice(["gupta2020", "alias1", "key3, alias2"])
        else:
            origin = Origin(source, f"https://{source}.example/{self.serial}")
            key = f"{source}-{self.serial}"
            if source == "escholarship" and rng.random() < 0.5:
                ids["escholarship"] = f"qt{rng.randint(0, 3)}"
        return Record(source=source, origin=origin, key=key, type=rng.choice(["article", "misc"]),
                      title=title, authors=authors, year=year, fields=fields, ids=ids,
                      venue=fields.get("journal", ""),
                      citations=rng.choice([None, 3]) if source == "scholar" else None)

    def copy(self, record: Record) -> Record:
        """Another entry of the same content (a duplicate: another line, maybe the same key)."""
        self.serial += 1
        origin = Origin(record.source, record.origin.location if record.origin.line is not None
                        else f"{record.origin.location}/copy{self.serial}",
                        self.serial if record.origin.line is not None else None)
        key = record.key if self.rng.random() < 0.5 else f"{record.key}x{self.serial}"
        return Record(source=record.source, origin=origin, key=key, type=record.type,
                      title=record.title, authors=list(record.authors), year=record.year,
                      fields=dict(record.fields), ids=dict(record.ids), venue=record.venue)

    def modified(self, record: Record) -> Record:
        rng = self.rng
        what = rng.randrange(4)
        copy = self.copy(record)
        copy.origin, copy.key = record.origin, record.key
        if what == 0:
            copy.year = (record.year or 2020) + rng.choice([-1, 1, 3])
        elif what == 1:
            copy.title = self.title()
            copy.fields["title"] = copy.title
        elif what == 2:
            copy.ids["doi"] = f"10.1234/w.{rng.randint(0, 6)}"
        else:
            copy.fields["pages"] = f"{rng.randint(1, 3)}--9"
        return copy


def edit(pool: Pool, records: list[Record]) -> list[Record]:
    """``records`` after one to three random edits."""
    rng = pool.rng
    records = list(records)
    for _ in range(rng.randint(1, 3)):
        action = rng.random()
        at = rng.randrange(len(records) + 1)
        if action < 0.35 or len(records) < 3:
            records.insert(at, pool.record())
        elif action < 0.55:
            records.pop(rng.randrange(len(records)))
        elif action < 0.75:
            i = rng.randrange(len(records))
            records[i] = pool.modified(records[i])
        elif action < 0.85:
            records.insert(at, pool.copy(rng.choice(records)))
        elif action < 0.93:
            records = shifted(records, rng.choice(["a.bib", "b.bib"]), rng.randint(0, 60))
        else:
            rng.shuffle(records)
    return records


def shifted(records: list[Record], location: str, line: int) -> list[Record]:
    """``records`` after lines were added to ``location`` at ``line``: the entries below move."""
    found = []
    for record in records:
        origin = record.origin
        if origin.location == location and origin.line is not None and origin.line >= line:
            record = Record(**{**record.__dict__, "origin": Origin(
                origin.source, origin.location, origin.line + 1000)})
        found.append(record)
    return found


def dump(result: MergeResult) -> tuple[list[dict], list]:
    return [p.to_dict() for p in result.publications], result.problems


def merged(records: list[Record], folder: Path) -> MergeResult:
    return merge_records(records, CFG, rules(), cache=RecordCache(folder))


@pytest.mark.parametrize("seed", range(60))
def test_random_edits_merge_as_a_cold_merge(tmp_path: Path, seed: int, monkeypatch) -> None:
    full = []
    cold_edges = match.match_edges
    monkeypatch.setattr(match, "match_edges", lambda *a, **k: full.append(1) or cold_edges(*a, **k))
    rng = random.Random(seed)
    pool = Pool(rng)
    records = [pool.record() for _ in range(rng.randint(5, 60))]
    records += [pool.copy(rng.choice(records)) for _ in range(rng.randint(0, 8))]
    steps = 10
    for _ in range(steps):
        assert dump(merged(records, tmp_path)) == dump(merge_records(records, CFG, rules()))
        records = edit(pool, records)
    assert len(full) == steps + 1  # each cold merge, and the first run (no state yet)


def test_many_random_edits_of_a_larger_library_use_the_state(tmp_path: Path, monkeypatch) -> None:
    rng = random.Random(99)
    pool = Pool(rng)
    records = [pool.record() for _ in range(400)]
    merged(records, tmp_path)
    full: list[int] = []
    cold_edges = match.match_edges
    monkeypatch.setattr(match, "match_edges", lambda *a, **k: full.append(1) or cold_edges(*a, **k))
    for step in range(15):
        records = edit(pool, records)
        if rng.random() < 0.5:
            records = records[:-1] + [pool.copy(records[0])]
        if step % 5 == 4:  # many changes at once (their hashes found in one pass)
            for i in rng.sample(range(len(records)), 40):
                records[i] = pool.modified(records[i])
        incremental = dump(merged(records, tmp_path))
        cold = dump(merge_records(records, CFG, rules()))
        assert incremental == cold
    assert len(full) == 15  # only the cold merges matched everything


def test_entries_moved_by_an_edit_above_them_keep_their_matches(tmp_path: Path,
                                                                 monkeypatch) -> None:
    rng = random.Random(3)
    pool = Pool(rng)
    records = [pool.record() for _ in range(600)]
    records += [pool.copy(r) for r in records[:40]]
    merged(records, tmp_path)
    full: list[int] = []
    cold_edges = match.match_edges
    monkeypatch.setattr(match, "match_edges", lambda *a, **k: full.append(1) or cold_edges(*a, **k))
    moved = shifted(records, "a.bib", 5)
    assert sum(a.origin != b.origin for a, b in zip(records, moved, strict=True)) > 100
    moved.insert(100, pool.record())
    assert dump(merged(moved, tmp_path)) == dump(merge_records(moved, CFG, rules()))
    assert len(full) == 1  # the cold merge only


def test_a_block_grown_large_is_matched_in_full(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(mergecache, "_SAFE_BLOCK", 2)
    rng = random.Random(5)
    pool = Pool(rng)
    records = [pool.record() for _ in range(40)]
    for _ in range(5):
        assert dump(merged(records, tmp_path)) == dump(merge_records(records, CFG, rules()))
        records = edit(pool, records)


def test_many_gone_records_make_a_full_run_that_compacts_the_state(tmp_path: Path,
                                                                   monkeypatch) -> None:
    monkeypatch.setattr(mergecache, "_MAX_DEAD", 5)
    rng = random.Random(11)
    pool = Pool(rng)
    records = [pool.record() for _ in range(12)]
    cache = RecordCache(tmp_path)
    key = mergecache.state_key(cache, CFG, rules())
    slots = []
    for _ in range(8):
        records[rng.randrange(len(records))] = pool.record()
        assert dump(merged(records, tmp_path)) == dump(merge_records(records, CFG, rules()))
        state = mergecache._load(cache, key)
        assert state is not None
        slots.append(len(state.sigs))
    assert max(slots) > len(records) and len(records) in slots[1:]  # grew, then compacted


def state_file(folder: Path) -> Path:
    return folder / f"{mergecache.state_key(RecordCache(folder), CFG, rules())}.json"


@pytest.mark.parametrize("damage", ["garbage", "cut", "foreign", "positions", "empty"])
def test_a_broken_state_is_ignored(tmp_path: Path, damage: str) -> None:
    rng = random.Random(7)
    pool = Pool(rng)
    records = [pool.record() for _ in range(30)]
    merged(records, tmp_path)
    path = state_file(tmp_path)
    body = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"\x00\xffnot json")
    elif damage == "cut":
        path.write_bytes(body[:len(body) // 2])
    elif damage == "foreign":
        path.write_bytes(body.replace(path.stem.encode(), b"0" * 64, 1))
    elif damage == "positions":
        bad = b'"fuzzy_edges":[[-1.0,[],[],9999,0],'
        path.write_bytes(body.replace(b'"fuzzy_edges":[', bad, 1))
    else:
        path.write_bytes(body.replace(b'"sigs":"', b'"sigs":"x', 1))
    records = edit(pool, records)
    assert dump(merged(records, tmp_path)) == dump(merge_records(records, CFG, rules()))
    cache = RecordCache(tmp_path)  # and the run left a good state
    assert mergecache._load(cache, mergecache.state_key(cache, CFG, rules())) is not None


BIB_C = r"""@article{third2019b,
  title = {Third Work on Counting},
  author = {Gupta, Vima and Doe, Jane},
  journal = {Journal of Tests},
  year = {2019},
  doi = {10.1234/third},
}
@article{fifth2020, title = {Fifth Work}, author = {Gupta, Vima}, year = {2020},
  doi = {10.1234/third}}
"""


def test_sync_after_a_bib_edit_writes_the_bytes_of_a_cold_sync(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    (root / "bib" / "c.bib").write_text(BIB_C, encoding="utf-8")
    sync(root)
    b = root / "bib" / "b.bib"
    b.write_text(b.read_text().replace("Third Work on Counting", "Third Work on Countng")
                 + "\n@article{added2024, title = {Fifth Work}, author = {Gupta, V.}, "
                 "year = {2021}}\n", encoding="utf-8")
    second = sync(root)
    assert "last run's matches reused" in second.stderr
    cold = cold_copy(root, tmp_path / "cold")
    sync(cold)
    assert outputs(root) == outputs(cold)
