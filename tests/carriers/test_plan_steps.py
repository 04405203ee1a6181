"""Plans without a cap: price steps and a throttle tier, without Home Assistant."""

from __future__ import annotations

import pytest

from custom_components.japan_sim_data.carriers.plan import MAX_STEPS, PlanKind, UsageSteps
from custom_components.japan_sim_data.carriers.units import GIB, MAX_PLAUSIBLE_BYTES, MIB

# Rakuten Mobile's Rakuten最強プラン: steps at 3 GB and 20 GB of a month's use.
RAKUTEN = UsageSteps(PlanKind.PRICE_STEPS, (3 * GIB, 20 * GIB))


@pytest.mark.parametrize(
    ("used", "step", "left"),
    [
        (0, 3 * GIB, 3 * GIB),
        (2 * GIB + 512 * MIB, 3 * GIB, 512 * MIB),
        # Up to 3 GB includes 3 GB: the step is reached, nothing is left before it.
        (3 * GIB, 3 * GIB, 0),
        (3 * GIB + 1, 20 * GIB, 17 * GIB - 1),
        (20 * GIB, 20 * GIB, 0),
        # Past the last step there is nothing ahead: unknown, never 0.
        (20 * GIB + 1, None, None),
        (None, None, None),
    ],
)
def test_the_next_price_step_and_the_use_left_before_it(
    used: int | None, step: int | None, left: int | None
) -> None:
    assert RAKUTEN.next_step(used) == step
    assert RAKUTEN.left_until_next(used) == left


def test_near_the_next_step_within_the_lead() -> None:
    lead = GIB
    assert RAKUTEN.is_near(0, lead) is False
    assert RAKUTEN.is_near(2 * GIB, lead) is True
    assert RAKUTEN.is_near(2 * GIB - 1, lead) is False
    assert RAKUTEN.is_near(3 * GIB + 1, lead) is False
    assert RAKUTEN.is_near(19 * GIB, lead) is True
    # Past the last step nothing is ahead; unknown use says nothing.
    assert RAKUTEN.is_near(21 * GIB, lead) is False
    assert RAKUTEN.is_near(None, lead) is None


def test_a_throttle_tier_is_one_step() -> None:
    tier = UsageSteps(PlanKind.THROTTLE_TIER, (30 * GIB,))
    assert tier.next_step(29 * GIB) == 30 * GIB
    assert tier.left_until_next(29 * GIB) == GIB
    with pytest.raises(ValueError, match="exactly one step"):
        UsageSteps(PlanKind.THROTTLE_TIER, (3 * GIB, 20 * GIB))


@pytest.mark.parametrize(
    ("kind", "steps", "message"),
    [
        (PlanKind.ALLOWANCE, (GIB,), "has no usage steps"),
        (PlanKind.PRICE_STEPS, (), "between 1 and 10"),
        (PlanKind.PRICE_STEPS, tuple(range(1, MAX_STEPS + 2)), "between 1 and 10"),
        (PlanKind.PRICE_STEPS, (0, GIB), "positive"),
        (PlanKind.PRICE_STEPS, (-GIB,), "positive"),
        (PlanKind.PRICE_STEPS, (MAX_PLAUSIBLE_BYTES + 1,), "plausible"),
        (PlanKind.PRICE_STEPS, (3 * GIB, 3 * GIB), "rise"),
        (PlanKind.PRICE_STEPS, (20 * GIB, 3 * GIB), "rise"),
    ],
)
def test_steps_no_plan_has_are_refused(
    kind: PlanKind, steps: tuple[int, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        UsageSteps(kind, steps)
