"""Low-data and expiry alerts, the forecast across restarts, Refresh, and removing SIM devices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import MagicMock

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.japan_sim_data import async_remove_config_entry_device
from custom_components.japan_sim_data.carriers.models import AccountUsage, SimUsage
from custom_components.japan_sim_data.carriers.units import GIB
from custom_components.japan_sim_data.const import DOMAIN

from .conftest import sim_identifier

SIM = "iijmio_kikahuran_5678"


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def _set_alert_options(
    hass: HomeAssistant, entry: MockConfigEntry, options: dict[str, Any]
) -> None:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["menu_options"] == ["alerts"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "alerts"}
    )
    assert result["step_id"] == "alerts"
    result = await hass.config_entries.options.async_configure(result["flow_id"], options)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


@pytest.mark.parametrize("platforms", [[Platform.BINARY_SENSOR]])
async def test_binary_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)
    # IIJmio's app API reports throttling (regulationStatus); this fixture's member-site
    # answer does not, so the sensor is unknown rather than a made-up "off".
    throttled = hass.states.get(f"binary_sensor.{SIM}_throttled")
    assert throttled is not None
    assert throttled.state == STATE_UNKNOWN


@pytest.mark.parametrize("platforms", [[Platform.BUTTON]])
async def test_refresh_button_entity(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_low_data_follows_the_threshold_option(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    # 24.56 GiB left against the default 1 GB.
    assert _state(hass, f"binary_sensor.{SIM}_low_data") == STATE_OFF
    await _set_alert_options(
        hass,
        init_integration,
        {"low_data_threshold": 25, "low_data_unit": "gb", "expiry_lead_days": 3},
    )
    assert _state(hass, f"binary_sensor.{SIM}_low_data") == STATE_ON
    # As a share: 24.56 GiB is 123% of the 20 GiB allowance.
    await _set_alert_options(
        hass,
        init_integration,
        {"low_data_threshold": 50, "low_data_unit": "percent", "expiry_lead_days": 3},
    )
    assert _state(hass, f"binary_sensor.{SIM}_low_data") == STATE_OFF
    assert init_integration.options["low_data_unit"] == "percent"


async def test_expiring_soon_turns_on_with_the_lead_time(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    entity_id = f"binary_sensor.{SIM}_data_expiring_soon"
    # The carried-over data expires on the 30th: six days, more than the default three.
    assert _state(hass, entity_id) == STATE_OFF
    # Midnight rewrites the entities even though the figures did not change.
    freezer.move_to("2025-11-28T00:00:02+09:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _state(hass, entity_id) == STATE_ON


async def test_alerts_are_unknown_without_figures(
    hass: HomeAssistant, mock_iijmio: MagicMock, init_integration: MockConfigEntry
) -> None:
    mock_iijmio.async_fetch.return_value = AccountUsage(
        sims={
            sim_id: SimUsage(sim_id=sim_id, plan_name="ギガプラン", number_suffix=sim.number_suffix)
            for sim_id, sim in mock_iijmio.async_fetch.return_value.sims.items()
        }
    )
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert _state(hass, f"binary_sensor.{SIM}_low_data") == STATE_UNKNOWN
    assert _state(hass, f"binary_sensor.{SIM}_data_expiring_soon") == STATE_UNKNOWN
    assert _state(hass, f"sensor.{SIM}_daily_budget") == STATE_UNKNOWN


async def test_forecast_builds_up_and_survives_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    entity_id = f"sensor.{SIM}_runs_out_on"
    assert _state(hass, entity_id) == STATE_UNKNOWN
    usage: AccountUsage = mock_iijmio.async_fetch.return_value
    sim = usage.sims["hdc11111111"]
    assert sim.remaining is not None

    def with_remaining(remaining: int) -> AccountUsage:
        bucket = sim.buckets[1]
        less = SimUsage(
            sim_id=sim.sim_id,
            plan_name=sim.plan_name,
            number_suffix=sim.number_suffix,
            buckets=(bucket.__class__(bucket.kind, remaining, expires=bucket.expires),),
        )
        return AccountUsage(sims={**usage.sims, sim.sim_id: less})

    # A day later the carried-over data and 1.44 GiB more are gone.
    freezer.tick(timedelta(days=1))
    mock_iijmio.async_fetch.return_value = with_remaining(19 * GIB)
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    # 5.56 GiB a day with 19 GiB left: the data runs out three days later.
    forecast = _state(hass, entity_id)
    assert forecast == "2025-11-29"

    # The readings are stored: after a restart the forecast is there at once.
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert _state(hass, entity_id) == forecast


async def test_refresh_button_and_action(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    calls = mock_iijmio.async_fetch.await_count
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.iijmio_mi_refresh"}, blocking=True
    )
    await hass.async_block_till_done()
    assert mock_iijmio.async_fetch.await_count == calls + 1

    # Past the coordinator's debounce, which spares the carrier double presses.
    freezer.tick(timedelta(seconds=11))
    async_fire_time_changed(hass)
    await hass.services.async_call(
        DOMAIN, "refresh", {"config_entry_id": init_integration.entry_id}, blocking=True
    )
    await hass.async_block_till_done()
    assert mock_iijmio.async_fetch.await_count == calls + 2


async def test_refresh_action_refuses_bad_entries(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN, "refresh", {"config_entry_id": "nope"}, blocking=True
        )
    assert raised.value.translation_key == "entry_not_found"

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN, "refresh", {"config_entry_id": init_integration.entry_id}, blocking=True
        )
    assert raised.value.translation_key == "entry_not_loaded"


async def test_actions_exist_without_entries(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    assert hass.services.has_service(DOMAIN, "refresh")


async def test_user_may_delete_only_devices_of_departed_sims(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    entry_id = init_integration.entry_id
    account = device_registry.async_get_device_by_identifier((DOMAIN, entry_id), entry_id)
    current = device_registry.async_get_device_by_identifier(
        sim_identifier("iijmio", "hdc11111111"), entry_id
    )
    assert account is not None
    assert current is not None
    assert not await async_remove_config_entry_device(hass, init_integration, account)
    assert not await async_remove_config_entry_device(hass, init_integration, current)
    departed = device_registry.async_get_or_create(
        config_entry_id=entry_id, identifiers={sim_identifier("iijmio", "hdc99999999")}
    )
    assert await async_remove_config_entry_device(hass, init_integration, departed)
