"""What a carrier notice says, as typed evidence, and the memory of notices already applied.

A notice is not one figure: 「残り500MB」 states what is left, 「3GBを超えました」 only that at
least 3 GB were used (a lower bound: it never raises what is left nor lowers what was used),
「速度制限を解除しました」 a throttling state, 「1GBを追加しました」 a top-up. Each reading has
its kind, and the ledger applies each kind by its own rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    # The ledger imports this module; the rules only call its methods.
    from .tracking_ledger import Ledger


class NoticeKind(StrEnum):
    """What a piece of a notice states."""

    REMAINING = "remaining"
    """Exactly this much data is left (with its expiry, when stated next to it)."""
    USED = "used"
    """Exactly this much data was used in the period."""
    USAGE_EXCEEDED = "usage_exceeded"
    """At least this much data was used: a lower bound, never an exact figure."""
    THROTTLED = "throttled"
    UNTHROTTLED = "unthrottled"
    TOP_UP = "top_up"
    """This much data was added (with its expiry, when stated next to it)."""
    EXPIRY = "expiry"
    """The plan's data lasts until this moment."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One statement of a notice; ``amount`` in bytes, None for kinds without one."""

    kind: NoticeKind
    amount: int | None = None
    expires: datetime | None = None


# How many notices are remembered: a carrier sends a few per period, a noisy source more; the
# memory spans the current and the previous period, so this only bounds a hostile source.
MAX_REMEMBERED: Final = 500
# A digest is a short hex fingerprint (tracker.digest); anything else is not one.
MAX_DIGEST_CHARS: Final = 64


def stored_digest(value: object) -> str | None:
    """A stored notice digest; None when the value is not one."""
    if isinstance(value, str) and 0 < len(value) <= MAX_DIGEST_CHARS and value.isalnum():
        return value if value.isascii() else None
    return None


class NoticeMemory:
    """The notices already applied, by digest, with the period each arrived in.

    A notice seen again (Home Assistant's imap integration re-sends the newest message after a
    restart; an entity comes back from unavailable with the same text) must not apply again
    anywhere in its period, so the memory covers the whole current period and the previous one
    (a notice of the last days of a month repeated on the 1st), and it is stored.
    """

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        """Remember nothing yet."""
        self._seen: dict[str, str | None] = {}

    def __contains__(self, fingerprint: object) -> bool:
        """Tell whether a notice was already applied."""
        return fingerprint in self._seen

    def __len__(self) -> int:
        """The number of notices remembered."""
        return len(self._seen)

    def remember(self, fingerprint: str, period: str | None) -> None:
        """Note a notice as applied in ``period``; the oldest is forgotten past the bound."""
        self._seen.pop(fingerprint, None)
        self._seen[fingerprint] = period
        while len(self._seen) > MAX_REMEMBERED:
            del self._seen[next(iter(self._seen))]

    def new_period(self, previous: str | None) -> None:
        """A period began: keep what the period that just ended saw, forget anything older."""
        self._seen = {key: period for key, period in self._seen.items() if period == previous}

    def as_list(self) -> list[list[str | None]]:
        """Plain JSON types for the store, oldest first."""
        return [[key, period] for key, period in self._seen.items()]

    @classmethod
    def restore(
        cls, items: list[object], read_period: Callable[[object], str | None], period: str | None
    ) -> tuple[NoticeMemory, bool]:
        """Rebuild a stored memory; also tell whether an item was unreadable (and dropped).

        An item is ``[digest, period]``; a bare digest (the first stored version, which kept
        only the current period's notices) belongs to ``period``.
        """
        memory, damaged = cls(), False
        for item in items[-MAX_REMEMBERED:]:
            key, when = (item, period) if isinstance(item, str) else _pair(item, read_period)
            digest = stored_digest(key)
            if digest is None or when is _UNREADABLE:
                damaged = True
                continue
            memory.remember(digest, when if isinstance(when, str) else None)
        return memory, damaged


_UNREADABLE: Final = object()


def _pair(item: object, read_period: Callable[[object], str | None]) -> tuple[object, object]:
    if not isinstance(item, list) or len(item) != 2:  # noqa: PLR2004 - [digest, period]
        return None, _UNREADABLE
    key, when = item
    if when is None:
        return key, None
    period = read_period(when)
    return key, _UNREADABLE if period is None else period


# The order a notice's statements apply in: what was added, what was used, then what is left
# (the carrier's own figure of what is left wins over arithmetic from the others).
_ORDER: Final = {
    NoticeKind.TOP_UP: 0,
    NoticeKind.USED: 1,
    NoticeKind.USAGE_EXCEEDED: 2,
    NoticeKind.REMAINING: 3,
    NoticeKind.EXPIRY: 4,
    NoticeKind.THROTTLED: 5,
    NoticeKind.UNTHROTTLED: 5,
}


def apply(ledger: Ledger, evidence: Iterable[Evidence], now: datetime) -> None:
    """Apply a notice's statements to ``ledger``, each kind by its rule.

    - remaining: the data left in all is that (the carrier's figure beats arithmetic); an
      expiry stated with it is the plan's data's.
    - used: the use is that; without a stated remaining, the plan's data left follows.
    - usage exceeded: a lower bound. The use is at least that (never lowered) and what is left
      at most what the plan and top-ups held less that (never raised).
    - top-up: a bucket with its expiry (left out past the ledger's bound).
    - expiry: the plan's data lasts until then.
    - throttled / unthrottled: the line's state.
    A statement about data already expired says nothing about what is left: it is skipped.
    """
    items = sorted(evidence, key=lambda item: _ORDER[item.kind])
    stated_left = any(item.kind is NoticeKind.REMAINING for item in items)
    state = ledger.state
    for item in items:
        kind = item.kind
        if kind in (NoticeKind.THROTTLED, NoticeKind.UNTHROTTLED):
            state.throttled = kind is NoticeKind.THROTTLED
        elif item.expires is not None and item.expires < now:
            continue
        elif kind is NoticeKind.EXPIRY:
            state.plan_expires = item.expires
        elif item.amount is not None:
            _apply_amount(ledger, item, stated_left=stated_left)


def _apply_amount(ledger: Ledger, item: Evidence, *, stated_left: bool) -> None:
    state, amount, kind = ledger.state, item.amount or 0, item.kind
    if kind is NoticeKind.REMAINING:
        ledger.set_total(amount)
        state.plan_expires = item.expires or state.plan_expires
    elif kind is NoticeKind.USED:
        state.used = amount
        if not stated_left and (allowance := ledger.terms.allowance) is not None:
            state.plan_left = max(0, allowance - amount)
    elif kind is NoticeKind.USAGE_EXCEEDED:
        ledger.at_least_used(amount)
    elif kind is NoticeKind.TOP_UP and amount > 0:
        ledger.try_add(amount, item.expires)
