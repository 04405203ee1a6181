"""A tracked SIM is one device, named as its owner named it, made by its carrier."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from custom_components.japan_sim_data.carriers.models import Carrier
from custom_components.japan_sim_data.const import CONF_TRACKED_CARRIER, DOMAIN
from custom_components.japan_sim_data.identifiers import InstallationKey
from tests.test_tracker import TRACKER_ID, _entry, _setup

ALL_PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.CALENDAR, Platform.SENSOR]


@pytest.mark.parametrize(
    ("tracked_carrier", "manufacturer"),
    [("docomo", "docomo"), ("uq_mobile", "UQ mobile"), ("travel", None), ("other", None)],
)
async def test_a_tracked_sim_is_one_device(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    installation_key: InstallationKey,
    tracked_carrier: str,
    manufacturer: str | None,
) -> None:
    entry = _entry({CONF_TRACKED_CARRIER: tracked_carrier})
    await _setup(hass, freezer, entry, platforms=ALL_PLATFORMS)
    registry = dr.async_get(hass)
    # One device: Home Assistant's "name and area" asks once.
    (device,) = dr.async_entries_for_config_entry(registry, entry.entry_id)
    # The name the user gave, made by the carrier (a travel SIM's maker is unknown), and no
    # English model: not "Router SIM docomo", not "Plan tracker".
    assert (device.name, device.manufacturer, device.model) == ("Router SIM", manufacturer, None)
    assert device.configuration_url is None  # a tracked SIM has no member page to link
    assert device.via_device_id is None
    assert device.identifiers == {
        (DOMAIN, entry.entry_id),
        (DOMAIN, installation_key.sim_id(Carrier.TRACKER, TRACKER_ID)),
    }
    # Every entity, the Refresh button and the calendar included, is on it.
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert {entity.domain for entity in entities} == {
        "binary_sensor",
        "button",
        "calendar",
        "sensor",
    }
    assert {entity.device_id for entity in entities} == {device.id}


async def test_the_two_devices_of_earlier_versions_become_one(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, installation_key: InstallationKey
) -> None:
    """The registry as earlier versions left it: the entry's device and the SIM's below it."""
    entry = _entry()
    entry.add_to_hass(hass)
    devices, entities = dr.async_get(hass), er.async_get(hass)
    area = ar.async_get(hass).async_create("Living room")
    sim_key = installation_key.sim_id(Carrier.TRACKER, TRACKER_ID)
    account = devices.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name="Router SIM",
        model="Plan tracker",
    )
    devices.async_update_device(account.id, area_id=area.id)
    sim = devices.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, sim_key)},
        name="Router SIM",
        via_device_id=account.id,
    )
    devices.async_update_device(sim.id, name_by_user="Router in the attic")
    refresh = entities.async_get_or_create(
        "button",
        DOMAIN,
        f"{entry.entry_id}_refresh",
        config_entry=entry,
        device_id=account.id,
        suggested_object_id="router_sim_refresh",
    )
    remaining = entities.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{sim_key}_remaining_data",
        config_entry=entry,
        device_id=sim.id,
        suggested_object_id="router_sim_remaining_data",
    )

    await _setup(hass, freezer, entry, platforms=ALL_PLATFORMS)

    (device,) = dr.async_entries_for_config_entry(devices, entry.entry_id)
    # The SIM's device stays (its id, what the user named it), takes the entry's identifier
    # and area, and the entry's device is gone.
    assert device.id == sim.id
    assert devices.async_get(account.id) is None
    assert (device.name_by_user, device.area_id, device.via_device_id) == (
        "Router in the attic",
        area.id,
        None,
    )
    assert (DOMAIN, entry.entry_id) in device.identifiers
    # The entities keep their ids and history, on the one device.
    assert entities.async_get(refresh.entity_id).device_id == device.id  # type: ignore[union-attr]
    assert entities.async_get(remaining.entity_id).device_id == device.id  # type: ignore[union-attr]
    assert hass.states.get("button.router_sim_refresh") is not None
    assert hass.states.get("sensor.router_sim_remaining_data") is not None
