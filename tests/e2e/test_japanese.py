"""A Japanese home: the demo SIM's dashboard and device page, in a real browser, in Japanese.

A Home Assistant of its own (language ja, Tokyo) with the demo SIM of scripts/develop. The
screenshots are the README's: with JSD_E2E_DOCS set to a directory, they are copied there as
screenshot.png (the device page) and dashboard.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_socket

from tests.e2e.browser import CHROMEDRIVER, CHROMIUM, Browser, chromium, keep_for_docs
from tests.e2e.demo import DEMO_NAME, LANGUAGE, add_demo_sim, prepare_frontend
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


@pytest.fixture(scope="module")
def japanese_home(e2e_dir: Path) -> Iterator[RestClient]:
    """Home Assistant in Japanese with the demo SIM and its dashboard; the owner's client."""
    pytest_socket.enable_socket()
    config_dir = e2e_dir / "config-ja"
    port = free_port()
    prepare_config_dir(config_dir, port)
    (config_dir / "configuration.yaml").write_text(
        MINIMAL_CONFIGURATION.replace("language: en", f"language: {LANGUAGE}"), encoding="utf-8"
    )
    process = start_home_assistant(config_dir, port)
    try:
        process.wait_until_up()
        tokens = onboard(process.base_url, **OWNER, language=LANGUAGE)
        client = RestClient(process.base_url, tokens.access_token)
        add_demo_sim(client)
        prepare_frontend(client)
        yield client
    finally:
        process.stop()


@pytest.fixture(scope="module")
def browser(japanese_home: RestClient, e2e_dir: Path) -> Iterator[Browser]:
    """Chromium in Japanese, logged in as the owner."""
    pytest_socket.enable_socket()
    shots = e2e_dir / "screenshots-ja"
    shots.mkdir(exist_ok=True)
    with chromium(shots, language=LANGUAGE) as started:
        try:
            started.log_in(
                japanese_home.base_url, OWNER["username"], OWNER["password"], settings="設定"
            )
            yield started
        finally:
            pytest_socket.enable_socket()


def _remaining_entity(client: RestClient) -> str:
    def probe() -> str | None:
        states = client.states()
        for entity_id in client.integration_entities():
            name = states.get(entity_id, {}).get("attributes", {}).get("friendly_name", "")
            if entity_id.startswith("sensor.") and name == f"{DEMO_NAME} 残りデータ量":
                return entity_id
        return None

    return wait_for(probe, timeout=30, what="the demo SIM's remaining data")


def test_dashboard_opens_on_the_demo_sim(japanese_home: RestClient, browser: Browser) -> None:
    """The first page after logging in is the SIM's gauge with its days left, in Japanese."""
    remaining = japanese_home.states()[_remaining_entity(japanese_home)]
    assert remaining["state"] == "12.5"
    browser.driver.get(f"{japanese_home.base_url}/")
    text = browser.wait_for_text("12.50 GiB", "残りデータ量", "残り日数", "データの有効期限")
    assert "/sim-data/" in browser.driver.current_url
    assert "Remaining data" not in text
    keep_for_docs(browser.screenshot("dashboard-ja"), "dashboard.png")


def test_device_page_in_japanese(japanese_home: RestClient, browser: Browser) -> None:
    """The tracked SIM's device: the name it was given, its carrier and "Plan tracker"."""
    remaining = _remaining_entity(japanese_home)
    device_id = japanese_home.template(f"{{{{ device_id('{remaining}') }}}}")
    browser.driver.get(f"{japanese_home.base_url}/config/devices/device/{device_id}")
    text = browser.wait_for_text(DEMO_NAME, "Plan tracker", "docomo", "残りデータ量 12.50 GiB")
    assert f"{DEMO_NAME} docomo" not in text  # the carrier is the maker, not part of the name
    keep_for_docs(browser.screenshot("sim-device-page-ja"), "screenshot.png")
