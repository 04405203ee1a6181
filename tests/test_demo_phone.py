"""The demo SIM's simulated phone counter (tests/e2e/demo.py), without Home Assistant."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.e2e.demo import (
    PHONE_RX,
    PHONE_START_GB,
    PHONE_TICK_GB,
    PHONE_TX,
    keep_phone_counting,
    phone_counter,
)
from tests.e2e.harness import HomeAssistantError


class FakeClient:
    """Answers like Home Assistant's REST API: the states written, then read back."""

    def __init__(self, stop: threading.Event, ticks: int) -> None:
        self.states_now: dict[str, dict[str, Any]] = {}
        self.stop, self.ticks, self.fail_next = stop, ticks, False

    def states(self) -> dict[str, dict[str, Any]]:
        if self.fail_next:
            self.fail_next = False
            raise HomeAssistantError("restarting")
        return self.states_now

    def post(self, path: str, body: dict[str, Any]) -> None:
        self.states_now[path.removeprefix("/api/states/")] = body
        if path.endswith(PHONE_TX):
            self.ticks -= 1
            if self.ticks == 0:
                self.stop.set()


def test_the_phone_counts_up_and_starts_again_after_a_restart() -> None:
    stop = threading.Event()
    client = FakeClient(stop, ticks=3)
    client.fail_next = True  # Home Assistant not answering: that minute is skipped
    keep_phone_counting(client, stop, every=0)  # type: ignore[arg-type]
    # Gone (a restart): from the baseline, then up a tick each time.
    received, sent = phone_counter(client)  # type: ignore[arg-type, misc]
    assert (received, sent) == pytest.approx(
        (PHONE_START_GB[0] + 3 * PHONE_TICK_GB[0], PHONE_START_GB[1] + 3 * PHONE_TICK_GB[1])
    )
    body = client.states_now[PHONE_RX]
    assert body["attributes"]["unit_of_measurement"] == "GB"
    assert body["attributes"]["state_class"] == "total_increasing"
    assert body["state"] == f"{received:.3f}"
