"""Progress of the fetch phase: a live status line on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_reporter(enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """Yield a callback taking one message per step, drawn on stderr."""
    if not enabled:
        yield lambda message: None
        return
    if not sys.stderr.isatty():
        yield lambda message: print(f"scholarsync: {message}", file=sys.stderr, flush=True)
        return
    from rich.console import Console

    console = Console(stderr=True)
    with console.status("scholarsync: starting") as status:
        yield lambda message: status.update(f"scholarsync: {message}")
