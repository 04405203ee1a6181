"""What every kind of login shares: the entry being changed, the finisher, login errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Final

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType

from .adapters import CarrierProfile
from .carriers.base import CarrierAdapter
from .carriers.errors import CarrierError
from .const import CONF_PHONE_NUMBER, LOGGER
from .error_keys import error_key, short_error_text
from .identifiers import InstallationKeyUnreadableError, async_get_installation_key

PASSWORD_SELECTOR: Final = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)
EMAIL_SELECTOR: Final = TextSelector(
    TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="email")
)


def entry_title(profile: CarrierProfile, data: Mapping[str, Any]) -> str:
    """Name the entry so accounts can be told apart without revealing the login.

    Home Assistant logs titles (e.g. "not ready yet"), so only a hint of the login is kept:
    a phone number's last four digits, or the first two characters of a login id.
    """
    login = str(data[profile.login_field]).strip()
    if profile.login_field == CONF_PHONE_NUMBER:
        hint = "".join(ch for ch in login if ch.isdigit())[-4:]
    else:
        hint = f"{login[:2]}***"
    # β: the route is experimental (LINEMO), and the entry says so wherever it is listed.
    return f"{profile.name} {hint} (β)" if profile.experimental else f"{profile.name} {hint}"


async def async_guarded(call: Coroutine[Any, Any, Any], carrier_name: str) -> str | None:
    """Await a login call; return the form error it ends in, or None."""
    try:
        await call
    except CarrierError as err:
        LOGGER.debug("%s login failed: %s", carrier_name, short_error_text(err))
        return error_key(err, "unexpected_answer")
    except Exception:  # noqa: BLE001 - a form error beats a crashed flow
        LOGGER.exception("Unexpected error while logging in to %s", carrier_name)
        return "unknown"
    return None


class EntryFinisher(ConfigFlow):
    """The end every kind of login shares: one place that creates or updates the entry."""

    def _changed_entry(self) -> ConfigEntry[Any] | None:
        """The entry being re-authenticated or reconfigured; None while adding one."""
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        if self.source == SOURCE_RECONFIGURE:
            return self._get_reconfigure_entry()
        return None

    async def _async_account_unique_id(self, adapter: CarrierAdapter) -> str:
        """The entry's unique id: the account's id, keyed so it reveals nothing."""
        try:
            key = await async_get_installation_key(self.hass)
        except InstallationKeyUnreadableError:
            # A new key would give the same account another id: a duplicate entry.
            raise AbortFlow("installation_key_unreadable") from None
        return key.account_id(adapter.account_id)

    async def _async_finish(
        self,
        data: dict[str, Any],
        title: str,
        *,
        unique_id: str | None = None,
        before: Callable[[ConfigEntry[Any] | None], Awaitable[None]] | None = None,
    ) -> ConfigFlowResult:
        """Create the entry, or update (and reload) the one being changed, like tailwind's.

        With ``unique_id`` (the account's), a new entry must be a new account and a changed
        one the same account. ``before`` runs once the account is known to be right (the
        verified login is handed over, a rotated token saved).
        """
        entry = self._changed_entry()
        if unique_id is not None:
            await self.async_set_unique_id(unique_id)
            if entry is None:
                self._abort_if_unique_id_configured()
            else:
                self._abort_if_unique_id_mismatch(reason="wrong_account")
        if before is not None:
            await before(entry)
        if entry is None:
            return self.async_create_entry(title=title, data=data)
        return self.async_update_reload_and_abort(entry, data=data)
