"""Benchmark (not a test): what the bib_block output costs on a large .bib.

    python bench/bench_bib_block.py [FILE.bib] [N]

Times, best of 5: ``blank_block`` (run on every .bib the bibtex source reads) on FILE as it is
and with a block of N entries appended; and the block's planning (render N web-only works,
verify the checksums of the block written before). Default FILE: the 10.7 MB corpus file.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
DEFAULT = REPO.parent / "shared" / "corpus" / "bib" / "huge" / "huge_concat.bib"

from scholarsync.model import Publication  # noqa: E402
from scholarsync.outputs.base import PlanContext  # noqa: E402
from scholarsync.outputs.bib_block import BibBlockOutput, blank_block  # noqa: E402
from scholarsync.sources import rules  # noqa: E402


def best(run, times: int = 5) -> float:
    found = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        found.append(time.perf_counter() - start)
    return min(found)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    text = path.read_bytes().decode("utf-8", errors="replace")
    pubs = [Publication(key=f"web{i}", type="misc", title=f"Work {i}", year=2000 + i % 25,
                        fields={"title": f"Work {i}", "author": "Doe, Jane"},
                        ids={"scholar": f"Yno2pxMAAAAJ:{i:012d}"}, sources=["scholar"])
            for i in range(count)]
    ctx = PlanContext(pubs, None, None, rules())  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "papers.bib"
        target.write_text(text, encoding="utf-8")
        output = BibBlockOutput(target, None)  # type: ignore[arg-type]
        first = best(lambda: output.plan(ctx), 1)
        target.write_bytes(output.plan(ctx)[0].new or b"")
        again = best(lambda: output.plan(ctx))
        with_block = target.read_text(encoding="utf-8")
    print(f"{path.name}: {len(text) / 1e6:.1f} MB, block of {count} entries")
    print(f"  blank_block, no block:    {best(lambda: blank_block(text)) * 1000:8.1f} ms")
    print(f"  blank_block, with block:  {best(lambda: blank_block(with_block)) * 1000:8.1f} ms")
    print(f"  plan, first write:        {first * 1000:8.1f} ms")
    print(f"  plan, verify + rewrite:   {again * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
