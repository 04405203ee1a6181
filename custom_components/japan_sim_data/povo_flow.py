"""The povo steps of the config flow: an e-mail address, then the code povo e-mails to it.

The code request and the code submission must share cookies, so the flow keeps one session
from the request to the end (detached, never closed: Home Assistant's sessions share its
connector). Re-authentication and Reconfigure send a new code to the same address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import probatio as vol
from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_EMAIL
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.selector import BooleanSelector, TextSelector, TextSelectorConfig

from .adapters import CARRIER_PROFILES
from .carriers.models import Carrier
from .const import CONF_AUTH_TOKEN, CONF_CARRIER, CONF_CODE, CONF_DEVICE_ID, CONF_RESEND_CODE
from .credentials import without_rejection
from .flow_common import EMAIL_SELECTOR, EntryFinisher, async_guarded, entry_title

if TYPE_CHECKING:
    from .carriers.povo import PovoAdapter

_POVO: Final = "povo 2.0"
_CODE_SELECTOR: Final = TextSelector(TextSelectorConfig(autocomplete="one-time-code"))


class PovoLoginFlow(EntryFinisher):
    """The povo steps; the integration's flow class inherits them."""

    def __init__(self) -> None:
        """Start with no code requested."""
        super().__init__()
        self._povo: PovoAdapter | None = None
        self._povo_session: aiohttp.ClientSession | None = None
        self._povo_data: dict[str, Any] = {}

    @callback
    def async_remove(self) -> None:
        """Let go of the session a code request kept open."""
        self._close_povo_session()
        super().async_remove()

    async def async_step_povo(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the povo account's e-mail address, then have povo send a code to it."""
        from .carriers.povo import new_device_id  # noqa: PLC0415 - when povo is picked

        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                CONF_CARRIER: Carrier.POVO.value,
                CONF_EMAIL: user_input[CONF_EMAIL].strip(),
                CONF_DEVICE_ID: new_device_id(),
            }
            adapter = self._povo_adapter(data)
            await self.async_set_unique_id(await self._async_account_unique_id(adapter))
            self._abort_if_unique_id_configured()
            if (error := await self._async_request_povo_code(adapter, data)) is None:
                return await self.async_step_povo_code()
            errors["base"] = error
        return self.async_show_form(
            step_id="povo",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Required(CONF_EMAIL): EMAIL_SELECTOR}), user_input or {}
            ),
            errors=errors,
        )

    async def async_step_povo_code(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the one-time code; a new code can be requested from here."""
        assert self._povo is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input.get(CONF_RESEND_CODE):
                if (error := await self._async_request_povo_code(self._povo, None)) is not None:
                    errors["base"] = error
            else:
                errors = await self._async_submit_povo_code(user_input.get(CONF_CODE, ""))
                if not errors:
                    return await self._async_finish_povo()
        return self.async_show_form(
            step_id="povo_code",
            data_schema=vol.Schema(
                {
                    vol.Optional(CONF_CODE): _CODE_SELECTOR,
                    vol.Optional(CONF_RESEND_CODE, default=False): BooleanSelector(),
                }
            ),
            description_placeholders={"email": self._povo_data[CONF_EMAIL]},
            errors=errors,
        )

    async def async_step_povo_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain that povo needs a new code, and send it when the user is ready."""
        entry = self._changed_entry()
        assert entry is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            data = dict(entry.data)
            if (
                error := await self._async_request_povo_code(self._povo_adapter(data), data)
            ) is None:
                return await self.async_step_povo_code()
            errors["base"] = error
        return self.async_show_form(
            step_id="povo_reauth",
            description_placeholders={"email": entry.data[CONF_EMAIL]},
            errors=errors,
        )

    def _povo_adapter(self, data: Mapping[str, Any]) -> PovoAdapter:
        from .carriers.povo import PovoAdapter  # noqa: PLC0415 - when povo is picked

        # The code request and the code submission must share cookies: one session per flow.
        self._close_povo_session()
        self._povo_session = async_create_clientsession(
            self.hass, auto_cleanup=False, cookie_jar=aiohttp.CookieJar()
        )
        return PovoAdapter(
            self._povo_session, email=data[CONF_EMAIL], device_id=data[CONF_DEVICE_ID]
        )

    @callback
    def _close_povo_session(self) -> None:
        if self._povo_session is not None:
            # Home Assistant's sessions share its connector: detach, never close.
            self._povo_session.detach()
            self._povo_session = None

    async def _async_request_povo_code(
        self, adapter: PovoAdapter, data: dict[str, Any] | None
    ) -> str | None:
        error = await async_guarded(adapter.async_request_code(), _POVO)
        if error is None:
            self._povo = adapter
            if data is not None:
                self._povo_data = data
        return error

    async def _async_submit_povo_code(self, code: str) -> dict[str, str]:
        assert self._povo is not None
        if not code.strip():
            return {CONF_CODE: "invalid_code"}
        error = await async_guarded(self._povo.async_submit_code(code), _POVO)
        if error == "invalid_code":
            return {CONF_CODE: error}
        return {"base": error} if error else {}

    async def _async_finish_povo(self) -> ConfigFlowResult:
        assert self._povo is not None
        data = without_rejection(
            {**self._povo_data, CONF_AUTH_TOKEN: self._povo.refreshed_secrets()[CONF_AUTH_TOKEN]}
        )
        return await self._async_finish(data, entry_title(CARRIER_PROFILES[Carrier.POVO], data))
