"""Data used today (Tokyo) per SIM, kept across restarts for the Used today sensor.

The carrier's own figure for today wins; otherwise the day's use is summed from the growth of
the period's "used" counter, or else from falls in each bucket's data left. A bucket that rises
(a top-up, a new period) or disappears (it expired) counts nothing: a refill or an expiry is
not use.

A figure is shown only when it covers the whole day: when the carrier gives its own, or when
the counter watched from the Tokyo midnight on, with every poll since then answered. On the
day an entry is added, after Home Assistant was off at midnight, or after an outage across
midnight, today's figure is unknown until the next midnight, never a 0 that covers minutes.
Watching goes on across a restart within the day: the use between the last reading before it
and the first after it was that day's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .carriers.dates import TOKYO
from .carriers.models import AccountUsage, SimUsage
from .carriers.stored import stored_count, stored_day
from .const import LOGGER
from .entry_store import EntryStore

MAX_BUCKETS: Final = 64
"""More buckets than any carrier lists: a store holding more is not ours."""


def bucket_key(sim: SimUsage) -> dict[str, int]:
    """Each bucket's data left, keyed by what stays the same while it is used up.

    A dated bucket is known by its expiry (IIJmio's month becomes "carried over" but keeps its
    expiry); an undated one by its kind. Buckets sharing a key are summed.
    """
    keyed: dict[str, int] = {}
    for bucket in sim.buckets:
        if bucket.remaining is None:
            continue
        key = bucket.expires.isoformat() if bucket.expires is not None else str(bucket.kind)
        keyed[key] = keyed.get(key, 0) + bucket.remaining
    return keyed


def _today(now: datetime) -> date:
    return now.astimezone(TOKYO).date()


@dataclass(slots=True)
class DayCounter:
    """Today's use of one SIM and the readings the next figure is compared with."""

    day: date | None = None
    used: int | None = None
    """Bytes used on ``day``; None unless they cover the whole day."""
    buckets: dict[str, int] = field(default_factory=dict)
    period_used: int | None = None
    resets_on: date | None = None
    watching: bool = field(default=False, compare=False)
    """True while the last reading still holds: every poll since was answered (unchanged
    figures notify nothing). Not stored: after a restart the readings are only as good as
    the day they were taken on."""

    def shown(self, now: datetime) -> int | None:
        """Bytes used today; None while unknown.

        Before the first reading of a new day: 0 when the counter watched across midnight
        (no poll since has seen a change), else unknown.
        """
        if self.day == _today(now):
            return self.used
        return 0 if self.watching and self.running else None

    def record(self, now: datetime, sim: SimUsage) -> None:
        """Take a reading of the SIM's figures (from an answered poll)."""
        today = _today(now)
        delta = self._delta(sim) if self.running else None
        if self.day != today:
            # A new day counts only from a midnight watched with the readings in hand; the
            # use since the last reading (one poll at most) is put on the new day.
            from_midnight = self.watching and self.running
            self.day, self.used = today, (0 if from_midnight else None)
        reported = next((d.used for d in sim.daily_usage if d.day == today), None)
        if reported is not None:
            # The carrier's figure covers the day; it lags at times, and a lower one is not
            # use taken back.
            self.used = reported if self.used is None else max(self.used + (delta or 0), reported)
        elif delta is not None and self.used is not None:
            self.used += delta
        self.buckets = bucket_key(sim)
        self.period_used = sim.used
        self.resets_on = sim.resets_on
        self.watching = True

    @property
    def running(self) -> bool:
        """True when the next reading can be compared with the last one."""
        return bool(self.buckets) or self.period_used is not None

    def _delta(self, sim: SimUsage) -> int | None:
        """Bytes used since the last reading; None when the readings cannot tell."""
        new_period = (
            self.resets_on is not None
            and sim.resets_on is not None
            and sim.resets_on != self.resets_on
        )
        if (
            sim.used is not None
            and self.period_used is not None
            and not new_period
            and sim.used >= self.period_used
        ):
            return sim.used - self.period_used
        now_left = bucket_key(sim)
        common = now_left.keys() & self.buckets.keys()
        if not common:
            return None
        return sum(max(0, self.buckets[key] - now_left[key]) for key in common)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON types, for storage."""
        return {
            "day": self.day.isoformat() if self.day else None,
            "used": self.used,
            # 0.3.0 and later keep only whole days: a figure without this mark (counted from
            # setup by earlier versions) is not read back.
            "whole_day": self.used is not None,
            "buckets": dict(self.buckets),
            "period_used": self.period_used,
            "resets_on": self.resets_on.isoformat() if self.resets_on else None,
        }

    @classmethod
    def restore(cls, data: object) -> tuple[DayCounter, int]:
        """Read a stored counter field by field; also how many fields could not be read.

        An unreadable field starts empty: at worst today's figure is unknown for a while.
        """
        if not isinstance(data, Mapping):
            return cls(), 1
        dropped = 0

        def read[T](name: str, reader: Callable[[object], T | None]) -> T | None:
            nonlocal dropped
            value = data.get(name)
            if value is None:
                return None
            read_value = reader(value)
            if read_value is None:
                dropped += 1
            return read_value

        whole_day = data.get("whole_day") is True
        counter = cls(
            day=read("day", stored_day),
            used=read("used", stored_count) if whole_day else None,
            period_used=read("period_used", stored_count),
            resets_on=read("resets_on", stored_day),
        )
        raw = data.get("buckets")
        if isinstance(raw, Mapping) and len(raw) <= MAX_BUCKETS:
            for key, value in raw.items():
                count = stored_count(value)
                if isinstance(key, str) and len(key) <= 64 and count is not None:  # noqa: PLR2004
                    counter.buckets[key] = count
                else:
                    dropped += 1
        elif raw is not None:
            dropped += 1
        return counter, dropped


class UsageToday(EntryStore):
    """Today's use of every SIM of an entry, loaded once and saved after changes."""

    NAME = "usage_today"

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the entry's store; nothing is read until async_load."""
        super().__init__(hass, entry_id)
        self._counters: dict[str, DayCounter] = {}

    def __len__(self) -> int:
        """How many SIMs are counted (for diagnostics)."""
        return len(self._counters)

    async def async_load(self) -> None:
        """Read the stored counters, keeping every field that can be read.

        Nothing is watched until the first reading: a new day that began while Home
        Assistant was off is unknown until the next midnight; a day that began before the
        restart goes on from its stored readings, all taken on that day.
        """
        stored: object = await self._store.async_load()
        self._counters, dropped = {}, 0
        if isinstance(stored, Mapping):
            sims = stored.get("sims")
            if not isinstance(sims, Mapping):
                sims, dropped = {}, 1
            for sim_id, data in sims.items():
                self._counters[str(sim_id)], lost = DayCounter.restore(data)
                dropped += lost
        elif stored is not None:
            dropped += 1
        if dropped:
            LOGGER.warning(
                "%d unreadable fields of today's usage of entry %s were dropped",
                dropped,
                self._entry_id,
            )

    def used_today(self, sim_id: str) -> int | None:
        """Bytes the SIM used today (Tokyo); None while unknown."""
        counter = self._counters.get(sim_id)
        return None if counter is None else counter.shown(dt_util.now())

    @callback
    def async_record(self, usage: AccountUsage) -> None:
        """Take a reading of every SIM and schedule a save."""
        if not usage.sims:
            # No figures yet (the carrier asked us to wait): nothing is known to have left.
            return
        now = dt_util.now()
        for sim_id, sim in usage.sims.items():
            self._counters.setdefault(sim_id, DayCounter()).record(now, sim)
        for sim_id in self._counters.keys() - usage.sims.keys():
            del self._counters[sim_id]
        self._async_schedule_save()

    @callback
    def async_mark_gap(self) -> None:
        """A poll went unanswered: the last readings may no longer hold at midnight.

        Within the day, the next answer's change is still that day's use; across midnight it
        cannot be split, so that day stays unknown.
        """
        for counter in self._counters.values():
            counter.watching = False

    def _as_dict(self) -> dict[str, Any]:
        return {
            "saved_at": dt_util.now().isoformat(),  # for a person reading the file
            "sims": {sim_id: counter.as_dict() for sim_id, counter in self._counters.items()},
        }
