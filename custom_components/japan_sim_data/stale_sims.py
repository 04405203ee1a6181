"""Remove the devices of SIMs the account no longer lists, a day after they went missing.

One odd answer that leaves a SIM out must not take its device and history with it: a SIM goes
only after a day of successful updates that do not list it. When it went missing is kept on
disk, so a restart (or several) during that day does not start the day again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util

from .entry_store import EntryStore

if TYPE_CHECKING:
    from collections.abc import Callable

STALE_SIM_AFTER: Final = timedelta(days=1)
"""A SIM missing from the account's answers for this long (of successful polls) is removed."""


class MissingSims(EntryStore):
    """When each SIM device was last listed, and since when each missing one is missing."""

    NAME = "missing_sims"
    SAVE_DELAY = 10.0
    PRIVATE = True

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Nothing is read until ``async_load``."""
        super().__init__(hass, entry_id)
        self.last_seen: dict[str, datetime] = {}
        """When each device's SIM was last listed by a successful update (this run only)."""
        self.missing_since: dict[str, datetime] = {}
        """Since when each device's SIM is missing; kept on disk."""

    async def async_load(self) -> None:
        """Read what was kept; anything unreadable is dropped, never trusted."""
        stored = await self._store.async_load()
        kept = stored.get("missing_since") if isinstance(stored, dict) else None
        if not isinstance(kept, dict):
            return
        now = dt_util.utcnow()
        for device_id, moment in kept.items():
            since = dt_util.parse_datetime(moment) if isinstance(moment, str) else None
            if isinstance(device_id, str) and since is not None and since.tzinfo is not None:
                # A moment ahead of the clock (a clock set back) counts from now.
                self.missing_since[device_id] = min(since, now)

    @callback
    def async_update(
        self,
        device_registry: dr.DeviceRegistry,
        devices: list[dr.DeviceEntry],
        is_listed: Callable[[dr.DeviceEntry], bool],
        entry_id: str,
    ) -> list[dr.DeviceEntry]:
        """Note which SIM devices are listed; remove those missing for a day and return them."""
        now = dt_util.utcnow()
        before = dict(self.missing_since)
        removed = []
        present = {device.id for device in devices}
        for device_id in set(self.missing_since) - present:
            del self.missing_since[device_id]  # removed by the user meanwhile
        for device in devices:
            if is_listed(device):
                self.last_seen[device.id] = now
                self.missing_since.pop(device.id, None)
                continue
            since = self.missing_since.setdefault(device.id, self.last_seen.get(device.id, now))
            if now - since < STALE_SIM_AFTER:
                continue
            device_registry.async_update_device(device.id, remove_config_entry_id=entry_id)
            del self.missing_since[device.id]
            self.last_seen.pop(device.id, None)
            removed.append(device)
        if self.missing_since != before:
            self._async_schedule_save()
        return removed

    def _as_dict(self) -> dict[str, Any]:
        return {
            "missing_since": {
                device_id: since.isoformat() for device_id, since in self.missing_since.items()
            }
        }
