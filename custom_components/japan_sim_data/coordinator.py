"""Coordinators: one per config entry, each holding the figures of that entry's SIMs.

SimDataCoordinator is what entities read, with the hooks that set one kind of entry apart;
JapanSimDataCoordinator (polling.py) polls a carrier adapter and maps its errors for Home
Assistant; the plan tracker (tracker.py, tracker_entry.py) pushes its own figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_track_point_in_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .carriers.dates import TOKYO
from .carriers.insights import UsageHistory
from .carriers.models import AccountUsage, Carrier, SimUsage
from .const import (
    DOMAIN,
    LOGGER,
)
from .error_keys import MAX_ERROR_TEXT, short_error_text
from .history import SimHistories
from .identifiers import InstallationKey
from .issues import async_clear_entry_issue
from .stale_sims import MissingSims
from .usage_statistics import DailyUsageStatistics
from .usage_today import UsageToday
from .validity import MAX_LINES

if TYPE_CHECKING:
    from .sensor import JapanSimDataSensorDescription

__all__ = ["MAX_ERROR_TEXT", "MAX_LINES", "short_error_text"]

REPAIR_ISSUES = ("carrier_changed", "app_version")
"""Repair issues an account can raise (their ids: issues.entry_issue_id)."""


@dataclass(frozen=True, slots=True)
class SimView:
    """One SIM as its entities read it: only the buckets valid ``now``, and what is kept of it.

    One view per SIM per update, shared by all of the SIM's entities, so that every figure
    they show is of the same moment and the valid buckets are worked out once.
    """

    sim: SimUsage
    now: datetime
    coordinator: SimDataCoordinator
    sim_id: str

    @property
    def history(self) -> UsageHistory:
        """The SIM's recent readings (the forecast's), kept across restarts."""
        return self.coordinator.history.get(self.sim_id)

    @property
    def used_today(self) -> int | None:
        """Bytes used since midnight in Tokyo; None until two readings can be compared."""
        return self.coordinator.usage_today.used_today(self.sim_id)


def sim_device_name(carrier_name: str, sim: SimUsage) -> str:
    """Name a SIM after its plan and the last digits of its number, never the whole number."""
    name = f"{carrier_name} {sim.plan_name}" if sim.plan_name else carrier_name
    return f"{name} ({sim.number_suffix})" if sim.number_suffix else name


class DescribedForCarriers(Protocol):
    """An entity description that names the carriers whose answers carry its figure."""

    @property
    def key(self) -> str:
        """The entity's key (its unique id's last part)."""

    @property
    def carriers(self) -> frozenset[Carrier]:
        """The carriers whose SIMs get the entity."""


class PlanActions(Protocol):
    """The corrections a user can make by action to an entry that keeps its own plan."""

    def async_set_remaining(self, remaining: int) -> None:
        """Correct the data left (bytes)."""

    def async_add_data(self, amount: int, expires: datetime | None) -> None:
        """Add a top-up (bytes), lasting until ``expires`` or until used."""

    def async_start_period(self, start: date) -> None:
        """Start a new period from ``start``; ValueError when it would leave the calendar."""


@dataclass(slots=True)
class JapanSimDataRuntimeData:
    """What a loaded config entry holds."""

    coordinator: SimDataCoordinator
    secret_keys: frozenset[str]
    """Entry data that must never reach logs or diagnostics."""
    account_device_id: str
    """The device registry id of the account's device, which each SIM's device hangs off."""
    key: InstallationKey
    """Keys the SIMs' identifiers, so unique ids reveal no carrier identifier."""


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
        self.usage_today = UsageToday(hass, entry.entry_id)
        """Data used today per SIM; loaded and fed by the sensor platform."""
        self.daily_statistics = DailyUsageStatistics(hass, entry.entry_id)
        """Carriers' past daily usage in long-term statistics; fed by the sensor platform."""
        self.added_sims: dict[str, set[str]] = {}
        """Per platform, the SIMs whose entities it added (see entity.async_add_sim_entities)."""
        self.missing_sims = MissingSims(hass, entry.entry_id)
        """When SIMs went missing from the account's answers; loaded at setup."""
        self.last_unreadable_answer: Any = None
        """The redacted skeleton of the last answer that could not be read, for diagnostics."""
        self._unsub_midnight: CALLBACK_TYPE | None = None
        self._on_success: list[Callable[[AccountUsage], None]] = []
        self._views: dict[str, SimView] = {}
        self._views_of: AccountUsage | None = None

    @callback
    def async_update_listeners(self) -> None:
        """Tell every entity; they read their SIM's view of this moment, made afresh."""
        self._views.clear()
        super().async_update_listeners()

    def sim_view(self, sim_id: str) -> SimView | None:
        """The SIM as it stands at this update (None once the account no longer lists it).

        Made at the first read after the update began and shared until the next: an update
        comes with new figures, at each bucket expiry and at each Tokyo midnight.
        """
        data = self.data
        if data is not self._views_of:
            self._views.clear()
            self._views_of = data
        if (view := self._views.get(sim_id)) is not None:
            return view
        if data is None or (sim := data.sims.get(sim_id)) is None:
            return None
        now = dt_util.now()
        view = self._views[sim_id] = SimView(sim.valid_at(now), now, self, sim_id)
        return view

    @callback
    def async_on_success(self, hook: Callable[[AccountUsage], None]) -> CALLBACK_TYPE:
        """Call ``hook`` with the figures of every successful poll, changed or not.

        Listeners hear only of changed figures; what counts polls (stale SIMs) needs them all.
        """
        self._on_success.append(hook)
        return lambda: self._on_success.remove(hook)

    # -- what sets one kind of entry apart (a carrier account, a tracked SIM) ------------------
    # Platforms, setup, diagnostics and actions ask these instead of checking the kind.

    secret_keys: frozenset[str] = frozenset()
    """Entry data and options that must never reach logs or diagnostics."""
    unique_id_is_account: ClassVar[bool] = False
    """The entry's unique id is the account's own id, keyed (a tracked SIM's is random)."""

    @property
    def manufacturer(self) -> str | None:
        """The company that sells the SIMs, shown as their devices' maker."""
        return self.carrier_name

    def sim_name(self, sim: SimUsage) -> str:
        """A SIM's name on screen and its device's name."""
        return sim_device_name(self.carrier_name, sim)

    def sim_model(self, sim: SimUsage) -> str | None:
        """A SIM's device model: the plan the carrier names."""
        return sim.plan_name

    @property
    def plan_end(self) -> date | None:
        """The last day of a plan of fixed validity the entry keeps; None for others."""
        return None

    def extra_sensor_descriptions(self) -> tuple[JapanSimDataSensorDescription, ...]:
        """Sensors of each SIM beyond the shared ones (the sensor platform makes them)."""
        return ()

    @property
    def plan_actions(self) -> PlanActions | None:
        """What the tracker actions correct; None when the entry's figures are the carrier's."""
        return None

    def diagnostics(self) -> dict[str, Any]:
        """The entry's own section of the diagnostics (no secret, no personal figure)."""
        return {"route": None, "route_details": None}

    @property
    def waits_for_carrier(self) -> bool:
        """True when the last failure was the source asking us to wait (setup goes ahead)."""
        return False

    async def async_load(self) -> None:
        """Read what was kept across restarts, before the first figures."""
        await self.missing_sims.async_load()

    @callback
    def async_start(self) -> None:
        """Start what runs beside the figures once the platforms are set up."""

    async def async_settle(self) -> None:
        """Let work in flight finish before the entry unloads."""

    @classmethod
    async def async_remove_stored(cls, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """Delete what was kept for an entry that is being removed (it is not loaded)."""
        entry_id = entry.entry_id
        for kept in (SimHistories, MissingSims, UsageToday, DailyUsageStatistics):
            # The recorder keeps the imported statistics: the user's history, like any sensor's.
            await kept.async_remove(hass, entry_id)
        for kind in REPAIR_ISSUES:
            async_clear_entry_issue(hass, kind, entry_id)

    @property
    def credentials_rejected(self) -> bool:
        """True after the carrier rejected the credentials, until the user re-authenticates."""
        return False

    one_device: bool = False
    """True when the entry is one SIM on one device, with no account device above it."""

    @callback
    def async_own_device(self, key: InstallationKey) -> dr.DeviceEntry | None:
        """The entry's one device, made (and earlier layouts merged) here; None: an account's.

        A carrier account has a device of its own that each SIM's device hangs off; a tracked
        SIM is one device (tracker.py).
        """
        return None

    def makes_entity(self, key: str) -> bool:
        """Whether the SIMs' entity ``key`` is made: one that could never have a figure is not.

        A carrier account's are chosen by carrier (the descriptions' ``carriers``); a plan
        tracker's also by its plan and sources (tracker.py).
        """
        return True

    def makes(self, description: DescribedForCarriers) -> bool:
        """Whether the SIMs get the entity ``description`` describes.

        Their carrier must report its figure, and the entry's plan and sources feed it.
        """
        return self.carrier in description.carriers and self.makes_entity(description.key)

    async def async_user_refresh(self) -> None:
        """A refresh the user asked for (button, action); refused while credentials are rejected.

        Sending a rejected password again is how carriers lock accounts.
        """
        if self.credentials_rejected:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="reauth_required",
                translation_placeholders={"entry_title": self.config_entry.title},
            )
        await self.async_request_refresh()
        if not self.last_update_success:
            # The action (or button) failed: say so, as the entities already show.
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="refresh_failed",
                translation_placeholders={
                    "entry_title": self.config_entry.title,
                    "error": short_error_text(self.last_exception)
                    if self.last_exception is not None
                    else "",
                },
            )

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
    def _at_midnight(self, now: datetime) -> None:
        self._revalidate(now)
        self.async_update_listeners()
        self.async_start_midnight_updates()

    @callback
    def _revalidate(self, now: datetime) -> None:
        """Drop what stopped counting since the figures arrived (a polled carrier's buckets)."""

    async def async_shutdown(self) -> None:
        """Stop the midnight timer with the coordinator."""
        if self._unsub_midnight is not None:
            self._unsub_midnight()
            self._unsub_midnight = None
        await super().async_shutdown()


def _next_tokyo_midnight(now: datetime) -> datetime:
    tomorrow = now.astimezone(TOKYO).date() + timedelta(days=1)
    # One second past midnight, so the new day has certainly begun.
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 0, 0, 1, tzinfo=TOKYO)
