"""A plan without a cap in Home Assistant: price steps and a throttle tier.

Rakuten Mobile's Rakuten最強プラン has no cap: its price rises at 3 GB and 20 GB of a month's use
(carriers/plan.py names the source). Its SIM shows the data used this period, the next step and
the data left until it, and a binary sensor before a step; nothing that counts data down.
"""

from __future__ import annotations

from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er

from custom_components.japan_sim_data.carriers.models import Carrier
from custom_components.japan_sim_data.carriers.units import GIB
from custom_components.japan_sim_data.const import (
    CONF_ALLOWANCE,
    CONF_LOW_DATA_THRESHOLD,
    CONF_LOW_DATA_UNIT,
    CONF_NOTICE_EVENTS,
    CONF_PLAN_KIND,
    CONF_TRACKED_CARRIER,
    CONF_USAGE_SENSORS,
    CONF_USAGE_STEPS,
    DOMAIN,
)
from custom_components.japan_sim_data.identifiers import InstallationKey

from .test_tracker import TRACKER_ID, _entry, _setup, _sim, _tick
from .test_tracker_sources import RX, TX, _phone, _restart

PLATFORMS = [Platform.SENSOR, Platform.BINARY_SENSOR]
RAKUTEN: dict[str, Any] = {
    CONF_TRACKED_CARRIER: "rakuten_mobile",
    CONF_PLAN_KIND: "price_steps",
    CONF_USAGE_STEPS: [3, 20],
    # Left over from a plan with a cap: a plan without one counts no allowance.
    CONF_ALLOWANCE: 20.0,
}
# Entities that count data down: a plan without a cap has none of them.
CAPPED = {
    ("sensor", "remaining_data"),
    ("binary_sensor", "low_data"),
    ("sensor", "daily_budget"),
    ("sensor", "data_allowance"),
    ("sensor", "topping_data"),
    ("sensor", "data_expires"),
    ("binary_sensor", "data_expiring_soon"),
    ("sensor", "runs_out_on"),
}
STEPPED = {
    ("sensor", "next_step"),
    ("sensor", "data_to_next_step"),
    ("binary_sensor", "near_next_step"),
}


def _made(hass: HomeAssistant) -> set[tuple[str, str]]:
    return {
        (entity.domain, entity.translation_key or "")
        for entity in er.async_get(hass).entities.values()
        if entity.platform == DOMAIN
    }


def _state(hass: HomeAssistant, domain: str, key: str) -> str:
    (entity_id,) = (
        entity.entity_id
        for entity in er.async_get(hass).entities.values()
        if entity.platform == DOMAIN and entity.domain == domain and entity.translation_key == key
    )
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def _gib(hass: HomeAssistant, key: str) -> float:
    return round(float(_state(hass, "sensor", key)), 2)


async def test_a_tiered_plan_across_a_price_step_and_the_month_end(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The phone's counters feed use; past 3 GB the next step is 20 GB; a new month starts over."""
    _phone(hass, RX, "10.000")
    _phone(hass, TX, "1.000")
    entry = _entry(data=RAKUTEN, options={CONF_USAGE_SENSORS: [RX, TX]})
    await _setup(hass, freezer, entry, "2025-11-25T12:00:00+09:00", PLATFORMS)

    made = _made(hass)
    assert not made & CAPPED
    assert made >= STEPPED | {("sensor", "data_used"), ("sensor", "data_resets_on")}
    sim = _sim(entry)
    assert (sim.allowance, sim.remaining, sim.used, sim.next_step) == (None, None, 0, 3 * GIB)
    # Days left until the month starts again: nothing expires on the way.
    assert sim.buckets == ()
    assert _state(hass, "sensor", "days_left") == "6"
    assert _gib(hass, "next_step") == 3.0
    assert _gib(hass, "data_to_next_step") == 3.0
    assert _state(hass, "binary_sensor", "near_next_step") == "off"

    # 2.2 GB (decimal, as the phone counts) used: within the 1 GiB lead of the 3 GB step.
    _phone(hass, RX, "12.000")
    _phone(hass, TX, "1.200")
    await _tick(hass, freezer, "2025-11-27T20:00:00+09:00")
    assert _gib(hass, "data_used") == 2.05
    assert _gib(hass, "data_to_next_step") == 0.95
    assert _state(hass, "binary_sensor", "near_next_step") == "on"

    # Past the first step: the next one is 20 GB, far away.
    _phone(hass, RX, "14.000")
    await _tick(hass, freezer, "2025-11-28T20:00:00+09:00")
    assert _gib(hass, "next_step") == 20.0
    assert _gib(hass, "data_to_next_step") == 16.09
    assert _state(hass, "binary_sensor", "near_next_step") == "off"

    # A restart keeps the figures.
    await _restart(hass, entry)
    assert _gib(hass, "next_step") == 20.0
    assert _gib(hass, "data_used") == 3.91

    # December: use starts again, the next step is the first one again.
    await _tick(hass, freezer, "2025-12-01T00:00:05+09:00")
    assert _state(hass, "sensor", "data_used") == "0.0"
    assert _gib(hass, "next_step") == 3.0
    assert _gib(hass, "data_to_next_step") == 3.0
    _phone(hass, RX, "14.500")
    await _tick(hass, freezer, "2025-12-01T09:00:00+09:00")
    assert _gib(hass, "data_to_next_step") == 2.53
    assert _sim(entry).allowance is None


async def test_a_throttle_tier_and_a_lead_in_percent(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Unlimited, slowed past 30 GB; the threshold in percent is a share of the step ahead."""
    _phone(hass, RX, "0")
    entry = _entry(
        data={CONF_PLAN_KIND: "throttle_tier", CONF_USAGE_STEPS: [30]},
        options={
            CONF_USAGE_SENSORS: [RX],
            CONF_LOW_DATA_THRESHOLD: 10,
            CONF_LOW_DATA_UNIT: "percent",
        },
    )
    await _setup(hass, freezer, entry, platforms=PLATFORMS)
    _phone(hass, RX, str(round(26.5 * GIB / 10**9, 3)))
    await _tick(hass, freezer, "2025-11-26T12:00:00+09:00")
    assert _state(hass, "binary_sensor", "near_next_step") == "off"
    _phone(hass, RX, str(round(27.5 * GIB / 10**9, 3)))
    await _tick(hass, freezer, "2025-11-26T13:00:00+09:00")
    assert _state(hass, "binary_sensor", "near_next_step") == "on"
    # Past the tier nothing is ahead.
    _phone(hass, RX, str(round(31 * GIB / 10**9, 3)))
    await _tick(hass, freezer, "2025-11-26T14:00:00+09:00")
    assert _state(hass, "binary_sensor", "near_next_step") == "off"
    assert _state(hass, "sensor", "next_step") == "unknown"


async def test_what_a_sim_without_a_counter_or_notices_cannot_show_is_not_made(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, installation_key: InstallationKey
) -> None:
    """No counter: no day's use, no forecast; no notice source: no last notice."""
    registry = er.async_get(hass)
    entry = _entry(options={})
    entry.add_to_hass(hass)
    sim_key = installation_key.sim_id(Carrier.TRACKER, TRACKER_ID)
    # Made by an earlier version: removed at setup, not left unavailable for good.
    stale = registry.async_get_or_create(
        "sensor", DOMAIN, f"{sim_key}_used_today", config_entry=entry
    )
    other = registry.async_get_or_create("sensor", DOMAIN, "placeholder", config_entry=entry)
    await _setup(hass, freezer, entry, platforms=PLATFORMS)
    assert registry.async_get(stale.entity_id) is None
    made = _made(hass)
    assert not made & {("sensor", "used_today"), ("sensor", "runs_out_on")}
    assert not made & {("sensor", "last_notice"), ("binary_sensor", "throttled")}
    assert ("sensor", "data_used") not in made
    assert not made & STEPPED
    # A correction (the set_remaining action) can still feed the data left.
    assert made >= {("sensor", "remaining_data"), ("binary_sensor", "low_data")}
    assert registry.async_get(other.entity_id) is not None  # not one of the SIM's

    # With a counter and notices, all of them are made.
    hass.config_entries.async_update_entry(
        entry, options={CONF_USAGE_SENSORS: [RX], CONF_NOTICE_EVENTS: ["imap_content"]}
    )
    _phone(hass, RX, "1.0")
    await _restart(hass, entry)
    assert _made(hass) >= {
        ("sensor", "used_today"),
        ("sensor", "runs_out_on"),
        ("sensor", "last_notice"),
        ("binary_sensor", "throttled"),
        ("sensor", "data_used"),
    }


async def test_a_plan_without_a_cap_refuses_a_remaining_data_correction(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Nothing shows remaining data for such a plan: the action says so in the user's words."""
    entry = _entry(data=RAKUTEN, options={CONF_USAGE_SENSORS: [RX]})
    _phone(hass, RX, "1.0")
    await _setup(hass, freezer, entry, platforms=PLATFORMS)
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN,
            "set_remaining",
            {"config_entry_id": entry.entry_id, "amount": 1.5},
            blocking=True,
        )
    assert raised.value.translation_key == "no_remaining_without_cap"
    assert raised.value.translation_placeholders == {"entry_title": "Router SIM"}
    assert _sim(entry).remaining is None
