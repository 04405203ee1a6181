"""The plan tracker in Home Assistant: counters, periods, notices, restarts, actions, entities."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from unittest.mock import MagicMock, patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.japan_sim_data.carriers.models import BucketKind
from custom_components.japan_sim_data.carriers.units import GIB, MIB
from custom_components.japan_sim_data.const import (
    CONF_ALLOWANCE,
    CONF_CARRIER,
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
    DOMAIN,
)
from custom_components.japan_sim_data.tracker import (
    TrackedSimUsage,
    TrackerCoordinator,
    state_to_bytes,
    storage_key,
)

from .conftest import FROZEN_NOW

TRACKER_ID = "0f0e0d0c0b0a09080706050403020100"
DOWNLOAD = "sensor.router_monthly_download"
UPLOAD = "sensor.router_monthly_upload"
PHONE_NOTICE = "sensor.pixel_last_notification"
DATA_SIZE = {"device_class": "data_size"}


def _entry(
    data: dict[str, Any] | None = None, options: dict[str, Any] | None = None
) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Router SIM",
        unique_id=TRACKER_ID,
        data={
            key: value
            for key, value in {
                CONF_CARRIER: "tracker",
                CONF_TRACKED_CARRIER: "docomo",
                CONF_ALLOWANCE: 3.0,
                CONF_PLAN_SHAPE: "monthly",
                CONF_RESET_DAY: 1,
                **(data or {}),
            }.items()
            if value is not None
        },
        options={CONF_USAGE_SENSORS: [DOWNLOAD, UPLOAD]} if options is None else options,
    )


def _counter(hass: HomeAssistant, entity_id: str, value: str, unit: str = "MiB") -> None:
    hass.states.async_set(entity_id, value, {**DATA_SIZE, "unit_of_measurement": unit})


async def _setup(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    now: str = FROZEN_NOW,
    platforms: list[Platform] | None = None,
) -> TrackerCoordinator:
    freezer.move_to(now)
    entry.add_to_hass(hass)
    with patch("custom_components.japan_sim_data.PLATFORMS", platforms or [Platform.SENSOR]):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    assert isinstance(coordinator, TrackerCoordinator)
    return coordinator


def _sim(entry: MockConfigEntry) -> TrackedSimUsage:
    sim = entry.runtime_data.coordinator.data.sims[TRACKER_ID]
    assert isinstance(sim, TrackedSimUsage)
    return sim


def _entity_state(hass: HomeAssistant, key: str) -> str:
    # Found by what it shows, whatever stem its unique id has.
    (entity_id,) = (
        entity.entity_id
        for entity in er.async_get(hass).entities.values()
        if entity.platform == DOMAIN and entity.domain == "sensor" and entity.translation_key == key
    )
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: str) -> None:
    freezer.move_to(moment)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


# -- usage counters ------------------------------------------------------------------------------


async def test_usage_is_summed_from_counters_with_resets_and_gaps(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    _counter(hass, DOWNLOAD, "100")
    _counter(hass, UPLOAD, "10")
    entry = _entry()
    await _setup(hass, freezer, entry)
    sim = _sim(entry)
    # The first values are baselines: nothing used yet, the whole allowance left.
    assert sim.used == 0
    assert sim.remaining == 3 * GIB
    assert sim.allowance == 3 * GIB
    assert sim.plan_name == "docomo"
    assert sim.throttled is None
    assert sim.resets_on == date(2025, 12, 1)

    _counter(hass, DOWNLOAD, "612")  # +512 MiB
    _counter(hass, UPLOAD, "0.5", "GiB")  # +502 MiB, in another unit
    await hass.async_block_till_done()
    assert _sim(entry).used == 1014 * MIB

    # Gaps change nothing, and nothing is counted twice when the source comes back.
    _counter(hass, UPLOAD, "unavailable")
    hass.states.async_set(UPLOAD, "unknown", DATA_SIZE)
    _counter(hass, UPLOAD, "512")  # 512 MiB is 0.5 GiB: no change
    await hass.async_block_till_done()
    assert _sim(entry).used == 1014 * MIB

    # The router rebooted: its counter restarted from 0, and 10 MiB is new usage.
    _counter(hass, DOWNLOAD, "10")
    # Decimal units are converted as Home Assistant defines them (1 MB = 10**6 bytes).
    _counter(hass, UPLOAD, "537.919488", "MB")  # 512 MiB + 1 MiB
    await hass.async_block_till_done()
    used = 1014 * MIB + 10 * MIB + MIB
    assert _sim(entry).used == used
    assert _sim(entry).remaining == 3 * GIB - used
    assert float(_entity_state(hass, "data_used")) == pytest.approx(used / GIB, abs=0.01)


async def test_usage_beyond_the_allowance_stops_at_zero(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    _counter(hass, DOWNLOAD, "0", "GB")
    entry = _entry(options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    await _setup(hass, freezer, entry)
    _counter(hass, DOWNLOAD, "5", "GB")
    await hass.async_block_till_done()
    assert _sim(entry).used == 5 * 10**9
    assert _sim(entry).remaining == 0


@pytest.mark.parametrize(
    ("state", "attributes", "expected"),
    [
        ("1.5", {"unit_of_measurement": "kB"}, 1500),
        ("2", {"unit_of_measurement": "KiB"}, 2048),
        ("abc", {"unit_of_measurement": "MB"}, None),
        ("-1", {"unit_of_measurement": "MB"}, None),
        ("inf", {"unit_of_measurement": "MB"}, None),
        ("3", {"unit_of_measurement": "W"}, None),
        ("3", {}, None),
        ("1e30", {"unit_of_measurement": "TB"}, None),
    ],
)
async def test_state_conversion(
    hass: HomeAssistant, state: str, attributes: dict[str, Any], expected: int | None
) -> None:
    hass.states.async_set("sensor.x", state, attributes)
    assert state_to_bytes(hass.states.get("sensor.x")) == expected
    assert state_to_bytes(None) is None


async def test_without_a_usage_source_remaining_is_unknown_not_full(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = _entry(options={})
    await _setup(hass, freezer, entry)
    sim = _sim(entry)
    assert sim.remaining is None
    assert sim.used is None
    assert _entity_state(hass, "remaining_data") == "unknown"
    assert _entity_state(hass, "days_left") == "6"
    assert _entity_state(hass, "data_resets_on") == "2025-12-01"


async def test_unknown_allowance_stays_unknown_until_a_notice(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    _counter(hass, DOWNLOAD, "0")
    data = {CONF_ALLOWANCE: None, CONF_TRACKED_CARRIER: "other"}
    entry = _entry(data=data, options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    await _setup(hass, freezer, entry)
    sim = _sim(entry)
    assert sim.remaining is None
    assert sim.allowance is None
    assert sim.plan_name is None
    _counter(hass, DOWNLOAD, "100")
    await hass.async_block_till_done()
    assert _sim(entry).used == 100 * MIB
    assert _sim(entry).remaining is None


# -- restarts ----------------------------------------------------------------------------------


async def test_figures_survive_a_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    _counter(hass, DOWNLOAD, "100")
    entry = _entry(options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    await _setup(hass, freezer, entry)
    _counter(hass, DOWNLOAD, "300")
    await hass.async_block_till_done()
    assert _sim(entry).used == 200 * MIB

    await hass.config_entries.async_unload(entry.entry_id)
    saved = hass_storage[storage_key(entry.entry_id)]["data"]
    assert saved["used"] == 200 * MIB
    # Usage while Home Assistant was stopped is counted when it starts again.
    _counter(hass, DOWNLOAD, "350")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert _sim(entry).used == 250 * MIB
    assert _sim(entry).remaining == 3 * GIB - 250 * MIB


async def test_state_is_restored_from_storage(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    entry = _entry(options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    hass_storage[storage_key(entry.entry_id)] = {
        "version": 1,
        "minor_version": 1,
        "key": storage_key(entry.entry_id),
        "data": {
            "period": "2025-11-01",
            "counter": {"used": 1024 * MIB, "baselines": {DOWNLOAD: 4000 * MIB}},
            "charged": 1024 * MIB,
            "plan_left": 1536 * MIB,
            "used": 1024 * MIB,
            "allowance": 3 * GIB,
            "top_ups": [
                {"amount": GIB, "left": 512 * MIB, "expires": "2025-12-10T23:59:59+09:00"},
            ],
            "throttled": True,
            "last_notice": "2025-11-20T08:00:00+09:00",
            "seen": ["abc"],
        },
    }
    await _setup(hass, freezer, entry)
    sim = _sim(entry)
    assert sim.used == 1024 * MIB
    assert sim.remaining == 2048 * MIB
    assert sim.remaining_of(BucketKind.TOPPING) == 512 * MIB
    assert sim.throttled is True
    assert sim.last_notice == datetime(2025, 11, 19, 23, 0, tzinfo=UTC)
    # The counter's baseline was kept: growth from it is usage.
    _counter(hass, DOWNLOAD, str(4100))
    await hass.async_block_till_done()
    assert _sim(entry).used == 1124 * MIB
    # The period's own data goes first (it expires before the top-up).
    assert _sim(entry).remaining_of(BucketKind.MONTHLY) == 1436 * MIB


async def test_a_state_with_missing_fields_keeps_the_rest(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Only the period is left: the figures of that period are unknown, not a full allowance.
    entry = _entry(options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    hass_storage[storage_key(entry.entry_id)] = {
        "version": 1,
        "key": storage_key(entry.entry_id),
        "data": {"period": "2025-11-01"},
    }
    await _setup(hass, freezer, entry)
    assert "unreadable" in caplog.text
    assert "plan_left" in caplog.text
    assert _sim(entry).remaining is None
    assert _entity_state(hass, "remaining_data") == "unknown"


async def test_a_changed_allowance_shifts_what_is_left(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    _counter(hass, DOWNLOAD, "0")
    entry = _entry(options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    coordinator = await _setup(hass, freezer, entry)
    _counter(hass, DOWNLOAD, "1024")
    await hass.async_block_till_done()
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_ALLOWANCE: 5.0})
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _sim(entry).remaining == 4 * GIB
    # Forgetting the allowance makes the plan's data unknown; giving it again counts usage.
    hass.config_entries.async_update_entry(
        entry, data={k: v for k, v in entry.data.items() if k != CONF_ALLOWANCE}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _sim(entry).remaining is None
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_ALLOWANCE: 2.0})
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _sim(entry).remaining == GIB
    assert coordinator is not entry.runtime_data.coordinator


# -- periods -----------------------------------------------------------------------------------


async def test_monthly_rollover_at_midnight_in_tokyo(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    _counter(hass, DOWNLOAD, "0")
    entry = _entry(options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    await _setup(hass, freezer, entry, now="2025-11-30T23:00:00+09:00")
    _counter(hass, DOWNLOAD, "2048")
    await hass.async_block_till_done()
    assert _sim(entry).remaining == GIB
    assert _entity_state(hass, "days_left") == "1"

    # 00:00 in Tokyo is 15:00 UTC the day before: the new period begins then, not at UTC's.
    await _tick(hass, freezer, "2025-11-30T15:00:02+00:00")
    sim = _sim(entry)
    assert sim.used == 0
    assert sim.remaining == 3 * GIB
    assert sim.resets_on == date(2026, 1, 1)
    assert _entity_state(hass, "days_left") == "31"
    # Usage after the reset belongs to the new period.
    _counter(hass, DOWNLOAD, "2148")
    await hass.async_block_till_done()
    assert _sim(entry).used == 100 * MIB


async def test_rollover_is_noticed_by_a_usage_change(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    _counter(hass, DOWNLOAD, "0")
    entry = _entry(data={CONF_RESET_DAY: 26}, options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    await _setup(hass, freezer, entry)
    _counter(hass, DOWNLOAD, "1000")
    await hass.async_block_till_done()
    assert _sim(entry).used == 1000 * MIB
    freezer.move_to("2025-11-26T09:00:00+09:00")
    _counter(hass, DOWNLOAD, "1100")
    await hass.async_block_till_done()
    assert _sim(entry).used == 100 * MIB
    assert _sim(entry).resets_on == date(2025, 12, 26)


async def test_validity_plan_ends(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    _counter(hass, DOWNLOAD, "0")
    entry = _entry(
        data={
            CONF_TRACKED_CARRIER: "travel",
            CONF_PLAN_SHAPE: "validity",
            CONF_START_DATE: "2025-11-20",
            CONF_END_DATE: "2025-11-27",
        },
        options={CONF_USAGE_SENSORS: [DOWNLOAD]},
    )
    await _setup(hass, freezer, entry)
    sim = _sim(entry)
    assert sim.plan_name == "Travel SIM"
    assert sim.resets_on is None
    assert sim.remaining == 3 * GIB
    assert _entity_state(hass, "days_left") == "3"
    assert _entity_state(hass, "data_expires") == "2025-11-27"

    _counter(hass, DOWNLOAD, "500")
    await _tick(hass, freezer, "2025-11-27T23:00:00+09:00")
    assert _sim(entry).used == 500 * MIB
    await _tick(hass, freezer, "2025-11-28T00:00:02+09:00")
    sim = _sim(entry)
    assert sim.remaining == 0
    assert sim.used is None
    # The ended plan holds 0, for good; no day is left to count (a bucket past its expiry
    # never shows "0 days left" next to a figure: the validity rule of the model).
    assert _entity_state(hass, "remaining_data") == "0.0"
    assert _entity_state(hass, "days_left") == "unknown"
    # Usage after the end is not piled onto the ended plan.
    _counter(hass, DOWNLOAD, "700")
    await hass.async_block_till_done()
    assert _sim(entry).remaining == 0


# -- notices -----------------------------------------------------------------------------------


def _imap_event(sender: str, subject: str, text: str, *, initial: bool = True) -> dict[str, Any]:
    """The event data the core imap integration fires (components/imap/coordinator.py)."""
    return {
        "entry_id": "imap-entry",
        "server": "imap.example.com",
        "username": "user@example.com",
        "search": "UnSeen UnDeleted",
        "folder": "INBOX",
        "initial": initial,
        "date": datetime(2025, 11, 25, 11, 0, tzinfo=UTC),
        "sender": sender,
        "subject": subject,
        "uid": "42",
        "parts": {},
        "text": text,
        "headers": {"Subject": (subject,)},
    }


async def test_imap_notice_overrides_the_estimate(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    _counter(hass, DOWNLOAD, "0")
    entry = _entry(
        options={
            CONF_USAGE_SENSORS: [DOWNLOAD],
            CONF_NOTICE_EVENTS: ["imap_content"],
            CONF_NOTICE_SENDERS: ["docomo.ne.jp"],
        }
    )
    await _setup(hass, freezer, entry)
    assert _entity_state(hass, "last_notice") == "unknown"

    notice = _imap_event(
        "info@docomo.ne.jp",
        "データ量残り５００ＭＢのお知らせ",
        "いつもdocomoをご利用いただきありがとうございます。\nご利用可能なデータ量の残りが500MBになりました。",
    )
    hass.bus.async_fire("imap_content", notice)
    await hass.async_block_till_done()
    sim = _sim(entry)
    assert sim.remaining == 500 * MIB
    assert sim.last_notice == datetime.fromisoformat(FROZEN_NOW)
    assert _entity_state(hass, "last_notice") == "2025-11-25T03:00:00+00:00"

    # Usage after the notice comes off its figure.
    _counter(hass, DOWNLOAD, "100")
    await hass.async_block_till_done()
    assert _sim(entry).remaining == 400 * MIB

    # The same message again (re-sent after a restart, or not "initial") changes nothing.
    hass.bus.async_fire("imap_content", notice)
    hass.bus.async_fire("imap_content", {**notice, "initial": False, "text": "残り2GB"})
    # Another sender's message and an unrelated one from the carrier change nothing.
    hass.bus.async_fire("imap_content", _imap_event("shop@example.com", "残り1GB", "残り1GBです"))
    hass.bus.async_fire(
        "imap_content",
        _imap_event("info@docomo.ne.jp", "ご請求金額のお知らせ", "今月のご請求額は3,280円です。"),
    )
    await hass.async_block_till_done()
    assert _sim(entry).remaining == 400 * MIB


async def test_sms_notices_throttling_and_used_data(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = _entry(
        options={
            CONF_NOTICE_EVENTS: ["sms.incoming_sms"],
            # Written as users write numbers: compared without spaces and hyphens.
            CONF_NOTICE_SENDERS: ["+81 9000-0151", "151"],
        }
    )
    await _setup(hass, freezer, entry)
    assert _sim(entry).remaining is None

    # As the former core Gammu integration fired it: phone, a local date string, text.
    hass.bus.async_fire(
        "sms.incoming_sms",
        {
            "phone": "+8190000151",
            "date": "2025-11-25 12:34:56",
            "text": (
                "【ahamo】今月のご利用データ量が２０ＧＢを超えたため、"
                "送受信最大１Ｍｂｐｓに制限しています。"
            ),
        },
    )
    await hass.async_block_till_done()
    sim = _sim(entry)
    assert sim.throttled is True
    # It also says more than 20 GB were used, more than the 3 GB plan: nothing is left. "More
    # than" is a lower bound, never the exact use: used stays unknown without a counter.
    assert sim.used is None
    assert sim.remaining == 0

    hass.bus.async_fire(
        "sms.incoming_sms",
        {"phone": "151", "date": "2025-11-25 13:00:00", "text": "ご利用データ量：2.5GB"},
    )
    await hass.async_block_till_done()
    sim = _sim(entry)
    assert sim.used == int(2.5 * GIB)
    assert sim.remaining == int(0.5 * GIB)

    hass.bus.async_fire(
        "sms.incoming_sms",
        {"phone": "151", "date": "2025-11-25 14:00:00", "text": "速度制限を解除しました。"},
    )
    hass.bus.async_fire(
        "sms.incoming_sms",
        {"phone": "151", "date": "2025-11-25 14:00:00", "text": "お荷物をお届けにあがりました"},
    )
    hass.bus.async_fire("sms.incoming_sms", {"phone": "151", "date": "x"})
    await hass.async_block_till_done()
    assert _sim(entry).throttled is False


async def test_custom_event_with_a_user_pattern(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    entry = _entry(
        options={
            CONF_NOTICE_EVENTS: ["esphome.sim800l_sms"],
            CONF_NOTICE_TEXT_FIELD: "message",
            CONF_NOTICE_PATTERNS: [r"BAL:(?P<amount>[\d.]+)(?P<unit>MB)", "(broken"],
            CONF_NOTICE_SENDERS: ["080-0000-0000"],
        }
    )
    await _setup(hass, freezer, entry)
    assert "cannot be used" in caplog.text
    hass.bus.async_fire(
        "esphome.sim800l_sms", {"sender": "+81 80-0000-0000", "message": "BAL:700MB"}
    )
    await hass.async_block_till_done()
    assert _sim(entry).remaining == 700 * MIB
    # With a sender filter set, an event that names no sender cannot pass it, and a number
    # that merely starts like the wanted one is another number.
    hass.bus.async_fire("esphome.sim800l_sms", {"message": "BAL:600MB"})
    hass.bus.async_fire(
        "esphome.sim800l_sms", {"sender": "+81 80-0000-0000-9", "message": "BAL:1MB"}
    )
    await hass.async_block_till_done()
    assert _sim(entry).remaining == 700 * MIB


async def test_companion_app_notification_attribute(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    # The companion app's "Last notification" sensor: the state is the notification's text
    # (255 characters at most); attributes carry android.title, android.text, package...
    attributes = {
        "android.title": "Rakuten Mobile",
        "android.text": "アプリのお知らせ",
        "package": "com.google.android.apps.messaging",
        "post_time": 1764036000000,
    }
    hass.states.async_set(PHONE_NOTICE, "アプリのお知らせ", attributes)
    entry = _entry(
        options={
            CONF_NOTICE_ENTITIES: [PHONE_NOTICE],
            CONF_NOTICE_ATTRIBUTE: "android.text",
            CONF_NOTICE_SENDERS: ["Rakuten Mobile"],
        }
    )
    await _setup(hass, freezer, entry)
    # What was already shown at start-up is old news.
    assert _sim(entry).last_notice is None

    text = "【楽天モバイル】データ残量：１．２ＧＢ。ご利用ありがとうございます。"
    hass.states.async_set(PHONE_NOTICE, text[:20], {**attributes, "android.text": text})
    await hass.async_block_till_done()
    assert _sim(entry).remaining == round(1.2 * GIB)

    # Another app's notification, an attribute that is not text, the same text again.
    other = {**attributes, "android.title": "LINE", "android.text": "残り5GBです"}
    hass.states.async_set(PHONE_NOTICE, "x", other)
    hass.states.async_set(PHONE_NOTICE, "y", {**attributes, "android.text": 42})
    hass.states.async_set(PHONE_NOTICE, "z", {**attributes, "android.text": text})
    hass.states.async_remove(PHONE_NOTICE)
    await hass.async_block_till_done()
    assert _sim(entry).remaining == round(1.2 * GIB)


async def test_entity_state_source(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    hass.states.async_set("sensor.modem_sms", "unavailable")
    # The modem's entity names no sender: only an emptied filter lets its messages through.
    entry = _entry(options={CONF_NOTICE_ENTITIES: ["sensor.modem_sms"], CONF_NOTICE_SENDERS: []})
    await _setup(hass, freezer, entry)
    hass.states.async_set("sensor.modem_sms", "データ量残り800MBです")
    await hass.async_block_till_done()
    assert _sim(entry).remaining == 800 * MIB
    hass.states.async_set("sensor.modem_sms", "unknown")
    await hass.async_block_till_done()
    assert _sim(entry).remaining == 800 * MIB


# -- actions -----------------------------------------------------------------------------------


async def test_actions(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    _counter(hass, DOWNLOAD, "0")
    entry = _entry(options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    await _setup(hass, freezer, entry)

    await hass.services.async_call(
        DOMAIN, "set_remaining", {"config_entry_id": entry.entry_id, "amount": 1.5}, blocking=True
    )
    assert _sim(entry).remaining == round(1.5 * GIB)

    # A top-up that expires before the period ends is used first.
    await hass.services.async_call(
        DOMAIN,
        "add_data",
        {"config_entry_id": entry.entry_id, "amount": 1, "expires": "2025-11-28"},
        blocking=True,
    )
    await hass.services.async_call(
        DOMAIN, "add_data", {"config_entry_id": entry.entry_id, "amount": 0.5}, blocking=True
    )
    sim = _sim(entry)
    assert sim.remaining == 3 * GIB
    assert sim.remaining_of(BucketKind.TOPPING) == round(1.5 * GIB)
    assert _entity_state(hass, "data_expires") == "2025-11-28"
    _counter(hass, DOWNLOAD, "1536")  # 1.5 GiB: the dated top-up, then the plan's data
    await hass.async_block_till_done()
    sim = _sim(entry)
    assert sim.remaining_of(BucketKind.TOPPING) == GIB // 2
    assert sim.remaining_of(BucketKind.MONTHLY) == GIB
    # A correction lower than the top-ups hold empties the plan's data and trims top-ups.
    await hass.services.async_call(
        DOMAIN, "set_remaining", {"config_entry_id": entry.entry_id, "amount": 0.25}, blocking=True
    )
    sim = _sim(entry)
    assert sim.remaining == GIB // 4
    assert sim.remaining_of(BucketKind.MONTHLY) == 0
    # The dated top-up expires at the end of its day; the undated one stays into next month.
    await _tick(hass, freezer, "2025-11-29T00:00:02+09:00")
    assert len(_sim(entry).buckets) == 3 - 1
    await _tick(hass, freezer, "2025-12-01T00:00:02+09:00")
    sim = _sim(entry)
    assert sim.remaining == 3 * GIB + GIB // 4

    await hass.services.async_call(
        DOMAIN,
        "start_period",
        {"config_entry_id": entry.entry_id, "start": "2025-12-15"},
        blocking=True,
    )
    assert entry.data[CONF_RESET_DAY] == 15
    assert _sim(entry).resets_on == date(2025, 12, 15)
    assert _sim(entry).used == 0


async def test_start_period_renews_a_travel_plan(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = _entry(
        data={
            CONF_PLAN_SHAPE: "validity",
            CONF_START_DATE: "2025-11-01",
            CONF_END_DATE: "2025-11-08",
        },
        options={},
    )
    await _setup(hass, freezer, entry)
    assert _sim(entry).remaining == 0  # ended before today
    await hass.services.async_call(
        DOMAIN, "start_period", {"config_entry_id": entry.entry_id}, blocking=True
    )
    assert entry.data[CONF_START_DATE] == "2025-11-25"
    assert entry.data[CONF_END_DATE] == "2025-12-02"
    # The user said the plan starts afresh: its whole allowance is there.
    assert _sim(entry).remaining == 3 * GIB
    assert _entity_state(hass, "days_left") == "8"


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("set_remaining", {"amount": -1}, "invalid_amount"),
        ("set_remaining", {"amount": "nan"}, "invalid_amount"),
        ("add_data", {"amount": 0}, "invalid_amount"),
        ("add_data", {"amount": 1e12}, "invalid_amount"),
        ("add_data", {"amount": 1, "expires": "2025-11-24"}, "expiry_in_past"),
    ],
)
async def test_actions_refuse_bad_input(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    service: str,
    data: dict[str, Any],
    key: str,
) -> None:
    entry = _entry(options={})
    await _setup(hass, freezer, entry)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, service, {"config_entry_id": entry.entry_id, **data}, blocking=True
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key


async def test_actions_refuse_other_entries(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    for entry_id, key in (
        (init_integration.entry_id, "not_a_tracker"),
        ("nope", "entry_not_found"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN, "start_period", {"config_entry_id": entry_id}, blocking=True
            )
        assert err.value.translation_key == key


async def test_removing_the_entry_deletes_its_figures(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    entry = _entry(options={})
    await _setup(hass, freezer, entry)
    await hass.config_entries.async_unload(entry.entry_id)
    assert storage_key(entry.entry_id) in hass_storage
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert storage_key(entry.entry_id) not in hass_storage


# -- entities ----------------------------------------------------------------------------------


async def test_entities(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    _counter(hass, DOWNLOAD, "0")
    entry = _entry(options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    await _setup(hass, freezer, entry)
    _counter(hass, DOWNLOAD, "1024")
    await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_throttled_is_unknown_until_a_notice(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_iijmio: MagicMock
) -> None:
    entry = _entry(options={})
    await _setup(hass, freezer, entry, platforms=[Platform.SENSOR, Platform.BINARY_SENSOR])
    assert _sim(entry).throttled is None
