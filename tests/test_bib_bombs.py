"""Issue 9, dangerous input: an ``@string`` bomb is a parse error for its entry, not a crash.

The .bib texts are synthetic: a few hundred bytes of nested macros that would expand to
gigabytes, and a chain of macros nested far deeper than any real file does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.test_trust_page import bullets, sync

BOMB = "\n".join(
    ['@string{a = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}']
    + [f"@string{{{name} = {' # '.join([prev] * 16)}}}"
       for prev, name in zip("abcdef", "bcdefg", strict=True)]
    + ["", "@article{bomb2020, title = g, author = {Doe, Jane}, year = 2020}",
       "@article{fine2021, title = {A Fine Paper}, author = {Gupta, Vima}, year = 2021,",
       "  journal = a}", ""])


def test_a_string_bomb_skips_its_entry_and_keeps_the_rest(tmp_path: Path) -> None:
    assert len(BOMB) < 1100  # 64 * 16**6 characters if it were expanded: 1 GB
    result = sync(tmp_path, BOMB)
    assert result.code == 0, result.err
    assert len(bullets(result.section())) == 1
    assert "A Fine Paper" in result.section()
    assert "bomb2020" not in result.bib and "fine2021" in result.bib
    assert "refs.bib:9: entry 'bomb2020'" in result.err
    assert "uses @string 'd', which expands beyond 200,000 characters" in result.err
    assert "refs.bib:4: @string 'd' is not used" in result.err
    assert (tmp_path / "out.bib").stat().st_size < 10_000
    assert (tmp_path / "site" / "index.md").stat().st_size < 10_000


def test_the_bomb_costs_little_memory(tmp_path: Path) -> None:
    (tmp_path / "bomb.bib").write_text(BOMB)
    # The child's own peak: VmHWM where /proc exists. ru_maxrss also counts the parent's peak
    # (vfork + exec), so a large test run earlier in this process would fail this one.
    code = ("import os, resource, sys\n"
            "from scholarsync.sources.bibtex import read_bib_file\n"
            "records, problems = read_bib_file(sys.argv[1])\n"
            "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "if os.path.exists('/proc/self/status'):\n"
            "    peak = next(int(line.split()[1]) for line in open('/proc/self/status')\n"
            "                if line.startswith('VmHWM:'))\n"
            "print(len(records), peak)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "bomb.bib")],
                         capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert out[0] == "1"
    assert int(out[1]) < 200 * 1024  # kB: the bound is 200 MB


def test_macros_nested_too_deep_are_refused_with_their_line(tmp_path: Path) -> None:
    chain = ['@string{m0 = "x"}'] + [f'@string{{m{i} = m{i - 1} # "y"}}' for i in range(1, 200)]
    bib = "\n".join([*chain, "@article{deep, title = m199, year = 2000}",
                     "@article{shallow, title = m3, author = {Doe, Jane}, year = 2001}", ""])
    result = sync(tmp_path, bib)
    assert result.code == 0, result.err
    assert "refs.bib:201: entry 'deep'" in result.err
    assert "nests macros deeper than 32 levels" in result.err
    assert "xyyy" in result.section()  # a shallow chain still expands


def test_an_overlong_literal_field_is_refused(tmp_path: Path) -> None:
    bib = ("@article{long, title = {" + "word " * 50_000 + "}, year = 2000}\n"
           "@article{short, title = {Short}, author = {Doe, Jane}, year = 2001}\n")
    result = sync(tmp_path, bib)
    assert "entry 'long': the value of 'title' is longer than 200,000 characters" in result.err
    assert len(bullets(result.section())) == 1
