"""Used today and the carriers' past daily usage in long-term statistics.

Figures come from the IIJmio app API replay (tests/fixtures/iijmio/app_*.json, read by the
adapter's own parsers) or from SIMs built here bucket by bucket.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from unittest.mock import MagicMock

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.japan_sim_data.carriers.dates import TOKYO, end_of_day
from custom_components.japan_sim_data.carriers.errors import CarrierConnectionError
from custom_components.japan_sim_data.carriers.iijmio_app import (
    combine,
    parse_data_traffic,
    parse_past_data_traffic,
)
from custom_components.japan_sim_data.carriers.models import (
    AccountUsage,
    BucketKind,
    DailyUsage,
    DataBucket,
    SimUsage,
)
from custom_components.japan_sim_data.carriers.units import GIB, MIB
from custom_components.japan_sim_data.history import SimHistories
from custom_components.japan_sim_data.usage_statistics import (
    DailyUsageStatistics,
)
from custom_components.japan_sim_data.usage_today import DayCounter, UsageToday

from .conftest import ENTRY_ID, FROZEN_NOW
from .helpers import load_json_fixture

NOW = datetime.fromisoformat(FROZEN_NOW)
USED_TODAY = "sensor.iijmio_kikahuran_5678_used_today"
FIRST_SIM = "hdc11111111"


@pytest.fixture
def platforms() -> list[Platform]:
    return [Platform.SENSOR]


def _sim(*buckets: DataBucket, **fields: Any) -> SimUsage:
    return SimUsage(sim_id="sim", buckets=buckets, **fields)


def _month(left: int) -> DataBucket:
    return DataBucket(BucketKind.MONTHLY, left, expires=end_of_day(date(2025, 11, 30)))


def _next_month(left: int) -> DataBucket:
    return DataBucket(BucketKind.MONTHLY, left, expires=end_of_day(date(2025, 12, 31)))


def _topping(left: int, day: int = 3) -> DataBucket:
    return DataBucket(BucketKind.TOPPING, left, expires=datetime(2025, 12, day, 14, tzinfo=TOKYO))


def app_usage(now: datetime = NOW, days_this_month: int = 3) -> AccountUsage:
    """The app API replay's account, with ``days_this_month`` days in /pastDataTraffic."""
    past = copy.deepcopy(load_json_fixture("iijmio/app_past_data_traffic.json"))
    template = past["thisMonthDailyInfo"][0]
    past["thisMonthDailyInfo"] = [
        {**template, "date": str(day), "dataTraffic": str(100 + day)}
        for day in range(now.day - days_this_month, now.day)
    ]
    lines = parse_data_traffic(load_json_fixture("iijmio/app_data_traffic.json"), now)
    history = parse_past_data_traffic(past, now)
    return combine(lines, {line.usage.sim_id: history for line in lines})


# -- Used today, reading by reading -------------------------------------------------------------

EVENING_BEFORE = datetime(2025, 11, 24, 23, 45, tzinfo=TOKYO)


def _watched(sim: SimUsage) -> DayCounter:
    """A counter that read ``sim`` before midnight and watched on: today counts whole."""
    counter = DayCounter()
    counter.record(EVENING_BEFORE, sim)
    return counter


def test_the_first_day_is_unknown_never_counted_from_setup() -> None:
    """Added at noon: the morning's use is not seen, so no figure pretends to cover it."""
    counter = DayCounter()
    counter.record(NOW, _sim(_month(5 * GIB)))
    assert counter.shown(NOW) is None
    later = NOW + timedelta(minutes=30)
    counter.record(later, _sim(_month(5 * GIB)))
    assert counter.shown(later) is None  # not a 0 that covers half an hour
    counter.record(later, _sim(_month(5 * GIB - 40 * MIB)))
    assert counter.shown(later) is None
    # Watched across midnight: the new day counts from 0.
    midnight = datetime(2025, 11, 26, 0, 0, 1, tzinfo=TOKYO)
    assert counter.shown(midnight) == 0
    counter.record(midnight + timedelta(minutes=30), _sim(_month(5 * GIB - 50 * MIB)))
    assert counter.shown(midnight + timedelta(minutes=30)) == 10 * MIB


def test_a_top_up_a_refill_and_an_expiry_are_not_use() -> None:
    counter = _watched(_sim(_month(GIB), _topping(GIB)))
    counter.record(NOW, _sim(_month(GIB), _topping(GIB)))
    counter.record(NOW + timedelta(minutes=30), _sim(_month(GIB - 10 * MIB), _topping(GIB)))
    # A new topping arrives and the old one is refilled while 5 MB more are used.
    counter.record(
        NOW + timedelta(hours=1),
        _sim(_month(GIB - 15 * MIB), _topping(2 * GIB), _topping(GIB, day=9)),
    )
    # The topping expires with data still in it: gone from the list, not used.
    counter.record(NOW + timedelta(hours=2), _sim(_month(GIB - 15 * MIB), _topping(GIB, day=9)))
    assert counter.shown(NOW + timedelta(hours=2)) == 15 * MIB


def test_the_carriers_period_counter_wins_over_falls_and_a_reset_counts_nothing() -> None:
    counter = _watched(_sim(_month(GIB), used=2 * GIB, resets_on=date(2025, 12, 1)))
    counter.record(NOW, _sim(_month(GIB), used=2 * GIB, resets_on=date(2025, 12, 1)))
    counter.record(
        NOW + timedelta(minutes=30),
        _sim(_month(GIB - 50 * MIB), used=2 * GIB + 20 * MIB, resets_on=date(2025, 12, 1)),
    )
    assert counter.used == 20 * MIB
    # A new period: the counter starts again and the allowance is back; the bucket that carries
    # on (same expiry) tells the use.
    counter.record(
        NOW + timedelta(hours=1),
        _sim(_month(GIB - 60 * MIB), _next_month(3 * GIB), used=0, resets_on=date(2026, 1, 1)),
    )
    assert counter.used == 20 * MIB + 10 * MIB


def test_the_carriers_own_figure_for_today_wins_and_never_goes_back() -> None:
    counter = DayCounter()
    today = NOW.date()
    counter.record(NOW, _sim(_month(GIB), daily_usage=(DailyUsage(today, 150 * MIB),)))
    assert counter.shown(NOW) == 150 * MIB  # the carrier's figure covers the whole day
    counter.record(
        NOW + timedelta(hours=1), _sim(_month(GIB), daily_usage=(DailyUsage(today, 120 * MIB),))
    )
    assert counter.shown(NOW + timedelta(hours=1)) == 150 * MIB
    # Counted on from there when the carrier's figure is gone (its history not asked again).
    counter.record(NOW + timedelta(hours=2), _sim(_month(GIB - 5 * MIB)))
    assert counter.shown(NOW + timedelta(hours=2)) == 155 * MIB
    # Yesterday's figure says nothing about today.
    counter = DayCounter()
    yesterday = (DailyUsage(today - timedelta(days=1), 300 * MIB),)
    counter.record(NOW, _sim(_month(GIB), daily_usage=yesterday))
    assert counter.shown(NOW) is None


def test_midnight_starts_at_zero_once_watched_and_a_gap_across_it_is_unknown() -> None:
    midnight = datetime(2025, 11, 26, 0, 0, 1, tzinfo=TOKYO)
    assert DayCounter().shown(midnight) is None
    evening = datetime(2025, 11, 25, 23, 30, tzinfo=TOKYO)
    counter = DayCounter()
    counter.record(evening, _sim(_month(GIB)))
    counter.record(evening + timedelta(minutes=15), _sim(_month(GIB - MIB)))
    assert counter.shown(midnight) == 0
    counter.record(midnight + timedelta(minutes=30), _sim(_month(GIB - 3 * MIB)))
    assert counter.shown(midnight + timedelta(minutes=30)) == 2 * MIB
    # A poll goes unanswered and the outage lasts past the next midnight: that day is unknown,
    # and the use across the gap is put on no day.
    counter.watching = False
    next_day = midnight + timedelta(days=1, hours=2)
    assert counter.shown(next_day) is None
    counter.record(next_day, _sim(_month(GIB - 900 * MIB)))
    assert counter.shown(next_day) is None
    # An outage within a day loses nothing: the change across it is that day's use.
    counter = _watched(_sim(_month(GIB)))
    counter.record(NOW, _sim(_month(GIB - MIB)))
    counter.watching = False
    counter.record(NOW + timedelta(hours=5), _sim(_month(GIB - 4 * MIB)))
    assert counter.shown(NOW + timedelta(hours=5)) == 4 * MIB


def test_a_stored_counter_is_read_field_by_field() -> None:
    counter = _watched(_sim(_month(GIB), _topping(GIB), used=5, resets_on=date(2025, 12, 1)))
    counter.record(NOW, _sim(_month(GIB), _topping(GIB), used=5, resets_on=date(2025, 12, 1)))
    counter.record(NOW + timedelta(minutes=1), _sim(_month(GIB - 1), _topping(GIB), used=6))
    stored = counter.as_dict()
    assert stored["whole_day"] is True
    restored, dropped = DayCounter.restore(stored)
    assert (restored, dropped) == (counter, 0)
    assert not restored.watching  # nothing was watched while Home Assistant was off

    broken = {
        **stored,
        "used": -1,
        "day": "2025-13-01",
        "resets_on": 7,
        "buckets": {"a": 1, "b": "many", "c": -5},
    }
    restored, dropped = DayCounter.restore(broken)
    assert dropped == 5
    assert restored.used is None
    assert restored.day is None
    assert restored.buckets == {"a": 1}
    assert restored.period_used == counter.period_used
    assert DayCounter.restore("not a counter") == (DayCounter(), 1)
    assert DayCounter.restore({"buckets": ["a"]})[1] == 1
    assert DayCounter.restore({"day": "x" * 11})[1] == 1
    assert DayCounter.restore({"day": "1999-12-31"})[1] == 1
    # A figure stored by an earlier version may have been counted from setup: not read back.
    assert DayCounter.restore({**stored, "whole_day": None})[0].used is None


# -- Used today in Home Assistant ---------------------------------------------------------------


def _with_less(usage: AccountUsage, sim_id: str, fewer: int) -> AccountUsage:
    sim = usage.sims[sim_id]
    first, *rest = sim.buckets
    assert first.remaining is not None
    drained = replace(first, remaining=first.remaining - fewer)
    return AccountUsage(sims={**usage.sims, sim_id: replace(sim, buckets=(drained, *rest))})


def _with_more(usage: AccountUsage, sim_id: str, amount: int) -> AccountUsage:
    sim = usage.sims[sim_id]
    top_up = DataBucket(BucketKind.TOPPING, amount, expires=end_of_day(date(2026, 1, 31)))
    return AccountUsage(sims={**usage.sims, sim_id: replace(sim, buckets=(*sim.buckets, top_up))})


async def _poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


def _state(hass: HomeAssistant, entity_id: str = USED_TODAY) -> str:
    """The sensor's state, in MiB with no trailing ".0", or unknown."""
    if entity_id not in hass.states.async_entity_ids():
        # The app API names the plan with its size: find the SIM's sensor by its number.
        (entity_id,) = (
            found
            for found in hass.states.async_entity_ids("sensor")
            if "5678" in found and found.endswith("_used_today")
        )
    state = hass.states.get(entity_id)
    assert state is not None
    if state.state == STATE_UNKNOWN:
        return state.state
    return f"{float(state.state):g}"


async def _restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, to: str) -> None:
    freezer.move_to(to)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_used_today_walks_setup_midnight_restarts_and_outages(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    entry = init_integration
    # Added at noon: the morning was not watched. Unknown, never a made-up 0, all day long.
    assert _state(hass) == STATE_UNKNOWN
    usage = _with_less(mock_iijmio.async_fetch.return_value, FIRST_SIM, 64 * MIB)
    mock_iijmio.async_fetch.return_value = usage
    await _poll(hass, entry)
    assert _state(hass) == STATE_UNKNOWN
    # A restart the same day: still nothing that covers the day.
    await _restart(hass, entry)
    assert _state(hass) == STATE_UNKNOWN

    # Midnight in Tokyo, watched: the new day starts at 0.
    await _tick(hass, freezer, "2025-11-26T00:00:02+09:00")
    assert _state(hass) == "0"
    # A top-up while 16 MB are used: the top-up counts nothing.
    usage = _with_more(_with_less(usage, FIRST_SIM, 16 * MIB), FIRST_SIM, GIB)
    mock_iijmio.async_fetch.return_value = usage
    await _tick(hass, freezer, "2025-11-26T00:31:00+09:00")
    assert _state(hass) == "16"

    # A restart mid-day keeps what it saw since midnight, and counts on.
    await _tick(hass, freezer, "2025-11-26T10:00:00+09:00")
    await _restart(hass, entry)
    stored = hass_storage[f"japan_sim_data.{ENTRY_ID}.usage_today"]["data"]
    assert stored["sims"][FIRST_SIM]["used"] == 16 * MIB
    assert _state(hass) == "16"
    usage = _with_less(usage, FIRST_SIM, 8 * MIB)
    mock_iijmio.async_fetch.return_value = usage
    await _poll(hass, entry)
    assert _state(hass) == "24"

    # Home Assistant off across midnight: the next day is unknown, whatever the figures say.
    await _unload(hass, entry)
    freezer.move_to("2025-11-27T09:00:00+09:00")
    usage = _with_less(usage, FIRST_SIM, 100 * MIB)
    mock_iijmio.async_fetch.return_value = usage
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert _state(hass) == STATE_UNKNOWN
    # Watched through the next midnight: counted again.
    await _tick(hass, freezer, "2025-11-28T00:00:02+09:00")
    assert _state(hass) == "0"

    # An outage across midnight: that day is unknown too.
    mock_iijmio.async_fetch.side_effect = CarrierConnectionError("offline")
    await _poll(hass, entry)
    await _tick(hass, freezer, "2025-11-29T00:00:02+09:00")
    mock_iijmio.async_fetch.side_effect = None
    mock_iijmio.async_fetch.return_value = _with_less(usage, FIRST_SIM, 5 * MIB)
    await _poll(hass, entry)
    assert _state(hass) == STATE_UNKNOWN


async def test_a_sub_mib_change_writes_no_used_today(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    """Used today is shown in whole MiB: the state moves only when that does."""
    await _tick(hass, freezer, "2025-11-26T00:00:02+09:00")
    usage = _with_less(mock_iijmio.async_fetch.return_value, FIRST_SIM, 3 * MIB + 1000)
    mock_iijmio.async_fetch.return_value = usage
    await _poll(hass, init_integration)
    assert _state(hass) == "3"
    states = async_capture_events(hass, EVENT_STATE_CHANGED)
    mock_iijmio.async_fetch.return_value = _with_less(usage, FIRST_SIM, 100 * 1024)
    await _poll(hass, init_integration)
    assert [e.data["entity_id"] for e in states if e.data["entity_id"].endswith("used_today")] == []
    mock_iijmio.async_fetch.return_value = _with_less(usage, FIRST_SIM, MIB)
    await _poll(hass, init_integration)
    assert _state(hass) == "4"


async def test_the_carriers_figure_for_today_shows_from_the_first_reading(
    hass: HomeAssistant, mock_iijmio: MagicMock, freezer: FrozenDateTimeFactory
) -> None:
    mock_iijmio.async_fetch.return_value = app_usage()
    entry = await _set_up(hass, freezer)
    # lastSevenDaysDataList gives 150 MB for 25 November, today.
    assert _state(hass) == "150"
    await _unload(hass, entry)


async def test_an_unreadable_store_is_dropped_with_one_warning(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_iijmio: MagicMock,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name, data in (("usage_today", ["not", "a", "mapping"]), ("daily_usage", 7)):
        hass_storage[f"japan_sim_data.{ENTRY_ID}.{name}"] = {
            "version": 1,
            "key": f"japan_sim_data.{ENTRY_ID}.{name}",
            "data": data,
        }
    with caplog.at_level(logging.WARNING):
        entry = await _set_up(hass, freezer)
    assert "unreadable fields of today's usage" in caplog.text
    assert "unreadable days of imported usage" in caplog.text
    assert _state(hass) == STATE_UNKNOWN
    await _unload(hass, entry)


@pytest.mark.parametrize(
    ("stored_day", "figure_after_one_reading"),
    [("2025-11-25", "74"), ("2025-11-24", STATE_UNKNOWN)],
)
async def test_a_stored_day_goes_on_only_on_that_day(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_iijmio: MagicMock,
    freezer: FrozenDateTimeFactory,
    stored_day: str,
    figure_after_one_reading: str,
) -> None:
    usage: AccountUsage = mock_iijmio.async_fetch.return_value
    day = date.fromisoformat(stored_day)
    counter = DayCounter()
    counter.record(
        datetime.combine(day, datetime.min.time(), TOKYO) - timedelta(minutes=5),
        usage.sims[FIRST_SIM],
    )
    counter.record(
        datetime.combine(day, datetime.min.time(), TOKYO) + timedelta(hours=8),
        _with_less(usage, FIRST_SIM, 10 * MIB).sims[FIRST_SIM],
    )
    assert counter.used == 10 * MIB
    hass_storage[f"japan_sim_data.{ENTRY_ID}.usage_today"] = {
        "version": 1,
        "key": f"japan_sim_data.{ENTRY_ID}.usage_today",
        "data": {"sims": {FIRST_SIM: counter.as_dict()}},
    }
    mock_iijmio.async_fetch.return_value = _with_less(usage, FIRST_SIM, 74 * MIB)
    entry = await _set_up(hass, freezer)
    # Stored this morning, watched since midnight: the hours Home Assistant was off were this
    # day's use. Stored yesterday: today's midnight was not watched.
    assert _state(hass) == figure_after_one_reading
    await _unload(hass, entry)


async def test_nothing_to_read_removes_nothing_and_a_sim_that_left_is_dropped(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(FROZEN_NOW)
    tracker = UsageToday(hass, ENTRY_ID)
    await tracker.async_load()
    usage = app_usage()
    tracker.async_record(usage)
    assert len(tracker) == len(usage.sims) == 3
    assert tracker.used_today(FIRST_SIM) == 150 * MIB
    # No figures (the carrier asked us to wait): nothing is known to have left.
    tracker.async_record(AccountUsage())
    assert len(tracker) == 3
    tracker.async_record(AccountUsage(sims={FIRST_SIM: usage.sims[FIRST_SIM]}))
    assert len(tracker) == 1
    assert tracker.used_today("hdc22222222") is None
    await tracker.async_save()


async def _set_up(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> MockConfigEntry:
    from .conftest import ENTRY_UNIQUE_ID, MIO_ID, PASSWORD  # noqa: PLC0415

    freezer.move_to(FROZEN_NOW)
    entry = MockConfigEntry(
        domain="japan_sim_data",
        title="IIJmio mi***",
        entry_id=ENTRY_ID,
        unique_id=ENTRY_UNIQUE_ID,
        minor_version=2,
        data={"carrier": "iijmio", "username": MIO_ID, "password": PASSWORD},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _unload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_without_a_recorder_no_statistics_are_imported(hass: HomeAssistant) -> None:
    statistics = DailyUsageStatistics(hass, ENTRY_ID)
    assert await statistics.async_import(app_usage(), str, {}) == 0


async def test_removing_the_account_removes_its_counts(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_iijmio: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    mock_iijmio.async_fetch.return_value = app_usage()
    entry = await _set_up(hass, freezer)
    await _unload(hass, entry)
    stores = [f"japan_sim_data.{ENTRY_ID}.{name}" for name in ("usage_today", "daily_usage")]
    assert stores[0] in hass_storage
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not any(store in hass_storage for store in stores)


def test_buckets_of_unknown_size_and_a_store_without_sims() -> None:
    counter = DayCounter()
    unknown = DataBucket(BucketKind.GIFT, None, expires=end_of_day(date(2025, 12, 5)))
    counter.record(NOW, _sim(_month(GIB), unknown))
    assert counter.buckets == {end_of_day(date(2025, 11, 30)).isoformat(): GIB}
    # An undated bucket is known by its kind.
    counter.record(NOW, _sim(DataBucket(BucketKind.MONTHLY, GIB)))
    assert counter.buckets == {"monthly": GIB}


async def test_a_store_with_unreadable_sims_warns(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    key = f"japan_sim_data.{ENTRY_ID}.usage_today"
    hass_storage[key] = {"version": 1, "key": key, "data": {"saved_at": "x", "sims": [1]}}
    tracker = UsageToday(hass, ENTRY_ID)
    with caplog.at_level(logging.WARNING):
        await tracker.async_load()
    assert len(tracker) == 0
    assert "1 unreadable fields of today's usage" in caplog.text


async def test_a_damaged_readings_store_keeps_what_can_be_read(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    key = f"japan_sim_data.{ENTRY_ID}.history"
    good = ["2025-11-25T10:00:00+09:00", GIB]
    later = ["2025-11-25T11:00:00+09:00", GIB - MIB]
    hass_storage[key] = {
        "version": 1,
        "key": key,
        "data": {
            "sim": {"readings": [good, ["nope"], ["2025-11-25T09:00:00+09:00", GIB], later]},
            "lost": {"readings": "not a list"},
        },
    }
    histories = SimHistories(hass, ENTRY_ID)
    with caplog.at_level(logging.WARNING):
        await histories.async_load()
    # The malformed reading and the one out of time order are dropped, and the SIM whose
    # readings are not a list: one warning for the lot.
    assert [reading.remaining for reading in histories.get("sim").readings] == [GIB, GIB - MIB]
    assert "3 unreadable usage readings" in caplog.text
    hass_storage[key] = {"version": 1, "key": key, "data": ["not", "a", "mapping"]}
    histories = SimHistories(hass, ENTRY_ID)
    await histories.async_load()
    assert histories.get("sim").readings == ()
