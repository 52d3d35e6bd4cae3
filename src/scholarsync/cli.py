"""Commands only: parse arguments, call one function, print, exit with the contract's status.

Examples::

    scholarsync sync                 # fetch (through the cache), merge, render, export
    scholarsync sync --offline       # the same from the cache alone
    scholarsync sync --check         # CI: exit 1 when any output would change
    scholarsync list --json          # merged publications as JSON on stdout
    scholarsync export -o all.bib    # merged BibTeX
    scholarsync inspect https://escholarship.org/uc/item/5cz2v6d5
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from scholarsync import __version__
from scholarsync.app.stacks import STACKS
from scholarsync.app.terminal import field, printable, relative
from scholarsync.core.gcpause import command_run
from scholarsync.errors import ScholarsyncError, os_problem

CONFIG_HELP = "Path of scholarsync.toml (default: ./scholarsync.toml)."


def _err(message: str) -> None:
    click.echo(printable(message), err=True)


def _guard(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into one line on stderr and the contract's exit status."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with command_run():
                return func(*args, **kwargs)
        except ScholarsyncError as exc:
            _err(f"scholarsync: {exc}")
            sys.exit(exc.exit_status)
        except OSError as exc:  # the user's setup: unreadable, read-only, full disk, a folder…
            _err(f"scholarsync: {os_problem(exc)}")
            sys.exit(2)
        except KeyboardInterrupt:
            _err("scholarsync: interrupted")
            sys.exit(130)

    return wrapper


def _config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--config", "config_path", type=click.Path(dir_okay=False),
                        default=None, help=CONFIG_HELP)(func)


def _load(ctx: click.Context, config_path: str | None):
    from scholarsync.config import load_config

    path = config_path or (ctx.obj or {}).get("config")
    return load_config(path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scholarsync")
@_config_option
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Keep a researcher's profile page true: BibTeX, eScholarship and Google Scholar,
    merged, cached, rendered into the page's managed sections and exported."""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config_path


# -- sync / render --------------------------------------------------------------------------

@cli.command()
@_config_option
@click.option("--offline", is_flag=True, help="Use the cache alone; no network access at all.")
@click.option("--refresh", is_flag=True, help="Revalidate every cached page now.")
@click.option("--dry-run", is_flag=True, help="Write nothing; print the diff it would make.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when any output would change.")
@click.option("--force", is_flag=True, help="Overwrite managed sections edited by hand.")
@click.option("--json", "as_json", is_flag=True, help="Print the change report as JSON.")
@click.option("-q", "--quiet", is_flag=True,
              help="Print nothing unless something needs attention (warnings go to stderr).")
@click.option("-v", "--verbose", is_flag=True, help="Print every warning and more detail.")
@click.pass_context
@_guard
def sync(ctx: click.Context, config_path: str | None, offline: bool, refresh: bool,
         dry_run: bool, check: bool, force: bool, as_json: bool, quiet: bool,
         verbose: bool) -> None:
    """Fetch every source, merge, render the profile's sections and write the exports."""
    from scholarsync.app import commands
    from scholarsync.app.report import file_diff, json_report, problem_lines, text_report
    from scholarsync.app.sync import RunOptions

    _logging(verbose)
    config = _load(ctx, config_path)
    options = RunOptions(offline=offline, refresh=refresh, dry_run=dry_run, check=check,
                         force=force)
    run = commands.sync(config, options, show_progress=not quiet)
    if run.locked_by is not None:
        _err(f"scholarsync: another sync holds the lock ({run.locked_by}); nothing done")
        sys.exit(0)
    for line in problem_lines(run.summary, verbose):  # warnings reach stderr, --quiet or not
        _err(line)
    if dry_run and run.outcome is not None:
        for planned in run.outcome.changed_files:
            click.echo(printable(file_diff(planned, config.root)), nl=False)
    if as_json:
        click.echo(json_report(run.summary), nl=False)
    elif not quiet or run.status != 0:  # --quiet: nothing when nothing needs attention
        text = text_report(run.summary, dry_run=dry_run or check, verbose=verbose)
        click.echo(printable(text), nl=False, err=dry_run)
    if check and run.out_of_date:
        names = ", ".join(relative(p, config.root) for p in run.out_of_date)
        _err(f"scholarsync: outputs out of date: {names}")
    sys.exit(run.status)


@cli.command()
@_config_option
@click.option("--force", is_flag=True, help="Overwrite managed sections edited by hand.")
@click.pass_context
@_guard
def render(ctx: click.Context, config_path: str | None, force: bool) -> None:
    """Re-render the managed sections from the saved library, without fetching."""
    from scholarsync.app import commands

    config = _load(ctx, config_path)
    outcome, status = commands.render(config, force=force)
    for planned in outcome.files:
        state = "updated" if planned.path in outcome.written else "unchanged"
        _err(f"{relative(planned.path, config.root)}: {state} [{planned.detail}]")
    for page in outcome.pages_without_markers:
        _err(f"{relative(page, config.root)}: no scholarsync markers, left untouched")
    for message in outcome.edited + outcome.section_errors:
        _err(f"scholarsync: {message}")
    sys.exit(status)


# -- list / export --------------------------------------------------------------------------

@cli.command(name="list")
@_config_option
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array, one object per publication (key, title, authors, "
              "year, venue, ids, links, citations, sources).")
@click.pass_context
@_guard
def list_command(ctx: click.Context, config_path: str | None, as_json: bool) -> None:
    """The merged publications, one line each, with the sources each came from."""
    from scholarsync.app import commands

    pubs, problems = commands.offline_publications(_load(ctx, config_path))
    for problem in problems:
        _err(str(problem))
    if as_json:
        click.echo(commands.export_text(pubs, "json"), nl=False)
        return
    for pub in pubs:
        year = pub.year or "----"
        click.echo(f"{field(pub.key)}\t{year}\t{field(pub.title)}\t[{', '.join(pub.sources)}]")


@cli.command()
@_config_option
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (default: standard output).")
@click.option("--format", "fmt", type=click.Choice(["bibtex", "csl-json", "json"]),
              default="bibtex", show_default=True)
@click.pass_context
@_guard
def export(ctx: click.Context, config_path: str | None, output: str | None, fmt: str) -> None:
    """The merged library as BibTeX, CSL-JSON or JSON."""
    from scholarsync.app import commands

    text, problems, count = commands.export(_load(ctx, config_path), fmt,
                                            Path(output) if output else None)
    for problem in problems:
        _err(str(problem))
    if output:
        _err(f"wrote {count} publications to {output}")
    else:
        click.echo(text, nl=False)


# -- add ------------------------------------------------------------------------------------

@cli.command()
@_config_option
@click.argument("ids", nargs=-1, required=True)
@click.option("--to", "to", type=click.Path(dir_okay=False), default=None,
              help="The .bib file to append to (default: the first file of the first "
                   "bibtex source).")
@click.option("--dry-run", is_flag=True, help="Print the new entries; write nothing.")
@click.option("--offline", is_flag=True, help="Use the cache alone.")
@click.pass_context
@_guard
def add(ctx: click.Context, config_path: str | None, ids: tuple[str, ...], to: str | None,
        dry_run: bool, offline: bool) -> None:
    """Append one entry per DOI, arXiv id, eScholarship id/URL or DBLP key to a .bib file."""
    from scholarsync.app.add import add as add_entries

    outcome = add_entries(_load(ctx, config_path), list(ids), Path(to) if to else None,
                          dry_run=dry_run, offline=offline)
    printed = 0
    for item in outcome.items:
        if item.existing:
            _err(f"{item.target}: already in the library as {item.existing}; not added")
        elif dry_run:
            click.echo(("\n" if printed else "") + item.entry, nl=False)
            printed += 1
        else:
            _err(f"{item.target}: added as {item.key} ({item.source}) to {outcome.file}")


# -- inspect / init -------------------------------------------------------------------------

@cli.command()
@_config_option
@click.argument("target")
@click.option("--offline", is_flag=True, help="Use the cache alone.")
@click.pass_context
@_guard
def inspect(ctx: click.Context, config_path: str | None, target: str, offline: bool) -> None:
    """Fetch one page or item with the matching source and print its records as JSON."""
    from scholarsync.app.inspect import inspect_target

    records = inspect_target(target, config_path or (ctx.obj or {}).get("config"),
                             offline=offline)
    click.echo(json.dumps(records, indent=2, ensure_ascii=False))


@cli.command()
@_config_option
@click.option("--stack", type=click.Choice(STACKS),
              default=None, help="The site's stack (default: detected from its files).")
@click.option("--github-action", is_flag=True,
              help="Also write .github/workflows/scholarsync.yml (weekly sync with the "
                   "scholarsync action).")
@click.option("--pull-request", is_flag=True,
              help="With --github-action: open a pull request instead of committing.")
@click.option("--name", default=None, help="Your name as in author lists (else asked).")
@click.option("--aliases", default=None,
              help="Other spellings of your name, separated by ';' (else asked).")
@click.option("--page", default=None, help="The profile page (default: index.md).")
@click.option("--scholar", default=None, help="Google Scholar user id or profile URL.")
@click.option("--force", is_flag=True,
              help="Overwrite existing files (an existing config is kept as .bak).")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Folder to write into (default: the config's folder, else the current one).")
@click.pass_context
@_guard
def init(ctx: click.Context, config_path: str | None, stack: str | None, github_action: bool,
         pull_request: bool, name: str | None, aliases: str | None, page: str | None,
         scholar: str | None, force: bool, directory: str | None) -> None:
    """Write a scholarsync.toml that fits the site's stack (al-folio, academicpages, Hugo Blox,
    or a plain page), detected from its files unless --stack is given; asks what it cannot find
    on a terminal."""
    from scholarsync.app.init import Answers, write_starter
    from scholarsync.config import CONFIG_NAME
    from scholarsync.errors import UsageError

    config = config_path or (ctx.obj or {}).get("config")
    if config and directory and Path(config).parent != Path(directory):
        raise UsageError("give either --config or --dir, not both")
    folder = Path(directory) if directory else Path(config).parent if config else Path(".")
    answers = Answers(name=name, page=page, scholar=scholar, stack=stack,
                      aliases=None if aliases is None else
                      tuple(a.strip() for a in aliases.split(";") if a.strip()))
    written = write_starter(folder, github_action=github_action, pull_request=pull_request,
                            force=force, interactive=sys.stdin.isatty(), answers=answers,
                            config_name=Path(config).name if config else CONFIG_NAME)
    for fact in answers.found:
        _err(f"scholarsync: found: {fact}")
    for path in written:
        _err(f"wrote {path}")
    for note in answers.notes:
        _err(f"scholarsync: note: {note}")


def _logging(verbose: bool) -> None:
    """Warnings always; with --verbose, scholarsync's own detail (requests, cache, matching),
    never the debug chatter of the libraries underneath (filelock, urllib3, requests-cache)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s",
                        stream=sys.stderr)
    logging.getLogger("scholarsync").setLevel(logging.DEBUG if verbose else logging.WARNING)
    for noisy in ("urllib3", "requests_cache", "bibtexparser", "filelock"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def main() -> None:
    """Console-script entry point."""
    cli(obj={})
