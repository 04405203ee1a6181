"""Config flow: pick a carrier, log in, and create one entry per carrier account.

The steps live in one module per kind of login: a password (password_flow.py), an e-mailed
code (povo_flow.py), a pasted token (mineo_flow.py) and none, a tracked SIM
(tracker_setup_flow.py; its Reconfigure in tracker_reconfigure.py). Each ends in the one
finisher (flow_common.py) that creates the entry or updates the one being changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
from homeassistant.core import callback

from .adapters import CARRIER_PROFILES, LoginKind
from .carriers.models import Carrier
from .const import CONF_CARRIER, DOMAIN
from .mineo_flow import MineoLoginFlow
from .password_flow import PasswordLoginFlow
from .povo_flow import PovoLoginFlow
from .tracker_reconfigure import TrackerReconfigureFlow
from .tracker_setup_flow import TrackerSetupFlow

if TYPE_CHECKING:
    from .options_flow import JapanSimDataOptionsFlow

# Home Assistant imports this module when it sets up any entry: the povo adapter, the tracker's
# forms (which compile notice patterns) and the options flow are imported when a step needs them.


class JapanSimDataConfigFlow(
    PasswordLoginFlow,
    PovoLoginFlow,
    MineoLoginFlow,
    TrackerSetupFlow,
    TrackerReconfigureFlow,
    domain=DOMAIN,
):
    """Add a carrier account or a tracked SIM; each kind of login's steps in its own module."""

    VERSION = 1
    MINOR_VERSION = 2
    """1.2: unique ids and device identifiers keyed with the installation's secret."""

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: ConfigEntry,  # noqa: ARG004 - Home Assistant's signature
    ) -> JapanSimDataOptionsFlow:
        """Options: alert thresholds, and the billing cycle where the user picks it."""
        from .options_flow import JapanSimDataOptionsFlow  # noqa: PLC0415 - when it opens

        return JapanSimDataOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user pick the carrier."""
        return self.async_show_menu(
            step_id="user",
            menu_options=[*(carrier.value for carrier in CARRIER_PROFILES), Carrier.TRACKER.value],
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start re-authentication when the carrier rejected the stored credentials."""
        login = CARRIER_PROFILES[Carrier(entry_data[CONF_CARRIER])].login
        if login is LoginKind.EMAIL_CODE:
            return await self.async_step_povo_reauth()
        if login is LoginKind.REFRESH_TOKEN:
            return await self.async_step_mineo_reauth()
        return await self.async_step_reauth_confirm()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the login of the same account (for example a new password)."""
        entry = self._get_reconfigure_entry()
        profile = CARRIER_PROFILES.get(Carrier(entry.data[CONF_CARRIER]))
        if profile is None:
            # A tracked SIM has no login: Reconfigure changes its plan (tracker_reconfigure.py).
            return await self.async_step_reconfigure_plan()
        if profile.login is LoginKind.EMAIL_CODE:
            return await self.async_step_povo_reauth()
        if profile.login is LoginKind.REFRESH_TOKEN:
            return await self.async_step_mineo_reauth()
        return await self._async_step_password_reconfigure(entry, user_input)
