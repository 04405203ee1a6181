"""A tracked SIM added as a user adds it, fed by a phone counter the sources form offers.

Real Home Assistant: the demo SIM of scripts/develop (tests/e2e/demo.py) goes through the
config flow's brand, plan and sources forms, choosing the phone's counters from the form's
discovered presets; the test then reads the device registry and the states over the API: one
device named as the user named it, made by the carrier, and figures the counter feeds.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import RunningHomeAssistant
from tests.e2e.demo import (
    DEMO_NAME,
    PHONE_START_GB,
    PHONE_TICK_GB,
    PHONE_USED_GB,
    add_demo_sim,
    phone_counter,
    set_phone_counter,
)

pytestmark = pytest.mark.e2e

GIB = 1024**3


def _number(state: dict[str, Any]) -> float | None:
    try:
        return float(state["state"])
    except ValueError:
        return None


def _gib(gigabytes: float) -> float:
    """The phone's decimal GB in GiB, as the SIM's sensors show them."""
    return gigabytes * 10**9 / GIB


def test_a_tracked_sim_with_a_phone_counter_is_one_live_device(
    home_assistant: RunningHomeAssistant,
) -> None:
    client = home_assistant.client
    add_demo_sim(client)

    (entry,) = (
        entry
        for entry in client.config_entries()
        if entry["domain"] == "japan_sim_data" and entry["title"] == DEMO_NAME
    )
    assert entry["state"] == "loaded", entry
    devices = [
        device
        for device in client.websocket_command({"type": "config/device_registry/list"})
        if entry["entry_id"] in device["config_entries"]
    ]
    # One device: named as the user named it, made by the carrier, no English model.
    assert [(d["name"], d["manufacturer"], d["model"]) for d in devices] == [
        (DEMO_NAME, "docomo", None)
    ]
    assert devices[0]["via_device_id"] is None
    entities = [
        entity
        for entity in client.websocket_command({"type": "config/entity_registry/list"})
        if entity["config_entry_id"] == entry["entry_id"]
    ]
    assert {entity["device_id"] for entity in entities} == {devices[0]["id"]}
    # A counter feeds it: a day's use is made; no step entities for a plan with a cap.
    keys = {entity["translation_key"] for entity in entities}
    assert {"data_used", "used_today", "remaining_data", "last_notice"} <= keys
    assert not keys & {"next_step", "data_to_next_step", "near_next_step"}

    # Live figures: what the phone used since the SIM was added, and the carrier's SMS.
    used = home_assistant.sim_entity(DEMO_NAME, "Used this period")
    remaining = home_assistant.sim_entity(DEMO_NAME, "Remaining data")
    first_use = _gib(sum(PHONE_USED_GB))
    state = home_assistant.wait_for_state(
        used, lambda s: _number(s) == pytest.approx(first_use, abs=0.01), "to show the phone's use"
    )
    assert state["attributes"]["unit_of_measurement"] == "GiB"
    home_assistant.wait_for_state(
        remaining, lambda s: _number(s) == pytest.approx(12.5, abs=0.01), "to show the SMS's figure"
    )

    # The phone uses more: both figures follow.
    now = phone_counter(client)
    assert now == pytest.approx(
        (PHONE_START_GB[0] + PHONE_USED_GB[0], PHONE_START_GB[1] + PHONE_USED_GB[1])
    )
    assert now is not None
    more = 0.5
    set_phone_counter(client, now[0] + more, now[1] + PHONE_TICK_GB[1])
    more_gib = _gib(more + PHONE_TICK_GB[1])
    home_assistant.wait_for_state(
        used,
        lambda s: _number(s) == pytest.approx(first_use + more_gib, abs=0.01),
        "to follow the counter",
    )
    home_assistant.wait_for_state(
        remaining,
        lambda s: _number(s) == pytest.approx(12.5 - more_gib, abs=0.01),
        "to fall with the counter",
    )
