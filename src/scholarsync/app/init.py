"""``scholarsync init``: a starter config and, on request, a GitHub Actions workflow."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import click

from scholarsync import INSTALL_REQUIREMENT
from scholarsync.config import CONFIG_NAME
from scholarsync.errors import ConfigError, UsageError
from scholarsync.fileio import write_atomic

WORKFLOW_PATH = Path(".github/workflows/scholarsync.yml")
PLACEHOLDER_NAME = "Your Name"

_CONFIG = """\
# scholarsync configuration: see the README for every key.
[profile]
name = {name}
aliases = {aliases}
page = {page}

[[sources]]
kind = "bibtex"
paths = ["bib/*.bib"]
{scholar}
# [[sources]]
# kind = "escholarship"
# items = ["https://escholarship.org/uc/item/xxxxxxxx"]

# [[research]]
# title = "A project"
# summary = "One sentence about it."
# publications = ["citation-key", "10.1234/doi", "arXiv:2301.00001"]

[outputs]
bibtex = "publications.bib"

[network]
cache_dir = "cache"
delay = 1.0
timeout = 20.0
"""

_SCHOLAR = """
[[sources]]
kind = "scholar"
user = {user}
"""

_WORKFLOW = """\
# Keeps the profile page current: written by `scholarsync init --github-action`.
name: scholarsync

on:
  schedule:
    - cron: "17 5 * * 1"   # every Monday at 05:17 UTC
  workflow_dispatch: {{}}

concurrency:
  group: scholarsync
  cancel-in-progress: false

permissions:
  contents: write
{pr_permissions}
jobs:
  sync:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install "{install}"
      # Exit status 3 means a source failed and its last good data was used:
      # the page is still written, so the job goes on and commits it.
      - run: scholarsync sync || [ $? -eq 3 ]
{publish}
"""

_COMMIT = """\
      - name: Commit changed files (cache/ included: it holds the last good data)
        run: |
          git add -A
          if git diff --cached --quiet; then echo "nothing changed"; exit 0; fi
          git config user.name "scholarsync"
          git config user.email "scholarsync@users.noreply.github.com"
          git commit -m "scholarsync: update publications"
          git push
"""

_PULL_REQUEST = """\
      - uses: peter-evans/create-pull-request@v6
        with:
          commit-message: "scholarsync: update publications"
          title: "scholarsync: update publications"
          branch: scholarsync/update
          add-paths: |
            .
"""


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ask(interactive: bool, prompt: str, default: str) -> str:
    return click.prompt(prompt, default=default, err=True) if interactive else default


@dataclass
class Answers:
    """What ``init`` puts in the starter config; None: ask on a terminal, else the default."""

    name: str | None = None
    aliases: tuple[str, ...] | None = None
    page: str | None = None
    scholar: str | None = None
    notes: list[str] = field(default_factory=list)  # what the user should still do

    def resolve(self, interactive: bool) -> None:
        if self.name is None:
            self.name = _ask(interactive, "Your name, as in author lists", PLACEHOLDER_NAME)
        if self.name.strip() in ("", PLACEHOLDER_NAME):
            self.name = PLACEHOLDER_NAME
            self.notes.append(f"the owner is the placeholder {PLACEHOLDER_NAME!r}: set [profile] "
                              "name (and aliases) in the config, or run init --name \"…\"")
        if self.aliases is None:
            spelled = _ask(interactive, "Other spellings of your name, separated by ';' (e.g. "
                           "\"V. Gupta; Gupta, V.\"; empty for none)", "")
            self.aliases = tuple(a.strip() for a in spelled.split(";") if a.strip())
        if self.page is None:
            self.page = _ask(interactive, "Profile page holding the managed sections", "index.md")
        if self.scholar is None:
            self.scholar = _ask(interactive, "Google Scholar user id (empty for none)", "")
        match = re.search(r"user=([\w-]{12})", self.scholar)
        self.scholar = match.group(1) if match else self.scholar.strip()


def starter_config(name: str, page: str, scholar_user: str, aliases: tuple[str, ...] = ()) -> str:
    scholar = _SCHOLAR.format(user=_toml_string(scholar_user)) if scholar_user else ""
    return _CONFIG.format(name=_toml_string(name), page=_toml_string(page), scholar=scholar,
                          aliases="[" + ", ".join(map(_toml_string, aliases)) + "]")


def workflow(pull_request: bool = False) -> str:
    return _WORKFLOW.format(
        install=INSTALL_REQUIREMENT,
        pr_permissions="  pull-requests: write\n" if pull_request else "",
        publish=_PULL_REQUEST if pull_request else _COMMIT)


def write_starter(directory: Path, *, github_action: bool = False, pull_request: bool = False,
                  force: bool = False, interactive: bool = False,
                  answers: Answers | None = None, config_name: str = CONFIG_NAME) -> list[Path]:
    """Write the starter files; refuses to overwrite unless ``force`` (an existing config is
    then kept beside it as ``<name>.bak``). ``answers.notes`` says what is left to do."""
    if pull_request and not github_action:
        raise UsageError("--pull-request goes with --github-action (it sets how the workflow "
                         "publishes); add --github-action or leave it out")
    answers = answers if answers is not None else Answers()
    written: list[Path] = []
    config = directory / config_name
    if config.exists() and not force and not github_action:
        raise ConfigError(str(config), None, "already exists; use --force to overwrite it "
                          "(the old one is then kept as a .bak file)")
    if not config.exists() or force:
        answers.resolve(interactive)
        assert answers.name is not None and answers.page is not None
        text = starter_config(answers.name, answers.page, answers.scholar or "",
                              answers.aliases or ())
        if config.exists() and config.read_bytes() != text.encode():
            backup = config.with_name(config.name + ".bak")
            write_atomic(backup, config.read_bytes())
            written.append(backup)
            answers.notes.append(f"your previous config is kept as {backup.name}")
        write_atomic(config, text.encode())
        written.append(config)
        (directory / "bib").mkdir(exist_ok=True)
        page_path = directory / answers.page
        if not page_path.exists():
            write_atomic(page_path, b"## Publications\n<!-- scholarsync:begin publications -->\n"
                         b"<!-- scholarsync:end publications -->\n")
            written.append(page_path)
        bib = directory / "bib" / "publications.bib"
        if not any((directory / "bib").glob("*.bib")):
            write_atomic(bib, b"% Your publications, in BibTeX.\n")
            written.append(bib)
    if github_action:
        target = directory / WORKFLOW_PATH
        if target.exists() and not force:
            raise ConfigError(str(target), None, "already exists; use --force to overwrite it")
        write_atomic(target, workflow(pull_request).encode())
        written.append(target)
    return written
