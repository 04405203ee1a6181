"""Binary sensors say unknown, never off, when the figure behind them is missing."""

from __future__ import annotations

from datetime import datetime
from unittest.mock import MagicMock

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.japan_sim_data.binary_sensor import (
    BINARY_SENSORS,
    JapanSimDataBinarySensor,
    _near_next_step,
)
from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.models import AccountUsage, SimUsage
from custom_components.japan_sim_data.coordinator import SimView


def test_near_next_step_is_unknown_without_steps() -> None:
    # A plan with an allowance has no step to be near: unknown, not "off".
    sim = SimUsage(sim_id="hdc1", used=5 * 1024**3)
    view = SimView(sim, datetime(2026, 12, 6, tzinfo=TOKYO), MagicMock(), "hdc1")
    assert _near_next_step(view, {}) is None


async def test_a_sim_that_left_the_account_reads_unknown(
    hass: HomeAssistant, mock_iijmio: MagicMock, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    sim_id = next(iter(coordinator.data.sims))
    sensors = [JapanSimDataBinarySensor(coordinator, sim_id, d) for d in BINARY_SENSORS]
    assert all(sensor.is_on is not None for sensor in sensors[:1])

    mock_iijmio.async_fetch.return_value = AccountUsage(
        sims={k: v for k, v in coordinator.data.sims.items() if k != sim_id}
    )
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    for sensor in sensors:
        assert sensor.available is False
        assert sensor.is_on is None
        assert sensor.extra_state_attributes is None
