"""The Japan SIM Data integration: remaining mobile data and days left for SIMs in Japan."""

from __future__ import annotations

import aiohttp
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_create_clientsession

from .adapters import CARRIER_PROFILES
from .carriers.models import Carrier
from .const import CONF_CARRIER, DOMAIN
from .coordinator import (
    REPAIR_ISSUES,
    JapanSimDataConfigEntry,
    JapanSimDataCoordinator,
    JapanSimDataRuntimeData,
    repair_issue_id,
)

PLATFORMS: list[Platform] = [Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> bool:
    """Log in to the carrier account, fetch every SIM and set up their entities."""
    profile = CARRIER_PROFILES[Carrier(entry.data[CONF_CARRIER])]
    # One session per account, so cookies never mix; closed when the entry unloads.
    session = async_create_clientsession(hass, cookie_jar=aiohttp.CookieJar())
    coordinator = JapanSimDataCoordinator(
        hass, entry, profile.build(session, entry.data, entry.options), profile.name
    )
    await coordinator.async_config_entry_first_refresh()

    assert entry.unique_id is not None
    # The account's own device: each SIM's device hangs off it.
    account_device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.unique_id)},
        name=entry.title,
        manufacturer=profile.name,
        model="Account",
        entry_type=dr.DeviceEntryType.SERVICE,
    )

    entry.runtime_data = JapanSimDataRuntimeData(
        coordinator=coordinator,
        secret_keys=profile.secret_keys,
        account_device_id=account_device.id,
    )
    coordinator.async_start_midnight_updates()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> bool:
    """Unload the entities; the coordinator and the HTTP session go with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> None:
    """Drop the repair issues raised for an account that is being deleted."""
    for kind in REPAIR_ISSUES:
        ir.async_delete_issue(hass, DOMAIN, repair_issue_id(kind, entry.entry_id))
