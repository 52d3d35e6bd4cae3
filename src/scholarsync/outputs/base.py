"""The output protocol: an output plans the files it would write or delete; the app writes.

Every plan goes through the same atomic, write-only-on-change writer, the same ``--dry-run``
diff and the same ``--check``. A folder output (one file per publication) and the deletion of a
file the tool owns are plans like any other (:class:`FileChange` with ``new = None``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from scholarsync.fileio import Digest
from scholarsync.model import Publication, Rules

if TYPE_CHECKING:
    from scholarsync.config import Config
    from scholarsync.core.library import Library
    from scholarsync.outputs.memo import Memos


@dataclass
class FileChange:
    """One planned file: what it holds now and what the run would write (None: delete it)."""

    path: Path
    role: str  # the output's config key, "page" or "library"
    old: bytes | Digest | None  # a Digest only for the library (never shown as a diff)
    new: bytes | Digest | None  # a Digest when ``chunks`` writes it (the library)
    detail: str = ""  # e.g. the sections rendered
    chunks: Callable[[], Iterator[bytes]] | None = None  # the new content, piece by piece

    @property
    def changed(self) -> bool:
        return self.old != self.new

    @property
    def deletes(self) -> bool:
        return self.new is None and self.old is not None


@dataclass
class PlanContext:
    """What an output may look at when it plans."""

    publications: list[Publication]
    library: Library
    config: Config
    rules: Rules
    force: bool = False
    memos: Memos | None = None  # per-publication pieces remembered between runs


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def landing_page(pub: Publication, rules: Rules | None = None) -> str:
    """The work's web page: its ``url`` link, else the link of a landing-page identifier."""
    if pub.links.get("url"):
        return pub.links["url"]
    if rules is None:
        from scholarsync.sources import rules as registered

        rules = registered()
    for spec in rules.identifiers:
        if spec.landing and pub.links.get(spec.name):
            return pub.links[spec.name]
    return ""


class Output(ABC):
    """One kind of output, configured by ``[outputs] <key> = "<path>"``."""

    key: ClassVar[str]
    folder: ClassVar[bool] = False  # the path names a folder (one file per publication)
    #: True for an output that writes a managed part of a file the user also reads as input
    #: (a block in their own .bib); any other output set to an input path is a config error.
    edits_input: ClassVar[bool] = False

    def __init__(self, path: Path, config: Config):
        self.path = path
        self.config = config

    @abstractmethod
    def plan(self, ctx: PlanContext) -> list[FileChange]:
        """The files this output would write or delete for ``ctx.publications``."""

    def owned_files(self) -> list[Path]:
        """The files it may write or delete now (fingerprinted by the fast path)."""
        if self.folder:
            return sorted(p for p in self.path.rglob("*") if p.is_file()) \
                if self.path.is_dir() else []
        return [self.path]


class SingleFileOutput(Output):
    """An output that is one text file rendered from the publications."""

    @abstractmethod
    def render(self, pubs: list[Publication]) -> str:
        """The file's text."""

    def render_with(self, pubs: list[Publication], memos: Memos | None) -> str:
        """:meth:`render`, each publication's part read back from ``memos`` where an output
        knows how (the same text)."""
        return self.render(pubs)

    def plan(self, ctx: PlanContext) -> list[FileChange]:
        return [FileChange(self.path, self.key, read_bytes(self.path),
                           self.render_with(ctx.publications, ctx.memos).encode("utf-8"))]
