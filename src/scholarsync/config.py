"""Load ``scholarsync.toml`` into typed objects, once. Every error names file, key and the fix."""

from __future__ import annotations

import glob
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scholarsync import outputs as output_registry
from scholarsync import sources as source_registry
from scholarsync.errors import ConfigError

CONFIG_NAME = "scholarsync.toml"
DEFAULT_CITATIONS = ("scholar", "openalex", "semanticscholar")


@dataclass(frozen=True)
class ProfileConfig:
    name: str = ""
    aliases: tuple[str, ...] = ()
    pages: tuple[Path, ...] = ()
    exclude: tuple[str, ...] = ()  # keys, ids or titles kept out of every output


@dataclass(frozen=True)
class SourceConfig:
    """One ``[[sources]]`` table. ``options`` holds the kind's own keys, validated."""

    kind: str
    index: int  # position among [[sources]], 0-based
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    base_url: str | None = None

    @property
    def label(self) -> str:
        return f"sources[{self.index}] ({self.kind})"


@dataclass(frozen=True)
class ResearchProject:
    title: str
    summary: str = ""
    publications: tuple[str, ...] = ()
    url: str = ""


@dataclass(frozen=True)
class NetworkConfig:
    cache_dir: Path
    delay: float = 1.0
    timeout: float = 20.0
    max_age_hours: float = 24.0
    max_bytes: int = 5_000_000
    user_agent: str = ""
    email: str = ""  # sent as mailto to services with a polite pool
    source_budget: float = 600.0  # seconds one source may spend on the network in a run


@dataclass(frozen=True)
class MatchConfig:
    """Weights and thresholds of the scored title/author/year comparison."""

    title_weight: float = 0.7
    author_weight: float = 0.2
    year_weight: float = 0.1
    strong: float = 0.9  # score at or above which two records are the same work
    title_min: float = 0.85  # title similarity below which they never are
    year_tolerance: int = 1  # years further apart than this count as a mismatch


@dataclass(frozen=True)
class RenderConfig:
    max_authors: int = 10
    group_by_type: bool = False
    templates: Path | None = None  # folder of user templates overriding the defaults
    citations: tuple[str, ...] = DEFAULT_CITATIONS  # whose citation count a page shows first


@dataclass(frozen=True)
class Config:
    path: Path
    root: Path
    sources: tuple[SourceConfig, ...]
    profile: ProfileConfig = ProfileConfig()
    research: tuple[ResearchProject, ...] = ()
    outputs: dict[str, Path] = field(default_factory=dict, hash=False, compare=False)
    network: NetworkConfig = NetworkConfig(cache_dir=Path("cache"))
    matching: MatchConfig = MatchConfig()
    render: RenderConfig = RenderConfig()

    def sources_of(self, kind: str) -> list[SourceConfig]:
        return [s for s in self.sources if s.kind == kind]


def find_config(path: str | Path | None) -> Path:
    """The config file to use: ``path`` if given, else ``./scholarsync.toml``."""
    candidate = Path(path) if path else Path.cwd() / CONFIG_NAME
    if not candidate.is_file():
        hint = "pass --config PATH" if path is None else "check the path"
        raise ConfigError(str(candidate), None, f"no config file found ({hint}; "
                          "`scholarsync init` writes a starter one)")
    return candidate


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate the config file; raises ConfigError."""
    file = find_config(path).resolve()
    try:
        text = file.read_text(encoding="utf-8-sig")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else text.count("\n") + 1
        raise ConfigError(str(file), None, f"invalid TOML: {exc}", line=line) from None
    except UnicodeDecodeError:
        raise ConfigError(str(file), None, "the file is not UTF-8 text") from None
    return _Parser(file).parse(data)


class _Parser:
    """Validates the parsed TOML table by table."""

    def __init__(self, file: Path):
        self.file = file
        self.root = file.parent

    def error(self, key: str | None, message: str) -> ConfigError:
        return ConfigError(str(self.file), key, message)

    # -- helpers ---------------------------------------------------------------
    def check_keys(self, table: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in allowed:
                valid = ", ".join(allowed)
                raise self.error(f"{where}.{key}" if where else key,
                                 f"unknown key {key!r}; valid keys here: {valid}")

    def table(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise self.error(name, f"must be a table ([{name}])")
        return value

    def string(self, table: dict[str, Any], key: str, where: str, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise self.error(f"{where}.{key}", f"must be a string, got {value!r}")
        return value

    def strings(self, table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(f"{where}.{key}", "must be a string or a list of strings")
        return tuple(value)

    def number(self, table: dict[str, Any], key: str, where: str, default: float,
               minimum: float = 0.0) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"{where}.{key}", f"must be a number, got {value!r}")
        if not math.isfinite(value) or value > 1e9:
            raise self.error(f"{where}.{key}", f"must be a finite number (at most 1e9), "
                             f"got {value!r}")
        if value < minimum:
            raise self.error(f"{where}.{key}", f"must be at least {minimum}, got {value}")
        return float(value)

    def path(self, value: str) -> Path:
        return (self.root / value).resolve() if not Path(value).is_absolute() else Path(value)

    def optional_path(self, table: dict[str, Any], key: str, where: str) -> Path | None:
        value = self.string(table, key, where)
        return self.path(value) if value else None

    # -- tables ----------------------------------------------------------------
    def parse(self, data: dict[str, Any]) -> Config:
        top = ("profile", "sources", "research", "outputs", "network", "matching", "render")
        self.check_keys(data, top, "")
        sources = self.sources(data.get("sources"))
        network = self.network(self.table(data, "network"))
        profile = self.profile(self.table(data, "profile"))
        outputs = self.outputs(self.table(data, "outputs"))
        self.outputs_apart(outputs, profile, sources)
        return Config(
            path=self.file,
            root=self.root,
            sources=sources,
            profile=profile,
            research=self.research(data.get("research", [])),
            outputs=outputs,
            network=network,
            matching=self.matching(self.table(data, "matching")),
            render=self.render(self.table(data, "render")),
        )

    def profile(self, table: dict[str, Any]) -> ProfileConfig:
        self.check_keys(table, ("name", "aliases", "page", "exclude"), "profile")
        pages = tuple(self.path(p) for p in self.strings(table, "page", "profile"))
        for page in pages:
            if not page.is_file():
                raise self.error("profile.page", f"the page {page} does not exist; "
                                 "create it or fix the path (relative to the config file)")
        return ProfileConfig(
            name=self.string(table, "name", "profile").strip(),
            aliases=self.strings(table, "aliases", "profile"),
            pages=pages,
            exclude=self.strings(table, "exclude", "profile"),
        )

    def sources(self, value: Any) -> tuple[SourceConfig, ...]:
        kinds = ", ".join(source_registry.kinds())
        if not value:
            raise self.error("sources", "at least one [[sources]] table is required "
                             f"(kind = one of: {kinds})")
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            raise self.error("sources", "must be an array of tables: write [[sources]]")
        return tuple(self.source(i, t) for i, t in enumerate(value))

    def source(self, index: int, table: dict[str, Any]) -> SourceConfig:
        where = f"sources[{index}]"
        kinds = ", ".join(source_registry.kinds())
        name = table.get("kind")
        if name is None:
            raise self.error(f"{where}.kind", f"missing; valid kinds: {kinds}")
        if not isinstance(name, str) or name not in source_registry.kinds():
            raise self.error(f"{where}.kind", f"unknown kind {name!r}; valid kinds: {kinds}")
        cls = source_registry.source_class(name)
        web_keys = ("base_url", "max_age_hours") if cls.web else ()
        allowed = tuple(dict.fromkeys(("kind", *cls.required, *cls.optional, *web_keys)))
        self.check_keys(table, allowed, where)
        for key in cls.required:
            if key not in table:
                raise self.error(f"{where}.{key}", f"required for kind {name!r}")
        options = dict(cls.parse_options(OptionReader(self, table, where)))
        if cls.web and "max_age_hours" in table:
            options["max_age_hours"] = self.number(table, "max_age_hours", where, 24.0)
        base_url = self.string(table, "base_url", where) or None
        if base_url and not re.match(r"https?://[^/\s]+", base_url):
            raise self.error(f"{where}.base_url", f"must be an http(s) URL, got {base_url!r}")
        return SourceConfig(kind=name, index=index, options=options,
                            base_url=base_url.rstrip("/") if base_url else None)

    def bib_paths(self, patterns: tuple[str, ...], where: str) -> tuple[str, ...]:
        """Expand globs (sorted) relative to the config; keep URLs as they are."""
        resolved: list[str] = []
        for pattern in patterns:
            if re.match(r"https?://", pattern):
                resolved.append(pattern)
                continue
            full = str(self.path(pattern))
            matches = sorted(glob.glob(full, recursive=True)) if glob.has_magic(full) else (
                [full] if Path(full).exists() else [])
            files = [m for m in matches if Path(m).is_file()]
            if not files:
                raise self.error(f"{where}.paths",
                                 f"{pattern!r} matches no file (relative to {self.root})")
            resolved.extend(m for m in files if m not in resolved)
        return tuple(resolved)

    def research(self, value: Any) -> tuple[ResearchProject, ...]:
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            raise self.error("research", "must be an array of tables: write [[research]]")
        projects = []
        for i, table in enumerate(value):
            where = f"research[{i}]"
            self.check_keys(table, ("title", "summary", "publications", "url"), where)
            title = self.string(table, "title", where).strip()
            if not title:
                raise self.error(f"{where}.title", "required: the project's title")
            projects.append(ResearchProject(
                title=title,
                summary=self.string(table, "summary", where).strip(),
                publications=self.strings(table, "publications", where),
                url=self.string(table, "url", where).strip(),
            ))
        return tuple(projects)

    def outputs(self, table: dict[str, Any]) -> dict[str, Path]:
        keys = tuple(output_registry.keys())
        self.check_keys(table, keys, "outputs")
        outputs: dict[str, Path] = {}
        for key in keys:
            path = self.optional_path(table, key, "outputs")
            if path is None:
                continue
            folder = output_registry.output_class(key).folder
            if path.is_dir() != folder and path.exists():
                raise self.error(f"outputs.{key}", f"{path} is a {'file' if folder else 'folder'};"
                                 f" this output writes {'a folder' if folder else 'one file'}")
            outputs[key] = path
        return outputs

    def outputs_apart(self, outputs: dict[str, Path], profile: ProfileConfig,
                      sources: tuple[SourceConfig, ...]) -> None:
        """An output written over an input (a source .bib, the page) would destroy it."""
        inputs: dict[Path, str] = {page.resolve(): "profile.page" for page in profile.pages}
        for index, source in enumerate(sources):
            for key in ("paths", "path"):
                value = source.options.get(key)
                for item in value if isinstance(value, list | tuple) else [value]:
                    if isinstance(item, str | Path) and "://" not in str(item):
                        inputs.setdefault(Path(item).resolve(), f"sources[{index}].{key}")
        for key, path in outputs.items():
            where = inputs.get(path.resolve())
            if where and not output_registry.output_class(key).edits_input:
                raise self.error(f"outputs.{key}", f"{path} is also an input ({where}): writing "
                                 "it would destroy it; choose another file for the output")

    def network(self, table: dict[str, Any]) -> NetworkConfig:
        keys = ("cache_dir", "delay", "timeout", "max_age_hours", "max_bytes", "user_agent",
                "email", "source_budget")
        self.check_keys(table, keys, "network")
        timeout = self.number(table, "timeout", "network", 20.0)
        if timeout <= 0:
            raise self.error("network.timeout", "must be more than 0 seconds")
        budget = self.number(table, "source_budget", "network", 600.0)
        if budget < 1:
            raise self.error("network.source_budget", "seconds one source may spend on the "
                             f"network in a run: a number of at least 1 (default 600), got "
                             f"{budget:g}")
        cache_dir = self.path(self.string(table, "cache_dir", "network", "cache"))
        if cache_dir.exists() and not cache_dir.is_dir():
            raise self.error("network.cache_dir", f"{cache_dir} is a file; give a folder (it is "
                             "created when missing)")
        return NetworkConfig(
            cache_dir=cache_dir,
            delay=self.number(table, "delay", "network", 1.0),
            timeout=timeout,
            max_age_hours=self.number(table, "max_age_hours", "network", 24.0),
            max_bytes=int(self.number(table, "max_bytes", "network", 5_000_000, 1024)),
            user_agent=self.string(table, "user_agent", "network"),
            email=self.string(table, "email", "network").strip(),
            source_budget=budget,
        )

    def matching(self, table: dict[str, Any]) -> MatchConfig:
        defaults = MatchConfig()
        keys = tuple(defaults.__dataclass_fields__)
        self.check_keys(table, keys, "matching")
        values: dict[str, Any] = {}
        for key in keys:
            default = getattr(defaults, key)
            number = self.number(table, key, "matching", default)
            values[key] = int(number) if isinstance(default, int) else number
        return MatchConfig(**values)

    def render(self, table: dict[str, Any]) -> RenderConfig:
        self.check_keys(table, ("max_authors", "group_by_type", "templates", "citations"),
                        "render")
        group = table.get("group_by_type", False)
        if not isinstance(group, bool):
            raise self.error("render.group_by_type", "must be true or false")
        templates = self.optional_path(table, "templates", "render")
        if templates is not None and not templates.is_dir():
            raise self.error("render.templates", f"names {templates}, which is not a folder; "
                             "give the folder holding your publications.md.j2/… templates")
        if templates is None and (self.root / "templates").is_dir():
            templates = self.root / "templates"
        return RenderConfig(
            max_authors=int(self.number(table, "max_authors", "render", 10, 1)),
            group_by_type=group,
            templates=templates,
            citations=self.strings(table, "citations", "render") or DEFAULT_CITATIONS,
        )


class OptionReader:
    """One ``[[sources]]`` table, handed to its source to parse (see ``Source.parse_options``).
    Every error names the file, the table and the key."""

    def __init__(self, parser: _Parser, table: dict[str, Any], where: str):
        self._parser = parser
        self.table = table
        self.where = where
        self.root = parser.root

    def get(self, key: str) -> Any:
        return self.table.get(key)

    def error(self, key: str, message: str) -> ConfigError:
        return self._parser.error(f"{self.where}.{key}", message)

    def string(self, key: str, default: str = "") -> str:
        return self._parser.string(self.table, key, self.where, default)

    def strings(self, key: str, nonempty: bool = False) -> tuple[str, ...]:
        values = self._parser.strings(self.table, key, self.where)
        if nonempty and not values:
            raise self.error(key, "must list at least one entry")
        return values

    def number(self, key: str, default: float, minimum: float = 0.0) -> float:
        return self._parser.number(self.table, key, self.where, default, minimum)

    def path(self, value: str) -> Path:
        """A path relative to the config file's folder."""
        return self._parser.path(value)

    def bib_paths(self, key: str) -> tuple[str, ...]:
        """Globs expanded (sorted) relative to the config; http(s) URLs kept as they are."""
        return self._parser.bib_paths(self.strings(key, nonempty=True), self.where)
