"""Calendar arithmetic in Japan's time zone, where every carrier counts its days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")

HISTORY_REFRESH: Final = timedelta(hours=6)
"""How long a carrier's daily usage history is reused: it holds whole days, so asking at
every poll would only cost the carrier a request."""

# The last instant a day still counts, as carriers print it ("23:59").
_END_OF_DAY = time(23, 59, 59)


def end_of_day(day: date) -> datetime:
    """Return the last second of ``day`` in Tokyo."""
    return datetime.combine(day, _END_OF_DAY, tzinfo=TOKYO)


def last_day_of_month(year: int, month: int) -> date:
    """Return the last calendar day of a month."""
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def end_of_month(year: int, month: int) -> datetime:
    """Return the last second of a month in Tokyo."""
    return end_of_day(last_day_of_month(year, month))


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    """Return the (year, month) that lies ``months`` after the given one."""
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def days_left(expires: datetime, now: datetime) -> int:
    """Count the calendar days (in Tokyo) on which data that expires at ``expires`` can be used.

    Today counts while the data has not expired yet: data expiring tonight has 1 day left,
    data that has already expired has 0.
    """
    if expires <= now:
        return 0
    today = now.astimezone(TOKYO).date()
    return (expires.astimezone(TOKYO).date() - today).days + 1


def history_is_fresh(read_at: datetime, now: datetime) -> bool:
    """Tell whether a daily history read at ``read_at`` may still serve at ``now``.

    Within HISTORY_REFRESH and on the same Tokyo day: yesterday becomes a whole day at
    midnight, and a history read before then does not hold it.
    """
    same_day = read_at.astimezone(TOKYO).date() == now.astimezone(TOKYO).date()
    return same_day and now - read_at < HISTORY_REFRESH
