"""The shortcuts of the cold export path give what the general code gives (issue 13).

Names are split on " and " only outside braces, white space is collapsed as ``str.split``
collapses it, and the writer's output stays balanced whether or not a value takes the shortcut
that skips the brace repair: what a user sees in the exported file and on the page.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scholarsync.core.latex import collapse_whitespace
from scholarsync.core.normalize import _AND, _COMMA, _SPACE, _split_braced, _split_top_level
from scholarsync.outputs.bibtex import _balance, safe_value
from scholarsync.sources.bibtex import read_bib_text

_NAME_PIECES = st.sampled_from(["{", "}", " and ", " AND ", "and", "a", "Doe", ",", " ", "~",
                                "\\", "{\\'e}", "  "])
_SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\u00a0", "\u2003", "\x1c", "\u200b", "a",
                           "b", "é", "{", "\x00"])
_VALUE_PIECES = st.sampled_from(["{", "}", "\\", "\\{", "\\}", "a", " ", "@", "@x{", "\n@a{",
                                 "\\\\{", "é"])


@given(st.lists(_NAME_PIECES, max_size=12).map("".join))
def test_names_split_only_outside_braces(text: str) -> None:
    for sep in (_AND, _COMMA, _SPACE):
        walked = [p.strip() for p in _split_braced(text, sep)]
        assert _split_top_level(text, sep, keep_empty=True) == walked
        assert _split_top_level(text, sep) == [p for p in walked if p]


@given(st.lists(_SPACES, max_size=8).map("".join))
def test_collapse_whitespace_is_str_split(text: str) -> None:
    assert collapse_whitespace(text) == " ".join(text.split())


@given(st.lists(_VALUE_PIECES, max_size=10).map("".join))
def test_written_values_are_balanced_with_or_without_the_shortcut(value: str) -> None:
    safe = safe_value(value)
    for escaped_counts in (True, False):  # BibTeX counts "\{"; bibtexparser does not
        depth = 0
        for i, ch in enumerate(safe):
            if ch in "{}" and (escaped_counts or i == 0 or safe[i - 1] != "\\"):
                depth += 1 if ch == "{" else -1
                assert depth >= 0, safe
        assert depth == 0, safe
    if "{" in value or "}" in value:  # the shortcut changes nothing _balance would keep
        assert _balance(safe) == safe


def test_a_corporate_author_with_and_in_braces_stays_one_author() -> None:
    text = ("@article{k, author = {{Barnes and Noble} and Doe, Jane and {\\'E}mile Zola},\n"
            " title = {T}}\n")
    (record,), _ = read_bib_text(text, "x.bib")
    assert [p.literal or p.family for p in record.authors] == ["Barnes and Noble", "Doe",
                                                               "Zola"]
