"""Config loading: typed values, and one clear message (exit 2, no traceback) per mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scholarsync.config import load_config
from scholarsync.errors import ConfigError

BIB = "@article{a, title={T}, author={Doe, Jane}, year={2020}}\n"


def write(tmp_path: Path, text: str, bib: bool = True) -> Path:
    if bib:
        (tmp_path / "bib").mkdir(exist_ok=True)
        (tmp_path / "bib" / "b.bib").write_text(BIB)
        (tmp_path / "bib" / "a.bib").write_text(BIB)
    path = tmp_path / "scholarsync.toml"
    path.write_text(text)
    return path


MINIMAL = '[[sources]]\nkind = "bibtex"\npaths = ["bib/*.bib"]\n'


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scholarsync", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_minimal_config_loads_with_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.root == tmp_path.resolve()
    (source,) = config.sources
    assert source.kind == "bibtex"
    # globs expand in sorted order, relative to the config file
    assert [Path(p).name for p in source.options["paths"]] == ["a.bib", "b.bib"]
    assert config.network.cache_dir == tmp_path.resolve() / "cache"
    assert config.network.delay == 1.0 and config.network.timeout == 20.0
    assert "bibtex" not in config.outputs and config.profile.pages == ()


def test_full_config(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.md").write_text("# me\n")
    text = """
[profile]
name = "Vima Gupta"
aliases = ["V. Gupta", "Gupta, V."]
page = "site/index.md"

[[sources]]
kind = "bibtex"
paths = ["bib/a.bib", "https://example.org/lab.bib"]

[[sources]]
kind = "escholarship"
items = ["https://escholarship.org/uc/item/91z2p9h1", "5cz2v6d5"]
base_url = "http://127.0.0.1:8000/"

[[sources]]
kind = "scholar"
user = "https://scholar.google.com/citations?user=Yno2pxMAAAAJ&hl=en"

[[research]]
title = "Counting"
publications = ["gupta2024infinity"]

[outputs]
bibtex = "out/publications.bib"

[network]
cache_dir = "c"
delay = 2
"""
    config = load_config(write(tmp_path, text))
    assert config.profile.aliases == ("V. Gupta", "Gupta, V.")
    assert config.profile.pages == (tmp_path.resolve() / "site" / "index.md",)
    bib, eschol, scholar = config.sources
    assert bib.options["paths"][1] == "https://example.org/lab.bib"
    assert eschol.base_url == "http://127.0.0.1:8000"
    assert scholar.options["user"] == "Yno2pxMAAAAJ"
    assert config.research[0].publications == ("gupta2024infinity",)
    assert config.outputs["bibtex"] == tmp_path.resolve() / "out" / "publications.bib"
    assert config.network.delay == 2.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[sources]]\nkind = bibtex\n", "toml:2: invalid TOML"),
        ("[[sources]]\nkind = \"bibtex\"\npaths = [\"bib/*.bib\"\n", "toml:4: invalid TOML"),
        ("[profile]\nname = \"x\"\n", "at least one [[sources]]"),
        ("[[sources]]\nkind = \"myspace\"\n", "valid kinds: bibtex, escholarship, scholar"),
        ("[[sources]]\nkind = \"bibtex\"\n", "sources[0].paths] required"),
        ("[[sources]]\nkind = \"bibtex\"\npaths = [\"nothing/*.bib\"]\n", "matches no file"),
        (MINIMAL + "[network]\ndelya = 1\n", "unknown key 'delya'; valid keys here: cache_dir"),
        (MINIMAL + "colour = 1\n", "sources[0].colour] unknown key"),
        ("[[sources]]\nkind = \"scholar\"\nuser = \"nope\"\n", "not a Scholar user id"),
        (MINIMAL + "[profile]\npage = \"missing.md\"\n", "does not exist"),
        (MINIMAL + "[network]\ntimeout = \"fast\"\n", "must be a number"),
        ("[[sources]]\nkind = \"scholar\"\nuser = \"Yno2pxMAAAAJ\"\nbase_url = \"ftp://x\"\n",
         "must be an http(s) URL"),
    ],
)
def test_config_errors_name_file_key_and_fix(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message


def test_cli_config_error_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    write(tmp_path, "[[sources]]\nkind = \"zotero\"\n")
    for args in (["list"], ["--config", "scholarsync.toml", "export"],
                 ["sync", "--config", "scholarsync.toml"]):
        proc = run_cli(*args, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert "unknown kind 'zotero'" in proc.stderr
        assert proc.stdout == ""


def test_cli_missing_config_exits_2(tmp_path: Path) -> None:
    proc = run_cli("list", cwd=tmp_path)
    assert proc.returncode == 2
    assert "no config file found" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_version_and_help(tmp_path: Path) -> None:
    proc = run_cli("--version", cwd=tmp_path)
    assert proc.returncode == 0 and "scholarsync, version" in proc.stdout
    for command in ("sync", "render", "list", "export", "inspect", "init"):
        proc = run_cli(command, "--help", cwd=tmp_path)
        assert proc.returncode == 0 and "Usage:" in proc.stdout, command
