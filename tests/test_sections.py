"""Managed sections: splicing keeps every outside byte, detects hand edits, rejects bad markers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scholarsync.errors import HandEditedError, SectionError
from scholarsync.fileio import write_atomic
from scholarsync.outputs.base import FileChange
from scholarsync.outputs.pages.sections import (
    BOM,
    body_checksum,
    find_sections,
    plan_page,
)

BEGIN = "<!-- scholarsync:begin publications -->"
END = "<!-- scholarsync:end publications -->"


def fixed(body: str = "- one\n- two\n"):
    calls: list[tuple[str, dict[str, str]]] = []

    def render(name: str, attrs: dict[str, str]) -> str:
        calls.append((name, attrs))
        return body

    render.calls = calls  # type: ignore[attr-defined]
    return render


def write(tmp_path: Path, data: bytes | str, name: str = "index.md") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def outside(data: bytes) -> tuple[bytes, bytes]:
    """The bytes before the begin marker and from the end marker on."""
    head = data[: data.index(b"<!-- scholarsync:begin")]
    tail = data[data.index(b"<!-- scholarsync:end"):]
    return head, tail


def sync_page(path: Path, render=None, force: bool = False) -> bytes:
    plan = plan_page(path, render or fixed(), force=force)
    apply_plan(plan)
    return path.read_bytes()


def apply_plan(plan: FileChange | None) -> bool:
    """Write a planned page as the app does: atomically, only when it changed."""
    if plan is None or not plan.changed or plan.new is None:
        return False
    return write_atomic(plan.path, plan.new)


# -- outside bytes ----------------------------------------------------------------------------

PAGES = {
    "crlf": f"Title\r\n\r\nIntro  \r\n{BEGIN}\r\nold\r\n{END}\r\nFooter\r\n",
    "front_matter": f"---\nlayout: page\ntitle: \"Me\"\n---\n\n## Pubs\n{BEGIN}\n{END}\nend\n",
    "no_final_newline": f"Intro\n{BEGIN}\nold\n{END}",
    "at_start": f"{BEGIN}\nold\n{END}\nafter the section\n",
    "at_start_and_end": f"{BEGIN}\n{END}",
    "trailing_spaces": f"a  \n\t\n{BEGIN}   \nold\n  {END}\t\nb \n",
    "unicode": f"Renée — “quotes” ☃\n{BEGIN}\n{END}\n日本語\n",
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_outside_bytes_are_kept(tmp_path: Path, name: str) -> None:
    original = PAGES[name].encode("utf-8")
    path = write(tmp_path, original)
    new = sync_page(path)
    assert outside(new)[1] == outside(original)[1]
    head_new, head_old = outside(new)[0], outside(original)[0]
    assert head_new == head_old
    assert b"- one" in new and b"old" not in new


def test_bom_is_kept(tmp_path: Path) -> None:
    original = BOM + f"Intro\n{BEGIN}\n{END}\n".encode()
    path = write(tmp_path, original)
    new = sync_page(path)
    assert new.startswith(BOM + b"Intro\n<!-- scholarsync:begin publications ")
    assert new.count(BOM) == 1


def test_body_uses_the_pages_line_ending(tmp_path: Path) -> None:
    path = write(tmp_path, PAGES["crlf"])
    new = sync_page(path)
    body = new.split(b"-->\r\n", 1)[1].split(b"<!-- scholarsync:end")[0]
    assert body == b"- one\r\n- two\r\n"
    assert b"\n" not in new.replace(b"\r\n", b"")


def test_generated_body_sits_between_the_markers(tmp_path: Path) -> None:
    path = write(tmp_path, f"x\n{BEGIN}\n{END}\ny\n")
    text = sync_page(path).decode()
    assert re.fullmatch(r"x\n<!-- scholarsync:begin publications checksum=sha256:[0-9a-f]{16} -->"
                        r"\n- one\n- two\n<!-- scholarsync:end publications -->\ny\n", text)


def test_empty_render_leaves_markers_adjacent(tmp_path: Path) -> None:
    path = write(tmp_path, f"x\n{BEGIN}\nold\n{END}\n")
    text = sync_page(path, fixed("")).decode()
    assert re.search(r"-->\n<!-- scholarsync:end publications -->\n$", text)


def test_attrs_reach_the_renderer_and_stay_on_the_begin_line(tmp_path: Path) -> None:
    page = f'a\n<!-- scholarsync:begin publications limit=5 title="My list" -->\n{END}\n'
    path = write(tmp_path, page)
    render = fixed()
    text = sync_page(path, render).decode()
    assert render.calls == [("publications", {"limit": "5", "title": "My list"})]
    assert '<!-- scholarsync:begin publications limit=5 title="My list" checksum=sha256:' in text


def test_page_without_markers_is_untouched(tmp_path: Path) -> None:
    path = write(tmp_path, "just text\n")
    plan = plan_page(path, fixed())
    assert plan is None
    assert not apply_plan(plan)
    assert path.read_bytes() == b"just text\n"


# -- writing only when changed ----------------------------------------------------------------

def test_second_run_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, f"a\n{BEGIN}\n{END}\nb\n")
    first = sync_page(path)
    stamp = path.stat().st_mtime_ns
    plan = plan_page(path, fixed())
    assert not plan.changed and plan.new == first
    assert not apply_plan(plan)
    assert path.stat().st_mtime_ns == stamp


def test_new_content_replaces_old_and_updates_checksum(tmp_path: Path) -> None:
    path = write(tmp_path, f"a\n{BEGIN}\n{END}\nb\n")
    sync_page(path, fixed("- v1\n"))
    text = sync_page(path, fixed("- v2\n")).decode()
    assert "- v2" in text and "- v1" not in text
    assert f"checksum={body_checksum('- v2')}" in text


def test_plan_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, f"a\n{BEGIN}\n{END}\n")
    plan = plan_page(path, fixed())
    assert plan.changed and path.read_bytes() == f"a\n{BEGIN}\n{END}\n".encode()


# -- hand edits -------------------------------------------------------------------------------

def edited_page(tmp_path: Path) -> Path:
    path = write(tmp_path, f"a\n{BEGIN}\n{END}\nb\n")
    sync_page(path)
    path.write_bytes(path.read_bytes().replace(b"- two", b"- two (my note)"))
    return path


def test_hand_edit_is_refused(tmp_path: Path) -> None:
    path = edited_page(tmp_path)
    before = path.read_bytes()
    with pytest.raises(HandEditedError) as info:
        plan_page(path, fixed("- three\n"))
    message = str(info.value)
    assert str(path) in message and "publications" in message and "--force" in message
    assert f"{path}:2:" in message
    assert path.read_bytes() == before


def test_force_overwrites_a_hand_edit(tmp_path: Path) -> None:
    path = edited_page(tmp_path)
    plan = plan_page(path, fixed("- three\n"), force=True)
    assert plan is not None and plan.detail == "publications"
    apply_plan(plan)
    text = path.read_text(encoding="utf-8")
    assert "my note" not in text and "- three" in text
    assert plan_page(path, fixed("- three\n")).changed is False


def test_edit_of_one_section_refuses_the_whole_page(tmp_path: Path) -> None:
    page = (f"{BEGIN}\n{END}\n"
            "<!-- scholarsync:begin research -->\n<!-- scholarsync:end research -->\n")
    path = write(tmp_path, page)
    sync_page(path)
    data = path.read_bytes()
    research = data.index(b"<!-- scholarsync:end research")
    path.write_bytes(data[:research] + b"hand text\n" + data[research:])
    with pytest.raises(HandEditedError, match="research"):
        plan_page(path, fixed("- new\n"))


def test_line_ending_or_trailing_space_changes_are_not_edits(tmp_path: Path) -> None:
    path = write(tmp_path, f"a\n{BEGIN}\n{END}\nb\n")
    sync_page(path)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n").replace(b"- one", b"- one  "))
    plan = plan_page(path, fixed())  # no HandEditedError
    apply_plan(plan)
    assert b"- one\r\n- two\r\n" in path.read_bytes()


def test_section_without_checksum_is_filled(tmp_path: Path) -> None:
    path = write(tmp_path, f"a\n{BEGIN}\nsome placeholder the user typed\n{END}\n")
    text = sync_page(path).decode()
    assert "placeholder" not in text and "- one" in text and "checksum=sha256:" in text


# -- malformed markers ------------------------------------------------------------------------

BAD = {
    "unclosed": (f"a\n{BEGIN}\nb\n", 2, "no end marker"),
    "end_without_begin": (f"a\n\n{END}\n", 3, "without a begin"),
    "nested": (f"{BEGIN}\n<!-- scholarsync:begin research -->\n"
               f"<!-- scholarsync:end research -->\n{END}\n", 2, "cannot nest"),
    "duplicated": (f"{BEGIN}\n{END}\nx\n{BEGIN}\n{END}\n", 4, "appears twice"),
    "mismatched": (f"x\n{BEGIN}\n<!-- scholarsync:end research -->\n", 3, "must match"),
    "not_alone": (f"## Pubs {BEGIN}\n{END}\n", 1, "line of its own"),
    "bad_attr": ("<!-- scholarsync:begin publications limit -->\n" + END + "\n", 1, "malformed"),
    "no_name": ("<!-- scholarsync:begin -->\n<!-- scholarsync:end -->\n", 1, "name"),
    "unknown_verb": ("<!-- scholarsync:start publications -->\n", 1, "unknown marker"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_markers_name_file_and_line(tmp_path: Path, case: str) -> None:
    page, line, words = BAD[case]
    path = write(tmp_path, page)
    with pytest.raises(SectionError) as info:
        plan_page(path, fixed())
    assert f"{path}:{line}:" in str(info.value)
    assert words in str(info.value)
    assert path.read_bytes() == page.encode()


def test_same_name_with_different_attrs_is_allowed(tmp_path: Path) -> None:
    page = ("<!-- scholarsync:begin publications selected=true -->\n" + END + "\n"
            + BEGIN + "\n" + END + "\n")
    sections = find_sections(page, "p.md")
    assert [(s.name, s.attrs, s.begin_line, s.end_line) for s in sections] == [
        ("publications", {"selected": "true"}, 1, 2), ("publications", {}, 3, 4)]


def test_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "Ren\xe9e\n".encode("latin-1") + f"{BEGIN}\n{END}\n".encode())
    with pytest.raises(SectionError, match="not UTF-8"):
        plan_page(path, fixed())


def test_render_error_names_file_and_line(tmp_path: Path) -> None:
    def render(name: str, attrs: dict[str, str]) -> str:
        raise SectionError("no template 'publications.md.j2'")

    path = write(tmp_path, f"a\nb\n{BEGIN}\n{END}\n")
    with pytest.raises(SectionError, match=r"index\.md:3: section 'publications': no template"):
        plan_page(path, render)


def test_rendered_marker_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, f"{BEGIN}\n{END}\n")
    with pytest.raises(SectionError, match="holds a scholarsync marker"):
        plan_page(path, fixed(f"x\n{END}\n"))


# -- property: splicing changes nothing outside the markers -----------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200).filter(
    lambda t: "scholarsync:" not in t.lower())


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=_text, old=_text, suffix=_text, new=_text, eol=st.sampled_from(["\n", "\r\n"]),
       bom=st.booleans(), final=st.booleans())
def test_splice_keeps_outside_bytes(tmp_path: Path, prefix: str, old: str, suffix: str,
                                    new: str, eol: str, bom: bool, final: bool) -> None:
    head = (prefix + eol if prefix else "") + "<!-- scholarsync:begin publications attr=1 -->" + eol
    tail = END + (eol + suffix if final else "")
    page = (BOM if bom else b"") + (head + old + (eol if old else "") + tail).encode("utf-8")
    path = write(tmp_path, page, "prop.md")
    plan = plan_page(path, fixed(new))
    out = plan.new
    start = len(BOM if bom else b"") + len((prefix + eol if prefix else "").encode())
    assert out[:start] == page[:start]
    assert out.endswith(tail.encode())
    assert out[start:].startswith(b"<!-- scholarsync:begin publications attr=1 checksum=")
    # the tool reads back what it wrote: same sections, no edit, nothing more to change
    path.write_bytes(out)
    again = plan_page(path, fixed(new))
    assert again.new == out and not again.changed


def test_rendered_body_is_written_verbatim(tmp_path: Path) -> None:
    """Leading indentation is Markdown (code blocks, nested lists): it must survive."""
    body = "    indented code\n  - nested item\n\tTabbed line\n\n- last   \n"
    path = write(tmp_path, f"a\n{BEGIN}\n{END}\nb\n")
    text = sync_page(path, fixed(body)).decode()
    written = text.split("-->\n", 1)[1].split("<!-- scholarsync:end")[0]
    assert written == body


def test_a_pasted_second_copy_of_a_written_section_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, f"intro\n{BEGIN}\n{END}\noutro\n")
    written = sync_page(path).decode()
    section = written[written.index("<!-- scholarsync:begin"):written.index(END) + len(END)]
    pasted = written + "\nCopied from above:\n" + section + "\n"
    path.write_text(pasted, encoding="utf-8")
    with pytest.raises(SectionError) as info:
        plan_page(path, fixed("- changed\n"))
    message = str(info.value)
    assert f"{path}:9:" in message and "twice" in message and "line 2" in message
    assert path.read_text(encoding="utf-8") == pasted


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["x", " ", "\t", "\r", "\n", "\r\n", "\x85", "\u2028", "<!--",
                                 "scholarsync:", "<!-- scholarsync:end a -->", "SCHOLARSYNC:"]),
                max_size=30).map("".join))
def test_marker_lines_are_the_lines_a_full_scan_finds(text: str) -> None:
    from scholarsync.outputs.pages.sections import _ANY_MARKER, _LINE, _marker_lines

    expected = []
    for number, match in enumerate(_LINE.finditer(text), 1):
        if match.start() == len(text) and match.start() == match.end():
            break
        if _ANY_MARKER.search(text[match.start():match.start(1)]):
            expected.append((number, match.span(), match.group(1)))
    found = [(n, m.span(), m.group(1)) for n, m in _marker_lines(text)]
    assert found == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["x", " ", "\t", "\r", "\n", "\r\n", "\x85", "\u2028", "\xa0",
                                 "\x1f", "\u3000", "é"]), max_size=30).map("".join))
def test_body_checksum_is_the_checksum_of_the_normalized_lines(body: str) -> None:
    import hashlib

    from scholarsync.outputs.pages.sections import body_checksum

    lines = [line.rstrip() for line in re.split(r"\r\n|\r|\n", body)]
    normalized = "\n".join(lines).strip("\n")
    expected = "sha256:" + hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:16]
    assert body_checksum(body) == expected
