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
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.singleton import singleton
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER

STORAGE_KEY: Final = f"{DOMAIN}.installation"
STORAGE_VERSION: Final = 1
_SECRET_BYTES: Final = 32
_HEX_SECRET: Final = re.compile(rf"[0-9a-f]{{{2 * _SECRET_BYTES}}}")
_ID_LENGTH: Final = 32
KEY_UNREADABLE_ISSUE: Final = "installation_key_unreadable"
"""The repair issue raised when the stored key cannot be read; its fix makes a new key."""
# Entries from 1.2 on are keyed: their existence proves a key was made and stored before.
_KEYED_SINCE: Final = (1, 2)


class InstallationKeyUnreadableError(HomeAssistantError):
    """The stored key is unreadable: a new one would give every SIM new ids (and `_2` entities)."""


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

    def credentials_id(self, *parts: str) -> str:
        """A fingerprint of credentials, to recognise them later without keeping them.

        Not cached like the identifiers: passwords have no business in a long-lived cache.
        """
        message = "\x1f".join(("credentials", *parts)).encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:_ID_LENGTH]

    def _keyed(self, *parts: str) -> str:
        return _keyed(self.secret, "\x1f".join(parts))


# Every poll asks for each SIM's identifier (device clean-up, the calendar's uids): the same few
# values, each an HMAC, so they are kept.
@lru_cache(maxsize=1024)
def _keyed(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()[:_ID_LENGTH]


@singleton(f"{DOMAIN}_installation_key")
async def async_get_installation_key(hass: HomeAssistant) -> InstallationKey:
    """Load this installation's key, making one the first time.

    Raises InstallationKeyUnreadableError (and a repair issue) when a key was made before but
    cannot be read now: entries then stay unloaded rather than re-create every entity under new
    ids. Nothing is cached on failure, so a restored file is read at the next setup.
    """
    store = _store(hass)
    stored: object
    try:
        stored = await store.async_load()
    except HomeAssistantError:
        # An unsupported version, a file that cannot be opened: unreadable all the same.
        stored = _UNREADABLE
    secret = stored.get("secret") if isinstance(stored, dict) else None
    if isinstance(secret, str) and _HEX_SECRET.fullmatch(secret):
        ir.async_delete_issue(hass, DOMAIN, KEY_UNREADABLE_ISSUE)
        return InstallationKey(bytes.fromhex(secret))
    # Home Assistant moves a corrupt file aside and reads nothing: keyed entries tell it apart
    # from a first start.
    if stored is not None or _keyed_entries_exist(hass):
        LOGGER.error(
            "The stored installation key is unreadable; Japan SIM Data entries are not set up, "
            "so their entities keep their ids. Restore %s from a backup, or accept new ids "
            "from the repair issue",
            store.path,
        )
        ir.async_create_issue(
            hass,
            DOMAIN,
            KEY_UNREADABLE_ISSUE,
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=KEY_UNREADABLE_ISSUE,
        )
        raise InstallationKeyUnreadableError(
            translation_domain=DOMAIN, translation_key=KEY_UNREADABLE_ISSUE
        )
    return await _async_new_key(store)


async def async_replace_installation_key(hass: HomeAssistant) -> None:
    """Make a new key after the user accepted new ids for every SIM (the repair's fix)."""
    await _async_new_key(_store(hass))
    hass.data.pop(f"{DOMAIN}_installation_key", None)
    ir.async_delete_issue(hass, DOMAIN, KEY_UNREADABLE_ISSUE)


_UNREADABLE: Final = object()


def _store(hass: HomeAssistant) -> Store[dict[str, Any]]:
    return Store(hass, STORAGE_VERSION, STORAGE_KEY, private=True)


def _keyed_entries_exist(hass: HomeAssistant) -> bool:
    return any(
        (entry.version, entry.minor_version) >= _KEYED_SINCE
        for entry in hass.config_entries.async_entries(DOMAIN)
    )


async def _async_new_key(store: Store[dict[str, Any]]) -> InstallationKey:
    key = InstallationKey(secrets.token_bytes(_SECRET_BYTES))
    await store.async_save({"secret": key.secret.hex()})
    return key
