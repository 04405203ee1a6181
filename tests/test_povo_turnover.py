"""povo 2.0 in Home Assistant across a topping's expiry at a month end, and its requests.

The real adapter talks to the local replay of tests/carriers/test_povo.py (FakePovo) with the
fixtures plan_details_turnover*.json and usage_turnover*.json; the clock is walked with
freezer at Home Assistant's own 30-minute interval.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_EMAIL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.japan_sim_data.carriers.base import anonymous_id
from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.models import Carrier
from custom_components.japan_sim_data.carriers.povo import (
    PLAN_DETAILS_PATH,
    PROFILE_PATH,
    TOKEN_PATH,
    USAGE_HISTORY_PATH,
    USAGE_PATH,
)
from custom_components.japan_sim_data.const import (
    CONF_AUTH_TOKEN,
    CONF_CARRIER,
    CONF_DEVICE_ID,
    DOMAIN,
)
from tests.carriers.test_povo import DEVICE_ID, EMAIL, STORED_TOKEN, FakePovo, fixture
from tests.conftest import ServeApp, keyed_account_id

THREE_GB_ENDS = datetime(2026, 5, 31, 23, 59, tzinfo=TOKYO)  # 午後11:59, the month's last minute
LEFT_GB = 13.93  # usage_turnover.json, binary GB as povo counts them


@dataclass
class Povo:
    """The entry, its replay and the sensors the test reads."""

    hass: HomeAssistant
    freezer: FrozenDateTimeFactory
    replay: FakePovo
    entry: MockConfigEntry

    def sensor(self, key: str) -> str:
        registry = er.async_get(self.hass)
        (entity_id,) = [
            entry.entity_id
            for entry in er.async_entries_for_config_entry(registry, self.entry.entry_id)
            if entry.translation_key == key and entry.domain == "sensor"
        ]
        state = self.hass.states.get(entity_id)
        assert state is not None
        return state.state

    def figures(self) -> tuple[float, str, str]:
        """(remaining in GB, days left, data expires) as the sensors show them."""
        remaining = self.sensor("remaining_data")
        return round(float(remaining), 2), self.sensor("days_left"), self.sensor("data_expires")

    async def wait(self, minutes: float) -> list[str]:
        """Let time run; returns the paths povo was asked meanwhile."""
        before = len(self.replay.calls)
        self.freezer.tick(timedelta(minutes=minutes))
        async_fire_time_changed(self.hass)
        await self.hass.async_block_till_done(wait_background_tasks=True)
        return [path for _, path in self.replay.calls[before:]]


@pytest.fixture
async def povo(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, serve: ServeApp
) -> AsyncIterator[Povo]:
    freezer.move_to(datetime(2026, 5, 31, 23, 45, tzinfo=TOKYO))
    replay = FakePovo()
    replay.answers[USAGE_PATH] = fixture("usage_turnover.json")
    replay.answers[PLAN_DETAILS_PATH] = fixture("plan_details_turnover.json")
    base_url = await serve(replay.app()) + "/"
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="povo 2.0 ow***",
        unique_id=keyed_account_id(anonymous_id(Carrier.POVO, EMAIL)),
        minor_version=2,
        data={
            CONF_CARRIER: "povo",
            CONF_EMAIL: EMAIL,
            CONF_DEVICE_ID: DEVICE_ID,
            CONF_AUTH_TOKEN: STORED_TOKEN,
        },
    )
    entry.add_to_hass(hass)
    with patch("custom_components.japan_sim_data.carriers.povo.BASE_URL", base_url):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        yield Povo(hass, freezer, replay, entry)
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


async def test_month_end_topping_expiry(povo: Povo) -> None:
    """The 3 GB topping ends at 23:59 on 31 May and povo lists it a while longer with its
    data: from that minute it never counts, and days left never reads 0 next to data."""
    assert povo.figures() == (LEFT_GB, "1", "2026-05-31")
    assert povo.replay.calls[0] == ("GET", TOKEN_PATH)

    # The expiry passes between two polls (the next is due at 00:15): the coordinator drops
    # that topping's slice at once; the 20 GB topping (午前0:00 on 21 June) still counts.
    povo.freezer.move_to(THREE_GB_ENDS - timedelta(seconds=5))
    assert await povo.wait(0.25) == []
    assert povo.figures() == (10.93, "21", "2026-06-21")

    # The next poll, past midnight: povo still lists the topping and its 3 GB.
    await povo.wait(30)
    assert povo.figures() == (10.93, "20", "2026-06-21")

    # povo takes the topping away: the same figures.
    povo.replay.answers[USAGE_PATH] = fixture("usage_turnover_dropped.json")
    povo.replay.answers[PLAN_DETAILS_PATH] = fixture("plan_details_turnover_dropped.json")
    await povo.wait(30)
    assert povo.figures() == (10.93, "20", "2026-06-21")


async def test_requests_per_poll(povo: Povo) -> None:
    """At Home Assistant's 30-minute interval: the renewal of the 20-minute token and the
    usage; the plan page again when a topping expired and every 2 hours, the history on a new
    Tokyo day (and every 6 hours)."""
    assert [path for _, path in povo.replay.calls] == [
        TOKEN_PATH,
        PROFILE_PATH,
        USAGE_PATH,
        PLAN_DETAILS_PATH,
        USAGE_HISTORY_PATH,
    ]
    polls = [await povo.wait(30) for _ in range(5)]
    assert polls == [
        # 00:15: the 3 GB topping expired since the page was read, and a new Tokyo day.
        [TOKEN_PATH, USAGE_PATH, PLAN_DETAILS_PATH, USAGE_HISTORY_PATH],
        [TOKEN_PATH, USAGE_PATH],
        [TOKEN_PATH, USAGE_PATH],
        [TOKEN_PATH, USAGE_PATH],
        [TOKEN_PATH, USAGE_PATH, PLAN_DETAILS_PATH],  # 02:15, two hours after the last read
    ]
