"""Every section of the English README has its counterpart in each translated README.

Mechanism: each `## ` and `### ` heading of a translated README is followed, on the next
non-empty line, by a marker naming the English heading it translates:

    ## インストール
    <!-- section: Installation -->

The markers, read in order, must equal the English README's `##`/`###` headings, in order and
at the same level. So a section added to README.md fails here until every translation has it,
a translated section without a marker fails, and a marker that names a renamed English
heading fails. Headings inside fenced code blocks are not headings.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
ENGLISH = ROOT / "README.md"
TRANSLATED = {
    "ja": ROOT / "docs" / "README.ja.md",
    "zh-Hans": ROOT / "docs" / "README.zh-Hans.md",
    "zh-Hant": ROOT / "docs" / "README.zh-Hant.md",
}
HEADING = re.compile(r"^(#{2,3}) (\S.*)$")
MARKER = re.compile(r"^<!-- section: (.+?) -->$")


def _lines_outside_code(path: Path) -> list[str]:
    lines, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def _english_sections() -> list[tuple[str, str]]:
    """(level, heading) of every ## and ### heading of README.md."""
    return [
        (match.group(1), match.group(2).strip())
        for line in _lines_outside_code(ENGLISH)
        if (match := HEADING.match(line))
    ]


def _translated_sections(path: Path) -> list[tuple[str, str]]:
    """(level, English heading named by its marker) of every ## and ### heading."""
    lines = [line for line in _lines_outside_code(path) if line.strip()]
    sections = []
    for index, line in enumerate(lines):
        if match := HEADING.match(line):
            following = lines[index + 1] if index + 1 < len(lines) else ""
            marker = MARKER.match(following.strip())
            assert marker, f"{path.name}: heading {line!r} has no section marker under it"
            sections.append((match.group(1), marker.group(1).strip()))
    return sections


def test_the_english_readme_has_sections() -> None:
    sections = _english_sections()
    assert ("##", "Installation") in sections
    assert ("###", "Dashboard card") in sections


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_section_has_a_counterpart(language: str) -> None:
    english = _english_sections()
    translated = _translated_sections(TRANSLATED[language])
    missing = [section for section in english if section not in translated]
    assert not missing, f"{language}: no counterpart for {missing}"
    assert translated == english, f"{language}: sections differ in order, level or number"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_readme_links_the_translation(language: str) -> None:
    top = ENGLISH.read_text(encoding="utf-8").splitlines()[:5]
    assert any(f"docs/README.{language}.md" in line for line in top)


def test_a_missing_marker_is_caught(tmp_path: Path) -> None:
    page = tmp_path / "README.xx.md"
    page.write_text("## インストール\n\nテキスト\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="no section marker"):
        _translated_sections(page)
