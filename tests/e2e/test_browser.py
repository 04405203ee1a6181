"""A real browser: headless Chromium logs in, starts the config flow and opens a SIM's page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_socket

from tests.e2e.browser import CHROMEDRIVER, CHROMIUM, Browser, chromium
from tests.e2e.conftest import OWNER, RunningHomeAssistant

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason="Debian's chromium and chromium-driver are not installed (scripts/setup does it)",
    ),
]

SCREENSHOTS_ENV = "JSD_E2E_SCREENSHOTS"
"""Set to a directory to keep the screenshots there (scripts/test leaves them in a temp dir)."""


@pytest.fixture(scope="module")
def screenshots(e2e_dir: Path) -> Path:
    """Where screenshots go."""
    path = Path(os.environ.get(SCREENSHOTS_ENV) or e2e_dir / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser(home_assistant: RunningHomeAssistant, screenshots: Path) -> Iterator[Browser]:
    """Chromium, logged in to Home Assistant through its login page."""
    # The test plugin blocks sockets around each test; the driver talks to chromedriver.
    pytest_socket.enable_socket()
    with chromium(screenshots) as started:
        try:
            started.log_in(home_assistant.base_url, OWNER["username"], OWNER["password"])
            yield started
        finally:
            pytest_socket.enable_socket()  # so that quitting can reach chromedriver


def test_add_integration_shows_the_carriers(
    home_assistant: RunningHomeAssistant, browser: Browser
) -> None:
    """Settings → Devices & services → Add integration → Japan SIM Data → the carrier menu."""
    browser.driver.get(f"{home_assistant.base_url}/config/integrations/dashboard")
    browser.click_text("ha-button", "Add integration")
    browser.wait_for_text("Select brand")
    browser.type_text("Japan SIM")
    browser.click_text("*", "Japan SIM Data", within="dialog-add-integration")
    browser.wait_for_text("Choose your carrier", "IIJmio", "povo 2.0", "SoftBank", "LINEMO")
    assert browser.screenshot("config-flow-carriers").stat().st_size > 0


def test_sim_device_page_shows_remaining_data(
    home_assistant: RunningHomeAssistant, iijmio_entry: str, browser: Browser
) -> None:
    """The device page of a SIM shows its remaining data as the REST API reports it."""
    remaining = home_assistant.sim_entity("(5678)", "Remaining data")
    state = home_assistant.wait_for_state(
        remaining, lambda state: state["state"] not in {"unknown", "unavailable"}, "to be known"
    )
    shown = f"{float(state['state']):.2f} GiB"  # the sensor's display precision is 2
    device_id = home_assistant.client.template(f"{{{{ device_id('{remaining}') }}}}")
    browser.driver.get(f"{home_assistant.base_url}/config/devices/device/{device_id}")
    text = browser.wait_for_text("IIJmio ギガプラン (5678)", "Remaining data", shown, "Days left")
    assert "Remaining data 24.56 GiB" in " ".join(text.split())
    # The README's pictures come from the Japanese run (test_languages.py, JSD_E2E_DOCS).
    browser.screenshot("sim-device-page")
