"""Plan periods, usage counters and the remaining-data estimate of the plan tracker."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.plan import (
    MonthlyPlan,
    UsageCounter,
    ValidityPlan,
    current_period,
    estimate_remaining,
    period_expires,
)
from custom_components.japan_sim_data.carriers.stored import (
    EARLIEST_DAY,
    LATEST_DAY,
    stored_count,
    stored_moment,
    within_calendar,
)
from custom_components.japan_sim_data.carriers.units import GIB, MAX_PLAUSIBLE_BYTES, MIB


@pytest.mark.parametrize(
    ("reset_day", "today", "period"),
    [
        (1, date(2025, 3, 15), (date(2025, 3, 1), date(2025, 3, 31))),
        (1, date(2025, 3, 1), (date(2025, 3, 1), date(2025, 3, 31))),
        (1, date(2025, 12, 31), (date(2025, 12, 1), date(2025, 12, 31))),
        (15, date(2025, 3, 14), (date(2025, 2, 15), date(2025, 3, 14))),
        (15, date(2025, 3, 15), (date(2025, 3, 15), date(2025, 4, 14))),
        # Across the year end, both ways.
        (20, date(2026, 1, 5), (date(2025, 12, 20), date(2026, 1, 19))),
        (20, date(2025, 12, 25), (date(2025, 12, 20), date(2026, 1, 19))),
        # A reset day past a short month's end falls on its last day.
        (31, date(2025, 2, 28), (date(2025, 2, 28), date(2025, 3, 30))),
        (31, date(2025, 2, 27), (date(2025, 1, 31), date(2025, 2, 27))),
        (31, date(2025, 3, 31), (date(2025, 3, 31), date(2025, 4, 29))),
        (31, date(2025, 4, 30), (date(2025, 4, 30), date(2025, 5, 30))),
        (30, date(2025, 3, 1), (date(2025, 2, 28), date(2025, 3, 29))),
        # Leap years.
        (31, date(2024, 2, 29), (date(2024, 2, 29), date(2024, 3, 30))),
        (29, date(2024, 2, 28), (date(2024, 1, 29), date(2024, 2, 28))),
        (29, date(2023, 3, 1), (date(2023, 2, 28), date(2023, 3, 28))),
        (30, date(2100, 2, 28), (date(2100, 2, 28), date(2100, 3, 29))),
    ],
)
def test_monthly_periods(reset_day: int, today: date, period: tuple[date, date]) -> None:
    assert current_period(MonthlyPlan(reset_day), today) == period


@pytest.mark.parametrize("reset_day", [0, 32, -1])
def test_monthly_plan_refuses_impossible_days(reset_day: int) -> None:
    with pytest.raises(ValueError, match="reset day"):
        MonthlyPlan(reset_day)


def test_validity_plan_from_days() -> None:
    plan = ValidityPlan.from_days(date(2025, 11, 25), 8)
    assert plan == ValidityPlan(date(2025, 11, 25), date(2025, 12, 2))
    assert ValidityPlan.from_days(date(2025, 12, 28), 7).end == date(2026, 1, 3)
    assert ValidityPlan.from_days(date(2024, 2, 28), 2).end == date(2024, 2, 29)
    one_day = ValidityPlan.from_days(date(2025, 1, 1), 1)
    assert one_day.start == one_day.end


def test_validity_plans_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="one day"):
        ValidityPlan.from_days(date(2025, 1, 1), 0)
    with pytest.raises(ValueError, match="before it starts"):
        ValidityPlan(date(2025, 1, 2), date(2025, 1, 1))


@pytest.mark.parametrize(
    "today", [date(2025, 11, 1), date(2025, 11, 25), date(2025, 12, 2), date(2026, 5, 1)]
)
def test_validity_period_is_the_plan_itself(today: date) -> None:
    plan = ValidityPlan.from_days(date(2025, 11, 25), 8)
    assert current_period(plan, today) == (date(2025, 11, 25), date(2025, 12, 2))


def test_period_expires_at_the_end_of_its_last_day_in_tokyo() -> None:
    expires = period_expires(MonthlyPlan(1), date(2025, 2, 10))
    assert expires == datetime(2025, 2, 28, 23, 59, 59, tzinfo=TOKYO)
    plan = ValidityPlan.from_days(date(2025, 11, 25), 8)
    assert period_expires(plan, date(2025, 11, 30)) == datetime(
        2025, 12, 2, 23, 59, 59, tzinfo=TOKYO
    )


def test_counter_first_value_is_a_baseline() -> None:
    counter = UsageCounter()
    counter.update("download", 10 * GIB)
    assert counter.used == 0


def test_counter_adds_increments() -> None:
    counter = UsageCounter()
    counter.update("download", 100)
    counter.update("download", 150)
    counter.update("download", 150)
    counter.update("download", 400)
    assert counter.used == 300


def test_counter_source_reset_adds_the_new_value() -> None:
    counter = UsageCounter()
    counter.update("download", 1000)
    counter.update("download", 1200)
    # The router rebooted: its counter starts again and has already counted 50.
    counter.update("download", 50)
    counter.update("download", 80)
    assert counter.used == 200 + 50 + 30


def test_counter_unavailable_gaps_lose_nothing_and_count_nothing_twice() -> None:
    counter = UsageCounter()
    counter.update("download", 1000)
    counter.update("download", None)
    counter.update("download", None)
    counter.update("download", 1500)
    assert counter.used == 500
    # A negative reading is no counter value either.
    counter.update("download", -1)
    counter.update("download", 1600)
    assert counter.used == 600
    # A source that has never given a value stays without a baseline.
    counter.update("upload", None)
    counter.update("upload", 70)
    assert counter.used == 600


def test_counter_sums_two_sources() -> None:
    counter = UsageCounter()
    counter.update("download", 5 * GIB)
    counter.update("upload", GIB)
    counter.update("download", 5 * GIB + 300 * MIB)
    counter.update("upload", GIB + 20 * MIB)
    counter.update("download", 5 * GIB + 500 * MIB)
    assert counter.used == 520 * MIB


def test_counter_reset_starts_a_period_from_the_last_totals() -> None:
    counter = UsageCounter()
    counter.update("download", 100)
    counter.update("download", 300)
    counter.reset()
    assert counter.used == 0
    counter.update("download", 350)
    assert counter.used == 50


def test_counter_survives_a_restart() -> None:
    counter = UsageCounter()
    counter.update("download", 100)
    counter.update("upload", 10)
    counter.update("download", 250)
    saved = json.loads(json.dumps(counter.as_dict()))
    restored = UsageCounter.from_dict(saved)
    assert restored.used == 150
    assert restored.as_dict() == counter.as_dict()
    # The baselines came back too: only new growth counts.
    restored.update("download", 260)
    restored.update("upload", 15)
    assert restored.used == 165
    # The saved state is a copy, not a view of the live counter.
    counter.update("download", 1000)
    assert saved["baselines"]["download"] == 250


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"used": 5},
        {"used": -1, "baselines": {}},
        {"used": True, "baselines": {}},
        {"used": "5", "baselines": {}},
        {"used": 5, "baselines": []},
        {"used": 5, "baselines": {"download": 1.5}},
        {"used": 5, "baselines": {"download": -3}},
        {"used": 5, "baselines": {1: 3}},
    ],
)
def test_counter_refuses_a_broken_saved_state(data: dict[Any, Any]) -> None:
    with pytest.raises(ValueError, match="saved usage counter"):
        UsageCounter.from_dict(data)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        # Allowance less usage.
        ((3 * GIB, GIB, None, None), 2 * GIB),
        ((3 * GIB, 4 * GIB, None, None), 0),
        # A notice's figure overrides the estimate, less what was used since.
        ((3 * GIB, GIB, 500 * MIB, 100 * MIB), 400 * MIB),
        ((None, None, 500 * MIB, 600 * MIB), 0),
        ((None, None, 500 * MIB, None), 500 * MIB),
        ((3 * GIB, GIB, 0, 0), 0),
        # Unknown stays unknown: no false zero, no false full allowance.
        ((None, GIB, None, None), None),
        ((3 * GIB, None, None, None), None),
        ((None, None, None, 100), None),
    ],
)
def test_estimate_remaining(
    arguments: tuple[int | None, int | None, int | None, int | None], expected: int | None
) -> None:
    assert estimate_remaining(*arguments) == expected


_UPDATES = st.lists(
    st.tuples(
        st.sampled_from(["download", "upload", "lte"]),
        st.none() | st.integers(min_value=-10, max_value=10**13),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(_UPDATES, st.integers(min_value=0, max_value=60))
def test_counter_never_decreases(updates: list[tuple[str, int | None]], reset_at: int) -> None:
    counter = UsageCounter()
    previous = 0
    for index, (source_id, value) in enumerate(updates):
        if index == reset_at:
            counter.reset()
            previous = 0
        counter.update(source_id, value)
        assert counter.used >= previous
        previous = counter.used
    assert UsageCounter.from_dict(counter.as_dict()).as_dict() == counter.as_dict()


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=31),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
)
def test_monthly_period_contains_today_and_is_a_month_long(reset_day: int, today: date) -> None:
    start, end = current_period(MonthlyPlan(reset_day), today)
    assert start <= today <= end
    assert 28 <= (end - start).days + 1 <= 31


# -- reading stored values back (issue #12, item 5) --------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (5 * GIB, 5 * GIB),
        (5.0, 5),
        (MAX_PLAUSIBLE_BYTES, MAX_PLAUSIBLE_BYTES),
        (MAX_PLAUSIBLE_BYTES + 1, None),
        (1e300, None),
        (-1, None),
        (1.5, None),
        (float("nan"), None),
        (float("inf"), None),
        ("5", None),
        ("x", None),
        (True, None),
        (None, None),
        ([], None),
        ({}, None),
    ],
)
def test_stored_count(value: object, expected: int | None) -> None:
    assert stored_count(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-11-25T12:00:00+09:00", datetime(2025, 11, 25, 12, tzinfo=TOKYO)),
        ("2025-11-25T03:00:00+00:00", datetime(2025, 11, 25, 12, tzinfo=TOKYO)),
        # No offset: it cannot be compared with the clock.
        ("2025-11-25T12:00:00", None),
        ("9999-12-31T23:59:59+09:00", None),
        ("0001-01-01T00:00:00+00:00", None),
        ("yesterday", None),
        ("2025-11-25T12:00:00+09:00" + " " * 64, None),
        (1764036000, None),
        (None, None),
    ],
)
def test_stored_moment(value: object, expected: datetime | None) -> None:
    assert stored_moment(value) == expected


def test_calendar_bounds() -> None:
    assert within_calendar(EARLIEST_DAY)
    assert within_calendar(LATEST_DAY)
    assert not within_calendar(date(1999, 12, 31))
    assert not within_calendar(date(9999, 12, 31))


@pytest.mark.parametrize(
    ("data", "used", "baselines", "dropped"),
    [
        ({"used": 5, "baselines": {"a": 1}}, 5, {"a": 1}, []),
        ([], 0, {}, ["counter"]),
        ("x", 0, {}, ["counter"]),
        ({"used": "5", "baselines": {"a": 1}}, 0, {"a": 1}, ["counter.used"]),
        ({"used": 5, "baselines": []}, 5, {}, ["counter.baselines"]),
        (
            {"used": 5, "baselines": {"a": 1, "b": "x", "c": -1, "d": float("nan")}},
            5,
            {"a": 1},
            ["counter.baselines"],
        ),
        ({}, 0, {}, ["counter.used", "counter.baselines"]),
    ],
)
def test_counter_salvage_keeps_what_it_can(
    data: object, used: int, baselines: dict[str, int], dropped: list[str]
) -> None:
    counter, names = UsageCounter.salvage(data)
    assert counter.used == used
    assert counter.as_dict()["baselines"] == baselines
    assert names == dropped
