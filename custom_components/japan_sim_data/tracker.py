"""The plan tracker: figures for a SIM whose carrier has no usable API.

The user states the plan; usage comes from Home Assistant sensors that count data (a router's
monthly counters, the companion app's traffic sensors), figures from carrier notices (SMS and
e-mail arriving as events or entity states) and corrections made with actions. Nothing here
polls: every change pushes new figures, and everything learnt is kept in a Store so a restart
loses nothing.

Data is charged to the bucket that expires first (the period's allowance, then top-ups in
order of expiry; undated top-ups last), as carriers with expiring top-ups do.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    UnitOfInformation,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import InformationConverter

from .carriers.dates import TOKYO, end_of_day
from .carriers.models import AccountUsage, BucketKind, Carrier, DataBucket, SimUsage
from .carriers.notices import (
    InvalidNoticePattern,
    compile_user_pattern,
    parse_notice,
)
from .carriers.plan import MonthlyPlan, Plan, UsageCounter, ValidityPlan, current_period
from .carriers.units import GIB, MAX_PLAUSIBLE_BYTES
from .const import (
    CONF_ALLOWANCE,
    CONF_END_DATE,
    CONF_NOTICE_ATTRIBUTE,
    CONF_NOTICE_ENTITIES,
    CONF_NOTICE_EVENTS,
    CONF_NOTICE_PATTERNS,
    CONF_NOTICE_SENDERS,
    CONF_NOTICE_TEXT_FIELD,
    CONF_PLAN_SHAPE,
    CONF_RESET_DAY,
    CONF_START_DATE,
    CONF_TRACKED_CARRIER,
    CONF_USAGE_SENSORS,
    DEFAULT_NOTICE_TEXT_FIELD,
    DOMAIN,
    EVENT_IMAP_CONTENT,
    EVENT_SMS_INCOMING,
    LOGGER,
    TRACKED_CARRIERS,
    PlanShape,
)
from .coordinator import JapanSimDataConfigEntry, SimDataCoordinator

STORAGE_VERSION: Final = 1
SAVE_DELAY_SECONDS: Final = 5
# Notices already read this period, by digest: the imap integration re-sends the newest
# message after a restart, and an entity may come back from unavailable with the same text.
MAX_SEEN_NOTICES: Final = 50
# Where a source names who sent a message: imap_content's "sender", sms.incoming_sms's
# "phone", and the Android companion app's notification sensor's "android.title" attribute.
SENDER_FIELDS: Final = ("sender", "phone", "from", "android.title")
# The fields each preset event carries its text in; imap's subject often states the figure
# (docomo: 「データ量残り〇〇MBのお知らせ」).
PRESET_TEXT_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    EVENT_IMAP_CONTENT: ("subject", "text"),
    EVENT_SMS_INCOMING: ("text",),
}
EXPIRED_PERIOD: Final = "expired"
# Options that may hold phone numbers or e-mail addresses, never shown in diagnostics.
TRACKER_SECRET_KEYS: Final = frozenset({CONF_NOTICE_SENDERS})


def storage_key(entry_id: str) -> str:
    """Name the Store of one tracked SIM."""
    return f"{DOMAIN}.tracker.{entry_id}"


async def async_remove_tracker_state(hass: HomeAssistant, entry_id: str) -> None:
    """Delete what a tracker learnt, with its entry."""
    await Store[dict[str, Any]](hass, STORAGE_VERSION, storage_key(entry_id)).async_remove()


def gb_to_bytes(amount: float) -> int:
    """Convert GB as carriers count them (1 GB = 1024 MB) to bytes."""
    return round(amount * GIB)


def tracker_manufacturer(data: Mapping[str, Any]) -> str:
    """Name the maker of a tracked SIM's devices: its carrier, when the user named one."""
    return TRACKED_CARRIERS.get(data.get(CONF_TRACKED_CARRIER, "")) or "Other SIM"


def plan_from_data(data: Mapping[str, Any]) -> Plan:
    """Build the plan a tracker entry's data describes."""
    if data[CONF_PLAN_SHAPE] == PlanShape.VALIDITY:
        return ValidityPlan(
            start=date.fromisoformat(data[CONF_START_DATE]),
            end=date.fromisoformat(data[CONF_END_DATE]),
        )
    return MonthlyPlan(reset_day=int(data[CONF_RESET_DAY]))


def state_to_bytes(state: State | None) -> int | None:
    """Read a data-size sensor's state as bytes; None when it has no usable figure."""
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    if unit not in InformationConverter.VALID_UNITS:
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    converted = InformationConverter.convert(value, unit, UnitOfInformation.BYTES)
    return round(converted) if converted <= MAX_PLAUSIBLE_BYTES else None


def compile_patterns(patterns: list[str]) -> list[re.Pattern[str]]:
    """Compile the user's notice patterns, skipping any that no longer compile."""
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(compile_user_pattern(pattern))
        except InvalidNoticePattern:
            LOGGER.warning("A stored notice pattern cannot be used and is skipped")
    return compiled


def _sender_matches(source: Mapping[str, Any], senders: list[str]) -> bool:
    """Tell whether a message passes the sender filter; a source with no sender passes."""
    if not senders:
        return True
    for key in SENDER_FIELDS:
        sender = source.get(key)
        if isinstance(sender, str) and sender:
            folded = sender.casefold()
            return any(wanted.casefold() in folded for wanted in senders)
    return True


@dataclass(frozen=True, slots=True)
class TrackedSimUsage(SimUsage):
    """A tracked SIM's figures, with the moment the last carrier notice was read."""

    last_notice: datetime | None = None


@dataclass(slots=True)
class TopUp:
    """Data added on top of the plan."""

    amount: int
    left: int
    expires: datetime | None = None


@dataclass(slots=True)
class TrackerState:
    """What the tracker has learnt; saved after every change."""

    period: str | None = None
    """The start date of the period the figures belong to, or EXPIRED_PERIOD."""
    counter: UsageCounter = field(default_factory=UsageCounter)
    charged: int = 0
    """How much of the counter's usage has been taken from the buckets."""
    plan_left: int | None = None
    """Bytes left of the plan's own allowance; None when unknown."""
    used: int | None = None
    """Bytes used this period; None when no source can tell."""
    allowance: int | None = None
    """The allowance the figures were computed with, to follow a change of plan."""
    top_ups: list[TopUp] = field(default_factory=list)
    throttled: bool | None = None
    last_notice: datetime | None = None
    seen: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return plain JSON types for the Store."""
        return {
            "period": self.period,
            "counter": self.counter.as_dict(),
            "charged": self.charged,
            "plan_left": self.plan_left,
            "used": self.used,
            "allowance": self.allowance,
            "top_ups": [
                {
                    "amount": top_up.amount,
                    "left": top_up.left,
                    "expires": top_up.expires.isoformat() if top_up.expires else None,
                }
                for top_up in self.top_ups
            ],
            "throttled": self.throttled,
            "last_notice": self.last_notice.isoformat() if self.last_notice else None,
            "seen": list(self.seen),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrackerState:
        """Rebuild a saved state; ValueError, KeyError or TypeError when it is not one."""
        return cls(
            period=data["period"],
            counter=UsageCounter.from_dict(data["counter"]),
            charged=int(data["charged"]),
            plan_left=data["plan_left"],
            used=data["used"],
            allowance=data["allowance"],
            top_ups=[
                TopUp(
                    amount=int(item["amount"]),
                    left=int(item["left"]),
                    expires=datetime.fromisoformat(item["expires"]) if item["expires"] else None,
                )
                for item in data["top_ups"]
            ],
            throttled=data["throttled"],
            last_notice=(
                datetime.fromisoformat(data["last_notice"]) if data["last_notice"] else None
            ),
            seen=[str(digest) for digest in data["seen"]],
        )


class TrackerCoordinator(SimDataCoordinator):
    """One tracked SIM: its plan, counters and notices, pushed to the entities."""

    def __init__(self, hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> None:
        """Read the plan from the entry's data and the sources from its options."""
        super().__init__(hass, entry, Carrier.TRACKER, entry.title, None)
        assert entry.unique_id is not None
        self.sim_id = entry.unique_id
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, storage_key(entry.entry_id)
        )
        self._state = TrackerState()
        options = entry.options
        self._usage_sensors: list[str] = list(options.get(CONF_USAGE_SENSORS, []))
        self._notice_events: list[str] = list(options.get(CONF_NOTICE_EVENTS, []))
        self._notice_text_field: str = (
            options.get(CONF_NOTICE_TEXT_FIELD) or DEFAULT_NOTICE_TEXT_FIELD
        )
        self._notice_entities: list[str] = list(options.get(CONF_NOTICE_ENTITIES, []))
        self._notice_attribute: str | None = options.get(CONF_NOTICE_ATTRIBUTE) or None
        self._senders: list[str] = [s for s in options.get(CONF_NOTICE_SENDERS, []) if s]
        self._patterns = compile_patterns(list(options.get(CONF_NOTICE_PATTERNS, [])))

    # -- the plan -----------------------------------------------------------------------------

    @property
    def plan(self) -> Plan:
        """The plan as the entry states it now."""
        return plan_from_data(self.config_entry.data)

    @property
    def allowance(self) -> int | None:
        """The plan's data per period in bytes; None when the user did not give it."""
        amount = self.config_entry.data.get(CONF_ALLOWANCE)
        return None if amount is None else gb_to_bytes(float(amount))

    def _period_key(self, today: date) -> str:
        plan = self.plan
        if isinstance(plan, ValidityPlan) and today > plan.end:
            return EXPIRED_PERIOD
        return current_period(plan, today)[0].isoformat()

    # -- life cycle ---------------------------------------------------------------------------

    async def async_load(self) -> None:
        """Restore what was learnt before the restart, then bring it up to date."""
        stored = await self._store.async_load()
        if stored is not None:
            try:
                self._state = TrackerState.from_dict(stored)
            except KeyError, TypeError, ValueError:
                LOGGER.warning("The saved figures of %s are unreadable; starting afresh", self.name)
        self._follow_allowance()
        self._roll_over()
        for entity_id in self._usage_sensors:
            self._state.counter.update(entity_id, state_to_bytes(self.hass.states.get(entity_id)))
        self._charge()

    @callback
    def async_start(self) -> None:
        """Listen to the usage sensors and notice sources until the entry unloads."""
        entry = self.config_entry
        if self._usage_sensors:
            entry.async_on_unload(
                async_track_state_change_event(self.hass, self._usage_sensors, self._on_usage)
            )
        if self._notice_entities:
            entry.async_on_unload(
                async_track_state_change_event(
                    self.hass, self._notice_entities, self._on_notice_entity
                )
            )
        for event_type in self._notice_events:
            entry.async_on_unload(self.hass.bus.async_listen(event_type, self._on_notice_event))

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

    # -- bookkeeping --------------------------------------------------------------------------

    def _follow_allowance(self) -> None:
        """Shift the plan's data left by a change of allowance made since the last save."""
        state, allowance = self._state, self.allowance
        if state.period is not None and allowance != state.allowance:
            if state.plan_left is not None and allowance is not None:
                state.plan_left = max(0, state.plan_left + allowance - (state.allowance or 0))
            elif allowance is None:
                state.plan_left = None
            elif state.used is not None:
                state.plan_left = max(0, allowance - state.used)
        state.allowance = allowance

    def _roll_over(self, *, force: bool = False) -> None:
        """Begin a new period when the plan's calendar says so (or when told to)."""
        state = self._state
        key = self._period_key(dt_util.now().astimezone(TOKYO).date())
        if key == state.period and not force:
            return
        state.period = key
        state.counter.reset()
        state.charged = 0
        state.seen = []
        state.throttled = None
        if key == EXPIRED_PERIOD:
            # The plan ended: its data is gone, whatever was left.
            state.plan_left = 0
            state.used = None
        else:
            # Without a usage source the figure would only ever be the full allowance: it stays
            # unknown until a notice or a correction says, unless the user started the period.
            counted = bool(self._usage_sensors)
            state.used = 0 if counted else None
            state.plan_left = self.allowance if counted or force else None
        self._drop_expired_top_ups()

    def _drop_expired_top_ups(self) -> None:
        now = dt_util.now()
        self._state.top_ups = [
            top_up
            for top_up in self._state.top_ups
            if top_up.expires is None or top_up.expires >= now
        ]

    def _buckets_in_order(self) -> list[TopUp | None]:
        """The buckets data is taken from, first first; None stands for the plan's own data."""
        period_end = self._period_end()
        order: list[tuple[datetime | None, TopUp | None]] = [(period_end, None)]
        order += [(top_up.expires, top_up) for top_up in self._state.top_ups]
        far = datetime.max.replace(tzinfo=TOKYO)
        return [bucket for _, bucket in sorted(order, key=lambda pair: pair[0] or far)]

    def _take(self, amount: int) -> None:
        """Take ``amount`` bytes from the buckets, the one expiring first first."""
        state = self._state
        for bucket in self._buckets_in_order():
            if amount <= 0:
                return
            if bucket is None:
                if state.plan_left is None:
                    # The plan's data is unknown: what it holds cannot be split from top-ups.
                    return
                taken = min(state.plan_left, amount)
                state.plan_left -= taken
            else:
                taken = min(bucket.left, amount)
                bucket.left -= taken
            amount -= taken

    def _charge(self) -> None:
        """Take the usage counted since the last charge from the buckets."""
        state = self._state
        delta = state.counter.used - state.charged
        state.charged = state.counter.used
        if delta <= 0:
            return
        if state.used is not None:
            state.used += delta
        self._take(delta)

    def _set_total(self, remaining: int) -> None:
        """Make the data left ``remaining`` bytes in all, keeping what top-ups still hold."""
        state = self._state
        held = sum(top_up.left for top_up in state.top_ups)
        if held <= remaining:
            state.plan_left = remaining - held
            return
        state.plan_left = 0
        excess = held - remaining
        for bucket in self._buckets_in_order():
            if bucket is not None and excess > 0:
                taken = min(bucket.left, excess)
                bucket.left -= taken
                excess -= taken

    def _period_end(self) -> datetime:
        plan = self.plan
        if isinstance(plan, ValidityPlan):
            return end_of_day(plan.end)
        return end_of_day(current_period(plan, dt_util.now().astimezone(TOKYO).date())[1])

    def _snapshot(self) -> AccountUsage:
        """The figures as entities show them."""
        state, plan = self._state, self.plan
        known = state.plan_left is not None
        buckets = [
            DataBucket(
                kind=BucketKind.MONTHLY,
                remaining=state.plan_left,
                total=self.allowance,
                expires=self._period_end(),
            ),
            *(
                DataBucket(
                    kind=BucketKind.TOPPING,
                    # Without the plan's figure, a top-up's alone would pass for all data left.
                    remaining=top_up.left if known else None,
                    total=top_up.amount,
                    expires=top_up.expires,
                )
                for top_up in state.top_ups
            ),
        ]
        resets_on = None
        if isinstance(plan, MonthlyPlan):
            period_last_day = current_period(plan, dt_util.now().astimezone(TOKYO).date())[1]
            resets_on = period_last_day + timedelta(days=1)
        sim = TrackedSimUsage(
            sim_id=self.sim_id,
            plan_name=TRACKED_CARRIERS.get(self.config_entry.data.get(CONF_TRACKED_CARRIER, "")),
            buckets=tuple(buckets),
            allowance=self.allowance,
            used=state.used,
            throttled=state.throttled,
            resets_on=resets_on,
            last_notice=state.last_notice,
        )
        return AccountUsage(sims={self.sim_id: sim})

    @callback
    def _publish(self) -> None:
        """Bring the figures up to date, save them and push them to the entities."""
        self._roll_over()
        self._drop_expired_top_ups()
        self._charge()
        self._store.async_delay_save(self._state.as_dict, SAVE_DELAY_SECONDS)
        self.async_set_updated_data(self._snapshot())

    # -- sources ------------------------------------------------------------------------------

    @callback
    def _on_usage(self, event: Event[EventStateChangedData]) -> None:
        # Roll over before counting, so usage after a reset belongs to the new period.
        self._roll_over()
        entity_id = event.data["entity_id"]
        self._state.counter.update(entity_id, state_to_bytes(event.data["new_state"]))
        self._publish()

    @callback
    def _on_notice_event(self, event: Event) -> None:
        data = event.data
        if event.event_type == EVENT_IMAP_CONTENT and data.get("initial") is False:
            # The imap integration sends the same newest message again: already read.
            return
        fields = PRESET_TEXT_FIELDS.get(str(event.event_type), (self._notice_text_field,))
        text = "\n".join(str(data[key]) for key in fields if isinstance(data.get(key), str))
        if text and _sender_matches(data, self._senders):
            self._read_notice(text)

    @callback
    def _on_notice_entity(self, event: Event[EventStateChangedData]) -> None:
        old_state, new_state = event.data["old_state"], event.data["new_state"]
        if old_state is None or new_state is None:
            # An entity appearing (at start-up, restored) shows an old message, not a new one.
            return
        text = self._entity_text(new_state)
        if text is None or text == self._entity_text(old_state):
            return
        if _sender_matches(new_state.attributes, self._senders):
            self._read_notice(text)

    def _entity_text(self, state: State) -> str | None:
        if self._notice_attribute is None:
            value: Any = state.state
            if value in (STATE_UNAVAILABLE, STATE_UNKNOWN):
                return None
        else:
            value = state.attributes.get(self._notice_attribute)
        return value if isinstance(value, str) and value else None

    @callback
    def _read_notice(self, text: str) -> None:
        """Take what a carrier notice says; other messages change nothing."""
        reading = parse_notice(text, self._patterns)
        if reading is None:
            return
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        state = self._state
        if digest in state.seen:
            return
        state.seen = [*state.seen, digest][-MAX_SEEN_NOTICES:]
        self._roll_over()
        self._charge()
        if reading.remaining is not None:
            self._set_total(reading.remaining)
        elif reading.used is not None and (allowance := self.allowance) is not None:
            state.plan_left = max(0, allowance - reading.used)
        if reading.used is not None:
            state.used = reading.used
        if reading.throttled is not None:
            state.throttled = reading.throttled
        state.last_notice = dt_util.now()
        LOGGER.debug("%s read a carrier notice: %s", self.name, reading)
        self._publish()

    # -- actions ------------------------------------------------------------------------------

    @callback
    def async_set_remaining(self, remaining: int) -> None:
        """Correct the data left, e.g. after checking the carrier's app."""
        self._roll_over()
        self._charge()
        self._set_total(remaining)
        self._publish()

    @callback
    def async_add_data(self, amount: int, expires: datetime | None) -> None:
        """Add a top-up; without an expiry it lasts until used."""
        self._roll_over()
        self._charge()
        self._state.top_ups.append(TopUp(amount=amount, left=amount, expires=expires))
        self._publish()

    @callback
    def async_start_period(self, start: date) -> None:
        """Start a new period from ``start``: a new SIM, or a renewed travel plan.

        A validity plan keeps its length and moves to ``start``; a monthly plan resets on
        ``start``'s day from now on. Either way the full allowance is there again.
        """
        data = dict(self.config_entry.data)
        plan = self.plan
        if isinstance(plan, ValidityPlan):
            length = plan.end - plan.start
            data[CONF_START_DATE] = start.isoformat()
            data[CONF_END_DATE] = (start + length).isoformat()
        else:
            data[CONF_RESET_DAY] = start.day
        self.hass.config_entries.async_update_entry(self.config_entry, data=data)
        self._roll_over(force=True)
        self._publish()
