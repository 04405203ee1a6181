"""The coordinator an entry gets: a carrier account's polling one, or a tracked SIM's.

The one place that tells the kinds of entry apart at setup; everything after asks the
coordinator's own hooks (coordinator.py). tracker.py is imported only for a tracked SIM.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.aiohttp_client import async_create_clientsession

from .adapters import CARRIER_PROFILES, CarrierProfile
from .carriers.base import CarrierAdapter
from .carriers.errors import CarrierError
from .carriers.models import Carrier
from .const import CONF_CARRIER, DOMAIN
from .coordinator import JapanSimDataConfigEntry, SimDataCoordinator
from .credentials import (
    CONF_REJECTED_LOGIN,
    async_take_login,
    login_fingerprint,
    without_rejection,
)
from .error_keys import short_error_text
from .identifiers import InstallationKey
from .polling import JapanSimDataCoordinator


def coordinator_type(data: Mapping[str, Any]) -> type[SimDataCoordinator]:
    """The class of an entry's coordinator, from its stored data (ValueError when damaged)."""
    if Carrier(data[CONF_CARRIER]) is Carrier.TRACKER:
        from .tracker_entry import TrackedSimCoordinator  # noqa: PLC0415 - a plan tracker only

        return TrackedSimCoordinator
    return JapanSimDataCoordinator


async def async_create_coordinator(
    hass: HomeAssistant, entry: JapanSimDataConfigEntry, key: InstallationKey
) -> SimDataCoordinator:
    """Make and load the entry's coordinator, before its first figures.

    KeyError, TypeError or ValueError when the entry's data is damaged (setup raises a
    repair issue); ConfigEntryAuthFailed when its login cannot be used.
    """
    carrier = Carrier(entry.data[CONF_CARRIER])
    coordinator: SimDataCoordinator
    if carrier is Carrier.TRACKER:
        # A SIM without a carrier API: figures from the user's plan, counters and notices.
        from .tracker_entry import TrackedSimCoordinator  # noqa: PLC0415 - a plan tracker only

        coordinator = TrackedSimCoordinator(hass, entry)
    else:
        if carrier is Carrier.MINEO:
            from .mineo_login import async_prepare_login  # noqa: PLC0415 - mineo only

            # The newest login may be in its own store, written as it rotated; damaged → reauth.
            await async_prepare_login(hass, entry)
        profile = CARRIER_PROFILES[carrier]
        coordinator = JapanSimDataCoordinator(
            hass,
            entry,
            _adapter(hass, entry, profile, key),
            profile.name,
            key,
            credential_keys=profile.secret_keys,
        )
    await coordinator.async_load()
    return coordinator


def _adapter(
    hass: HomeAssistant,
    entry: JapanSimDataConfigEntry,
    profile: CarrierProfile,
    key: InstallationKey,
) -> CarrierAdapter:
    """The account's adapter: the one the config flow just logged in with, or a new one.

    Credentials the carrier already rejected are not sent again, even after a restart: the
    entry goes straight to reauthentication.
    """
    _check_login_data(entry.data, profile)
    fingerprint = login_fingerprint(key, entry.data, profile.secret_keys)
    if (marker := entry.data.get(CONF_REJECTED_LOGIN)) is not None:
        if marker == fingerprint:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="login_rejected_earlier",
                translation_placeholders={"carrier": profile.name},
            )
        # New credentials since the rejection: they get their chance.
        hass.config_entries.async_update_entry(entry, data=without_rejection(entry.data))
    if (verified := async_take_login(hass, entry.unique_id, fingerprint)) is not None:
        # The flow logged in a moment ago: its session carries the login, so setup does not
        # log in again. It goes with the entry, as the entry's own session would.
        entry.async_on_unload(verified.session.detach)
        return verified.adapter
    # One session per account, so cookies never mix; closed when the entry unloads.
    session = async_create_clientsession(hass, cookie_jar=aiohttp.CookieJar())
    try:
        return profile.build(session, entry.data, entry.options)
    except CarrierError as err:
        # A stored token the library refuses to send (check_token): a new login is needed.
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="invalid_auth",
            translation_placeholders={"carrier": profile.name, "error": short_error_text(err)},
        ) from None


def _check_login_data(data: Mapping[str, Any], profile: CarrierProfile) -> None:
    """Refuse stored login data of the wrong kind before anything is sent with it."""
    if not isinstance(data.get(profile.login_field), str) or not data[profile.login_field]:
        raise TypeError(profile.login_field)
    for name in profile.secret_keys:
        if not isinstance(data.get(name), str | None):
            raise TypeError(name)
