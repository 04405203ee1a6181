"""The config flow: carrier menu, login, duplicates, reauth and reconfigure."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.japan_sim_data.carriers.errors import (
    CarrierAppVersionError,
    CarrierAuthError,
    CarrierConnectionError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierRateLimitError,
)
from custom_components.japan_sim_data.const import CONF_CARRIER, DOMAIN

from .conftest import ENTRY_UNIQUE_ID, MIO_ID, PASSWORD


async def _start_iijmio_login(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "iijmio" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "iijmio"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "iijmio"
    assert result["errors"] == {}
    return result["flow_id"]


async def test_user_flow_creates_the_account(hass: HomeAssistant, mock_iijmio: MagicMock) -> None:
    flow_id = await _start_iijmio_login(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MIO_ID, CONF_PASSWORD: PASSWORD}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "IIJmio mi***"
    assert result["data"] == {
        CONF_CARRIER: "iijmio",
        CONF_USERNAME: MIO_ID,
        CONF_PASSWORD: PASSWORD,
    }
    assert result["result"].unique_id == ENTRY_UNIQUE_ID
    mock_iijmio.async_login.assert_awaited_once()


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (CarrierAuthError("rejected"), "invalid_auth"),
        (CarrierConnectionError("offline"), "cannot_connect"),
        (CarrierMaintenanceError("maintenance"), "maintenance"),
        (CarrierRateLimitError("slow down", 60), "rate_limited"),
        (CarrierAppVersionError("too old"), "app_version"),
        (CarrierParseError("odd"), "unexpected_answer"),
        (RuntimeError("bug"), "unknown"),
    ],
)
async def test_user_flow_errors_recover(
    hass: HomeAssistant, mock_iijmio: MagicMock, error: Exception, key: str
) -> None:
    flow_id = await _start_iijmio_login(hass)
    mock_iijmio.async_login.side_effect = error
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MIO_ID, CONF_PASSWORD: "wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": key}
    # Nothing the user typed is lost: the login id is offered again.
    assert result["data_schema"] is not None
    suggested = {
        str(marker): marker.description["suggested_value"]
        for marker in result["data_schema"].schema
        if marker.description and "suggested_value" in marker.description
    }
    assert suggested == {CONF_USERNAME: MIO_ID}

    mock_iijmio.async_login.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MIO_ID, CONF_PASSWORD: PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_account_cannot_be_added_twice(
    hass: HomeAssistant, mock_iijmio: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    flow_id = await _start_iijmio_login(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MIO_ID, CONF_PASSWORD: PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_updates_the_password(
    hass: HomeAssistant, mock_iijmio: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] is not None
    assert result["description_placeholders"]["carrier"] == "IIJmio"
    assert result["description_placeholders"]["account"] == "IIJmio mi***"

    mock_iijmio.async_login.side_effect = CarrierAuthError("rejected")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    mock_iijmio.async_login.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "new-password"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert mock_config_entry.data[CONF_PASSWORD] == "new-password"
    assert mock_config_entry.data[CONF_USERNAME] == MIO_ID


async def test_reauth_refuses_another_account(
    hass: HomeAssistant, mock_iijmio: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reauth_flow(hass)
    mock_iijmio.account_id = "another-account"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "new-password"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert mock_config_entry.data[CONF_PASSWORD] == PASSWORD


async def test_reconfigure_changes_the_login(
    hass: HomeAssistant, mock_iijmio: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"

    mock_iijmio.async_login.side_effect = CarrierConnectionError("offline")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: MIO_ID, CONF_PASSWORD: "new-password"}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    mock_iijmio.async_login.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: MIO_ID, CONF_PASSWORD: "new-password"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert mock_config_entry.data[CONF_PASSWORD] == "new-password"


async def test_reconfigure_refuses_another_account(
    hass: HomeAssistant, mock_iijmio: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    mock_iijmio.account_id = "another-account"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "someone-else", CONF_PASSWORD: "x"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert mock_config_entry.data[CONF_USERNAME] == MIO_ID


async def test_a_flow_with_an_unreadable_installation_key_adds_nothing(
    hass: HomeAssistant, hass_storage: dict[str, Any], mock_iijmio: MagicMock
) -> None:
    """A new key would give the same account another id, and the entry a duplicate."""
    hass_storage["japan_sim_data.installation"]["data"] = {"secret": "damaged"}
    flow_id = await _start_iijmio_login(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MIO_ID, CONF_PASSWORD: PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "installation_key_unreadable"
    assert not hass.config_entries.async_entries(DOMAIN)
