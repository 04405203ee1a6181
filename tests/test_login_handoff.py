"""Adding or re-authenticating an account logs in once: the flow's login is handed to setup.

Issue #22.11: a SoftBank or Y!mobile account was logged in twice within a second (the flow,
then the entry's setup). Counted on the carriers' replays (the SoftBank ID portal's, and
IIJmio's, whose logins go the same way), reached through Home Assistant's own client sessions
as in the fault matrix.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.japan_sim_data.adapters import CARRIER_PROFILES
from custom_components.japan_sim_data.const import DOMAIN
from custom_components.japan_sim_data.credentials import HANDOFF_SECONDS
from tests.test_fault_matrix import (
    CarrierHarness,
    IijmioHarness,
    ReplayResolver,
    ReplayServer,
    SoftBankHarness,
    YmobileHarness,
)

from .conftest import FROZEN_NOW


@dataclass
class Portal:
    harness: CarrierHarness
    server: ReplayServer


@pytest.fixture(
    params=[SoftBankHarness, YmobileHarness, IijmioHarness], ids=["softbank", "ymobile", "iijmio"]
)
async def portal(
    request: pytest.FixtureRequest,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    socket_enabled: None,
) -> AsyncIterator[Portal]:
    harness: CarrierHarness = request.param()
    server = ReplayServer(harness.app)
    await server.start()
    freezer.move_to(FROZEN_NOW)
    with (
        patch(
            "homeassistant.helpers.aiohttp_client._async_make_resolver",
            return_value=ReplayResolver(),
        ),
        harness.pointed_at(server.base_url + "/"),
    ):
        yield Portal(harness, server)
        for entry in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    await server.stop()


async def _add_account(hass: HomeAssistant, harness: CarrierHarness) -> dict[str, object]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": harness.carrier.value}
    )
    data = harness.entry_data()
    login_field = CARRIER_PROFILES[harness.carrier].login_field
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {login_field: data[login_field], CONF_PASSWORD: data[CONF_PASSWORD]},
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return dict(result)


async def test_adding_an_account_logs_in_once(hass: HomeAssistant, portal: Portal) -> None:
    harness = portal.harness
    result = await _add_account(hass, harness)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.data.sims
    # Before: two logins within a second, the flow's and the setup's.
    assert harness.logins() == 1


async def test_reauthenticating_logs_in_once(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, portal: Portal
) -> None:
    harness = portal.harness
    await _add_account(hass, harness)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    logins = harness.logins()

    entry.async_start_reauth(hass)
    await hass.async_block_till_done()
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_PASSWORD: harness.entry_data()[CONF_PASSWORD]}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.state is ConfigEntryState.LOADED
    assert harness.logins() == logins + 1


async def test_a_login_no_entry_takes_is_let_go(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, portal: Portal
) -> None:
    """A wrong-account abort keeps nothing; an offer nobody takes expires."""
    harness = portal.harness
    await _add_account(hass, harness)
    # The same account again: the flow aborts, and the session it logged in with goes.
    result = await _add_account(hass, harness)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert not hass.data.get(f"{DOMAIN}_verified_logins")
    freezer.tick(timedelta(seconds=HANDOFF_SECONDS + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
