"""Data files for site templates (``[outputs] data = "_data/publications.yml"``).

The §6 JSON document (:func:`scholarsync.outputs.json.publication_json`, one object per
publication, in library order) written as YAML (``.yml``/``.yaml``) or JSON (``.json``), chosen
by the file's extension. Jekyll serves it as ``site.data.publications`` and Hugo as
``site.Data.publications``. The YAML is written so that every reader gets back the JSON values:
a string that some YAML reader would take for a number, a boolean, a null or a date (``"1e3"``,
``"yes"``, ``"2024-10-01"``, ``"0x1F"``, ``"12:30"``) is quoted, whatever the YAML version of the
reader (PyYAML and Ruby's Psych read YAML 1.1, Hugo's reader 1.2). Same publications, same bytes.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from scholarsync.model import Publication
from scholarsync.outputs.base import SingleFileOutput
from scholarsync.outputs.json import dump_json, dump_json_items, json_item, publication_json
from scholarsync.outputs.memo import Memos, rules_fingerprint
from scholarsync.sources import rules

#: Plain words that YAML 1.1 or 1.2 readers resolve to booleans or null.
_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ""}
#: A scalar that looks like a number, a date, a time or a sexagesimal in either YAML version.
_NUMBERISH = re.compile(r"[-+]?(?:\.?[0-9]|\.(?:inf|nan))[0-9a-zA-Z_.:+-]*", re.IGNORECASE)
#: Line breaks (YAML 1.1 counts NEL and the Unicode separators too), tabs, control characters.
_BREAKS = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\ufeff]")
_WIDTH = 4096  # long titles stay on one line (a diff shows one changed line)


class _Dumper(yaml.SafeDumper):
    """SafeDumper that quotes every string another YAML reader might not read as a string."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _BREAKS.search(value):  # escaped in double quotes: no reader folds or drops them
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    if value.lower() in _WORDS or _NUMBERISH.fullmatch(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_str(value)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any, *, sort_keys: bool = False) -> str:
    """Block-style YAML, Unicode kept, strings safely quoted; ``yaml.safe_load`` gives ``data``
    back."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=sort_keys,
                     default_flow_style=False, width=_WIDTH, indent=2)


def is_json_path(path: str) -> bool:
    return path.lower().endswith(".json")


def data_document(pubs: list[Publication]) -> list[dict[str, Any]]:
    """The list written to the data file: the §6 object of every publication."""
    return [publication_json(p) for p in pubs]


class DataOutput(SingleFileOutput):
    """``[outputs] data = "_data/publications.yml"`` (or ``.yaml`` / ``.json``)."""

    key = "data"

    def render(self, pubs: list[Publication]) -> str:
        document = data_document(pubs)
        if is_json_path(self.path.name):
            return dump_json(document)
        return dump_yaml(document)

    def render_with(self, pubs: list[Publication], memos: Memos | None) -> str:
        """:meth:`render`, each publication's part (a JSON element, or a YAML ``- `` item:
        the list's text is theirs joined) read back from ``memos``."""
        if memos is None or not pubs:
            return self.render(pubs)
        as_json = is_json_path(self.path.name)
        table = memos.table("data item", "json" if as_json else "yaml",
                            rules_fingerprint(rules()), yaml.__version__)
        if as_json:
            return dump_json_items(table.get_many(
                pubs, lambda idx: [json_item(publication_json(pubs[i])) for i in idx]))
        return "".join(table.get_many(
            pubs, lambda idx: [dump_yaml([publication_json(pubs[i])]) for i in idx]))
