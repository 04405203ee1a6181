"""The rules of an SMS inquiry: what the user set, what is remembered, and when to ask.

A tracked SIM may ask its carrier by SMS for the data left: an action of Home Assistant that
sends an SMS (a router's notify service, an ESPHome action, a script) takes the message and
the number the user typed; the carrier's answer arrives through the tracker's notice sources.
Nothing here knows a carrier's number or format: the user types both.

Sending an SMS costs money and carriers may bar a line that floods them, so every inquiry,
scheduled or asked for, counts against a spacing and a daily cap (Japan's calendar day).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Final

import regex

from .carriers.dates import TOKYO
from .carriers.stored import stored_count, stored_moment
from .const import (
    CONF_INQUIRY_ACTION,
    CONF_INQUIRY_MESSAGE,
    CONF_INQUIRY_MESSAGE_FIELD,
    CONF_INQUIRY_RECIPIENT,
    CONF_INQUIRY_RECIPIENT_FIELD,
    CONF_INQUIRY_STALE_HOURS,
    CONF_INQUIRY_TIME,
    DEFAULT_INQUIRY_MESSAGE_FIELD,
    DEFAULT_INQUIRY_RECIPIENT_FIELD,
    DOMAIN,
)

REPLY_WINDOW: Final = timedelta(minutes=10)
"""How long a reply is waited for; carriers' automatic replies come within a minute or two."""
MIN_SPACING: Final = timedelta(hours=1)
"""Between scheduled inquiries, so a silent carrier is not asked again and again."""
MANUAL_SPACING: Final = REPLY_WINDOW
"""Between an inquiry and one the user asks for: a double press sends one SMS."""
DAILY_CAP: Final = 4
"""Inquiries (sent or tried) per calendar day in Japan, whoever asked."""
SILENCES_BEFORE_ISSUE: Final = 3
"""Unanswered inquiries in a row before a repair issue asks the user to check the set-up."""
MAX_STALE_HOURS: Final = 168
MAX_MESSAGE_CHARS: Final = 160
"""One SMS: 160 characters of the GSM alphabet (70 in Japanese text)."""
MIN_NUMBER_DIGITS: Final = 3
MAX_NUMBER_DIGITS: Final = 15
"""The longest number E.164 allows."""

# What a number may be written with: digits, a leading +, and spaces, hyphens, brackets.
_NUMBER_NOISE: Final = regex.compile(r"[\s\-()]+")
_NUMBER: Final = regex.compile(r"\+?[0-9]+")
# An action's name as Home Assistant spells it, and a field name of its data.
_ACTION: Final = regex.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
_FIELD: Final = regex.compile(r"[a-z_][a-z0-9_]{0,63}")


class InvalidInquiryError(ValueError):
    """An inquiry setting that cannot be used; ``reason`` is the form's error key."""

    def __init__(self, key: str, reason: str) -> None:
        """Name the setting and why it was refused."""
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


def clean_action(value: object) -> str:
    """An action's name, e.g. notify.huawei_lte; never one of this integration's own."""
    text = value.strip().casefold() if isinstance(value, str) else ""
    if not _ACTION.fullmatch(text):
        raise InvalidInquiryError(CONF_INQUIRY_ACTION, "inquiry_action_invalid")
    if text.partition(".")[0] == DOMAIN:
        # japan_sim_data.refresh would ask again from inside the inquiry.
        raise InvalidInquiryError(CONF_INQUIRY_ACTION, "inquiry_action_invalid")
    return text


def clean_number(value: object) -> str:
    """The recipient's number as digits (with a leading + if typed), spaces and hyphens gone."""
    text = unicodedata.normalize("NFKC", value) if isinstance(value, str) else ""
    number = _NUMBER_NOISE.sub("", text)
    digits = len(number.removeprefix("+"))
    if not _NUMBER.fullmatch(number) or not MIN_NUMBER_DIGITS <= digits <= MAX_NUMBER_DIGITS:
        raise InvalidInquiryError(CONF_INQUIRY_RECIPIENT, "inquiry_recipient_invalid")
    return number


def clean_message(value: object) -> str:
    """The inquiry's text: one line, one SMS long."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_MESSAGE_CHARS or not text.isprintable():
        raise InvalidInquiryError(CONF_INQUIRY_MESSAGE, "inquiry_message_invalid")
    return text


def clean_field(key: str, value: object) -> str:
    """A field name of the action's data, such as target or recipient."""
    text = value.strip() if isinstance(value, str) else ""
    if not _FIELD.fullmatch(text):
        raise InvalidInquiryError(key, "inquiry_field_invalid")
    return text


def clean_time(value: object) -> time:
    """The daily time, as the form's time selector writes it (HH:MM or HH:MM:SS)."""
    try:
        moment = time.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is not None:
        raise InvalidInquiryError(CONF_INQUIRY_TIME, "inquiry_time_invalid")
    return moment.replace(microsecond=0)


def clean_stale_hours(value: object) -> int:
    """Hours after which the figure counts as old: a whole number from 1 to a week."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInquiryError(CONF_INQUIRY_STALE_HOURS, "inquiry_stale_hours_invalid")
    if not 1 <= value <= MAX_STALE_HOURS:
        raise InvalidInquiryError(CONF_INQUIRY_STALE_HOURS, "inquiry_stale_hours_invalid")
    return value


@dataclass(frozen=True, slots=True)
class InquiryConfig:
    """One tracked SIM's inquiry, as the user set it."""

    action: str
    recipient: str
    message: str
    recipient_field: str = DEFAULT_INQUIRY_RECIPIENT_FIELD
    message_field: str = DEFAULT_INQUIRY_MESSAGE_FIELD
    daily_at: time | None = None
    """A time of day in Japan; None: no daily inquiry."""
    stale_after: timedelta | None = None
    """Ask only when the figure is older than this (alone: whenever it is); None: any age."""

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> InquiryConfig | None:
        """The inquiry an entry's options hold; None when none is set.

        Raises InvalidInquiryError when a stored setting is unusable (changed by hand): the forms
        never store one.
        """
        if not options.get(CONF_INQUIRY_ACTION):
            return None
        recipient_field = clean_field(
            CONF_INQUIRY_RECIPIENT_FIELD,
            options.get(CONF_INQUIRY_RECIPIENT_FIELD) or DEFAULT_INQUIRY_RECIPIENT_FIELD,
        )
        message_field = clean_field(
            CONF_INQUIRY_MESSAGE_FIELD,
            options.get(CONF_INQUIRY_MESSAGE_FIELD) or DEFAULT_INQUIRY_MESSAGE_FIELD,
        )
        if recipient_field == message_field:
            raise InvalidInquiryError(CONF_INQUIRY_MESSAGE_FIELD, "inquiry_fields_same")
        daily = options.get(CONF_INQUIRY_TIME)
        stale = options.get(CONF_INQUIRY_STALE_HOURS)
        return cls(
            action=clean_action(options[CONF_INQUIRY_ACTION]),
            recipient=clean_number(options.get(CONF_INQUIRY_RECIPIENT)),
            message=clean_message(options.get(CONF_INQUIRY_MESSAGE)),
            recipient_field=recipient_field,
            message_field=message_field,
            daily_at=None if daily is None else clean_time(daily),
            stale_after=None if stale is None else timedelta(hours=clean_stale_hours(stale)),
        )

    @property
    def domain_and_service(self) -> tuple[str, str]:
        """The action split as Home Assistant calls it."""
        domain, _, service = self.action.partition(".")
        return domain, service

    def service_data(self) -> dict[str, str]:
        """What the action gets: the message and the number, in the fields the user named.

        notify services take ``target`` as one number or a list, so a plain number suits them.
        """
        return {self.message_field: self.message, self.recipient_field: self.recipient}


# -- what is remembered --------------------------------------------------------------------


@dataclass(slots=True)
class InquiryState:
    """What the inquiries did; kept with the tracker's figures across restarts."""

    attempts: list[datetime] = field(default_factory=list)
    """When inquiries were sent or tried, newest last; only the last DAILY_CAP matter."""
    last_sent: datetime | None = None
    """When the last inquiry was handed to the action without an error."""
    awaiting_since: datetime | None = None
    """When the inquiry whose reply is awaited was sent; None: none is awaited."""
    replied: bool | None = None
    """Whether the last sent inquiry was answered; None while awaited or before any."""
    silences: int = 0
    """Unanswered inquiries in a row."""

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON types for the Store."""
        return {
            "attempts": [moment.isoformat() for moment in self.attempts],
            "last_sent": _iso(self.last_sent),
            "awaiting_since": _iso(self.awaiting_since),
            "replied": self.replied,
            "silences": self.silences,
        }

    @classmethod
    def salvage(cls, data: object, now: datetime) -> tuple[InquiryState, list[str]]:
        """Rebuild a saved state field by field; name the fields that could not be read.

        A moment later than ``now`` cannot have happened (a clock that went back, a file edited
        by hand): kept, it would hold inquiries back until then, so it is dropped.
        """
        state, dropped = cls(), []
        if not isinstance(data, Mapping):
            return state, ["inquiry"]

        def moment(key: str) -> datetime | None:
            value = data.get(key)
            if value is None:
                return None
            read = stored_moment(value)
            if read is None or read > now:
                dropped.append(f"inquiry.{key}")
                return None
            return read

        attempts = data.get("attempts")
        if isinstance(attempts, list):
            read_all = [stored_moment(item) for item in attempts]
            kept = sorted(item for item in read_all if item is not None and item <= now)
            if len(kept) < len(attempts):
                dropped.append("inquiry.attempts")
            state.attempts = kept[-DAILY_CAP:]
        elif attempts is not None:
            dropped.append("inquiry.attempts")
        state.last_sent = moment("last_sent")
        state.awaiting_since = moment("awaiting_since")
        replied = data.get("replied")
        if replied is None or isinstance(replied, bool):
            state.replied = replied
        else:
            dropped.append("inquiry.replied")
        silences = stored_count(data.get("silences", 0))
        if silences is None:
            dropped.append("inquiry.silences")
        state.silences = silences or 0
        return state, dropped

    def record_attempt(self, now: datetime) -> None:
        """Count an inquiry against the spacing and the daily cap, whatever comes of it."""
        self.attempts = [*self.attempts, now][-DAILY_CAP:]

    @property
    def last_attempt(self) -> datetime | None:
        """When the last inquiry was sent or tried."""
        return self.attempts[-1] if self.attempts else None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


# -- when -----------------------------------------------------------------------------------


def _tokyo_midnight_after(now: datetime) -> datetime:
    day = now.astimezone(TOKYO).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=TOKYO)


def attempts_today(state: InquiryState, now: datetime) -> int:
    """Inquiries sent or tried on the current calendar day in Japan."""
    today = now.astimezone(TOKYO).date()
    return sum(1 for moment in state.attempts if moment.astimezone(TOKYO).date() == today)


def allowed_from(state: InquiryState, now: datetime, spacing: timedelta) -> datetime:
    """The first moment the limits let an inquiry go (``now`` or later)."""
    earliest = now
    if (last := state.last_attempt) is not None:
        earliest = max(earliest, last + spacing)
    if attempts_today(state, now) >= DAILY_CAP:
        earliest = max(earliest, _tokyo_midnight_after(now))
    return earliest


def _slot(day: datetime, at: time) -> datetime:
    """``at`` on ``day``'s calendar day in Japan."""
    local = day.astimezone(TOKYO).date()
    return datetime.combine(local, at, tzinfo=TOKYO)


def next_due(
    config: InquiryConfig, state: InquiryState, last_figure: datetime | None, now: datetime
) -> datetime | None:
    """When the next scheduled inquiry should go; ``now`` or earlier means at once.

    - A daily time: at that time each day in Japan. One missed today (Home Assistant was
      stopped) goes at once, the same day only; with an age set too, only if the figure is
      older than that then.
    - An age alone: when the figure (or, after a silence, the last inquiry) grows that old.
    - Neither: never; the Refresh button and the refresh action still ask.
    The limits (spacing, daily cap) then hold it back as needed. ``last_figure`` is when the
    carrier last said how much is left.
    """
    stale, at = config.stale_after, config.daily_at
    if at is None and stale is None:
        return None
    if at is None:
        assert stale is not None
        newest = max((m for m in (last_figure, state.last_attempt) if m is not None), default=None)
        due = now if newest is None else newest + stale
    else:
        due = _slot(now, at)
        served = state.last_attempt is not None and state.last_attempt >= due
        fresh = stale is not None and last_figure is not None and now - last_figure < stale
        if due <= now and (served or fresh):
            due = _slot(due + timedelta(days=1), at)
    # The limits are judged on the day the inquiry would go: tomorrow's cap is fresh.
    return allowed_from(state, max(due, now), MIN_SPACING)
