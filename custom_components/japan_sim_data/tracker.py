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
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from typing import Any, Final

import regex
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
    UnitOfInformation,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import InformationConverter

from .carriers.dates import TOKYO, end_of_day
from .carriers.models import AccountUsage, BucketKind, Carrier, DataBucket, SimUsage
from .carriers.notices import (
    InvalidNoticePattern,
    NoticeReading,
    compile_user_pattern,
    parse_notice,
)
from .carriers.pattern_budget import PatternRun, PatternWatch
from .carriers.plan import (
    MonthlyPlan,
    Plan,
    UsageCounter,
    ValidityPlan,
    current_period,
)
from .carriers.stored import LATEST_DAY, stored_count, stored_day, stored_moment
from .carriers.units import GIB, MAX_PLAUSIBLE_BYTES
from .const import (
    CONF_ALLOWANCE,
    CONF_END_DATE,
    CONF_INQUIRY_MESSAGE,
    CONF_INQUIRY_RECIPIENT,
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
from .entity import sim_device_identifier
from .inquirer import Inquirer, unanswered_issue_id
from .inquiry import InquiryConfig, InquiryState, InvalidInquiryError
from .tracker_flow import MAX_PATTERNS, official_senders

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
# Options that may hold phone numbers or e-mail addresses, never shown in diagnostics; the
# inquiry's text may be the user's own (a code), its number is kept out with the others.
TRACKER_SECRET_KEYS: Final = frozenset(
    {CONF_NOTICE_SENDERS, CONF_INQUIRY_RECIPIENT, CONF_INQUIRY_MESSAGE}
)
# The repair issue raised when one of the user's notice patterns ran out of time.
SLOW_PATTERN_ISSUE: Final = "notice_pattern_slow"
# The key of the "Last inquiry" sensor (sensor.py), removed with the inquiry.
LAST_INQUIRY_KEY: Final = "last_inquiry"
# Top-ups one SIM may hold in storage: more is not a real plan.
MAX_TOP_UPS: Final = 100


def storage_key(entry_id: str) -> str:
    """Name the Store of one tracked SIM."""
    return f"{DOMAIN}.tracker.{entry_id}"


def slow_pattern_issue_id(entry_id: str) -> str:
    """Name the repair issue of a tracked SIM whose notice pattern ran out of time."""
    return f"{SLOW_PATTERN_ISSUE}_{entry_id}"


async def async_remove_tracker_state(hass: HomeAssistant, entry_id: str) -> None:
    """Delete what a tracker learnt, and its repair issue, with its entry."""
    ir.async_delete_issue(hass, DOMAIN, slow_pattern_issue_id(entry_id))
    ir.async_delete_issue(hass, DOMAIN, unanswered_issue_id(entry_id))
    await Store[dict[str, Any]](hass, STORAGE_VERSION, storage_key(entry_id)).async_remove()


def digest(text: str) -> str:
    """A short fingerprint of a text, to recognise it again without keeping it."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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


# A domain name, as a sender filter entry: labels of letters, digits and hyphens, and a
# top-level label of letters (so "090.1234.5678" is a number, not a domain).
_DOMAIN: Final = regex.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
# What a phone number or a name may be written with, and is not compared.
_NAME_NOISE: Final = regex.compile(r"[\s\-()]+")


def _fold_name(text: str) -> str:
    """A sender name or number in one form: no spaces or hyphens, Japan's +81 as a 0."""
    folded = _NAME_NOISE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return "0" + folded[3:] if folded.startswith("+81") else folded


@dataclass(frozen=True, slots=True)
class SenderFilter:
    """Which senders' messages are read; an empty filter reads every message.

    An entry with an @ is an e-mail address, matched whole. An entry that is a domain name
    matches addresses at that domain or any of its subdomains (``docomo-bill.ne.jp`` accepts
    ``DoCoMo@docomo-bill.ne.jp`` and ``x@mail.docomo-bill.ne.jp``, never
    ``x@docomo-bill.ne.jp.attacker.example``). Any other entry (a phone number, a notification
    title) matches a sender that is not an e-mail address and is exactly that, ignoring case,
    spaces and hyphens. A display name never counts: ``docomo <evil@attacker.example>`` is
    judged by its address alone.
    """

    addresses: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()

    @classmethod
    def of(cls, entries: Iterable[str]) -> SenderFilter:
        """Sort the user's entries into addresses, domains and names."""
        addresses, domains, names = set(), set(), set()
        for entry in entries:
            folded = entry.strip().casefold()
            if "@" in folded:
                addresses.add(folded)
            elif _DOMAIN.fullmatch(folded):
                domains.add(folded)
            elif folded:
                names.add(_fold_name(folded))
        return cls(frozenset(addresses), frozenset(domains), frozenset(names))

    def __bool__(self) -> bool:
        """An empty filter filters nothing."""
        return bool(self.addresses or self.domains or self.names)

    def accepts(self, sender: str | None) -> bool:
        """Tell whether a message from ``sender`` is read; a message with no sender is not."""
        if not self:
            return True
        if not sender:
            return False
        if "@" not in sender:
            return _fold_name(sender) in self.names
        _, address = parseaddr(sender)
        local, at, domain = address.casefold().rpartition("@")
        if not (local and at and domain):
            return False
        return address.casefold() in self.addresses or any(
            domain == wanted or domain.endswith(f".{wanted}") for wanted in self.domains
        )


def message_sender(source: Mapping[str, Any]) -> str | None:
    """The sender an event or an entity's attributes name, if any."""
    for key in SENDER_FIELDS:
        sender = source.get(key)
        if isinstance(sender, str) and sender:
            return sender
    return None


@dataclass(frozen=True, slots=True)
class TrackedSimUsage(SimUsage):
    """A tracked SIM's figures, with the moment the last carrier notice was read."""

    last_notice: datetime | None = None
    last_inquiry: datetime | None = None
    """When the last SMS inquiry was sent; None before any, or without an inquiry."""
    inquiry_replied: bool | None = None
    """Whether that inquiry was answered; None while the reply is awaited."""


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
    plan_expires: datetime | None = None
    """When the plan's own data expires, as a carrier notice stated; None: at the period's end."""
    slow_patterns: list[str] = field(default_factory=list)
    """Digests of the user's patterns that ran out of time: skipped until they change."""
    inquiry: InquiryState = field(default_factory=InquiryState)
    """What the SMS inquiries did: their limits and a reply still awaited."""

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
            "plan_expires": self.plan_expires.isoformat() if self.plan_expires else None,
            "slow_patterns": list(self.slow_patterns),
            "inquiry": self.inquiry.as_dict(),
        }

    @classmethod
    def restore(cls, data: object) -> tuple[TrackerState, list[str]]:
        """Rebuild a saved state field by field; also name the fields that were unreadable.

        An unreadable field takes its value for "not known" and the others are kept, so one
        bad value costs that value alone. Fields added after the first version may be missing.
        """
        if not isinstance(data, Mapping):
            return cls(), ["(all)"]
        reader = _StoredFields(data)
        counter, dropped = UsageCounter.salvage(data.get("counter"))
        reader.dropped += dropped
        state = cls(
            period=reader.read("period", _stored_period),
            counter=counter,
            charged=reader.read("charged", stored_count) or 0,
            plan_left=reader.read("plan_left", stored_count),
            used=reader.read("used", stored_count),
            allowance=reader.read("allowance", stored_count),
            top_ups=reader.read_list("top_ups", _stored_top_up)[:MAX_TOP_UPS],
            throttled=reader.read("throttled", _stored_bool),
            last_notice=reader.read("last_notice", stored_moment),
            seen=reader.read_list("seen", _stored_digest)[-MAX_SEEN_NOTICES:],
            plan_expires=reader.read("plan_expires", stored_moment, optional=True),
            slow_patterns=reader.read_list("slow_patterns", _stored_digest, optional=True),
        )
        if "inquiry" in data:
            state.inquiry, dropped = InquiryState.salvage(data["inquiry"], dt_util.now())
            reader.dropped += dropped
        if {"counter", "counter.used", "charged"} & set(reader.dropped):
            # What was already charged cannot be told: charge nothing twice.
            state.charged = state.counter.used
        return state, reader.dropped


class _StoredFields:
    """Reads the fields of a stored mapping, noting each one that is missing or unreadable."""

    def __init__(self, data: Mapping[Any, Any]) -> None:
        self._data = data
        self.dropped: list[str] = []

    def read[T](
        self, key: str, read: Callable[[object], T | None], *, optional: bool = False
    ) -> T | None:
        """The field's value; None when it is null, or missing or unreadable (noted)."""
        if key not in self._data:
            if not optional:
                self.dropped.append(key)
            return None
        value = self._data[key]
        if value is None:
            return None
        result = read(value)
        if result is None:
            self.dropped.append(key)
        return result

    def read_list[T](
        self, key: str, read: Callable[[object], T | None], *, optional: bool = False
    ) -> list[T]:
        """The readable items of a list field; an unreadable item is dropped alone (noted)."""
        items = self._data.get(key)
        if not isinstance(items, list):
            if key in self._data or not optional:
                self.dropped.append(key)
            return []
        kept = [result for item in items if (result := read(item)) is not None]
        if len(kept) < len(items):
            self.dropped.append(key)
        return kept


def _stored_period(value: object) -> str | None:
    if value == EXPIRED_PERIOD:
        return EXPIRED_PERIOD
    # A period key is a day written in full (a compact 20250101 never keyed a period).
    if isinstance(value, str) and len(value) == len("2000-01-01") and stored_day(value):
        return value
    return None


def _stored_bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _stored_digest(value: object) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= 64 and value.isalnum() and value.isascii():  # noqa: PLR2004
        return value
    return None


def _stored_top_up(value: object) -> TopUp | None:
    if not isinstance(value, Mapping):
        return None
    amount, left = stored_count(value.get("amount")), stored_count(value.get("left"))
    expires_text = value.get("expires")
    expires = None if expires_text is None else stored_moment(expires_text)
    if not amount or left is None or left > amount or (expires_text is not None and not expires):
        return None
    return TopUp(amount=amount, left=left, expires=expires)


class TrackerCoordinator(SimDataCoordinator):
    """One tracked SIM: its plan, counters and notices, pushed to the entities."""

    def __init__(self, hass: HomeAssistant, entry: JapanSimDataConfigEntry) -> None:
        """Read the plan from the entry's data and the sources from its options."""
        # Its SIM's device is made by the carrier the user named (entity.py names it).
        super().__init__(hass, entry, Carrier.TRACKER, tracker_manufacturer(entry.data), None)
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
        # A filter never set is the carrier's own senders; one the user emptied stays empty.
        senders = options.get(CONF_NOTICE_SENDERS)
        if senders is None:
            senders = official_senders(entry.data.get(CONF_TRACKED_CARRIER))
        self._senders = SenderFilter.of(sender for sender in senders if isinstance(sender, str))
        self._pattern_sources: list[str] = [
            pattern
            for pattern in options.get(CONF_NOTICE_PATTERNS, [])[:MAX_PATTERNS]
            if isinstance(pattern, str)
        ]
        self._patterns: list[regex.Pattern[str]] = []
        """The user's patterns in use: compiled in async_load, minus any that ran out of time."""
        self._watch = PatternWatch()
        self._inquiry_config = _inquiry_config(entry)
        self._inquirer: Inquirer | None = None
        """Sends the SMS inquiry, once started; None without an inquiry."""

    @property
    def asks_by_sms(self) -> bool:
        """True when the SIM has an SMS inquiry set."""
        return self._inquiry_config is not None

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
        if isinstance(plan, ValidityPlan):
            end = plan.end
            if (stated := self._state.plan_expires) is not None:
                # A notice said the data lasts longer than the plan as entered: it does.
                end = max(end, stated.astimezone(TOKYO).date())
            if today > end:
                return EXPIRED_PERIOD
        return current_period(plan, today)[0].isoformat()

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
        if stored is not None:
            self._state, dropped = TrackerState.restore(stored)
            if dropped:
                # Field names only: values may be anything, including what an attacker wrote.
                LOGGER.warning(
                    "Some saved figures of %s were unreadable and were dropped: %s",
                    self.name,
                    ", ".join(dropped),
                )
            if "allowance" in dropped:
                # What the figures were computed with is unknown: shift nothing.
                self._state.allowance = self.allowance
        self._load_patterns()
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
        if self._inquiry_config is None:
            self._forget_inquiry()
            return
        self._inquirer = Inquirer(
            self.hass,
            entry,
            self._inquiry_config,
            self._state.inquiry,
            last_figure=lambda: self._state.last_notice,
            changed=self._publish,
            save_now=lambda: self._store.async_save(self._state.as_dict()),
        )
        self._inquirer.async_start()

    @callback
    def _forget_inquiry(self) -> None:
        """The inquiry was removed (or never set): so are its sensor and its repair issue."""
        entry = self.config_entry
        ir.async_delete_issue(self.hass, DOMAIN, unanswered_issue_id(entry.entry_id))
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
        state.plan_expires = None
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
        state = self._state
        state.top_ups = [
            top_up for top_up in state.top_ups if top_up.expires is None or top_up.expires >= now
        ]
        if state.plan_expires is not None and state.plan_expires < now:
            # The plan's data expired as the carrier said it would: none of it is left.
            state.plan_left = 0

    def _plan_expires(self) -> datetime:
        """When the plan's own data expires: as a notice stated, else at the period's end."""
        return self._state.plan_expires or self._period_end()

    def _buckets_in_order(self) -> list[TopUp | None]:
        """The buckets data is taken from, first first; None stands for the plan's own data."""
        order: list[tuple[datetime | None, TopUp | None]] = [(self._plan_expires(), None)]
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
                expires=self._plan_expires(),
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
            last_inquiry=state.inquiry.last_sent if self.asks_by_sms else None,
            inquiry_replied=state.inquiry.replied if self.asks_by_sms else None,
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

    # -- the user's notice patterns -----------------------------------------------------------

    def _load_patterns(self) -> None:
        """Compile the user's patterns, skipping those that ran out of time before.

        They were tried for speed when entered; trying them again at every start, while Home
        Assistant is busy starting, could give up a good one. A pattern is given up for as long
        as it stays the same: editing or removing it in the options tries afresh, and the
        repair issue goes when no pattern is given up.
        """
        state = self._state
        current = {digest(source) for source in self._pattern_sources}
        state.slow_patterns = [d for d in state.slow_patterns if d in current]
        for source in self._pattern_sources:
            if digest(source) in state.slow_patterns:
                continue
            try:
                self._patterns.append(compile_user_pattern(source, check_speed=False))
            except InvalidNoticePattern:
                LOGGER.warning("A stored notice pattern of %s cannot be used", self.name)
        if state.slow_patterns:
            self._raise_slow_pattern_issue()
        else:
            ir.async_delete_issue(
                self.hass, DOMAIN, slow_pattern_issue_id(self.config_entry.entry_id)
            )

    def _parse(self, text: str) -> NoticeReading | None:
        """Read a notice, all the user's patterns within one time budget (pattern_budget).

        A pattern that ran out of its share, or spent a large part of it once too often, is
        given up; the others have read the notice all the same.
        """
        run = PatternRun(self._patterns)
        reading = parse_notice(text, run, now=dt_util.now())
        given_up = self._watch.verdict(run)
        for pattern in given_up:
            self._patterns.remove(pattern)
            self._give_up_pattern(pattern.pattern)
        if given_up:
            self._raise_slow_pattern_issue()
        return reading

    def _give_up_pattern(self, source: str) -> None:
        """Remember that a pattern runs out of time; say so once in the log."""
        position = self._pattern_sources.index(source) + 1
        self._state.slow_patterns.append(digest(source))
        # The position, not the text: the user knows their patterns, the log needs no copy.
        LOGGER.warning(
            "Notice pattern %d of %s took too long and is skipped until it is changed",
            position,
            self.name,
        )

    def _raise_slow_pattern_issue(self) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            slow_pattern_issue_id(self.config_entry.entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=SLOW_PATTERN_ISSUE,
            translation_placeholders={"entry_title": self.config_entry.title},
        )

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
        if text and self._senders.accepts(message_sender(data)):
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
        if self._senders.accepts(message_sender(new_state.attributes)):
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
        reading = self._parse(text)
        if reading is None:
            return
        fingerprint = digest(text)
        state = self._state
        inquirer = self._inquirer
        if fingerprint in state.seen:
            # Read before: while a reply is awaited too, a text seen before the send is no reply
            # (an old notice sent again must not undo a correction made since), and one seen
            # since is the reply come twice.
            return
        state.seen = [*(d for d in state.seen if d != fingerprint), fingerprint][-MAX_SEEN_NOTICES:]
        self._roll_over()
        self._charge()
        if reading.remaining is not None:
            self._set_total(reading.remaining)
            if reading.expires is not None and reading.expires >= dt_util.now():
                state.plan_expires = reading.expires
        elif reading.used is not None and (allowance := self.allowance) is not None:
            state.plan_left = max(0, allowance - reading.used)
        if reading.used is not None:
            state.used = reading.used
        if reading.throttled is not None:
            state.throttled = reading.throttled
        state.last_notice = dt_util.now()
        LOGGER.debug("%s read a carrier notice: %s", self.name, reading)
        if inquirer is not None:
            inquirer.async_notice_read()
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

        The full allowance is there again. ValueError when the period would leave the
        calendar (see ``period_data``); nothing changes then.
        """
        data = self.period_data(start)
        self.hass.config_entries.async_update_entry(self.config_entry, data=data)
        self._roll_over(force=True)
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
