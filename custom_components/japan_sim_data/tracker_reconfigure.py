"""Reconfigure a tracked SIM: its plan (carrier, allowance, shape and dates).

A tracked SIM has no login to change, so Home Assistant's Reconfigure edits what it was set up
with: the same forms as the plan in the options, ending in a reload of the entry.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult


class TrackerReconfigureFlow(ConfigFlow):
    """The reconfigure steps of a tracked SIM; the integration's flow class inherits them."""

    _reconfigured_plan: dict[str, Any]
    """The plan's first form, kept until its dates are given."""

    async def async_step_reconfigure_plan(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the carrier, the allowance or the plan's shape."""
        from . import tracker_flow, tracker_plan_forms  # noqa: PLC0415 - only for a tracked SIM
        from .tracker_plan_kind import form_values  # noqa: PLC0415 - only for a tracked SIM

        plan, errors = tracker_plan_forms.read_plan(user_input)
        if plan is not None:
            self._reconfigured_plan = plan
            if tracker_plan_forms.wants_validity(plan):
                return await self.async_step_reconfigure_validity()
            return await self.async_step_reconfigure_monthly()
        return tracker_plan_forms.show(
            self,
            "reconfigure_plan",
            tracker_flow.plan_schema(with_name=False),
            user_input or form_values(self._get_reconfigure_entry().data),
            errors,
        )

    async def async_step_reconfigure_monthly(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the day of the month the allowance arrives."""
        from . import tracker_flow, tracker_plan_forms  # noqa: PLC0415 - only for a tracked SIM

        plan, errors = tracker_plan_forms.read_monthly(user_input)
        if plan is not None:
            return self._save_reconfigured_plan(plan)
        entry_data = self._get_reconfigure_entry().data
        return tracker_plan_forms.show(
            self, "reconfigure_monthly", tracker_flow.MONTHLY_SCHEMA, entry_data, errors
        )

    async def async_step_reconfigure_validity(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change when a fixed-validity plan starts, and its length or last day."""
        from . import tracker_flow, tracker_plan_forms  # noqa: PLC0415 - only for a tracked SIM

        plan, errors = tracker_plan_forms.read_validity(user_input)
        if plan is not None:
            return self._save_reconfigured_plan(plan)
        return tracker_plan_forms.show(
            self,
            "reconfigure_validity",
            tracker_flow.VALIDITY_SCHEMA,
            user_input or self._get_reconfigure_entry().data,
            errors,
        )

    def _save_reconfigured_plan(self, plan: dict[str, Any]) -> ConfigFlowResult:
        """Store the new plan in the entry's data (the other data kept) and reload it."""
        from . import tracker_flow  # noqa: PLC0415 - only for a tracked SIM

        entry = self._get_reconfigure_entry()
        kept = {k: v for k, v in entry.data.items() if k not in tracker_flow.PLAN_KEYS}
        return self.async_update_reload_and_abort(
            entry, data={**kept, **self._reconfigured_plan, **plan}, reason="plan_updated"
        )
