"""``scholarsync init --stack``: recognise a site's stack and write a config that fits it.

al-folio (Jekyll: ``_config.yml`` + ``_bibliography/``), academicpages (Jekyll: ``_config.yml``
+ ``_publications/``), Hugo Blox (``config/_default/``, ``hugo.yaml``/``hugo.toml``/
``config.toml`` with ``content/``) or, failing those, a plain site. What the site already says
about its owner (name, Google Scholar id, ORCID iD) is read from its own files; anything not
found is left for the user and named in :attr:`StackPlan.notes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STACKS = ("al-folio", "academicpages", "hugo", "plain")
HUGO_CONFIGS = ("hugo.yaml", "hugo.yml", "hugo.toml", "hugo.json", "config.toml", "config.yaml",
                "config.yml")
#: Scholar profile links: ``…/citations?user=XXXXXXXXXXXX&hl=en``
_SCHOLAR_URL = re.compile(r"scholar\.google\.[a-z.]+/citations\?[^\s'\"]*?\buser=([\w-]{12})")
_SCHOLAR_ID = re.compile(r"^[\w-]{12}$")
_ORCID = re.compile(r"\b(\d{4}-\d{4}-\d{4}-\d{3}[\dX])\b")
#: What a Jekyll site should not publish (al-folio and academicpages).
JEKYLL_PRIVATE = ("cache", "scholarsync.toml")


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _yaml_file(path: Path) -> dict[str, Any]:
    """A YAML mapping, or {} when the file is absent, unreadable or not a mapping."""
    import yaml  # (only init reads a site's files: not every command's start-up)

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _texts(data: dict[str, Any], key: str) -> list[str]:
    """A YAML list of strings (a lone string counts as a list of one)."""
    value = data.get(key)
    items = value if isinstance(value, list) else [value]
    return [_text(item) for item in items if _text(item)]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else str(value) if isinstance(value, int) else ""


def _front_matter(path: Path) -> dict[str, Any]:
    """A page's front matter (YAML, or Hugo's TOML), or {} when it has none or it is broken."""
    from scholarsync import frontmatter

    try:
        return frontmatter.parse(path.read_text(encoding="utf-8")).data
    except (OSError, UnicodeDecodeError, frontmatter.FrontMatterError):
        return {}


def scholar_id(value: str) -> str:
    """A Scholar user id from an id or a profile URL ('' when neither)."""
    value = value.strip()
    if _SCHOLAR_ID.match(value):
        return value
    match = _SCHOLAR_URL.search(value)
    return match.group(1) if match else ""


def detect(directory: Path) -> tuple[str, str]:
    """The site's stack and what showed it."""
    if (directory / "_config.yml").is_file():
        if (directory / "_bibliography").is_dir():
            return "al-folio", "_config.yml and _bibliography/"
        if (directory / "_publications").is_dir():
            return "academicpages", "_config.yml and _publications/"
    if (directory / "content").is_dir():
        if (directory / "config" / "_default").is_dir():
            return "hugo", "config/_default/ and content/"
        for name in HUGO_CONFIGS:
            if (directory / name).is_file():
                return "hugo", f"{name} and content/"
    return "plain", "no _config.yml with _bibliography/ or _publications/, no Hugo config"


@dataclass
class StackPlan:
    """What ``init`` learnt about a site and will write for it."""

    stack: str
    reason: str  # why this stack ("given with --stack", or what detection found)
    name: str = ""
    aliases: tuple[str, ...] = ()
    scholar: str = ""
    found: list[str] = field(default_factory=list)  # what was read from the site's files
    notes: list[str] = field(default_factory=list)  # what is left for the user
    bib: str = ""  # al-folio: the jekyll-scholar bibliography (source and bib_block)
    folder: str = ""  # academicpages / hugo: the publication folder (reader and output)
    user_bibs: bool = False  # academicpages / hugo: bib/*.bib present
    suggested: list[str] = field(default_factory=list)  # commented-out [[sources]] tables
    create: list[Path] = field(default_factory=list)  # folders the config needs

    def owner(self, name: str, where: str) -> None:
        if name and not self.name:
            self.name = name
            self.found.append(f"owner name {name!r} ({where})")

    def scholar_user(self, value: str, where: str) -> None:
        user = scholar_id(value)
        if user and not self.scholar:
            self.scholar = user
            self.found.append(f"Google Scholar user {user} ({where})")

    def orcid(self, value: str, where: str) -> None:
        match = _ORCID.search(value)
        if match:
            self.suggest("ORCID iD", "orcid", "id", match.group(1), where)

    def suggest(self, what: str, kind: str, key: str, value: str, where: str) -> None:
        """A source the site names, written commented out: an uncached source would make the
        first offline run exit 3; the user uncomments it."""
        if not value or any(f'kind = "{kind}"' in s for s in self.suggested):
            return
        self.found.append(f"{what} {value} ({where})")
        self.suggested.append(f'# [[sources]]\n# kind = "{kind}"\n# {key} = {_toml(value)}\n')
        self.notes.append(f"your {what} {value} is in the config as a commented-out {kind} "
                          "source: uncomment it to read it too (services made for programs "
                          "answer scheduled runs, which Google Scholar mostly refuses)")


def plan(directory: Path, stack: str | None = None) -> StackPlan:
    """Detect (or take) the stack and read what the site says about its owner."""
    if stack is None:
        stack, reason = detect(directory)
    else:
        reason = "given with --stack"
    result = StackPlan(stack=stack, reason=reason)
    {"al-folio": _alfolio, "academicpages": _academicpages, "hugo": _hugo,
     "plain": lambda d, p: None}[stack](directory, result)
    return result


def _jekyll_excludes(directory: Path, config: dict[str, Any], result: StackPlan,
                     extra: tuple[str, ...] = ()) -> None:
    names = {e.strip("/") for e in _texts(config, "exclude")}
    missing = [n for n in (*JEKYLL_PRIVATE, *extra) if n not in names]
    if missing:
        result.notes.append("add " + ", ".join(missing) + " to exclude: in _config.yml, so that "
                            "Jekyll does not publish them")


def _alfolio(directory: Path, result: StackPlan) -> None:
    config = _yaml_file(directory / "_config.yml")
    names = [_text(config.get(k)) for k in ("first_name", "middle_name", "last_name")]
    result.owner(" ".join(n for n in names if n), "_config.yml first_name, last_name")
    scholar = _mapping(config, "scholar")
    spellings = [f"{first} {last}" for last in _texts(scholar, "last_name")
                 for first in _texts(scholar, "first_name")]
    result.aliases = tuple(s for s in dict.fromkeys(spellings) if s != result.name)
    if result.aliases:
        result.found.append(f"other spellings {', '.join(result.aliases)} (_config.yml scholar: "
                            "first_name, last_name)")
    source = _text(scholar.get("source")).strip("/") or "_bibliography"
    result.bib = f"{source}/{_text(scholar.get('bibliography')) or 'papers.bib'}"
    if not (directory / result.bib).is_file():
        result.notes.append(f"{result.bib} did not exist: an empty one was written")
    socials = _yaml_file(directory / "_data" / "socials.yml")
    result.scholar_user(_text(socials.get("scholar_userid")), "_data/socials.yml scholar_userid")
    result.scholar_user(_text(config.get("scholar_userid")), "_config.yml scholar_userid")
    result.orcid(_text(socials.get("orcid_id")) or _text(config.get("orcid_id")),
                 "_data/socials.yml orcid_id")
    dblp = _text(socials.get("dblp_url"))
    if re.match(r"https?://dblp\.(org|uni-trier\.de)/pid/", dblp):
        result.suggest("DBLP profile", "dblp", "pid", dblp, "_data/socials.yml dblp_url")
    result.suggest("Semantic Scholar author", "semanticscholar", "author",
                   _text(socials.get("semanticscholar_id")), "_data/socials.yml semanticscholar_id")
    if (directory / ".github" / "workflows" / "update-citations.yml").is_file():
        result.notes.append("al-folio's own .github/workflows/update-citations.yml also writes "
                            "_data/citations.yml: disable it, or drop `citations` from [outputs]")
    if not result.scholar:
        result.notes.append("no scholar_userid in _data/socials.yml: add your Google Scholar "
                            "user id there (the badges need it) and a scholar source to the "
                            "config (kind = \"scholar\", user = \"…\"), or run init --scholar ID")
    _jekyll_excludes(directory, config, result)


def _academicpages(directory: Path, result: StackPlan) -> None:
    config = _yaml_file(directory / "_config.yml")
    author = _mapping(config, "author")
    result.owner(_text(author.get("name")), "_config.yml author.name")
    result.owner(_text(config.get("name")), "_config.yml name")
    result.scholar_user(_text(author.get("googlescholar")), "_config.yml author.googlescholar")
    result.orcid(_text(author.get("orcid")), "_config.yml author.orcid")
    result.folder = "_publications"
    result.user_bibs = any((directory / "bib").glob("*.bib"))
    _jekyll_excludes(directory, config, result, ("bib",) if result.user_bibs else ())


def _hugo(directory: Path, result: StackPlan) -> None:
    content = directory / "content"
    plural = content / "publications"  # newer Hugo Blox kits
    result.folder = ("content/publications" if plural.is_dir()
                     and not (content / "publication").is_dir() else "content/publication")
    if not (directory / result.folder).is_dir():
        result.create.append(directory / result.folder)
    for profile in (content / "authors" / "admin" / "_index.md",
                    content / "authors" / "me" / "_index.md"):
        data = _front_matter(profile)
        where = profile.relative_to(directory).as_posix()
        result.owner(_text(data.get("title")), f"{where} title")
        if profile.is_file():
            text = profile.read_text(encoding="utf-8", errors="replace")
            result.scholar_user(text, f"{where} Scholar link")
            result.orcid(text if "orcid" in text.lower() else "", f"{where} ORCID link")
    me = directory / "data" / "authors" / "me.yaml"
    data = _yaml_file(me)
    name = data.get("name")
    result.owner(_text(name.get("display")) if isinstance(name, dict) else _text(name),
                 "data/authors/me.yaml name")
    if me.is_file():
        text = me.read_text(encoding="utf-8", errors="replace")
        result.scholar_user(text, "data/authors/me.yaml Scholar link")
        result.orcid(text if "orcid" in text.lower() else "", "data/authors/me.yaml ORCID link")
    result.user_bibs = any((directory / "bib").glob("*.bib"))


def config_text(p: StackPlan, name: str, aliases: tuple[str, ...], scholar: str,
                page: str = "") -> str:
    """The ``scholarsync.toml`` of a stack (not ``plain``: see init.starter_config)."""
    lines = [f"# scholarsync configuration for this {p.stack} site, written by "
             f"`scholarsync init --stack {p.stack}`.",
             "# See the README (\"Set up on your stack\") for what each key does.",
             "[profile]", f"name = {_toml(name)}",
             "aliases = [" + ", ".join(map(_toml, aliases)) + "]"]
    if page:
        lines.append(f"page = {_toml(page)}")
    lines.append("")
    if p.stack == "al-folio":
        lines += ["# Your own bibliography: read as a source; the managed block that scholarsync",
                  "# adds to it (works only the web sources know) does not count as yours.",
                  "[[sources]]", 'kind = "bibtex"', f"paths = [{_toml(p.bib)}]", ""]
    else:
        if p.user_bibs:
            lines += ["[[sources]]", 'kind = "bibtex"', 'paths = ["bib/*.bib"]', ""]
        reader = "_publications/*.md" if p.stack == "academicpages" else "<slug>/index.md"
        lines += [f"# The site's existing publication files ({reader}), read so that they are",
                  "# matched, not duplicated; files scholarsync wrote are skipped.",
                  "[[sources]]", f"kind = {_toml(p.stack)}", f"path = {_toml(p.folder)}", ""]
    if scholar:
        lines += ["[[sources]]", 'kind = "scholar"', f"user = {_toml(scholar)}", ""]
    lines += p.suggested
    lines.append("[outputs]")
    if p.stack == "al-folio":
        lines += [f"bib_block = {_toml(p.bib)}   # works only the web knows, in a managed block",
                  ('citations = "_data/citations.yml"        # the Google Scholar badges'
                   if scholar else
                   '# citations = "_data/citations.yml"      # the badges: needs a scholar source'),
                  '# data = "_data/publications.yml"        # optional: site.data.publications']
    elif p.stack == "academicpages":
        lines.append(f"academicpages = {_toml(p.folder)}   # one <date>-<slug>.md per publication")
    else:
        lines.append(f"hugo = {_toml(p.folder)}   # one <slug>/index.md + cite.bib per publication")
    lines += ["", "[network]", 'cache_dir = "cache"', "delay = 1.0", "timeout = 20.0", ""]
    return "\n".join(lines)
