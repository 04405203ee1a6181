"""Fixes the user can confirm from a repair issue."""

from __future__ import annotations

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .const import DOMAIN
from .identifiers import async_replace_installation_key


class NewInstallationKeyFlow(ConfirmRepairFlow):
    """Accept new ids for every SIM when the installation key is lost for good."""

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Make a new key once the user confirms, and set the waiting entries up with it."""
        if user_input is None:
            return await super().async_step_confirm()
        await async_replace_installation_key(self.hass)
        for entry in self.hass.config_entries.async_entries(DOMAIN):
            if entry.state is ConfigEntryState.SETUP_ERROR:
                self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """The fix flow of a fixable issue (only the unreadable installation key is one)."""
    return NewInstallationKeyFlow()
