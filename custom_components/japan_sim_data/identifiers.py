"""Identifiers that cannot be reversed: carrier ids keyed with a secret of this installation.

Unique ids and device identifiers end up in Home Assistant's registries, backups and bug
reports. A plain hash of a phone number is reversed in seconds (there are only so many
numbers), so every account and SIM identifier is an HMAC under a random key that never leaves
this installation's storage.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.singleton import singleton
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER

STORAGE_KEY: Final = f"{DOMAIN}.installation"
STORAGE_VERSION: Final = 1
_SECRET_BYTES: Final = 32
_HEX_SECRET: Final = re.compile(rf"[0-9a-f]{{{2 * _SECRET_BYTES}}}")
_ID_LENGTH: Final = 32


@dataclass(frozen=True, slots=True)
class InstallationKey:
    """The secret that keys this installation's identifiers."""

    secret: bytes = field(repr=False)

    def account_id(self, carrier_account_id: str) -> str:
        """The config entry unique id of a carrier account."""
        return self._keyed("account", carrier_account_id)

    def sim_id(self, carrier: str, carrier_sim_id: str) -> str:
        """The identifier of a SIM's device and the stem of its entities' unique ids."""
        return self._keyed("sim", carrier, carrier_sim_id)

    def _keyed(self, *parts: str) -> str:
        return _keyed(self.secret, "\x1f".join(parts))


# Every poll asks for each SIM's identifier (device clean-up, the calendar's uids): the same few
# values, each an HMAC, so they are kept.
@lru_cache(maxsize=1024)
def _keyed(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()[:_ID_LENGTH]


@singleton(f"{DOMAIN}_installation_key")
async def async_get_installation_key(hass: HomeAssistant) -> InstallationKey:
    """Load this installation's key, making one the first time."""
    store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY, private=True)
    stored = await store.async_load()
    secret = stored.get("secret") if isinstance(stored, dict) else None
    if isinstance(secret, str) and _HEX_SECRET.fullmatch(secret):
        return InstallationKey(bytes.fromhex(secret))
    if stored is not None:
        # Unreadable: a new key gives every SIM new ids, which beats refusing to start.
        LOGGER.warning("The stored installation key is unreadable; a new one is made")
    key = InstallationKey(secrets.token_bytes(_SECRET_BYTES))
    await store.async_save({"secret": key.secret.hex()})
    return key
