"""The plan form's kind of plan: a cap (allowance), price steps or a throttle tier.

Shared by the config flow, the options flow and Reconfigure through ``tracker_flow``'s plan
form. A plan without a cap keeps its steps in the entry's data in GB as carriers count them
(1 GB = 1024 MB), as the allowance is kept; ``tracker_state.steps_from_data`` reads them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any, Final

from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)

from .carriers.errors import CarrierParseError
from .carriers.plan import MAX_STEPS, PlanKind
from .carriers.tracking_presets import preset_for
from .carriers.units import GIB, to_number
from .const import CONF_PLAN_KIND, CONF_USAGE_STEPS

# A step above this many GB is no plan's (the allowance's bound, tracker_flow.MAX_ALLOWANCE).
MAX_STEP_GB: Final = 10000

PLAN_KIND_SELECTOR: Final = SelectSelector(
    SelectSelectorConfig(
        options=[kind.value for kind in PlanKind],
        mode=SelectSelectorMode.LIST,
        translation_key=CONF_PLAN_KIND,
    )
)
# One amount per line (GB): a list, so "1,024" is never read as two steps.
STEPS_SELECTOR: Final = TextSelector(TextSelectorConfig(multiple=True))


def _whole_or_not(amount: float) -> int | float:
    """3 rather than 3.0, so the form shows the step back as it was typed."""
    return int(amount) if amount.is_integer() else amount


def read_steps(user_input: Mapping[str, Any]) -> list[int | float] | None:
    """The steps typed, in GB, as numbers; None when one is not a number in range."""
    typed = user_input.get(CONF_USAGE_STEPS) or []
    if isinstance(typed, str):
        typed = [typed]
    amounts: list[int | float] = []
    for text in typed:
        if isinstance(text, str) and not text.strip():
            continue
        try:
            amount = to_number(text)
        except CarrierParseError:
            return None
        if amount is None or not 0 < amount <= MAX_STEP_GB:
            return None
        amounts.append(_whole_or_not(amount))
    return amounts


def steps_errors(user_input: Mapping[str, Any]) -> dict[str, str]:
    """The steps field's error for the kind chosen, under the field; none for a cap."""
    kind = PlanKind(user_input.get(CONF_PLAN_KIND, PlanKind.ALLOWANCE))
    if kind is PlanKind.ALLOWANCE:
        return {}
    amounts = read_steps(user_input)
    if amounts is None or any(low >= high for low, high in pairwise(amounts)):
        return {CONF_USAGE_STEPS: "usage_steps_invalid"}
    if not amounts or len(amounts) > MAX_STEPS:
        return {CONF_USAGE_STEPS: "usage_steps_count"}
    if kind is PlanKind.THROTTLE_TIER and len(amounts) != 1:
        return {CONF_USAGE_STEPS: "throttle_tier_one_step"}
    return {}


def steps_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The kind and steps as the entry keeps them (checked by ``steps_errors`` first).

    A plan with a cap keeps neither (its entry reads as every entry made before plans without
    a cap); one without keeps no allowance (tracker_flow drops it).
    """
    kind = PlanKind(user_input.get(CONF_PLAN_KIND, PlanKind.ALLOWANCE))
    if kind is PlanKind.ALLOWANCE:
        return {}
    return {CONF_PLAN_KIND: kind.value, CONF_USAGE_STEPS: read_steps(user_input) or []}


def steps_suggestions(brand: str | None) -> dict[str, Any]:
    """The brand's suggested plan: price steps when it has no cap (Rakuten最強プラン)."""
    preset = preset_for(brand)
    plan = preset.suggested_plan if preset is not None else None
    if plan is None or plan.allowance is not None or not plan.price_steps:
        return {CONF_PLAN_KIND: PlanKind.ALLOWANCE.value}
    return {
        CONF_PLAN_KIND: PlanKind.PRICE_STEPS.value,
        CONF_USAGE_STEPS: [f"{step / GIB:g}" for step in plan.price_steps],
    }


def form_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """An entry's plan as the form shows it again: the steps as the text typed."""
    values = dict(data)
    if isinstance(steps := values.get(CONF_USAGE_STEPS), list):
        values[CONF_USAGE_STEPS] = [f"{step:g}" for step in steps if isinstance(step, int | float)]
    return values
