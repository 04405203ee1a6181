"""Plain data models the carrier adapters return.

Amounts are bytes (int), moments are timezone-aware datetimes in Asia/Tokyo. A figure a carrier
did not send is None, never 0. Models are frozen and compare by value, so the coordinator can
skip entity writes when nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from .dates import end_of_day
from .steps import UsageSteps


class Carrier(StrEnum):
    """Where a SIM's figures come from: a carrier with a live adapter, or the plan tracker."""

    IIJMIO = "iijmio"
    POVO = "povo"
    SOFTBANK = "softbank"
    YMOBILE = "ymobile"
    LINEMO = "linemo"
    MINEO = "mineo"
    TRACKER = "tracker"
    """A SIM with no usable carrier API: the user's plan, counters and carrier notices."""


class BucketKind(StrEnum):
    """Where a slice of data comes from; each slice has its own expiry."""

    MONTHLY = "monthly"
    """This period's allowance."""
    CARRIED_OVER = "carried_over"
    """Unused allowance from the previous period."""
    TOPPING = "topping"
    """Data bought on top of the plan (povo toppings, IIJmio coupons, paid additions)."""
    GIFT = "gift"
    """Data received as a gift or a bonus."""


@dataclass(frozen=True, slots=True)
class DataBucket:
    """One slice of data with its own expiry."""

    kind: BucketKind
    remaining: int | None
    """Bytes left in this slice; None when the carrier did not say."""
    total: int | None = None
    """Bytes the slice started with; None when the carrier did not say."""
    expires: datetime | None = None
    """The last moment the data can be used, in Tokyo; None when unknown."""

    def valid_at(self, now: datetime) -> bool:
        """True while the slice can still be used: never past its expiry.

        Carriers go on listing a coupon or a topping for a while after it expired (IIJmio at
        month turnover, povo the day after): such a slice holds nothing a person can use.
        """
        return self.expires is None or now <= self.expires


@dataclass(frozen=True, slots=True)
class DailyUsage:
    """Data used on one calendar day in Tokyo, as the carrier's history reports it."""

    day: date
    used: int
    """Bytes used that day."""


@dataclass(frozen=True, slots=True)
class SimUsage:
    """What a carrier reports for one SIM line."""

    sim_id: str
    """A stable carrier identifier (service code, line id); never a phone number."""
    plan_name: str | None = None
    number_suffix: str | None = None
    """The last four digits of the line's phone number, for naming; never the whole number."""
    buckets: tuple[DataBucket, ...] = ()
    allowance: int | None = None
    """The plan's data per period, in bytes."""
    used: int | None = None
    """Bytes used in the current period, when the carrier reports it."""
    throttled: bool | None = None
    """True when the line is slowed down (limit reached or low-speed mode)."""
    resets_on: date | None = None
    """The day the next period's allowance arrives, for carriers that reset monthly."""
    shared_pool: bool = False
    """True when the line draws from a data-share group's pool."""
    unlimited: bool = False
    """True when the plan's data is unlimited with no end (remaining figures then say little)."""
    unlimited_until: datetime | None = None
    """Unlimited data (e.g. a 24-hour topping) lasts until this moment; None when none runs."""
    daily_usage: tuple[DailyUsage, ...] = ()
    """Bytes used per day, oldest first, when the carrier publishes its history."""
    carried_from: datetime | None = None
    """When ``throttled`` and ``used`` were read, if they were kept from an earlier update
    through another of the carrier's routes (the route read now does not report them, e.g.
    IIJmio's member site); None when they were read now (or are unknown)."""
    usage_steps: UsageSteps | None = None
    """A plan without a cap: the amounts of use where its price or speed changes; None for a
    plan counted down from an allowance."""

    def valid_at(self, now: datetime) -> SimUsage:
        """This SIM as it stands at ``now``: without the buckets that have expired.

        Every figure derived from the buckets (remaining, days left, data expires, the
        calendar's events) then counts only data that can still be used.
        """
        if all(bucket.valid_at(now) for bucket in self.buckets):
            return self  # the usual answer, asked by every figure of every update
        return replace(self, buckets=tuple(b for b in self.buckets if b.valid_at(now)))

    def next_bucket_expiry(self, now: datetime) -> datetime | None:
        """The next moment after ``now`` at which one of the buckets expires, if any."""
        later = [b.expires for b in self.buckets if b.expires is not None and b.expires >= now]
        return min(later) if later else None

    def is_unlimited(self, now: datetime) -> bool:
        """True while the line's data is unlimited, so low-data alerts have nothing to say."""
        return self.unlimited or (self.unlimited_until is not None and now < self.unlimited_until)

    @property
    def next_step(self) -> int | None:
        """The step of use ahead (bytes); None when use is unknown, past the last, or capped."""
        steps = self.usage_steps
        return None if steps is None else steps.next_step(self.used)

    @property
    def left_until_next_step(self) -> int | None:
        """Use left before the next step (bytes); None as ``next_step``."""
        steps = self.usage_steps
        return None if steps is None else steps.left_until_next(self.used)

    @property
    def remaining(self) -> int | None:
        """Bytes left over every bucket; None when no bucket gave a figure."""
        known = [bucket.remaining for bucket in self.buckets if bucket.remaining is not None]
        return sum(known) if known else None

    def remaining_of(self, *kinds: BucketKind) -> int | None:
        """Bytes left in the buckets of the given kinds; None when none of them gave a figure."""
        known = [
            bucket.remaining
            for bucket in self.buckets
            if bucket.kind in kinds and bucket.remaining is not None
        ]
        return sum(known) if known else None

    @property
    def next_expiry(self) -> datetime | None:
        """When the soonest-expiring data that is still left expires.

        Falls back to the soonest expiry of any bucket when none holds data (or none says
        how much it holds), so a plan with an empty allowance still shows its reset.
        """
        holding = [
            bucket.expires
            for bucket in self.buckets
            if bucket.expires is not None and bucket.remaining
        ]
        if holding:
            return min(holding)
        dated = [bucket.expires for bucket in self.buckets if bucket.expires is not None]
        return min(dated) if dated else None

    @property
    def data_expires(self) -> datetime | None:
        """When the data that goes first expires: the soonest bucket, else the period's end."""
        if (expiry := self.next_expiry) is not None:
            return expiry
        if self.resets_on is not None:
            return end_of_day(self.resets_on - timedelta(days=1))
        return None


@dataclass(frozen=True, slots=True)
class AccountUsage:
    """Every SIM line of one carrier account, keyed by ``SimUsage.sim_id``."""

    sims: dict[str, SimUsage] = field(default_factory=dict)

    def valid_at(self, now: datetime) -> AccountUsage:
        """The account as it stands at ``now``: every SIM without its expired buckets."""
        sims = {sim_id: sim.valid_at(now) for sim_id, sim in self.sims.items()}
        if all(sims[sim_id] is sim for sim_id, sim in self.sims.items()):
            return self
        return replace(self, sims=sims)

    def next_bucket_expiry(self, now: datetime) -> datetime | None:
        """The next moment after ``now`` at which a bucket of any SIM expires, if any."""
        moments = [m for sim in self.sims.values() if (m := sim.next_bucket_expiry(now))]
        return min(moments) if moments else None
