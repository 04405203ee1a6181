"""Figures a fallback route keeps from an earlier read show their age beside them.

IIJmio's member site cannot tell Throttled or Used this period; while it serves, the adapter
keeps the app API's last figures with the moment they were read (SimUsage.carried_from).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from unittest.mock import MagicMock

import pytest
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.models import AccountUsage
from custom_components.japan_sim_data.carriers.units import GIB

READ_AT = datetime(2025, 11, 25, 9, 30, tzinfo=TOKYO)
SUFFIX = "5678"


@pytest.fixture
def platforms() -> list[Platform]:
    return [Platform.SENSOR, Platform.BINARY_SENSOR]


def _sim_entities(hass: HomeAssistant) -> tuple[str, str]:
    used = f"sensor.iijmio_kikahuran_{SUFFIX}_used_this_period"
    throttled = f"binary_sensor.iijmio_kikahuran_{SUFFIX}_throttled"
    return used, throttled


async def _serve(
    hass: HomeAssistant, mock_iijmio: MagicMock, entry: MockConfigEntry, **changes: object
) -> None:
    usage: AccountUsage = mock_iijmio.async_fetch.return_value
    sims = {
        sim_id: replace(sim, **changes) if sim.number_suffix == SUFFIX else sim  # type: ignore[arg-type]
        for sim_id, sim in usage.sims.items()
    }
    mock_iijmio.async_fetch.return_value = AccountUsage(sims=sims)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


async def test_carried_figures_show_when_they_were_read(
    hass: HomeAssistant, mock_iijmio: MagicMock, init_integration: MockConfigEntry
) -> None:
    used_id, throttled_id = _sim_entities(hass)
    await _serve(hass, mock_iijmio, init_integration, used=3 * GIB, throttled=False)
    for entity_id in (used_id, throttled_id):
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        assert "figures_as_of" not in state.attributes

    # The app route fails; the member site serves and the app's figures are kept.
    await _serve(
        hass, mock_iijmio, init_integration, used=3 * GIB, throttled=False, carried_from=READ_AT
    )
    used = hass.states.get(used_id)
    throttled = hass.states.get(throttled_id)
    assert used is not None
    assert throttled is not None
    assert float(used.state) == pytest.approx(3.0)
    assert throttled.state == "off"
    assert used.attributes["figures_as_of"] == READ_AT.isoformat()
    assert throttled.attributes["figures_as_of"] == READ_AT.isoformat()

    # Back on the app route: fresh figures, no age.
    await _serve(
        hass, mock_iijmio, init_integration, used=3 * GIB, throttled=True, carried_from=None
    )
    used = hass.states.get(used_id)
    throttled = hass.states.get(throttled_id)
    assert used is not None
    assert throttled is not None
    assert "figures_as_of" not in used.attributes
    assert throttled.state == "on"
    assert "figures_as_of" not in throttled.attributes
