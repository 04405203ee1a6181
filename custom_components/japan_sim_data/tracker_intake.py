"""Where a tracked SIM's figures come from in Home Assistant: counters' states, notices' events.

Counters are data-size sensors with a running total (the companion app's ``mobile_rx_gb``, a
router's byte counters); each new state goes to the ledger as bytes. Notices arrive as events
(``imap_content``, ``sms.incoming_sms``, one the user names) or as an entity's state or
attribute (the companion app's last-notification sensor); each passes its source's sender
check before its text goes to the tracker. Nothing here keeps figures: ``tracker.py`` does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final

from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    UnitOfInformation,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util.unit_conversion import InformationConverter

from .carriers.tracking_counters import WRAP_32_BIT
from .carriers.tracking_presets import official_senders
from .carriers.tracking_senders import SenderFilter, mail_failed_authentication
from .carriers.units import MAX_PLAUSIBLE_BYTES
from .const import (
    CONF_NOTICE_ATTRIBUTE,
    CONF_NOTICE_ENTITIES,
    CONF_NOTICE_EVENTS,
    CONF_NOTICE_SENDERS,
    CONF_NOTICE_TEXT_FIELD,
    CONF_TRACKED_CARRIER,
    CONF_USAGE_SENSORS,
    DEFAULT_NOTICE_TEXT_FIELD,
    EVENT_IMAP_CONTENT,
    EVENT_SMS_INCOMING,
    LOGGER,
)
from .coordinator import JapanSimDataConfigEntry

# Where a source names who sent a message: imap_content's "sender", sms.incoming_sms's
# "phone", and the Android companion app's notification sensor's "android.title" attribute.
SENDER_FIELDS: Final = ("sender", "phone", "from", "android.title")
# The companion app's notification sensor names the app that posted it here
# (NotificationSensorManager.kt in home-assistant/android: put("package", sbn.packageName)).
PACKAGE_FIELD: Final = "package"
# The fields each preset event carries its text in; imap's subject often states the figure
# (docomo: 「データ量残り〇〇MBのお知らせ」).
PRESET_TEXT_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    EVENT_IMAP_CONTENT: ("subject", "text"),
    EVENT_SMS_INCOMING: ("text",),
}
# Counters that wrap at 2**32 bytes, by the integration that makes them: UPnP IGD's
# GetTotalBytesReceived / GetTotalBytesSent are 32-bit (ui4) on many routers.
WRAPPING_PLATFORMS: Final[Mapping[str, int]] = {"upnp": WRAP_32_BIT}

type CountSink = Callable[[str, int | None, int | None], None]
"""Takes a counter's entity id, its total in bytes (None: no figure) and where it wraps."""


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


def message_sender(source: Mapping[str, Any]) -> str | None:
    """The sender an event or an entity's attributes name, if any."""
    for key in SENDER_FIELDS:
        sender = source.get(key)
        if isinstance(sender, str) and sender:
            return sender
    return None


def sender_filter(entry: JapanSimDataConfigEntry) -> SenderFilter:
    """The entry's sender filter; one never set is the carrier's own senders."""
    senders = entry.options.get(CONF_NOTICE_SENDERS)
    if senders is None:
        # A filter the user emptied stays empty; one never set starts from the carrier's.
        senders = official_senders(entry.data.get(CONF_TRACKED_CARRIER))
    return SenderFilter.of(sender for sender in senders if isinstance(sender, str))


class TrackerIntake:
    """Listens to a tracked SIM's sources and hands on what passes their checks."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: JapanSimDataConfigEntry,
        *,
        count: CountSink,
        notice: Callable[[str], None],
    ) -> None:
        """Read the sources from the entry's options; ``count`` and ``notice`` take the news."""
        self.hass = hass
        self.entry = entry
        self._count = count
        self._notice = notice
        options = entry.options
        self.usage_sensors: list[str] = list(options.get(CONF_USAGE_SENSORS, []))
        self._notice_events: list[str] = list(options.get(CONF_NOTICE_EVENTS, []))
        self._notice_text_field: str = (
            options.get(CONF_NOTICE_TEXT_FIELD) or DEFAULT_NOTICE_TEXT_FIELD
        )
        self._notice_entities: list[str] = list(options.get(CONF_NOTICE_ENTITIES, []))
        self._notice_attribute: str | None = options.get(CONF_NOTICE_ATTRIBUTE) or None
        self.senders = sender_filter(entry)
        self._wraps: dict[str, int | None] = {}

    def wraps_at(self, entity_id: str) -> int | None:
        """Where a counter wraps to 0, by the integration that makes it; None: it does not."""
        if entity_id not in self._wraps:
            registered = er.async_get(self.hass).async_get(entity_id)
            platform = registered.platform if registered is not None else None
            self._wraps[entity_id] = WRAPPING_PLATFORMS.get(platform or "")
        return self._wraps[entity_id]

    @callback
    def async_read_counters(self) -> None:
        """Hand on every counter's current total (at start-up)."""
        for entity_id in self.usage_sensors:
            state = self.hass.states.get(entity_id)
            self._count(entity_id, state_to_bytes(state), self.wraps_at(entity_id))

    @callback
    def async_start(self) -> None:
        """Listen to the counters and notice sources until the entry unloads."""
        entry, hass = self.entry, self.hass
        if self.usage_sensors:
            entry.async_on_unload(
                async_track_state_change_event(hass, self.usage_sensors, self._on_usage)
            )
        if self._notice_entities:
            entry.async_on_unload(
                async_track_state_change_event(hass, self._notice_entities, self._on_entity)
            )
        for event_type in self._notice_events:
            entry.async_on_unload(hass.bus.async_listen(event_type, self._on_event))

    @callback
    def _on_usage(self, event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        value = state_to_bytes(event.data["new_state"])
        self._count(entity_id, value, self.wraps_at(entity_id))

    @callback
    def _on_event(self, event: Event) -> None:
        data = event.data
        if event.event_type == EVENT_IMAP_CONTENT and data.get("initial") is False:
            # The imap integration sends the same newest message again: already read.
            return
        fields = PRESET_TEXT_FIELDS.get(str(event.event_type), (self._notice_text_field,))
        text = "\n".join(str(data[key]) for key in fields if isinstance(data.get(key), str))
        if not text or not self._accepts(data):
            return
        if self.senders.checks_mail and mail_failed_authentication(data.get("headers")):
            # The receiving server says the message is not from the address it shows.
            LOGGER.debug("%s ignored an e-mail that failed DMARC/SPF", self.entry.title)
            return
        self._notice(text)

    @callback
    def _on_entity(self, event: Event[EventStateChangedData]) -> None:
        old_state, new_state = event.data["old_state"], event.data["new_state"]
        if old_state is None or new_state is None:
            # An entity appearing (at start-up, restored) shows an old message, not a new one.
            return
        text = self._entity_text(new_state)
        if text is None or text == self._entity_text(old_state):
            return
        if self._accepts(new_state.attributes):
            self._notice(text)

    def _accepts(self, source: Mapping[str, Any]) -> bool:
        """Judge a message by what its source can prove about its sender."""
        package = source.get(PACKAGE_FIELD)
        if isinstance(package, str) and package:
            title = source.get("android.title")
            return self.senders.accepts_notification(
                title if isinstance(title, str) else None, package
            )
        return self.senders.accepts(message_sender(source))

    def _entity_text(self, state: State) -> str | None:
        if self._notice_attribute is None:
            value: Any = state.state
            if value in (STATE_UNAVAILABLE, STATE_UNKNOWN):
                return None
        else:
            value = state.attributes.get(self._notice_attribute)
        return value if isinstance(value, str) and value else None
