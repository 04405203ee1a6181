"""Low data, expiring soon, the daily budget and the usage forecast, on a frozen clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.insights import (
    UsageHistory,
    carrier_amount,
    daily_budget,
    is_expiring_soon,
    is_low_data,
    two_figures_down,
    valid_days_left,
    valid_expiry,
    whole_mib,
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
    # 6 GiB over 6 days: 1024 MiB a day, shown to two figures.
    assert daily_budget(_sim(6 * GIB), NOW) == 1000 * MIB
    assert daily_budget(_sim(None), NOW) is None
    assert daily_budget(SimUsage(sim_id="s"), NOW) is None
    assert daily_budget(_sim(GIB), datetime(2025, 12, 2, tzinfo=TOKYO)) is None


def test_the_daily_budget_is_two_figures_of_mib_rounded_down() -> None:
    # 6 days left: 6000 MiB and a little is 1000 MiB a day, never 1000.0000x.
    assert daily_budget(_sim(6000 * MIB + 12_345), NOW) == 1000 * MIB
    # 5800 MiB is 966.7 MiB a day: shown as 960, never more than is left.
    assert daily_budget(_sim(5800 * MIB), NOW) == 960 * MIB
    # A poll that moves the figure within its ten (up to 40 MiB here) moves no budget.
    assert daily_budget(_sim(5800 * MIB - 40 * MIB), NOW) == 960 * MIB
    assert daily_budget(_sim(5760 * MIB - 1), NOW) == 950 * MIB
    # Under a hundred MiB a day, every MiB still shows; under one, nothing is left to give.
    assert daily_budget(_sim(6 * 95 * MIB + MIB), NOW) == 95 * MIB
    assert daily_budget(_sim(6 * 9 * MIB), NOW) == 9 * MIB
    assert daily_budget(_sim(6 * MIB - 1), NOW) == 0
    # Large plans: 1,534 MiB a day is 1,500.
    assert daily_budget(_sim(6 * 1534 * MIB), NOW) == 1500 * MIB


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, 0),
        (7, 7),
        (10, 10),
        (99, 99),
        (100, 100),
        (967, 960),
        (999, 990),
        (1534, 1500),
        (20_480, 20_000),
    ],
)
def test_two_figures_down(count: int, shown: int) -> None:
    assert two_figures_down(count) == shown


def test_an_expired_bucket_never_counts_and_never_gives_0_days() -> None:
    expired = DataBucket(BucketKind.CARRIED_OVER, 3 * GIB, expires=END_OF_NOVEMBER)
    december = DataBucket(
        BucketKind.MONTHLY, 10 * GIB, expires=datetime(2025, 12, 31, 23, 59, 59, tzinfo=TOKYO)
    )
    sim = SimUsage(sim_id="s", buckets=(expired, december))
    first_of_december = datetime(2025, 12, 1, 0, 0, 5, tzinfo=TOKYO)
    assert valid_expiry(sim, first_of_december) == december.expires
    assert valid_days_left(sim, first_of_december) == 31
    assert daily_budget(sim, first_of_december) == 330 * MIB  # 330.3 MiB a day
    assert is_expiring_soon(sim, first_of_december, 3) is False
    # A reset day the carrier has not moved on yet is not "0 days left".
    stale = SimUsage(sim_id="s", resets_on=date(2025, 12, 1))
    assert valid_expiry(stale, first_of_december) is None
    assert valid_days_left(stale, first_of_december) is None
    assert valid_days_left(stale, NOW) == 6
    # Everything expired: nothing is left to lose.
    assert is_expiring_soon(SimUsage(sim_id="s", buckets=(expired,)), first_of_december, 3) is False


@pytest.mark.parametrize(
    ("reported", "hundredths", "shown_gib"),
    [
        # The carrier's "4.56GB" / "8.76GB", a fraction of a byte off once in bytes.
        (int(4.56 * GIB), False, 4.56),
        (round(8.76 * GIB), False, 8.76),
        (20 * GIB, False, 20.0),
        # Three buckets of hundredths summed, each a fraction of a byte off; and 500 B of noise.
        (int(4.56 * GIB) + int(1.01 * GIB) + int(0.33 * GIB), False, 5.9),
        (int(4.56 * GIB) - 500, False, 4.56),
        # MB figures stay whole MiB; noise under a MiB is gone.
        (8970 * MIB, False, 8970 / 1024),
        (8970 * MIB + 1000, False, 8970 / 1024),
        (8970 * MIB + MIB // 2 + 1, False, 8971 / 1024),
        # povo counts kilobytes and shows hundredths of a GB.
        (2_200_000 * 1024, True, 2.1),
        (125829121 * 1024, True, 120.0),
        # Never rounded to 0: 3 MiB stays 3 MiB, 100 kB stays 100 kB.
        (3 * MIB, True, 3 / 1024),
        (100 * 1024, True, 100 / 1024 / 1024),
        (0, True, 0.0),
    ],
)
def test_figures_at_the_carriers_resolution(
    reported: int, hundredths: bool, shown_gib: float
) -> None:
    value = carrier_amount(reported, hundredths=hundredths)
    assert value is not None
    # Home Assistant shows value / 2**30 (a power of two: exact) as the state in GiB.
    assert value / GIB == shown_gib
    assert str(value / GIB) == str(shown_gib)
    assert carrier_amount(None) is None


def test_used_today_in_whole_mib_never_shrinks() -> None:
    assert whole_mib(None) is None
    assert whole_mib(0) == 0
    assert whole_mib(MIB // 2 - 1) == 0
    assert whole_mib(MIB // 2) == MIB
    assert whole_mib(300 * MIB + 12_345) == 300 * MIB
    counts = [whole_mib(n * 99_991) or 0 for n in range(200)]
    assert counts == sorted(counts)


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


def test_the_forecast_is_a_day_that_noise_does_not_move() -> None:
    history = UsageHistory()
    history.add(NOW - timedelta(days=1), 10 * GIB)
    # A GiB a day, 9 GiB left: nine days from noon on 25 November.
    assert history.runs_out_on(NOW, 9 * GIB) == date(2025, 12, 4)
    # Kilobytes more or less move the moment by seconds, not the day shown.
    assert history.runs_out_on(NOW, 9 * GIB - 4096) == date(2025, 12, 4)
    assert history.runs_out_on(NOW, 9 * GIB + 4096) == date(2025, 12, 4)
