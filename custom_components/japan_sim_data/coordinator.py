"""Coordinators: one per config entry, each holding the figures of that entry's SIMs.

SimDataCoordinator is what entities read; JapanSimDataCoordinator polls a carrier adapter and
maps its errors for Home Assistant; the plan tracker pushes its own figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .carriers.base import CarrierAdapter
from .carriers.dates import TOKYO
from .carriers.errors import (
    CarrierAppVersionError,
    CarrierAuthError,
    CarrierError,
    CarrierParseError,
    CarrierRateLimitError,
)
from .carriers.models import AccountUsage, Carrier
from .const import (
    DOMAIN,
    LOGGER,
    MAX_BACKOFF_INTERVAL,
    PARSE_FAILURES_BEFORE_ISSUE,
    UPDATE_INTERVAL,
)
from .error_keys import error_key
from .history import SimHistories

REPAIR_ISSUES = ("carrier_changed", "app_version")
"""Repair issues an account can raise; each one's id is ``repair_issue_id(kind, entry_id)``."""


def repair_issue_id(kind: str, entry_id: str) -> str:
    """Name an account's repair issue, so it can be raised, cleared and removed."""
    return f"{kind}_{entry_id}"


@dataclass(slots=True)
class JapanSimDataRuntimeData:
    """What a loaded config entry holds."""

    coordinator: SimDataCoordinator
    secret_keys: frozenset[str]
    """Entry data that must never reach logs or diagnostics."""
    account_device_id: str
    """The device registry id of the account's device, which each SIM's device hangs off."""


type JapanSimDataConfigEntry = ConfigEntry[JapanSimDataRuntimeData]


class SimDataCoordinator(DataUpdateCoordinator[AccountUsage]):
    """The figures of every SIM of one config entry, as entities read them."""

    config_entry: JapanSimDataConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: JapanSimDataConfigEntry,
        carrier: Carrier,
        carrier_name: str,
        update_interval: timedelta | None,
    ) -> None:
        """Name the source; ``update_interval`` None means figures are pushed, not polled."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {carrier_name}",
            update_interval=update_interval,
            # Models compare by value: unchanged figures write no state.
            always_update=False,
        )
        self.carrier = carrier
        self.carrier_name = carrier_name
        self.history = SimHistories(hass, entry.entry_id)
        """Readings of every SIM for the forecast; loaded by the sensor platform."""
        self._unsub_midnight: CALLBACK_TYPE | None = None

    @callback
    def async_start_midnight_updates(self) -> None:
        """Rewrite the entities at each midnight in Tokyo, when "days left" changes.

        Polls that bring the same figures write no state, so without this the countdown
        would wait for the carrier's figures to change.
        """
        self._unsub_midnight = async_track_point_in_time(
            self.hass, self._at_midnight, _next_tokyo_midnight(dt_util.now())
        )

    @callback
    def _at_midnight(self, _now: datetime) -> None:
        self.async_update_listeners()
        self.async_start_midnight_updates()

    async def async_shutdown(self) -> None:
        """Stop the midnight timer with the coordinator."""
        if self._unsub_midnight is not None:
            self._unsub_midnight()
            self._unsub_midnight = None
        await super().async_shutdown()


class JapanSimDataCoordinator(SimDataCoordinator):
    """Fetches every SIM of one carrier account at a polite interval."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: JapanSimDataConfigEntry,
        adapter: CarrierAdapter,
        carrier_name: str,
    ) -> None:
        """Poll ``adapter`` every UPDATE_INTERVAL, backing off after failures."""
        super().__init__(hass, entry, adapter.carrier, carrier_name, UPDATE_INTERVAL)
        self.adapter = adapter
        self._consecutive_failures = 0
        self._consecutive_parse_failures = 0

    async def _async_update_data(self) -> AccountUsage:
        try:
            usage = await self.adapter.async_fetch()
        except CarrierAuthError as err:
            # A rejected password is not retried: that is how accounts get locked. Polling
            # resumes when the user re-authenticates and the entry reloads.
            self.update_interval = None
            raise self._translate(err) from err
        except CarrierError as err:
            self._track_carrier_change(err)
            self._consecutive_failures += 1
            # Double the wait after each failure in a row: carriers ban clients that hammer.
            self.update_interval = min(
                UPDATE_INTERVAL * 2 ** (self._consecutive_failures - 1), MAX_BACKOFF_INTERVAL
            )
            raise self._translate(err) from err
        finally:
            self._store_refreshed_secrets()
        self._consecutive_failures = 0
        self.update_interval = UPDATE_INTERVAL
        self._track_carrier_change(None)
        return usage

    def _translate(self, err: CarrierError) -> ConfigEntryAuthFailed | UpdateFailed:
        """Turn a library error into what Home Assistant expects, with a translated message."""
        placeholders = {"carrier": self.carrier_name, "error": str(err)}
        if isinstance(err, CarrierAuthError):
            return ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="invalid_auth",
                translation_placeholders=placeholders,
            )
        retry_after = err.retry_after if isinstance(err, CarrierRateLimitError) else None
        return UpdateFailed(
            retry_after=retry_after,
            translation_domain=DOMAIN,
            translation_key=error_key(err, "update_failed"),
            translation_placeholders=placeholders,
        )

    @callback
    def _track_carrier_change(self, err: CarrierError | None) -> None:
        """Raise a repair issue when the carrier seems to have changed its site or app API.

        One unreadable answer can be a glitch; several in a row mean the adapter needs
        updating, and the user can help by reporting it with the diagnostics.
        """
        if isinstance(err, CarrierParseError):
            self._consecutive_parse_failures += 1
        elif not isinstance(err, CarrierAppVersionError):
            self._consecutive_parse_failures = 0
        entry = self.config_entry
        placeholders = {"carrier": self.carrier_name, "entry_title": entry.title}
        active = {
            "carrier_changed": self._consecutive_parse_failures >= PARSE_FAILURES_BEFORE_ISSUE,
            "app_version": isinstance(err, CarrierAppVersionError),
        }
        for translation_key in REPAIR_ISSUES:
            issue_id = repair_issue_id(translation_key, entry.entry_id)
            if active[translation_key]:
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    issue_id,
                    is_fixable=False,
                    severity=ir.IssueSeverity.WARNING,
                    translation_key=translation_key,
                    translation_placeholders=placeholders,
                )
            elif err is None:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    @callback
    def _store_refreshed_secrets(self) -> None:
        """Persist tokens the adapter renewed, so a restart does not need a new login."""
        refreshed = self.adapter.refreshed_secrets()
        if refreshed and any(self.config_entry.data.get(k) != v for k, v in refreshed.items()):
            self.hass.config_entries.async_update_entry(
                self.config_entry, data={**self.config_entry.data, **refreshed}
            )


def _next_tokyo_midnight(now: datetime) -> datetime:
    tomorrow = now.astimezone(TOKYO).date() + timedelta(days=1)
    # One second past midnight, so the new day has certainly begun.
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 0, 0, 1, tzinfo=TOKYO)
