"""Issue #12 on the Home Assistant side: each attack reproduced, and what happens now."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from datetime import timedelta
from unittest.mock import MagicMock, patch

import aiohttp
import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, CONF_PASSWORD, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.japan_sim_data import polling as polling_module
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAuthError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierRateLimitError,
)
from custom_components.japan_sim_data.const import CONF_CARRIER, DOMAIN
from custom_components.japan_sim_data.diagnostics import async_get_config_entry_diagnostics

from .conftest import ACCOUNT_ID, ENTRY_UNIQUE_ID, FROZEN_NOW, MIO_ID, PASSWORD, sim_identifier

REMAINING = "sensor.iijmio_kikahuran_5678_remaining_data"
REFRESH = "button.iijmio_mi_refresh"


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, **delta: float) -> None:
    freezer.tick(timedelta(**delta))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


# -- 7. Identifiers that cannot be reversed -------------------------------------------------


async def test_unique_ids_reveal_no_carrier_identifier(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    entries = er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    assert entries
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    written = repr([e.unique_id for e in entries]) + repr([d.identifiers for d in devices])
    written += repr(init_integration.unique_id)
    for secret in ("hdc11111111", "hdc22222222", "hdc33333333", ACCOUNT_ID, MIO_ID):
        assert secret not in written
    # Not a plain hash either: without the installation's key nothing can be checked.
    assert hashlib.sha256(b"hdc11111111").hexdigest()[:16] not in written


async def test_entries_from_before_are_migrated_keeping_entity_ids(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    mock_iijmio: MagicMock,
) -> None:
    freezer.move_to(FROZEN_NOW)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="IIJmio mi***",
        unique_id=ACCOUNT_ID,
        version=1,
        minor_version=1,
        data={CONF_CARRIER: "iijmio", CONF_USERNAME: MIO_ID, CONF_PASSWORD: PASSWORD},
    )
    entry.add_to_hass(hass)
    # As version 1.1 registered them: the account's hash and the raw service code.
    old_device = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, f"{ACCOUNT_ID}_hdc11111111")}
    )
    account_device = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, ACCOUNT_ID)}
    )
    remaining = entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{ACCOUNT_ID}_hdc11111111_remaining_data",
        config_entry=entry,
        device_id=old_device.id,
        suggested_object_id="my_phone_data",
    )
    button = entity_registry.async_get_or_create(
        "button", DOMAIN, f"{ACCOUNT_ID}_refresh", config_entry=entry, suggested_object_id="r"
    )

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    assert entry.unique_id == ENTRY_UNIQUE_ID
    migrated = entity_registry.async_get(remaining.entity_id)
    assert migrated is not None
    assert migrated.unique_id.endswith("_remaining_data")
    assert "hdc" not in migrated.unique_id
    assert migrated.id == remaining.id  # the same registry entry: history and settings stay
    state = hass.states.get("sensor.my_phone_data")
    assert state is not None
    assert float(state.state) > 0
    refreshed = entity_registry.async_get(button.entity_id)
    assert refreshed is not None
    assert refreshed.unique_id == f"{entry.entry_id}_refresh"
    assert device_registry.async_get(old_device.id).identifiers == {  # type: ignore[union-attr]
        sim_identifier("iijmio", "hdc11111111")
    }
    assert device_registry.async_get(account_device.id).identifiers == {  # type: ignore[union-attr]
        (DOMAIN, entry.entry_id)
    }
    # No duplicate entities: the sensor platform found the migrated one.
    assert hass.states.get(REMAINING) is None


async def test_an_entry_from_a_newer_version_is_not_touched(
    hass: HomeAssistant, mock_iijmio: MagicMock
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="future",
        version=2,
        data={CONF_CARRIER: "iijmio", CONF_USERNAME: MIO_ID, CONF_PASSWORD: PASSWORD},
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_the_carriers_own_account_id_becomes_the_unique_id(
    hass: HomeAssistant, mock_iijmio: MagicMock, init_integration: MockConfigEntry
) -> None:
    """IIJmio accepts a mioID or an e-mail: the adapter learns the account's own id at login."""
    mock_iijmio.account_id = "carriers-own-id"
    entity_ids = {
        e.entity_id: e.unique_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), init_integration.entry_id)
    }
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert init_integration.unique_id == init_integration.runtime_data.key.account_id(
        "carriers-own-id"
    )
    # Entities are keyed by SIM and entry, not by the account id: nothing moves.
    assert entity_ids == {
        e.entity_id: e.unique_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), init_integration.entry_id)
    }


# -- 8. No login with a rejected password -----------------------------------------------------


async def test_refresh_after_a_rejected_password_sends_nothing(
    hass: HomeAssistant, mock_iijmio: MagicMock, init_integration: MockConfigEntry
) -> None:
    mock_iijmio.async_fetch.side_effect = CarrierAuthError("rejected")
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert any(
        flow["context"]["source"] == SOURCE_REAUTH
        for flow in init_integration.async_get_active_flows(hass, {SOURCE_REAUTH})
    )
    calls = mock_iijmio.async_fetch.await_count

    with pytest.raises(HomeAssistantError) as pressed:
        await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: REFRESH}, blocking=True)
    assert pressed.value.translation_key == "reauth_required"
    with pytest.raises(HomeAssistantError) as asked:
        await hass.services.async_call(
            DOMAIN, "refresh", {"config_entry_id": init_integration.entry_id}, blocking=True
        )
    assert asked.value.translation_key == "reauth_required"
    # Even a refresh the coordinator is asked for directly sends nothing.
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert mock_iijmio.async_fetch.await_count == calls


# -- 9. A rate limit or maintenance at setup ----------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        CarrierRateLimitError("HTTP 429", retry_after=3600),
        CarrierMaintenanceError("HTTP 503", retry_after=3600),
    ],
)
async def test_a_carrier_that_says_wait_at_setup_is_not_hammered(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
    error: Exception,
) -> None:
    freezer.move_to(FROZEN_NOW)
    usage = mock_iijmio.async_fetch.return_value
    mock_iijmio.async_fetch.side_effect = error
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    # Set up, without figures yet: no retry of the setup at Home Assistant's pace.
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(REMAINING) is None
    for seconds in (5, 10, 20, 40, 80, 80, 600, 1800):
        await _tick(hass, freezer, seconds=seconds)
    assert mock_iijmio.async_fetch.await_count == 1

    # After the hour the carrier asked for: one request, and the entities appear.
    mock_iijmio.async_fetch.side_effect = None
    mock_iijmio.async_fetch.return_value = usage
    await _tick(hass, freezer, minutes=30)
    assert mock_iijmio.async_fetch.await_count == 2
    state = hass.states.get(REMAINING)
    assert state is not None
    assert float(state.state) > 0


async def test_retry_after_sets_the_next_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    mock_iijmio.async_fetch.side_effect = CarrierRateLimitError("429", retry_after=7200)
    await coordinator.async_refresh()
    assert coordinator.update_interval == timedelta(hours=2)
    # A short Retry-After never shortens the back-off.
    mock_iijmio.async_fetch.side_effect = CarrierRateLimitError("429", retry_after=5)
    await coordinator.async_refresh()
    assert coordinator.update_interval == timedelta(hours=1)


# -- Crashes become errors; errors stay short ---------------------------------------------------


@pytest.mark.parametrize("crash", [RecursionError(), KeyError("x"), TypeError("x")])
async def test_a_parser_crash_is_an_unreadable_answer_with_backoff(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
    crash: Exception,
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    mock_iijmio.async_fetch.side_effect = crash
    await coordinator.async_refresh()
    await coordinator.async_refresh()
    assert "Unexpected error" not in caplog.text
    assert "answered in an unexpected way" in caplog.text
    assert coordinator.update_interval == timedelta(hours=1)


async def test_a_fetch_that_never_ends_is_cut_at_the_budget(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    async def forever() -> None:
        await asyncio.sleep(3600)

    mock_iijmio.async_fetch.side_effect = forever
    coordinator = init_integration.runtime_data.coordinator
    with patch.object(polling_module, "FETCH_BUDGET", 60):
        refresh = hass.async_create_task(coordinator.async_refresh())
        await asyncio.sleep(0)
        await _tick(hass, freezer, seconds=61)
        await refresh
    assert not coordinator.last_update_success
    assert "did not answer in time" in str(coordinator.last_exception)


async def test_a_carriers_long_error_text_is_cut(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_iijmio: MagicMock
) -> None:
    """An error body echoed into the message must not reach the entry's reason whole."""
    mock_iijmio.async_fetch.side_effect = CarrierParseError(
        "IIJmio answered " + ("secret-ish " * 2000)
    )
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert mock_config_entry.reason is not None
    assert len(mock_config_entry.reason) < 400
    assert mock_config_entry.reason.count("secret-ish") < 20


async def test_diagnostics_keep_the_shape_of_an_unreadable_answer(
    hass: HomeAssistant, mock_iijmio: MagicMock, init_integration: MockConfigEntry
) -> None:
    skeleton = {"serviceInfoList": [{"serviceCode": "str(11)", "couponData": "str(3)"}]}
    mock_iijmio.async_fetch.side_effect = CarrierParseError("odd", skeleton=skeleton)
    await init_integration.runtime_data.coordinator.async_refresh()
    diagnostics = await async_get_config_entry_diagnostics(hass, init_integration)
    assert diagnostics["last_unreadable_answer"] == skeleton


# -- 12. Flow sessions are closed ---------------------------------------------------------------


@pytest.fixture
def opened_sessions() -> Iterator[list[aiohttp.ClientSession]]:
    """Record every HTTP session the config flow opens."""
    from homeassistant.helpers import aiohttp_client  # noqa: PLC0415

    sessions: list[aiohttp.ClientSession] = []
    real = aiohttp_client.async_create_clientsession

    def record(*args: object, **kwargs: object) -> aiohttp.ClientSession:
        session = real(*args, **kwargs)  # type: ignore[arg-type]
        sessions.append(session)
        return session

    package = "custom_components.japan_sim_data"
    with (
        patch(f"{package}.password_flow.async_create_clientsession", record),
        patch(f"{package}.povo_flow.async_create_clientsession", record),
    ):
        yield sessions


async def test_failed_logins_in_the_flow_leave_no_open_session(
    hass: HomeAssistant, mock_iijmio: MagicMock, opened_sessions: list[aiohttp.ClientSession]
) -> None:
    mock_iijmio.async_login.side_effect = CarrierAuthError("rejected")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "iijmio"}
    )
    for _ in range(3):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_USERNAME: MIO_ID, CONF_PASSWORD: "wrong"}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "invalid_auth"}
    assert len(opened_sessions) == 3
    assert all(session.closed for session in opened_sessions)


async def test_a_povo_flow_closes_its_session_when_it_ends(
    hass: HomeAssistant, opened_sessions: list[aiohttp.ClientSession]
) -> None:
    with patch(
        "custom_components.japan_sim_data.carriers.povo.PovoAdapter.async_request_code",
        return_value=None,
    ):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "povo"}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"email": "sentinel@example.com"}
        )
    assert result["step_id"] == "povo_code"
    assert len(opened_sessions) == 1
    assert not opened_sessions[0].closed  # the code step still needs it
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done()
    assert opened_sessions[0].closed


@pytest.fixture
def platforms() -> list[Platform]:
    return [Platform.BUTTON, Platform.SENSOR]


async def test_a_refresh_that_fails_says_so(
    hass: HomeAssistant, mock_iijmio: MagicMock, init_integration: MockConfigEntry
) -> None:
    """The action and the button raise a translated error when the carrier cannot be read."""
    mock_iijmio.async_fetch.side_effect = CarrierMaintenanceError("HTTP 503")
    with pytest.raises(HomeAssistantError) as asked:
        await hass.services.async_call(
            DOMAIN, "refresh", {"config_entry_id": init_integration.entry_id}, blocking=True
        )
    assert asked.value.translation_key == "refresh_failed"
    assert "IIJmio mi***" in str(asked.value)
