"""Readings of every SIM of an entry, kept across restarts for the "runs out on" forecast."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .carriers.insights import UsageHistory
from .carriers.models import AccountUsage
from .const import DOMAIN

STORAGE_VERSION: Final = 1
# Readings change slowly; writing at most once a minute spares SD cards.
SAVE_DELAY: Final = 60


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.history")


class SimHistories:
    """One UsageHistory per SIM, loaded once and saved after changes."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the entry's store; nothing is read until async_load."""
        self._store = _store(hass, entry_id)
        self._histories: dict[str, UsageHistory] = {}

    async def async_load(self) -> None:
        """Read the stored readings."""
        stored = await self._store.async_load() or {}
        self._histories = {sim_id: UsageHistory.from_dict(data) for sim_id, data in stored.items()}

    def get(self, sim_id: str) -> UsageHistory:
        """The history of one SIM (empty until its first reading)."""
        return self._histories.setdefault(sim_id, UsageHistory())

    @callback
    def async_record(self, usage: AccountUsage) -> None:
        """Add the latest figures of every SIM and schedule a save."""
        now = dt_util.now()
        for sim_id, sim in usage.sims.items():
            self.get(sim_id).add(now, sim.remaining)
        # SIMs that left the account take their history with them.
        for sim_id in self._histories.keys() - usage.sims.keys():
            del self._histories[sim_id]
        self._store.async_delay_save(self._as_dict, SAVE_DELAY)

    async def async_save(self) -> None:
        """Write now (on unload), so a reload or restart finds the latest readings."""
        await self._store.async_save(self._as_dict())

    def _as_dict(self) -> dict[str, Any]:
        return {sim_id: history.as_dict() for sim_id, history in self._histories.items()}


async def async_remove_histories(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's stored readings when the entry is deleted."""
    await _store(hass, entry_id).async_remove()
