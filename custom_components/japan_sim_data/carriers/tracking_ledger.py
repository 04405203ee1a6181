"""The ledger of a tracked SIM: its plan's data, top-ups, usage and what notices said.

Data is charged to the bucket that expires first (the period's allowance, then top-ups in
order of expiry; undated top-ups last), as carriers with expiring top-ups do. Every change
takes the time as ``now``; the ledger never reads a clock, so it is tested without Home
Assistant and a restart is a ``restore`` of what ``as_dict`` wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from .dates import TOKYO
from .models import BucketKind, DataBucket
from .plan import MonthlyPlan, Plan, UsageSteps, ValidityPlan, current_period, period_expires
from .stored import stored_count, stored_day, stored_moment
from .tracking_counters import UsageCounter
from .tracking_evidence import Evidence, NoticeMemory, apply

EXPIRED_PERIOD: Final = "expired"
MAX_TOP_UPS: Final = 100
"""Top-ups with distinct expiries one SIM holds, in the ledger and in its store alike.

More is not a real plan; top-ups with the same expiry are one bucket, so adding the same
undated gigabyte 150 times keeps all 150 (a store that kept the first 100 of them turned
150 GiB into 50 GiB at a restart).
"""
_FAR: Final = datetime.max.replace(tzinfo=TOKYO)


class TopUpLimitError(Exception):
    """The SIM already holds MAX_TOP_UPS top-ups with other expiries."""


@dataclass(slots=True)
class TopUp:
    """Data added on top of the plan."""

    amount: int
    left: int
    expires: datetime | None = None


@dataclass(frozen=True, slots=True)
class PlanTerms:
    """What the user stated: the plan, its data per period, and whether a counter feeds usage.

    A plan without a cap states ``steps`` (price steps or a throttle tier) and no allowance.
    """

    plan: Plan
    allowance: int | None
    counted: bool
    steps: UsageSteps | None = None


@dataclass(slots=True)
class LedgerState:
    """What the ledger holds; stored after every change."""

    period: str | None = None
    """The start date of the period the figures belong to, or EXPIRED_PERIOD."""
    counter: UsageCounter = field(default_factory=UsageCounter)
    charged: int = 0
    """How much of the counter's usage has been taken from the buckets."""
    plan_left: int | None = None
    """Bytes left of the plan's own allowance; None when unknown."""
    used: int | None = None
    """Bytes used this period; None when no source can tell."""
    allowance: int | None = None
    """The allowance the figures were computed with, to follow a change of plan."""
    top_ups: list[TopUp] = field(default_factory=list)
    throttled: bool | None = None
    last_notice: datetime | None = None
    plan_expires: datetime | None = None
    """When the plan's own data expires, as a notice stated; None: at the period's end."""
    seen: NoticeMemory = field(default_factory=NoticeMemory)


class Ledger:
    """The figures of one tracked SIM, changed only through its methods."""

    def __init__(self, terms: PlanTerms, state: LedgerState | None = None) -> None:
        """Keep the terms the figures are counted against."""
        self.terms = terms
        self.state = state or LedgerState()

    # -- reading ------------------------------------------------------------------------------

    def period_key(self, today: date) -> str:
        """The key of the period ``today`` lies in (EXPIRED_PERIOD once a validity ended)."""
        plan = self.terms.plan
        if isinstance(plan, ValidityPlan):
            end = plan.end
            if (stated := self.state.plan_expires) is not None:
                # A notice said the data lasts longer than the plan as entered: it does.
                end = max(end, stated.astimezone(TOKYO).date())
            if today > end:
                return EXPIRED_PERIOD
        return current_period(plan, today)[0].isoformat()

    def plan_expires(self, now: datetime) -> datetime:
        """When the plan's own data expires: as a notice stated, else at the period's end."""
        return self.state.plan_expires or period_expires(self.terms.plan, _today(now))

    def resets_on(self, now: datetime) -> date | None:
        """The day a monthly plan's next allowance arrives; None for a validity plan."""
        plan = self.terms.plan
        if not isinstance(plan, MonthlyPlan):
            return None
        return current_period(plan, _today(now))[1] + timedelta(days=1)

    def next_step(self) -> int | None:
        """A plan without a cap: the step ahead of this period's use; None when unknown."""
        steps = self.terms.steps
        return None if steps is None else steps.next_step(self.state.used)

    def left_until_next_step(self) -> int | None:
        """A plan without a cap: use left before the next step; None when unknown."""
        steps = self.terms.steps
        return None if steps is None else steps.left_until_next(self.state.used)

    def buckets(self, now: datetime) -> tuple[DataBucket, ...]:
        """The plan's data and each top-up, as entities show them."""
        state = self.state
        known = state.plan_left is not None
        ended = state.period == EXPIRED_PERIOD
        plan = DataBucket(
            kind=BucketKind.MONTHLY,
            remaining=state.plan_left,
            total=self.terms.allowance,
            # An ended plan holds nothing, for good: 0 left, with no expiry still to come.
            expires=None if ended else self.plan_expires(now),
        )
        # A monthly plan without a cap holds no data that could run out or expire: its days
        # left come from the reset day. A validity plan's data still ends with the plan.
        stepped = self.terms.steps is not None and isinstance(self.terms.plan, MonthlyPlan)
        return (
            *(() if stepped else (plan,)),
            *(
                DataBucket(
                    kind=BucketKind.TOPPING,
                    # Without the plan's figure, a top-up's alone would pass for all data left.
                    remaining=top_up.left if known else None,
                    total=top_up.amount,
                    expires=top_up.expires,
                )
                for top_up in state.top_ups
            ),
        )

    # -- the calendar -------------------------------------------------------------------------

    def follow_allowance(self) -> None:
        """Shift the plan's data left by a change of allowance made since the last save."""
        state, allowance = self.state, self.terms.allowance
        if state.period is not None and allowance != state.allowance:
            if state.plan_left is not None and allowance is not None:
                state.plan_left = max(0, state.plan_left + allowance - (state.allowance or 0))
            elif allowance is None:
                state.plan_left = None
            elif state.used is not None:
                state.plan_left = max(0, allowance - state.used)
        state.allowance = allowance

    def roll_over(self, now: datetime, *, force: bool = False) -> None:
        """Begin a new period when the plan's calendar says so (or when told to)."""
        state = self.state
        key = self.period_key(_today(now))
        if key == state.period and not force:
            self.drop_expired(now)
            return
        state.seen.new_period(state.period)
        state.period = key
        # The figures of the new period are counted against the allowance of now.
        state.allowance = self.terms.allowance
        state.counter.reset()
        state.charged = 0
        state.throttled = None
        state.plan_expires = None
        if key == EXPIRED_PERIOD:
            # The plan ended: its data is gone, whatever was left.
            state.plan_left, state.used = 0, None
        else:
            # Without a usage source the figure would only ever be the full allowance: it stays
            # unknown until a notice or a correction says, unless the user started the period.
            counted = self.terms.counted
            state.used = 0 if counted else None
            state.plan_left = self.terms.allowance if counted or force else None
        self.drop_expired(now)

    def drop_expired(self, now: datetime) -> None:
        """Forget top-ups past their expiry; the plan's data is gone past a stated expiry."""
        state = self.state
        state.top_ups = [t for t in state.top_ups if t.expires is None or t.expires >= now]
        if state.plan_expires is not None and state.plan_expires < now:
            state.plan_left = 0

    # -- usage --------------------------------------------------------------------------------

    def count(
        self, source_id: str, value: int | None, now: datetime, *, wraps_at: int | None = None
    ) -> None:
        """Take a counter's running total; usage after a reset belongs to the new period."""
        self.roll_over(now)
        self.state.counter.update(source_id, value, wraps_at=wraps_at)
        self.charge()

    def charge(self) -> None:
        """Take the usage counted since the last charge from the buckets."""
        state = self.state
        delta = state.counter.used - state.charged
        state.charged = state.counter.used
        if delta <= 0:
            return
        if state.used is not None:
            state.used += delta
        self._take(delta)

    def _plan_end(self) -> datetime:
        """When the plan's data of the current period expires, for the order of the buckets."""
        state = self.state
        if state.plan_expires is not None:
            return state.plan_expires
        if state.period is None or state.period == EXPIRED_PERIOD:
            return _FAR
        return period_expires(self.terms.plan, date.fromisoformat(state.period))

    def _buckets_in_order(self) -> list[TopUp | None]:
        """The buckets data is taken from, first first; None stands for the plan's own data."""
        order: list[tuple[datetime, TopUp | None]] = [(self._plan_end(), None)]
        order += [(top_up.expires or _FAR, top_up) for top_up in self.state.top_ups]
        return [bucket for _, bucket in sorted(order, key=lambda pair: pair[0])]

    def _take(self, amount: int) -> None:
        """Take ``amount`` bytes from the buckets, the one expiring first first."""
        state = self.state
        for bucket in self._buckets_in_order():
            if amount <= 0:
                return
            if bucket is None:
                if state.plan_left is None:
                    # The plan's data is unknown: what it holds cannot be split from top-ups.
                    return
                taken = min(state.plan_left, amount)
                state.plan_left -= taken
            else:
                taken = min(bucket.left, amount)
                bucket.left -= taken
            amount -= taken

    def set_total(self, remaining: int) -> None:
        """Make the data left ``remaining`` bytes in all, keeping what top-ups still hold."""
        state = self.state
        held = sum(top_up.left for top_up in state.top_ups)
        if held <= remaining:
            state.plan_left = remaining - held
            return
        state.plan_left = 0
        excess = held - remaining
        for bucket in self._buckets_in_order():
            if bucket is not None and excess > 0:
                taken = min(bucket.left, excess)
                bucket.left -= taken
                excess -= taken

    def total_left(self) -> int | None:
        """All data left; None while the plan's own figure is unknown."""
        state = self.state
        if state.plan_left is None:
            return None
        return state.plan_left + sum(top_up.left for top_up in state.top_ups)

    # -- corrections and top-ups --------------------------------------------------------------

    def set_remaining(self, remaining: int, now: datetime) -> None:
        """The user's correction: the data left in all."""
        self.roll_over(now)
        self.charge()
        self.set_total(remaining)

    def add_top_up(self, amount: int, expires: datetime | None, now: datetime) -> None:
        """Add data on top of the plan; TopUpLimitError past MAX_TOP_UPS distinct expiries."""
        self.roll_over(now)
        self.charge()
        if not self.try_add(amount, expires):
            raise TopUpLimitError

    def try_add(self, amount: int, expires: datetime | None) -> bool:
        """Add a top-up; False (nothing added) past MAX_TOP_UPS distinct expiries."""
        top_ups = self.state.top_ups
        for top_up in top_ups:
            if top_up.expires == expires:
                # One bucket per expiry: the same arithmetic, and the bound counts buckets.
                top_up.amount += amount
                top_up.left += amount
                return True
        if len(top_ups) >= MAX_TOP_UPS:
            return False
        top_ups.append(TopUp(amount=amount, left=amount, expires=expires))
        return True

    def start_period(self, terms: PlanTerms, now: datetime) -> None:
        """The user started a new period (new terms): the full allowance is there again."""
        self.terms = terms
        self.roll_over(now, force=True)

    # -- notices ------------------------------------------------------------------------------

    def apply_notice(self, fingerprint: str, evidence: Iterable[Evidence], now: datetime) -> bool:
        """Apply what a notice states; False when it was already applied.

        The memory covers this period and the last, and is stored: a notice seen again (the
        imap integration re-sends the newest message after a restart) changes nothing. Each
        statement moves a figure only as its kind allows (``tracking_evidence.apply``).
        """
        self.roll_over(now)
        self.charge()
        state = self.state
        if fingerprint in state.seen:
            return False
        state.seen.remember(fingerprint, state.period)
        apply(self, evidence, now)
        state.last_notice = now
        return True

    def at_least_used(self, amount: int) -> None:
        """At least ``amount`` was used: lower what is left to match, never raise anything."""
        state = self.state
        if state.used is not None:
            state.used = max(state.used, amount)
        if (allowance := self.terms.allowance) is None:
            return
        ceiling = max(0, allowance + sum(t.amount for t in state.top_ups) - amount)
        left = self.total_left()
        if (left is not None and left > ceiling) or (left is None and ceiling == 0):
            self.set_total(ceiling)


class StoredFields:
    """Reads the fields of a stored mapping, noting each one that is missing or unreadable."""

    def __init__(self, data: Mapping[Any, Any]) -> None:
        """Read from ``data``; nothing dropped yet."""
        self._data = data
        self.dropped: list[str] = []

    def read[T](
        self, key: str, read: Callable[[object], T | None], *, optional: bool = False
    ) -> T | None:
        """The field's value; None when it is null, or missing or unreadable (noted)."""
        if key not in self._data:
            if not optional:
                self.dropped.append(key)
            return None
        value = self._data[key]
        if value is None:
            return None
        result = read(value)
        if result is None:
            self.dropped.append(key)
        return result

    def read_list[T](
        self, key: str, read: Callable[[object], T | None], *, optional: bool = False
    ) -> list[T]:
        """The readable items of a list field; an unreadable item is dropped alone (noted)."""
        items = self._data.get(key)
        if not isinstance(items, list):
            if key in self._data or not optional:
                self.dropped.append(key)
            return []
        kept = [result for item in items if (result := read(item)) is not None]
        if len(kept) < len(items):
            self.dropped.append(key)
        return kept


def ledger_as_dict(ledger: Ledger) -> dict[str, Any]:
    """Plain JSON types for the store."""
    state = ledger.state
    return {
        "period": state.period,
        "counter": state.counter.as_dict(),
        "charged": state.charged,
        "plan_left": state.plan_left,
        "used": state.used,
        "allowance": state.allowance,
        "top_ups": [
            {
                "amount": top_up.amount,
                "left": top_up.left,
                "expires": _iso(top_up.expires),
            }
            for top_up in state.top_ups
        ],
        "throttled": state.throttled,
        "last_notice": _iso(state.last_notice),
        "seen": state.seen.as_list(),
        "plan_expires": _iso(state.plan_expires),
    }


def restore_ledger(terms: PlanTerms, data: Mapping[Any, Any], reader: StoredFields) -> Ledger:
    """Rebuild a stored ledger field by field; ``reader`` notes each unreadable field.

    The one restore path. An unreadable field takes its value for "not known" and the
    others are kept, so one bad value costs that value alone. Fields added after the first
    version may be missing.
    """
    counter, dropped = UsageCounter.salvage(data.get("counter"))
    reader.dropped += dropped
    period = reader.read("period", stored_period)
    seen, damaged = NoticeMemory.restore(
        data["seen"] if isinstance(data.get("seen"), list) else [], stored_period, period
    )
    if damaged or ("seen" in data and not isinstance(data["seen"], list)):
        reader.dropped.append("seen")
    state = LedgerState(
        period=period,
        counter=counter,
        charged=reader.read("charged", stored_count) or 0,
        plan_left=reader.read("plan_left", stored_count),
        used=reader.read("used", stored_count),
        allowance=reader.read("allowance", stored_count),
        top_ups=reader.read_list("top_ups", stored_top_up)[:MAX_TOP_UPS],
        throttled=reader.read("throttled", _stored_bool),
        last_notice=reader.read("last_notice", stored_moment),
        plan_expires=reader.read("plan_expires", stored_moment, optional=True),
        seen=seen,
    )
    if {"counter", "counter.used", "charged"} & set(reader.dropped):
        # What was already charged cannot be told: charge nothing twice.
        state.charged = state.counter.used
    if "allowance" in reader.dropped:
        # What the figures were computed with is unknown: shift nothing.
        state.allowance = terms.allowance
    return Ledger(terms, state)


def stored_period(value: object) -> str | None:
    """A stored period key: a day written in full, or EXPIRED_PERIOD."""
    if value == EXPIRED_PERIOD:
        return EXPIRED_PERIOD
    # A period key is a day written in full (a compact 20250101 never keyed a period).
    if isinstance(value, str) and len(value) == len("2000-01-01") and stored_day(value):
        return value
    return None


def _stored_bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def stored_top_up(value: object) -> TopUp | None:
    """A stored top-up; None when any of its fields is unusable."""
    if not isinstance(value, Mapping):
        return None
    amount, left = stored_count(value.get("amount")), stored_count(value.get("left"))
    expires_text = value.get("expires")
    expires = None if expires_text is None else stored_moment(expires_text)
    if not amount or left is None or left > amount or (expires_text is not None and not expires):
        return None
    return TopUp(amount=amount, left=left, expires=expires)


def _today(now: datetime) -> date:
    return now.astimezone(TOKYO).date()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
