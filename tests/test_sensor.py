"""The sensors of every SIM, by snapshot and by the rules behind their values."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from unittest.mock import MagicMock

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.japan_sim_data.carriers.errors import CarrierConnectionError
from custom_components.japan_sim_data.carriers.models import AccountUsage, SimUsage

from .conftest import FROZEN_NOW


@pytest.fixture
def platforms() -> list[Platform]:
    return [Platform.SENSOR]


@pytest.mark.usefixtures("init_integration")
async def test_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    mock_config_entry: MockConfigEntry,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


@pytest.mark.usefixtures("init_integration")
async def test_one_device_per_sim_under_the_account(
    hass: HomeAssistant, device_registry: dr.DeviceRegistry, mock_config_entry: MockConfigEntry
) -> None:
    devices = dr.async_entries_for_config_entry(device_registry, mock_config_entry.entry_id)
    account = device_registry.async_get_device_by_identifier(
        ("japan_sim_data", mock_config_entry.entry_id), mock_config_entry.entry_id
    )
    assert account is not None
    sims = sorted(
        (device for device in devices if device.id != account.id), key=lambda d: d.name or ""
    )
    assert [device.name for device in sims] == [
        "IIJmio ギガプラン (0002)",
        "IIJmio ギガプラン (4321)",
        "IIJmio ギガプラン (5678)",
    ]
    assert all(device.via_device_id == account.id for device in sims)
    # Never the whole phone number, anywhere on the device.
    for device in sims:
        assert device.name is not None
        assert "1234" not in device.name


@pytest.mark.usefixtures("init_integration")
async def test_headline_values(hass: HomeAssistant) -> None:
    remaining = hass.states.get("sensor.iijmio_kikahuran_5678_remaining_data")
    assert remaining is not None
    assert float(remaining.state) == pytest.approx(24.56)
    assert remaining.attributes["unit_of_measurement"] == "GiB"

    days = hass.states.get("sensor.iijmio_kikahuran_5678_days_left")
    assert days is not None
    # 25 to 30 November (Tokyo): six days on which the carried-over data can be used.
    assert days.state == "6"

    expires = hass.states.get("sensor.iijmio_kikahuran_5678_data_expires")
    assert expires is not None
    assert expires.state == "2025-11-30"


async def test_days_left_counts_down_at_tokyo_midnight_without_new_figures(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    entity_id = "sensor.iijmio_kikahuran_5678_days_left"
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "6"

    # Midnight in Tokyo: no poll is due, yet the countdown moves.
    freezer.move_to("2025-11-26T00:00:02+09:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "5"


async def test_figures_not_sent_are_unknown_never_zero(
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
    for key in ("remaining_data", "monthly_data_allowance", "carried_over_data", "days_left"):
        state = hass.states.get(f"sensor.iijmio_kikahuran_5678_{key}")
        assert state is not None
        assert state.state == STATE_UNKNOWN, key


async def test_new_sim_appears_without_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    usage: AccountUsage = mock_iijmio.async_fetch.return_value
    mock_iijmio.async_fetch.return_value = AccountUsage(
        sims={
            **usage.sims,
            "hdc44444444": SimUsage(
                sim_id="hdc44444444", plan_name="ギガプラン", number_suffix="9999"
            ),
        }
    )
    freezer.tick(timedelta(minutes=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.iijmio_kikahuran_9999_remaining_data") is not None
    assert len(hass.states.async_entity_ids(Platform.SENSOR)) == 4 * 12


async def test_sim_that_leaves_the_account_is_removed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    entity_id = "sensor.iijmio_kikahuran_5678_remaining_data"
    registered = entity_registry.async_get(entity_id)
    assert registered is not None
    assert registered.device_id is not None
    device_id = registered.device_id
    coordinator = init_integration.runtime_data.coordinator
    usage: AccountUsage = mock_iijmio.async_fetch.return_value

    # A failed update says nothing about which SIMs exist: nothing is removed.
    mock_iijmio.async_fetch.side_effect = CarrierConnectionError("offline")
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert device_registry.async_get(device_id) is not None

    mock_iijmio.async_fetch.side_effect = None
    mock_iijmio.async_fetch.return_value = AccountUsage(
        sims={k: v for k, v in usage.sims.items() if k != "hdc11111111"}
    )
    # One answer without the SIM is not enough: it may be a glitch on the carrier's side.
    for hours in (0, 12, 23):
        freezer.move_to(datetime.fromisoformat(FROZEN_NOW) + timedelta(hours=hours))
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        assert device_registry.async_get(device_id) is not None
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE  # type: ignore[union-attr]

    # A day of successful answers without it: the line is gone.
    freezer.move_to(datetime.fromisoformat(FROZEN_NOW) + timedelta(hours=24, minutes=1))
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert device_registry.async_get(device_id) is None
    assert entity_registry.async_get(entity_id) is None
    assert hass.states.get(entity_id) is None
    # The other SIMs and the account stay.
    assert hass.states.get("sensor.iijmio_kikahuran_4321_remaining_data") is not None

    # The SIM comes back: its entities return without a reload.
    mock_iijmio.async_fetch.return_value = usage
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state != STATE_UNAVAILABLE


async def test_expiry_falls_back_to_the_reset_day(
    hass: HomeAssistant, mock_iijmio: MagicMock, init_integration: MockConfigEntry
) -> None:
    mock_iijmio.async_fetch.return_value = AccountUsage(
        sims={
            sim_id: SimUsage(
                sim_id=sim_id, number_suffix=sim.number_suffix, resets_on=date(2025, 12, 1)
            )
            for sim_id, sim in mock_iijmio.async_fetch.return_value.sims.items()
        }
    )
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    expires = hass.states.get("sensor.iijmio_kikahuran_5678_data_expires")
    assert expires is not None
    assert expires.state == "2025-11-30"
    days = hass.states.get("sensor.iijmio_kikahuran_5678_days_left")
    assert days is not None
    assert days.state == "6"


@pytest.mark.parametrize("platforms", [[Platform.SENSOR, Platform.BINARY_SENSOR]])
async def test_a_month_end_never_shows_a_past_expiry_next_to_counted_data(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """IIJmio still lists November's 4.56 GB on 1 December: it counts nowhere, dates move on."""
    sim = "sensor.iijmio_kikahuran_5678"

    def shown() -> dict[str, str]:
        keys = ("remaining_data", "days_left", "data_expires", "daily_budget", "data_resets_on")
        states = {key: hass.states.get(f"{sim}_{key}") for key in keys}
        soon = hass.states.get("binary_sensor.iijmio_kikahuran_5678_data_expiring_soon")
        assert soon is not None
        return {key: state.state for key, state in states.items() if state is not None} | {
            "expiring_soon": soon.state
        }

    freezer.move_to("2025-11-30T23:00:00+09:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert shown() == {
        "remaining_data": "24.56",
        "days_left": "1",
        "data_expires": "2025-11-30",
        # 24.56 GiB (25,149 MiB) over the one day left, to two figures.
        "daily_budget": str(float(25000)),
        "data_resets_on": "2025-12-01",
        "expiring_soon": "on",
    }
    # Past midnight, with the same answer from the carrier (no poll is even due).
    freezer.move_to("2025-12-01T00:00:02+09:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert shown() == {
        "remaining_data": "20.0",
        "days_left": "31",
        "data_expires": "2025-12-31",
        "daily_budget": str(float(20 * 1024 // 31)),
        "data_resets_on": "2025-12-01",
        "expiring_soon": "off",
    }
    # A reset day the carrier has not moved on is not shown once it has passed.
    freezer.move_to("2025-12-02T00:00:02+09:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert shown()["data_resets_on"] == STATE_UNKNOWN
    assert shown()["days_left"] == "30"
