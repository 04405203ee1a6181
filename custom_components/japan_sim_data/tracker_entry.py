"""What sets a tracked SIM's entry apart from a carrier account's, as the coordinator's hooks.

Platforms, setup, diagnostics and actions ask these hooks (coordinator.SimDataCoordinator)
instead of checking the kind of entry; the factory (factory.py) makes this class for a tracked
SIM. The ledger's wiring stays in tracker.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .carriers.models import SimUsage
from .carriers.plan import ValidityPlan
from .const import CONF_TRACKED_CARRIER, TRACKED_CARRIERS
from .coordinator import PlanActions, SimDataCoordinator
from .sensor import JapanSimDataSensorDescription
from .tracker import TRACKER_SECRET_KEYS, TrackerCoordinator, async_remove_tracker_state
from .tracker_sensors import LAST_INQUIRY, LAST_NOTICE

# Tracked carriers that are no company: a travel SIM's or an unnamed SIM's maker is unknown.
_NO_MAKER: Final = frozenset({"travel", "other"})


class TrackedSimCoordinator(TrackerCoordinator):
    """A tracked SIM: named by its owner, made by its carrier, with a plan of its own."""

    # Sender filters may be phone numbers or e-mail addresses: kept out of diagnostics.
    secret_keys = TRACKER_SECRET_KEYS

    @property
    def manufacturer(self) -> str | None:
        """The carrier the user named, unless it is no company (a travel SIM, another)."""
        tracked = self.config_entry.data.get(CONF_TRACKED_CARRIER, "")
        return None if tracked in _NO_MAKER else TRACKED_CARRIERS.get(tracked)

    def sim_name(self, sim: SimUsage) -> str:
        """The name its owner gave (the entry's title)."""
        return self.config_entry.title

    def sim_model(self, sim: SimUsage) -> str | None:
        """None: "Plan tracker" or a brand was English text, and the maker is the carrier."""
        return None

    @property
    def plan_end(self) -> date | None:
        """The last day of a plan of fixed validity (a travel SIM's); None for a monthly one."""
        plan = self.plan
        return plan.end if isinstance(plan, ValidityPlan) else None

    def extra_sensor_descriptions(self) -> tuple[JapanSimDataSensorDescription, ...]:
        """When a notice was last read; the SMS inquiry's sensor, when one is set."""
        return (LAST_NOTICE, LAST_INQUIRY) if self.asks_by_sms else (LAST_NOTICE,)

    @property
    def plan_actions(self) -> PlanActions:
        """Corrections by action: the data left, a top-up, a new period."""
        return self

    async def async_load(self) -> None:
        """Read what was kept of the SIM's devices, then what the tracker learnt."""
        await SimDataCoordinator.async_load(self)
        await super().async_load()

    @classmethod
    async def async_remove_stored(cls, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """Also delete what the tracker learnt, and its repair issues."""
        await super().async_remove_stored(hass, entry)
        await async_remove_tracker_state(hass, entry.entry_id)
