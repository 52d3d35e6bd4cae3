"""Registry of source kinds: the keys each accepts, and the class that reads it.

Classes are imported lazily so that loading a config (or running ``list`` on .bib files
only) never imports the HTTP stack.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scholarsync.sources.base import Source


@dataclass(frozen=True)
class SourceKind:
    """What a ``[[sources]]`` table of this kind may hold, and where its class lives."""

    name: str
    target: str  # "module:Class"
    required: tuple[str, ...]
    optional: tuple[str, ...]
    web: bool  # True when it reads web pages (takes base_url)

    @property
    def keys(self) -> tuple[str, ...]:
        return ("kind", *self.required, *self.optional)

    def load(self) -> type[Source]:
        module_name, class_name = self.target.split(":")
        return getattr(importlib.import_module(module_name), class_name)


_WEB_KEYS = ("base_url", "max_age_hours")

KINDS: dict[str, SourceKind] = {
    "bibtex": SourceKind(
        "bibtex",
        "scholarsync.sources.bibtex:BibtexSource",
        required=("paths",),
        optional=("encoding", "max_age_hours"),
        web=False,
    ),
    "escholarship": SourceKind(
        "escholarship",
        "scholarsync.sources.escholarship:EscholarshipSource",
        required=("items",),
        optional=_WEB_KEYS,
        web=True,
    ),
    "scholar": SourceKind(
        "scholar",
        "scholarsync.sources.scholar:ScholarSource",
        required=("user",),
        optional=(*_WEB_KEYS, "hl"),
        web=True,
    ),
}


def kind(name: str) -> SourceKind:
    """The registered kind called ``name`` (KeyError when unknown)."""
    return KINDS[name]
