"""Binary sensors per SIM: low data, data expiring soon, and throttled where it is reported."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .carriers.insights import is_expiring_soon, is_low_data
from .carriers.models import Carrier
from .carriers.units import GIB
from .const import (
    CONF_EXPIRY_LEAD_DAYS,
    CONF_LOW_DATA_THRESHOLD,
    CONF_LOW_DATA_UNIT,
    DEFAULT_EXPIRY_LEAD_DAYS,
    DEFAULT_LOW_DATA_THRESHOLD,
    LowDataUnit,
)
from .coordinator import JapanSimDataConfigEntry, SimDataCoordinator, SimView
from .entity import JapanSimDataEntity, async_add_sim_entities, carried_figures_attributes

PARALLEL_UPDATES = 0

# Carriers that say when a line is slowed down: IIJmio's app API (regulationStatus), mineo
# (the mineo switch, tushinSettingStatusCode) and the plan tracker (carrier notices).
_REPORTS_THROTTLING: Final = frozenset({Carrier.IIJMIO, Carrier.MINEO, Carrier.TRACKER})


def _low_data(view: SimView, options: Mapping[str, Any]) -> bool | None:
    sim = view.sim
    if sim.is_unlimited(view.now):
        # While unlimited data runs (a 24-hour topping), the remaining figure runs nothing out.
        return False
    return is_low_data(
        sim,
        float(options.get(CONF_LOW_DATA_THRESHOLD, DEFAULT_LOW_DATA_THRESHOLD)),
        percent=options.get(CONF_LOW_DATA_UNIT) == LowDataUnit.PERCENT,
    )


def _expiring_soon(view: SimView, options: Mapping[str, Any]) -> bool | None:
    lead_days = int(options.get(CONF_EXPIRY_LEAD_DAYS, DEFAULT_EXPIRY_LEAD_DAYS))
    return is_expiring_soon(view.sim, view.now, lead_days)


def _near_next_step(view: SimView, options: Mapping[str, Any]) -> bool | None:
    """A plan without a cap: the next step is within the low-data threshold (its lead).

    A threshold in percent is a share of the step ahead.
    """
    sim = view.sim
    steps, step = sim.usage_steps, sim.next_step
    if steps is None:
        return None
    threshold = float(options.get(CONF_LOW_DATA_THRESHOLD, DEFAULT_LOW_DATA_THRESHOLD))
    if options.get(CONF_LOW_DATA_UNIT) == LowDataUnit.PERCENT:
        lead = round((step or 0) * threshold / 100)
    else:
        lead = round(threshold * GIB)
    return steps.is_near(sim.used, lead)


@dataclass(frozen=True, kw_only=True)
class JapanSimDataBinarySensorDescription(BinarySensorEntityDescription):
    """A yes/no fact about a SIM, read with the entry's options."""

    is_on_fn: Callable[[SimView, Mapping[str, Any]], bool | None]
    carriers: frozenset[Carrier] = frozenset(Carrier)
    may_be_carried: bool = False
    """A fact a fallback route keeps from an earlier read: its age is shown beside it."""


BINARY_SENSORS: tuple[JapanSimDataBinarySensorDescription, ...] = (
    JapanSimDataBinarySensorDescription(
        key="low_data",
        translation_key="low_data",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=_low_data,
    ),
    JapanSimDataBinarySensorDescription(
        key="data_expiring_soon",
        translation_key="data_expiring_soon",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=_expiring_soon,
    ),
    JapanSimDataBinarySensorDescription(
        key="near_next_step",
        translation_key="near_next_step",
        is_on_fn=_near_next_step,
        # Made only for a plan without a cap (coordinator.makes_entity).
        carriers=frozenset({Carrier.TRACKER}),
    ),
    JapanSimDataBinarySensorDescription(
        key="throttled",
        translation_key="throttled",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda view, _: view.sim.throttled,
        carriers=_REPORTS_THROTTLING,
        may_be_carried=True,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: JapanSimDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add binary sensors for every SIM, and for SIMs that appear later."""
    coordinator = entry.runtime_data.coordinator
    descriptions = [d for d in BINARY_SENSORS if coordinator.makes(d)]
    async_add_sim_entities(
        entry,
        async_add_entities,
        lambda sim_id: (
            JapanSimDataBinarySensor(coordinator, sim_id, description)
            for description in descriptions
        ),
        Platform.BINARY_SENSOR,
    )


class JapanSimDataBinarySensor(JapanSimDataEntity, BinarySensorEntity):
    """A yes/no fact about one SIM; unknown when the figures behind it are."""

    entity_description: JapanSimDataBinarySensorDescription

    def __init__(
        self,
        coordinator: SimDataCoordinator,
        sim_id: str,
        description: JapanSimDataBinarySensorDescription,
    ) -> None:
        """Describe one fact of one SIM."""
        super().__init__(coordinator, sim_id, description.key)
        self.entity_description = description

    @property
    def is_on(self) -> bool | None:
        """On, off, or None (unknown)."""
        view = self._view()
        return None if view is None else self._value_of(view)

    def _value_of(self, view: SimView) -> bool | None:
        # Only data that can still be used (the view's): an expired bucket a carrier still
        # lists is not "data left", and its past expiry is not "expiring soon".
        return self.entity_description.is_on_fn(view, self.coordinator.config_entry.options)

    def _attributes_of(self, view: SimView) -> Mapping[str, Any] | None:
        # When the fact was read, if a fallback route keeps it from an earlier read.
        if self.entity_description.may_be_carried:
            return carried_figures_attributes(view.sim)
        return None
