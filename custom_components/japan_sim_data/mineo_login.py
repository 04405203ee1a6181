"""mineo's login on disk: written the moment it rotates, checked when the entry loads.

A refresh token works once, so after a renewal the spent token is worthless and the new one
exists only in memory. Config entries reach disk on Home Assistant's delayed save
(``ConfigEntries._async_schedule_save``, a second later): a crash in that second would leave
only the spent token. So the newest tokens also go to a store of their own, written at once
(``Store.async_save``, atomically) and awaited before the adapter sends anything else; the
entry data follows on the usual delay. Every writer of new tokens (a renewal, the
re-authentication flow) writes this store first, so when it holds a login, that is the newest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.storage import Store

from .carriers.base import anonymous_id
from .carriers.errors import CarrierParseError
from .carriers.http import check_token
from .carriers.mineo_figures import MAX_ID_LENGTH
from .carriers.mineo_tokens import subject
from .carriers.models import Carrier
from .const import (
    CONF_ACCOUNT_ID,
    CONF_DEVICE_ID,
    CONF_ID_TOKEN,
    CONF_ID_TOKEN_EXPIRES,
    CONF_REFRESH_TOKEN,
    DOMAIN,
    LOGGER,
)
from .identifiers import async_get_installation_key

STORAGE_VERSION: Final = 1
TOKEN_FIELDS: Final = (CONF_REFRESH_TOKEN, CONF_ID_TOKEN, CONF_ID_TOKEN_EXPIRES)
"""What the store holds: the login and nothing else (the account's name may join it)."""
_ACCOUNT_ID: Final = re.compile(r"[0-9a-f]{16}")
"""carriers.base.anonymous_id's shape."""
_MAX_EXPIRY_LENGTH: Final = 64


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store(
        hass,
        STORAGE_VERSION,
        f"{DOMAIN}.{entry_id}.mineo_login",
        private=True,
        atomic_writes=True,
    )


async def async_save_login(hass: HomeAssistant, entry_id: str, secrets: Mapping[str, Any]) -> None:
    """Write the login to disk now (not on a delay); nothing happens without a refresh token."""
    if not isinstance(secrets.get(CONF_REFRESH_TOKEN), str):
        return
    record = {
        key: value
        for key in (*TOKEN_FIELDS, CONF_ACCOUNT_ID)
        if isinstance(value := secrets.get(key), str)
    }
    await _store(hass, entry_id).async_save(record)


async def async_remove_login(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the stored login of an entry that is being deleted."""
    await _store(hass, entry_id).async_remove()


async def async_prepare_login(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Put the newest, checked login in the entry's data before the adapter is built from it.

    An entry from before the account's name was stored gets it here, from the stored id_token,
    when that is the name its unique id was made from: the entry keeps its unique id.
    """
    data = await async_load_login(hass, entry)
    if CONF_ACCOUNT_ID not in data and (claimed := subject(data.get(CONF_ID_TOKEN))) is not None:
        named = anonymous_id(Carrier.MINEO, claimed)
        try:
            key = await async_get_installation_key(hass)
        except HomeAssistantError:
            key = None  # setup reports an unreadable key itself
        if key is not None and key.account_id(named) == entry.unique_id:
            data[CONF_ACCOUNT_ID] = named
    if data != entry.data:
        hass.config_entries.async_update_entry(entry, data=data)


async def async_load_login(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, Any]:
    """The entry's data with the newest login in it, every field checked.

    Raises ConfigEntryAuthFailed (Home Assistant then asks for a new refresh token) when no
    usable login is left: damaged data must never stop setup with a traceback.
    """
    data = dict(entry.data)
    record = await _store(hass, entry.entry_id).async_load()
    if isinstance(record, dict) and _token(record.get(CONF_REFRESH_TOKEN)) is not None:
        # The store is the newest login: its tokens replace the entry's, id_token included.
        for key in TOKEN_FIELDS:
            data.pop(key, None)
        data.update({key: record[key] for key in TOKEN_FIELDS if key in record})
        if _account_id(data.get(CONF_ACCOUNT_ID)) is None:
            data[CONF_ACCOUNT_ID] = record.get(CONF_ACCOUNT_ID)
    elif record is not None:
        LOGGER.warning("The saved mineo login of %s is unreadable; using the entry's", entry.title)
    return checked_login(data)


def checked_login(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with every login field usable or left out; ConfigEntryAuthFailed if it cannot be.

    The refresh token and the app id are needed; an unreadable id_token, expiry or account
    name is dropped (the login is then renewed, the name learned again).
    """
    refresh_token = _token(data.get(CONF_REFRESH_TOKEN))
    aid = _token(data.get(CONF_DEVICE_ID), max_length=MAX_ID_LENGTH)
    if refresh_token is None or aid is None:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="stored_login_damaged",
            translation_placeholders={"carrier": "mineo"},
        )
    checked = {
        key: value for key, value in data.items() if key not in (*TOKEN_FIELDS, CONF_ACCOUNT_ID)
    }
    checked |= {CONF_REFRESH_TOKEN: refresh_token, CONF_DEVICE_ID: aid}
    id_token = _token(data.get(CONF_ID_TOKEN))
    expires = data.get(CONF_ID_TOKEN_EXPIRES)
    if id_token is not None and isinstance(expires, str) and len(expires) <= _MAX_EXPIRY_LENGTH:
        checked |= {CONF_ID_TOKEN: id_token, CONF_ID_TOKEN_EXPIRES: expires}
    if (account_id := _account_id(data.get(CONF_ACCOUNT_ID))) is not None:
        checked[CONF_ACCOUNT_ID] = account_id
    return checked


def _token(value: Any, *, max_length: int | None = None) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        if max_length is None:
            return check_token(value.strip(), "stored login")
        return check_token(value.strip(), "stored login", max_length=max_length)
    except CarrierParseError:
        return None


def _account_id(value: Any) -> str | None:
    return value if isinstance(value, str) and _ACCOUNT_ID.fullmatch(value) else None
