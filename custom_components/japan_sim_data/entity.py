"""The base of every entity: one device per SIM, linked to its account's device."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from homeassistant.const import Platform
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .carriers.models import Carrier, SimUsage
from .const import DOMAIN
from .coordinator import JapanSimDataConfigEntry, SimDataCoordinator
from .identifiers import InstallationKey

TRACKER_MODEL: Final = "Plan tracker"
"""The model of a tracked SIM's devices: it has no plan name, only what the tracker follows."""


def sim_device_identifier(key: InstallationKey, carrier: str, sim_id: str) -> tuple[str, str]:
    """Identify a SIM's device by its carrier identifier, keyed so it reveals nothing."""
    return (DOMAIN, key.sim_id(carrier, sim_id))


def sim_device_name(carrier_name: str, sim: SimUsage) -> str:
    """Name a SIM after its plan and the last digits of its number, never the whole number."""
    name = f"{carrier_name} {sim.plan_name}" if sim.plan_name else carrier_name
    return f"{name} ({sim.number_suffix})" if sim.number_suffix else name


@callback
def async_add_sim_entities(
    entry: JapanSimDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entities_for: Callable[[str], Iterable[Entity]],
    platform: Platform,
) -> None:
    """Add each SIM's entities now, and those of SIMs that appear on the account later.

    A SIM whose device was removed (it left the account) is forgotten by the removal, so its
    entities come back if the SIM does.
    """
    coordinator = entry.runtime_data.coordinator
    known = coordinator.added_sims.setdefault(platform, set())

    @callback
    def add_new_sims() -> None:
        new = [sim_id for sim_id in coordinator.data.sims if sim_id not in known]
        known.update(new)
        async_add_entities(entity for sim_id in new for entity in entities_for(sim_id))

    add_new_sims()
    entry.async_on_unload(coordinator.async_add_listener(add_new_sims))


class JapanSimDataEntity(CoordinatorEntity[SimDataCoordinator]):
    """An entity that describes one SIM line."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: SimDataCoordinator, sim_id: str, key: str) -> None:
        """Attach the entity to the SIM's device."""
        super().__init__(coordinator)
        self.sim_id = sim_id
        self._last_shown: tuple[object, ...] | None = None
        entry = coordinator.config_entry
        identifier = sim_device_identifier(entry.runtime_data.key, coordinator.carrier, sim_id)
        self._attr_unique_id = f"{identifier[1]}_{key}"
        sim = coordinator.data.sims[sim_id]
        model: str | None
        if coordinator.carrier is Carrier.TRACKER:
            # A tracked SIM: the name its owner gave it, made by its carrier, tracked by plan.
            name, model = entry.title, TRACKER_MODEL
        else:
            name, model = sim_device_name(coordinator.carrier_name, sim), sim.plan_name
        self._attr_device_info = DeviceInfo(
            identifiers={identifier},
            name=name,
            manufacturer=coordinator.carrier_name,
            model=model,
            entry_type=DeviceEntryType.SERVICE,
            via_device_id=entry.runtime_data.account_device_id,
        )

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when what the entity shows has changed.

        The coordinator notifies every entity of an account whenever any figure moves; most
        figures (days left, the plan, the allowance) stay as they were, and rewriting them
        costs every state listener, the recorder and the frontend a wasted event.
        """
        shown = self._shown()
        if shown == self._last_shown:
            return
        self._last_shown = shown
        self.async_write_ha_state()

    async def async_added_to_hass(self) -> None:
        """Remember what the first write showed, so an unchanged update writes nothing."""
        await super().async_added_to_hass()
        self._last_shown = self._shown()

    def _shown(self) -> tuple[object, ...]:
        """What the frontend and automations see: availability, state and attributes."""
        if not self.available:
            return (False,)
        return (True, self._value_shown(), self.extra_state_attributes)

    def _value_shown(self) -> object:
        """What decides the state (a platform may name a cheaper figure the state follows)."""
        return self.state

    @property
    def sim(self) -> SimUsage | None:
        """The SIM's latest figures; None once the account no longer lists it."""
        return self.coordinator.data.sims.get(self.sim_id)

    @property
    def available(self) -> bool:
        """Unavailable when the last fetch failed or the SIM left the account."""
        return super().available and self.sim is not None
