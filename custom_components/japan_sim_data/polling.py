"""The polling coordinator: a carrier account's figures, fetched at a polite interval.

It maps the adapter's errors for Home Assistant (reauthentication only on a real rejection,
back-off, Retry-After, repair issues when the carrier seems to have changed) and keeps what
the adapter renews. What every entry shares is coordinator.SimDataCoordinator.
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from .carriers.base import CarrierAdapter
from .carriers.dates import TOKYO
from .carriers.errors import (
    CarrierAppVersionError,
    CarrierAuthError,
    CarrierConnectionError,
    CarrierError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierRateLimitError,
)
from .carriers.models import AccountUsage, Carrier
from .const import (
    CONF_CARRIER,
    DOMAIN,
    LOGGER,
    MAX_BACKOFF_INTERVAL,
    PARSE_FAILURES_BEFORE_ISSUE,
    UPDATE_INTERVAL,
)
from .coordinator import REPAIR_ISSUES, JapanSimDataConfigEntry, SimDataCoordinator
from .credentials import CONF_REJECTED_LOGIN, login_fingerprint
from .error_keys import error_key, short_error_text
from .identifiers import InstallationKey
from .issues import async_clear_entry_issue, async_raise_entry_issue
from .validity import MAX_LINES, ValidFigures, capped

FETCH_BUDGET: Final = 180.0
"""Seconds one whole update (logins, hops, every request) may take."""

# Doublings of the interval after failures in a row, beyond which the cap holds anyway; the
# exponent stops here so weeks of outage never make an integer too large for a timedelta.
_BACKOFF_DOUBLINGS: Final = max(0, math.ceil(math.log2(MAX_BACKOFF_INTERVAL / UPDATE_INTERVAL)))

# Exceptions a parser can hit on an answer it did not expect; they are carrier changes, not bugs
# to log with a traceback on every poll.
_UNEXPECTED_ANSWER: Final = (
    AttributeError,
    IndexError,
    KeyError,
    OverflowError,
    RecursionError,
    TypeError,
    ValueError,
)


class JapanSimDataCoordinator(SimDataCoordinator):
    """Fetches every SIM of one carrier account at a polite interval."""

    unique_id_is_account = True

    def __init__(
        self,
        hass: HomeAssistant,
        entry: JapanSimDataConfigEntry,
        adapter: CarrierAdapter,
        carrier_name: str,
        key: InstallationKey,
        *,
        credential_keys: frozenset[str] = frozenset(),
    ) -> None:
        """Poll ``adapter`` every UPDATE_INTERVAL, backing off after failures.

        ``credential_keys`` name the entry data a rejection is remembered for (credentials.py).
        """
        super().__init__(hass, entry, adapter.carrier, carrier_name, UPDATE_INTERVAL)
        self.adapter = adapter
        self._key = key
        self._credential_keys = credential_keys
        self.secret_keys = credential_keys
        self._consecutive_failures = 0
        self._carrier_change = _CarrierChangeWatch(hass, entry, carrier_name)
        self._credentials_rejected = False
        self._figures = ValidFigures(hass, self._expired)
        """The last answer as the adapter gave it; ``data`` is what of it is valid now."""
        self.wait_until: datetime | None = None
        """Until when the carrier asked us to wait (Retry-After); a manual refresh waits too."""
        self._lines_capped = False
        # Adapters whose refresh tokens work once (mineo) call this the moment they renew.
        adapter.set_rotation_listener(self._async_store_rotated_secrets)

    @property
    def credentials_rejected(self) -> bool:
        """True after the carrier rejected the credentials, until the user re-authenticates."""
        return self._credentials_rejected

    def diagnostics(self) -> dict[str, Any]:
        """The route the adapter reads, and why a fallback route serves (error kinds, moments)."""
        return {"route": self.adapter.active_route, "route_details": self.adapter.route_details}

    async def async_settle(self) -> None:
        """A token renewal in flight keeps its new refresh token before the session closes."""
        await self.adapter.async_settle()

    @classmethod
    async def async_remove_stored(cls, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """Also delete mineo's login store, kept apart from the entry as it rotates."""
        await super().async_remove_stored(hass, entry)
        if entry.data.get(CONF_CARRIER) == Carrier.MINEO:
            from .mineo_login import async_remove_login  # noqa: PLC0415 - mineo only

            await async_remove_login(hass, entry.entry_id)

    async def async_user_refresh(self) -> None:
        """A refresh the user asked for; refused, with nothing sent, inside Retry-After."""
        wait_until = self.wait_until
        if (
            wait_until is not None
            and dt_util.utcnow() < wait_until
            and not self.credentials_rejected
        ):
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="carrier_asked_to_wait",
                translation_placeholders={
                    "entry_title": self.config_entry.title,
                    "carrier": self.carrier_name,
                    "time": _tokyo_time(wait_until),
                },
            )
        await super().async_user_refresh()

    async def _async_update_data(self) -> AccountUsage:
        if self._credentials_rejected:
            # Nothing is sent with credentials the carrier already refused.
            raise self._translate(CarrierAuthError("The carrier rejected the credentials"))
        try:
            fetched = self._accepted(await self._async_fetch())
        except CarrierAuthError as err:
            # A rejected password is not retried: that is how accounts get locked. Polling
            # resumes when the user re-authenticates and the entry reloads; a restart before
            # then goes straight to reauthentication (remembered in the entry).
            self._credentials_rejected = True
            self.update_interval = None
            self._store_refreshed_secrets()
            self._remember_rejection()
            raise self._translate(err) from err
        except CarrierError as err:
            self._carrier_change.async_track(err)
            self._consecutive_failures += 1
            # Double the wait after each failure in a row: carriers ban clients that hammer;
            # wait longer still when the carrier said how long (bounded by the library).
            doublings = min(self._consecutive_failures - 1, _BACKOFF_DOUBLINGS)
            backoff = min(UPDATE_INTERVAL * 2**doublings, MAX_BACKOFF_INTERVAL)
            wait = timedelta(seconds=_retry_after(err) or 0)
            self.wait_until = dt_util.utcnow() + wait if wait else None
            self.update_interval = max(backoff, wait)
            raise self._translate(err) from err
        finally:
            self._store_refreshed_secrets()
        self._consecutive_failures = 0
        self.wait_until = None
        self.update_interval = UPDATE_INTERVAL
        self._carrier_change.async_track(None)
        self._sync_unique_id()
        valid = self._figures.async_accept(fetched, dt_util.now())
        for hook in list(self._on_success):
            hook(valid)
        return valid

    def _accepted(self, usage: AccountUsage) -> AccountUsage:
        """Check an answer's size before anything is built from it.

        No lines from an account that had some is not a cancellation of every line at once but
        an answer that went wrong: taken as it is, a day of it removes every SIM's device.
        """
        if not usage.sims and self._had_lines():
            raise CarrierParseError("The carrier listed no lines for an account that has some")
        kept = capped(usage)
        if kept is not usage and not self._lines_capped:
            self._lines_capped = True
            LOGGER.warning(
                "%s listed %d lines in one answer; only the first %d are kept, so one answer "
                "cannot flood Home Assistant with devices",
                self.carrier_name,
                len(usage.sims),
                MAX_LINES,
            )
        return kept

    def _had_lines(self) -> bool:
        """True when SIMs of this account were seen: in memory, or as devices after a restart."""
        if self.data is not None and self.data.sims:
            return True
        account = {(DOMAIN, self.config_entry.entry_id)}
        registry = dr.async_get(self.hass)
        return any(
            device.identifiers != account
            for device in dr.async_entries_for_config_entry(registry, self.config_entry.entry_id)
        )

    @callback
    def _expired(self, valid: AccountUsage) -> None:
        """A bucket expired between polls: what entities show follows at once."""
        self.data = valid
        self.async_update_listeners()

    @callback
    def _revalidate(self, now: datetime) -> None:
        if (valid := self._figures.async_valid_at(now)) is not None:
            self.data = valid

    async def async_shutdown(self) -> None:
        """Stop the expiry timer with the coordinator."""
        self._figures.async_cancel()
        await super().async_shutdown()

    @callback
    def _remember_rejection(self) -> None:
        """Keep, in the entry, that these credentials were refused: a restart sends nothing."""
        entry = self.config_entry
        marker = login_fingerprint(self._key, entry.data, self._credential_keys)
        if entry.data.get(CONF_REJECTED_LOGIN) != marker:
            self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_REJECTED_LOGIN: marker}
            )

    async def _async_fetch(self) -> AccountUsage:
        """Fetch within the time budget; an answer a parser chokes on is a carrier change."""
        try:
            async with asyncio.timeout(FETCH_BUDGET):
                return await self.adapter.async_fetch()
        except TimeoutError:
            raise CarrierConnectionError("The carrier did not answer in time") from None
        except _UNEXPECTED_ANSWER as err:
            LOGGER.debug("%s answered in an unexpected way", self.carrier_name, exc_info=True)
            raise CarrierParseError(
                f"The carrier's answer could not be read ({type(err).__name__})"
            ) from None

    @property
    def waits_for_carrier(self) -> bool:
        """True when the last failure was the carrier asking us to wait (429, maintenance).

        Setup then goes ahead without figures and the next poll waits: retrying setup at
        Home Assistant's pace (seconds apart) would hammer a carrier that said "later".
        """
        cause = self.last_exception.__cause__ if self.last_exception else None
        return isinstance(cause, CarrierRateLimitError | CarrierMaintenanceError)

    def _translate(self, err: CarrierError) -> ConfigEntryAuthFailed | UpdateFailed:
        """Turn a library error into what Home Assistant expects, with a translated message."""
        placeholders = {"carrier": self.carrier_name, "error": short_error_text(err)}
        if isinstance(err, CarrierAuthError):
            return ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="invalid_auth",
                translation_placeholders=placeholders,
            )
        if isinstance(err, CarrierParseError):
            self.last_unreadable_answer = err.skeleton
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=error_key(err, "update_failed"),
            translation_placeholders=placeholders,
        )

    @callback
    def _sync_unique_id(self) -> None:
        """Key the entry by the account id the carrier itself gave, once it is known.

        Some carriers accept several logins for one account (IIJmio: mioID or e-mail); their
        adapters learn the account's own id at login, so one account stays one entry.
        """
        unique_id = self._key.account_id(self.adapter.account_id)
        entry = self.config_entry
        if entry.unique_id == unique_id:
            return
        others = self.hass.config_entries.async_entries(DOMAIN, include_ignore=False)
        if any(other.unique_id == unique_id for other in others if other is not entry):
            return
        self.hass.config_entries.async_update_entry(entry, unique_id=unique_id)

    @callback
    def _store_refreshed_secrets(self) -> None:
        """Persist tokens the adapter renewed, so a restart does not need a new login.

        Called after every update, and after each rotation (below). The entry update is
        synchronous; Home Assistant writes it to disk within a second and at stop.
        """
        refreshed = self.adapter.refreshed_secrets()
        if refreshed and any(self.config_entry.data.get(k) != v for k, v in refreshed.items()):
            self.hass.config_entries.async_update_entry(
                self.config_entry, data={**self.config_entry.data, **refreshed}
            )

    async def _async_store_rotated_secrets(self) -> None:
        """Write a rotated login to disk now, before the adapter's next request.

        Adapters with single-use refresh tokens (mineo's ``set_rotation_listener``) await this
        right after a renewal: the spent token is worthless and the new one exists only in
        memory, so the entry's delayed save is not enough (mineo_login.py).
        """
        from .mineo_login import async_save_login  # noqa: PLC0415 - only mineo rotates

        await async_save_login(
            self.hass, self.config_entry.entry_id, self.adapter.refreshed_secrets()
        )
        self._store_refreshed_secrets()


class _CarrierChangeWatch:
    """Raises a repair issue when the carrier seems to have changed its site or app API.

    One unreadable answer can be a glitch; several in a row mean the adapter needs updating,
    and the user can help by reporting it with the diagnostics. An app version the carrier
    refuses says so at once. A success clears both.
    """

    def __init__(
        self, hass: HomeAssistant, entry: JapanSimDataConfigEntry, carrier_name: str
    ) -> None:
        """Watch one account's answers."""
        self._hass = hass
        self._entry = entry
        self._carrier_name = carrier_name
        self._parse_failures = 0
        """Unreadable answers in a row."""

    @callback
    def async_track(self, err: CarrierError | None) -> None:
        """Take one update's outcome: its error, or None after a success."""
        if isinstance(err, CarrierParseError):
            self._parse_failures += 1
        elif not isinstance(err, CarrierAppVersionError):
            self._parse_failures = 0
        active = {
            "carrier_changed": self._parse_failures >= PARSE_FAILURES_BEFORE_ISSUE,
            "app_version": isinstance(err, CarrierAppVersionError),
        }
        for kind in REPAIR_ISSUES:
            if active[kind]:
                async_raise_entry_issue(
                    self._hass, kind, self._entry, {"carrier": self._carrier_name}
                )
            elif err is None:
                async_clear_entry_issue(self._hass, kind, self._entry.entry_id)


def _retry_after(err: CarrierError) -> float | None:
    if isinstance(err, CarrierRateLimitError | CarrierMaintenanceError):
        return err.retry_after
    return None


def _tokyo_time(moment: datetime) -> str:
    """A moment as people in Japan read it: the time today, with the date on another day."""
    local = moment.astimezone(TOKYO)
    if local.date() == dt_util.now().astimezone(TOKYO).date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")
