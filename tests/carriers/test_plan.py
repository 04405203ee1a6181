"""Plan periods of the plan tracker, and the stored values it reads back."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.plan import (
    MonthlyPlan,
    ValidityPlan,
    current_period,
    period_expires,
)
from custom_components.japan_sim_data.carriers.stored import (
    EARLIEST_DAY,
    LATEST_DAY,
    stored_count,
    stored_moment,
    within_calendar,
)
from custom_components.japan_sim_data.carriers.units import GIB, MAX_PLAUSIBLE_BYTES


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


def test_validity_plans_refuse_nonsense() -> None:
    one_day = ValidityPlan(date(2025, 1, 1), date(2025, 1, 1))
    assert current_period(one_day, date(2025, 1, 1)) == (date(2025, 1, 1), date(2025, 1, 1))
    with pytest.raises(ValueError, match="before it starts"):
        ValidityPlan(date(2025, 1, 2), date(2025, 1, 1))


@pytest.mark.parametrize(
    "today", [date(2025, 11, 1), date(2025, 11, 25), date(2025, 12, 2), date(2026, 5, 1)]
)
def test_validity_period_is_the_plan_itself(today: date) -> None:
    plan = ValidityPlan(date(2025, 11, 25), date(2025, 12, 2))
    assert current_period(plan, today) == (date(2025, 11, 25), date(2025, 12, 2))


def test_period_expires_at_the_end_of_its_last_day_in_tokyo() -> None:
    expires = period_expires(MonthlyPlan(1), date(2025, 2, 10))
    assert expires == datetime(2025, 2, 28, 23, 59, 59, tzinfo=TOKYO)
    plan = ValidityPlan(date(2025, 11, 25), date(2025, 12, 2))
    assert period_expires(plan, date(2025, 11, 30)) == datetime(
        2025, 12, 2, 23, 59, 59, tzinfo=TOKYO
    )


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
