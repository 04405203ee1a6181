"""The Japan SIM Data integration: remaining mobile data and days left for SIMs in Japan."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.typing import ConfigType

from .carriers.models import AccountUsage, Carrier
from .const import CONF_CARRIER, DOMAIN, LOGGER
from .coordinator import (
    JapanSimDataConfigEntry,
    JapanSimDataRuntimeData,
    SimDataCoordinator,
)
from .entity import account_device_info, sim_device_identifier
from .factory import async_create_coordinator, coordinator_type
from .identifiers import (
    InstallationKey,
    InstallationKeyUnreadableError,
    async_get_installation_key,
)
from .issues import async_clear_entry_issue, async_raise_entry_issue
from .services import async_setup_services

# Imported when an entry needs them (factory.py): the carrier's adapter (adapters.py) and, for a
# plan tracker, tracker.py with its notice patterns. An IIJmio account loads neither povo nor
# SoftBank.

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


ENTRY_DAMAGED_ISSUE = "entry_damaged"
"""The repair issue of an entry whose stored data cannot be used; its id ends in the entry id."""

# What damaged entry data makes the code that reads it raise: a missing key, a wrong type.
_DAMAGED: tuple[type[Exception], ...] = (AttributeError, LookupError, TypeError, ValueError)


async def async_setup_entry(hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> bool:
    """Log in to the carrier account, fetch every SIM and set up their entities."""
    try:
        key = await async_get_installation_key(hass)
    except InstallationKeyUnreadableError:
        # Never a new key here: every entity would be made again under new ids. The repair
        # issue and one log line say what to do (a ConfigEntryError would log a traceback).
        return False
    try:
        coordinator = await async_create_coordinator(hass, entry, key)
    except _DAMAGED as err:
        _report_damaged(hass, entry, err)
        return False
    async_clear_entry_issue(hass, ENTRY_DAMAGED_ISSUE, entry.entry_id)
    await _async_first_refresh(coordinator)

    # The account's own device, which each SIM's device hangs off; a tracked SIM's one device.
    account_device = coordinator.async_own_device(key) or dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **account_device_info(entry, coordinator.manufacturer)
    )

    entry.runtime_data = JapanSimDataRuntimeData(
        coordinator=coordinator,
        secret_keys=coordinator.secret_keys,
        account_device_id=account_device.id,
        key=key,
    )
    coordinator.async_start_midnight_updates()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    coordinator.async_start()
    if coordinator.last_update_success:
        _async_remove_stale_sims(hass, entry, coordinator.data)
    entry.async_on_unload(
        coordinator.async_on_success(lambda usage: _async_remove_stale_sims(hass, entry, usage))
    )
    return True


def _report_damaged(hass: HomeAssistant, entry: JapanSimDataConfigEntry, err: Exception) -> None:
    """Raise a repair issue for entry data that cannot be used: never a traceback at setup."""
    LOGGER.error(
        "The stored settings of %s cannot be used (%s); reconfigure it, or delete and add it again",
        entry.title,
        type(err).__name__,
    )
    async_raise_entry_issue(hass, ENTRY_DAMAGED_ISSUE, entry, severity=ir.IssueSeverity.ERROR)


async def _async_first_refresh(coordinator: SimDataCoordinator) -> None:
    """Fetch the figures once before the entities are made.

    When the carrier asks us to wait (429, maintenance), the entry is set up without figures
    and the coordinator's own schedule waits as asked; entities appear with the first figures.
    """
    try:
        await coordinator.async_config_entry_first_refresh()
    except ConfigEntryNotReady:
        if not coordinator.waits_for_carrier:
            raise
        LOGGER.warning(
            "%s asked us to wait; its figures will be read at the next poll",
            coordinator.carrier_name,
        )
        coordinator.data = AccountUsage()


@callback
def _async_remove_stale_sims(
    hass: HomeAssistant, entry: JapanSimDataConfigEntry, usage: AccountUsage
) -> None:
    """Remove the devices of SIMs the account has not listed for a day (a cancelled line)."""
    coordinator = entry.runtime_data.coordinator
    current = _current_sim_identifiers(entry, usage)
    device_registry = dr.async_get(hass)
    devices = [
        device
        for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
        if device.id != entry.runtime_data.account_device_id
    ]
    removed = coordinator.missing_sims.async_update(
        device_registry,
        devices,
        lambda device: not device.identifiers.isdisjoint(current),
        entry.entry_id,
    )
    for device in removed:
        # Should the SIM come back, its entities are added again.
        for added in coordinator.added_sims.values():
            added.difference_update(
                sim_id
                for sim_id in list(added)
                if sim_device_identifier(entry.runtime_data.key, coordinator.carrier, sim_id)
                in device.identifiers
            )


def _current_sim_identifiers(
    entry: JapanSimDataConfigEntry, usage: AccountUsage
) -> set[tuple[str, str]]:
    coordinator = entry.runtime_data.coordinator
    return {
        sim_device_identifier(entry.runtime_data.key, coordinator.carrier, sim_id)
        for sim_id in usage.sims
    }


def _is_current_sim(entry: JapanSimDataConfigEntry, device: dr.DeviceEntry) -> bool:
    current = _current_sim_identifiers(entry, entry.runtime_data.coordinator.data)
    return not device.identifiers.isdisjoint(current)


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
        try:
            key = await async_get_installation_key(hass)
        except InstallationKeyUnreadableError:
            return False  # the repair issue says what to do
        await _async_rekey_registries(hass, entry, key)
        unique_id = entry.unique_id
        if unique_id is not None and coordinator_type(entry.data).unique_id_is_account:
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
    await entry.runtime_data.coordinator.async_settle()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> None:
    """Drop what was kept for an account that is being deleted: repair issues, readings."""
    async_clear_entry_issue(hass, ENTRY_DAMAGED_ISSUE, entry.entry_id)
    try:
        kind = coordinator_type(entry.data)
    except _DAMAGED:
        # Data too damaged to tell the kind: what every kind keeps goes all the same.
        kind = SimDataCoordinator
    await kind.async_remove_stored(hass, entry)
