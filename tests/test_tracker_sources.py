"""The plan tracker in a running Home Assistant: real counter shapes, notice kinds, restarts.

Counter shapes (carriers.md, "Counters Home Assistant already has"): the Android companion
app's ``sensor.<phone>_mobile_rx_gb`` / ``_mobile_tx_gb`` (decimal GB rounded to 1 MB,
``total_increasing``, reset at every reboot), ``huawei_lte``'s TotalDownload / TotalUpload
(bytes) and ``upnp``'s bytes received (bytes; a 32-bit counter on many routers). Notice sources:
Home Assistant's ``imap_content`` event (components/imap/coordinator.py) and the companion
app's last-notification sensor (home-assistant/android, NotificationSensorManager.kt:
``package``, ``android.title``, ``android.text``; its state is the text).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.japan_sim_data.carriers.tracking_ledger import MAX_TOP_UPS
from custom_components.japan_sim_data.carriers.units import GIB, MIB
from custom_components.japan_sim_data.const import (
    CONF_ALLOWANCE,
    CONF_END_DATE,
    CONF_NOTICE_ATTRIBUTE,
    CONF_NOTICE_ENTITIES,
    CONF_NOTICE_EVENTS,
    CONF_NOTICE_SENDERS,
    CONF_PLAN_SHAPE,
    CONF_RESET_DAY,
    CONF_START_DATE,
    CONF_USAGE_SENSORS,
    DOMAIN,
)
from custom_components.japan_sim_data.tracker import storage_key

from .test_tracker import _entity_state, _entry, _imap_event, _setup, _sim, _tick

RX = "sensor.pixel_8_mobile_rx_gb"
TX = "sensor.pixel_8_mobile_tx_gb"
NOTIFICATION = "sensor.pixel_8_last_notification"
GB = 10**9
MB = 10**6
# What the companion app gives its traffic sensors (TrafficStatsManager.kt): decimal GB.
PHONE_COUNTER = {"device_class": "data_size", "state_class": "total_increasing"}
ROUTER_COUNTER = {**PHONE_COUNTER, "unit_of_measurement": "B"}
MESSAGES = "com.google.android.apps.messaging"


def _phone(hass: HomeAssistant, entity_id: str, gigabytes: str) -> None:
    hass.states.async_set(entity_id, gigabytes, {**PHONE_COUNTER, "unit_of_measurement": "GB"})


async def _restart(hass: HomeAssistant, entry: Any) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


# -- counters ------------------------------------------------------------------------------------


async def test_the_phones_counters_across_dips_reboots_gaps_and_a_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    _phone(hass, RX, "1.571")
    _phone(hass, TX, "0.210")
    entry = _entry(data={CONF_ALLOWANCE: 20.0}, options={CONF_USAGE_SENSORS: [RX, TX]})
    await _setup(hass, freezer, entry)
    assert _sim(entry).used == 0

    _phone(hass, RX, "1.570")  # a 1 MB dip: noise (it once added 1.57 GB)
    await hass.async_block_till_done()
    assert _sim(entry).used == 0
    _phone(hass, RX, "1.600")
    _phone(hass, TX, "0.215")
    await hass.async_block_till_done()
    assert _sim(entry).used == 29 * MB + 5 * MB

    # The phone reboots: its counters start again from about 0; each is counted from 0.
    hass.states.async_set(RX, "unavailable", PHONE_COUNTER)
    await hass.async_block_till_done()
    _phone(hass, RX, "0.004")
    _phone(hass, TX, "0.001")
    await hass.async_block_till_done()
    assert _sim(entry).used == 34 * MB + 5 * MB

    # Home Assistant restarts while the phone goes on counting.
    await _tick(hass, freezer, "2025-11-25T13:00:00+09:00")
    await _restart(hass, entry)
    _phone(hass, RX, "0.104")
    await hass.async_block_till_done()
    assert _sim(entry).used == 39 * MB + 100 * MB
    assert _sim(entry).remaining == 20 * GIB - 139 * MB
    assert float(_entity_state(hass, "data_used")) == pytest.approx(139 * MB / GIB, abs=0.01)


async def test_huawei_lte_totals_count_from_their_first_reading(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    download, upload = "sensor.b535_total_download", "sensor.b535_total_upload"
    hass.states.async_set(download, "52000000000", ROUTER_COUNTER)
    hass.states.async_set(upload, "3000000000", ROUTER_COUNTER)
    entry = _entry(options={CONF_USAGE_SENSORS: [download, upload]})
    await _setup(hass, freezer, entry)
    hass.states.async_set(download, "52400000000", ROUTER_COUNTER)
    hass.states.async_set(upload, "unknown", ROUTER_COUNTER)
    await hass.async_block_till_done()
    hass.states.async_set(upload, "3100000000", ROUTER_COUNTER)
    await hass.async_block_till_done()
    assert _sim(entry).used == 500 * MB


async def test_netgear_lte_usage_in_mib_and_huawei_month_counters_reset_at_their_month(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    # netgear_lte's usage: bytes shown in MiB (its suggested unit), no state class.
    # huawei_lte's CurrentMonthDownload: bytes, state class total, reset by the router monthly.
    usage, month = "sensor.netgear_lte_usage", "sensor.b535_current_month_download"
    mib = {"device_class": "data_size", "unit_of_measurement": "MiB"}
    monthly = {**ROUTER_COUNTER, "state_class": "total"}
    hass.states.async_set(usage, "20480.0", mib)
    hass.states.async_set(month, "21474836480", monthly)
    entry = _entry(data={CONF_ALLOWANCE: 50.0}, options={CONF_USAGE_SENSORS: [usage, month]})
    await _setup(hass, freezer, entry)
    hass.states.async_set(usage, "20992.5", mib)
    hass.states.async_set(month, "21474836480", monthly)
    await hass.async_block_till_done()
    assert _sim(entry).used == round(512.5 * MIB)
    # The router's month turned before the plan's: its counters restart near 0.
    hass.states.async_set(usage, "10.0", mib)
    hass.states.async_set(month, str(5 * MIB), monthly)
    await hass.async_block_till_done()
    assert _sim(entry).used == round(512.5 * MIB) + 10 * MIB + 5 * MIB


async def test_a_32_bit_upnp_counter_wraps_without_a_loss(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entity_registry: er.EntityRegistry
) -> None:
    received = entity_registry.async_get_or_create(
        "sensor", "upnp", "uuid:router_bytes_received", suggested_object_id="router_received"
    ).entity_id
    hass.states.async_set(received, str(2**32 - 100 * MIB), ROUTER_COUNTER)
    entry = _entry(options={CONF_USAGE_SENSORS: [received]})
    await _setup(hass, freezer, entry)
    hass.states.async_set(received, str(50 * MIB), ROUTER_COUNTER)
    await hass.async_block_till_done()
    assert _sim(entry).used == 150 * MIB


async def test_a_counter_belongs_to_the_period_it_counts_in(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    _phone(hass, RX, "1.000")
    entry = _entry(options={CONF_USAGE_SENSORS: [RX]})
    await _setup(hass, freezer, entry, now="2025-11-30T23:00:00+09:00")
    _phone(hass, RX, "1.100")
    await hass.async_block_till_done()
    assert _sim(entry).used == 100 * MB
    await _tick(hass, freezer, "2025-12-01T00:00:01+09:00")
    assert _sim(entry).used == 0
    assert _sim(entry).remaining == 3 * GIB
    _phone(hass, RX, "1.300")
    await hass.async_block_till_done()
    assert _sim(entry).used == 200 * MB


# -- notices -------------------------------------------------------------------------------------


def _sms_notification(text: str, *, title: str = "151", package: str = MESSAGES) -> dict[str, Any]:
    """The attributes of the companion app's last-notification sensor for one notification."""
    return {
        "android.title": title,
        "android.text": text,
        "package": package,
        "post_time": 1764039600000,
        "is_clearable": True,
        "is_ongoing": False,
        "group_id": None,
        "category": "msg",
        "channel_id": "sms",
    }


async def _reading_notifications(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, *, senders: list[str]
) -> MockConfigEntry:
    """A tracked SIM set up to read the phone's last-notification sensor, which holds an
    older notification (titled like the first sender, else "151")."""
    entry = _entry(
        options={
            CONF_NOTICE_ENTITIES: [NOTIFICATION],
            CONF_NOTICE_ATTRIBUTE: "android.text",
            CONF_NOTICE_SENDERS: senders,
        }
    )
    title = senders[0] if senders else "151"
    hass.states.async_set(NOTIFICATION, "x", _sms_notification("x", title=title))
    await _setup(hass, freezer, entry)
    return entry


async def _reading_mail(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> MockConfigEntry:
    """A tracked SIM set up to read the notices the imap integration fires."""
    entry = _entry(options={CONF_NOTICE_EVENTS: ["imap_content"]})
    await _setup(hass, freezer, entry)
    return entry


def _docomo_mail(left: str) -> dict[str, Any]:
    """docomo's "データ量残り…" mail, as the imap integration gives it."""
    return _imap_event(
        "DoCoMo@docomo-bill.ne.jp", f"データ量残り{left}のお知らせ", f"データ量残り{left}です。"
    )


async def _mail(hass: HomeAssistant, event: dict[str, Any]) -> None:
    """One e-mail, as the imap integration fires it."""
    hass.bus.async_fire("imap_content", event)
    await hass.async_block_till_done()


async def test_a_usage_exceeded_notice_is_a_lower_bound(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    # The issue's case: 1.0 GB left, 3.57 GB used of a 20 GB plan, then 「…1GBを超えました」.
    _phone(hass, RX, "0")
    entry = _entry(
        data={CONF_ALLOWANCE: 20.0},
        options={
            CONF_USAGE_SENSORS: [RX],
            CONF_NOTICE_EVENTS: ["imap_content"],
            CONF_NOTICE_SENDERS: ["docomo-bill.ne.jp"],
        },
    )
    await _setup(hass, freezer, entry)
    _phone(hass, RX, "3.833")  # 3.57 GiB
    await hass.async_block_till_done()
    await hass.services.async_call(
        DOMAIN,
        "set_remaining",
        {"config_entry_id": entry.entry_id, "amount": 1.0},
        blocking=True,
    )
    used = _sim(entry).used
    await _mail(
        hass,
        _imap_event(
            "DoCoMo@docomo-bill.ne.jp",
            "データ量のお知らせ",
            "ご利用のデータ量が1GBを超えました。",
        ),
    )
    sim = _sim(entry)
    assert sim.remaining == GIB
    assert sim.used == used
    assert sim.throttled is None
    assert sim.last_notice is not None


async def test_a_storage_warning_is_no_data_notice(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _reading_notifications(hass, freezer, senders=[])
    text = "iCloudストレージの残り容量が2GBになりました。"
    hass.states.async_set(NOTIFICATION, text, _sms_notification(text, package="com.apple"))
    await hass.async_block_till_done()
    assert _sim(entry).remaining is None
    assert _sim(entry).last_notice is None


async def test_a_notice_seen_again_later_in_the_period_applies_no_more(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _reading_mail(hass, freezer)
    notice = _docomo_mail("500MB")
    await _mail(hass, notice)
    assert _sim(entry).remaining == 500 * MIB
    await hass.services.async_call(
        DOMAIN,
        "set_remaining",
        {"config_entry_id": entry.entry_id, "amount": 0.2},
        blocking=True,
    )
    # Days later, after a restart, the same message arrives again (a new imap entry, a
    # re-sent newest message): the correction stands.
    await _tick(hass, freezer, "2025-11-29T09:00:00+09:00")
    await _restart(hass, entry)
    await _mail(hass, notice)
    assert _sim(entry).remaining == round(0.2 * GIB)


async def test_a_notification_titled_like_the_carrier_from_another_app_is_ignored(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _reading_notifications(hass, freezer, senders=["docomo"])
    forged = "データ量残り99GBです"
    for package in ("com.google.android.gm", "jp.naver.line.android"):
        attributes = _sms_notification(forged, title="docomo", package=package)
        hass.states.async_set(NOTIFICATION, forged + package, attributes)
        await hass.async_block_till_done()
    assert _sim(entry).remaining is None
    real = "データ量残り1.5GBです"
    hass.states.async_set(NOTIFICATION, real, _sms_notification(real, title="docomo"))
    await hass.async_block_till_done()
    assert _sim(entry).remaining == round(1.5 * GIB)


async def test_an_e_mail_that_failed_dmarc_is_ignored_under_a_domain_filter(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _reading_mail(hass, freezer)
    forged = _docomo_mail("99GB")
    forged["headers"] = {
        "Subject": ("データ量残り99GBのお知らせ",),
        "Authentication-Results": ("mx.example.com; spf=fail; dmarc=fail (p=NONE)",),
    }
    await _mail(hass, forged)
    assert _sim(entry).remaining is None
    real = _docomo_mail("800MB")
    real["headers"] = {"Authentication-Results": ("mx.example.com; spf=pass; dmarc=pass",)}
    await _mail(hass, real)
    assert _sim(entry).remaining == 800 * MIB


# -- actions and entry data ----------------------------------------------------------------------


async def test_add_data_keeps_every_top_up_across_a_restart_and_refuses_past_the_bound(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    _phone(hass, RX, "0")
    entry = _entry(options={CONF_USAGE_SENSORS: [RX]})
    await _setup(hass, freezer, entry)
    for _ in range(150):
        await hass.services.async_call(
            DOMAIN, "add_data", {"config_entry_id": entry.entry_id, "amount": 1}, blocking=True
        )
    assert _sim(entry).remaining == 153 * GIB
    await _restart(hass, entry)
    # 150 GiB once became 50 GiB here.
    assert _sim(entry).remaining == 153 * GIB
    saved = hass_storage[storage_key(entry.entry_id)]["data"]
    assert len(saved["top_ups"]) == 1

    # Distinct last days are buckets of their own, up to the bound the store keeps.
    for day in range(MAX_TOP_UPS - 1):
        await hass.services.async_call(
            DOMAIN,
            "add_data",
            {
                "config_entry_id": entry.entry_id,
                "amount": 0.001,
                "expires": f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}",
            },
            blocking=True,
        )
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "add_data",
            {"config_entry_id": entry.entry_id, "amount": 1, "expires": "2027-01-01"},
            blocking=True,
        )
    assert caught.value.translation_key == "too_many_top_ups"
    assert caught.value.translation_placeholders == {"limit": str(MAX_TOP_UPS)}
    before = _sim(entry).remaining
    await _restart(hass, entry)
    assert _sim(entry).remaining == before


@pytest.mark.parametrize(
    "damage",
    [
        {CONF_RESET_DAY: "first"},
        {CONF_RESET_DAY: 40},
        {CONF_RESET_DAY: True},
        {CONF_PLAN_SHAPE: "weekly"},
        {CONF_PLAN_SHAPE: "validity", CONF_START_DATE: "2025-13-01", CONF_END_DATE: "2025-12-01"},
        {CONF_PLAN_SHAPE: "validity", CONF_START_DATE: "2025-11-01"},
        {CONF_PLAN_SHAPE: "validity", CONF_START_DATE: "2025-11-20", CONF_END_DATE: "2025-11-01"},
        {CONF_RESET_DAY: 1.5},
        {CONF_ALLOWANCE: "3GB"},
        {CONF_ALLOWANCE: float("inf")},
        {CONF_PLAN_SHAPE: None},
    ],
)
async def test_damaged_plan_fields_raise_a_repair_issue_not_a_traceback(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
    damage: dict[str, Any],
) -> None:
    entry = _entry(data=damage)
    freezer.move_to("2025-11-25T12:00:00+09:00")
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    issues = [issue for (domain, _), issue in issue_registry.issues.items() if domain == DOMAIN]
    assert [issue.translation_key for issue in issues] == ["entry_damaged"]
    # Home Assistant logs the refusal in a line; no traceback above DEBUG.
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno > logging.DEBUG]
    assert tracebacks == []


async def test_a_reset_day_stored_as_a_whole_float_is_read(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    # A number selector may hand the flow 25.0 for 25.
    entry = _entry(data={CONF_RESET_DAY: 25.0}, options={CONF_USAGE_SENSORS: [RX]})
    _phone(hass, RX, "0")
    await _setup(hass, freezer, entry)
    resets_on = _sim(entry).resets_on
    assert resets_on is not None
    assert resets_on.day == 25


async def test_a_month_of_notices_of_every_kind_with_a_restart_and_a_month_end(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = _entry(
        data={CONF_ALLOWANCE: 20.0},
        options={CONF_NOTICE_EVENTS: ["sms.incoming_sms"], CONF_NOTICE_SENDERS: ["151"]},
    )
    await _setup(hass, freezer, entry, now="2025-11-25T09:00:00+09:00")

    async def sms(text: str) -> None:
        hass.bus.async_fire("sms.incoming_sms", {"phone": "151", "text": text})
        await hass.async_block_till_done()

    await sms("今月のご利用データ量は12GBです。")  # used: the plan's data follows
    assert (_sim(entry).used, _sim(entry).remaining) == (12 * GIB, 8 * GIB)
    await sms("ご利用データ量が10GBを超えました。")  # a lower bound below what we know
    assert (_sim(entry).used, _sim(entry).remaining) == (12 * GIB, 8 * GIB)
    await sms("データ量を1GB追加しました。有効期限：2025年12月10日")  # a dated top-up
    assert _sim(entry).remaining == 9 * GIB
    await sms("データ容量の有効期限は2025年11月28日です。")  # the plan's data ends early
    assert _entity_state(hass, "data_expires") == "2025-11-28"
    await sms("速度制限中です。送受信最大128kbpsでご利用いただけます。")
    assert _sim(entry).throttled is True

    await _tick(hass, freezer, "2025-11-27T08:00:00+09:00")
    await _restart(hass, entry)
    await sms("速度制限を解除しました。")
    assert _sim(entry).throttled is False
    # The plan's data went at its stated end; the dated top-up is still there.
    await _tick(hass, freezer, "2025-11-29T00:00:01+09:00")
    assert _sim(entry).remaining == GIB
    # December: a new allowance, the top-up until its day, throttling unknown again.
    await _tick(hass, freezer, "2025-12-01T00:00:01+09:00")
    sim = _sim(entry)
    assert sim.throttled is None
    assert sim.used is None
    # Without a counter the new month's data stays unknown until a notice says.
    await sms("データ量残り20.5GBです。")
    assert _sim(entry).remaining == round(20.5 * GIB)
    await _tick(hass, freezer, "2025-12-11T00:00:01+09:00")
    assert _sim(entry).remaining == round(19.5 * GIB)
