"""What a tracked SIM keeps across restarts, and the plan its entry states.

The store holds the ledger's fields (``carriers/tracking_ledger.py``) beside the tracker's own:
the user patterns given up and the SMS inquiry's state. One restore path reads them all, field
by field. The plan is read from the entry's data once, and checked: damaged plan fields raise
here, at setup, where ``__init__`` turns them into a repair issue instead of a traceback.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from .carriers.plan import MonthlyPlan, Plan, PlanKind, UsageSteps, ValidityPlan
from .carriers.stored import stored_day
from .carriers.tracking_evidence import stored_digest
from .carriers.tracking_ledger import (
    Ledger,
    PlanTerms,
    StoredFields,
    ledger_as_dict,
    restore_ledger,
)
from .carriers.units import GIB, MAX_PLAUSIBLE_BYTES, gb_to_bytes
from .const import (
    CONF_ALLOWANCE,
    CONF_END_DATE,
    CONF_PLAN_KIND,
    CONF_PLAN_SHAPE,
    CONF_RESET_DAY,
    CONF_START_DATE,
    CONF_USAGE_STEPS,
    PlanShape,
)
from .inquiry import InquiryState

STORAGE_VERSION: Final = 1


def digest(text: str) -> str:
    """A short fingerprint of a text, to recognise it again without keeping it."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_from_data(data: Mapping[str, Any]) -> Plan:
    """Build the plan a tracker entry's data describes.

    KeyError, TypeError or ValueError (naming the field, never its value) when a field is
    missing or unusable.
    """
    shape = data[CONF_PLAN_SHAPE]
    if shape == PlanShape.VALIDITY:
        start, end = stored_day(data[CONF_START_DATE]), stored_day(data[CONF_END_DATE])
        if start is None or end is None:
            raise ValueError("The plan's dates are unreadable")
        return ValidityPlan(start=start, end=end)
    if shape != PlanShape.MONTHLY:
        raise ValueError("The plan's shape is unknown")
    reset_day = data[CONF_RESET_DAY]
    if isinstance(reset_day, float) and reset_day.is_integer():
        reset_day = int(reset_day)
    if isinstance(reset_day, bool) or not isinstance(reset_day, int):
        raise TypeError("The plan's reset day is not a day of the month")
    return MonthlyPlan(reset_day=reset_day)


def _stored_gigabytes(amount: object, what: str) -> int:
    """A stored amount in GB as bytes; TypeError or ValueError naming ``what``, never the value."""
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        raise TypeError(f"The plan's {what} is not a number")
    if not math.isfinite(amount) or not 0 <= amount * GIB <= MAX_PLAUSIBLE_BYTES:
        raise ValueError(f"The plan's {what} is out of range")
    return gb_to_bytes(amount)


def allowance_from_data(data: Mapping[str, Any]) -> int | None:
    """The plan's data per period in bytes; None when the user did not give it."""
    amount = data.get(CONF_ALLOWANCE)
    return None if amount is None else _stored_gigabytes(amount, "allowance")


def plan_kind_from_data(data: Mapping[str, Any]) -> PlanKind:
    """What the plan's amounts mean; entries made before plans without a cap have a cap."""
    return PlanKind(data.get(CONF_PLAN_KIND, PlanKind.ALLOWANCE))


def steps_from_data(data: Mapping[str, Any]) -> UsageSteps | None:
    """A plan without a cap: its steps of use in bytes; None for a plan with an allowance."""
    kind = plan_kind_from_data(data)
    if kind is PlanKind.ALLOWANCE:
        return None
    amounts = data[CONF_USAGE_STEPS]
    if not isinstance(amounts, list):
        raise TypeError("The plan's steps are not a list")
    return UsageSteps(kind, tuple(_stored_gigabytes(amount, "step") for amount in amounts))


def plan_terms(data: Mapping[str, Any], *, counted: bool) -> PlanTerms:
    """The terms a tracker entry's data states; errors as ``plan_from_data``.

    A plan without a cap counts no allowance, whatever an earlier plan left in the entry.
    """
    steps = steps_from_data(data)
    allowance = allowance_from_data(data) if steps is None else None
    return PlanTerms(plan_from_data(data), allowance, counted, steps)


@dataclass(slots=True)
class TrackerState:
    """What the tracker keeps: the ledger, the patterns given up, the SMS inquiry."""

    ledger: Ledger
    slow_patterns: list[str] = field(default_factory=list)
    """Digests of the user's patterns that ran out of time: skipped until they change."""
    inquiry: InquiryState = field(default_factory=InquiryState)
    """What the SMS inquiries did: their limits and a reply still awaited."""

    def as_dict(self) -> dict[str, Any]:
        """Return plain JSON types for the Store."""
        return {
            **ledger_as_dict(self.ledger),
            "slow_patterns": list(self.slow_patterns),
            "inquiry": self.inquiry.as_dict(),
        }

    @classmethod
    def restore(
        cls, terms: PlanTerms, data: object, now: datetime
    ) -> tuple[TrackerState, list[str]]:
        """Rebuild a saved state field by field; also name the fields that were unreadable."""
        if not isinstance(data, Mapping):
            return cls(Ledger(terms)), ["(all)"]
        reader = StoredFields(data)
        state = cls(
            restore_ledger(terms, data, reader),
            slow_patterns=reader.read_list("slow_patterns", stored_digest, optional=True),
        )
        if "inquiry" in data:
            state.inquiry, dropped = InquiryState.salvage(data["inquiry"], now)
            reader.dropped += dropped
        return state, reader.dropped
