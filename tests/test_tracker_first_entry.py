"""A tracked SIM as the first entry of a new installation: its key is made by the flow."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.japan_sim_data.const import (
    CONF_ALLOWANCE,
    CONF_PLAN_SHAPE,
    CONF_RESET_DAY,
    CONF_TRACKED_CARRIER,
    DOMAIN,
)
from custom_components.japan_sim_data.identifiers import STORAGE_KEY


async def _add_tracked_sim(hass: HomeAssistant) -> Any:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    for answer in (
        {"next_step_id": "tracker"},
        {CONF_NAME: "Phone", CONF_TRACKED_CARRIER: "ahamo"},
        {CONF_ALLOWANCE: 30, CONF_PLAN_SHAPE: "monthly"},
        {CONF_RESET_DAY: 1},
        {},
    ):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], answer)
    await hass.async_block_till_done()
    return result


async def test_the_first_entry_of_an_installation_sets_up(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Setup used to take the key not yet made for a lost one: the SIM stayed unloaded."""
    hass_storage.pop(STORAGE_KEY, None)  # a new installation (conftest stores a known key)
    result = await _add_tracked_sim(hass)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].state is ConfigEntryState.LOADED
    assert STORAGE_KEY in hass_storage


async def test_an_unreadable_key_aborts_the_flow(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A key made before and lost: no entry whose ids would change when it is restored."""
    hass_storage[STORAGE_KEY] = {"version": 1, "key": STORAGE_KEY, "data": {"secret": "x"}}
    result = await _add_tracked_sim(hass)
    assert (result["type"], result["reason"]) == (
        FlowResultType.ABORT,
        "installation_key_unreadable",
    )
    assert hass.config_entries.async_entries(DOMAIN) == []
