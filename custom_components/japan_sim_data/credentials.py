"""What the integration remembers about a login: that the carrier refused it, or just verified it.

A refused login is remembered in the entry as a keyed fingerprint of the credentials, so a
restart does not send them again (carriers lock accounts after repeated failures), and new
credentials clear it by no longer matching. A login the config flow just verified is handed to
the entry's setup for a short while, so adding or re-authenticating an account logs in once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util.hass_dict import HassKey

from .carriers.base import CarrierAdapter
from .const import DOMAIN
from .identifiers import InstallationKey

CONF_REJECTED_LOGIN: Final = "rejected_login"
"""Entry data: the fingerprint of credentials the carrier rejected; never the credentials."""

HANDOFF_SECONDS: Final = 60.0
"""How long a login the flow verified waits for the entry's setup before it is let go."""

_HANDOFFS: HassKey[dict[str, VerifiedLogin]] = HassKey(f"{DOMAIN}_verified_logins")


def login_fingerprint(key: InstallationKey, data: Mapping[str, Any], fields: Iterable[str]) -> str:
    """A keyed fingerprint of the entry's credentials: equal only for the same credentials."""
    return key.credentials_id(*(f"{name}={data.get(name)!r}" for name in sorted(fields)))


def without_rejection(data: Mapping[str, Any]) -> dict[str, Any]:
    """Entry data with no memory of a rejection (after a login that worked)."""
    return {name: value for name, value in data.items() if name != CONF_REJECTED_LOGIN}


@dataclass(slots=True)
class VerifiedLogin:
    """An adapter the config flow logged in with, and the session that holds its login."""

    adapter: CarrierAdapter
    session: aiohttp.ClientSession
    fingerprint: str
    cancel_expiry: CALLBACK_TYPE | None = None

    @callback
    def release(self) -> None:
        """Let the login go: Home Assistant's sessions share its connector, so detach."""
        if self.cancel_expiry is not None:
            self.cancel_expiry()
            self.cancel_expiry = None
        self.session.detach()


@callback
def async_offer_login(hass: HomeAssistant, unique_id: str, login: VerifiedLogin) -> None:
    """Keep a verified login for the setup of the entry ``unique_id``, for a short while."""
    offered = hass.data.setdefault(_HANDOFFS, {})
    if (previous := offered.pop(unique_id, None)) is not None:
        previous.release()

    @callback
    def expire(_now: Any) -> None:
        if offered.get(unique_id) is login:
            login.cancel_expiry = None
            offered.pop(unique_id).release()

    login.cancel_expiry = async_call_later(hass, HANDOFF_SECONDS, expire)
    offered[unique_id] = login


@callback
def async_take_login(
    hass: HomeAssistant, unique_id: str | None, fingerprint: str
) -> VerifiedLogin | None:
    """The login the flow verified for this entry, if it is for the same credentials.

    The caller owns the session from then on.
    """
    offered = hass.data.get(_HANDOFFS, {})
    login = offered.pop(unique_id, None) if unique_id is not None else None
    if login is None:
        return None
    if login.cancel_expiry is not None:
        login.cancel_expiry()
        login.cancel_expiry = None
    if login.fingerprint != fingerprint:
        login.release()
        return None
    return login
