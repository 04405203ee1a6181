"""What an entry keeps in a Store of its own: named under the entry, saved, removed with it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN

STORAGE_VERSION: Final = 1


class EntryStore(ABC):
    """The base of what an entry keeps across restarts: ``{DOMAIN}.{entry_id}.{NAME}``.

    A subclass reads its store in ``async_load`` (dropping what it cannot read) and says what
    to write in ``_as_dict``; changes are written after ``SAVE_DELAY`` seconds, everything at
    unload (``async_save``), and the store goes with the entry (``async_remove``).
    """

    NAME: ClassVar[str]
    SAVE_DELAY: ClassVar[float] = 60
    """Seconds between a change and its write: figures change slowly; SD cards wear."""
    PRIVATE: ClassVar[bool] = False
    """Readable by the owner only (device ids, moments a SIM went missing)."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the entry's store; nothing is read until ``async_load``."""
        self._entry_id = entry_id
        self._store = self.store(hass, entry_id)

    @classmethod
    def store(cls, hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
        """The Store of one entry."""
        key = f"{DOMAIN}.{entry_id}.{cls.NAME}"
        return Store(hass, STORAGE_VERSION, key, private=cls.PRIVATE)

    @classmethod
    async def async_remove(cls, hass: HomeAssistant, entry_id: str) -> None:
        """Delete what an entry kept here, when the entry is deleted."""
        await cls.store(hass, entry_id).async_remove()

    @callback
    def _async_schedule_save(self) -> None:
        self._store.async_delay_save(self._as_dict, self.SAVE_DELAY)

    async def async_save(self) -> None:
        """Write now (on unload), so a reload or restart finds the latest state."""
        await self._store.async_save(self._as_dict())

    @abstractmethod
    def _as_dict(self) -> dict[str, Any]:
        """What to write: the subclass's state as plain data."""
