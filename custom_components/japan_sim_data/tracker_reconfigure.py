"""Reconfigure a tracked SIM: its plan (carrier, allowance, shape and dates).

A tracked SIM has no login to change, so Home Assistant's Reconfigure edits what it was set up
with: the same forms as the plan in the options, ending in a reload of the entry.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult

from .const import CONF_PLAN_SHAPE, PlanShape


class TrackerReconfigureFlow(ConfigFlow):
    """The reconfigure steps of a tracked SIM; the integration's flow class inherits them."""

    _reconfigured_plan: dict[str, Any]
    """The plan's first form, kept until its dates are given."""

    async def async_step_reconfigure_plan(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the carrier, the allowance or the plan's shape."""
        from . import tracker_flow  # noqa: PLC0415 - only for a tracked SIM
        from .tracker_plan_kind import form_values  # noqa: PLC0415 - only for a tracked SIM

        errors: dict[str, str] = {}
        if user_input is not None and not (errors := tracker_flow.plan_errors(user_input)):
            self._reconfigured_plan = tracker_flow.plan_start(user_input)
            if user_input[CONF_PLAN_SHAPE] == PlanShape.VALIDITY:
                return await self.async_step_reconfigure_validity()
            return await self.async_step_reconfigure_monthly()
        return self.async_show_form(
            step_id="reconfigure_plan",
            data_schema=self.add_suggested_values_to_schema(
                tracker_flow.plan_schema(with_name=False),
                user_input or form_values(self._get_reconfigure_entry().data),
            ),
            errors=errors,
        )

    async def async_step_reconfigure_monthly(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the day of the month the allowance arrives."""
        from . import tracker_flow  # noqa: PLC0415 - only for a tracked SIM

        errors: dict[str, str] = {}
        if user_input is not None and not (errors := tracker_flow.plan_errors(user_input)):
            return self._save_reconfigured_plan(tracker_flow.monthly_plan(user_input))
        return self.async_show_form(
            step_id="reconfigure_monthly",
            data_schema=self.add_suggested_values_to_schema(
                tracker_flow.MONTHLY_SCHEMA, self._get_reconfigure_entry().data
            ),
            errors=errors,
        )

    async def async_step_reconfigure_validity(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change when a fixed-validity plan starts, and its length or last day."""
        from . import tracker_flow  # noqa: PLC0415 - only for a tracked SIM

        errors: dict[str, str] = {}
        if user_input is not None:
            plan, errors = tracker_flow.validity_plan(user_input)
            if not errors:
                return self._save_reconfigured_plan(plan)
        return self.async_show_form(
            step_id="reconfigure_validity",
            data_schema=self.add_suggested_values_to_schema(
                tracker_flow.VALIDITY_SCHEMA, user_input or self._get_reconfigure_entry().data
            ),
            errors=errors,
        )

    def _save_reconfigured_plan(self, plan: dict[str, Any]) -> ConfigFlowResult:
        """Store the new plan in the entry's data (the other data kept) and reload it."""
        from . import tracker_flow  # noqa: PLC0415 - only for a tracked SIM

        entry = self._get_reconfigure_entry()
        kept = {k: v for k, v in entry.data.items() if k not in tracker_flow.PLAN_KEYS}
        return self.async_update_reload_and_abort(
            entry, data={**kept, **self._reconfigured_plan, **plan}, reason="plan_updated"
        )
