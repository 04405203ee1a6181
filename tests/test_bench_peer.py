"""The benchmark's same-figures peer (scripts/bench_configs.py) shows what the integration shows.

scripts/bench compares this integration's cost with core `rest` templates written to show the
same figures; a peer that showed other figures would make that comparison say nothing. Its
templates are rendered here by Home Assistant against the answer the benchmark's replay gives,
and compared with the integration's own figures of that answer at the same moment.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import parse_yaml

from custom_components.japan_sim_data.carriers.iijmio_member import parse_member_top
from custom_components.japan_sim_data.carriers.insights import (
    daily_budget,
    is_expiring_soon,
    is_low_data,
    valid_days_left,
    valid_expiry,
)
from custom_components.japan_sim_data.carriers.units import GIB, MIB
from custom_components.japan_sim_data.const import (
    DEFAULT_EXPIRY_LEAD_DAYS,
    DEFAULT_LOW_DATA_THRESHOLD,
)

# scripts/ is not a package: its modules are found on the path, as scripts/bench finds them
# (not type-checked from here: `MYPYPATH=scripts mypy scripts/bench*.py` checks them).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
bench_configs: Any = importlib.import_module("bench_configs")
bench_replay: Any = importlib.import_module("bench_replay")


def _rendered(hass: HomeAssistant, payload: Any, kind: str) -> dict[str, str]:
    """Each of the first line's peer entities (by name), rendered against ``payload``."""
    config: Any = parse_yaml(bench_configs.peer_yaml("http://127.0.0.1", 1))
    entries = config["rest"][0][kind]
    return {
        entry["name"].removeprefix("Line 0 "): str(
            Template(entry["value_template"], hass).async_render(
                variables={"value_json": payload}, parse_result=False
            )
        ).strip()
        for entry in entries
    }


@pytest.mark.parametrize(
    ("moment", "version"),
    [
        ("2026-12-06T12:00:00+09:00", 0),  # mid-month, the fixture's figures
        ("2026-12-06T12:00:00+09:00", 37),  # carried-over data used down to 4.19 GB
        ("2026-12-30T23:59:00+09:00", 380),  # the last two days: expiring soon
    ],
)
async def test_peer_shows_the_integrations_figures(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: str, version: int
) -> None:
    """Every figure both show is the same, from the same answer at the same moment."""
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(moment)
    now = dt_util.now()
    payload = bench_replay.member_top(range(1), version)
    sim = next(iter(parse_member_top(payload, now).sims.values())).valid_at(now)
    sensors = _rendered(hass, payload, "sensor")
    binary = _rendered(hass, payload, "binary_sensor")

    assert (len(sensors), len(binary)) == (
        bench_configs.PEER_SENSORS,
        bench_configs.PEER_BINARY_SENSORS,
    )
    assert sim.remaining is not None
    assert float(sensors["remaining data"]) == round(sim.remaining / GIB, 2)
    budget = daily_budget(sim, now)
    assert budget is not None
    assert int(sensors["daily budget"]) == budget // MIB
    assert int(sensors["days left"]) == valid_days_left(sim, now)
    expiry = valid_expiry(sim, now)
    assert expiry is not None
    assert (
        sensors["data expires"]
        == expiry.astimezone(dt_util.get_default_time_zone()).date().isoformat()
    )
    assert sim.resets_on is not None
    assert sensors["data resets on"] == sim.resets_on.isoformat()
    assert sim.allowance is not None
    assert float(sensors["monthly data allowance"]) == sim.allowance / GIB
    assert sensors["plan"] == sim.plan_name
    low = is_low_data(sim, DEFAULT_LOW_DATA_THRESHOLD, percent=False)
    assert binary["low data"] == str(low)
    soon = is_expiring_soon(sim, now, DEFAULT_EXPIRY_LEAD_DAYS)
    assert binary["data expiring soon"] == str(soon)
