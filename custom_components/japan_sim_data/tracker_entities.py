"""What a tracked SIM shows: one device, and only the entities its plan and sources can feed.

Earlier versions made two devices of the same name for a tracked SIM, the entry's (Refresh,
calendar) and the SIM's (its figures): Home Assistant's "name and area" asked for the same
thing twice. An entity that stays unknown for good tells nothing: a plan without a cap has no
data left, a SIM without a counter no day's use, one without notices no last notice and no
throttling, one with neither no use. Such entities are not made, and those earlier versions
made are removed; a source or a plan added later makes them again (the entry reloads).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .carriers.tracking_ledger import PlanTerms
from .const import CONF_NOTICE_ENTITIES, CONF_NOTICE_EVENTS, DOMAIN
from .entity import sim_device_identifier
from .identifiers import InstallationKey

if TYPE_CHECKING:
    from .tracker import TrackerCoordinator

# Entities whose figure a plan without a cap cannot have: nothing counts down, nothing runs out.
CAPPED_ONLY: Final = frozenset(
    {
        "remaining_data",
        "low_data",
        "daily_budget",
        "data_allowance",
        "topping_data",
        "data_expires",
        "data_expiring_soon",
        "runs_out_on",
    }
)
# Entities of a plan without a cap only: the next step and how close it is.
STEPPED_ONLY: Final = frozenset({"next_step", "data_to_next_step", "near_next_step"})
# Entities only a usage counter can feed: a day's use, and a trend to forecast from.
COUNTED_ONLY: Final = frozenset({"used_today", "runs_out_on"})
# Entities only notices (or the replies to an SMS inquiry) can feed.
NOTICE_ONLY: Final = frozenset({"last_notice", "throttled"})
# Entities of the period's use: a counter or a notice feeds them, a correction never does.
USE_FED: Final = frozenset({"data_used", "next_step", "data_to_next_step", "near_next_step"})


def unmade_entities(
    terms: PlanTerms, options: Mapping[str, Any], *, asks_by_sms: bool
) -> frozenset[str]:
    """The keys of the entities this SIM's plan and sources can never feed."""
    unmade: set[str] = set()
    unmade |= CAPPED_ONLY if terms.steps is not None else STEPPED_ONLY
    # The replies to an SMS inquiry are notices too.
    notices = bool(
        options.get(CONF_NOTICE_EVENTS) or options.get(CONF_NOTICE_ENTITIES) or asks_by_sms
    )
    if not terms.counted:
        unmade |= COUNTED_ONLY
    if not notices:
        unmade |= NOTICE_ONLY
    if not (notices or terms.counted):
        unmade |= USE_FED
    return frozenset(unmade)


def async_one_device(tracker: TrackerCoordinator, key: InstallationKey) -> dr.DeviceEntry:
    """The SIM's one device: named as its owner named it, made by its carrier, no model.

    It carries the entry's identifier too, so the Refresh button and the calendar sit on it.
    From the two devices of earlier versions, the SIM's keeps its id, entities, name and area;
    the entry's device's entities move to it, its area too when the SIM's had none, and it
    goes.
    """
    entry = tracker.config_entry
    devices = dr.async_get(tracker.hass)
    entry_identifier = (DOMAIN, entry.entry_id)
    sim_identifier = sim_device_identifier(key, tracker.carrier, tracker.sim_id)
    old = devices.async_get_device(identifiers={entry_identifier})
    sim = devices.async_get_device(identifiers={sim_identifier})
    if old is not None and sim is not None and old.id != sim.id:
        entities = er.async_get(tracker.hass)
        for entity in er.async_entries_for_device(entities, old.id, include_disabled_entities=True):
            entities.async_update_entity(entity.entity_id, device_id=sim.id)
        if sim.area_id is None and old.area_id is not None:
            devices.async_update_device(sim.id, area_id=old.area_id)
        devices.async_remove_device(old.id)
    return devices.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={entry_identifier, sim_identifier},
        name=entry.title,
        manufacturer=tracker.manufacturer,
        model=None,
        entry_type=dr.DeviceEntryType.SERVICE,
    )


def async_remove_unmade(tracker: TrackerCoordinator, unmade: frozenset[str]) -> None:
    """Remove the SIM's registry entries of ``unmade`` keys, left by earlier versions or plans.

    They would stay as restored, unavailable entities forever.
    """
    entry = tracker.config_entry
    identifier = sim_device_identifier(entry.runtime_data.key, tracker.carrier, tracker.sim_id)
    registry = er.async_get(tracker.hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        key = entity.unique_id.removeprefix(f"{identifier[1]}_")
        if key != entity.unique_id and key in unmade:
            registry.async_remove(entity.entity_id)
