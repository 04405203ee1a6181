"""Counters Home Assistant already has that can count a tracked SIM's data.

The tracker's sources step offers them as presets, so a user picks a phone's or a router's
counter instead of searching for the right sensor. Each preset is a receive + send pair (the
tracker sums a preset's sensors) or a single counter; the tracker's intake converts each
sensor's ``unit_of_measurement`` to bytes and applies Home Assistant's reset rule (a drop of
more than 10 % is a new cycle), so nothing here converts or resets.

Where each kind comes from (read in Home Assistant 2026.10.4's sources and the companion app's):
- Android companion app, ``TrafficStatsManager.kt`` (home-assistant/android, commit
  2bbac0cc8236ea20b99b5bbbe7fd3d2fa89a0f1e): sensors ``mobile_rx_gb`` / ``mobile_tx_gb``, unit
  "GB" (bytes / 1 000 000 000, rounded to 3 decimals, i.e. 1 MB), state class
  ``total_increasing``, no device class. Android's TrafficStats restart from 0 at every reboot
  and count every mobile interface: both SIMs of a dual-SIM phone. The registry's unique id is
  ``<webhook id>_mobile_rx_gb`` (``mobile_app/webhook.py``, ``_gen_unique_id``).
- ``huawei_lte/sensor.py``: ``TotalDownload`` / ``TotalUpload`` (bytes, ``total_increasing``)
  and ``CurrentMonthDownload`` / ``CurrentMonthUpload`` (bytes, ``total`` with the router's
  monthly ``last_reset``); unique id ``<entry unique id>-<group key>.<item>``.
- ``upnp/sensor.py``: ``bytes_received`` / ``bytes_sent`` (bytes, ``total_increasing``,
  disabled by default; 32-bit on many routers); unique id ``<udn>_bytes_received``.
- ``netgear_lte/sensor.py``: ``usage`` (bytes shown in MiB, no state class, disabled by
  default); unique id ``usage_<serial number>``.
- Any other sensor of device class ``data_size`` with state class ``total_increasing``, except
  this integration's own (a SIM's Used today is a result, not a source).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from homeassistant.components.sensor import (
    ATTR_STATE_CLASS,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_FRIENDLY_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .const import DOMAIN


class CounterKind(StrEnum):
    """Kinds of counters, in the order the form lists them."""

    PHONE = "phone"
    ROUTER_TOTAL = "router_total"
    ROUTER_MONTH = "router_month"
    UPNP = "upnp"
    NETGEAR = "netgear_lte"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class CounterSpec:
    """How one integration's counters are told apart: its platform and unique-id shape."""

    kind: CounterKind
    platform: str
    # Each role's unique-id suffix (or prefix, for NETGEAR LTE), receive first.
    roles: tuple[str, ...]
    prefix: bool = False

    def stem(self, unique_id: str) -> tuple[int, str] | None:
        """The role and the device part of a unique id, or None when it is not this counter."""
        for index, role in enumerate(self.roles):
            if self.prefix and unique_id.startswith(role):
                return index, unique_id.removeprefix(role)
            if not self.prefix and unique_id.endswith(role):
                return index, unique_id.removesuffix(role)
        return None


SPECS: Final = (
    CounterSpec(CounterKind.PHONE, "mobile_app", ("_mobile_rx_gb", "_mobile_tx_gb")),
    CounterSpec(
        CounterKind.ROUTER_TOTAL,
        "huawei_lte",
        (
            "-monitoring_traffic_statistics.TotalDownload",
            "-monitoring_traffic_statistics.TotalUpload",
        ),
    ),
    CounterSpec(
        CounterKind.ROUTER_MONTH,
        "huawei_lte",
        (
            "-monitoring_month_statistics.CurrentMonthDownload",
            "-monitoring_month_statistics.CurrentMonthUpload",
        ),
    ),
    CounterSpec(CounterKind.UPNP, "upnp", ("_bytes_received", "_bytes_sent")),
    CounterSpec(CounterKind.NETGEAR, "netgear_lte", ("usage_",), prefix=True),
)
# The integrations' own names (their manifests'), the same in every language.
INTEGRATION_NAMES: Final = {
    "mobile_app": "Mobile App",
    "huawei_lte": "Huawei LTE",
    "upnp": "UPnP/IGD",
    "netgear_lte": "NETGEAR LTE",
}
# Separates a preset's entity ids in its option value (an entity id never holds a comma).
SEPARATOR: Final = ","


@dataclass(frozen=True, slots=True)
class CounterPreset:
    """One choice of the form: the sensors of one counter, summed by the tracker."""

    kind: CounterKind
    entity_ids: tuple[str, ...]
    label: str
    disabled: bool = False

    @property
    def value(self) -> str:
        """The option's value: its entity ids, so a submitted form needs no second search."""
        return SEPARATOR.join(self.entity_ids)


def preset_entities(value: str) -> list[str]:
    """The entity ids a preset's option value names."""
    return [entity_id for entity_id in value.split(SEPARATOR) if entity_id]


def discover_counters(hass: HomeAssistant) -> list[CounterPreset]:
    """Every counter that could count a SIM's data, phones and routers first.

    Counters a user disabled, or that their integration disables by default (UPnP, NETGEAR
    LTE), are returned with ``disabled`` set: they send nothing until enabled.
    """
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    grouped: dict[tuple[CounterSpec, str], dict[int, er.RegistryEntry]] = {}
    for entry in entities.entities.values():
        if entry.domain != Platform.SENSOR:
            continue
        for spec in SPECS:
            if entry.platform != spec.platform:
                continue
            found = spec.stem(entry.unique_id)
            if found is not None:
                grouped.setdefault((spec, found[1]), {})[found[0]] = entry
                break
    presets: list[CounterPreset] = []
    taken: set[str] = set()
    for (spec, _), roles in grouped.items():
        members = [roles[index] for index in sorted(roles)]
        taken.update(member.entity_id for member in members)
        presets.append(
            CounterPreset(
                kind=spec.kind,
                entity_ids=tuple(member.entity_id for member in members),
                label=_label(hass, devices, spec.platform, members),
                disabled=any(member.disabled_by is not None for member in members),
            )
        )
    # This integration's own figures (a SIM's Used today) are results, never a source: a SIM
    # fed by them would count its own use again.
    taken.update(
        entry.entity_id for entry in entities.entities.values() if entry.platform == DOMAIN
    )
    presets.extend(_other_counters(hass, taken))
    order = list(CounterKind)
    presets.sort(key=lambda preset: (preset.disabled, order.index(preset.kind), preset.label))
    return presets


def _other_counters(hass: HomeAssistant, taken: set[str]) -> list[CounterPreset]:
    """Data-size sensors with a running total that no preset above already names."""
    return [
        CounterPreset(CounterKind.OTHER, (state.entity_id,), _name(hass, state.entity_id))
        for state in hass.states.async_all(Platform.SENSOR)
        if state.entity_id not in taken
        and state.attributes.get(ATTR_DEVICE_CLASS) == SensorDeviceClass.DATA_SIZE
        and state.attributes.get(ATTR_STATE_CLASS) == SensorStateClass.TOTAL_INCREASING
    ]


def _label(
    hass: HomeAssistant,
    devices: dr.DeviceRegistry,
    platform: str,
    members: list[er.RegistryEntry],
) -> str:
    """``Mobile App · Pixel 8: Mobile Rx GB + Mobile Tx GB``: where it is, then what."""
    device = devices.async_get(members[0].device_id) if members[0].device_id else None
    names = " + ".join(_name(hass, member.entity_id, member) for member in members)
    where = INTEGRATION_NAMES[platform]
    if device is not None:
        where += f" · {device.name_by_user or device.name or device.id}"
    return f"{where}: {names}"


def _name(hass: HomeAssistant, entity_id: str, entry: er.RegistryEntry | None = None) -> str:
    """A sensor as the user sees it: its friendly name, else its registry name, else its id."""
    state = hass.states.get(entity_id)
    friendly = state.attributes.get(ATTR_FRIENDLY_NAME) if state is not None else None
    if isinstance(friendly, str) and friendly:
        return friendly
    if entry is not None and (entry.name or entry.original_name):
        return str(entry.name or entry.original_name)
    return entity_id


def names_of(presets: list[CounterPreset], wanted: Callable[[CounterPreset], bool]) -> str:
    """The labels of the presets ``wanted`` picks, one a line, or a dash when there are none."""
    labels = [preset.label for preset in presets if wanted(preset)]
    return "\n".join(f"- {label}" for label in labels) if labels else "-"
