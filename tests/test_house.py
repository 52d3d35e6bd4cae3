"""The seams of the house: no import cycle, no source kind named in core or outputs, and a
third-party source and folder output that plug in from this file alone."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from scholarsync import sources as registry

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "scholarsync"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Every import of the package's modules, lazy and type-checking ones included."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
                    break
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_at_all() -> None:
    assert _cycles(_import_graph()) == []


def test_core_model_and_outputs_name_no_source_kind() -> None:
    # an identifier every source may yield ("arxiv") may share its name with the source that
    # looks it up: naming the identifier is no naming of the kind
    shared = {spec.name for spec in registry.SHARED_IDENTIFIERS}
    kinds = "|".join(re.escape(k) for k in registry.BUILTIN if k not in shared)
    literal = re.compile(rf"""["']({kinds})["']""")
    offenders = []
    for path in [PACKAGE / "model.py", *(PACKAGE / "core").rglob("*.py"),
                 *(PACKAGE / "outputs").rglob("*.py")]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            # an [outputs] key that the contract spells like a source kind is no source kind
            if re.search(r"^\s*key = |^\s*\"\w+\": \"scholarsync\.outputs\.", line):
                continue
            if literal.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert offenders == []


PLUGIN = '''
"""A toy source and a toy folder output, registered through entry points."""
from pathlib import Path

from scholarsync.model import IdentifierSpec, Origin, Person, Record
from scholarsync.outputs.base import FileChange, Output, read_bytes
from scholarsync.sources.base import Source


class ToySource(Source):
    kind = "toy"
    web = False
    rank = 70
    required = ("works",)
    identifiers = (IdentifierSpec("toy", link="https://toy.example/w/{id}", label="Toy"),)
    citation_label = "Toy Index"

    def read(self):
        records = []
        for line, work in enumerate(self.config.options["works"], 1):
            ident, title, year, count = work.split("|")
            records.append(Record(
                source="toy", origin=Origin("toy", "toy-list", line), key=f"toy:{ident}",
                title=title, year=int(year), authors=[Person("Vima", "Gupta")],
                fields={"title": title, "year": year}, ids={"toy": ident},
                citations=int(count), citations_read="2026-01-02"))
        return self.result(records)

    def result(self, records):
        from scholarsync.model import SourceResult
        return SourceResult(kind="toy", records=records)


class ToyFolder(Output):
    key = "toyfolder"
    folder = True

    def plan(self, ctx):
        wanted = {self.path / f"{p.key}.txt": f"{p.title} ({p.year})\\n".encode()
                  for p in ctx.publications}
        changes = [FileChange(path, self.key, read_bytes(path), text)
                   for path, text in sorted(wanted.items())]
        for path in self.owned_files():
            if path not in wanted:
                changes.append(FileChange(path, self.key, read_bytes(path), None))
        return changes
'''


def _plugin_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plugin"
    info = folder / "toy_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (folder / "toy_plugin.py").write_text(PLUGIN)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[scholarsync.sources]\ntoy = toy_plugin:ToySource\n"
        "broken = toy_plugin_missing:Nothing\n\n"
        "[scholarsync.outputs]\ntoyfolder = toy_plugin:ToyFolder\n")
    return folder


def _site(tmp_path: Path, works: list[str]) -> Path:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "index.md").write_text(
        "# Me\n\n<!-- scholarsync:begin publications -->\n"
        "<!-- scholarsync:end publications -->\n")
    listed = ", ".join(f'"{w}"' for w in works)
    (site / "scholarsync.toml").write_text(textwrap.dedent(f"""
        [profile]
        name = "Vima Gupta"
        page = "index.md"

        [[sources]]
        kind = "toy"
        works = [{listed}]

        [outputs]
        toyfolder = "pubs"

        [render]
        citations = ["toy"]
        """))
    return site


def _sync(site: Path, plugin: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(plugin), str(PACKAGE.parent), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "scholarsync", "sync", "--config",
                           str(site / "scholarsync.toml")], capture_output=True, text=True,
                          env=env, timeout=120)


def test_a_plugin_source_and_folder_output_from_this_file_alone(tmp_path: Path) -> None:
    plugin = _plugin_dir(tmp_path)
    site = _site(tmp_path, ["a1|Counting Sheep Quickly|2024|12", "b2|Sleeping Well|2023|0"])
    first = _sync(site, plugin)
    assert first.returncode == 0, first.stderr
    page = (site / "index.md").read_text()
    assert "Counting Sheep Quickly" in page and "Sleeping Well" in page
    assert "[Toy](https://toy.example/w/a1)" in page  # linked through the declared id
    assert "Cited by 12 (Toy Index, 2026-01-02)" in page  # counted under its own label
    assert "broken" in first.stderr and "could not be loaded" in first.stderr
    files = sorted(p.name for p in (site / "pubs").iterdir())
    assert len(files) == 2

    second = _sync(_site(tmp_path, ["a1|Counting Sheep Quickly|2024|12"]), plugin)
    assert second.returncode == 0, second.stderr
    assert len(list((site / "pubs").iterdir())) == 1  # the gone work's file is deleted
    assert "Sleeping Well" not in (site / "index.md").read_text()
