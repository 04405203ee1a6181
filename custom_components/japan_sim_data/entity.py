"""The base of every entity: one device per SIM, linked to its account's device."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .carriers.models import Carrier, SimUsage
from .const import CONF_CARRIER, DOMAIN
from .coordinator import JapanSimDataConfigEntry, SimDataCoordinator, SimView, sim_device_name
from .identifiers import InstallationKey

__all__ = ["sim_device_name"]

ATTR_FIGURES_AS_OF: Final = "figures_as_of"

# The carrier's member pages a person opens in a browser, as the adapters reach them (a page
# the adapter does not read is not guessed): IIJmio's login page (carriers/iijmio_member.py),
# the SoftBank and Y!mobile links to the usage page (carriers/softbank_login.py) and mineo's
# マイページ. povo has only its app; LINEMO's own site is not the SoftBank route's.
MEMBER_PAGES: Final[Mapping[Carrier, str]] = {
    Carrier.IIJMIO: "https://www.iijmio.jp/auth/login/",
    Carrier.SOFTBANK: "https://my.softbank.jp/msb/d/webLink/doSend/MRERE0000",
    Carrier.YMOBILE: "https://my.ymobile.jp/muc/d/webLink/doSend/MWBWL0130",
    Carrier.MINEO: "https://my.mineo.jp/",
}


def member_page(carrier: Carrier) -> str | None:
    """The carrier's member page, where the same figures can be checked by hand."""
    return MEMBER_PAGES.get(carrier)


def account_device_info(entry: ConfigEntry[Any], manufacturer: str | None) -> DeviceInfo:
    """The account's own device; each SIM's device hangs off it.

    Named by the entry's title, a name and no English word: a translated name ("… account")
    would also rename the entity ids made from it (calendar.povo_2_0_data_calendar) that
    automations use. No model: "Account" or "Plan tracker" was English on every screen.
    """
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer=manufacturer,
        model=None,  # clears the "Account" / "Plan tracker" of earlier versions
        configuration_url=member_page(Carrier(entry.data[CONF_CARRIER])),
        entry_type=DeviceEntryType.SERVICE,
    )


def sim_device_identifier(key: InstallationKey, carrier: str, sim_id: str) -> tuple[str, str]:
    """Identify a SIM's device by its carrier identifier, keyed so it reveals nothing."""
    return (DOMAIN, key.sim_id(carrier, sim_id))


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


def carried_figures_attributes(sim: SimUsage) -> dict[str, str] | None:
    """Say how old a figure is when a fallback route keeps it from an earlier read.

    IIJmio's member site cannot tell Throttled or Used this period; while it serves, the app
    API's last figures stand, and an automation should be able to see their age.
    """
    if sim.carried_from is None:
        return None
    return {ATTR_FIGURES_AS_OF: sim.carried_from.isoformat()}


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
        self._attr_device_info = DeviceInfo(
            identifiers={identifier},
            # A tracked SIM: the name its owner gave it, made by its carrier; no English model.
            name=coordinator.sim_name(sim),
            manufacturer=coordinator.manufacturer,
            model=coordinator.sim_model(sim),
            configuration_url=member_page(coordinator.carrier),
            entry_type=DeviceEntryType.SERVICE,
        )
        if not coordinator.one_device:
            # A tracked SIM is one device: nothing above it to hang off.
            self._attr_device_info["via_device_id"] = entry.runtime_data.account_device_id

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
        """What the frontend and automations see: availability, state and attributes.

        Read from the SIM's view of this update once (``available`` and the value would each
        look the SIM up again, for every entity at every poll).
        """
        coordinator = self.coordinator
        view = coordinator.sim_view(self.sim_id) if coordinator.last_update_success else None
        if view is None:
            return (False,)
        return (True, self._value_of(view), self._attributes_of(view))

    @abstractmethod
    def _value_of(self, view: SimView) -> object:
        """What decides the state, read from the SIM's view (a platform's figure)."""

    def _attributes_of(self, view: SimView) -> Mapping[str, Any] | None:
        """The attributes beside the state, read from the SIM's view; none by default."""
        return None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The attributes beside the state, from the SIM's view (none once the SIM left)."""
        view = self._view()
        return None if view is None else self._attributes_of(view)

    def _view(self) -> SimView | None:
        """The SIM's view of this update; None once the account no longer lists the SIM."""
        return self.coordinator.sim_view(self.sim_id)

    @property
    def sim(self) -> SimUsage | None:
        """The SIM's latest figures; None once the account no longer lists it."""
        return self.coordinator.data.sims.get(self.sim_id)

    @property
    def available(self) -> bool:
        """Unavailable when the last fetch failed or the SIM left the account."""
        return super().available and self.sim is not None
