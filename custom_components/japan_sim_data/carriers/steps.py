"""Steps of use in a period: where a plan without a cap changes its price or its speed.

Some plans have no cap to count down from: the price rises in steps of a month's use, or the
line slows down past an amount and stays usable. For those, "data left" has no meaning; what is
used this period and the next step do. Kept apart from ``plan.py`` (the tracker's periods) so
that a carrier's figures (``models.SimUsage``) can carry steps without the tracker's model.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Final

from .units import MAX_PLAUSIBLE_BYTES

MAX_STEPS: Final = 10
"""Steps one plan may have; real plans have two or three (Rakuten Mobile's has two)."""


class PlanKind(StrEnum):
    """What a tracked plan's data amount means."""

    ALLOWANCE = "allowance"
    """A cap: data left counts down from the allowance (most plans)."""
    PRICE_STEPS = "price_steps"
    """No cap; the month's price rises at amounts of use.

    Rakuten Mobile's Rakuten最強プラン: one price up to 3 GB of a month's use, another up to
    20 GB, a third above 20 GB (https://k-tai.watch.impress.co.jp/docs/column/value/1501281.html,
    read 2026-12-06; the same steps as ``tracking_presets``). docomo's eximo has steps too.
    """
    THROTTLE_TIER = "throttle_tier"
    """No cap; past one amount of use the line is slowed, never cut, until the period ends."""


@dataclass(frozen=True, slots=True)
class UsageSteps:
    """The amounts of a period's use (bytes) at which a plan without a cap changes.

    A step is reached once use passes it: use up to a step and including it is still the step
    below ("up to 3 GB" includes 3 GB), so at exactly 3 GB nothing is left before it.
    """

    kind: PlanKind
    steps: tuple[int, ...]

    def __post_init__(self) -> None:
        """Refuse steps that no plan has, so a wrong setting fails where it is made."""
        if self.kind is PlanKind.ALLOWANCE:
            raise ValueError("A plan with an allowance has no usage steps")
        if not 1 <= len(self.steps) <= MAX_STEPS:
            raise ValueError("A plan without a cap needs between 1 and 10 steps")
        if self.kind is PlanKind.THROTTLE_TIER and len(self.steps) != 1:
            raise ValueError("A throttle tier has exactly one step")
        if any(not 0 < step <= MAX_PLAUSIBLE_BYTES for step in self.steps):
            raise ValueError("A step must be a positive, plausible amount")
        if any(low >= high for low, high in pairwise(self.steps)):
            raise ValueError("Steps must rise")

    def next_step(self, used: int | None) -> int | None:
        """The step ahead of ``used``: the first one not yet passed; None past the last.

        Unknown use (None) knows no step ahead: never a guess that looks like a fact.
        """
        if used is None:
            return None
        return next((step for step in self.steps if used <= step), None)

    def left_until_next(self, used: int | None) -> int | None:
        """Bytes of use left before the next step; None when unknown or past the last."""
        step = self.next_step(used)
        return None if step is None or used is None else step - used

    def is_near(self, used: int | None, lead: int) -> bool | None:
        """Whether the next step is ``lead`` bytes away or closer; None while use is unknown.

        Past the last step nothing is ahead: False.
        """
        if used is None:
            return None
        left = self.left_until_next(used)
        return left is not None and left <= lead
