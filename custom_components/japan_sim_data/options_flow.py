"""Options of an entry: when to call data "low" or "expiring soon", and the billing cycle."""

from __future__ import annotations

from typing import Any, Final

import probatio as vol
from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from . import tracker_flow, tracker_plan_forms
from .adapters import CARRIER_PROFILES
from .carriers.models import Carrier
from .const import (
    CONF_CARRIER,
    CONF_EXPIRY_LEAD_DAYS,
    CONF_LOW_DATA_THRESHOLD,
    CONF_LOW_DATA_UNIT,
    CONF_RESET_DAY,
    CONF_USAGE_SENSORS,
    DEFAULT_EXPIRY_LEAD_DAYS,
    DEFAULT_LOW_DATA_THRESHOLD,
    LOW_DATA_UNITS,
    RESET_DAY_CHOICES,
    LowDataUnit,
)
from .tracker_plan_kind import form_values

# The largest threshold in GiB (a share of the allowance stops at 100 %) and lead time in days.
MAX_THRESHOLD_GIB: Final = 1000
MAX_LEAD_DAYS: Final = 90


def _alert_errors(user_input: dict[str, Any]) -> dict[str, str]:
    """Numbers of the alerts form outside their range, under their fields.

    A selector's min/max would refuse them with Home Assistant's English validator text.
    """
    errors: dict[str, str] = {}
    highest = (
        100 if user_input.get(CONF_LOW_DATA_UNIT) == LowDataUnit.PERCENT else MAX_THRESHOLD_GIB
    )
    if not 0 <= float(user_input[CONF_LOW_DATA_THRESHOLD]) <= highest:
        errors[CONF_LOW_DATA_THRESHOLD] = "threshold_out_of_range"
    days = float(user_input[CONF_EXPIRY_LEAD_DAYS])
    if not (0 <= days <= MAX_LEAD_DAYS and days == int(days)):
        errors[CONF_EXPIRY_LEAD_DAYS] = "lead_days_out_of_range"
    return errors


class JapanSimDataOptionsFlow(OptionsFlowWithReload):
    """Preferences of one entry, grouped by subject in a menu."""

    _plan: dict[str, Any]
    """A tracked SIM's plan between its two forms."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer the groups of options this entry has."""
        menu = ["alerts"]
        carrier = Carrier(self.config_entry.data[CONF_CARRIER])
        if carrier in CARRIER_PROFILES and CARRIER_PROFILES[carrier].has_reset_day:
            menu.append("billing")
        if carrier is Carrier.TRACKER:
            menu += ["plan", "usage", "notices", "inquiry"]
        return self.async_show_menu(step_id="init", menu_options=menu)

    async def async_step_alerts(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """When "Low data" and "Data expiring soon" turn on."""
        errors: dict[str, str] = {}
        if user_input is not None and not (errors := _alert_errors(user_input)):
            return self._save(user_input)
        options = user_input or self.config_entry.options
        return self.async_show_form(
            step_id="alerts",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        # No min/max: _alert_errors() says what is wrong, translated.
                        vol.Required(CONF_LOW_DATA_THRESHOLD): NumberSelector(
                            NumberSelectorConfig(step=0.1, mode=NumberSelectorMode.BOX)
                        ),
                        vol.Required(CONF_LOW_DATA_UNIT): SelectSelector(
                            SelectSelectorConfig(
                                options=list(LOW_DATA_UNITS),
                                mode=SelectSelectorMode.LIST,
                                translation_key=CONF_LOW_DATA_UNIT,
                            )
                        ),
                        vol.Required(CONF_EXPIRY_LEAD_DAYS): NumberSelector(
                            NumberSelectorConfig(step=1, mode=NumberSelectorMode.BOX)
                        ),
                    }
                ),
                {
                    CONF_LOW_DATA_THRESHOLD: options.get(
                        CONF_LOW_DATA_THRESHOLD, DEFAULT_LOW_DATA_THRESHOLD
                    ),
                    CONF_LOW_DATA_UNIT: options.get(CONF_LOW_DATA_UNIT, LowDataUnit.GB),
                    CONF_EXPIRY_LEAD_DAYS: options.get(
                        CONF_EXPIRY_LEAD_DAYS, DEFAULT_EXPIRY_LEAD_DAYS
                    ),
                },
            ),
            errors=errors,
        )

    async def async_step_billing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the day the monthly allowance arrives (from the billing cycle's closing day)."""
        if user_input is not None:
            return self._save(user_input)
        return self.async_show_form(
            step_id="billing",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_RESET_DAY): SelectSelector(
                            SelectSelectorConfig(
                                options=list(RESET_DAY_CHOICES),
                                mode=SelectSelectorMode.LIST,
                                translation_key=CONF_RESET_DAY,
                            )
                        )
                    }
                ),
                {CONF_RESET_DAY: str(self.config_entry.options.get(CONF_RESET_DAY, "1"))},
            ),
        )

    # -- plan tracker (forms in tracker_plan_forms.py and tracker_flow.py) --------------------

    async def async_step_plan(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Change a tracked SIM's carrier, allowance or plan shape."""
        plan, errors = tracker_plan_forms.read_plan(user_input)
        if plan is not None:
            self._plan = plan
            if tracker_plan_forms.wants_validity(plan):
                return await self.async_step_plan_validity()
            return await self.async_step_plan_monthly()
        return tracker_plan_forms.show(
            self,
            "plan",
            tracker_flow.plan_schema(with_name=False),
            user_input or form_values(self.config_entry.data),
            errors,
        )

    async def async_step_plan_monthly(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the day the monthly allowance arrives."""
        plan, errors = tracker_plan_forms.read_monthly(user_input)
        if plan is not None:
            return self._save_plan(plan)
        return tracker_plan_forms.show(
            self, "plan_monthly", tracker_flow.MONTHLY_SCHEMA, self.config_entry.data, errors
        )

    async def async_step_plan_validity(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change when a fixed-validity plan starts and ends."""
        plan, errors = tracker_plan_forms.read_validity(user_input)
        if plan is not None:
            return self._save_plan(plan)
        return tracker_plan_forms.show(
            self,
            "plan_validity",
            tracker_flow.VALIDITY_SCHEMA,
            user_input or self.config_entry.data,
            errors,
        )

    async def async_step_usage(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the counters and sensors that count the SIM's data (summed)."""
        if user_input is not None:
            return self._save_group(tracker_flow.USAGE_KEYS, tracker_flow.clean_usage(user_input))
        counters = tracker_flow.counter_choices(self.hass)
        sensors = list(self.config_entry.options.get(CONF_USAGE_SENSORS, []))
        return self.async_show_form(
            step_id="usage",
            description_placeholders=counters.placeholders,
            data_schema=self.add_suggested_values_to_schema(
                tracker_flow.usage_schema(counters), counters.suggested(sensors, new=False)
            ),
        )

    async def async_step_notices(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose where carrier notices arrive, whose they are, and extra patterns."""
        errors: dict[str, str] = {}
        if user_input is not None:
            cleaned, errors = tracker_flow.clean_sources(user_input)
            if not errors:
                return self._save_group(tracker_flow.NOTICE_KEYS, cleaned)
        return self.async_show_form(
            step_id="notices",
            description_placeholders=tracker_flow.PATTERN_PLACEHOLDERS,
            data_schema=self.add_suggested_values_to_schema(
                tracker_flow.NOTICES_SCHEMA,
                user_input
                or tracker_flow.notice_defaults(self.config_entry.data, self.config_entry.options),
            ),
            errors=errors,
        )

    async def async_step_inquiry(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the carrier by SMS: the action, number and text, and when."""
        errors: dict[str, str] = {}
        if user_input is not None:
            cleaned, errors = tracker_flow.clean_inquiry(self.hass, user_input)
            if not errors:
                return self._save_group(tracker_flow.INQUIRY_KEYS, cleaned)
        return self.async_show_form(
            step_id="inquiry",
            data_schema=self.add_suggested_values_to_schema(
                tracker_flow.inquiry_schema(self.hass), user_input or self.config_entry.options
            ),
            errors=errors,
        )

    def _save_plan(self, plan: dict[str, Any]) -> ConfigFlowResult:
        """Store the new plan in the entry's data and reload the entry to follow it."""
        entry = self.config_entry
        kept = {k: v for k, v in entry.data.items() if k not in tracker_flow.PLAN_KEYS}
        self.hass.config_entries.async_update_entry(entry, data={**kept, **self._plan, **plan})
        self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_create_entry(data=dict(entry.options))

    def _save_group(self, keys: tuple[str, ...], user_input: dict[str, Any]) -> ConfigFlowResult:
        """Replace one group's options; a field left empty is removed."""
        kept = {k: v for k, v in self.config_entry.options.items() if k not in keys}
        return self.async_create_entry(data={**kept, **user_input})

    def _save(self, user_input: dict[str, Any]) -> ConfigFlowResult:
        """Keep the other groups' options when one group is saved."""
        return self.async_create_entry(data={**self.config_entry.options, **user_input})
