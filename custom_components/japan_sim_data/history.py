"""Readings of every SIM of an entry, kept across restarts for the "runs out on" forecast."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .carriers.insights import Reading, UsageHistory
from .carriers.models import AccountUsage
from .carriers.stored import stored_count, stored_moment
from .const import LOGGER
from .entry_store import EntryStore


class SimHistories(EntryStore):
    """One UsageHistory per SIM, loaded once and saved after changes."""

    NAME = "history"

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the entry's store; nothing is read until async_load."""
        super().__init__(hass, entry_id)
        self._histories: dict[str, UsageHistory] = {}

    async def async_load(self) -> None:
        """Read the stored readings, keeping every one that can be read.

        A store that is not a mapping, a SIM whose history is not one, a reading that is not an
        aware moment and a plausible byte count, or one out of time order, is dropped alone,
        with one warning for the lot: a forecast is worth less than setting up the entry.
        """
        stored: object = await self._store.async_load()
        self._histories, dropped = _restore(stored)
        if dropped:
            LOGGER.warning(
                "%d unreadable usage readings of entry %s were dropped", dropped, self._entry_id
            )

    def get(self, sim_id: str) -> UsageHistory:
        """The history of one SIM (empty until its first reading)."""
        return self._histories.setdefault(sim_id, UsageHistory())

    @callback
    def async_record(self, usage: AccountUsage) -> None:
        """Add the latest figures of every SIM and schedule a save."""
        now = dt_util.now()
        for sim_id, sim in usage.sims.items():
            # Only data still valid: an expired bucket's fall is not use.
            self.get(sim_id).add(now, sim.valid_at(now).remaining)
        # SIMs that left the account take their history with them.
        for sim_id in self._histories.keys() - usage.sims.keys():
            del self._histories[sim_id]
        self._async_schedule_save()

    def _as_dict(self) -> dict[str, Any]:
        return {sim_id: history.as_dict() for sim_id, history in self._histories.items()}


def _restore(stored: object) -> tuple[dict[str, UsageHistory], int]:
    """The histories a store holds, and how many readings (or whole SIMs) could not be read."""
    if stored is None:
        return {}, 0
    if not isinstance(stored, Mapping):
        return {}, 1
    histories, dropped = {}, 0
    for sim_id, data in stored.items():
        raw = data.get("readings") if isinstance(data, Mapping) else None
        if not isinstance(sim_id, str) or not isinstance(raw, list):
            dropped += 1
            continue
        readings = _readings(raw[-UsageHistory.MAX_READINGS :])
        dropped += len(raw) - len(readings)
        histories[sim_id] = UsageHistory(readings)
    return histories, dropped


def _readings(raw: list[Any]) -> list[Reading]:
    """The readable readings, each later than the one before it."""
    readings: list[Reading] = []
    for item in raw:
        if not isinstance(item, list | tuple) or len(item) != 2:  # noqa: PLR2004 - [at, bytes]
            continue
        at, remaining = stored_moment(item[0]), stored_count(item[1])
        if at is None or remaining is None or (readings and at <= readings[-1].at):
            continue
        readings.append(Reading(at, remaining))
    return readings
