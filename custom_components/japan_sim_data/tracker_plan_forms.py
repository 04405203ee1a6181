"""The tracked SIM's three plan forms, read and shown alike wherever the plan is asked.

Adding a tracked SIM, its Reconfigure and the options' "plan" group each ask the plan under their
own step ids (their own translations) and keep it their own way; what the forms accept, refuse
and show is here once. The fields and checks themselves are in tracker_flow.py, which compiles
notice patterns: this module is imported only where a tracker is at hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import probatio as vol
from homeassistant.config_entries import ConfigEntryBaseFlow, ConfigFlowResult

from . import tracker_flow
from .const import CONF_PLAN_SHAPE, PlanShape

type PlanAnswer = tuple[dict[str, Any] | None, dict[str, str]]
"""A form's entry data once it is accepted (else None), and the errors under its fields."""


def read_plan(
    user_input: Mapping[str, Any] | None, given: Mapping[str, Any] | None = None
) -> PlanAnswer:
    """The first form's answers (carrier, allowance, shape); `given` adds what was asked before."""
    if user_input is None:
        return None, {}
    if errors := tracker_flow.plan_errors(user_input):
        return None, errors
    return tracker_flow.plan_start({**(given or {}), **user_input}), {}


def wants_validity(plan: Mapping[str, Any]) -> bool:
    """Whether the plan's next form asks for a fixed validity (else the monthly day)."""
    return bool(plan[CONF_PLAN_SHAPE] == PlanShape.VALIDITY)


def read_monthly(user_input: Mapping[str, Any] | None) -> PlanAnswer:
    """The monthly form's entry data (the day the allowance arrives), or its errors."""
    if user_input is None:
        return None, {}
    if errors := tracker_flow.plan_errors(user_input):
        return None, errors
    return tracker_flow.monthly_plan(user_input), {}


def read_validity(user_input: Mapping[str, Any] | None) -> PlanAnswer:
    """The validity form's entry data (its start and end), or its errors."""
    if user_input is None:
        return None, {}
    plan, errors = tracker_flow.validity_plan(user_input)
    return (None, errors) if errors else (plan, {})


def show(
    flow: ConfigEntryBaseFlow,
    step_id: str,
    schema: vol.Schema,
    suggested: Mapping[str, Any],
    errors: dict[str, str],
    *,
    placeholders: Mapping[str, str] | None = None,
) -> ConfigFlowResult:
    """Show one plan form, filled with the suggested values, its errors under their fields."""
    return flow.async_show_form(
        step_id=step_id,
        description_placeholders=placeholders,
        data_schema=flow.add_suggested_values_to_schema(schema, suggested),
        errors=errors,
    )
