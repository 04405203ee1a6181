"""The password steps of the config flow: IIJmio, SoftBank, Y!mobile and LINEMO.

A login id (mioID or e-mail, or a phone number) and a password, checked by logging in before
the entry is created or changed. The session that logged in is handed to the entry's setup
(credentials.py), so setup does not log in a second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import aiohttp
import probatio as vol
from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType

from .adapters import CARRIER_PROFILES, CarrierProfile
from .carriers.base import CarrierAdapter
from .carriers.models import Carrier
from .const import CONF_CARRIER, CONF_PHONE_NUMBER
from .credentials import (
    VerifiedLogin,
    async_offer_login,
    login_fingerprint,
    without_rejection,
)
from .flow_common import (
    EMAIL_SELECTOR,
    PASSWORD_SELECTOR,
    EntryFinisher,
    async_guarded,
    entry_title,
)
from .identifiers import async_get_installation_key

_LOGIN_SELECTORS: Final = {
    CONF_EMAIL: EMAIL_SELECTOR,
    CONF_PHONE_NUMBER: TextSelector(
        TextSelectorConfig(type=TextSelectorType.TEL, autocomplete="tel")
    ),
}
_USERNAME_SELECTOR: Final = TextSelector(TextSelectorConfig(autocomplete="username"))

# Japanese mobile numbers have 11 digits (070/080/090); 10 covers older and data-only lines.
_MIN_PHONE_DIGITS: Final = 10


def login_schema(profile: CarrierProfile) -> vol.Schema:
    """The login form of a carrier: its login id (with the right keyboard) and a password."""
    selector = _LOGIN_SELECTORS.get(profile.login_field, _USERNAME_SELECTOR)
    return vol.Schema(
        {
            vol.Required(profile.login_field): selector,
            vol.Required(CONF_PASSWORD): PASSWORD_SELECTOR,
        }
    )


def _changed_login(
    entry: ConfigEntry[Any], user_input: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The entry's data with the new login; None before the form is sent.

    The login is checked now: a rejection remembered from before no longer holds.
    """
    return None if user_input is None else without_rejection({**entry.data, **user_input})


def _form_errors(error: str) -> dict[str, str]:
    """A form's errors: one about a field is shown under that field, any other above the form."""
    return {CONF_PHONE_NUMBER: error} if error == "invalid_phone_number" else {"base": error}


class PasswordLoginFlow(EntryFinisher):
    """The password steps; the integration's flow class inherits them."""

    def __init__(self) -> None:
        """Start with no verified login."""
        super().__init__()
        self._verified: VerifiedLogin | None = None
        """The login the last password step verified, until it is handed to setup."""

    @callback
    def async_remove(self) -> None:
        """Let go of a verified login that no entry took over."""
        self._release_verified()
        super().async_remove()

    async def async_step_iijmio(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the mioID and password, and log in before creating the entry."""
        return await self._async_step_password_login(Carrier.IIJMIO, user_input)

    async def async_step_softbank(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the SoftBank phone number and password."""
        return await self._async_step_password_login(Carrier.SOFTBANK, user_input)

    async def async_step_ymobile(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the Y!mobile phone number and password."""
        return await self._async_step_password_login(Carrier.YMOBILE, user_input)

    async def async_step_linemo(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the LINEMO phone number and password."""
        return await self._async_step_password_login(Carrier.LINEMO, user_input)

    async def _async_step_password_login(
        self, carrier: Carrier, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        profile = CARRIER_PROFILES[carrier]
        return await self._async_login_form(
            carrier.value,
            None if user_input is None else {CONF_CARRIER: carrier.value, **user_input},
            self.add_suggested_values_to_schema(
                login_schema(profile),
                {profile.login_field: (user_input or {}).get(profile.login_field)},
            ),
        )

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password of the same account."""
        entry = self._get_reauth_entry()
        profile = CARRIER_PROFILES[Carrier(entry.data[CONF_CARRIER])]
        return await self._async_login_form(
            "reauth_confirm",
            _changed_login(entry, user_input),
            vol.Schema({vol.Required(CONF_PASSWORD): PASSWORD_SELECTOR}),
            {"carrier": profile.name, "account": entry.title},
        )

    async def _async_step_password_reconfigure(
        self, entry: ConfigEntry[Any], user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Change the login id or password of the same account."""
        profile = CARRIER_PROFILES[Carrier(entry.data[CONF_CARRIER])]
        return await self._async_login_form(
            "reconfigure",
            _changed_login(entry, user_input),
            self.add_suggested_values_to_schema(
                login_schema(profile),
                {profile.login_field: (user_input or entry.data).get(profile.login_field)},
            ),
        )

    async def _async_login_form(
        self,
        step_id: str,
        data: dict[str, Any] | None,
        schema: vol.Schema,
        placeholders: dict[str, str] | None = None,
    ) -> ConfigFlowResult:
        """Log in with ``data`` once the form is sent; until then, the form with its errors."""
        errors: dict[str, str] = {}
        if data is not None:
            result, errors = await self._async_login(data)
            if result is not None:
                return result
        return self.async_show_form(
            step_id=step_id,
            data_schema=schema,
            description_placeholders=placeholders,
            errors=errors,
        )

    async def _async_login(
        self, data: dict[str, Any]
    ) -> tuple[ConfigFlowResult | None, dict[str, str]]:
        """Log in with ``data``: the finished flow, or the form's errors."""
        account_id, error = await self._async_try_login(data)
        if error is not None:
            return None, _form_errors(error)
        profile = CARRIER_PROFILES[Carrier(data[CONF_CARRIER])]

        async def hand_over(_entry: ConfigEntry[Any] | None) -> None:
            await self._async_hand_over(data)

        return await self._async_finish(
            data, entry_title(profile, data), unique_id=account_id, before=hand_over
        ), {}

    async def _async_try_login(self, data: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """Log in with ``data``; return the account's id and the form error, if any."""
        profile = CARRIER_PROFILES[Carrier(data[CONF_CARRIER])]
        if profile.login_field == CONF_PHONE_NUMBER and (
            sum(ch.isdigit() for ch in data[CONF_PHONE_NUMBER]) < _MIN_PHONE_DIGITS
        ):
            return None, "invalid_phone_number"
        self._release_verified()
        session = async_create_clientsession(
            self.hass, auto_cleanup=False, cookie_jar=aiohttp.CookieJar()
        )
        adapter: CarrierAdapter = profile.build(session, data, {})
        if (error := await async_guarded(adapter.async_login(), profile.name)) is not None:
            # Home Assistant's sessions share its connector: detach, never close.
            session.detach()
            return None, error
        # Kept logged in: the entry's setup takes this session over (credentials.py), or the
        # flow lets it go when it ends.
        self._verified = VerifiedLogin(adapter, session, fingerprint="")
        return await self._async_account_unique_id(adapter), None

    @callback
    def _release_verified(self) -> None:
        if self._verified is not None:
            self._verified.release()
            self._verified = None

    async def _async_hand_over(self, data: Mapping[str, Any]) -> None:
        """Let the entry's setup use the login just verified, instead of logging in again."""
        if (verified := self._verified) is None or self.unique_id is None:
            return
        self._verified = None
        key = await async_get_installation_key(self.hass)
        profile = CARRIER_PROFILES[Carrier(data[CONF_CARRIER])]
        verified.fingerprint = login_fingerprint(key, data, profile.secret_keys)
        async_offer_login(self.hass, self.unique_id, verified)
