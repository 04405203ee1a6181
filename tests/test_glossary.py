"""Every translation keeps to docs/glossary.md, which is the single source of the terms.

The glossary's table names, per concept, the chosen term in each language, the variants that
are ruled out (`` `lang:term` `` in the "Ruled out" column) and a translation key where the
chosen term must appear ("Checked in"). Its writing rules (spacing between CJK and Latin text,
full-width punctuation) are checked here as regular expressions.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from tests.helpers import flat_strings

ROOT = Path(__file__).parents[1]
GLOSSARY = ROOT / "docs" / "glossary.md"
TRANSLATIONS = ROOT / "custom_components" / "japan_sim_data" / "translations"
LANGUAGES = ("en", "ja", "zh-Hans", "zh-Hant")

RULED_OUT = re.compile(r"`(en|ja|zh-Hans|zh-Hant):([^`]+)`")
KEY = re.compile(r"`([\w.-]+)`")

# Japanese and Chinese characters, and what counts as Latin text next to them.
KANA_KANJI = r"[\u3040-\u30ff\u3400-\u9fff]"
HAN = r"[\u3400-\u9fff]"
# In Japanese a placeholder is spaced like Latin text; in Chinese it follows what it holds
# (`{carrier} 不接受`, but `{kind}到期` where the kind is itself Chinese).
LATIN_JA = r"[A-Za-z0-9{}]"
LATIN_ZH = r"[A-Za-z0-9]"
ASCII_PUNCTUATION = r"[:(),;]"
MARKDOWN_TARGET = re.compile(r"\]\([^)\s]*\)")


def _translations(language: str) -> dict[str, str]:
    text = (TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8")
    return flat_strings(json.loads(text))


def _table() -> list[dict[str, str]]:
    """The rows of the glossary's terms table, by column name."""
    lines = GLOSSARY.read_text(encoding="utf-8").splitlines()
    start = lines.index("## Terms")
    rows = [line for line in lines[start:] if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    table = []
    for row in rows[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == len(header), row
        table.append(dict(zip(header, cells, strict=True)))
    return table


def _ruled_out() -> dict[str, set[str]]:
    terms: dict[str, set[str]] = {language: set() for language in LANGUAGES}
    for row in _table():
        for language, term in RULED_OUT.findall(row["Ruled out"]):
            terms[language].add(term)
    return terms


def _checked_terms() -> list[tuple[str, str, str]]:
    """(language, translation key, chosen term) for every row that names a key."""
    checks: list[tuple[str, str, str]] = []
    for row in _table():
        keys = KEY.findall(row["Checked in"])
        for language in LANGUAGES[1:]:
            if row[language]:
                checks.extend((language, key, row[language]) for key in keys)
    return checks


def test_the_glossary_is_read() -> None:
    """A glossary the parser misreads would make every other test here pass vacuously."""
    ruled_out = _ruled_out()
    assert len(_table()) >= 20
    assert "通信会社" in ruled_out["ja"]
    assert "流量" in ruled_out["zh-Hant"]
    assert "帳號" in ruled_out["zh-Hant"]
    assert all(ruled_out[language] for language in LANGUAGES)
    assert len(_checked_terms()) >= 60


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_ruled_out_term(language: str) -> None:
    banned = _ruled_out()[language]
    found = {
        key: sorted(term for term in banned if term in text)
        for key, text in _translations(language).items()
        if any(term in text for term in banned)
    }
    assert not found, f"{language}: terms the glossary rules out: {found}"


@pytest.mark.parametrize(("language", "key", "term"), _checked_terms())
def test_chosen_term_is_used(language: str, key: str, term: str) -> None:
    strings = _translations(language)
    assert key in strings, f"{key} is named in the glossary but missing from {language}.json"
    assert term in strings[key], f"{language} {key}: {strings[key]!r} lacks {term!r}"


def _breaks(language: str) -> dict[str, list[str]]:
    """Strings that break the glossary's writing rules, with the offending snippets."""
    if language == "ja":
        rules = [
            rf"{KANA_KANJI} +{LATIN_JA}|{LATIN_JA} +{KANA_KANJI}",
            rf"{KANA_KANJI}{ASCII_PUNCTUATION}|{ASCII_PUNCTUATION}{KANA_KANJI}",
        ]
    else:
        rules = [
            rf"{HAN}{LATIN_ZH}|{LATIN_ZH}{HAN}",
            rf"{HAN}{ASCII_PUNCTUATION}|{ASCII_PUNCTUATION}{HAN}",
        ]
    pattern = re.compile("|".join(f"(?:{rule})" for rule in rules))
    # A Markdown link's "(url)" is syntax, not punctuation of the sentence.
    texts = {key: MARKDOWN_TARGET.sub("]", text) for key, text in _translations(language).items()}
    return {
        key: [match.group(0) for match in pattern.finditer(text)]
        for key, text in texts.items()
        if pattern.search(text)
    }


@pytest.mark.parametrize("language", ["ja", "zh-Hans", "zh-Hant"])
def test_spacing_and_punctuation(language: str) -> None:
    assert not _breaks(language), f"{language}: {_breaks(language)}"


def test_the_writing_rules_catch_what_they_describe(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules' regular expressions flag the mistakes the glossary names."""
    samples = {
        "ja": {"a": "IIJmio にログイン", "b": "例: 1GB", "c": "残り {amount} GB"},
        "zh-Hans": {"a": "登录IIJmio", "b": "剩余流量:1", "c": "每月1日"},
    }
    monkeypatch.setattr(sys.modules[__name__], "_translations", samples.__getitem__)
    assert set(_breaks("ja")) == {"a", "b", "c"}
    assert set(_breaks("zh-Hans")) == {"a", "b", "c"}


READMES = {
    "en": ROOT / "README.md",
    "ja": ROOT / "docs" / "README.ja.md",
    "zh-Hans": ROOT / "docs" / "README.zh-Hans.md",
    "zh-Hant": ROOT / "docs" / "README.zh-Hant.md",
}
# What a README quotes rather than says: code, and a carrier's own words in 「」 (くりこし分,
# 残量 in a notice). A link's address is not text either.
QUOTED = re.compile(r"`[^`\n]*`|「[^」\n]*」|\]\([^)\s]*\)")


def _readme_text(language: str) -> str:
    """The README's own words: outside code blocks, without what it quotes."""
    lines, fenced = [], False
    for line in READMES[language].read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(QUOTED.sub(" ", line))
    return "\n".join(lines)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_ruled_out_term_in_the_readme(language: str) -> None:
    banned = _ruled_out()[language]
    found = {
        term: [line.strip()[:80] for line in _readme_text(language).splitlines() if term in line]
        for term in sorted(banned)
        if term in _readme_text(language)
    }
    assert not found, f"{language} README: terms the glossary rules out: {found}"


def test_the_readme_check_skips_only_quotes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "README.ja.md"
    page.write_text("「くりこし分」と`残量`\n```\n残量\n```\n残量が減る\n", encoding="utf-8")
    monkeypatch.setitem(READMES, "ja", page)
    assert "くりこし" not in _readme_text("ja")
    assert _readme_text("ja").count("残量") == 1
