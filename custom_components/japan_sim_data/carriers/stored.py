"""Values read back from the integration's storage, checked one by one.

Stored files can be edited by hand, restored from an old backup or damaged: every value is
checked for its type and range before use, and a bad one reads as missing, never as 0 or as
an error. The days plans are kept in bound every stored day, since date arithmetic near the
year 9999 overflows.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Final, TypeGuard

from .units import MAX_PLAUSIBLE_BYTES

# The days a plan, a top-up or a notice may name: anything outside is a typo or an attack, and
# date arithmetic near year 9999 overflows.
EARLIEST_DAY: Final = date(2000, 1, 1)
LATEST_DAY: Final = date(2100, 12, 31)


def within_calendar(day: date) -> bool:
    """Tell whether a day lies in the range plans are kept in."""
    return EARLIEST_DAY <= day <= LATEST_DAY


def stored_count(value: object) -> int | None:
    """A byte count read back from storage; None when the value is not one.

    JSON tools may write a whole number as 5.0, so a finite whole float counts too; text,
    booleans, negatives, NaN, infinities and implausibly large numbers do not.
    """
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    return value if is_count(value) else None


def stored_day(value: object) -> date | None:
    """A day read back from storage (YYYY-MM-DD); None when not one, or outside plans' days."""
    if not isinstance(value, str) or len(value) > 10:  # noqa: PLR2004 - YYYY-MM-DD
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if within_calendar(day) else None


def stored_moment(value: object) -> datetime | None:
    """A moment read back from storage (ISO 8601 text with its offset); None when not one.

    A moment without an offset cannot be compared with the clock, and one outside the days
    plans are kept in is a misread.
    """
    if not isinstance(value, str) or len(value) > 64:  # noqa: PLR2004 - far above any ISO form
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.utcoffset() is None or not within_calendar(moment.date()):
        return None
    return moment


def is_count(value: object) -> TypeGuard[int]:
    """Tell whether a stored value is a byte count (bool is an int, but never a count)."""
    return (
        isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_PLAUSIBLE_BYTES
    )
