"""Plan periods and usage counting for SIMs whose carrier offers no usable API.

The user states the plan (a monthly allowance that resets on a given day, or a travel plan valid
for a number of days); usage comes from counters Home Assistant already has, such as a router's
monthly download and upload sensors, and from the figures carrier notices state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .dates import add_months, end_of_day, last_day_of_month
from .stored import is_count


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

    @classmethod
    def from_days(cls, start: date, days: int) -> ValidityPlan:
        """Build a plan valid for ``days`` calendar days; the start day counts as the first."""
        if days < 1:
            raise ValueError("A plan lasts at least one day")
        return cls(start=start, end=start + timedelta(days=days - 1))


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


class UsageCounter:
    """Bytes used since the period began, summed over cumulative source counters.

    Each source (a router's download counter, its upload counter, ...) only ever reports a
    running total. Its first value is a baseline; growth is usage; a drop means the source
    reset (a router reboot or its own month rolling over), so its new value is usage since that
    reset. An unavailable source keeps its baseline, so nothing is lost or counted twice when it
    comes back.
    """

    __slots__ = ("_baselines", "_used")

    def __init__(self) -> None:
        """Start a period with no usage and no baselines."""
        self._used = 0
        self._baselines: dict[str, int] = {}

    @property
    def used(self) -> int:
        """Bytes used since the period began."""
        return self._used

    def update(self, source_id: str, value_bytes: int | None) -> None:
        """Take a source's latest running total; None or a negative value means unavailable."""
        if value_bytes is None or value_bytes < 0:
            return
        baseline = self._baselines.get(source_id)
        if baseline is not None:
            self._used += value_bytes - baseline if value_bytes >= baseline else value_bytes
        self._baselines[source_id] = value_bytes

    def reset(self) -> None:
        """Begin a new period; the sources' last totals stay as baselines."""
        self._used = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the state as plain JSON types, to survive a restart."""
        return {"used": self._used, "baselines": dict(self._baselines)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UsageCounter:
        """Rebuild a counter saved by ``as_dict``; ValueError when the data is not such a state."""
        used = data.get("used")
        baselines = data.get("baselines")
        if not isinstance(baselines, Mapping) or not is_count(used):
            raise ValueError("Not a saved usage counter")
        counter = cls()
        counter._used = used
        for source_id, value in baselines.items():
            if not isinstance(source_id, str) or not is_count(value):
                raise ValueError("Not a saved usage counter")
            counter._baselines[source_id] = value
        return counter

    @classmethod
    def salvage(cls, data: object) -> tuple[UsageCounter, list[str]]:
        """Rebuild what can be read of a saved counter, field by field, and name what cannot.

        An unreadable total starts at 0; an unreadable baseline is dropped, so that source's
        next value becomes its baseline again (a little usage lost, nothing counted twice).
        """
        counter, dropped = cls(), []
        if not isinstance(data, Mapping):
            return counter, ["counter"]
        used = data.get("used")
        if is_count(used):
            counter._used = used
        else:
            dropped.append("counter.used")
        baselines = data.get("baselines")
        if not isinstance(baselines, Mapping):
            return counter, [*dropped, "counter.baselines"]
        for source_id, value in baselines.items():
            if isinstance(source_id, str) and is_count(value):
                counter._baselines[source_id] = value
            elif "counter.baselines" not in dropped:
                dropped.append("counter.baselines")
        return counter, dropped


def estimate_remaining(
    allowance: int | None,
    used_since_period_start: int | None,
    last_notice_remaining: int | None,
    used_since_notice: int | None,
) -> int | None:
    """Estimate the bytes left in the period.

    A carrier notice's figure beats our own arithmetic, less what was used after it; the caller
    drops notices from an earlier period. Without a notice, the allowance less the counted usage.
    None when neither gives a figure: unknown is never shown as 0, nor as a full allowance.
    """
    if last_notice_remaining is not None:
        return max(0, last_notice_remaining - (used_since_notice or 0))
    if allowance is None or used_since_period_start is None:
        return None
    return max(0, allowance - used_since_period_start)
