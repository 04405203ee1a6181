"""Low data, expiring soon, the daily budget and the usage forecast, on a frozen clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.insights import (
    UsageHistory,
    daily_budget,
    is_expiring_soon,
    is_low_data,
)
from custom_components.japan_sim_data.carriers.models import BucketKind, DataBucket, SimUsage
from custom_components.japan_sim_data.carriers.units import GIB, MIB

NOW = datetime(2025, 11, 25, 12, 0, tzinfo=TOKYO)
END_OF_NOVEMBER = datetime(2025, 11, 30, 23, 59, 59, tzinfo=TOKYO)


def _sim(remaining: int | None, allowance: int | None = 10 * GIB) -> SimUsage:
    return SimUsage(
        sim_id="s",
        allowance=allowance,
        buckets=(DataBucket(BucketKind.MONTHLY, remaining=remaining, expires=END_OF_NOVEMBER),),
    )


@pytest.mark.parametrize(
    ("remaining", "threshold", "percent", "low"),
    [
        (GIB, 1.0, False, True),
        (GIB + 1, 1.0, False, False),
        (0, 1.0, False, True),
        (GIB, 10, True, True),
        (2 * GIB, 10, True, False),
        (None, 1.0, False, None),
    ],
)
def test_low_data(remaining: int | None, threshold: float, percent: bool, low: bool | None) -> None:
    assert is_low_data(_sim(remaining), threshold, percent=percent) is low


def test_low_data_as_a_share_needs_the_allowance() -> None:
    assert is_low_data(_sim(GIB, allowance=None), 10, percent=True) is None


@pytest.mark.parametrize(
    ("now", "lead_days", "soon"),
    [
        (NOW, 3, False),  # six days left
        (NOW, 6, True),
        (datetime(2025, 11, 30, 9, 0, tzinfo=TOKYO), 1, True),  # the last day
        (datetime(2025, 12, 1, 0, 0, tzinfo=TOKYO), 3, False),  # already expired
    ],
)
def test_expiring_soon(now: datetime, lead_days: int, soon: bool) -> None:
    assert is_expiring_soon(_sim(GIB), now, lead_days) is soon


def test_expiring_soon_needs_data_and_a_date() -> None:
    assert is_expiring_soon(_sim(0), NOW, 30) is False
    assert is_expiring_soon(SimUsage(sim_id="s"), NOW, 30) is None


def test_daily_budget() -> None:
    assert daily_budget(_sim(6 * GIB), NOW) == GIB
    assert daily_budget(_sim(None), NOW) is None
    assert daily_budget(SimUsage(sim_id="s"), NOW) is None
    assert daily_budget(_sim(GIB), datetime(2025, 12, 2, tzinfo=TOKYO)) is None


def test_forecast_needs_a_trend() -> None:
    history = UsageHistory()
    assert history.runs_out_on(NOW, 5 * GIB) is None
    history.add(NOW, 5 * GIB)
    # Five hours are not enough to tell a trend from one video.
    assert history.runs_out_on(NOW + timedelta(hours=5), 4 * GIB) is None
    assert history.runs_out_on(NOW + timedelta(hours=5), None) is None


def test_forecast_from_the_recent_rate() -> None:
    history = UsageHistory()
    history.add(NOW, 5 * GIB)
    history.add(NOW + timedelta(days=1), 4 * GIB)
    history.add(NOW + timedelta(days=1), None)
    # 1 GiB a day and 4 GiB left: it runs out four days later.
    assert history.bytes_per_day(NOW + timedelta(days=1), 4 * GIB) == pytest.approx(GIB)
    assert history.runs_out_on(NOW + timedelta(days=1), 4 * GIB) == date(2025, 11, 30)
    # Unused for a day: the rate halves and the day moves out.
    assert history.runs_out_on(NOW + timedelta(days=2), 4 * GIB) == date(2025, 12, 5)


def test_forecast_restarts_after_a_top_up_and_ignores_idle_sims() -> None:
    history = UsageHistory()
    history.add(NOW, 5 * GIB)
    history.add(NOW + timedelta(days=1), 4 * GIB)
    history.add(NOW + timedelta(days=1, hours=1), 14 * GIB)
    assert [r.remaining for r in history.readings] == [14 * GIB]
    assert history.runs_out_on(NOW + timedelta(days=2), 14 * GIB) is None
    # Unchanged readings add nothing; a SIM that is not used never runs out.
    history.add(NOW + timedelta(days=3), 14 * GIB)
    assert len(history.readings) == 1
    assert history.runs_out_on(NOW + timedelta(days=3), 14 * GIB) is None
    # Used so slowly it would take more than ten years: "never".
    assert history.runs_out_on(NOW + timedelta(days=3), 14 * GIB - MIB) is None
    # A figure above the first reading (a correction) is not a trend.
    assert history.bytes_per_day(NOW + timedelta(days=3), 15 * GIB) is None


def test_history_keeps_a_week_and_survives_storage() -> None:
    history = UsageHistory()
    for day in range(20):
        history.add(NOW + timedelta(days=day), (100 - day) * GIB)
    at = [reading.at for reading in history.readings]
    assert at[0] <= NOW + timedelta(days=19) - UsageHistory.WINDOW < at[1]

    restored = UsageHistory.from_dict(history.as_dict())
    assert restored.readings == history.readings
    assert UsageHistory.from_dict({"readings": [["not a date", 1]]}).readings == ()
    assert UsageHistory.from_dict(None).readings == ()
