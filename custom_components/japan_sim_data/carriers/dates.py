"""Calendar arithmetic in Japan's time zone, where every carrier counts its days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

from .errors import CarrierParseError

TOKYO = ZoneInfo("Asia/Tokyo")

EARLIEST_PLAUSIBLE_DAY: Final = date(2000, 1, 1)
"""No SIM figure in this library is older: a carrier's 1900, 1970 or year 1 is a placeholder."""

PLAUSIBLE_YEARS_AHEAD: Final = 10
"""No data, plan or period lasts longer: 9999-12-31 is a placeholder, not an expiry."""

HISTORY_REFRESH: Final = timedelta(hours=6)
"""How long a carrier's daily usage history is reused: it holds whole days, so asking at
every poll would only cost the carrier a request."""

# The last instant a day still counts, as carriers print it ("23:59").
_END_OF_DAY = time(23, 59, 59)
_INSTANT = timedelta(microseconds=1)


def end_of_day(day: date) -> datetime:
    """Return the last second of ``day`` in Tokyo."""
    return datetime.combine(day, _END_OF_DAY, tzinfo=TOKYO)


@lru_cache(maxsize=256)
def last_day_of_month(year: int, month: int) -> date:
    """Return the last calendar day of a month (every answer asks for the same few)."""
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
    data that has already expired has 0. Data that expires at a midnight (povo's 「午前0:00」)
    cannot be used on the day that midnight begins, so that day does not count.
    """
    if expires <= now:
        return 0
    today = now.astimezone(TOKYO).date()
    last_usable_day = (expires.astimezone(TOKYO) - _INSTANT).date()
    return (last_usable_day - today).days + 1


def history_is_fresh(read_at: datetime, now: datetime) -> bool:
    """Tell whether a daily history read at ``read_at`` may still serve at ``now``.

    Within HISTORY_REFRESH and on the same Tokyo day: yesterday becomes a whole day at
    midnight, and a history read before then does not hold it.
    """
    same_day = read_at.astimezone(TOKYO).date() == now.astimezone(TOKYO).date()
    return same_day and now - read_at < HISTORY_REFRESH


def tokyo_now() -> datetime:
    """Now in Tokyo: the adapters' default clock.

    datetime.now is what freezegun (the tests' freezer) moves, so whatever reads it follows.
    """
    return datetime.now(TOKYO)


def _tokyo_today() -> date:
    return tokyo_now().date()


def _latest_plausible_day(today: date) -> date:
    try:
        return today.replace(year=today.year + PLAUSIBLE_YEARS_AHEAD)
    except ValueError:  # 29 February, ten years on, is 28 February
        return today.replace(year=today.year + PLAUSIBLE_YEARS_AHEAD, day=28)


def is_plausible_day(day: date, today: date | None = None) -> bool:
    """Tell whether a carrier, a history or a notice could really mean ``day``.

    The one plausibility rule of the library: from 2000-01-01 to ten years after today in
    Tokyo. Anything outside is a placeholder or a misread, never a figure.
    """
    today = today or _tokyo_today()
    return EARLIEST_PLAUSIBLE_DAY <= day <= _latest_plausible_day(today)


def plausible_day(day: date, *, today: date | None = None) -> date:
    """Return ``day`` when it passes the plausibility rule, else raise CarrierParseError."""
    if not is_plausible_day(day, today):
        # The day itself stays out of the message: it may be a birthday or a contract date.
        raise CarrierParseError("A date was outside the plausible range")
    return day


def plausible_moment(moment: datetime, *, now: datetime | None = None) -> datetime:
    """Return ``moment`` in Tokyo when its Tokyo day passes the plausibility rule.

    Raises CarrierParseError for a naive datetime (no carrier moment is without a zone once
    parsed) and for a day outside the rule.
    """
    if moment.tzinfo is None:
        raise CarrierParseError("A moment had no time zone")
    try:
        local = moment.astimezone(TOKYO)
    except OverflowError:  # year 1 or 9999 moved across the date line
        raise CarrierParseError("A date was outside the plausible range") from None
    plausible_day(local.date(), today=now.astimezone(TOKYO).date() if now else None)
    return local
