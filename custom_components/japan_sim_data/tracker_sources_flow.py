"""The usage part of the tracker's sources form: counters Home Assistant has, in two clicks.

The form offers each discovered counter (``counter_discovery``) as one choice, a phone's or a
router's receive + send pair together, and keeps a free sensor field for anything else. Both
end up in one list of sensors in the entry's options, which the tracker sums: the choices are
only a way to fill that list, so nothing about them is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import probatio as vol
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .const import CONF_USAGE_SENSORS
from .counter_discovery import (
    CounterKind,
    CounterPreset,
    discover_counters,
    names_of,
    preset_entities,
)

CONF_COUNTER_PRESETS: Final = "counter_presets"
# Kinds made for one purpose (a phone's mobile data, a router's WAN): when exactly one such
# counter exists, a new tracked SIM starts with it chosen.
_DEDICATED: Final = frozenset(CounterKind) - {CounterKind.OTHER}


@dataclass(frozen=True, slots=True)
class CounterChoices:
    """The counters a form offers: those that report, and those still disabled."""

    presets: list[CounterPreset] = field(default_factory=list)
    disabled: list[CounterPreset] = field(default_factory=list)

    @classmethod
    def discover(cls, hass: HomeAssistant) -> CounterChoices:
        """Find the counters Home Assistant has now."""
        found = discover_counters(hass)
        return cls(
            [preset for preset in found if not preset.disabled],
            [preset for preset in found if preset.disabled],
        )

    def fields(self) -> dict[Any, Any]:
        """The form's usage fields: the counters found (when any) and any other sensors."""
        fields: dict[Any, Any] = {}
        if self.presets:
            fields[vol.Optional(CONF_COUNTER_PRESETS)] = SelectSelector(
                SelectSelectorConfig(
                    options=[
                        SelectOptionDict(value=preset.value, label=preset.label)
                        for preset in self.presets
                    ],
                    multiple=True,
                    mode=SelectSelectorMode.LIST,
                )
            )
        fields[vol.Optional(CONF_USAGE_SENSORS)] = EntitySelector(
            EntitySelectorConfig(domain=Platform.SENSOR, device_class="data_size", multiple=True)
        )
        return fields

    @property
    def placeholders(self) -> dict[str, str]:
        """The description's lists: counters found by kind, and those to enable first."""
        return {
            "phone_counters": names_of(self.presets, lambda p: p.kind is CounterKind.PHONE),
            "router_counters": names_of(
                self.presets, lambda p: p.kind not in (CounterKind.PHONE, CounterKind.OTHER)
            ),
            "other_counters": names_of(self.presets, lambda p: p.kind is CounterKind.OTHER),
            "disabled_counters": names_of(self.disabled, lambda _: True),
        }

    def suggested(self, sensors: list[str], *, new: bool) -> dict[str, Any]:
        """The usage fields' values for the sensors an entry has.

        A counter whose sensors are all among them is shown chosen; the other sensors stay in
        the free field. A new entry with no sensors starts from the one dedicated counter, when
        there is exactly one.
        """
        if new and not sensors:
            dedicated = [preset for preset in self.presets if preset.kind in _DEDICATED]
            if len(dedicated) == 1:
                return {CONF_COUNTER_PRESETS: [dedicated[0].value]}
            return {}
        chosen = [preset for preset in self.presets if set(preset.entity_ids) <= set(sensors)]
        covered = {entity_id for preset in chosen for entity_id in preset.entity_ids}
        values: dict[str, Any] = {}
        if chosen:
            values[CONF_COUNTER_PRESETS] = [preset.value for preset in chosen]
        if rest := [sensor for sensor in sensors if sensor not in covered]:
            values[CONF_USAGE_SENSORS] = rest
        return values


def merge_usage(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The answers with the chosen counters' sensors and the other sensors in one list.

    Order is kept and each sensor counted once: the tracker sums the list, so a sensor named
    twice would count its data twice. An empty list leaves the key out.
    """
    cleaned = {key: value for key, value in user_input.items() if key != CONF_COUNTER_PRESETS}
    sensors: list[str] = []
    for value in user_input.get(CONF_COUNTER_PRESETS, []):
        sensors.extend(preset_entities(value))
    sensors.extend(user_input.get(CONF_USAGE_SENSORS, []))
    unique = list(dict.fromkeys(sensors))
    if unique:
        cleaned[CONF_USAGE_SENSORS] = unique
    else:
        cleaned.pop(CONF_USAGE_SENSORS, None)
    return cleaned
