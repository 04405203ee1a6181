"""The plan tracker's steps of the config flow: a SIM without a usable carrier route.

It has no login: the user names the SIM, picks its carrier, states the plan (the forms are in
tracker_plan_forms.py, shared with Reconfigure and the options) and says where usage and notices
come from. tracker_flow.py, which compiles notice patterns, is imported only when a tracker is
added.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.util import dt as dt_util

from .carriers.dates import TOKYO
from .carriers.models import Carrier
from .const import CONF_CARRIER, CONF_TRACKED_CARRIER
from .identifiers import InstallationKeyUnreadableError, async_get_installation_key


class TrackerSetupFlow(ConfigFlow):
    """The steps that add a tracked SIM; the integration's flow class inherits them."""

    def __init__(self) -> None:
        """Start with no SIM named."""
        super().__init__()
        self._tracker_title = ""
        self._tracker_brand = ""
        self._tracker_data: dict[str, Any] = {}

    async def async_step_tracker(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the tracked SIM and pick its brand."""
        from . import tracker_flow  # noqa: PLC0415 - when a tracker is added

        if user_input is not None:
            self._tracker_brand = user_input[CONF_TRACKED_CARRIER]
            self._tracker_title = user_input[CONF_NAME].strip()
            return await self.async_step_tracker_plan()
        return self.async_show_form(step_id="tracker", data_schema=tracker_flow.BRAND_SCHEMA)

    async def async_step_tracker_plan(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the allowance and the plan's shape, starting from the brand's preset."""
        from . import tracker_flow, tracker_plan_forms  # noqa: PLC0415 - when a tracker is added

        brand = self._tracker_brand
        plan, errors = tracker_plan_forms.read_plan(user_input, {CONF_TRACKED_CARRIER: brand})
        if plan is not None:
            self._tracker_data = {CONF_CARRIER: Carrier.TRACKER.value, **plan}
            if tracker_plan_forms.wants_validity(plan):
                return await self.async_step_tracker_validity()
            return await self.async_step_tracker_monthly()
        return tracker_plan_forms.show(
            self,
            "tracker_plan",
            tracker_flow.PLAN_SCHEMA,
            user_input or tracker_flow.plan_suggestions(brand),
            errors,
            placeholders=tracker_flow.plan_placeholders(brand),
        )

    async def async_step_tracker_monthly(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the day of the month the allowance arrives."""
        from . import tracker_flow, tracker_plan_forms  # noqa: PLC0415 - when a tracker is added

        plan, errors = tracker_plan_forms.read_monthly(user_input)
        if plan is not None:
            self._tracker_data |= plan
            return await self.async_step_tracker_sources()
        suggested = tracker_flow.monthly_suggestions(self._tracker_brand)
        return tracker_plan_forms.show(
            self, "tracker_monthly", tracker_flow.MONTHLY_SCHEMA, suggested, errors
        )

    async def async_step_tracker_validity(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask when a fixed-validity plan starts, and its length or last day."""
        from . import tracker_flow, tracker_plan_forms  # noqa: PLC0415 - when a tracker is added

        plan, errors = tracker_plan_forms.read_validity(user_input)
        if plan is not None:
            self._tracker_data |= plan
            return await self.async_step_tracker_sources()
        today = dt_util.now().astimezone(TOKYO).date().isoformat()
        return tracker_plan_forms.show(
            self,
            "tracker_validity",
            tracker_flow.VALIDITY_SCHEMA,
            user_input or tracker_flow.validity_suggestions(self._tracker_brand, today),
            errors,
        )

    async def async_step_tracker_sources(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask where usage and carrier notices come from (all optional), then add the SIM."""
        from . import tracker_flow  # noqa: PLC0415 - when a tracker is added

        errors: dict[str, str] = {}
        counters = tracker_flow.counter_choices(self.hass)
        if user_input is not None:
            options, errors = tracker_flow.clean_sources(user_input)
            if not errors:
                # The installation's key exists before the first keyed entry does: made now
                # for a first entry, else setup would take the missing key for a lost one.
                try:
                    await async_get_installation_key(self.hass)
                except InstallationKeyUnreadableError:
                    return self.async_abort(reason="installation_key_unreadable")
                # Several SIMs can be tracked: each entry gets its own random id.
                await self.async_set_unique_id(uuid4().hex)
                return self.async_create_entry(
                    title=self._tracker_title or tracker_flow.default_title(self._tracker_data),
                    data=self._tracker_data,
                    options=options,
                )
        return self.async_show_form(
            step_id="tracker_sources",
            description_placeholders=tracker_flow.sources_placeholders(counters),
            data_schema=self.add_suggested_values_to_schema(
                tracker_flow.sources_schema(counters),
                user_input
                or tracker_flow.notice_defaults(self._tracker_data, {})
                | counters.suggested([], new=True),
            ),
            errors=errors,
        )
