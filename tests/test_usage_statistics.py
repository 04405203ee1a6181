"""The carriers' past daily usage in Home Assistant's long-term statistics, with a real recorder.

Figures come from the IIJmio app API replay (tests/fixtures/iijmio/app_*.json, read by the
adapter's own parsers), with the month's days filled in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from unittest.mock import MagicMock

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.core import Recorder
from homeassistant.components.recorder.models import StatisticData, StatisticMeanType
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.models import AccountUsage, DailyUsage
from custom_components.japan_sim_data.carriers.units import MIB
from custom_components.japan_sim_data.identifiers import InstallationKey
from custom_components.japan_sim_data.usage_statistics import (
    MAX_DAYS,
    DailyUsageStatistics,
    ImportedDays,
    day_start,
    statistic_id,
)

from .conftest import ENTRY_ID, FROZEN_NOW, INSTALLATION_SECRET
from .test_usage_history import FIRST_SIM, _set_up, _unload, app_usage


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> Iterator[None]:
    """Start the recorder before Home Assistant, then allow custom integrations."""
    yield  # noqa: PT022


KEY = InstallationKey(bytes.fromhex(INSTALLATION_SECRET))


def _keyed(sim_id: str) -> str:
    return KEY.sim_id("iijmio", sim_id)


def _statistic_id(sim_id: str = FIRST_SIM) -> str:
    return statistic_id(_keyed(sim_id))


async def _rows(hass: HomeAssistant, stat_id: str, since: date = date(2025, 10, 1)) -> list[Any]:
    """The statistic's hourly rows as the recorder holds them, once it has written all."""
    await async_wait_recording_done(hass)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        day_start(since),
        None,
        {stat_id},
        "hour",
        None,
        {"state", "sum"},
    )
    return list(rows.get(stat_id, []))


async def _days(
    hass: HomeAssistant, stat_id: str, since: date = date(2025, 10, 1)
) -> dict[date, tuple[int, int]]:
    """Each imported day's (bytes used, running total in bytes); the rows are in MiB."""
    return {
        datetime.fromtimestamp(row["start"], TOKYO).date(): (
            round(row["state"] * MIB),
            round(row["sum"] * MIB),
        )
        for row in await _rows(hass, stat_id, since)
        if row["state"] is not None and row["sum"] is not None
    }


async def test_a_month_of_daily_usage_is_imported_once_and_never_twice(
    hass: HomeAssistant,
    mock_iijmio: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    usage = app_usage(days_this_month=24)
    mock_iijmio.async_fetch.return_value = usage
    entry = await _set_up(hass, freezer)
    stat_id = _statistic_id()
    imported = await _days(hass, stat_id)
    # 1 to 24 November; today (the 25th) still grows and is the Used today sensor's.
    assert sorted(imported) == [date(2025, 11, day) for day in range(1, 25)]
    # The 24th is the recent list's figure (300 MB), which wins over the month's (124 MB).
    expected = [(100 + day) * MIB for day in range(1, 24)] + [300 * MIB]
    assert [imported[day][0] for day in sorted(imported)] == expected
    assert imported[date(2025, 11, 24)][1] == sum(expected)

    # The same days again (every poll, a reload, a restart): nothing is added.
    coordinator = entry.runtime_data.coordinator
    assert await coordinator.daily_statistics.async_import(usage, _keyed, {}) == 0
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert await _days(hass, stat_id) == imported

    # The carrier corrects a day and adds the next one: those rows are written again, and
    # every running total after them follows.
    freezer.move_to("2025-11-26T09:00:00+09:00")
    later = app_usage(datetime.fromisoformat("2025-11-26T09:00:00+09:00"), days_this_month=25)
    sim = later.sims[FIRST_SIM]
    corrected = tuple(
        replace(day, used=310 * MIB) if day.day == date(2025, 11, 24) else day
        for day in sim.daily_usage
    )
    later = AccountUsage(sims={**later.sims, FIRST_SIM: replace(sim, daily_usage=corrected)})
    mock_iijmio.async_fetch.return_value = later
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    updated = await _days(hass, stat_id)
    assert sorted(updated) == [date(2025, 11, day) for day in range(1, 26)]
    assert updated[date(2025, 11, 24)][0] == 310 * MIB
    assert updated[date(2025, 11, 25)][0] == 150 * MIB
    totals = [updated[day][1] for day in sorted(updated)]
    assert totals[-1] == sum(used for used, _ in updated.values())
    assert totals == sorted(totals)
    await _unload(hass, entry)


async def test_a_lost_record_continues_after_the_rows_already_there(
    hass: HomeAssistant,
    mock_iijmio: MagicMock,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    mock_iijmio.async_fetch.return_value = app_usage(days_this_month=5)
    entry = await _set_up(hass, freezer)
    stat_id = _statistic_id()
    before = await _days(hass, stat_id)
    await _unload(hass, entry)

    # The record of what was imported is lost (an entry removed and added again): the rows in
    # the recorder stay, and only later days are added, after their total.
    hass_storage.pop(f"japan_sim_data.{ENTRY_ID}.daily_usage", None)
    statistics = DailyUsageStatistics(hass, ENTRY_ID)
    await statistics.async_load()
    freezer.move_to("2025-11-27T09:00:00+09:00")
    later = app_usage(datetime.fromisoformat("2025-11-27T09:00:00+09:00"), days_this_month=7)
    assert await statistics.async_import(later, _keyed, {}) > 0
    after = await _days(hass, stat_id)
    assert {day: after[day] for day in before} == before
    last_before = max(before)
    assert after[date(2025, 11, 26)][1] == pytest.approx(
        before[last_before][1] + after[date(2025, 11, 25)][0] + after[date(2025, 11, 26)][0]
    )


async def test_a_deleted_statistic_is_written_again_in_full(
    hass: HomeAssistant,
    mock_iijmio: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    usage = app_usage(days_this_month=4)
    mock_iijmio.async_fetch.return_value = usage
    freezer.move_to(FROZEN_NOW)
    statistics = DailyUsageStatistics(hass, ENTRY_ID)
    await statistics.async_load()
    assert await statistics.async_import(usage, _keyed, {}) == 4 * 3
    # A new start, and a recorder that no longer holds the rows (a new database).
    stat_id = _statistic_id()
    get_instance(hass).async_clear_statistics([stat_id])
    await async_wait_recording_done(hass)
    assert await _days(hass, stat_id) == {}
    restarted = DailyUsageStatistics(hass, ENTRY_ID)
    restarted._imported = statistics._imported
    # Only the SIM whose rows are gone is written again; the others' rows are there.
    assert await restarted.async_import(usage, _keyed, {}) == 4
    assert len(await _days(hass, stat_id)) == 4


async def test_a_statistic_written_in_bytes_is_written_again_in_mib(
    hass: HomeAssistant,
    mock_iijmio: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """0.2.0 wrote bytes; rows of two units would not add up, so every kept day is rewritten."""
    usage = app_usage(days_this_month=6)
    freezer.move_to(FROZEN_NOW)
    statistics = DailyUsageStatistics(hass, ENTRY_ID)
    await statistics.async_load()
    assert await statistics.async_import(usage, _keyed, {}) > 0
    stat_id = _statistic_id()
    imported = statistics._imported
    kept = imported[FIRST_SIM]
    # What 0.2.0 left: the same days in the recorder, in bytes.
    get_instance(hass).async_clear_statistics([stat_id])
    total = kept.base
    rows: list[StatisticData] = []
    for day in sorted(kept.days):
        total += kept.days[day]
        rows.append({"start": day_start(day), "state": kept.days[day], "sum": total})
    async_add_external_statistics(
        hass,
        {
            "statistic_id": stat_id,
            "source": "japan_sim_data",
            "name": "0.2.0",
            "has_sum": True,
            "mean_type": StatisticMeanType.NONE,
            "unit_of_measurement": "B",
            "unit_class": "information",
        },
        rows,
    )
    in_bytes = await _rows(hass, stat_id)
    assert in_bytes[-1]["sum"] == total

    # The next start: the statistic is found in bytes, cleared and written again in MiB.
    restarted = DailyUsageStatistics(hass, ENTRY_ID)
    restarted._imported = imported
    assert await restarted.async_import(usage, _keyed, {}) == len(kept.days)
    await async_wait_recording_done(hass)
    metadata = await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids={stat_id})
    )
    assert metadata[stat_id][1]["unit_of_measurement"] == "MiB"
    days = await _days(hass, stat_id)
    assert {day: used for day, (used, _) in days.items()} == kept.days
    assert days[max(days)][1] == total
    # Once in MiB, a later start writes nothing again.
    again = DailyUsageStatistics(hass, ENTRY_ID)
    again._imported = imported
    assert await again.async_import(usage, _keyed, {}) == 0


def test_old_days_fold_into_the_running_total() -> None:
    imported = ImportedDays()
    today = date(2025, 11, 25)
    first = today - timedelta(days=MAX_DAYS)
    days = tuple(DailyUsage(first + timedelta(days=n), n + 1) for n in range(MAX_DAYS))
    assert imported.merge(days, today) == (first, 0)
    assert (len(imported.days), imported.base, imported.floor) == (MAX_DAYS, 0, None)
    # Five days on, five more days: the five oldest fold into the running total.
    later = today + timedelta(days=5)
    new = tuple(DailyUsage(today + timedelta(days=n), MAX_DAYS + n + 1) for n in range(5))
    assert imported.merge(new, later) == (today, 0)
    assert len(imported.days) == MAX_DAYS
    assert imported.base == sum(range(1, 6))
    assert imported.floor == first + timedelta(days=4)
    assert imported.rows(later) == []
    last = imported.rows(later - timedelta(days=1))
    assert last[0]["sum"] == sum(range(1, MAX_DAYS + 6)) / MIB  # rows are in MiB
    # A day under the floor is never taken again; one older than the window is left out.
    assert imported.merge((DailyUsage(first, 999),), later) == (None, 0)
    imported.floor = None
    assert imported.merge((DailyUsage(first, 999),), later) == (None, 1)


def test_a_history_of_forty_thousand_days_is_read_in_one_pass() -> None:
    """Tens of thousands of distinct days inside the body cap once froze Home Assistant."""
    today = date(2025, 11, 25)
    days = tuple(DailyUsage(today - timedelta(days=n), n) for n in range(1, 40_001))
    imported = ImportedDays()
    changed, left_out = imported.merge(days, today)
    assert len(imported.days) == MAX_DAYS
    assert left_out == 40_000 - MAX_DAYS
    assert changed == min(imported.days) == today - timedelta(days=MAX_DAYS)
    assert (imported.base, imported.floor) == (0, None)  # left out, not counted
    assert len(imported.rows(changed)) == MAX_DAYS


async def test_forty_thousand_days_write_at_most_max_days_rows(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    freezer.move_to(FROZEN_NOW)
    today = datetime.fromisoformat(FROZEN_NOW).date()
    usage = app_usage(days_this_month=3)
    sim = usage.sims[FIRST_SIM]
    history = tuple(DailyUsage(today - timedelta(days=n), MIB) for n in range(40_000, 0, -1))
    usage = AccountUsage(sims={FIRST_SIM: replace(sim, daily_usage=history)})
    statistics = DailyUsageStatistics(hass, ENTRY_ID)
    await statistics.async_load()
    assert await statistics.async_import(usage, _keyed, {}) == MAX_DAYS
    assert statistics.day_counts == [MAX_DAYS]
    days = await _days(hass, _statistic_id(), date(2000, 1, 1))
    assert len(days) == MAX_DAYS
    assert min(days) == today - timedelta(days=MAX_DAYS)
    assert days[max(days)] == (MIB, MAX_DAYS * MIB)
    # The reason is said once, not at every poll.
    assert await statistics.async_import(usage, _keyed, {}) == 0
    assert caplog.text.count("were not imported") == 1


async def test_days_in_year_1_1900_and_1970_are_left_out_and_the_real_ones_written(
    hass: HomeAssistant, mock_iijmio: MagicMock, freezer: FrozenDateTimeFactory
) -> None:
    usage = app_usage(days_this_month=3)
    sim = usage.sims[FIRST_SIM]
    placeholders = tuple(
        DailyUsage(day, 5 * MIB) for day in (date(1, 1, 1), date(1900, 1, 1), date(1970, 1, 1))
    )
    odd = replace(sim, daily_usage=(*placeholders, *sim.daily_usage))
    mock_iijmio.async_fetch.return_value = AccountUsage(sims={**usage.sims, FIRST_SIM: odd})
    entry = await _set_up(hass, freezer)
    days = await _days(hass, _statistic_id(), date(2000, 1, 1))
    assert sorted(days) == [date(2025, 11, 22), date(2025, 11, 23), date(2025, 11, 24)]
    # Again after a restart: nothing fails, nothing is added.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert await _days(hass, _statistic_id()) == days
    await _unload(hass, entry)


def test_a_stored_record_is_read_field_by_field() -> None:
    imported = ImportedDays(days={date(2025, 11, 1): 5}, base=7, floor=date(2025, 10, 1))
    assert ImportedDays.restore(imported.as_dict()) == (imported, 0)
    bad_day = {"days": {"2025-11-01": 5, "nope": 1, "2025-11-02": -3}, "base": 0}
    restored, dropped = ImportedDays.restore(bad_day)
    assert (restored.days, dropped) == ({date(2025, 11, 1): 5}, 2)
    # Without its running total a record cannot be continued: start again.
    assert ImportedDays.restore({"days": {}, "base": "x"}) == (ImportedDays(), 1)
    assert ImportedDays.restore({"days": {}, "floor": "never"}) == (ImportedDays(), 1)
    assert ImportedDays.restore({"days": []})[1] == 1
    assert ImportedDays.restore(None) == (ImportedDays(), 1)
