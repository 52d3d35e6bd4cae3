"""The output registry: config key -> Output class, one line per output, plus plugins.

Adding an output is one module in this folder and one line in :data:`BUILTIN`. Third-party
outputs register in the ``scholarsync.outputs`` entry-point group; one that fails to load is
reported (:func:`plugin_problems`) and skipped.
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from scholarsync.model import Problem

ENTRY_POINT_GROUP = "scholarsync.outputs"

BUILTIN: dict[str, str] = {
    "bibtex": "scholarsync.outputs.bibtex:BibtexOutput",
    "csl_json": "scholarsync.outputs.csl_json:CslJsonOutput",
    "json": "scholarsync.outputs.json:JsonOutput",
    "data": "scholarsync.outputs.data:DataOutput",
    "citations": "scholarsync.outputs.citations:CitationsOutput",
    "bib_block": "scholarsync.outputs.bib_block:BibBlockOutput",
    "academicpages": "scholarsync.outputs.academicpages:AcademicpagesOutput",
    "hugo": "scholarsync.outputs.hugo:HugoOutput",
}

_problems: list[Problem] = []


@cache
def _plugins() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in BUILTIN:
            continue
        try:
            found[point.name] = point.load()
        except Exception as exc:  # a broken plugin must not stop the tool
            _problems.append(Problem("warning", f"output plugin {point.name!r} ({point.value}) "
                                     f"could not be loaded, skipped: {type(exc).__name__}: {exc}"))
    return found


def keys() -> list[str]:
    """Every ``[outputs]`` key: the built-in ones, then plugins."""
    return [*BUILTIN, *sorted(_plugins())]


def output_class(key: str) -> Any:
    """The Output class configured by ``key`` (KeyError when none is registered)."""
    if key in BUILTIN:
        module_name, _, class_name = BUILTIN[key].partition(":")
        return getattr(importlib.import_module(module_name), class_name)
    return _plugins()[key]


def configured(config: Any) -> list[Any]:
    """The Output objects of a config's ``[outputs]`` table, in registry order."""
    return [output_class(key)(path, config) for key, path in config.outputs.items()]


def plugin_problems() -> list[Problem]:
    _plugins()
    return list(_problems)
