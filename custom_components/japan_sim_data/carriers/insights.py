"""What the figures mean for the user: low data, expiring soon, a daily budget, a forecast.

Pure functions and a small history, free of Home Assistant, so they can be tested with any
clock. Every answer is None when its inputs are unknown: a guess must never look like a fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from .dates import TOKYO, days_left
from .models import SimUsage
from .units import GIB, MIB


def is_low_data(sim: SimUsage, threshold: float, *, percent: bool) -> bool | None:
    """Whether the data left has fallen to ``threshold`` (GB as carriers count, or % of plan)."""
    remaining = sim.remaining
    if remaining is None:
        return None
    if percent:
        if not sim.allowance:
            return None
        return remaining <= sim.allowance * threshold / 100
    return remaining <= threshold * GIB


def valid_expiry(sim: SimUsage, now: datetime) -> datetime | None:
    """When the data that goes first expires, counting only buckets still valid at ``now``.

    None once that moment has passed (a reset day the carrier has not moved on yet): a past
    expiry, or "0 days left", is never shown next to data that still counts.
    """
    expires = sim.valid_at(now).data_expires
    return expires if expires is not None and expires > now else None


def valid_days_left(sim: SimUsage, now: datetime) -> int | None:
    """Calendar days (Tokyo) the soonest valid data can still be used; at least 1, or None."""
    expires = valid_expiry(sim, now)
    return None if expires is None else days_left(expires, now)


def is_expiring_soon(sim: SimUsage, now: datetime, lead_days: int) -> bool | None:
    """Whether data that is still left expires within ``lead_days`` calendar days (today counts)."""
    valid = sim.valid_at(now)
    if valid.remaining == 0 or (sim.buckets and not valid.buckets):
        # Nothing left to lose (or all of it expired already).
        return False
    if valid.data_expires is None:
        return None
    left = valid_days_left(valid, now)
    return left is not None and left <= lead_days


def daily_budget(sim: SimUsage, now: datetime) -> int | None:
    """Bytes a day that can be used, evenly, until the data that goes first expires.

    In MiB to two significant figures, rounded down (960 MiB, 95 MiB, 1,500 MiB): a budget is
    an estimate, and a third figure would move with nearly every poll that uses data (a
    recorder row each time) without changing what anyone does with it. Rounded down, it never
    promises more than is left.
    """
    valid = sim.valid_at(now)
    remaining = valid.remaining
    left = valid_days_left(valid, now)
    if remaining is None or left is None:
        return None
    return two_figures_down(remaining // left // MIB) * MIB


def two_figures_down(count: int) -> int:
    """``count`` rounded down to its two leading digits: 967 → 960, 95 → 95, 1,534 → 1,500."""
    step = int(10 ** max(0, len(str(count)) - 2))
    return count // step * step


_HUNDREDTH_SLACK: Final = 1024
"""Bytes a figure may lie off a hundredth of a GB and still be read as that hundredth."""


def whole_mib(value: int | None) -> int | None:
    """Bytes rounded to the nearest MiB (half up, so a growing count never shrinks)."""
    return None if value is None else (value + MIB // 2) // MIB * MIB


def carrier_amount(value: int | None, *, hundredths: bool = False) -> int | float | None:
    """Bytes at the resolution the carrier reports them, so noise below it writes no state.

    A figure given in hundredths of a GB (carriers' GB is GiB: "4.56GB", converted to bytes
    at the edge, a fraction of a byte off per bucket summed) comes back as exactly that many
    hundredths, so the state reads 4.56, not 4.55999999959022; within a KiB of one is taken
    as one (no whole-MiB figure lies that close to a hundredth without being it). Others are
    rounded to the MiB (MB is the finest unit carriers print); ``hundredths`` rounds them to
    0.01 GB too, for carriers that report finer than they show (povo: kilobytes, shown as
    "60.00GB"). Nothing is rounded to 0 that is not 0: under one step the finer one is used,
    under 1 MiB the bytes.
    """
    if value is None or value < MIB:
        return value
    steps = round(value * 100 / GIB)
    if steps and (hundredths or abs(steps * GIB / 100 - value) < _HUNDREDTH_SLACK):
        # Exactly steps / 100 GiB: the state (in GiB) is the carrier's own figure.
        return steps / 100 * GIB
    return whole_mib(value)


@dataclass(frozen=True, slots=True)
class Reading:
    """How much data was left at one moment."""

    at: datetime
    remaining: int


class UsageHistory:
    """Recent readings of one SIM, to forecast when its data runs out.

    A reading above the previous one (a top-up, a new month) starts the history afresh: the
    rate of use is only measured while data goes down.
    """

    WINDOW: Final = timedelta(days=7)
    """Older readings say little about how the SIM is used now."""
    MIN_SPAN: Final = timedelta(hours=6)
    """A forecast from a shorter stretch would swing with every video watched."""
    MAX_READINGS: Final = 500

    def __init__(self, readings: list[Reading] | None = None) -> None:
        """Start from stored readings, if any."""
        self._readings: list[Reading] = readings or []

    @property
    def readings(self) -> tuple[Reading, ...]:
        """The readings kept, oldest first."""
        return tuple(self._readings)

    def add(self, at: datetime, remaining: int | None) -> None:
        """Record a reading; unknown figures are not readings."""
        if remaining is None:
            return
        if self._readings and remaining > self._readings[-1].remaining:
            self._readings.clear()
        if self._readings and self._readings[-1].remaining == remaining:
            # Unchanged: the first reading of a flat stretch already says when it began.
            return
        self._readings.append(Reading(at, remaining))
        cutoff = at - self.WINDOW
        # Keep the last reading before the window: it anchors the window's start.
        while len(self._readings) > 2 and self._readings[1].at <= cutoff:  # noqa: PLR2004
            self._readings.pop(0)
        del self._readings[: -self.MAX_READINGS]

    def bytes_per_day(self, now: datetime, remaining: int | None) -> float | None:
        """The recent rate of use, from the first reading to now; None without enough history."""
        if remaining is None or not self._readings:
            return None
        first = self._readings[0]
        span = now - first.at
        if span < self.MIN_SPAN or remaining > first.remaining:
            return None
        return (first.remaining - remaining) / (span / timedelta(days=1))

    def runs_out_on(self, now: datetime, remaining: int | None) -> date | None:
        """The day (in Tokyo) the data runs out at the recent rate; None when it is not used."""
        rate = self.bytes_per_day(now, remaining)
        if rate is None or rate <= 0 or remaining is None:
            return None
        days = remaining / rate
        if days > 3650:  # noqa: PLR2004 - "never" for any practical purpose
            return None
        return (now + timedelta(days=days)).astimezone(TOKYO).date()

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON types, for storage."""
        return {"readings": [[r.at.isoformat(), r.remaining] for r in self._readings]}

    @classmethod
    def from_dict(cls, data: Any) -> UsageHistory:
        """Rebuild a history from storage; anything unreadable starts a fresh one."""
        try:
            readings = [
                Reading(datetime.fromisoformat(at), int(remaining))
                for at, remaining in data["readings"]
            ]
        except KeyError, TypeError, ValueError:
            return cls()
        return cls(readings)
