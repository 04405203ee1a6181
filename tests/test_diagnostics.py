"""Diagnostics: useful figures, no secrets."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .conftest import MIO_ID, PASSWORD


async def test_diagnostics(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    # After init_integration: the access token must be issued on the frozen clock.
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert diagnostics == snapshot(exclude=props("entry_id", "created_at", "modified_at"))

    dumped = json.dumps(diagnostics, default=str)
    for secret in (PASSWORD, MIO_ID, "hdc11111111", "5678", "090-1234-5678"):
        assert secret not in dumped
