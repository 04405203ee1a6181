"""Setting up an account imports only its own carrier's adapter (issue #15).

Checked in a fresh interpreter: in the test process every adapter is already imported by other
tests, so sys.modules there proves nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from custom_components.japan_sim_data.adapters import CARRIER_PROFILES
from custom_components.japan_sim_data.carriers.models import Carrier
from custom_components.japan_sim_data.carriers.softbank import (
    LinemoAdapter,
    SoftBankAdapter,
    YmobileAdapter,
)

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "custom_components.japan_sim_data"

# Sets up one IIJmio entry in a test instance of Home Assistant, its adapter talking to the
# local replay over HTTP, and prints what of the integration was imported.
_SET_UP_IIJMIO = """
import asyncio, json, sys
from unittest.mock import patch
from aiohttp import web
from aiohttp.resolver import ThreadedResolver
from homeassistant import loader
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_test_home_assistant

import custom_components.japan_sim_data  # found before the test package's custom_components
from tests.carriers.iijmio_replay import MIO_ID, PASSWORD, IijmioReplay

def resolver(_hass):
    # The test instance has no network component for HA's own resolver; 127.0.0.1 needs none.
    made = ThreadedResolver()
    made.real_close = made.close
    return made

async def main() -> None:
    runner = web.AppRunner(IijmioReplay().app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    iijmio = sys.modules.get("custom_components.japan_sim_data.carriers.iijmio")
    before = sorted(m for m in sys.modules if m.startswith("custom_components.japan_sim_data"))
    async with async_test_home_assistant() as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
        entry = MockConfigEntry(
            domain="japan_sim_data",
            unique_id="lazy",
            data={"carrier": "iijmio", "username": MIO_ID, "password": PASSWORD},
        )
        entry.add_to_hass(hass)
        # The adapter reads its hosts when it is built, so they can be set once it is imported.
        import custom_components.japan_sim_data.carriers.iijmio as module  # noqa
        module.BASE_URL = module.APP_BASE_URL = url
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        states = [s.entity_id for s in hass.states.async_all("sensor")]
        loaded = str(entry.state)
        await hass.config_entries.async_unload(entry.entry_id)
    await runner.cleanup()
    print(json.dumps({
        "before": before,
        "iijmio_before_setup": iijmio is not None,
        "state": loaded,
        "sensors": len(states),
        "modules": sorted(m for m in sys.modules if m.startswith("custom_components.")),
    }))

with patch("homeassistant.helpers.aiohttp_client._async_make_resolver", resolver):
    asyncio.run(main())
"""


def test_setting_up_an_iijmio_account_imports_no_other_carrier() -> None:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _SET_UP_IIJMIO],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    # The entry really was set up through the adapter, with its figures.
    assert result["state"] == "ConfigEntryState.LOADED"
    assert result["sensors"] > 0
    # Importing the package alone imports no adapter; setting up the entry imports IIJmio's.
    assert not result["iijmio_before_setup"]
    modules = set(result["modules"])
    assert f"{PACKAGE}.carriers.iijmio" in modules
    # The plan model is the tracker's: a carrier's account has no plan to count.
    for absent in (
        "carriers.povo",
        "carriers.softbank",
        "tracker",
        "carriers.notices",
        "carriers.plan",
        "tracker_intake",
        "carriers.tracking_ledger",
    ):
        assert f"{PACKAGE}.{absent}" not in modules, absent


def test_profiles_state_what_their_adapters_declare() -> None:
    """The experimental flag is written in the profile, which no longer imports the class."""
    brands = {
        Carrier.SOFTBANK: SoftBankAdapter,
        Carrier.YMOBILE: YmobileAdapter,
        Carrier.LINEMO: LinemoAdapter,
    }
    for carrier, adapter in brands.items():
        assert CARRIER_PROFILES[carrier].experimental is adapter.experimental, carrier
    assert CARRIER_PROFILES[Carrier.LINEMO].experimental
