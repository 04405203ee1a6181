"""The seam between a carrier account and a tracked SIM: the factory and the coordinators' hooks.

Setup, platforms, diagnostics and actions ask the coordinator; only the factory tells the kinds
apart. These tests pin what the factory answers and what removal deletes for each kind,
including an entry whose stored kind is unreadable.
"""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.japan_sim_data.const import CONF_CARRIER, DOMAIN
from custom_components.japan_sim_data.coordinator import SimDataCoordinator
from custom_components.japan_sim_data.factory import coordinator_type
from custom_components.japan_sim_data.issues import entry_issue_id
from custom_components.japan_sim_data.polling import JapanSimDataCoordinator
from custom_components.japan_sim_data.tracker_entry import TrackedSimCoordinator

# What every kind of entry keeps in a store of its own (entry_store.EntryStore.NAME).
_KEPT = ("history", "usage_today", "daily_usage", "missing_sims")


@pytest.mark.parametrize(
    ("carrier", "kind"),
    [
        ("iijmio", JapanSimDataCoordinator),
        ("povo", JapanSimDataCoordinator),
        ("mineo", JapanSimDataCoordinator),
        ("tracker", TrackedSimCoordinator),
    ],
)
def test_the_factory_names_each_kind(carrier: str, kind: type[SimDataCoordinator]) -> None:
    assert coordinator_type({CONF_CARRIER: carrier}) is kind
    # Only an account's unique id is its carrier's account id (keyed at migration).
    assert kind.unique_id_is_account is (kind is JapanSimDataCoordinator)


@pytest.mark.parametrize("data", [{}, {CONF_CARRIER: "no such carrier"}, {CONF_CARRIER: 3}])
def test_the_factory_refuses_an_unreadable_kind(data: dict[str, Any]) -> None:
    with pytest.raises((KeyError, ValueError)):
        coordinator_type(data)


@pytest.mark.parametrize("carrier", ["no such carrier", "iijmio", "tracker"])
async def test_removing_an_entry_deletes_what_every_kind_keeps(
    hass: HomeAssistant, hass_storage: dict[str, Any], carrier: str
) -> None:
    """An entry is removed cleanly whatever its kind, even one whose kind cannot be read."""
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_CARRIER: carrier}, unique_id="x")
    entry.add_to_hass(hass)
    keys = [f"{DOMAIN}.{entry.entry_id}.{name}" for name in _KEPT]
    for key in keys:
        hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": {}}
    for kind in ("entry_damaged", "carrier_changed", "app_version"):
        ir.async_create_issue(
            hass,
            DOMAIN,
            entry_issue_id(kind, entry.entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=kind,
        )
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert [key for key in keys if key in hass_storage] == []
    registry = ir.async_get(hass)
    assert [issue for issue in registry.issues if issue[0] == DOMAIN] == []
