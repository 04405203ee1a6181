"""povo 2.0 and the SoftBank family in Home Assistant: flows, options, entities, repairs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from unittest.mock import MagicMock, patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.japan_sim_data import PLATFORMS
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAppVersionError,
    CarrierAuthError,
    CarrierConnectionError,
    CarrierParseError,
)
from custom_components.japan_sim_data.carriers.models import AccountUsage, Carrier
from custom_components.japan_sim_data.carriers.povo import (
    PovoCodeRejectedError,
    PovoMoreAuthNeededError,
)
from custom_components.japan_sim_data.const import (
    CONF_AUTH_TOKEN,
    CONF_CARRIER,
    CONF_CODE,
    CONF_DEVICE_ID,
    CONF_PHONE_NUMBER,
    CONF_RESEND_CODE,
    CONF_RESET_DAY,
    DOMAIN,
)

from .carrier_mocks import (
    carrier_adapter,
    fake_adapter,
    povo_login,
    povo_usage,
    softbank_usage,
)
from .conftest import FROZEN_NOW, keyed_account_id

EMAIL = "sentinel.povo@example.com"
PHONE = "090-1111-2222"


@pytest.fixture
def povo_adapter() -> Iterator[MagicMock]:
    adapter = fake_adapter(Carrier.POVO, povo_usage(), "povo-account")
    with carrier_adapter(Carrier.POVO, adapter), povo_login(adapter):
        yield adapter


@pytest.fixture
def softbank_adapter() -> Iterator[MagicMock]:
    adapter = fake_adapter(Carrier.SOFTBANK, softbank_usage(), "softbank-account")
    with carrier_adapter(Carrier.SOFTBANK, adapter) as build:
        adapter.build = build
        yield adapter


@pytest.fixture
def povo_entry() -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="povo 2.0 se***",
        unique_id=keyed_account_id("povo-account"),
        minor_version=2,
        data={
            CONF_CARRIER: "povo",
            CONF_EMAIL: EMAIL,
            CONF_DEVICE_ID: "0" * 32,
            CONF_AUTH_TOKEN: "stored-token",
        },
    )


@pytest.fixture
def softbank_entry() -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="SoftBank 2222",
        unique_id=keyed_account_id("softbank-account"),
        minor_version=2,
        data={CONF_CARRIER: "softbank", CONF_PHONE_NUMBER: PHONE, CONF_PASSWORD: "pw"},
    )


async def _setup(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    platforms: list[Platform] | None = None,
) -> None:
    freezer.move_to(FROZEN_NOW)
    entry.add_to_hass(hass)
    with patch("custom_components.japan_sim_data.PLATFORMS", platforms or PLATFORMS):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()


async def _choose(hass: HomeAssistant, carrier: str) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": carrier}
    )


# -- povo -----------------------------------------------------------------------------------


async def test_povo_flow_with_a_wrong_code_then_a_new_code(
    hass: HomeAssistant, povo_adapter: MagicMock
) -> None:
    result = await _choose(hass, "povo")
    assert result["step_id"] == "povo"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_EMAIL: f" {EMAIL} "}
    )
    assert result["step_id"] == "povo_code"
    assert result["description_placeholders"] == {"email": EMAIL}
    povo_adapter.async_request_code.assert_awaited_once()

    # An empty code, then a wrong one: the code field says so.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {CONF_CODE: "invalid_code"}
    povo_adapter.async_submit_code.side_effect = PovoCodeRejectedError("expired")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CODE: "000000"}
    )
    assert result["errors"] == {CONF_CODE: "invalid_code"}

    # Ask for a new code, then enter it.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RESEND_CODE: True}
    )
    assert result["step_id"] == "povo_code"
    assert result["errors"] == {}
    assert povo_adapter.async_request_code.await_count == 2
    povo_adapter.async_submit_code.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CODE: "123456"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "povo 2.0 se***"
    data = result["data"]
    assert data[CONF_EMAIL] == EMAIL
    assert data[CONF_AUTH_TOKEN] == "token-from-code"
    assert len(data[CONF_DEVICE_ID]) == 32
    assert result["result"].unique_id == keyed_account_id("povo-account")


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (CarrierAuthError("refused"), "invalid_auth"),
        (CarrierConnectionError("offline"), "cannot_connect"),
        (RuntimeError("bug"), "unknown"),
    ],
)
async def test_povo_email_step_errors_recover(
    hass: HomeAssistant, povo_adapter: MagicMock, error: Exception, key: str
) -> None:
    result = await _choose(hass, "povo")
    povo_adapter.async_request_code.side_effect = error
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_EMAIL: EMAIL})
    assert result["errors"] == {"base": key}
    povo_adapter.async_request_code.side_effect = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_EMAIL: EMAIL})
    assert result["step_id"] == "povo_code"


async def test_povo_code_step_errors(hass: HomeAssistant, povo_adapter: MagicMock) -> None:
    result = await _choose(hass, "povo")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_EMAIL: EMAIL})
    povo_adapter.async_request_code.side_effect = CarrierConnectionError("offline")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RESEND_CODE: True}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    povo_adapter.async_submit_code.side_effect = CarrierConnectionError("offline")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CODE: "123456"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    # povo asks for a step beyond the e-mailed code: said as such, never "wrong code".
    povo_adapter.async_submit_code.side_effect = PovoMoreAuthNeededError("pin_token")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CODE: "123456"}
    )
    assert result["errors"] == {"base": "more_auth_needed"}


async def test_povo_account_cannot_be_added_twice(
    hass: HomeAssistant, povo_adapter: MagicMock, povo_entry: MockConfigEntry
) -> None:
    povo_entry.add_to_hass(hass)
    result = await _choose(hass, "povo")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_EMAIL: EMAIL})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    # No code was sent for an account that is already set up.
    povo_adapter.async_request_code.assert_not_awaited()


@pytest.mark.parametrize("source", ["reauth", "reconfigure"])
async def test_povo_reauth_and_reconfigure_ask_for_a_new_code(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    povo_adapter: MagicMock,
    povo_entry: MockConfigEntry,
    source: str,
) -> None:
    await _setup(hass, freezer, povo_entry)
    if source == "reauth":
        result = await povo_entry.start_reauth_flow(hass)
    else:
        result = await povo_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "povo_reauth"
    assert result["description_placeholders"] is not None
    assert result["description_placeholders"]["email"] == EMAIL

    povo_adapter.async_request_code.side_effect = CarrierConnectionError("offline")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "cannot_connect"}
    povo_adapter.async_request_code.side_effect = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "povo_code"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CODE: "654321"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == f"{source}_successful"
    assert povo_entry.data[CONF_AUTH_TOKEN] == "token-from-code"
    # The device id povo bound the login to is kept.
    assert povo_entry.data[CONF_DEVICE_ID] == "0" * 32
    await hass.async_block_till_done()


async def test_povo_entities(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    povo_adapter: MagicMock,
    povo_entry: MockConfigEntry,
) -> None:
    await _setup(hass, freezer, povo_entry, [Platform.SENSOR])
    await snapshot_platform(hass, entity_registry, snapshot, povo_entry.entry_id)
    # The topping holds the data; the base bucket is empty, and the total is not 0.
    remaining = hass.states.get("sensor.povo_2_0_remaining_data")
    assert remaining is not None
    assert float(remaining.state) == pytest.approx(55.45, abs=0.01)
    gifted = hass.states.get("sensor.povo_2_0_gifted_data")
    assert gifted is not None
    assert gifted.state == STATE_UNKNOWN


async def test_unlimited_data_quiets_the_low_data_alert(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    povo_adapter: MagicMock,
    povo_entry: MockConfigEntry,
) -> None:
    """A 24-hour 使い放題 topping: its end is shown, and "low data" says nothing while it runs."""
    usage: AccountUsage = povo_adapter.async_fetch.return_value
    (sim,) = usage.sims.values()
    ends = datetime.fromisoformat(FROZEN_NOW) + timedelta(hours=20)
    drained = dataclasses.replace(
        sim,
        buckets=tuple(dataclasses.replace(b, remaining=0) for b in sim.buckets),
        unlimited_until=ends,
    )
    povo_adapter.async_fetch.return_value = AccountUsage(sims={sim.sim_id: drained})
    await _setup(hass, freezer, povo_entry)

    until = hass.states.get("sensor.povo_2_0_unlimited_data_until")
    assert until is not None
    assert datetime.fromisoformat(until.state) == ends
    low = hass.states.get("binary_sensor.povo_2_0_low_data")
    assert low is not None
    assert low.state == "off"
    remaining = hass.states.get("sensor.povo_2_0_remaining_data")
    assert remaining is not None
    assert float(remaining.state) == 0  # the carrier's own figure, shown as it is

    # Once the topping has ended (the next answer no longer carries it), the alert speaks.
    povo_adapter.async_fetch.return_value = AccountUsage(
        sims={sim.sim_id: dataclasses.replace(drained, unlimited_until=None)}
    )
    await povo_entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.povo_2_0_low_data").state == "on"  # type: ignore[union-attr]
    assert hass.states.get("sensor.povo_2_0_unlimited_data_until").state == STATE_UNKNOWN  # type: ignore[union-attr]


async def test_povo_renewed_token_is_saved(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    povo_adapter: MagicMock,
    povo_entry: MockConfigEntry,
) -> None:
    povo_adapter.refreshed_secrets.return_value = {CONF_AUTH_TOKEN: "renewed-token"}
    await _setup(hass, freezer, povo_entry)
    assert povo_entry.data[CONF_AUTH_TOKEN] == "renewed-token"


# -- SoftBank family --------------------------------------------------------------------------


async def test_softbank_flow(hass: HomeAssistant, softbank_adapter: MagicMock) -> None:
    result = await _choose(hass, "softbank")
    assert result["step_id"] == "softbank"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PHONE_NUMBER: "090-1111", CONF_PASSWORD: "pw"}
    )
    assert result["errors"] == {CONF_PHONE_NUMBER: "invalid_phone_number"}  # on the field
    softbank_adapter.async_login.assert_not_awaited()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PHONE_NUMBER: PHONE, CONF_PASSWORD: "pw"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The title keeps only the last digits of the number.
    assert result["title"] == "SoftBank 2222"
    assert result["data"] == {
        CONF_CARRIER: "softbank",
        CONF_PHONE_NUMBER: PHONE,
        CONF_PASSWORD: "pw",
    }


@pytest.mark.parametrize("carrier", ["ymobile", "linemo"])
async def test_ymobile_and_linemo_flows_show_their_forms(hass: HomeAssistant, carrier: str) -> None:
    result = await _choose(hass, carrier)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == carrier


async def test_linemo_entry_is_labelled_experimental(hass: HomeAssistant) -> None:
    """No public client confirms LINEMO on My SoftBank: the entry says so in its title."""
    adapter = fake_adapter(Carrier.LINEMO, softbank_usage(), "linemo-account")
    with carrier_adapter(Carrier.LINEMO, adapter):
        result = await _choose(hass, "linemo")
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PHONE_NUMBER: PHONE, CONF_PASSWORD: "pw"}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "LINEMO 2222 (β)"


async def test_softbank_reconfigure_shows_the_phone_number(
    hass: HomeAssistant, softbank_adapter: MagicMock, softbank_entry: MockConfigEntry
) -> None:
    softbank_entry.add_to_hass(hass)
    result = await softbank_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    fields = {str(marker) for marker in result["data_schema"].schema}
    assert fields == {CONF_PHONE_NUMBER, CONF_PASSWORD}


async def test_softbank_entities_and_reset_day_option(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    softbank_adapter: MagicMock,
    softbank_entry: MockConfigEntry,
) -> None:
    await _setup(hass, freezer, softbank_entry, [Platform.SENSOR])
    await snapshot_platform(hass, entity_registry, snapshot, softbank_entry.entry_id)
    assert softbank_adapter.build.call_args.args[2] == {}

    result = await hass.config_entries.options.async_init(softbank_entry.entry_id)
    assert result["step_id"] == "init"
    assert result["menu_options"] == ["alerts", "billing"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "billing"}
    )
    assert result["step_id"] == "billing"
    softbank_adapter.async_fetch.return_value = softbank_usage(resets_on=date(2025, 12, 11))
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_RESET_DAY: "11"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # The entry reloads and the adapter is built with the new reset day.
    assert softbank_adapter.build.call_args.args[2] == {CONF_RESET_DAY: "11"}
    resets = hass.states.get("sensor.softbank_2222_data_resets_on")
    assert resets is not None
    assert resets.state == "2025-12-11"
    days = hass.states.get("sensor.softbank_2222_days_left")
    assert days is not None
    # 25 November to 10 December inclusive.
    assert days.state == "16"


async def test_billing_options_only_where_the_user_picks_the_cycle(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    povo_adapter: MagicMock,
    povo_entry: MockConfigEntry,
) -> None:
    await _setup(hass, freezer, povo_entry)
    result = await hass.config_entries.options.async_init(povo_entry.entry_id)
    assert result["menu_options"] == ["alerts"]


# -- Repairs -----------------------------------------------------------------------------------


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: float) -> None:
    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_repeated_unreadable_answers_raise_a_repair_issue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    softbank_adapter: MagicMock,
    softbank_entry: MockConfigEntry,
) -> None:
    await _setup(hass, freezer, softbank_entry)
    issue_id = f"carrier_changed_{softbank_entry.entry_id}"
    good = softbank_adapter.async_fetch.return_value
    softbank_adapter.async_fetch.side_effect = CarrierParseError("figures not found")

    await _poll(hass, freezer, 31)
    await _poll(hass, freezer, 61)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await _poll(hass, freezer, 121)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "carrier_changed"
    assert issue.translation_placeholders == {
        "carrier": "SoftBank",
        "entry_title": "SoftBank 2222",
    }

    # A network outage in between says nothing about the site: the issue stays.
    softbank_adapter.async_fetch.side_effect = CarrierConnectionError("offline")
    await _poll(hass, freezer, 241)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    softbank_adapter.async_fetch.side_effect = None
    softbank_adapter.async_fetch.return_value = good
    await _poll(hass, freezer, 241)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_app_version_demand_raises_a_repair_issue_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    povo_adapter: MagicMock,
    povo_entry: MockConfigEntry,
) -> None:
    await _setup(hass, freezer, povo_entry)
    issue_id = f"app_version_{povo_entry.entry_id}"
    povo_adapter.async_fetch.side_effect = CarrierAppVersionError("HTTP 505")
    await _poll(hass, freezer, 31)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    assert await hass.config_entries.async_remove(povo_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
