"""Options of an entry: when to call data "low" or "expiring soon", and the billing cycle."""

from __future__ import annotations

from typing import Any

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

from .adapters import CARRIER_PROFILES
from .carriers.models import Carrier
from .const import (
    CONF_CARRIER,
    CONF_EXPIRY_LEAD_DAYS,
    CONF_LOW_DATA_THRESHOLD,
    CONF_LOW_DATA_UNIT,
    CONF_RESET_DAY,
    DEFAULT_EXPIRY_LEAD_DAYS,
    DEFAULT_LOW_DATA_THRESHOLD,
    LOW_DATA_UNITS,
    RESET_DAY_CHOICES,
    LowDataUnit,
)


class JapanSimDataOptionsFlow(OptionsFlowWithReload):
    """Preferences of one entry, grouped by subject in a menu."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer the groups of options this entry has."""
        menu = ["alerts"]
        carrier = Carrier(self.config_entry.data[CONF_CARRIER])
        if carrier in CARRIER_PROFILES and CARRIER_PROFILES[carrier].has_reset_day:
            menu.append("billing")
        return self.async_show_menu(step_id="init", menu_options=menu)

    async def async_step_alerts(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """When "Low data" and "Data expiring soon" turn on."""
        if user_input is not None:
            return self._save(user_input)
        options = self.config_entry.options
        return self.async_show_form(
            step_id="alerts",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_LOW_DATA_THRESHOLD): NumberSelector(
                            NumberSelectorConfig(
                                min=0, max=1000, step=0.1, mode=NumberSelectorMode.BOX
                            )
                        ),
                        vol.Required(CONF_LOW_DATA_UNIT): SelectSelector(
                            SelectSelectorConfig(
                                options=list(LOW_DATA_UNITS),
                                mode=SelectSelectorMode.LIST,
                                translation_key=CONF_LOW_DATA_UNIT,
                            )
                        ),
                        vol.Required(CONF_EXPIRY_LEAD_DAYS): NumberSelector(
                            NumberSelectorConfig(min=0, max=90, step=1, mode=NumberSelectorMode.BOX)
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

    def _save(self, user_input: dict[str, Any]) -> ConfigFlowResult:
        """Keep the other groups' options when one group is saved."""
        return self.async_create_entry(data={**self.config_entry.options, **user_input})
