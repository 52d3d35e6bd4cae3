"""Front matter of site files (Jekyll, Hugo): split, parse, dump, and the tool's signature.

A file the tool writes for a site stack carries, as the last key of its YAML front matter::

    scholarsync:
      key: gupta2024infinity
      checksum: sha256:0123456789abcdef

``checksum`` is a hash of the whole file with that one line left out (and of any companion
file, such as a Hugo bundle's ``cite.bib``), blind to line endings and trailing blanks. A file
whose hash no longer matches was edited by hand. A file without the ``scholarsync`` mapping is
the user's own and is never rewritten or deleted.

YAML is written by PyYAML's safe dumper (quoting whatever would otherwise change type or
meaning) and read by its safe loader; Hugo's TOML front matter (``+++``) is read too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

MARK = "scholarsync"
_PLACEHOLDER = "sha256:" + "0" * 16
_CHECKSUM_LINE = re.compile(
    r"^[ \t]*checksum:[ \t]*['\"]?sha256:[0-9a-f]{16}['\"]?[ \t]*(\r\n|\n|\r)", re.MULTILINE)
_FENCE = {"---": ("---", "..."), "+++": ("+++",)}




@lru_cache(maxsize=1)
def _yaml() -> tuple[Any, type[yaml.SafeLoader], type[yaml.SafeDumper]]:
    """PyYAML, its loader and dumper, imported on first use (not by every command that
    imports a source): libyaml's safe loader when PyYAML was built with it (same results,
    many times faster); writing always uses the pure-Python emitter, so that the bytes are
    the same everywhere, without anchors and aliases (a value used twice is written twice)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader), Dumper


class FrontMatterError(ValueError):
    """The front matter cannot be read; ``line`` is 1-based within the file."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(message)


@dataclass
class Document:
    """A site file: its front matter (parsed), the body after it, and the raw text."""

    data: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    text: str = ""
    has_front_matter: bool = False

    @property
    def owner_key(self) -> str | None:
        """The citation key when the tool wrote this file, else None."""
        mark = self.data.get(MARK)
        if isinstance(mark, dict) and mark.get("key") is not None:
            return str(mark["key"])
        return None

    @property
    def checksum(self) -> str:
        mark = self.data.get(MARK)
        return str(mark.get("checksum", "")) if isinstance(mark, dict) else ""


def split(text: str) -> tuple[str, str, str] | None:
    """``(fence, front matter text, body)`` or None when the text has no front matter."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() not in _FENCE:
        return None
    fence = lines[0].rstrip()
    for number, line in enumerate(lines[1:], start=1):
        if line.rstrip() in _FENCE[fence]:
            return fence, "".join(lines[1:number]), "".join(lines[number + 1:])
    raise FrontMatterError(f"the front matter opened with {fence!r} on line 1 is never closed",
                           1)


def parse(text: str) -> Document:
    """The document of ``text``; FrontMatterError when its front matter is malformed."""
    parts = split(text)
    if parts is None:
        return Document({}, text, text, False)
    fence, head, body = parts
    yaml, loader, _ = _yaml()
    try:
        data = tomllib.loads(head) if fence == "+++" else yaml.load(head, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark is not None else None
        raise FrontMatterError(f"front matter is not valid YAML ({exc.problem})", line) from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(f"front matter is not valid YAML ({exc})", 1) from None
    except tomllib.TOMLDecodeError as exc:
        raise FrontMatterError(f"front matter is not valid TOML ({exc})", 1) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError("front matter is not a mapping of keys to values", 2)
    return Document({str(k): v for k, v in data.items()}, body, text, True)


_BROKEN_MARK = re.compile(
    r"^scholarsync:[ \t]*\r?\n[ \t]+key:[ \t]*['\"]?([^'\"\r\n]+?)['\"]?[ \t]*$", re.MULTILINE)


def broken_mark(text: str) -> Document | None:
    """For a file whose front matter no longer parses: a document holding only the tool's
    key when the tool's mark is still there (so it is known as the tool's, and as edited),
    else None."""
    match = _BROKEN_MARK.search(text)
    if match is None:
        return None
    return Document({MARK: {"key": match.group(1)}}, "", text, True)


def dump(data: dict[str, Any]) -> str:
    """YAML front matter text (no fences) for ``data``, keys in the given order."""
    yaml, _, dumper = _yaml()
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=1_000_000, indent=2)


def _digest(text: str) -> str:
    lines = [line.rstrip() for line in re.split(r"\r\n|\r|\n", text)]
    normalized = "\n".join(lines).strip("\n")
    return "sha256:" + hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:16]


def _without_checksum(text: str) -> str | None:
    parts = split(text)
    if parts is None:
        return None
    head_end = len(text) - len(parts[2])
    matches = list(_CHECKSUM_LINE.finditer(text, 0, head_end))
    if not matches:
        return None
    match = matches[-1]  # the tool's mapping is the last key
    return text[:match.start()] + text[match.end():]


def signed(data: dict[str, Any], body: str, key: str, companions: tuple[str, ...] = ()) -> str:
    """The file text: ``data`` plus the tool's key and checksum as front matter, then ``body``.
    ``companions`` are the texts of files that belong with it (they count in the checksum)."""
    marked = {k: v for k, v in data.items() if k != MARK}
    marked[MARK] = {"key": key, "checksum": _PLACEHOLDER}
    text = f"---\n{dump(marked)}---\n{body}"
    bare = _without_checksum(text)
    assert bare is not None
    return text.replace(_PLACEHOLDER, checksum(bare, companions), 1)


def checksum(bare: str, companions: tuple[str, ...] = ()) -> str:
    return _digest("\n".join((bare, *companions)))


def intact(doc: Document, companions: tuple[str, ...] = ()) -> bool:
    """True when a file the tool wrote is as it wrote it (with its companions)."""
    bare = _without_checksum(doc.text)
    return bare is not None and checksum(bare, companions) == doc.checksum


def slugify(text: str, limit: int = 60) -> str:
    """Lower-case ASCII words joined by ``-``, cut at a word boundary (``"untitled"`` when
    nothing is left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        cut = slug[:limit + 1]
        slug = cut[:cut.rindex("-")] if "-" in cut else slug[:limit]
    return slug or "untitled"


def as_text(value: Any) -> str:
    """A front matter value as a string (dates ISO, lists joined, None empty)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(as_text(v) for v in value)
    return str(value).strip()


def date_parts(value: Any) -> tuple[int | None, int | None, int | None]:
    """Year, month and day of a front matter date (``2024-10-01``, ``2024-10``, ``2024``, a
    date or datetime); None for each part that is not given."""
    if isinstance(value, dt.datetime | dt.date):
        return value.year, value.month, value.day
    if value is None:
        return None, None, None
    match = re.match(r"\s*['\"]?(\d{4})(?:[-/](\d{1,2}))?(?:[-/](\d{1,2}))?", str(value))
    if not match:
        return None, None, None
    year, month, day = (int(g) if g else None for g in match.groups())
    return year, month if month and 1 <= month <= 12 else None, day if day and day <= 31 else None
