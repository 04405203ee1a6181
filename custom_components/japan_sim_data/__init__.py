"""The Japan SIM Data integration: remaining mobile data and days left for SIMs in Japan."""

from __future__ import annotations

import aiohttp
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.typing import ConfigType

from .adapters import CARRIER_PROFILES
from .carriers.models import Carrier
from .const import CONF_CARRIER, DOMAIN
from .coordinator import (
    REPAIR_ISSUES,
    JapanSimDataConfigEntry,
    JapanSimDataCoordinator,
    JapanSimDataRuntimeData,
    SimDataCoordinator,
    repair_issue_id,
)
from .entity import sim_device_identifier
from .history import async_remove_histories
from .services import async_setup_services
from .tracker import (
    TRACKER_SECRET_KEYS,
    TrackerCoordinator,
    async_remove_tracker_state,
    tracker_manufacturer,
)

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SENSOR]

# Set up from the UI only; actions are registered once, whatever the number of entries.
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> bool:
    """Log in to the carrier account, fetch every SIM and set up their entities."""
    carrier = Carrier(entry.data[CONF_CARRIER])
    coordinator: SimDataCoordinator
    tracker: TrackerCoordinator | None = None
    if carrier is Carrier.TRACKER:
        # A SIM without a carrier API: figures from the user's plan, counters and notices.
        coordinator = tracker = TrackerCoordinator(hass, entry)
        await tracker.async_load()
        # Sender filters may be phone numbers or e-mail addresses: kept out of diagnostics.
        manufacturer, secret_keys = tracker_manufacturer(entry.data), TRACKER_SECRET_KEYS
    else:
        profile = CARRIER_PROFILES[carrier]
        # One session per account, so cookies never mix; closed when the entry unloads.
        session = async_create_clientsession(hass, cookie_jar=aiohttp.CookieJar())
        coordinator = JapanSimDataCoordinator(
            hass, entry, profile.build(session, entry.data, entry.options), profile.name
        )
        manufacturer, secret_keys = profile.name, profile.secret_keys
    await coordinator.async_config_entry_first_refresh()

    assert entry.unique_id is not None
    # The account's own device: each SIM's device hangs off it.
    account_device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.unique_id)},
        name=entry.title,
        manufacturer=manufacturer,
        model="Account",
        entry_type=dr.DeviceEntryType.SERVICE,
    )

    entry.runtime_data = JapanSimDataRuntimeData(
        coordinator=coordinator,
        secret_keys=secret_keys,
        account_device_id=account_device.id,
    )
    coordinator.async_start_midnight_updates()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    if tracker is not None:
        tracker.async_start()
    entry.async_on_unload(
        coordinator.async_add_listener(lambda: _async_remove_stale_sims(hass, entry))
    )
    return True


@callback
def _async_remove_stale_sims(hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> None:
    """Remove the devices of SIMs the account no longer lists (a cancelled line)."""
    coordinator = entry.runtime_data.coordinator
    if not coordinator.last_update_success:
        return
    device_registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        if device.id != entry.runtime_data.account_device_id and not _is_current_sim(entry, device):
            device_registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


def _is_current_sim(entry: JapanSimDataConfigEntry, device: dr.DeviceEntry) -> bool:
    assert entry.unique_id is not None
    current = {
        sim_device_identifier(entry.unique_id, sim_id)
        for sim_id in entry.runtime_data.coordinator.data.sims
    }
    return not device.identifiers.isdisjoint(current)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: JapanSimDataConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a SIM's device once the account no longer lists that SIM."""
    return device.id != entry.runtime_data.account_device_id and not _is_current_sim(entry, device)


async def async_unload_entry(hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> bool:
    """Unload the entities; the coordinator and the HTTP session go with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> None:
    """Drop what was kept for an account that is being deleted: repair issues, readings."""
    for kind in REPAIR_ISSUES:
        ir.async_delete_issue(hass, DOMAIN, repair_issue_id(kind, entry.entry_id))
    await async_remove_histories(hass, entry.entry_id)
    await async_remove_tracker_state(hass, entry.entry_id)
