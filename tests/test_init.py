"""Setting up, failing, recovering, re-authenticating and unloading an account."""

from __future__ import annotations

import logging
from datetime import timedelta
from unittest.mock import MagicMock

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.japan_sim_data.carriers.errors import (
    CarrierAppVersionError,
    CarrierAuthError,
    CarrierConnectionError,
    CarrierError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierRateLimitError,
    CarrierSessionExpiredError,
)
from custom_components.japan_sim_data.const import DOMAIN

from .conftest import FROZEN_NOW

REMAINING = "sensor.iijmio_kikahuran_5678_remaining_data"


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: float) -> None:
    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def _state(hass: HomeAssistant) -> str:
    state = hass.states.get(REMAINING)
    assert state is not None
    return state.state


async def test_setup_and_unload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    assert init_integration.state is ConfigEntryState.LOADED
    assert float(_state(hass)) > 0

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state.value == ConfigEntryState.NOT_LOADED.value
    assert _state(hass) == STATE_UNAVAILABLE


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (CarrierConnectionError("offline"), ConfigEntryState.SETUP_RETRY),
        (CarrierParseError("odd"), ConfigEntryState.SETUP_RETRY),
        (CarrierAuthError("rejected"), ConfigEntryState.SETUP_ERROR),
    ],
)
async def test_first_refresh_failure(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
    error: CarrierError,
    state: ConfigEntryState,
) -> None:
    mock_iijmio.async_fetch.side_effect = error
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is state


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (CarrierConnectionError("The carrier did not answer in time"), "Could not reach IIJmio"),
        (CarrierMaintenanceError("HTTP 503"), "under maintenance"),
        (CarrierParseError("no serviceInfoList"), "unexpected way"),
        (CarrierAppVersionError("app too old"), "newer app version"),
        (CarrierSessionExpiredError("ERROR_CODE_032"), "Could not update"),
    ],
)
async def test_failure_makes_entities_unavailable_then_recovers(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
    error: CarrierError,
    message: str,
) -> None:
    good = mock_iijmio.async_fetch.return_value
    before = _state(hass)
    mock_iijmio.async_fetch.side_effect = error
    caplog.clear()

    await _poll(hass, freezer, 31)
    assert _state(hass) == STATE_UNAVAILABLE
    # Twice in a row: one log line for the outage, not one per poll.
    await _poll(hass, freezer, 61)
    assert _state(hass) == STATE_UNAVAILABLE
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert message in errors[0].getMessage()
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    mock_iijmio.async_fetch.side_effect = None
    mock_iijmio.async_fetch.return_value = good
    await _poll(hass, freezer, 121)
    assert _state(hass) == before
    recovered = [r for r in caplog.records if "recovered" in r.getMessage()]
    assert len(recovered) == 1


async def test_consecutive_failures_back_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    mock_iijmio.async_fetch.side_effect = CarrierConnectionError("offline")
    calls = mock_iijmio.async_fetch.await_count

    # A first failure keeps the usual half hour: most outages are short.
    await _poll(hass, freezer, 31)
    assert mock_iijmio.async_fetch.await_count == calls + 1
    assert coordinator.update_interval == timedelta(minutes=30)
    await _poll(hass, freezer, 31)
    assert mock_iijmio.async_fetch.await_count == calls + 2
    assert coordinator.update_interval == timedelta(hours=1)
    # Half an hour later nothing is tried: the next try waits an hour.
    await _poll(hass, freezer, 31)
    assert mock_iijmio.async_fetch.await_count == calls + 2
    await _poll(hass, freezer, 31)
    assert mock_iijmio.async_fetch.await_count == calls + 3
    assert coordinator.update_interval == timedelta(hours=2)
    # It never waits more than four hours.
    for _ in range(5):
        await _poll(hass, freezer, 241)
    assert coordinator.update_interval == timedelta(hours=4)

    mock_iijmio.async_fetch.side_effect = None
    await _poll(hass, freezer, 241)
    assert coordinator.update_interval == timedelta(minutes=30)


async def test_rate_limit_honours_retry_after(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    mock_iijmio.async_fetch.side_effect = CarrierRateLimitError("429", retry_after=3 * 3600)
    await _poll(hass, freezer, 31)
    assert _state(hass) == STATE_UNAVAILABLE
    calls = mock_iijmio.async_fetch.await_count

    # The back-off alone would try again after an hour; the carrier asked for three.
    await _poll(hass, freezer, 61)
    await _poll(hass, freezer, 61)
    assert mock_iijmio.async_fetch.await_count == calls
    mock_iijmio.async_fetch.side_effect = None
    await _poll(hass, freezer, 61)
    assert mock_iijmio.async_fetch.await_count == calls + 1
    assert _state(hass) != STATE_UNAVAILABLE


async def test_rejected_password_starts_reauth_and_stops_polling(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    mock_iijmio.async_fetch.side_effect = CarrierAuthError("IIJmio rejected the password")
    await _poll(hass, freezer, 31)
    assert _state(hass) == STATE_UNAVAILABLE

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    assert flows[0]["context"]["entry_id"] == init_integration.entry_id

    # A rejected password is never tried again on its own.
    calls = mock_iijmio.async_fetch.await_count
    await _poll(hass, freezer, 24 * 60)
    assert mock_iijmio.async_fetch.await_count == calls


async def test_refreshed_secrets_are_saved(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    mock_iijmio.refreshed_secrets.return_value = {"auth_token": "renewed"}
    await _poll(hass, freezer, 31)
    assert init_integration.data["auth_token"] == "renewed"
    # Saved once: an unchanged token does not rewrite the entry.
    modified = init_integration.modified_at
    await _poll(hass, freezer, 31)
    assert init_integration.modified_at == modified


def test_frozen_clock_is_in_tokyo() -> None:
    assert FROZEN_NOW.endswith("+09:00")
