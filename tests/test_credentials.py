"""What is remembered about a login: the keyed fingerprint, and the flow's login on offer."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import MagicMock, patch

import aiohttp
import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.japan_sim_data.carriers.errors import CarrierAuthError
from custom_components.japan_sim_data.credentials import (
    CONF_REJECTED_LOGIN,
    HANDOFF_SECONDS,
    VerifiedLogin,
    async_offer_login,
    async_take_login,
    login_fingerprint,
    without_rejection,
)
from custom_components.japan_sim_data.identifiers import InstallationKey

from .conftest import INSTALLATION_SECRET, PASSWORD

KEY = InstallationKey(bytes.fromhex(INSTALLATION_SECRET))
FIELDS = frozenset({"username", "password"})


def test_the_fingerprint_follows_the_credentials_only() -> None:
    data = {"username": "u", "password": PASSWORD, "other": 1}
    same = login_fingerprint(KEY, data, FIELDS)
    assert same == login_fingerprint(KEY, {**data, "other": 2}, FIELDS)
    assert same != login_fingerprint(KEY, {**data, "password": "new"}, FIELDS)
    # Keyed: another installation cannot test guesses against it.
    assert same != login_fingerprint(InstallationKey(b"\x01" * 32), data, FIELDS)
    assert PASSWORD not in same
    assert without_rejection({**data, CONF_REJECTED_LOGIN: same}) == data


def _login(fingerprint: str) -> VerifiedLogin:
    return VerifiedLogin(MagicMock(), MagicMock(spec=aiohttp.ClientSession), fingerprint)


async def test_an_offer_is_taken_once_for_the_same_credentials(hass: HomeAssistant) -> None:
    login = _login("f")
    async_offer_login(hass, "account", login)
    assert async_take_login(hass, "account", "f") is login
    assert async_take_login(hass, "account", "f") is None
    assert async_take_login(hass, None, "f") is None
    login.session.detach.assert_not_called()  # type: ignore[attr-defined]


async def test_an_offer_for_other_credentials_is_let_go(hass: HomeAssistant) -> None:
    login = _login("f")
    async_offer_login(hass, "account", login)
    assert async_take_login(hass, "account", "other") is None
    login.session.detach.assert_called_once()  # type: ignore[attr-defined]


async def test_a_newer_offer_replaces_and_an_old_one_expires(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    first, second = _login("f"), _login("f")
    async_offer_login(hass, "account", first)
    async_offer_login(hass, "account", second)
    first.session.detach.assert_called_once()  # type: ignore[attr-defined]
    freezer.tick(timedelta(seconds=HANDOFF_SECONDS + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    second.session.detach.assert_called_once()  # type: ignore[attr-defined]
    assert async_take_login(hass, "account", "f") is None


@pytest.mark.parametrize(
    "data",
    [
        {"carrier": "iijmio", "username": "mio", "password": 5},
        {"carrier": "iijmio", "username": "", "password": PASSWORD},
    ],
)
async def test_login_data_of_the_wrong_kind_is_damaged(
    hass: HomeAssistant, data: dict[str, object]
) -> None:
    entry = MockConfigEntry(domain="japan_sim_data", data=data, minor_version=2)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR


async def test_a_stored_token_the_library_refuses_asks_for_a_new_login(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    with patch(
        "custom_components.japan_sim_data.carriers.iijmio.IijmioAdapter",
        side_effect=CarrierAuthError("unusable token"),
    ):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert any(mock_config_entry.async_get_active_flows(hass, {"reauth"}))
