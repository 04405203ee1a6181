"""The Japan SIM Data integration: remaining mobile data and days left for SIMs in Japan."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

from .adapters import CARRIER_PROFILES
from .carriers.models import AccountUsage, Carrier
from .const import CONF_CARRIER, DOMAIN, LOGGER
from .coordinator import (
    REPAIR_ISSUES,
    STALE_SIM_AFTER,
    JapanSimDataConfigEntry,
    JapanSimDataCoordinator,
    JapanSimDataRuntimeData,
    SimDataCoordinator,
    repair_issue_id,
)
from .entity import TRACKER_MODEL, sim_device_identifier
from .history import async_remove_histories
from .identifiers import InstallationKey, async_get_installation_key
from .services import async_setup_services
from .usage_statistics import async_remove_daily_usage
from .usage_today import async_remove_usage_today

if TYPE_CHECKING:
    from .tracker import TrackerCoordinator

# Imported when an entry needs them: the carrier's adapter (adapters.py) and, for a plan
# tracker, tracker.py with its notice patterns. An IIJmio account loads neither povo nor SoftBank.

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CALENDAR,
    Platform.SENSOR,
]

# Set up from the UI only; actions are registered once, whatever the number of entries.
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> bool:
    """Log in to the carrier account, fetch every SIM and set up their entities."""
    carrier = Carrier(entry.data[CONF_CARRIER])
    key = await async_get_installation_key(hass)
    coordinator: SimDataCoordinator
    tracker: TrackerCoordinator | None = None
    if carrier is Carrier.TRACKER:
        from .tracker import (  # noqa: PLC0415 - only for a plan tracker
            TRACKER_SECRET_KEYS,
            TrackerCoordinator,
            tracker_manufacturer,
        )

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
            hass, entry, profile.build(session, entry.data, entry.options), profile.name, key
        )
        manufacturer, secret_keys = profile.name, profile.secret_keys
    await _async_first_refresh(coordinator)

    # The account's own device: each SIM's device hangs off it.
    account_device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer=manufacturer,
        model=TRACKER_MODEL if tracker is not None else "Account",
        entry_type=dr.DeviceEntryType.SERVICE,
    )

    entry.runtime_data = JapanSimDataRuntimeData(
        coordinator=coordinator,
        secret_keys=secret_keys,
        account_device_id=account_device.id,
        key=key,
    )
    coordinator.async_start_midnight_updates()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    if tracker is not None:
        tracker.async_start()
    entry.async_on_unload(
        coordinator.async_add_listener(lambda: _async_remove_stale_sims(hass, entry))
    )
    return True


async def _async_first_refresh(coordinator: SimDataCoordinator) -> None:
    """Fetch the figures once before the entities are made.

    When the carrier asks us to wait (429, maintenance), the entry is set up without figures
    and the coordinator's own schedule waits as asked; entities appear with the first figures.
    """
    try:
        await coordinator.async_config_entry_first_refresh()
    except ConfigEntryNotReady:
        if not (isinstance(coordinator, JapanSimDataCoordinator) and coordinator.waits_for_carrier):
            raise
        LOGGER.warning(
            "%s asked us to wait; its figures will be read at the next poll",
            coordinator.carrier_name,
        )
        coordinator.data = AccountUsage()


@callback
def _async_remove_stale_sims(hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> None:
    """Remove the devices of SIMs the account has not listed for a day (a cancelled line).

    One odd answer that leaves a SIM out must not take its device and history with it; the
    day counts from the last successful update that listed the SIM (or from this start).
    """
    coordinator = entry.runtime_data.coordinator
    if not coordinator.last_update_success:
        return
    now = dt_util.utcnow()
    last_seen = coordinator.device_last_seen
    current = _current_sim_identifiers(entry)
    device_registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        if device.id == entry.runtime_data.account_device_id:
            continue
        if not device.identifiers.isdisjoint(current):
            last_seen[device.id] = now
            continue
        if now - last_seen.setdefault(device.id, now) < STALE_SIM_AFTER:
            continue
        device_registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)
        del last_seen[device.id]
        # Should the SIM come back, its entities are added again.
        for added in coordinator.added_sims.values():
            added.difference_update(
                sim_id
                for sim_id in list(added)
                if sim_device_identifier(entry.runtime_data.key, coordinator.carrier, sim_id)
                in device.identifiers
            )


def _current_sim_identifiers(entry: JapanSimDataConfigEntry) -> set[tuple[str, str]]:
    coordinator = entry.runtime_data.coordinator
    return {
        sim_device_identifier(entry.runtime_data.key, coordinator.carrier, sim_id)
        for sim_id in coordinator.data.sims
    }


def _is_current_sim(entry: JapanSimDataConfigEntry, device: dr.DeviceEntry) -> bool:
    return not device.identifiers.isdisjoint(_current_sim_identifiers(entry))


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: JapanSimDataConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a SIM's device once the account no longer lists that SIM."""
    return device.id != entry.runtime_data.account_device_id and not _is_current_sim(entry, device)


async def async_migrate_entry(hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> bool:
    """Re-key identifiers from plain hashes (1.1) to installation-keyed ones (1.2).

    Entity ids, names and history stay: only unique ids and device identifiers change.
    """
    if entry.version > 1:
        return False
    if entry.minor_version < 2:  # noqa: PLR2004 - the version being migrated to
        key = await async_get_installation_key(hass)
        await _async_rekey_registries(hass, entry, key)
        unique_id = entry.unique_id
        if unique_id is not None and entry.data[CONF_CARRIER] != Carrier.TRACKER:
            unique_id = key.account_id(unique_id)
        hass.config_entries.async_update_entry(entry, unique_id=unique_id, minor_version=2)
    return True


async def _async_rekey_registries(
    hass: HomeAssistant, entry: JapanSimDataConfigEntry, key: InstallationKey
) -> None:
    """Move entities and devices from ``<account>_<sim>_<what>`` to keyed identifiers."""
    old_account = entry.unique_id
    if old_account is None:
        return
    carrier = Carrier(entry.data[CONF_CARRIER])

    @callback
    def rekey_entity(entity: er.RegistryEntry) -> dict[str, str] | None:
        rest = entity.unique_id.removeprefix(f"{old_account}_")
        if rest == entity.unique_id:
            return None
        if "_" not in rest:  # the account's Refresh button
            return {"new_unique_id": f"{entry.entry_id}_{rest}"}
        sim_id, what = rest.split("_", 1)
        return {"new_unique_id": f"{key.sim_id(carrier, sim_id)}_{what}"}

    await er.async_migrate_entries(hass, entry.entry_id, rekey_entity)
    device_registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        identifiers = set()
        for domain, identifier in device.identifiers:
            if domain == DOMAIN and identifier == old_account:
                identifier = entry.entry_id  # noqa: PLW2901
            elif domain == DOMAIN and identifier.startswith(f"{old_account}_"):
                sim_id = identifier.removeprefix(f"{old_account}_")
                identifier = key.sim_id(carrier, sim_id)  # noqa: PLW2901
            identifiers.add((domain, identifier))
        if identifiers != device.identifiers:
            device_registry.async_update_device(device.id, new_identifiers=identifiers)


async def async_unload_entry(hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> bool:
    """Unload the entities; the coordinator and the HTTP session go with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> None:
    """Drop what was kept for an account that is being deleted: repair issues, readings."""
    for kind in REPAIR_ISSUES:
        ir.async_delete_issue(hass, DOMAIN, repair_issue_id(kind, entry.entry_id))
    await async_remove_histories(hass, entry.entry_id)
    await async_remove_usage_today(hass, entry.entry_id)
    await async_remove_daily_usage(hass, entry.entry_id)
    if entry.data.get(CONF_CARRIER) == Carrier.TRACKER:
        from .tracker import async_remove_tracker_state  # noqa: PLC0415 - trackers only

        await async_remove_tracker_state(hass, entry.entry_id)
