"""Sensors per SIM: data left by bucket, days left, expiry, daily budget and a forecast."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, Platform, UnitOfInformation, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .background import logged
from .carriers.dates import TOKYO
from .carriers.insights import (
    carrier_amount,
    daily_budget,
    valid_days_left,
    valid_expiry,
    whole_mib,
)
from .carriers.models import BucketKind, Carrier, SimUsage
from .coordinator import JapanSimDataConfigEntry, SimDataCoordinator, SimView
from .entity import (
    JapanSimDataEntity,
    async_add_sim_entities,
    carried_figures_attributes,
    sim_device_name,
)

# Read-only entities fed by the coordinator: no limit on parallel updates.
PARALLEL_UPDATES = 0


def at_moment[T](value_fn: Callable[[SimUsage, datetime], T]) -> Callable[[SimView], T]:
    """Read a figure of the SIM at the view's moment."""
    return lambda view: value_fn(view.sim, view.now)


def _expiry_date(sim: SimUsage, now: datetime) -> date | None:
    expiry = valid_expiry(sim, now)
    return None if expiry is None else expiry.astimezone(TOKYO).date()


def _resets_on(sim: SimUsage, now: datetime) -> date | None:
    # A reset day the carrier has not moved on yet is behind us: not a day to come.
    resets_on = sim.resets_on
    return (
        resets_on if resets_on is not None and resets_on >= now.astimezone(TOKYO).date() else None
    )


def _unlimited_until(sim: SimUsage, now: datetime) -> datetime | None:
    until = sim.unlimited_until
    return until if until is not None and until > now else None


# Carriers whose answers carry each figure: a sensor that could only ever be unknown is not made.
_ALL: Final = frozenset(Carrier)
_LIVE: Final = _ALL - {Carrier.TRACKER}
_SOFTBANK_FAMILY: Final = frozenset({Carrier.SOFTBANK, Carrier.YMOBILE, Carrier.LINEMO})
# Both member pages split the data: My SoftBank's chart into the plan, carried over (with
# carried-over additions, 追加繰越) and additions; My Y!mobile's tables into くりこし分, the
# base, paid data and, on some pages, other grants (the only gifts of the family).
_SOFTBANK_PAGES: Final = _SOFTBANK_FAMILY
# Carriers that report finer than they show: povo's API counts kilobytes, its app "60.00GB".
_SHOWN_IN_HUNDREDTHS: Final = frozenset({Carrier.POVO})


@dataclass(frozen=True, kw_only=True)
class JapanSimDataSensorDescription(SensorEntityDescription):
    """A SIM sensor, how to read its value, and which carriers report it.

    ``value_fn`` is given the SIM with only the buckets valid now, and what is kept of it.
    """

    value_fn: Callable[[SimView], int | str | date | datetime | None]
    carriers: frozenset[Carrier] = _ALL
    carrier_amount: bool = False
    """A data amount the carrier reports: shown at the resolution it is reported."""
    attributes_fn: Callable[[SimUsage], Mapping[str, Any] | None] | None = None
    """Attributes beside the value (the figures' age, an inquiry's answer)."""


def _data_size(
    key: str,
    value_fn: Callable[[SimUsage], int | None],
    carriers: frozenset[Carrier] = _ALL,
    state_class: SensorStateClass | None = None,
    *,
    may_be_carried: bool = False,
) -> JapanSimDataSensorDescription:
    """Describe a data-amount sensor: bytes, shown in GiB because Japanese carriers' "GB" is."""
    return JapanSimDataSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.GIBIBYTES,
        suggested_display_precision=2,
        state_class=state_class,
        value_fn=lambda view: value_fn(view.sim),
        carriers=carriers,
        carrier_amount=True,
        # A figure a fallback route keeps from an earlier read: its age is shown beside it.
        attributes_fn=carried_figures_attributes if may_be_carried else None,
    )


SENSORS: tuple[JapanSimDataSensorDescription, ...] = (
    _data_size(
        "remaining_data",
        lambda sim: sim.remaining,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    _data_size(
        "data_allowance",
        lambda sim: sim.allowance,
        carriers=frozenset({Carrier.IIJMIO, Carrier.MINEO, Carrier.POVO, Carrier.TRACKER}),
    ),
    _data_size(
        "base_data",
        lambda sim: sim.remaining_of(BucketKind.MONTHLY),
        carriers=_LIVE,
    ),
    _data_size(
        "carried_over_data",
        lambda sim: sim.remaining_of(BucketKind.CARRIED_OVER),
        carriers=_SOFTBANK_PAGES | {Carrier.IIJMIO, Carrier.MINEO},
    ),
    _data_size(
        "topping_data",
        lambda sim: sim.remaining_of(BucketKind.TOPPING),
        carriers=_SOFTBANK_PAGES | {Carrier.MINEO, Carrier.POVO, Carrier.TRACKER},
    ),
    _data_size(
        "gifted_data",
        lambda sim: sim.remaining_of(BucketKind.GIFT),
        carriers=frozenset({Carrier.YMOBILE, Carrier.MINEO, Carrier.POVO}),
    ),
    _data_size(
        "data_used",
        lambda sim: sim.used,
        carriers=_SOFTBANK_FAMILY | {Carrier.IIJMIO, Carrier.POVO, Carrier.TRACKER},
        state_class=SensorStateClass.MEASUREMENT,
        may_be_carried=True,
    ),
    # A plan without a cap (price steps, a throttle tier): the step ahead and the use left
    # before it; made only for such a plan (coordinator.makes_entity).
    _data_size("next_step", lambda sim: sim.next_step, carriers=frozenset({Carrier.TRACKER})),
    _data_size(
        "data_to_next_step",
        lambda sim: sim.left_until_next_step,
        carriers=frozenset({Carrier.TRACKER}),
        state_class=SensorStateClass.MEASUREMENT,
    ),
    JapanSimDataSensorDescription(
        key="days_left",
        translation_key="days_left",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.DAYS,
        suggested_display_precision=0,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=at_moment(valid_days_left),
    ),
    JapanSimDataSensorDescription(
        key="daily_budget",
        translation_key="daily_budget",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.MEBIBYTES,
        suggested_display_precision=0,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=at_moment(daily_budget),
    ),
    JapanSimDataSensorDescription(
        key="data_expires",
        translation_key="data_expires",
        device_class=SensorDeviceClass.DATE,
        value_fn=at_moment(_expiry_date),
    ),
    JapanSimDataSensorDescription(
        key="data_resets_on",
        translation_key="data_resets_on",
        device_class=SensorDeviceClass.DATE,
        value_fn=at_moment(_resets_on),
        carriers=_SOFTBANK_FAMILY | {Carrier.IIJMIO, Carrier.MINEO, Carrier.TRACKER},
    ),
    JapanSimDataSensorDescription(
        key="plan",
        translation_key="plan",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda view: view.sim.plan_name,
        carriers=frozenset({Carrier.IIJMIO, Carrier.MINEO}),
    ),
    JapanSimDataSensorDescription(
        key="unlimited_until",
        translation_key="unlimited_until",
        device_class=SensorDeviceClass.TIMESTAMP,
        # Unknown when no unlimited topping runs: never a made-up end.
        value_fn=at_moment(_unlimited_until),
        carriers=frozenset({Carrier.POVO}),
    ),
    # Forecast from the SIM's recent readings, kept across restarts by the coordinator's
    # history. A day: already what the sensor shows, so a poll that moves the rate a little
    # writes nothing until the forecast moves to another day; unknown until there is a trend.
    JapanSimDataSensorDescription(
        key="runs_out_on",
        translation_key="runs_out_on",
        device_class=SensorDeviceClass.DATE,
        value_fn=lambda view: view.history.runs_out_on(view.now, view.sim.remaining),
    ),
    # Data used since midnight in Tokyo: a daily meter, so the statistics card shows use per
    # day. In whole MiB (what the sensor shows); unknown until two readings can be compared.
    JapanSimDataSensorDescription(
        key="used_today",
        translation_key="used_today",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.MEBIBYTES,
        suggested_display_precision=0,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda view: whole_mib(view.used_today),
    ),
)
RUNS_OUT_ON, USED_TODAY = SENSORS[-2:]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: JapanSimDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors for every SIM, and for SIMs that appear on the account later."""
    coordinator = entry.runtime_data.coordinator
    # With the sensors of this kind of entry only (a tracked SIM's notices and inquiry), those
    # this entry's SIMs can ever have a figure for (their carrier, a tracked SIM's plan, sources).
    descriptions = [
        d for d in (*SENSORS, *coordinator.extra_sensor_descriptions()) if coordinator.makes(d)
    ]

    @callback
    def record_readings() -> None:
        if not coordinator.last_update_success:
            # The figures are the last answer's, not a new reading: a failed poll is a gap.
            coordinator.usage_today.async_mark_gap()
            return
        coordinator.history.async_record(coordinator.data)
        coordinator.usage_today.async_record(coordinator.data)
        if any(sim.daily_usage for sim in coordinator.data.sims.values()):
            entry.async_create_task(
                hass,
                logged(_async_import_daily_usage(entry), "Importing the carrier's daily usage"),
                eager_start=False,
            )

    await coordinator.history.async_load()
    await coordinator.usage_today.async_load()
    await coordinator.daily_statistics.async_load()
    entry.async_on_unload(coordinator.history.async_save)
    entry.async_on_unload(coordinator.usage_today.async_save)
    entry.async_on_unload(coordinator.daily_statistics.async_save)
    record_readings()
    entry.async_on_unload(coordinator.async_add_listener(record_readings))

    def entities_for(sim_id: str) -> list[SensorEntity]:
        return [
            JapanSimDataSensor(coordinator, sim_id, description) for description in descriptions
        ]

    async_add_sim_entities(entry, async_add_entities, entities_for, Platform.SENSOR)


class JapanSimDataSensor(JapanSimDataEntity, SensorEntity):
    """A figure of one SIM, compared between polls by its native value.

    Home Assistant's state is that value validated and converted to the unit the user chose
    (no rounding), so it changes exactly when the value does; a change of unit writes the
    state by itself. Comparing the value skips that work for every sensor at every poll.
    """

    entity_description: JapanSimDataSensorDescription

    def __init__(
        self,
        coordinator: SimDataCoordinator,
        sim_id: str,
        description: JapanSimDataSensorDescription,
    ) -> None:
        """Describe one figure of one SIM."""
        super().__init__(coordinator, sim_id, description.key)
        self.entity_description = description
        self._hundredths = coordinator.carrier in _SHOWN_IN_HUNDREDTHS

    @property
    def native_value(self) -> int | float | str | date | datetime | None:
        """The figure, or None (unknown) when the carrier did not give it."""
        view = self._view()
        return None if view is None else self._value_of(view)

    def _value_of(self, view: SimView) -> int | float | str | date | datetime | None:
        description = self.entity_description
        value = description.value_fn(view)
        if description.carrier_amount and isinstance(value, int):
            return carrier_amount(value, hundredths=self._hundredths)
        return value

    def _attributes_of(self, view: SimView) -> Mapping[str, Any] | None:
        # What the description shows beside the figure (its age, an inquiry's answer).
        attributes_fn = self.entity_description.attributes_fn
        return None if attributes_fn is None else attributes_fn(view.sim)


async def _async_import_daily_usage(entry: JapanSimDataConfigEntry) -> None:
    """Bring the long-term statistics of every SIM's past days up to date."""
    coordinator = entry.runtime_data.coordinator
    key = entry.runtime_data.key
    usage = coordinator.data
    names = {
        sim_id: sim_device_name(coordinator.carrier_name, sim) for sim_id, sim in usage.sims.items()
    }
    await coordinator.daily_statistics.async_import(
        usage, lambda sim_id: key.sim_id(coordinator.carrier, sim_id), names
    )
