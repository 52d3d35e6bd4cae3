"""Text printed to a terminal: escape sequences and control characters from data removed.

A title from the web or a .bib may carry OSC 8 hyperlinks, CSI sequences (clear the screen,
move the cursor), a bell or bidi overrides; printed raw they would act on the user's terminal.
"""

from __future__ import annotations

import re
from pathlib import Path

_SEQUENCE = re.compile(
    r"\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC (hyperlinks, titles), to its end
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS, SOS, PM, APC
    r"|\x1b.?")  # any other escape
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FIELD = re.compile(r"[\t\n\r]+")


def printable(text: str) -> str:
    """``text`` without escape sequences or control characters (new lines and tabs kept)."""
    if text.isascii() and text.isprintable():
        return text
    return _CONTROL.sub("", _SEQUENCE.sub("", text))


def field(text: str) -> str:
    """One value on a line of columns: also no tab or new line inside it."""
    return _FIELD.sub(" ", printable(text))


def relative(path: Path, root: Path) -> str:
    """``path`` as the user names it: relative to the config's folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)
