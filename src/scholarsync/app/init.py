"""``scholarsync init``: a starter config and, on request, a GitHub Actions workflow."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import click

from scholarsync import PROJECT_URL
from scholarsync.app import stacks
from scholarsync.config import CONFIG_NAME
from scholarsync.errors import ConfigError, UsageError
from scholarsync.fileio import write_atomic

WORKFLOW_PATH = Path(".github/workflows/scholarsync.yml")
PLACEHOLDER_NAME = "Your Name"
#: the release tag of the composite action that the workflow uses
ACTION_VERSION = "v1"

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
# Keeps the site's publications current: written by `scholarsync init --github-action`.
# It runs scholarsync's own action ({action}, its action.yml): install,
# sync (exit 3, a source failed and its last good data was kept, does not fail the job), then
# publish the changed files, cache/ included (it holds the last good data between runs).
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
      - uses: {action}
        with:
          config: {config}
          publish: {publish:<13}  # commit, pull-request or none
          args: ""                # more options for `scholarsync sync`, e.g. "--quiet"
          python-version: "3.12"
        env:   # repository secrets; a missing one is fine (that source goes without a key)
          OPENALEX_API_KEY: ${{{{ secrets.OPENALEX_API_KEY }}}}
          SEMANTIC_SCHOLAR_API_KEY: ${{{{ secrets.SEMANTIC_SCHOLAR_API_KEY }}}}
          SCHOLARSYNC_ORCID_TOKEN: ${{{{ secrets.SCHOLARSYNC_ORCID_TOKEN }}}}
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
    stack: str | None = None  # al-folio, academicpages, hugo, plain; None: detected
    found: list[str] = field(default_factory=list)  # what init read from the site
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

    def take(self, site: stacks.StackPlan) -> None:
        """Fill what the user did not give from what the site says (the user's word wins)."""
        self.stack = site.stack
        self.found.append(f"stack: {site.stack} ({site.reason})")
        self.found.extend(site.found)
        if self.name is None and site.name:
            self.name = site.name
        if self.aliases is None and site.aliases:
            self.aliases = site.aliases
        if self.scholar is None and site.scholar:
            self.scholar = site.scholar
        if self.page is None and site.stack != "plain":
            self.page = ""  # a stack site's publications live in its own files, not a page


def starter_config(name: str, page: str, scholar_user: str, aliases: tuple[str, ...] = ()) -> str:
    scholar = _SCHOLAR.format(user=_toml_string(scholar_user)) if scholar_user else ""
    return _CONFIG.format(name=_toml_string(name), page=_toml_string(page), scholar=scholar,
                          aliases="[" + ", ".join(map(_toml_string, aliases)) + "]")


def action_ref() -> str:
    """``<owner>/<repo>@v1``: this project's composite action (action.yml at its root)."""
    return PROJECT_URL.removeprefix("https://github.com/").strip("/") + "@" + ACTION_VERSION


def workflow(pull_request: bool = False, config_name: str = CONFIG_NAME) -> str:
    return _WORKFLOW.format(
        action=action_ref(), config=config_name,
        pr_permissions="  pull-requests: write\n" if pull_request else "",
        publish="pull-request" if pull_request else "commit")


def _stack_notes(site: stacks.StackPlan, answers: Answers) -> list[str]:
    """What is left for the user on a stack site, after what init found."""
    notes = list(site.notes)
    if site.stack in ("academicpages", "hugo"):
        if not site.user_bibs:
            notes.append("no bib/*.bib: to keep BibTeX of your own, put .bib files in bib/ and "
                         "add a [[sources]] kind = \"bibtex\", paths = [\"bib/*.bib\"]")
        if not answers.scholar:
            notes.append("no web source yet: add one (kind = \"scholar\", \"orcid\", "
                         "\"openalex\", \"dblp\", …, see the README) so that new works are found,"
                         " or run init --force --scholar ID")
    if site.stack == "hugo":
        notes.append("bundles name you as `admin` in `authors`: keep your profile in "
                     "content/authors/admin/ (newer kits call it `me`: rename one or the other)")
    notes.append("then run `scholarsync sync` (online the first time: it fills cache/)")
    return notes


def _write_stack_files(directory: Path, site: stacks.StackPlan, written: list[Path]) -> None:
    """What a stack config needs to load: al-folio's bibliography, the publication folder."""
    if site.bib and not (directory / site.bib).exists():
        write_atomic(directory / site.bib, b"")
        written.append(directory / site.bib)
    for folder in site.create:
        folder.mkdir(parents=True, exist_ok=True)
        written.append(folder)


def write_starter(directory: Path, *, github_action: bool = False, pull_request: bool = False,
                  force: bool = False, interactive: bool = False,
                  answers: Answers | None = None, config_name: str = CONFIG_NAME) -> list[Path]:
    """Write the starter files for the site's stack (``answers.stack``, detected when None);
    refuses to overwrite unless ``force`` (an existing config is then kept beside it as
    ``<name>.bak``). ``answers.found`` says what was read from the site, ``answers.notes`` what
    is left to do."""
    if pull_request and not github_action:
        raise UsageError("--pull-request goes with --github-action (it sets how the workflow "
                         "publishes); add --github-action or leave it out")
    answers = answers if answers is not None else Answers()
    if answers.stack is not None and answers.stack not in stacks.STACKS:
        raise UsageError(f"unknown stack {answers.stack!r}; valid: {', '.join(stacks.STACKS)}")
    written: list[Path] = []
    config = directory / config_name
    if config.exists() and not force and not github_action:
        raise ConfigError(str(config), None, "already exists; use --force to overwrite it "
                          "(the old one is then kept as a .bak file)")
    if config.exists() and not force:
        answers.notes.append(f"{config_name} exists and was kept as it is (init --force rewrites "
                             "it, keeping the old one as a .bak file)")
    else:
        site = stacks.plan(directory, answers.stack)
        answers.take(site)
        answers.resolve(interactive)
        assert answers.name is not None and answers.page is not None
        if site.stack == "plain":
            text = starter_config(answers.name, answers.page, answers.scholar or "",
                                  answers.aliases or ())
        else:
            text = stacks.config_text(site, answers.name, answers.aliases or (),
                                      answers.scholar or "", answers.page)
        if config.exists() and config.read_bytes() != text.encode():
            backup = config.with_name(config.name + ".bak")
            write_atomic(backup, config.read_bytes())
            written.append(backup)
            answers.notes.append(f"your previous config is kept as {backup.name}")
        write_atomic(config, text.encode())
        written.append(config)
        if site.stack == "plain":
            _write_plain_files(directory, answers.page, written)
        else:
            _write_stack_files(directory, site, written)
            if answers.page:
                _write_page(directory / answers.page, written)
            answers.notes.extend(_stack_notes(site, answers))
    if github_action:
        target = directory / WORKFLOW_PATH
        if target.exists() and not force:
            raise ConfigError(str(target), None, "already exists; use --force to overwrite it")
        write_atomic(target, workflow(pull_request, config_name).encode())
        written.append(target)
        answers.notes.append("the workflow reads API keys from repository secrets "
                             "OPENALEX_API_KEY, SEMANTIC_SCHOLAR_API_KEY, SCHOLARSYNC_ORCID_TOKEN "
                             "(each optional; add those your sources use)")
    return written


def _write_page(page_path: Path, written: list[Path]) -> None:
    if not page_path.exists():
        write_atomic(page_path, b"## Publications\n<!-- scholarsync:begin publications -->\n"
                     b"<!-- scholarsync:end publications -->\n")
        written.append(page_path)


def _write_plain_files(directory: Path, page: str, written: list[Path]) -> None:
    (directory / "bib").mkdir(exist_ok=True)
    _write_page(directory / page, written)
    bib = directory / "bib" / "publications.bib"
    if not any((directory / "bib").glob("*.bib")):
        write_atomic(bib, b"% Your publications, in BibTeX.\n")
        written.append(bib)
