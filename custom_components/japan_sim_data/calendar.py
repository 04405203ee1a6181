"""A calendar per account: when each SIM's data expires, when it resets, when a plan ends.

Dates the carrier gives as a whole day (data usable "until the end of the 30th") are all-day
events on that day; an expiry at a given moment (a povo topping at 14:00) is an event at that
moment, so a calendar trigger with an offset fires the right time before it. Each event's uid
says what it is in any language: ``<SIM>_expires_<kind>_<moment>``, ``<SIM>_resets_<day>`` or
``<SIM>_plan_ends_<day>``, ``<SIM>`` being the SIM's keyed id.

The listed events (the Calendar panel, ``calendar.get_events``, calendar triggers) say how much
an expiring bucket still holds. The entity's own state names its next event without that
amount: the amount moves with every megabyte used, and each move would be a state and an
attribute row in the recorder at every poll for what the sensors already record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from .carriers.dates import TOKYO, end_of_day, is_plausible_day
from .carriers.models import AccountUsage, BucketKind, SimUsage
from .carriers.units import GIB, MIB
from .const import DOMAIN
from .coordinator import JapanSimDataConfigEntry, SimDataCoordinator

# Read-only, fed by the coordinator: no limit on parallel updates.
PARALLEL_UPDATES = 0

DATA_CALENDAR = CalendarEntityDescription(key="data_calendar", translation_key="data_calendar")

_TEXTS = f"component.{DOMAIN}.selector"
# English texts, for a language whose translations cannot be read.
_FALLBACK: Mapping[str, str] = {
    "calendar_event.bucket_expires": "{sim}: {kind} expires ({amount} left)",
    "calendar_event.bucket_expires_unknown": "{sim}: {kind} expires",
    "calendar_event.data_resets": "{sim}: data resets",
    "calendar_event.plan_ends": "{sim}: last day of the plan",
    "bucket_kind.monthly": "this period's data",
    "bucket_kind.carried_over": "carried-over data",
    "bucket_kind.topping": "topping data",
    "bucket_kind.gift": "gifted data",
}


@dataclass(frozen=True, slots=True)
class Texts:
    """The event texts in the user's language."""

    strings: Mapping[str, str]
    _templates: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Each text as found in the translations, looked up once (every poll plans anew)."""

    def get(self, key: str, **values: str) -> str:
        """A text with its placeholders filled (values may hold braces: no str.format)."""
        text = self._templates.get(key)
        if text is None:
            section, name = key.split(".")
            text = self.strings.get(f"{_TEXTS}.{section}.options.{name}", _FALLBACK[key])
            self._templates[key] = text
        for placeholder, value in values.items():
            text = text.replace(f"{{{placeholder}}}", value)
        return text


def amount_text(remaining: int) -> str:
    """Bytes in the sensors' unit: GiB from 1 GiB (a carrier's "1 GB"), else MiB."""
    if remaining >= GIB:
        return f"{remaining / GIB:.2f} GiB"
    return f"{remaining / MIB:.0f} MiB"


@dataclass(frozen=True, slots=True)
class Held:
    """What an expiring bucket still holds, as the listed event's summary names it."""

    remaining: int
    sim: str
    kind: str
    texts: Texts = field(compare=False, repr=False)

    @property
    def summary(self) -> str:
        """The summary with the amount, written only when someone lists the event."""
        return self.texts.get(
            "calendar_event.bucket_expires",
            sim=self.sim,
            kind=self.kind,
            amount=amount_text(self.remaining),
        )


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    """An event as the figures give it, before Home Assistant's CalendarEvent is made.

    Making a CalendarEvent validates it, which costs more than everything else a poll does
    here; only the events someone asks for are made, and their texts with them.
    """

    start: date | datetime
    end: date | datetime
    uid: str
    headline: str
    """The summary without an amount that moves with use: what the entity's state names."""
    held: Held | None = None
    """For a bucket's expiry with a known amount: what it holds, for the listed summary."""

    @property
    def summary(self) -> str:
        """What the listed event says: the headline, with the amount a bucket holds."""
        return self.headline if self.held is None else self.held.summary

    @property
    def start_local(self) -> datetime:
        """The start in Home Assistant's time zone (a day starts at its midnight)."""
        return _local(self.start)

    @property
    def end_local(self) -> datetime:
        """The end in Home Assistant's time zone (an all-day event ends at the next midnight)."""
        return _local(self.end)

    def to_event(self) -> CalendarEvent:
        """The CalendarEvent Home Assistant lists."""
        return CalendarEvent(start=self.start, end=self.end, summary=self.summary, uid=self.uid)

    def to_state_event(self) -> CalendarEvent:
        """The CalendarEvent the entity's state names: the same event, without the amount."""
        return CalendarEvent(start=self.start, end=self.end, summary=self.headline, uid=self.uid)

    def shown_in_state(self, now: datetime) -> tuple[object, ...]:
        """What the entity's state shows of this event at ``now``: it, and whether it runs."""
        return (self.uid, self.start, self.end, self.headline, self.start_local <= now)


def _local(value: date | datetime) -> datetime:
    """As Home Assistant's calendar reads an event's start or end."""
    if isinstance(value, datetime):
        return dt_util.as_local(value)
    return dt_util.start_of_local_day(value)


def _day_event(day: date, headline: str, uid: str, held: Held | None = None) -> PlannedEvent:
    # An all-day event ends at the next midnight; the last day there is ends with itself
    # rather than overflow (plausible days never come near it).
    end = day + timedelta(days=1) if day < date.max else day
    return PlannedEvent(start=day, end=end, uid=uid, headline=headline, held=held)


def _plausible(moment: datetime, today: date) -> bool:
    """Whether an expiry may be shown: 9999-12-31 or year 1 is a placeholder, not a date."""
    try:
        return is_plausible_day(moment.astimezone(TOKYO).date(), today)
    except OverflowError:  # year 1 or 9999 moved across the date line
        return False


def sim_events(
    sim: SimUsage,
    name: str,
    uid_stem: str,
    texts: Texts,
    plan_end: date | None = None,
    *,
    now: datetime,
) -> list[PlannedEvent]:
    """Every dated event of one SIM: bucket expiries, the next reset, a plan's last day.

    Only buckets still valid at ``now`` count (an expired one a carrier still lists is no
    event to come), and only plausible dates are events at all.
    """
    today = now.astimezone(TOKYO).date()
    held: dict[tuple[BucketKind, datetime], int | None] = {}
    for bucket in sim.valid_at(now).buckets:
        if bucket.expires is None or not _plausible(bucket.expires, today):
            continue
        key = (bucket.kind, bucket.expires)
        before = held.get(key, 0)
        # A slice with an unknown figure makes the sum unknown, never smaller.
        held[key] = (
            None if before is None or bucket.remaining is None else before + bucket.remaining
        )
    events: list[PlannedEvent] = []
    for (kind, expires), remaining in held.items():
        kind_text = texts.get(f"bucket_kind.{kind}")
        headline = texts.get("calendar_event.bucket_expires_unknown", sim=name, kind=kind_text)
        holding = None if remaining is None else Held(remaining, name, kind_text, texts)
        local = expires.astimezone(TOKYO)
        uid = f"{uid_stem}_expires_{kind}_{local.isoformat()}"
        if local == end_of_day(local.date()):
            events.append(_day_event(local.date(), headline, uid, holding))
        else:
            events.append(
                PlannedEvent(start=expires, end=expires, uid=uid, headline=headline, held=holding)
            )
    if sim.resets_on is not None and is_plausible_day(sim.resets_on, today):
        summary = texts.get("calendar_event.data_resets", sim=name)
        events.append(_day_event(sim.resets_on, summary, f"{uid_stem}_resets_{sim.resets_on}"))
    if plan_end is not None and is_plausible_day(plan_end, today):
        summary = texts.get("calendar_event.plan_ends", sim=name)
        events.append(_day_event(plan_end, summary, f"{uid_stem}_plan_ends_{plan_end}"))
    return events


def _sort_key(event: PlannedEvent) -> tuple[datetime, str, str]:
    # By the headline: the order of a day's events does not move with an amount.
    return (event.start_local, event.headline, event.uid)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: JapanSimDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's calendar."""
    strings = await async_get_translations(hass, hass.config.language, "selector", {DOMAIN})
    async_add_entities([DataCalendar(entry.runtime_data.coordinator, Texts(strings))])


class DataCalendar(CoordinatorEntity[SimDataCoordinator], CalendarEntity):
    """Every SIM's expiries, resets and plan ends on one account."""

    _attr_has_entity_name = True
    entity_description = DATA_CALENDAR

    def __init__(self, coordinator: SimDataCoordinator, texts: Texts) -> None:
        """Attach the calendar to the account's device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self._texts = texts
        self._attr_unique_id = f"{entry.entry_id}_{DATA_CALENDAR.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, entry.entry_id)})
        self._events: tuple[PlannedEvent, ...] = ()
        self._planned_from: AccountUsage | None = None
        self._planned: list[PlannedEvent] = []
        self._sim_plans: dict[str, tuple[tuple[object, ...], list[PlannedEvent]]] = {}
        """Per SIM, what its events were planned from and the events: an unchanged SIM's
        events are not planned again."""
        self._replan_after: datetime | None = None
        self._last_shown: tuple[object, ...] | None = None

    @property
    def planned(self) -> list[PlannedEvent]:
        """Every event the account's figures give, soonest first; worked out once per update."""
        now = dt_util.now()
        data = self.coordinator.data
        if self._planned_from is not data or (
            self._replan_after is not None and now > self._replan_after
        ):
            # Planned again when the figures change, or when a bucket has expired since.
            self._planned_from, self._replan_after = data, data.next_bucket_expiry(now)
            self._planned = self._plan_events(now)
        return self._planned

    @property
    def events(self) -> list[CalendarEvent]:
        """Every event, as Home Assistant shows them."""
        return [planned.to_event() for planned in self.planned]

    def _plan_events(self, now: datetime) -> list[PlannedEvent]:
        coordinator = self.coordinator
        runtime = coordinator.config_entry.runtime_data
        plan_end = coordinator.plan_end
        today = now.astimezone(TOKYO).date()
        events: list[PlannedEvent] = []
        plans: dict[str, tuple[tuple[object, ...], list[PlannedEvent]]] = {}
        for sim_id, sim in coordinator.data.sims.items():
            valid = sim.valid_at(now)
            name = coordinator.sim_name(sim)
            # Everything the SIM's events are made of: the buckets still valid, its name, the
            # plan's end and the day (which decides what is plausible).
            source = (valid, name, plan_end, today)
            planned = self._sim_plans.get(sim_id)
            if planned is None or planned[0] != source:
                stem = runtime.key.sim_id(coordinator.carrier, sim_id)
                planned = (source, sim_events(valid, name, stem, self._texts, plan_end, now=now))
            plans[sim_id] = planned
            events.extend(planned[1])
        self._sim_plans = plans
        return sorted(events, key=_sort_key)

    def _upcoming(self, now: datetime) -> PlannedEvent | None:
        return next((event for event in self.planned if event.end_local > now), None)

    @property
    def event(self) -> CalendarEvent | None:
        """The event under way, or else the next one, without the amount it holds."""
        upcoming = self._upcoming(dt_util.now())
        return None if upcoming is None else upcoming.to_state_event()

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """The events that overlap ``start_date`` to ``end_date``."""
        return [event.to_event() for event in _overlapping(self.planned, start_date, end_date)]

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when what it shows changed: polls mostly bring the same dates.

        A changed amount changes no state: the calendar panels that show it are sent the new
        events without a state write.
        """
        events = tuple(self.planned)
        if self._shown_state() != self._last_shown:
            self._events = events
            self.async_write_ha_state()
        elif events != self._events:
            self._events = events
            self.async_update_event_listeners()

    @callback
    def _async_write_ha_state(self) -> None:
        """Write the state and remember what it shows.

        Home Assistant's calendar writes it too, by its own timers when an event starts or
        ends: remembered here, the next update does not write the same state again.
        """
        self._last_shown = self._shown_state()
        super()._async_write_ha_state()

    async def async_added_to_hass(self) -> None:
        """Remember the events of the first write (what it shows, the write itself keeps)."""
        await super().async_added_to_hass()
        self._events = tuple(self.planned)

    def _shown_state(self) -> tuple[object, ...]:
        """What the state and its attributes show, read from the plan (no event is built)."""
        if not self.available:
            return (False,)
        now = dt_util.now()
        upcoming = self._upcoming(now)
        return (True, None if upcoming is None else upcoming.shown_in_state(now))


def _overlapping[E: (PlannedEvent, CalendarEvent)](
    events: Iterable[E], start: datetime, end: datetime
) -> Iterable[E]:
    for event in events:
        if isinstance(event, PlannedEvent):
            begins, ends = event.start_local, event.end_local
        else:
            begins, ends = event.start_datetime_local, event.end_datetime_local
        # A moment's event (start == end) counts when it falls within the window.
        if begins < end and (ends > start or begins == ends >= start):
            yield event
