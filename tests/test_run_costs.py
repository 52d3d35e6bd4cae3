"""What a command costs besides its work: the collector's passes (what a read leaves behind is
freed without it; a command's frozen survivors are handed back when it ends) and the modules
loaded at start-up."""

from __future__ import annotations

import gc
import weakref

import pytest

from scholarsync.core.gcpause import command_run, gc_paused
from scholarsync.core.latex import latex_to_unicode


class _Big:
    """Stands for what a reader's frame holds (the file's text, its entries)."""


def _decode_while_holding(big: _Big, text: str) -> str:
    held = [big]  # a local of the calling frame, as a reader holds its entries
    decoded = latex_to_unicode(text)
    del held
    return decoded


def test_a_pylatexenc_decode_does_not_keep_the_callers_frame_alive() -> None:
    # math goes to pylatexenc, whose parser keeps an exception cycle; it must not reach us
    gc.disable()
    try:
        big = _Big()
        ref = weakref.ref(big)
        assert _decode_while_holding(big, r"$\alpha$ rays \unknownmacro{x}") != ""
        del big
        assert ref() is None, "the caller's objects waited for the cyclic collector"
    finally:
        gc.enable()


def test_decoding_keeps_working_after_an_interrupted_decode() -> None:
    assert latex_to_unicode(r"$\beta$ decay") == latex_to_unicode(r"$\beta$ decay")
    from scholarsync.core import latex

    if latex._worker:
        latex._worker[0].close()  # as an interrupt inside pylatexenc would end it
    assert "decay" in latex_to_unicode(r"$\gamma$ decay")


def test_survivors_are_frozen_during_a_command_and_handed_back_after() -> None:
    assert gc.get_freeze_count() == 0
    with command_run():
        with gc_paused():
            kept = [[i] for i in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0


def test_outside_a_command_nothing_is_frozen() -> None:
    with gc_paused():
        kept = [[i] for i in range(100)]
    assert gc.isenabled() and kept
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("command", [["export", "-o", "out.bib"], ["sync", "--quiet"]])
def test_a_bib_only_run_loads_no_web_client_html_or_yaml_parser(tmp_path, command) -> None:
    """A .bib-only command does not pay at start-up for requests (and its cache), bs4/lxml/
    soupsieve or PyYAML: a local source needs no HTTP client, even online."""
    import subprocess
    import sys

    (tmp_path / "refs.bib").write_text("@article{a, title={A $\\alpha$ Title}, year={2020}}\n")
    (tmp_path / "index.md").write_text("# Me\n<!-- scholarsync:begin publications -->\n"
                                       "<!-- scholarsync:end publications -->\n")
    (tmp_path / "scholarsync.toml").write_text(
        '[profile]\nname = "A. Person"\npage = "index.md"\n\n'
        '[[sources]]\nkind = "bibtex"\npaths = ["refs.bib"]\n')
    probe = ("import sys, runpy\n"
             f"sys.argv = ['scholarsync', *{command!r}]\n"
             "try:\n    runpy.run_module('scholarsync', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print(sorted(m for m in ('requests', 'requests_cache', 'bs4', 'lxml', "
             "'soupsieve', 'yaml') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                          text=True, check=True)
    if command[0] == "export":
        assert "title = {A $\\alpha$ Title}" in (tmp_path / "out.bib").read_text()
    else:
        assert "A α Title" in (tmp_path / "index.md").read_text()
    assert done.stdout.strip().splitlines()[-1] == "[]"
