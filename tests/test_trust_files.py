"""Issue 9, lost data and silent failures: OS errors, permissions, temp files, concurrent edits,
the removal guard, --quiet and the names the CLI prints. Through the CLI where a user meets it.

Every .bib text here is synthetic.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from scholarsync.app.sync import RunOptions, run_sync, write_outputs
from scholarsync.config import load_config
from scholarsync.fileio import (
    ChangedMeanwhileError,
    Digest,
    read_digest,
    write_atomic,
    write_atomic_chunks,
)
from scholarsync.net.client import loggable_url
from tests import e2e
from tests.test_trust_page import MD_PAGE, bullets, run, site, sync


def entries(count: int, start: int = 0) -> str:
    return "".join(f"@article{{w{i}, title = {{Work Number {i} On Things}}, author = {{Gupta, "
                   f"Vima}}, journal = {{J}}, year = {{{2000 + i}}}}}\n"
                   for i in range(start, start + count))


# -- OS errors and setup problems: one line, exit 2, nothing lost ------------------------------

def test_an_output_path_that_is_a_folder_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "out.bib").mkdir()
    result = sync(tmp_path, entries(2))
    assert result.code == 2
    assert "[outputs.bibtex]" in result.err and "is a folder" in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1


def test_a_cache_dir_that_is_a_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "cachefile").write_text("x")
    result = sync(tmp_path, entries(2), extra='[network]\ncache_dir = "cachefile"\n')
    assert result.code == 2
    assert "[network.cache_dir]" in result.err and "is a file" in result.err


def test_a_missing_templates_folder_is_a_config_error(tmp_path: Path) -> None:
    result = sync(tmp_path, entries(2), extra='[render]\ntemplates = "my-templates"\n')
    assert result.code == 2
    assert "[render.templates]" in result.err and "not a folder" in result.err


def test_an_os_error_while_writing_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be")
    root = site(tmp_path, entries(2))
    config = root / "scholarsync.toml"
    config.write_text(config.read_text().replace('csl_json = "out.json"',
                                                 'csl_json = "blocker/out.json"'))
    result = run(root)
    assert result.code == 2
    assert "blocker" in result.err and "not a folder" in result.err
    assert "Traceback" not in result.err
    assert (tmp_path / "blocker").read_text() == "a file where a folder should be"


# -- permissions and temp files ----------------------------------------------------------------

@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        result = sync(tmp_path, entries(2))
    finally:
        os.umask(old)
    assert result.code == 0, result.err
    for name in ("out.bib", "out.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == mode


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    (tmp_path / "out.bib").write_text("old")
    (tmp_path / "out.bib").chmod(0o640)
    assert sync(tmp_path, entries(2)).code == 0
    assert (tmp_path / "out.bib").stat().st_mode & 0o777 == 0o640
    assert "Work Number 1" in (tmp_path / "out.bib").read_text()


def test_a_killed_runs_temp_files_are_removed_by_the_next_run(tmp_path: Path) -> None:
    stale = tmp_path / ".out.bib.k3x9_q2z.tmp"
    fresh = tmp_path / ".out.json.abcdefgh.tmp"  # another run may be writing it right now
    other = tmp_path / ".notes.tmp"  # not our naming
    for path in (stale, fresh, other):
        path.write_text("partial")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    os.utime(other, (hour_ago, hour_ago))
    assert sync(tmp_path, entries(2)).code == 0
    assert not stale.exists()
    assert fresh.exists() and other.exists()
    assert not list((tmp_path / "site").glob(".*.tmp"))


# -- an edit saved while the tool runs ---------------------------------------------------------

def test_a_page_saved_between_read_and_write_is_not_overwritten(tmp_path: Path) -> None:
    root = site(tmp_path, entries(3))
    config = load_config(root / "scholarsync.toml")
    outcome = run_sync(config, RunOptions(dry_run=True))  # read and planned, nothing written
    page = root / "site" / "index.md"
    edited = MD_PAGE + "\nA paragraph typed while the sync ran.\n"
    page.write_text(edited)
    with pytest.raises(ChangedMeanwhileError, match="index.md changed while scholarsync"):
        write_outputs(outcome)
    assert page.read_text() == edited
    assert not (root / "cache" / "library.json").exists()  # the next run redoes everything
    assert run(root).code == 0
    assert "A paragraph typed while the sync ran." in page.read_text()
    assert len(bullets(page.read_text())) == 3


def test_write_atomic_refuses_a_file_that_changed_since_it_was_read(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"v2 saved by an editor")
    with pytest.raises(ChangedMeanwhileError):
        write_atomic(path, b"tool output", expected=b"v1 read by the tool")
    assert path.read_bytes() == b"v2 saved by an editor"
    assert write_atomic(path, b"tool output", expected=b"v2 saved by an editor")
    with pytest.raises(ChangedMeanwhileError):
        write_atomic(tmp_path / "new.txt", b"x", expected=b"it existed")  # it was deleted
    assert not list(tmp_path.glob(".*.tmp"))


def test_write_atomic_by_digest_refuses_a_changed_file_and_skips_an_equal_one(
        tmp_path: Path) -> None:
    """The saved library is compared by its digest (no second copy of it in memory), with
    the same guarantees as bytes."""
    def write(data: bytes, expected: Digest | None) -> bool:
        return write_atomic_chunks(path, [data[:4], data[4:]], Digest.of(data), expected)

    path = tmp_path / "library.json"
    path.write_bytes(b"saved by run 1")
    seen = read_digest(path)
    assert seen == b"saved by run 1" and seen != b"saved by run 2"
    assert read_digest(tmp_path / "missing.json") is None
    assert not write(b"saved by run 1", seen)  # the same bytes: no write
    path.write_bytes(b"restored from git meanwhile")
    with pytest.raises(ChangedMeanwhileError):
        write(b"saved by run 2", seen)
    assert path.read_bytes() == b"restored from git meanwhile"
    assert write(b"saved by run 2", read_digest(path))
    assert path.read_bytes() == b"saved by run 2"


def test_a_library_restored_between_read_and_write_is_not_overwritten(tmp_path: Path) -> None:
    root = site(tmp_path, entries(3))
    assert run(root).code == 0
    (root / "refs.bib").write_text(entries(4))  # one more work: the library changes
    config = load_config(root / "scholarsync.toml")
    outcome = run_sync(config, RunOptions(dry_run=True))
    library = root / "cache" / "library.json"
    planned = next(f for f in outcome.files if f.role == "library")
    assert isinstance(planned.old, Digest) and planned.old == library.read_bytes()
    library.write_bytes(library.read_bytes().replace(b"\n]}", b"\n ]}"))
    before = library.read_bytes()
    with pytest.raises(ChangedMeanwhileError):
        write_outputs(outcome)
    assert library.read_bytes() == before


# -- the removal guard (CONTRACT §10) ----------------------------------------------------------

def test_a_cut_bib_file_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    assert sync(tmp_path, entries(8)).code == 0
    before = {name: (tmp_path / name).read_bytes() for name in ("out.bib", "out.json")}
    page_before = (tmp_path / "site" / "index.md").read_bytes()
    (tmp_path / "refs.bib").write_text(entries(2))  # the file was cut short
    result = run(tmp_path)
    assert result.code == 1
    assert "6 of the 8 publications would be removed" in result.out
    assert "--force" in result.out
    assert {name: (tmp_path / name).read_bytes() for name in before} == before
    assert (tmp_path / "site" / "index.md").read_bytes() == page_before
    assert "not written" in result.out
    forced = run(tmp_path, "--force")
    assert forced.code == 0, forced.err
    assert len(bullets((tmp_path / "site" / "index.md").read_text())) == 2


def test_a_few_removals_go_through(tmp_path: Path) -> None:
    assert sync(tmp_path, entries(12)).code == 0
    (tmp_path / "refs.bib").write_text(entries(9))  # 3 of 12: a quarter, not more
    result = run(tmp_path)
    assert result.code == 0, result.out
    assert len(bullets((tmp_path / "site" / "index.md").read_text())) == 9


def test_two_removals_of_three_go_through(tmp_path: Path) -> None:
    assert sync(tmp_path, entries(3)).code == 0
    (tmp_path / "refs.bib").write_text(entries(1))  # fewer than three: not the guard's
    assert run(tmp_path).code == 0


# -- what the CLI prints -----------------------------------------------------------------------

def test_quiet_prints_nothing_when_nothing_needs_attention(tmp_path: Path) -> None:
    root = site(tmp_path, entries(2))
    first = run(root, "--quiet")
    assert first.code == 0 and first.out == "" and first.err == ""
    (tmp_path / "refs.bib").write_text(entries(2) + "@article{notitle, year = 2001}\n")
    warned = run(root, "--quiet")
    assert warned.out == ""
    assert "entry 'notitle' has no title" in warned.err


def test_quiet_still_reports_a_run_that_needs_attention(tmp_path: Path) -> None:
    assert sync(tmp_path, entries(8)).code == 0
    (tmp_path / "refs.bib").write_text(entries(1))
    result = run(tmp_path, "--quiet")
    assert result.code == 1
    assert "would be removed" in result.out


def test_check_and_render_name_files_relative_to_the_config(tmp_path: Path) -> None:
    root = site(tmp_path, entries(2))
    checked = run(root, "--check")
    assert checked.code == 1
    assert "site/index.md" in checked.err and str(tmp_path) not in checked.err
    assert run(root).code == 0
    rendered = run(root, command="render")
    assert rendered.code == 0
    assert rendered.err.startswith("site/index.md: unchanged")


# -- what a user wrote that does nothing: warnings with file and line (CONTRACT §10) -----------

ATTR_PAGE = ("# Me\n\n## Selected\n"
             "<!-- scholarsync:begin publications slected=true -->\n"
             "<!-- scholarsync:end publications -->\n"
             "## Two\n<!-- scholarsync:begin publications keys=w1,nosuchkey2020 colour=red -->\n"
             "<!-- scholarsync:end publications -->\n")


def test_a_misspelled_attribute_is_a_warning_with_its_line(tmp_path: Path) -> None:
    result = sync(tmp_path, entries(2), page_text=ATTR_PAGE)
    assert result.code == 0, result.err
    assert ("index.md:4: section 'publications': unknown attribute 'slected' is ignored "
            "(did you mean 'selected'?)") in result.err
    assert "index.md:7: section 'publications': unknown attribute 'colour'" in result.err
    assert "known: keys, type" in result.err


def test_a_keys_entry_matching_nothing_is_a_warning(tmp_path: Path) -> None:
    result = sync(tmp_path, entries(2), page_text=ATTR_PAGE)
    assert "index.md:7: section 'publications': keys= 'nosuchkey2020' match no publication" \
        in result.err
    assert "'w1'" not in result.err


def test_an_owner_matching_no_author_is_a_warning_naming_the_config_line(tmp_path: Path) -> None:
    root = site(tmp_path, entries(2))
    config = root / "scholarsync.toml"
    config.write_text(config.read_text().replace('name = "Vima Gupta"', 'name = "Vimma Guptah"'))
    result = run(root)
    assert result.code == 0
    assert "scholarsync.toml:2: the owner name 'Vimma Guptah'" in result.err
    assert "matches no author" in result.err
    assert "owner name" not in sync(tmp_path, entries(2)).err  # spelled right: no warning


def test_dry_run_shows_the_page_and_export_diff_not_the_library_json(tmp_path: Path) -> None:
    assert sync(tmp_path, entries(2)).code == 0
    (tmp_path / "refs.bib").write_text(entries(3))
    result = run(tmp_path, "--dry-run")
    assert result.code == 0
    assert "+++ b/out.bib" in result.out and "+  title = {Work Number 2 On Things}," in result.out
    assert "+++ b/site/index.md" in result.out
    assert "cache/library.json: would be saved" in result.out
    assert '"publications"' not in result.out  # no line of the library's JSON
    assert max(len(line) for line in result.out.splitlines()) < 400  # out.json is one line
    assert "1 added" in result.err


def test_verbose_shows_requests_and_cache_hits_not_the_lock_librarys(
        tmp_path: Path, httpserver: HTTPServer) -> None:
    site_ = e2e.make_site(tmp_path, httpserver)
    first = e2e.sync(site_, "--verbose")
    assert first.returncode == 0, first.stderr
    assert "Attempting to acquire lock" not in first.stderr
    assert re.search(r"DEBUG: GET https://scholar\.google\.com/citations\?user=\S+ -> HTTP 200, "
                     r"[\d,]+ bytes", first.stderr)
    second = e2e.sync(site_, "--verbose", "--refresh")
    assert "(conditional)" in second.stderr or "cache hit (fresh)" in second.stderr


def test_a_secret_in_a_url_never_reaches_the_log() -> None:
    url = "https://api.example.org/works?filter=x&api_key=s3cr3t-value&mailto=me%40x.org"
    shown = loggable_url(url)
    assert "s3cr3t" not in shown and "api_key=***" in shown and "mailto=" in shown
    assert len(loggable_url("https://h/" + "q" * 1000)) <= 161


def test_a_duplicate_key_across_files_names_both_files_relative_to_the_config(
        tmp_path: Path) -> None:
    """Messages name files as the report does (relative), the first place of a key too."""
    (tmp_path / "bib").mkdir()
    (tmp_path / "bib" / "one.bib").write_text("@article{a, title={One Work}, year={2020}}\n")
    (tmp_path / "bib" / "two.bib").write_text("\n@article{a, title={Two Work}, year={2021}}\n")
    (tmp_path / "scholarsync.toml").write_text(
        '[profile]\nname = "A. Person"\n\n[[sources]]\nkind = "bibtex"\n'
        'paths = ["bib/one.bib", "bib/two.bib"]\n')
    result = run(tmp_path, "--offline", "--verbose")
    line = next(text for text in result.err.splitlines() if "duplicate citation key" in text)
    assert "bib/two.bib:2:" in line and "first at bib/one.bib:1" in line
    assert str(tmp_path) not in result.err
