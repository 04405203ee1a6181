"""Every language ships every string, and every entity has a name and an icon."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from homeassistant.helpers.entity import EntityDescription

from custom_components.japan_sim_data.binary_sensor import BINARY_SENSORS
from custom_components.japan_sim_data.button import REFRESH
from custom_components.japan_sim_data.calendar import DATA_CALENDAR
from custom_components.japan_sim_data.sensor import SENSORS
from custom_components.japan_sim_data.tracker_sensors import LAST_INQUIRY, LAST_NOTICE
from tests.helpers import flat_strings

COMPONENT = Path(__file__).parents[1] / "custom_components" / "japan_sim_data"
LANGUAGES = ("ja", "zh-Hans", "zh-Hant")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((COMPONENT / name).read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_has_every_english_string(language: str) -> None:
    english = flat_strings(_load("translations/en.json"))
    translated = flat_strings(_load(f"translations/{language}.json"))
    assert set(translated) == set(english)
    for key, text in english.items():
        # Home Assistant drops a translation whose placeholders differ from English and serves
        # English instead: the sets must be equal, not merely contained.
        assert set(PLACEHOLDER.findall(translated[key])) == set(PLACEHOLDER.findall(text)), key
        assert translated[key].strip(), key


@pytest.mark.parametrize(
    ("platform", "descriptions"),
    [
        ("sensor", (*SENSORS, LAST_NOTICE, LAST_INQUIRY)),
        ("calendar", (DATA_CALENDAR,)),
        ("binary_sensor", BINARY_SENSORS),
        ("button", (REFRESH,)),
    ],
)
def test_every_entity_has_a_name_and_an_icon(
    platform: str, descriptions: tuple[EntityDescription, ...]
) -> None:
    names = _load("translations/en.json")["entity"][platform]
    icons = _load("icons.json")["entity"][platform]
    keys = {description.translation_key for description in descriptions}
    assert keys == set(names)
    assert keys == set(icons)
