"""The demo SIM's dashboard and device page in a real browser, in each of the four languages.

A Home Assistant of its own per language (Tokyo) with the demo SIM of scripts/develop: the
dashboard and the SIM's device page show the integration's own words in that language, and
Home Assistant's log holds no ERROR from loading translations (a translation whose
placeholders differ from English is dropped with one, and English is served instead). The
Japanese screenshots are the README's: with JSD_E2E_DOCS set to a directory, they are copied
there as screenshot.png (the device page) and dashboard.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_socket

from tests.e2e.browser import CHROMEDRIVER, CHROMIUM, Browser, chromium, keep_for_docs
from tests.e2e.demo import DEMO_NAME, add_demo_sim, entity_name, prepare_frontend
from tests.e2e.harness import (
    MINIMAL_CONFIGURATION,
    RestClient,
    free_port,
    onboard,
    prepare_config_dir,
    start_home_assistant,
    wait_for,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason="Debian's chromium and chromium-driver are not installed (scripts/setup does it)",
    ),
]

OWNER = {"name": "山田", "username": "yamada", "password": "yamada-e2e-password"}
# Home Assistant's language, the browser's own, and "Settings" in the sidebar.
LANGUAGES = {
    "ja": ("ja", "設定"),
    "zh-Hans": ("zh-CN", "设置"),
    "zh-Hant": ("zh-TW", "設定"),
    "en": ("en-US", "Settings"),
}


@dataclass(frozen=True)
class Home:
    """A running Home Assistant in one language: the owner's client and its log."""

    language: str
    client: RestClient
    log_path: Path


@pytest.fixture(scope="module", params=list(LANGUAGES))
def home(request: pytest.FixtureRequest, e2e_dir: Path) -> Iterator[Home]:
    """Home Assistant in one language with the demo SIM and its dashboard."""
    language: str = request.param
    pytest_socket.enable_socket()
    config_dir = e2e_dir / f"config-{language}"
    port = free_port()
    prepare_config_dir(config_dir, port)
    (config_dir / "configuration.yaml").write_text(
        MINIMAL_CONFIGURATION.replace("language: en", f"language: {language}"), encoding="utf-8"
    )
    process = start_home_assistant(config_dir, port)
    try:
        process.wait_until_up()
        tokens = onboard(process.base_url, **OWNER, language=language)
        client = RestClient(process.base_url, tokens.access_token)
        add_demo_sim(client)
        prepare_frontend(client, language)
        yield Home(language, client, process.log_path)
    finally:
        process.stop()


@pytest.fixture(scope="module")
def browser(home: Home, e2e_dir: Path) -> Iterator[Browser]:
    """Chromium in the home's language, logged in as the owner."""
    pytest_socket.enable_socket()
    shots = e2e_dir / f"screenshots-{home.language}"
    shots.mkdir(exist_ok=True)
    browser_language, settings = LANGUAGES[home.language]
    with chromium(shots, language=browser_language) as started:
        try:
            started.log_in(
                home.client.base_url, OWNER["username"], OWNER["password"], settings=settings
            )
            yield started
        finally:
            pytest_socket.enable_socket()


def _name(key: str, language: str) -> str:
    return entity_name("sensor", key, language)


def _remaining_entity(home: Home) -> str:
    wanted = f"{DEMO_NAME} {_name('remaining_data', home.language)}"

    def probe() -> str | None:
        states = home.client.states()
        for entity_id in home.client.integration_entities():
            name = states.get(entity_id, {}).get("attributes", {}).get("friendly_name", "")
            if entity_id.startswith("sensor.") and name == wanted:
                return entity_id
        return None

    return wait_for(probe, timeout=30, what="the demo SIM's remaining data")


def test_dashboard_opens_on_the_demo_sim(home: Home, browser: Browser) -> None:
    """The first page after logging in is the SIM's gauge with its days left, in the language."""
    remaining = home.client.states()[_remaining_entity(home)]
    assert remaining["state"] == "12.5"
    browser.driver.get(f"{home.client.base_url}/")
    names = [_name(key, home.language) for key in ("remaining_data", "days_left", "data_expires")]
    text = browser.wait_for_text("12.50 GiB", *names)
    assert "/sim-data/" in browser.driver.current_url
    if home.language != "en":
        assert "Remaining data" not in text
    shot = browser.screenshot(f"dashboard-{home.language}")
    if home.language == "ja":
        keep_for_docs(shot, "dashboard.png")


def test_device_page(home: Home, browser: Browser) -> None:
    """The tracked SIM's device: the name it was given and its carrier, no English model."""
    remaining = _remaining_entity(home)
    device_id = home.client.template(f"{{{{ device_id('{remaining}') }}}}")
    browser.driver.get(f"{home.client.base_url}/config/devices/device/{device_id}")
    text = browser.wait_for_text(
        DEMO_NAME, "docomo", f"{_name('remaining_data', home.language)} 12.50 GiB"
    )
    assert "Plan tracker" not in text
    assert f"{DEMO_NAME} docomo" not in text  # the carrier is the maker, not part of the name
    shot = browser.screenshot(f"sim-device-page-{home.language}")
    if home.language == "ja":
        keep_for_docs(shot, "screenshot.png")


def test_no_translation_error_in_the_log(home: Home, browser: Browser) -> None:
    """After start-up, the flow, the dashboard and the device page: no dropped translation."""
    log = home.log_path.read_text(encoding="utf-8", errors="replace")
    errors = [
        line
        for line in log.splitlines()
        if " ERROR " in line and ("translation" in line.lower() or "japan_sim_data" in line)
    ]
    assert not errors, f"{home.language}: {errors[:5]}"
