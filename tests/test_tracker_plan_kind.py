"""The plan form's kind of plan: a cap, price steps or a throttle tier, in every flow."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_RECONFIGURE
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.japan_sim_data.const import (
    CONF_ALLOWANCE,
    CONF_CARRIER,
    CONF_PLAN_KIND,
    CONF_PLAN_SHAPE,
    CONF_RESET_DAY,
    CONF_TRACKED_CARRIER,
    CONF_USAGE_STEPS,
    DOMAIN,
)
from custom_components.japan_sim_data.tracker_plan_kind import (
    form_values,
    read_steps,
    steps_errors,
    steps_suggestions,
)
from custom_components.japan_sim_data.tracker_state import plan_terms

from .test_tracker_flow import _start


@pytest.fixture(autouse=True)
def no_setup() -> Any:
    """The flows are tested here; setting up the entries is tested in test_tracker_steps.py."""
    with patch("custom_components.japan_sim_data.async_setup_entry", return_value=True):
        yield


def _suggested(result: Any, key: str) -> Any:
    for field in result["data_schema"].schema:
        if field == key:
            return (field.description or {}).get("suggested_value")
    raise AssertionError(key)


async def test_rakuten_starts_from_its_price_steps_and_keeps_no_allowance(
    hass: HomeAssistant,
) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "楽天", CONF_TRACKED_CARRIER: "rakuten_mobile"}
    )
    assert result["step_id"] == "tracker_plan"
    assert _suggested(result, CONF_PLAN_KIND) == "price_steps"
    assert _suggested(result, CONF_USAGE_STEPS) == ["3", "20"]

    # Steps that fall are refused under their field.
    answers = {CONF_PLAN_KIND: "price_steps", CONF_PLAN_SHAPE: "monthly", CONF_ALLOWANCE: 5}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**answers, CONF_USAGE_STEPS: ["20", "3"]}
    )
    assert result["errors"] == {CONF_USAGE_STEPS: "usage_steps_invalid"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**answers, CONF_USAGE_STEPS: ["３", "", "20"]}
    )
    assert result["step_id"] == "tracker_monthly"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_RESET_DAY: 1})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_CARRIER: "tracker",
        CONF_TRACKED_CARRIER: "rakuten_mobile",
        CONF_PLAN_KIND: "price_steps",
        CONF_USAGE_STEPS: [3, 20],
        CONF_PLAN_SHAPE: "monthly",
        CONF_RESET_DAY: 1,
    }


async def test_reconfigure_turns_a_capped_plan_into_a_throttle_tier_and_back(
    hass: HomeAssistant,
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Phone",
        unique_id="0" * 32,
        data={
            CONF_CARRIER: "tracker",
            CONF_TRACKED_CARRIER: "au",
            CONF_ALLOWANCE: 4.0,
            CONF_PLAN_SHAPE: "monthly",
            CONF_RESET_DAY: 1,
        },
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_plan"
    answers = {
        CONF_TRACKED_CARRIER: "au",
        CONF_PLAN_KIND: "throttle_tier",
        CONF_PLAN_SHAPE: "monthly",
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**answers, CONF_USAGE_STEPS: ["3", "20"]}
    )
    assert result["errors"] == {CONF_USAGE_STEPS: "throttle_tier_one_step"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**answers, CONF_USAGE_STEPS: ["30.5"]}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_RESET_DAY: 1})
    assert result["reason"] == "plan_updated"
    assert entry.data[CONF_USAGE_STEPS] == [30.5]
    assert CONF_ALLOWANCE not in entry.data

    # The form shows the steps back as typed; a cap again drops them.
    result = await entry.start_reconfigure_flow(hass)
    assert _suggested(result, CONF_USAGE_STEPS) == ["30.5"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**answers, CONF_PLAN_KIND: "allowance", CONF_ALLOWANCE: 4, CONF_USAGE_STEPS: ["30"]},
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_RESET_DAY: 1})
    assert entry.data[CONF_ALLOWANCE] == 4.0
    assert CONF_USAGE_STEPS not in entry.data
    assert CONF_PLAN_KIND not in entry.data
    assert SOURCE_RECONFIGURE  # the source this flow ran under


@pytest.mark.parametrize(
    ("answers", "error"),
    [
        ({CONF_PLAN_KIND: "price_steps"}, "usage_steps_count"),
        ({CONF_PLAN_KIND: "price_steps", CONF_USAGE_STEPS: []}, "usage_steps_count"),
        (
            {CONF_PLAN_KIND: "price_steps", CONF_USAGE_STEPS: [str(n) for n in range(1, 12)]},
            "usage_steps_count",
        ),
        ({CONF_PLAN_KIND: "price_steps", CONF_USAGE_STEPS: ["1,0"]}, "usage_steps_invalid"),
        ({CONF_PLAN_KIND: "price_steps", CONF_USAGE_STEPS: ["0"]}, "usage_steps_invalid"),
        ({CONF_PLAN_KIND: "price_steps", CONF_USAGE_STEPS: ["10001"]}, "usage_steps_invalid"),
        ({CONF_PLAN_KIND: "price_steps", CONF_USAGE_STEPS: ["3", "3"]}, "usage_steps_invalid"),
        ({CONF_PLAN_KIND: "throttle_tier", CONF_USAGE_STEPS: "abc"}, "usage_steps_invalid"),
    ],
)
def test_steps_no_plan_has_are_refused_under_their_field(
    answers: dict[str, Any], error: str
) -> None:
    assert steps_errors(answers) == {CONF_USAGE_STEPS: error}


def test_steps_read_back_and_suggestions() -> None:
    # A single text counts as one step; 1,024 is one number (thousands grouping), not two.
    assert read_steps({CONF_USAGE_STEPS: "1,024"}) == [1024]
    assert steps_errors({CONF_PLAN_KIND: "allowance", CONF_USAGE_STEPS: ["x"]}) == {}
    # Brands whose suggested plan has a cap (or none suggested) start from a cap.
    assert steps_suggestions("ahamo") == {CONF_PLAN_KIND: "allowance"}
    assert steps_suggestions("other") == {CONF_PLAN_KIND: "allowance"}
    assert form_values({CONF_USAGE_STEPS: [3, 20.5, "x"]}) == {CONF_USAGE_STEPS: ["3", "20.5"]}


@pytest.mark.parametrize(
    ("steps", "error"),
    [("3", TypeError), ([True], TypeError), ([float("nan")], ValueError), ([], ValueError)],
)
def test_damaged_stored_steps_are_refused_at_setup(steps: object, error: type) -> None:
    data = {
        CONF_PLAN_KIND: "price_steps",
        CONF_USAGE_STEPS: steps,
        CONF_PLAN_SHAPE: "monthly",
        CONF_RESET_DAY: 1,
    }
    with pytest.raises(error):
        plan_terms(data, counted=True)
    with pytest.raises(ValueError, match="flat"):
        plan_terms({**data, CONF_PLAN_KIND: "flat"}, counted=True)
