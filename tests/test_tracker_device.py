"""A tracked SIM's devices are named as their owner would name them."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.japan_sim_data.const import CONF_TRACKED_CARRIER, DOMAIN
from tests.test_tracker import _entry, _setup


@pytest.mark.parametrize(
    ("tracked_carrier", "manufacturer"),
    [("docomo", "docomo"), ("uq_mobile", "UQ mobile"), ("travel", None), ("other", None)],
)
async def test_tracked_sim_device_names(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    installation_key: object,
    tracked_carrier: str,
    manufacturer: str | None,
) -> None:
    entry = _entry({CONF_TRACKED_CARRIER: tracked_carrier})
    await _setup(hass, freezer, entry)
    registry = dr.async_get(hass)
    devices = dr.async_entries_for_config_entry(registry, entry.entry_id)
    (account,) = (d for d in devices if (DOMAIN, entry.entry_id) in d.identifiers)
    (sim,) = (device for device in devices if device.id != account.id)
    # The name the user gave, made by the carrier (a travel SIM's maker is unknown), and no
    # English model: not "Router SIM docomo", not "Plan tracker".
    assert (sim.name, sim.manufacturer, sim.model) == ("Router SIM", manufacturer, None)
    assert (account.name, account.manufacturer, account.model) == (
        "Router SIM",
        manufacturer,
        None,
    )
    assert sim.configuration_url is None  # a tracked SIM has no member page to link
    assert sim.via_device_id == account.id
