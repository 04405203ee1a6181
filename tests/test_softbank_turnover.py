"""SoftBank and Y!mobile across a month end, through Home Assistant, with the real adapters.

The carried-over data (Y!mobile's くりこし分, SoftBank's stepRemainData and currentGivenData)
counts until the period's last second and never after: between that moment and the first poll
of the new period nothing of the old period is shown, and never "0 days left". Each adapter
talks real HTTP to the portal's replay (tests/carriers/softbank_replay.py) through the fault
matrix's resolver; the clock is walked with ``freezer``.

Pages follow the fixtures' shapes (tests/fixtures/softbank/README.md): Y!mobile's four tables
by position (ymobile_usage.html), My SoftBank's chart line (softbank_usage.html), with the
figures of each step below.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.insights import valid_days_left
from custom_components.japan_sim_data.carriers.models import AccountUsage, BucketKind, SimUsage
from custom_components.japan_sim_data.const import DOMAIN
from tests.carriers.softbank_replay import fixture, gb
from tests.test_fault_matrix import (
    MySoftBankHarness,
    ReplayResolver,
    ReplayServer,
    SoftBankHarness,
    YmobileHarness,
)

# Ten minutes past a poll boundary, so the period's last second and a poll never coincide.
SET_UP_AT = datetime(2025, 5, 31, 22, 10, tzinfo=TOKYO)
PERIOD_END = datetime(2025, 5, 31, 23, 59, 59, tzinfo=TOKYO)


def ymobile_page(carried: str, base: str, paid: str, used: str) -> str:
    """ymobile_usage.html (KYM's live run: 0.88, 30.0, 0.0, 1.51) with other figures."""
    page = fixture("ymobile_usage.html")
    for old, new in (("0.88GB", carried), ("30.0GB", base), ("0.0GB", paid), ("1.51GB", used)):
        assert page.count(old) == 1
        page = page.replace(old, new)
    return page


def softbank_page(**figures: str) -> str:
    """softbank_usage.html (MYSB's README sample) with other figures, key by key."""
    page = fixture("softbank_usage.html")
    defaults = {
        "usedGigaData": "6.34",
        "remainData": "0.02",
        "stepRemainData": "",
        "currentAdditionalData": "1.00",
        "currentAdditionalUsedData": "0.98",
        "currentGivenData": "0.36",
        "currentGivenUsedData": "0.36",
    }
    for key, value in defaults.items():
        old = f'"{key}": "{value}"'
        assert page.count(old) == 1
        page = page.replace(old, f'"{key}": "{figures.get(key, "")}"')
    return page


@dataclass(frozen=True)
class Month:
    """One page per period and what it leaves: everything, and the carried-over part."""

    may: str
    june: str
    may_left: int
    may_carried_over: int
    june_left: int
    june_carried_over: int


MONTHS = {
    # May: 2.00 carried over + 3.00 base, 0.50 used (carried-over data first): 1.50 + 3.00.
    # June: the 2.50 left of May's base carried over, 3.00 new, nothing used yet.
    "ymobile": Month(
        may=ymobile_page("2.00GB", "3.00GB", "0GB", "0.50GB"),
        june=ymobile_page("2.50GB", "3.00GB", "0GB", "0.00GB"),
        may_left=gb("2.00") + gb("3.00") - gb("0.50"),
        may_carried_over=gb("1.50"),
        june_left=gb("5.50"),
        june_carried_over=gb("2.50"),
    ),
    # May: 4.50 left of which 1.00 carried over and 0.50 of 1.00 carried-over added data
    # (追加繰越); June: 5.50 left of which 2.50 carried over.
    "softbank": Month(
        may=softbank_page(
            usedGigaData="0.50",
            remainData="4.50",
            stepRemainData="1.00",
            currentGivenData="1.00",
            currentGivenUsedData="0.50",
        ),
        june=softbank_page(usedGigaData="0.00", remainData="5.50", stepRemainData="2.50"),
        may_left=gb("4.50"),
        may_carried_over=gb("1.00") + gb("0.50"),
        june_left=gb("5.50"),
        june_carried_over=gb("2.50"),
    ),
}


@dataclass
class Line:
    hass: HomeAssistant
    freezer: FrozenDateTimeFactory
    entry: MockConfigEntry
    harness: MySoftBankHarness

    def sim(self) -> SimUsage:
        """The line as the coordinator holds it: only what is valid now counts."""
        usage: AccountUsage = self.entry.runtime_data.coordinator.data
        (sim,) = usage.sims.values()
        return sim

    def state(self, translation_key: str) -> str:
        registry = er.async_get(self.hass)
        (entity_id,) = [
            e.entity_id
            for e in er.async_entries_for_config_entry(registry, self.entry.entry_id)
            if e.translation_key == translation_key
        ]
        state = self.hass.states.get(entity_id)
        assert state is not None
        return state.state

    async def walk_to(self, moment: datetime) -> None:
        """Move the clock to ``moment`` a minute at most at a time, firing every timer due."""
        while (now := dt_util.now()) < moment:
            self.freezer.tick(min(timedelta(minutes=1), moment - now))
            async_fire_time_changed(self.hass)
            await self.hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture(params=[YmobileHarness, SoftBankHarness], ids=["ymobile", "softbank"])
async def line(
    request: pytest.FixtureRequest,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    socket_enabled: None,
) -> AsyncIterator[Line]:
    harness: MySoftBankHarness = request.param()
    harness.replay.usage_text = MONTHS[harness.brand].may
    server = ReplayServer(harness.app)
    await server.start()
    freezer.move_to(SET_UP_AT)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"{harness.carrier} line",
        unique_id=f"{harness.carrier}-line",
        data=harness.entry_data(),
    )
    with (
        patch(
            "homeassistant.helpers.aiohttp_client._async_make_resolver",
            return_value=ReplayResolver(),
        ),
        harness.pointed_at(server.base_url + "/"),
    ):
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        yield Line(hass, freezer, entry, harness)
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    await server.stop()


async def test_carried_over_data_expires_with_the_month(line: Line) -> None:
    month = MONTHS[line.harness.brand]
    # Setting up: entry page, login, hop, usage page (no cookie of the portal yet).
    assert line.harness.requests() == 4
    sim = line.sim()
    assert sim.remaining == month.may_left
    assert sim.remaining_of(BucketKind.CARRIED_OVER) == month.may_carried_over
    carried = [bucket for bucket in sim.buckets if bucket.kind is BucketKind.CARRIED_OVER]
    assert carried
    assert {bucket.expires for bucket in carried} == {PERIOD_END}
    assert valid_days_left(sim, dt_util.now()) == 1
    assert line.state("days_left") == "1"
    assert float(line.state("carried_over_data")) == pytest.approx(
        month.may_carried_over / 1024**3, abs=0.01
    )

    # The period's last minute: polls at 22:40, 23:10 and 23:40 read the same page.
    await line.walk_to(PERIOD_END - timedelta(seconds=59))
    now = dt_util.now()
    assert line.sim() == line.sim().valid_at(now)
    assert line.sim().remaining == month.may_left
    assert valid_days_left(line.sim(), now) == 1

    # Midnight, before the new period's first poll: May's data no longer counts, and no
    # "0 days left" stands next to it. The carrier's page has moved on to June meanwhile.
    line.harness.replay.usage_text = month.june
    requests = line.harness.requests()
    await line.walk_to(PERIOD_END + timedelta(seconds=2))
    now = dt_util.now()
    assert line.harness.requests() == requests  # no poll: the figures were re-judged
    sim = line.sim()
    assert sim.buckets == ()
    assert sim.remaining is None
    assert sim.remaining_of(BucketKind.CARRIED_OVER) is None
    assert valid_days_left(sim, now) is None
    assert line.state("remaining_data") == STATE_UNKNOWN
    assert line.state("carried_over_data") == STATE_UNKNOWN
    assert line.state("days_left") == STATE_UNKNOWN

    # The first poll of June (00:10) reads the new period: its carried-over data lasts to
    # the end of June.
    await line.walk_to(datetime(2025, 6, 1, 0, 11, tzinfo=TOKYO))
    now = dt_util.now()
    sim = line.sim()
    assert sim == sim.valid_at(now)
    assert sim.remaining == month.june_left
    assert sim.remaining_of(BucketKind.CARRIED_OVER) == month.june_carried_over
    assert {bucket.expires for bucket in sim.buckets} == {
        datetime(2025, 6, 30, 23, 59, 59, tzinfo=TOKYO)
    }
    assert valid_days_left(sim, now) == 30
    assert line.state("days_left") == "30"
    assert float(line.state("remaining_data")) == pytest.approx(month.june_left / 1024**3, 0.001)
    # One login over the whole walk: the session held, and each of the four polls (22:40,
    # 23:10, 23:40, 00:10) posted the hop's fields again: one request a poll.
    assert line.harness.logins() == 1
    assert line.harness.requests() == 4 + 4
