"""Render managed sections through Jinja2 templates (Markdown or HTML).

Templates are looked up as ``<section>.<fmt>.j2`` (or the file a ``template=`` attribute on the
begin line names, whose suffix sets the format: an HTML template in a ``.md`` page) first in
the user's ``[render] templates`` folder (by default ``templates/`` beside the config), then in
the ones shipped with the package, so a user overrides one file at a time.
``StrictUndefined``, ``trim_blocks`` and ``lstrip_blocks`` are on. In ``.html.j2`` templates
every value is HTML-escaped (autoescape, Liquid delimiters too); in ``.md.j2`` templates
every value is Markdown-escaped (``finalize``). Filters that build markup
(``authors``, ``link``, ``links``, ``sentence``, ``url``) return text that is not escaped again;
in Markdown templates, wrap a macro call in ``|safe`` for the same effect. Every URL passes
``safe_link``: only http, https and mailto links, and links relative to the site
(``paper.pdf``, ``/assets/pdf/x.pdf`` from a ``.bib``) are ever written.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import secrets
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import pass_eval_context
from markupsafe import Markup, escape

from scholarsync.config import Config
from scholarsync.errors import SectionError
from scholarsync.model import Publication
from scholarsync.outputs.memo import Memos, MemoTable, rules_fingerprint
from scholarsync.outputs.pages.escape import (
    Md,
    html_value,
    md_escape,
    md_url,
    safe_link,
    safe_url,
    strip_controls,
)
from scholarsync.outputs.pages.jsonld import jsonld_text
from scholarsync.outputs.pages.labels import link_label
from scholarsync.outputs.pages.research import find_publication, resolve_research
from scholarsync.outputs.pages.views import (
    Entry,
    Group,
    Options,
    ProjectView,
    date_order,
    date_orders,
    lazy_entry,
    make_groups,
    select,
)
from scholarsync.sources import rules

__all__ = ["Renderer", "page_format", "find_publication", "resolve_research", "PACKAGE_TEMPLATES"]

PACKAGE_TEMPLATES = Path(str(files("scholarsync.outputs.pages") / "templates"))
FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}


def page_format(path: Path | str) -> str:
    """``md`` or ``html`` from a page's suffix (anything else is treated as Markdown)."""
    return FORMATS.get(Path(path).suffix.lower(), "md")


def _autoescape(name: str | None) -> bool:
    return name is not None and name.lower().endswith((".html.j2", ".htm.j2", ".xml.j2",
                                                        ".html"))


class Piece(Markup):
    """An entry's markup as :meth:`Renderer.entry` made it: every value in it was escaped
    when it was made, so it is written as it is (in Markdown templates too)."""

    __slots__ = ()


@pass_eval_context
def _finalize(ctx: Any, value: Any) -> Any:
    if type(value) is Piece:
        return value
    return html_value(value) if ctx.autoescape else md_escape(value)


def _is_html(ctx: Any) -> bool:
    return bool(ctx.autoescape)


@pass_eval_context
def _link(ctx: Any, text: Any, url: Any) -> str:
    if _is_html(ctx):
        target = safe_link(url)
        return Markup('<a href="{}">{}</a>').format(target, text) if target else escape(text)
    target = md_url(url)
    label = md_escape(text)
    return Md(f"[{label}]({target})") if target else label


@pass_eval_context
def _links(ctx: Any, entry: Entry, sep: str = " · ") -> str:
    parts = [_link(ctx, link_label(key), url) for key, url in entry.links.items()]
    if _is_html(ctx):
        return Markup(escape(sep)).join(parts)
    return Md(sep.join(parts))


@pass_eval_context
def _authors(ctx: Any, entry: Entry) -> str:
    html = _is_html(ctx)
    parts: list[str] = []
    for item in entry.authors:
        if item.gap:
            parts.append("…")
        elif item.etal:
            parts.append("et al.")
        elif html:
            escaped = escape(item.name)
            parts.append(Markup("<strong>{}</strong>").format(escaped) if item.owner
                         else escaped)
        else:
            plain = md_escape(item.name)
            parts.append(f"**{plain}**" if item.owner else plain)
    edited = "author" not in entry.pub.fields and "editor" in entry.pub.fields
    role = (" (eds.)" if len(entry.authors) > 1 else " (ed.)") if edited and parts else ""
    return Markup(", ").join(parts) + role if html else Md(", ".join(parts) + role)


@pass_eval_context
def _sentence(ctx: Any, text: Any) -> str:
    """The text, escaped (unless already markup), ending in a full stop unless it already
    ends a sentence ("et al." included)."""
    body: str = escape(text) if _is_html(ctx) else md_escape(text)
    plain = str(body).strip()
    if not plain or plain.endswith((".", "?", "!", ".</strong>", ".**")):
        return body
    return body + "." if _is_html(ctx) else Md(body + ".")


@pass_eval_context
def _url(ctx: Any, value: Any) -> str:
    return safe_link(value) if _is_html(ctx) else md_url(value)


_TEMPLATE_NAME = re.compile(r"^[\w.-]+\.(md|markdown|html|htm)\.j2$")


def template_format(name: str) -> str:
    """The format a template named by ``template=`` writes (``publications.html.j2`` -> html);
    SectionError for a name that is not a template file name."""
    match = _TEMPLATE_NAME.match(name)
    if not match or ".." in name:
        raise SectionError(f"attribute template={name!r} must name a template file such as "
                           "publications.html.j2 or publications.md.j2 (in your templates "
                           "folder or shipped)")
    return FORMATS["." + match.group(1)]


class Renderer:
    """One Jinja2 environment for a config; ``render`` gives a section's body."""

    def __init__(self, config: Config, memos: Memos | None = None):
        self.config = config
        self.memos = memos
        user = config.render.templates
        self.search_path = [p for p in (user, PACKAGE_TEMPLATES) if p is not None]
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(p)) for p in self.search_path])
        self.env = jinja2.Environment(
            loader=loader, undefined=jinja2.StrictUndefined, trim_blocks=True,
            lstrip_blocks=True, keep_trailing_newline=True, autoescape=_autoescape,
            finalize=_finalize)
        self.env.filters.update(authors=_authors, link=_link, links=_links, sentence=_sentence,
                                url=_url, safe_url=safe_url, md=md_escape)

    def context(self, fmt: str, publications: list[Publication],
                attrs: dict[str, str]) -> dict[str, Any]:
        """What a template sees (documented in the default templates)."""
        config = self.config
        chosen, options = select(publications, attrs, config, self._date_orders)
        entries = [lazy_entry(p, config.profile, options.max_authors, options.links,
                              config.render.citations)
                   for p in chosen]
        groups: list[Group] = make_groups(entries, options.by_year, options.by_type)
        projects = [ProjectView.build(r, config.profile, options.max_authors,
                                      config.render.citations)
                    for r in resolve_research(config, publications)[0]]
        level = options.heading
        entry, entry_list = self.entry_functions(fmt, options)

        def jsonld() -> str:
            """The section's publications as schema.org JSON-LD, safe inside <script>."""
            text = jsonld_text(chosen, config)
            return Markup(text) if fmt == "html" else Md(text)

        return {
            "format": fmt, "attrs": dict(attrs), "entries": entries, "groups": groups,
            "projects": projects, "owner": config.profile.name, "level": level,
            "heading": Md("#" * level), "by_type": options.by_type, "jsonld": jsonld,
            "entry": entry, "entry_list": entry_list,
        }

    def _date_orders(self, pubs: list[Publication]) -> list[Any]:
        """:func:`date_orders`, read back from the memo (as lists: they sort as the tuples)
        for the publications it has, decoded in one go."""
        if self.memos is None:
            return date_orders(pubs)
        table = self.memos.table("date order")
        texts = table.get_many(pubs, lambda idx: [_order_text(pubs[i]) for i in idx])
        keys: list[Any] = json.loads("[" + ",".join(texts) + "]")
        return keys

    def entry_functions(self, fmt: str, options: Options,
                        ) -> tuple[Callable[[Entry], Piece], Callable[[list[Entry]], Piece]]:
        """``entry(e)``: the markup of entry ``e`` (``publications_entry.<fmt>.j2``), read
        back from the memo when its publication, that template and these options made it
        before; ``entry_list(entries)``: those of a list, joined."""
        name = f"publications_entry.{fmt}.j2"
        found: list[tuple[EntryRenderer, MemoTable | None]] = []  # on first use

        def parts() -> tuple[EntryRenderer, MemoTable | None]:
            if not found:
                found.append((EntryRenderer(self.env, name), self._entry_table(name, options)))
            return found[0]

        def entry(e: Entry) -> Piece:
            return entry_list([e])

        def entry_list(entries: list[Entry]) -> Piece:
            if not entries:
                return Piece("")
            renderer, memo = parts()
            if memo is None:
                return Piece("".join(renderer.render(entries)))
            pieces = memo.get_many([e.pub for e in entries],
                                   lambda idx: renderer.render([entries[i] for i in idx]))
            return Piece("".join(pieces))

        return entry, entry_list

    def _entry_table(self, name: str, options: Options) -> MemoTable | None:
        """The memo of entry markup made by template ``name`` with ``options``."""
        if self.memos is None:
            return None
        source, filename, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        profile = self.config.profile
        links = sorted(options.links) if options.links is not None else None
        return self.memos.table("page entry", name, filename or "", source, json.dumps(
            [profile.name, list(profile.aliases), options.max_authors, links,
             list(self.config.render.citations), jinja2.__version__,
             importlib.metadata.version("markupsafe")], ensure_ascii=False),
            rules_fingerprint(rules()))

    def render(self, name: str, fmt: str, publications: list[Publication],
               attrs: dict[str, str] | None = None) -> str:
        """The body of section ``name`` for a page in ``fmt`` ("md" | "html"); ends in one
        newline (or is empty). Raises SectionError for a missing or failing template."""
        if fmt not in ("md", "html"):
            raise SectionError(f"unknown page format {fmt!r} (md or html)")
        template_name = f"{name}.{fmt}.j2"
        if attrs and attrs.get("template"):  # a template named on the begin line
            template_name = attrs["template"]
            fmt = template_format(template_name)
        try:
            template = self.env.get_template(template_name)
        except jinja2.TemplateNotFound:
            where = ", ".join(str(p) for p in self.search_path)
            raise SectionError(f"no template {template_name!r} (looked in {where}); add it "
                               "to your templates folder or rename the section") from None
        except jinja2.TemplateSyntaxError as exc:
            raise SectionError(f"template {exc.filename or template_name}:{exc.lineno}: "
                               f"{exc.message}") from None
        context = self.context(fmt, publications, attrs or {})
        try:
            text = template.render(context)
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError) as exc:
            raise SectionError(f"template {template.filename}: {exc}") from None
        return _tidy(text)


class EntryRenderer:
    """Renders entries through an entry template: the shipped one in one pass (its text in a
    loop, each entry's output found after a marker: what the one-file templates did), any
    other one entry by entry."""

    def __init__(self, env: jinja2.Environment, name: str):
        self.template = env.get_template(name)
        self.batch: jinja2.Template | None = None
        self.mark = secrets.token_hex(16)  # (template text: written as it is)
        filename = Path(self.template.filename or "")
        if filename.parent == PACKAGE_TEMPLATES:
            source = filename.read_text(encoding="utf-8")
            code = env.compile("{% for e in entries %}" + self.mark + source + "{% endfor %}",
                               name=name, filename=str(filename))
            self.batch = env.template_class.from_code(env, code, env.make_globals(None))

    def render(self, entries: list[Entry]) -> list[str]:
        """The markup of each entry."""
        if self.batch is not None and len(entries) > 1:
            parts = self.batch.render(entries=entries).split(self.mark)
            if len(parts) == len(entries) + 1 and not parts[0]:
                return parts[1:]
        return [self.template.render(e=e) for e in entries]


def _order_text(pub: Publication) -> str:
    return json.dumps(date_order(pub), ensure_ascii=False)


def _tidy(text: str) -> str:
    """No trailing spaces, no run of blank lines, no edge blank lines; one final newline; no
    control character (a terminal escape sequence from a title) whatever filter built it."""
    lines = [line.rstrip() for line in strip_controls(text).splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n" if out else ""
