"""A poll writes only the entities whose shown state changed (issue #15)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any
from unittest.mock import MagicMock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.japan_sim_data.carriers.errors import CarrierConnectionError
from custom_components.japan_sim_data.carriers.models import AccountUsage
from custom_components.japan_sim_data.carriers.units import GIB


class Writes:
    """Counts state writes: changes, and writes that changed nothing."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.changed: list[str] = []
        self.reported: list[str] = []
        hass.bus.async_listen(EVENT_STATE_CHANGED, self._changed)
        # Home Assistant only delivers state_reported to listeners with a filter.
        hass.bus.async_listen(EVENT_STATE_REPORTED, self._reported, event_filter=_every_event)

    @callback
    def _changed(self, event: Event[Any]) -> None:
        self.changed.append(event.data["entity_id"])

    @callback
    def _reported(self, event: Event[Any]) -> None:
        self.reported.append(event.data["entity_id"])


@callback
def _every_event(_event_data: object) -> bool:
    return True


def _less_data(usage: AccountUsage, sim_id: str) -> AccountUsage:
    """The same account with a quarter GiB less in one SIM's first bucket."""
    sim = usage.sims[sim_id]
    first, *rest = sim.buckets
    assert first.remaining is not None
    drained = dataclasses.replace(first, remaining=first.remaining - GIB // 4)
    return AccountUsage(
        sims={**usage.sims, sim_id: dataclasses.replace(sim, buckets=(drained, *rest))}
    )


async def test_a_changing_figure_writes_only_what_it_changes(
    hass: HomeAssistant, mock_iijmio: MagicMock, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    usage = mock_iijmio.async_fetch.return_value
    # A first change before counting, so what follows is a steady state. (Unchanged answers
    # notify no entity, so this one changes a figure.) "Used today" stays unknown: the day
    # the entry was added was not watched from midnight.
    usage = _less_data(usage, "hdc11111111")
    mock_iijmio.async_fetch.return_value = usage
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    writes = Writes(hass)
    for step in range(1, 4):
        usage = _less_data(usage, "hdc11111111")
        mock_iijmio.async_fetch.return_value = usage
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        assert writes.reported == [], f"unchanged writes at poll {step}"
    # Only that SIM's figures that depend on the amount moved: remaining data, this
    # period's or carried-over data (whichever bucket drained), used today, the daily budget
    # and the forecast; never the plan, the allowance, the dates or another SIM. The
    # account's calendar names its next event without the amount: it writes nothing either.
    sims = list(writes.changed)
    assert sims
    assert not any(entity_id.startswith("calendar.") for entity_id in sims)
    assert [entity_id for entity_id in sims if "5678" not in entity_id] == []
    assert not any(
        entity_id.endswith(("_plan", "_allowance", "_days_left", "_resets_on", "_expires"))
        for entity_id in writes.changed
    )
    assert "sensor.iijmio_kikahuran_5678_remaining_data" in writes.changed


async def test_unchanged_figures_write_nothing_and_outages_write_once(
    hass: HomeAssistant, mock_iijmio: MagicMock, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    writes = Writes(hass)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert (writes.changed, writes.reported) == ([], [])

    mock_iijmio.async_fetch.side_effect = CarrierConnectionError("offline")
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    entities = len(writes.changed)
    assert entities > 0  # every entity went unavailable, once
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert len(writes.changed) == entities
    assert writes.reported == []


def _drained(usage: AccountUsage, sim_id: str, amount: int) -> AccountUsage:
    sim = usage.sims[sim_id]
    first, *rest = sim.buckets
    assert first.remaining is not None
    drained = dataclasses.replace(first, remaining=first.remaining - amount)
    return AccountUsage(
        sims={**usage.sims, sim_id: dataclasses.replace(sim, buckets=(drained, *rest))}
    )


async def test_a_change_below_what_is_shown_writes_nothing(
    hass: HomeAssistant, mock_iijmio: MagicMock, init_integration: MockConfigEntry
) -> None:
    """Figures are written at their resolution: noise never writes a state (issue #26)."""
    coordinator = init_integration.runtime_data.coordinator
    remaining = "sensor.iijmio_kikahuran_5678_remaining_data"
    state = hass.states.get(remaining)
    assert state is not None
    assert state.state == "24.56"  # 4.56 GB and 20 GB as IIJmio gives them, not 24.5599999995902
    writes = Writes(hass)
    # 500 bytes less: the figures changed (the coordinator tells every entity), but nothing a
    # person can see did: the carrier's 4.56 GB, the budget in MiB, the calendar's "4.56 GB".
    usage = _drained(mock_iijmio.async_fetch.return_value, "hdc11111111", 500)
    mock_iijmio.async_fetch.return_value = usage
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert coordinator.data is not None
    assert (writes.changed, writes.reported) == ([], [])
    # A MiB less is what the state shows.
    mock_iijmio.async_fetch.return_value = _drained(usage, "hdc11111111", 2**20)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert remaining in writes.changed
    state = hass.states.get(remaining)
    assert state is not None
    assert state.state == str((round(24.56 * 1024) - 1) / 1024)
    assert writes.reported == []


async def test_a_sims_entities_read_one_view_of_each_update(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    """Every entity of a SIM shows the figures of one moment, worked out once per update."""
    coordinator = init_integration.runtime_data.coordinator
    first = coordinator.sim_view("hdc11111111")
    assert first is not None
    assert coordinator.sim_view("hdc11111111") is first
    assert first.sim == coordinator.data.sims["hdc11111111"]
    # Time passes without an update: the same moment (midnights and expiries are updates).
    freezer.tick(timedelta(minutes=5))
    assert coordinator.sim_view("hdc11111111") is first
    # An update (here, at a midnight or an expiry) is a new moment.
    coordinator.async_update_listeners()
    renewed = coordinator.sim_view("hdc11111111")
    assert renewed is not None
    assert renewed is not first
    assert renewed.now - first.now == timedelta(minutes=5)
    # New figures make a new view even before the listeners are told; a SIM that left the
    # account has none.
    coordinator.data = AccountUsage(
        sims={"hdc11111111": dataclasses.replace(renewed.sim, plan_name="ギガプラン 2")}
    )
    latest = coordinator.sim_view("hdc11111111")
    assert latest is not None
    assert latest.sim.plan_name == "ギガプラン 2"
    assert coordinator.sim_view("hdc22222222") is None
