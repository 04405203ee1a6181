"""Translations as Home Assistant loads and serves them: nothing dropped, nothing in English.

Home Assistant checks every translated string against English when it loads a language and
silently drops (with an ERROR in the log) any whose placeholders differ; the user then reads
English. Loading through Home Assistant's own helper is the only way to see that.
"""

from __future__ import annotations

import logging
import re

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from custom_components.japan_sim_data.const import DOMAIN

LANGUAGES = ("en", "ja", "zh-Hans", "zh-Hant")
CATEGORIES = (
    "config",
    "options",
    "entity",
    "exceptions",
    "issues",
    "services",
    "selector",
    "device",
)
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


async def _served(hass: HomeAssistant, language: str, category: str) -> dict[str, str]:
    return await async_get_translations(hass, language, category, {DOMAIN})


@pytest.mark.parametrize("language", LANGUAGES[1:])
async def test_every_string_survives_loading(
    hass: HomeAssistant, language: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="homeassistant.helpers.translation")
    for category in CATEGORIES:
        english = await _served(hass, "en", category)
        translated = await _served(hass, language, category)
        dropped = sorted(set(english) - set(translated))
        assert dropped == [], f"{language} {category}: Home Assistant dropped {dropped}"
    assert "Validation of translation placeholders" not in caplog.text
    assert "Error while parsing localized" not in caplog.text


@pytest.mark.parametrize("language", LANGUAGES[1:])
async def test_exception_messages_are_served_in_the_language(
    hass: HomeAssistant, language: str
) -> None:
    english = await _served(hass, "en", "exceptions")
    translated = await _served(hass, language, "exceptions")
    assert english
    for key, text in translated.items():
        assert CJK.search(text), f"{key} is served without a word of {language}: {text!r}"
        assert text != english[key], key
        # The placeholders Home Assistant fills are all there, so the message formats.
        placeholders = set(re.findall(r"\{(\w+)\}", english[key]))
        text.format(**dict.fromkeys(placeholders, "x"))
