"""What of a carrier's answer counts now, and how much of an answer is taken at all.

An adapter may return buckets that have expired (a carrier still lists last month's coupon);
nothing downstream may count them. The answer is kept as fetched, and what is valid is
worked out again at the next bucket's expiry, whether or not a poll comes then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_time

from .carriers.dates import is_plausible_day
from .carriers.models import AccountUsage

MAX_LINES: Final = 50
"""Lines taken from one answer. Family plans have a handful and mineo allows 5 per eo ID; 3,000
lines in one answer (each a device with its entities) stalled setup for 18.8 s."""

# A bucket stops counting once its last moment has passed.
_AFTER_EXPIRY: Final = timedelta(seconds=1)


def capped(usage: AccountUsage) -> AccountUsage:
    """The answer's first MAX_LINES lines, in the carrier's order."""
    if len(usage.sims) <= MAX_LINES:
        return usage
    return AccountUsage(sims=dict(list(usage.sims.items())[:MAX_LINES]))


class ValidFigures:
    """The last answer as fetched, re-evaluated at each expiry in it."""

    def __init__(self, hass: HomeAssistant, expired: Callable[[AccountUsage], None]) -> None:
        """``expired`` gets what is valid after a bucket expired between polls."""
        self._hass = hass
        self._expired = expired
        self._fetched: AccountUsage | None = None
        self._unsub: CALLBACK_TYPE | None = None

    @callback
    def async_accept(self, fetched: AccountUsage, now: datetime) -> AccountUsage:
        """Keep a new answer; return what of it counts at ``now``."""
        self._fetched = fetched
        return self._valid(now)

    @callback
    def async_valid_at(self, now: datetime) -> AccountUsage | None:
        """What of the last answer counts at ``now`` (None before any answer)."""
        return None if self._fetched is None else self._valid(now)

    @callback
    def async_cancel(self) -> None:
        """Stop the expiry timer."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None

    def _valid(self, now: datetime) -> AccountUsage:
        assert self._fetched is not None
        self.async_cancel()
        upcoming = self._fetched.next_bucket_expiry(now)
        # An expiry no adapter should let through (9999-12-31) is no moment to wake up at.
        if upcoming is not None and is_plausible_day(upcoming.date()):
            self._unsub = async_track_point_in_time(
                self._hass, self._at_expiry, upcoming + _AFTER_EXPIRY
            )
        return self._fetched.valid_at(now)

    @callback
    def _at_expiry(self, now: datetime) -> None:
        self._unsub = None
        self._expired(self._valid(now))
