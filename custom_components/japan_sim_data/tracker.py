"""The plan tracker: figures for a SIM whose carrier has no usable API.

The user states the plan; usage comes from Home Assistant sensors that count data (a router's
counters, the companion app's traffic sensors), figures from carrier notices (SMS and e-mail
arriving as events or entity states) and corrections made with actions. Nothing here polls:
every change pushes new figures, and everything learnt is kept in a Store so a restart loses
nothing.

This module only wires: the accounting is the library's ledger
(``carriers/tracking_ledger.py``), intake of states and events is ``tracker_intake.py``, the
stored state and the plan read from the entry are ``tracker_state.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import regex
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .carriers.models import AccountUsage, Carrier, SimUsage
from .carriers.notices import NoticeReading, parse_notice
from .carriers.plan import Plan, ValidityPlan
from .carriers.stored import LATEST_DAY
from .carriers.tracking_ledger import (
    EXPIRED_PERIOD,
    MAX_TOP_UPS,
    Ledger,
    TopUpLimitError,
)
from .carriers.tracking_senders import SenderFilter
from .carriers.units import gb_to_bytes
from .carriers.user_patterns import (
    InvalidNoticePattern,
    PatternRun,
    PatternWatch,
    compile_user_pattern,
)
from .const import (
    CONF_END_DATE,
    CONF_INQUIRY_MESSAGE,
    CONF_INQUIRY_RECIPIENT,
    CONF_NOTICE_PATTERNS,
    CONF_NOTICE_SENDERS,
    CONF_RESET_DAY,
    CONF_START_DATE,
    CONF_TRACKED_CARRIER,
    CONF_USAGE_SENSORS,
    DOMAIN,
    LOGGER,
    TRACKED_CARRIERS,
)
from .coordinator import JapanSimDataConfigEntry, SimDataCoordinator
from .entity import sim_device_identifier
from .identifiers import InstallationKey
from .inquirer import UNANSWERED_ISSUE, Inquirer
from .inquiry import InquiryConfig, InvalidInquiryError
from .issues import async_clear_entry_issue, async_raise_entry_issue, entry_issue_id
from .tracker_entities import async_one_device, async_remove_unmade, unmade_entities
from .tracker_flow import MAX_PATTERNS
from .tracker_intake import TrackerIntake, message_sender, state_to_bytes
from .tracker_state import (
    STORAGE_VERSION,
    TrackerState,
    digest,
    plan_from_data,
    plan_terms,
)

__all__ = [
    "EXPIRED_PERIOD",
    "MAX_TOP_UPS",
    "STORAGE_VERSION",
    "SenderFilter",
    "TrackedSimUsage",
    "TrackerCoordinator",
    "digest",
    "gb_to_bytes",
    "message_sender",
    "plan_from_data",
    "state_to_bytes",
]

SAVE_DELAY_SECONDS: Final = 5
# Options that may hold phone numbers or e-mail addresses, never shown in diagnostics; the
# inquiry's text may be the user's own (a code), its number is kept out with the others.
TRACKER_SECRET_KEYS: Final = frozenset(
    {CONF_NOTICE_SENDERS, CONF_INQUIRY_RECIPIENT, CONF_INQUIRY_MESSAGE}
)
# The repair issue raised when one of the user's notice patterns ran out of time.
SLOW_PATTERN_ISSUE: Final = "notice_pattern_slow"
# The key of the "Last inquiry" sensor (sensor.py), removed with the inquiry.
LAST_INQUIRY_KEY: Final = "last_inquiry"


def storage_key(entry_id: str) -> str:
    """Name the Store of one tracked SIM."""
    return f"{DOMAIN}.tracker.{entry_id}"


def slow_pattern_issue_id(entry_id: str) -> str:
    """Name the repair issue of a tracked SIM whose notice pattern ran out of time."""
    return entry_issue_id(SLOW_PATTERN_ISSUE, entry_id)


async def async_remove_tracker_state(hass: HomeAssistant, entry_id: str) -> None:
    """Delete what a tracker learnt, and its repair issue, with its entry."""
    async_clear_entry_issue(hass, SLOW_PATTERN_ISSUE, entry_id)
    async_clear_entry_issue(hass, UNANSWERED_ISSUE, entry_id)
    await Store[dict[str, Any]](hass, STORAGE_VERSION, storage_key(entry_id)).async_remove()


def tracker_manufacturer(data: Mapping[str, Any]) -> str:
    """Name the maker of a tracked SIM's devices: its carrier, when the user named one."""
    return TRACKED_CARRIERS.get(data.get(CONF_TRACKED_CARRIER, "")) or "Other SIM"


@dataclass(frozen=True, slots=True)
class TrackedSimUsage(SimUsage):
    """A tracked SIM's figures, with the moment the last carrier notice was read."""

    last_notice: datetime | None = None
    last_inquiry: datetime | None = None
    """When the last SMS inquiry was sent; None before any, or without an inquiry."""
    inquiry_replied: bool | None = None
    """Whether that inquiry was answered; None while the reply is awaited."""


class UserPatterns:
    """The user's own notice patterns, and giving up one that runs out of time.

    They were tried for speed when entered; trying them again at every start, while Home
    Assistant is busy starting, could give up a good one. A pattern is given up for as long as
    it stays the same: editing or removing it in the options tries afresh, and the repair
    issue goes when no pattern is given up.
    """

    def __init__(
        self, hass: HomeAssistant, entry: JapanSimDataConfigEntry, state: TrackerState
    ) -> None:
        """Read the patterns from the entry's options; ``state`` keeps those given up."""
        self.hass = hass
        self.entry = entry
        self.state = state
        self._sources: list[str] = [
            pattern
            for pattern in entry.options.get(CONF_NOTICE_PATTERNS, [])[:MAX_PATTERNS]
            if isinstance(pattern, str)
        ]
        self._patterns: list[regex.Pattern[str]] = []
        """The patterns in use: compiled in load, minus any that ran out of time."""
        self._watch = PatternWatch()

    def load(self) -> None:
        """Compile the patterns, skipping those that ran out of time before."""
        state = self.state
        current = {digest(source) for source in self._sources}
        state.slow_patterns = [d for d in state.slow_patterns if d in current]
        for source in self._sources:
            if digest(source) in state.slow_patterns:
                continue
            try:
                self._patterns.append(compile_user_pattern(source, check_speed=False))
            except InvalidNoticePattern:
                LOGGER.warning("A stored notice pattern of %s cannot be used", self.entry.title)
        if state.slow_patterns:
            self._raise_slow_pattern_issue()
        else:
            async_clear_entry_issue(self.hass, SLOW_PATTERN_ISSUE, self.entry.entry_id)

    def parse(self, text: str) -> NoticeReading | None:
        """Read a notice, all the patterns within one time budget (user_patterns).

        A pattern that ran out of its share, or spent a large part of it once too often, is
        given up; the others have read the notice all the same.
        """
        run = PatternRun(self._patterns)
        reading = parse_notice(text, run, now=dt_util.now())
        given_up = self._watch.verdict(run)
        if given_up:
            # A text entered twice compiles to one pattern (regex caches it): every copy goes.
            self._patterns = [pattern for pattern in self._patterns if pattern not in given_up]
            for pattern in given_up:
                self._give_up_pattern(pattern.pattern)
            self._raise_slow_pattern_issue()
        return reading

    def _give_up_pattern(self, source: str) -> None:
        """Remember that a pattern runs out of time; say so once in the log."""
        position = self._sources.index(source) + 1
        self.state.slow_patterns.append(digest(source))
        # The position, not the text: the user knows their patterns, the log needs no copy.
        LOGGER.warning(
            "Notice pattern %d of %s took too long and is skipped until it is changed",
            position,
            self.entry.title,
        )

    def _raise_slow_pattern_issue(self) -> None:
        async_raise_entry_issue(self.hass, SLOW_PATTERN_ISSUE, self.entry)


class TrackerCoordinator(SimDataCoordinator):
    """One tracked SIM: its ledger, fed by its sources, pushed to the entities."""

    def __init__(self, hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> None:
        """Read the plan from the entry's data and the sources from its options.

        KeyError, TypeError or ValueError when the entry's plan fields are damaged: setup
        turns them into a repair issue (``__init__._damaged``).
        """
        # Checked before the base registers its shutdown: nothing half-made is left behind.
        if not isinstance(entry.unique_id, str):
            raise TypeError("A tracked SIM's entry has no unique id")
        terms = plan_terms(entry.data, counted=bool(entry.options.get(CONF_USAGE_SENSORS)))
        # Its SIM's device is made by the carrier the user named (entity.py names it).
        super().__init__(hass, entry, Carrier.TRACKER, tracker_manufacturer(entry.data), None)
        self.sim_id = entry.unique_id
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, storage_key(entry.entry_id)
        )
        self._intake = TrackerIntake(hass, entry, count=self._on_count, notice=self._read_notice)
        self._terms = terms
        self._state = TrackerState(Ledger(self._terms))
        self._patterns = UserPatterns(hass, entry, self._state)
        self._inquiry_config = _inquiry_config(entry)
        self._inquirer: Inquirer | None = None
        """Sends the SMS inquiry, once started; None without an inquiry."""

    @property
    def asks_by_sms(self) -> bool:
        """True when the SIM has an SMS inquiry set."""
        return self._inquiry_config is not None

    one_device = True

    @callback
    def async_own_device(self, key: InstallationKey) -> dr.DeviceEntry:
        """The SIM's one device (tracker_entities.py), earlier versions' two merged."""
        return async_one_device(self, key)

    def makes_entity(self, key: str) -> bool:
        """Whether this SIM's entity ``key`` can ever have a figure with its plan and sources."""
        return key not in self._unmade

    @property
    def _unmade(self) -> frozenset[str]:
        return unmade_entities(self._terms, self.config_entry.options, asks_by_sms=self.asks_by_sms)

    @callback
    def async_remove_unmade_entities(self) -> None:
        """Remove what earlier versions (or an earlier plan) made that cannot be fed."""
        async_remove_unmade(self, self._unmade)

    @property
    def ledger(self) -> Ledger:
        """The SIM's figures."""
        return self._state.ledger

    @property
    def plan(self) -> Plan:
        """The plan as the entry states it now."""
        return self._terms.plan

    @property
    def allowance(self) -> int | None:
        """The plan's data per period in bytes; None when the user did not give it."""
        return self._terms.allowance

    def period_data(self, start: date) -> dict[str, Any]:
        """The entry data of a new period from ``start`` (a day within the calendar).

        A validity plan keeps its length and moves to ``start``; a monthly plan resets on
        ``start``'s day from now on. ValueError when the validity plan's length from ``start``
        would pass the calendar's end.
        """
        data = dict(self.config_entry.data)
        plan = self.plan
        if isinstance(plan, ValidityPlan):
            length = plan.end - plan.start
            if length > LATEST_DAY - start:
                raise ValueError("The period would end outside the supported calendar")
            data[CONF_START_DATE] = start.isoformat()
            data[CONF_END_DATE] = (start + length).isoformat()
        else:
            data[CONF_RESET_DAY] = start.day
        return data

    # -- life cycle ---------------------------------------------------------------------------

    async def async_load(self) -> None:
        """Restore what was learnt before the restart, then bring it up to date."""
        stored = await self._store.async_load()
        now = dt_util.now()
        if stored is not None:
            self._state, dropped = TrackerState.restore(self._terms, stored, now)
            self._patterns.state = self._state
            if dropped:
                # Field names only: values may be anything, including what an attacker wrote.
                LOGGER.warning(
                    "Some saved figures of %s were unreadable and were dropped: %s",
                    self.name,
                    ", ".join(dropped),
                )
        self._patterns.load()
        self.ledger.follow_allowance()
        self.ledger.roll_over(now)
        self._intake.async_read_counters()

    @callback
    def async_start(self) -> None:
        """Listen to the sources until the entry unloads; start the SMS inquiry, if any."""
        entry = self.config_entry
        self.async_remove_unmade_entities()
        self._intake.async_start()
        if self._inquiry_config is None:
            self._forget_inquiry()
            return
        self._inquirer = Inquirer(
            self.hass,
            entry,
            self._inquiry_config,
            self._state.inquiry,
            last_figure=lambda: self.ledger.state.last_notice,
            changed=self._publish,
            save_now=lambda: self._store.async_save(self._state.as_dict()),
        )
        self._inquirer.async_start()

    @callback
    def _forget_inquiry(self) -> None:
        """The inquiry was removed (or never set): so are its sensor and its repair issue."""
        entry = self.config_entry
        async_clear_entry_issue(self.hass, UNANSWERED_ISSUE, entry.entry_id)
        identifier = sim_device_identifier(entry.runtime_data.key, self.carrier, self.sim_id)
        registry = er.async_get(self.hass)
        unique_id = f"{identifier[1]}_{LAST_INQUIRY_KEY}"
        if entity_id := registry.async_get_entity_id(Platform.SENSOR, DOMAIN, unique_id):
            registry.async_remove(entity_id)

    async def async_user_refresh(self) -> None:
        """The Refresh button and the refresh action: with an inquiry, ask the carrier now.

        Refused with a translated error when the inquiry's limits say not yet, or when the
        action that sends it fails; the figures then stay as they were.
        """
        if self._inquirer is not None:
            await self._inquirer.async_ask(manual=True)
            return
        await super().async_user_refresh()

    async def _async_update_data(self) -> AccountUsage:
        return self._snapshot()

    async def async_shutdown(self) -> None:
        """Write what was learnt before the entry goes away."""
        await self._store.async_save(self._state.as_dict())
        await super().async_shutdown()

    @callback
    def _at_midnight(self, now: datetime) -> None:
        """A new day may start a period, end a validity or expire a top-up."""
        self._publish()
        super()._at_midnight(now)

    # -- figures ------------------------------------------------------------------------------

    def _snapshot(self) -> AccountUsage:
        """The figures as entities show them."""
        ledger, now = self.ledger, dt_util.now()
        state = ledger.state
        inquiry = self._state.inquiry
        sim = TrackedSimUsage(
            sim_id=self.sim_id,
            plan_name=TRACKED_CARRIERS.get(self.config_entry.data.get(CONF_TRACKED_CARRIER, "")),
            buckets=ledger.buckets(now),
            allowance=self.allowance,
            used=state.used,
            throttled=state.throttled,
            resets_on=ledger.resets_on(now),
            last_notice=state.last_notice,
            last_inquiry=inquiry.last_sent if self.asks_by_sms else None,
            inquiry_replied=inquiry.replied if self.asks_by_sms else None,
            usage_steps=self._terms.steps,
        )
        return AccountUsage(sims={self.sim_id: sim})

    @callback
    def _publish(self) -> None:
        """Bring the figures up to date, save them and push them to the entities."""
        self.ledger.roll_over(dt_util.now())
        self.ledger.charge()
        self._store.async_delay_save(self._state.as_dict, SAVE_DELAY_SECONDS)
        self.async_set_updated_data(self._snapshot())

    # -- sources ------------------------------------------------------------------------------

    @callback
    def _on_count(self, entity_id: str, value: int | None, wraps_at: int | None) -> None:
        """A counter's new total (None: no figure now; nothing is lost over the gap)."""
        self.ledger.count(entity_id, value, dt_util.now(), wraps_at=wraps_at)
        if self.data is not None:
            self._publish()

    @callback
    def _read_notice(self, text: str) -> None:
        """Take what a carrier notice says; other messages change nothing."""
        reading = self._patterns.parse(text)
        if reading is None:
            return
        # Read before (in this period or the last): while a reply is awaited too, a text seen
        # before the send is no reply (an old notice sent again must not undo a correction
        # made since), and one seen since is the reply come twice.
        if not self.ledger.apply_notice(digest(text), reading.evidence, dt_util.now()):
            return
        LOGGER.debug("%s read a carrier notice: %s", self.name, reading)
        if self._inquirer is not None:
            self._inquirer.async_notice_read()
        self._publish()

    # -- actions ------------------------------------------------------------------------------

    @callback
    def async_set_remaining(self, remaining: int) -> None:
        """Correct the data left, e.g. after checking the carrier's app.

        A plan without a cap has no data left to correct: refused in the user's language
        rather than kept where no entity shows it.
        """
        if self._terms.steps is not None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_remaining_without_cap",
                translation_placeholders={"entry_title": self.config_entry.title},
            )
        self.ledger.set_remaining(remaining, dt_util.now())
        self._publish()

    @callback
    def async_add_data(self, amount: int, expires: datetime | None) -> None:
        """Add a top-up; without an expiry it lasts until used.

        Top-ups with the same expiry make one bucket; past MAX_TOP_UPS distinct ones the
        action is refused in the user's language (the store keeps no more either).
        """
        try:
            self.ledger.add_top_up(amount, expires, dt_util.now())
        except TopUpLimitError:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="too_many_top_ups",
                translation_placeholders={"limit": str(MAX_TOP_UPS)},
            ) from None
        self._publish()

    @callback
    def async_start_period(self, start: date) -> None:
        """Start a new period from ``start``: a new SIM, or a renewed travel plan.

        The full allowance is there again. ValueError when the period would leave the
        calendar (see ``period_data``); nothing changes then.
        """
        data = self.period_data(start)
        self.hass.config_entries.async_update_entry(self.config_entry, data=data)
        self._terms = plan_terms(data, counted=self._terms.counted)
        self.ledger.start_period(self._terms, dt_util.now())
        self._publish()


def _inquiry_config(entry: JapanSimDataConfigEntry) -> InquiryConfig | None:
    """The entry's SMS inquiry; None when none is set or a stored setting is unusable."""
    try:
        return InquiryConfig.from_options(entry.options)
    except InvalidInquiryError as err:
        # The setting's name only: its value may be the number or the user's own text.
        LOGGER.warning(
            "The SMS inquiry of %s is not used: its setting %s is invalid; set it again in the"
            " options",
            entry.title,
            err.key,
        )
        return None
