"""Escaping for the two page formats, and the one gate every URL passes (``safe_url``).

Markdown escaping aims at text that reads well in the source and cannot change the page's
structure: characters that start emphasis, links, code, HTML, tables, math or Liquid tags are
backslash-escaped (or written as entities), new lines become spaces, and everything else is left
alone. HTML escaping is Jinja's autoescape (markupsafe), plus the Liquid delimiters.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote

from markupsafe import Markup, escape

ALLOWED_SCHEMES = ("http", "https", "mailto")


class Md(str):
    """Text that is already Markdown (escaped or built by a filter): not escaped again."""

    __slots__ = ()


_MD_SPECIAL = re.compile(r"[\\`*_\[\]|$~]")
_ENTITY = re.compile(r"&(?=#\d+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
_LIQUID = re.compile(r"\{(?=[{%])")
#: Control characters (C0 but tab and new lines, DEL, C1): a terminal escape sequence in a title
#: is data nobody can see; it is dropped from every page.
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """``text`` without control characters (tab and new lines are kept)."""
    return _TEXT_CONTROL.sub("", text)


_LINE_START = re.compile(r"^(?:\d{1,9}(?=[.)](?:\s|$))|(?=[#+=-]))")


def md_escape(value: object) -> Md:
    """Plain text to Markdown that shows exactly that text (idempotent on ``Md``/``Markup``)."""
    if isinstance(value, Md | Markup):
        return Md(value)
    return _md_escape_text(value if type(value) is str else str(value))


@lru_cache(maxsize=65536)  # a pure function of the text; names and venues recur
def _md_escape_text(value: str) -> Md:
    text = re.sub(r"\s+", " ", _TEXT_CONTROL.sub("", value)).strip()
    text = _MD_SPECIAL.sub(lambda m: "\\" + m.group(), text)
    text = _ENTITY.sub("&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = _LIQUID.sub("&#123;", text)
    text = _LINE_START.sub(lambda m: m.group() + "\\", text, count=1)
    return Md(text)


_LIQUID_HTML = re.compile(r"\{(?=[{%#]|$)")


def html_value(value: object) -> Markup:
    """A value for an HTML page: HTML-escaped (markup built by a filter is kept), with every
    Liquid or Hugo delimiter (``{{``, ``{%``) written as ``&#123;`` so that Jekyll and Hugo,
    which process pages with front matter, show it instead of running it. Markup keeps its own
    braces except where two would open a tag (JSON-LD is built without any)."""
    if isinstance(value, Markup):
        return Markup(_LIQUID.sub("&#123;", str(value)))
    if isinstance(value, str):
        value = _TEXT_CONTROL.sub("", value)
    return Markup(_LIQUID_HTML.sub("&#123;", str(escape(value))))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def safe_url(value: object) -> str:
    """``value`` when it is an absolute http(s) or mailto URL, else ``""``.

    Control characters (which browsers drop inside a scheme) are removed before the scheme is
    read, so ``java\\tscript:`` is caught; inner spaces become ``%20``. Relative and scheme-less
    URLs are dropped too: every link the tool emits is absolute."""
    if value is None:
        return ""
    text = _CONTROL.sub("", str(value).strip()).replace(" ", "%20")
    match = _SCHEME.match(text)
    if not match or match.group(1).lower() not in ALLOWED_SCHEMES:
        return ""
    if match.group(1).lower() != "mailto" and not text[match.end():].startswith("//"):
        return ""
    return text


_RELATIVE = re.compile(r"^(?![/\\]{2})[^:\s\\]*(?:[/?#][^\s\\]*)?$")


def safe_link(value: object) -> str:
    """A link a page may carry: a ``safe_url``, or a reference relative to the site that
    cannot name a scheme or another host (``paper.pdf``, ``/assets/pdf/x.pdf``); else ``""``."""
    url = safe_url(value)
    if url or value is None:
        return url
    text = _CONTROL.sub("", str(value).strip()).replace(" ", "%20")
    return text if text and text[0] not in "?#" and _RELATIVE.match(text) else ""


def md_url(value: object) -> Md:
    """A safe link written for a Markdown link destination (``""`` when not safe)."""
    url = safe_link(value)
    return Md(quote(url, safe="!#$%&*+,-./:;=?@_~'")) if url else Md("")
