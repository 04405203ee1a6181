"""Every language ships every string, and every entity has a name and an icon."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from custom_components.japan_sim_data.sensor import SENSORS

COMPONENT = Path(__file__).parents[1] / "custom_components" / "japan_sim_data"
LANGUAGES = ("ja", "zh-Hans", "zh-Hant")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _strings(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat |= _strings(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((COMPONENT / name).read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_has_every_english_string(language: str) -> None:
    english = _strings(_load("translations/en.json"))
    translated = _strings(_load(f"translations/{language}.json"))
    assert set(translated) == set(english)
    for key, text in english.items():
        assert set(PLACEHOLDER.findall(translated[key])) == set(PLACEHOLDER.findall(text)), key
        assert translated[key].strip(), key


def test_every_sensor_has_a_name_and_an_icon() -> None:
    names = _load("translations/en.json")["entity"]["sensor"]
    icons = _load("icons.json")["entity"]["sensor"]
    keys = {description.translation_key for description in SENSORS}
    assert keys == set(names)
    assert keys == set(icons)
