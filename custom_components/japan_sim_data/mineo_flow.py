"""The mineo steps of the config flow: paste an eo ID refresh token, checked before it is kept.

A refresh token works once: checking it spends it, and the adapter that checked it holds the
next one. So the entry is created from that adapter's tokens, never from what was pasted, and
a form shown again after a later failure keeps the adapter, should the same token be sent
again; on re-authentication the new tokens are written to disk at once (mineo_login.py). The
entry is keyed by the account's name from the check, which mineo's API verified, and keeps it.
No reference shows the app's authorize request, hence no browser login (README).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from uuid import uuid4

import probatio as vol
from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigFlowResult
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType

from .carriers.errors import CarrierAuthError, CarrierError, CarrierParseError
from .carriers.http import check_token
from .carriers.models import Carrier
from .const import CONF_CARRIER, CONF_DEVICE_ID, CONF_REFRESH_TOKEN, LOGGER
from .error_keys import error_key, short_error_text
from .flow_common import EntryFinisher

if TYPE_CHECKING:
    from .carriers.mineo import MineoAdapter

README_GUIDE: Final = "https://github.com/japan-sim-data/japan-sim-data#mineo"
"""Where the step-by-step guide is (English, Japanese, Chinese)."""

_TOKEN_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_REFRESH_TOKEN): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="off")
        )
    }
)


class MineoLoginFlow(EntryFinisher):
    """The mineo steps; the integration's flow class inherits them."""

    _mineo: MineoAdapter | None = None
    _mineo_pasted: str | None = None

    async def async_step_mineo(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for a refresh token, check it with mineo, and add the eo ID's lines."""
        errors: dict[str, str] = {}
        if user_input is not None:
            adapter, error = await self._async_check_mineo(user_input[CONF_REFRESH_TOKEN], None)
            if adapter is not None:
                return await self._async_finish(
                    _data(adapter),
                    mineo_title(adapter),
                    unique_id=await self._async_account_unique_id(adapter),
                )
            errors["base"] = error or "unknown"
        return self.async_show_form(
            step_id="mineo",
            data_schema=_TOKEN_SCHEMA,
            description_placeholders={"guide": README_GUIDE},
            errors=errors,
        )

    async def async_step_mineo_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new refresh token of the same eo ID (reauth and reconfigure)."""
        entry = self._changed_entry()
        assert entry is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            adapter, error = await self._async_check_mineo(user_input[CONF_REFRESH_TOKEN], entry)
            if adapter is not None:
                data = {**entry.data, **_data(adapter)}

                async def save_now(entry: ConfigEntry[Any] | None) -> None:
                    # The pasted token is spent: the next one reaches disk now, not on the
                    # entry's delayed save, and after any renewal the running entry had in flight.
                    assert entry is not None
                    await _async_settle(entry)
                    from .mineo_login import async_save_login  # noqa: PLC0415 - mineo only

                    await async_save_login(self.hass, entry.entry_id, data)

                return await self._async_finish(
                    data,
                    entry.title,
                    unique_id=await self._async_account_unique_id(adapter),
                    before=save_now,
                )
            errors["base"] = error or "unknown"
        return self.async_show_form(
            step_id="mineo_reauth",
            data_schema=_TOKEN_SCHEMA,
            description_placeholders={"account": entry.title, "guide": README_GUIDE},
            errors=errors,
        )

    async def _async_check_mineo(
        self, pasted: str, entry: ConfigEntry | None
    ) -> tuple[MineoAdapter | None, str | None]:
        """Renew the login with the pasted token and list the lines; the adapter or an error."""
        from .carriers.mineo import MineoAdapter  # noqa: PLC0415 - when mineo is picked

        pasted = "".join(pasted.split())  # copied tokens often pick up line breaks
        try:
            check_token(pasted, "refresh token")
        except CarrierParseError:
            return None, "invalid_refresh_token"
        adapter = self._mineo
        if adapter is None or pasted != self._mineo_pasted:
            # The same token again after a failure: it is spent, and this adapter holds the next.
            aid = _usable_aid(entry) or str(uuid4()).upper()
            adapter = MineoAdapter(
                async_get_clientsession(self.hass), refresh_token=pasted, aid=aid
            )
            self._mineo, self._mineo_pasted = adapter, pasted
        try:
            await adapter.async_login()
        except CarrierAuthError:
            return None, "invalid_refresh_token"
        except CarrierError as err:
            LOGGER.debug("mineo login failed: %s", short_error_text(err))
            return None, error_key(err, "unexpected_answer")
        except Exception:  # noqa: BLE001 - a form error beats a crashed flow
            LOGGER.exception("Unexpected error while logging in to mineo")
            return None, "unknown"
        return adapter, None


def _usable_aid(entry: ConfigEntry | None) -> str | None:
    """The entry's app id, unless it is missing or damaged (then a new one is made)."""
    from .carriers.mineo_figures import MAX_ID_LENGTH  # noqa: PLC0415 - mineo only

    if entry is None:
        return None
    try:
        return check_token(entry.data.get(CONF_DEVICE_ID), "app id", max_length=MAX_ID_LENGTH)
    except CarrierParseError:
        return None


async def _async_settle(entry: ConfigEntry) -> None:
    """Let a renewal the loaded entry has in flight finish (and keep its token) first."""
    if entry.state is ConfigEntryState.LOADED:
        await entry.runtime_data.coordinator.async_settle()


def _data(adapter: MineoAdapter) -> dict[str, Any]:
    """The entry's data: the tokens the check left (never the spent, pasted one)."""
    return {
        CONF_CARRIER: Carrier.MINEO.value,
        CONF_DEVICE_ID: adapter.aid,
        **adapter.refreshed_secrets(),
    }


def mineo_title(adapter: MineoAdapter) -> str:
    """Name the entry by its first line's last four digits, as other carriers' entries are."""
    suffixes = [line.number_suffix for line in adapter.lines if line.number_suffix]
    return f"mineo {suffixes[0]}" if suffixes else "mineo"
