"""Sensors only a tracked SIM has: when a carrier notice was last read, and its SMS inquiry.

The tracker's coordinator offers them (``extra_sensor_descriptions``); the sensor platform
makes them like any other, so it never needs to know what a tracked SIM is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import EntityCategory

from .carriers.models import SimUsage
from .coordinator import SimView
from .sensor import JapanSimDataSensorDescription
from .tracker import LAST_INQUIRY_KEY, TrackedSimUsage


def _last_notice(view: SimView) -> datetime | None:
    sim = view.sim
    return sim.last_notice if isinstance(sim, TrackedSimUsage) else None


def _last_inquiry(view: SimView) -> datetime | None:
    """When the last inquiry was sent; unknown before the first."""
    sim = view.sim
    return sim.last_inquiry if isinstance(sim, TrackedSimUsage) else None


def _inquiry_answered(sim: SimUsage) -> dict[str, bool | None]:
    """Whether it was answered: null while the reply is awaited (or before any)."""
    return {"replied": sim.inquiry_replied if isinstance(sim, TrackedSimUsage) else None}


LAST_NOTICE: Final = JapanSimDataSensorDescription(
    key="last_notice",
    translation_key="last_notice",
    device_class=SensorDeviceClass.TIMESTAMP,
    value_fn=_last_notice,
)

# Made only when an inquiry is set; removed with it (tracker.LAST_INQUIRY_KEY).
LAST_INQUIRY: Final = JapanSimDataSensorDescription(
    key=LAST_INQUIRY_KEY,
    translation_key=LAST_INQUIRY_KEY,
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=_last_inquiry,
    attributes_fn=_inquiry_answered,
)
