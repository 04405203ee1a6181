"""Plan periods and usage steps for SIMs whose carrier offers no usable API.

The user states the plan (a monthly allowance that resets on a given day, or a travel plan valid
from one day to another); the tracker's ledger (``tracking_ledger.py``) counts against it.

A plan without a cap states steps of use instead (``steps.UsageSteps``, re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .dates import add_months, end_of_day, last_day_of_month
from .steps import MAX_STEPS, PlanKind, UsageSteps

__all__ = [
    "MAX_STEPS",
    "MonthlyPlan",
    "Plan",
    "PlanKind",
    "UsageSteps",
    "ValidityPlan",
    "current_period",
    "period_expires",
]


@dataclass(frozen=True, slots=True)
class MonthlyPlan:
    """A plan whose allowance arrives every month on ``reset_day``.

    A reset day past a month's end (31 in February) falls on that month's last day, as carriers
    that bill on such days do.
    """

    reset_day: int

    def __post_init__(self) -> None:
        """Refuse a day no month has, so a wrong setting fails where it is made."""
        if not 1 <= self.reset_day <= 31:  # noqa: PLR2004
            raise ValueError("The reset day must be between 1 and 31")


@dataclass(frozen=True, slots=True)
class ValidityPlan:
    """A plan valid from ``start`` to ``end``, both days included (travel and prepaid SIMs)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        """Refuse a plan that ends before it starts."""
        if self.end < self.start:
            raise ValueError("A plan cannot end before it starts")


type Plan = MonthlyPlan | ValidityPlan


def _reset_in(year: int, month: int, reset_day: int) -> date:
    """Return the reset date of a month, moved back to its last day when the month is short."""
    return date(year, month, min(reset_day, last_day_of_month(year, month).day))


def current_period(plan: Plan, today: date) -> tuple[date, date]:
    """Return the first and last day (both included) of the plan's period containing ``today``.

    A validity plan has a single period; outside it, that period is still the answer, so a plan
    entered ahead of a trip or kept after it shows its own dates.
    """
    if isinstance(plan, ValidityPlan):
        return plan.start, plan.end
    start = _reset_in(today.year, today.month, plan.reset_day)
    if today < start:
        start = _reset_in(*add_months(today.year, today.month, -1), plan.reset_day)
    next_start = _reset_in(*add_months(start.year, start.month, 1), plan.reset_day)
    return start, next_start - timedelta(days=1)


def period_expires(plan: Plan, today: date) -> datetime:
    """Return the last moment of the current period, in Tokyo."""
    return end_of_day(current_period(plan, today)[1])
