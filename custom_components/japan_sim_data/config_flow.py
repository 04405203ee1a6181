"""Config flow: pick a carrier, log in, and create one entry per carrier account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
import probatio as vol
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .adapters import CARRIER_PROFILES
from .carriers.errors import (
    CarrierAppVersionError,
    CarrierAuthError,
    CarrierConnectionError,
    CarrierError,
    CarrierMaintenanceError,
    CarrierRateLimitError,
)
from .carriers.models import Carrier
from .const import CONF_CARRIER, DOMAIN, LOGGER

_USERNAME_SELECTOR = TextSelector(TextSelectorConfig(autocomplete="username"))
_PASSWORD_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)


def _error_key(err: CarrierError) -> str:
    """Name the form error for a failed login."""
    if isinstance(err, CarrierAuthError):
        return "invalid_auth"
    if isinstance(err, CarrierRateLimitError):
        return "rate_limited"
    if isinstance(err, CarrierMaintenanceError):
        return "maintenance"
    if isinstance(err, CarrierConnectionError):
        return "cannot_connect"
    if isinstance(err, CarrierAppVersionError):
        return "app_version"
    return "unexpected_answer"


class JapanSimDataConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a carrier account."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user pick the carrier."""
        return self.async_show_menu(
            step_id="user", menu_options=[carrier.value for carrier in CARRIER_PROFILES]
        )

    async def async_step_iijmio(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the mioID and password, and log in before creating the entry."""
        return await self._async_step_password_login(Carrier.IIJMIO, user_input)

    async def _async_step_password_login(
        self, carrier: Carrier, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_CARRIER: carrier.value, **user_input}
            account_id, error = await self._async_try_login(data)
            if error is None:
                await self.async_set_unique_id(account_id)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=f"{CARRIER_PROFILES[carrier].name} {user_input[CONF_USERNAME]}",
                    data=data,
                )
            errors["base"] = error
        return self.async_show_form(
            step_id=carrier.value,
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_USERNAME): _USERNAME_SELECTOR,
                        vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR,
                    }
                ),
                {CONF_USERNAME: (user_input or {}).get(CONF_USERNAME)},
            ),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start re-authentication when the carrier rejected the stored credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password of the same account."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            account_id, error = await self._async_try_login(data)
            if error is None:
                await self.async_set_unique_id(account_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data=data)
            errors["base"] = error
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR}),
            description_placeholders={
                "carrier": CARRIER_PROFILES[Carrier(entry.data[CONF_CARRIER])].name,
                "username": entry.data[CONF_USERNAME],
            },
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the login of the same account (for example a new password)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            account_id, error = await self._async_try_login(data)
            if error is None:
                await self.async_set_unique_id(account_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data=data)
            errors["base"] = error
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_USERNAME): _USERNAME_SELECTOR,
                        vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR,
                    }
                ),
                {CONF_USERNAME: (user_input or entry.data).get(CONF_USERNAME)},
            ),
            errors=errors,
        )

    async def _async_try_login(self, data: Mapping[str, Any]) -> tuple[str, str | None]:
        """Log in with ``data``; return the account's id and the form error, if any."""
        profile = CARRIER_PROFILES[Carrier(data[CONF_CARRIER])]
        session = async_create_clientsession(self.hass, cookie_jar=aiohttp.CookieJar())
        adapter = profile.build(session, data)
        try:
            await adapter.async_login()
        except CarrierError as err:
            LOGGER.debug("%s login failed: %s", profile.name, err)
            return adapter.account_id, _error_key(err)
        except Exception:  # noqa: BLE001 - a form error beats a crashed flow
            LOGGER.exception("Unexpected error while logging in to %s", profile.name)
            return adapter.account_id, "unknown"
        return adapter.account_id, None
