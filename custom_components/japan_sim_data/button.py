"""A Refresh button on each account's device."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator import JapanSimDataConfigEntry, SimDataCoordinator

# Pressing it asks the coordinator, which already serialises its refreshes.
PARALLEL_UPDATES = 0

REFRESH = ButtonEntityDescription(
    key="refresh",
    translation_key="refresh",
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: JapanSimDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's Refresh button."""
    async_add_entities([RefreshButton(entry.runtime_data.coordinator)])


class RefreshButton(ButtonEntity):
    """Fetch the account's figures now rather than at the next poll.

    Not a coordinator entity: it shows nothing that a poll changes, so polls never rewrite it.
    """

    _attr_has_entity_name = True
    entity_description = REFRESH

    def __init__(self, coordinator: SimDataCoordinator) -> None:
        """Attach the button to the account's device."""
        self.coordinator = coordinator
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.entry_id}_{REFRESH.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, entry.entry_id)})

    async def async_press(self) -> None:
        """Ask for a refresh; the coordinator's debouncer spares the carrier double presses."""
        await self.coordinator.async_user_refresh()
