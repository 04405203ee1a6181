"""The translated READMEs hold the English README's tables, row for row, and both follow the code.

`tests/test_docs_languages.py` pairs the sections (each translated heading carries a marker naming
the English one). Here, within each pair of sections:
- every table has as many rows as its English counterpart, so a row added in English fails
  until every translation has it;
- the entity table names every entity the code makes, by the name the entity has in that
  language's translation file, with the carriers whose SIMs get it (read from `sensor.py` and
  `binary_sensor.py`), so a sensor added to the code, or given to another carrier, fails here
  until all four READMEs say so;
- the options table names the options menu's groups by their titles in that language.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from custom_components.japan_sim_data.binary_sensor import BINARY_SENSORS
from custom_components.japan_sim_data.carriers.models import Carrier
from custom_components.japan_sim_data.sensor import SENSORS, JapanSimDataSensorDescription

ROOT = Path(__file__).parents[1]
READMES = {
    "en": ROOT / "README.md",
    "ja": ROOT / "docs" / "README.ja.md",
    "zh-Hans": ROOT / "docs" / "README.zh-Hans.md",
    "zh-Hant": ROOT / "docs" / "README.zh-Hant.md",
}
TRANSLATIONS = ROOT / "custom_components" / "japan_sim_data" / "translations"
GLOSSARY = ROOT / "docs" / "glossary.md"
HEADING = re.compile(r"^#{2,3} (\S.*)$")
MARKER = re.compile(r"^<!-- section: (.+?) -->$")
ENTITIES = "Entities (per SIM)"
OPTIONS = "Options"
INTRO = ""

# How each README names a group of carriers in its tables (the plan tracker's own name comes
# from the glossary, so renaming it there renames it here).
_SOFTBANK_FAMILY = frozenset({Carrier.SOFTBANK, Carrier.YMOBILE, Carrier.LINEMO})
_GROUPS: dict[str, dict[str, frozenset[Carrier]]] = {
    "en": {"all": frozenset(Carrier), "SoftBank family": _SOFTBANK_FAMILY},
    "ja": {"すべて": frozenset(Carrier), "SoftBank系": _SOFTBANK_FAMILY},
    "zh-Hans": {"全部": frozenset(Carrier), "SoftBank 系": _SOFTBANK_FAMILY},
    "zh-Hant": {"全部": frozenset(Carrier), "SoftBank 系列": _SOFTBANK_FAMILY},
}
_BRANDS = {
    "IIJmio": Carrier.IIJMIO,
    "povo": Carrier.POVO,
    "SoftBank": Carrier.SOFTBANK,
    "Y!mobile": Carrier.YMOBILE,
    "LINEMO": Carrier.LINEMO,
    "mineo": Carrier.MINEO,
}
# "Low data (binary)", 「速度制限中（バイナリ）」: the platform is said after the name.
_PLATFORM_NOTE = re.compile(r"\s*[（(][^（()）]+[）)]$")


def _sections(language: str) -> dict[str, list[str]]:
    """Lines (outside code blocks) of each section, by the English heading it stands for."""
    sections: dict[str, list[str]] = {INTRO: []}
    current, fenced = INTRO, False
    lines = READMES[language].read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        if heading := HEADING.match(line):
            current = heading.group(1).strip()
            if language != "en":
                following = next((x for x in lines[index + 1 :] if x.strip()), "")
                marker = MARKER.match(following.strip())
                assert marker, f"{language}: {line!r} has no section marker"
                current = marker.group(1).strip()
            sections[current] = []
            continue
        sections[current].append(line)
    return sections


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def _tables(lines: list[str]) -> Iterator[list[list[str]]]:
    """Each Markdown table of the lines: its body rows (no header, no rule) as cells."""
    table: list[str] = []
    for line in [*lines, ""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            yield [_cells(row) for row in table[2:]]
            table = []


def _table(language: str, section: str) -> list[list[str]]:
    tables = list(_tables(_sections(language)[section]))
    assert len(tables) == 1, f"{language}: {section!r} should hold one table, not {len(tables)}"
    return tables[0]


def _strings(language: str) -> dict[str, object]:
    result: dict[str, object] = json.loads(
        (TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8")
    )
    return result


def _tracker_term(language: str) -> str:
    """The glossary's term for the plan tracker in this language."""
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0] == "Tracking a SIM by its plan":
            return cells[{"en": 1, "ja": 2, "zh-Hans": 3, "zh-Hant": 4}[language]]
    raise AssertionError("the glossary has no term for the plan tracker")


def _carriers(language: str, cell: str) -> frozenset[Carrier]:
    """The carriers a README's "Carriers" cell names."""
    tracker = _tracker_term(language)
    found: set[Carrier] = set()
    for token in filter(None, (part.strip() for part in re.split(r"[,、]", cell))):
        if tracker in token:
            # "plan tracker with an SMS inquiry": still the tracker's SIMs.
            found.add(Carrier.TRACKER)
        elif token in _GROUPS[language]:
            found |= _GROUPS[language][token]
        else:
            assert token in _BRANDS, f"{language}: unknown carrier {token!r} in {cell!r}"
            found.add(_BRANDS[token])
    return frozenset(found)


def _code_entities() -> dict[str, frozenset[Carrier]]:
    """Every entity a SIM can have, with the carriers whose SIMs get it."""
    entities = {description.key: description.carriers for description in SENSORS}
    # A tracked SIM's own sensors, which only the tracker's coordinator offers.
    tracker_sensors = importlib.import_module("custom_components.japan_sim_data.tracker_sensors")
    entities |= {
        value.key: frozenset({Carrier.TRACKER})
        for value in vars(tracker_sensors).values()
        if isinstance(value, JapanSimDataSensorDescription)
    }
    entities |= {description.key: description.carriers for description in BINARY_SENSORS}
    return entities


def _entity_keys(language: str) -> list[str]:
    """The entity key of each row of the entity table, found by its translated name."""
    names: dict[str, str] = {}
    entity = _strings(language)["entity"]
    assert isinstance(entity, dict)
    for platform in ("sensor", "binary_sensor"):
        for key, strings in entity[platform].items():
            names[strings["name"]] = key
    keys = []
    for row in _table(language, ENTITIES):
        name = _PLATFORM_NOTE.sub("", row[0])
        assert name in names, f"{language}: {row[0]!r} is no entity's name in {language}.json"
        keys.append(names[name])
    return keys


def test_the_tables_are_read() -> None:
    """A parser that found nothing would make every test below pass vacuously."""
    assert len(_table("en", ENTITIES)) >= 20
    assert len(_table("en", OPTIONS)) >= 8
    assert _carriers("en", "IIJmio, SoftBank family") == {
        Carrier.IIJMIO,
        Carrier.SOFTBANK,
        Carrier.YMOBILE,
        Carrier.LINEMO,
    }
    assert _carriers("ja", f"SMSでの問い合わせを設定した{_tracker_term('ja')}") == {Carrier.TRACKER}
    with pytest.raises(AssertionError, match="unknown carrier"):
        _carriers("en", "docomo")


@pytest.mark.parametrize("language", ["ja", "zh-Hans", "zh-Hant"])
def test_every_table_has_the_english_rows(language: str) -> None:
    english, translated = _sections("en"), _sections(language)
    assert translated.keys() == english.keys()
    for section, lines in english.items():
        expected = [len(table) for table in _tables(lines)]
        found = [len(table) for table in _tables(translated[section])]
        assert found == expected, f"{language}: rows per table of {section!r}: {found}, {expected}"


@pytest.mark.parametrize("language", READMES)
def test_the_entity_table_names_every_entity_the_code_makes(language: str) -> None:
    keys = _entity_keys(language)
    assert len(keys) == len(set(keys)), f"{language}: an entity is listed twice"
    assert set(keys) == set(_code_entities()), f"{language}: entities differ from the code"
    assert keys == _entity_keys("en"), f"{language}: not in the English order"


@pytest.mark.parametrize("language", READMES)
def test_the_entity_table_names_the_carriers_of_the_code(language: str) -> None:
    code = _code_entities()
    wrong = {
        key: sorted(_carriers(language, row[-1]) ^ code[key])
        for key, row in zip(_entity_keys(language), _table(language, ENTITIES), strict=True)
        if _carriers(language, row[-1]) != code[key]
    }
    assert not wrong, f"{language}: carriers that differ from the code: {wrong}"


@pytest.mark.parametrize("language", READMES)
def test_the_options_table_names_the_option_groups(language: str) -> None:
    """Each row's group starts with the title of its options form; every group is there."""
    options = _strings(language)["options"]
    assert isinstance(options, dict)
    groups = list(options["step"]["init"]["menu_options"])
    titles = {group: options["step"][group]["title"] for group in groups}
    shown: list[str] = []
    for row in _table(language, OPTIONS):
        group = next((g for g, title in titles.items() if row[0].startswith(title)), None)
        assert group, f"{language}: {row[0]!r} is no options group's title"
        if not shown or shown[-1] != group:
            shown.append(group)
    assert shown == groups, f"{language}: the groups differ from the options menu"
