"""The polling coordinator on bad days: expiry without a poll, long outages, rejected logins,
answers that list nothing or too much, lost keys and damaged entries, restarts in between.

Issues #22 (items 1, 7, 9) and #23 (items 1, 3, 7, 8), each reproduced and then what happens.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta
from typing import Any
from unittest.mock import MagicMock, patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, CONF_PASSWORD, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.japan_sim_data.background import logged
from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAuthError,
    CarrierConnectionError,
    CarrierRateLimitError,
)
from custom_components.japan_sim_data.carriers.models import (
    AccountUsage,
    BucketKind,
    DailyUsage,
    DataBucket,
    SimUsage,
)
from custom_components.japan_sim_data.const import DOMAIN, MAX_BACKOFF_INTERVAL
from custom_components.japan_sim_data.coordinator import MAX_LINES
from custom_components.japan_sim_data.credentials import CONF_REJECTED_LOGIN

from .conftest import INSTALLATION_SECRET, PASSWORD

GIB = 1024**3
REMAINING = "sensor.iijmio_test_plan_1234_remaining_data"
REFRESH = "button.iijmio_mi_refresh"


def _sim(sim_id: str = "line-1", *buckets: DataBucket) -> SimUsage:
    return SimUsage(sim_id=sim_id, plan_name="Test plan", number_suffix="1234", buckets=buckets)


def _month_end_account() -> AccountUsage:
    """November's data ends with the month; a coupon bought later lasts until January."""
    november = DataBucket(
        BucketKind.MONTHLY,
        remaining=3 * GIB,
        total=10 * GIB,
        expires=datetime(2025, 11, 30, 23, 59, 59, tzinfo=TOKYO),
    )
    coupon = DataBucket(
        BucketKind.TOPPING,
        remaining=2 * GIB,
        total=2 * GIB,
        expires=datetime(2026, 1, 31, 23, 59, 59, tzinfo=TOKYO),
    )
    return AccountUsage(sims={"line-1": _sim("line-1", november, coupon)})


async def _setup(
    hass: HomeAssistant, entry: MockConfigEntry, *, add: bool = True
) -> ConfigEntryState:
    if add:
        entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    state: ConfigEntryState = entry.state
    return state


async def _restart(hass: HomeAssistant, entry: MockConfigEntry) -> ConfigEntryState:
    """Unload and set the entry up again, as a restart of Home Assistant does."""
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    return await _setup(hass, entry, add=False)


KEY_STORE = "japan_sim_data.installation"


async def _restart_with_key(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    entry: MockConfigEntry,
    key_data: dict[str, Any],
) -> ConfigEntryState:
    """Restart the entry with ``key_data`` as what the installation key's store holds."""
    await hass.config_entries.async_unload(entry.entry_id)
    hass_storage[KEY_STORE]["data"] = key_data
    hass.data.pop(f"{DOMAIN}_installation_key")  # as after a restart of Home Assistant
    return await _setup(hass, entry, add=False)


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, **delta: float) -> None:
    freezer.tick(timedelta(**delta))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def _login_rejected_at_a_poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_iijmio: MagicMock
) -> None:
    """IIJmio rejects the login at the next poll (31 minutes on)."""
    mock_iijmio.async_fetch.side_effect = CarrierAuthError("rejected")
    await _tick(hass, freezer, minutes=31)


def _gib(hass: HomeAssistant, entity_id: str = REMAINING) -> float:
    state = hass.states.get(entity_id)
    assert state is not None
    return float(state.state)


# -- #22.1: a bucket past its expiry stops counting, poll or no poll ---------------------------


async def test_data_that_expires_at_month_end_stops_counting_without_a_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
) -> None:
    freezer.move_to("2025-11-30T23:45:00+09:00")
    mock_iijmio.async_fetch.return_value = _month_end_account()
    assert await _setup(hass, mock_config_entry) is ConfigEntryState.LOADED
    assert _gib(hass) == pytest.approx(5.0)
    calls = mock_iijmio.async_fetch.await_count

    # 23:59:59 is November's last moment: it still counts.
    await _tick(hass, freezer, minutes=14, seconds=59)
    assert _gib(hass) == pytest.approx(5.0)
    # A second later it does not, though no poll has come (the next is at 00:15).
    await _tick(hass, freezer, seconds=2)
    assert mock_iijmio.async_fetch.await_count == calls
    assert _gib(hass) == pytest.approx(2.0)

    # The carrier still lists November's bucket at the next poll: it still does not count.
    await _tick(hass, freezer, minutes=30)
    assert mock_iijmio.async_fetch.await_count == calls + 1
    assert _gib(hass) == pytest.approx(2.0)
    coordinator = mock_config_entry.runtime_data.coordinator
    assert [b.kind for b in coordinator.data.sims["line-1"].buckets] == [BucketKind.TOPPING]

    # Nor after a restart in December.
    assert await _restart(hass, mock_config_entry) is ConfigEntryState.LOADED
    assert _gib(hass) == pytest.approx(2.0)


async def test_expiry_while_the_carrier_is_unreachable_still_drops_the_bucket(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
) -> None:
    freezer.move_to("2025-11-30T23:20:00+09:00")
    mock_iijmio.async_fetch.return_value = _month_end_account()
    await _setup(hass, mock_config_entry)
    coordinator = mock_config_entry.runtime_data.coordinator
    mock_iijmio.async_fetch.side_effect = CarrierConnectionError("offline")
    await _tick(hass, freezer, minutes=31)
    assert hass.states.get(REMAINING).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    await _tick(hass, freezer, minutes=10)
    # What is kept for when the carrier answers again holds no expired bucket either.
    assert coordinator.data.sims["line-1"].remaining == 2 * GIB


async def test_an_expiry_at_the_end_of_time_sets_no_timer_and_raises_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
) -> None:
    """A placeholder expiry an adapter let through must not overflow the expiry timer."""
    freezer.move_to("2025-11-30T23:45:00+09:00")
    forever = DataBucket(
        BucketKind.TOPPING, remaining=2 * GIB, expires=datetime.max.replace(tzinfo=TOKYO)
    )
    mock_iijmio.async_fetch.return_value = AccountUsage(sims={"line-1": _sim("line-1", forever)})
    assert await _setup(hass, mock_config_entry) is ConfigEntryState.LOADED
    assert _gib(hass) == pytest.approx(2.0)
    await _tick(hass, freezer, minutes=31)
    assert _gib(hass) == pytest.approx(2.0)


# -- #23.3: weeks of outage never overflow the back-off -----------------------------------------


async def test_sixty_failures_in_a_row_keep_the_four_hour_back_off(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    mock_iijmio.async_fetch.side_effect = CarrierConnectionError("offline")
    for _ in range(60):
        await coordinator.async_refresh()
    assert coordinator.update_interval == MAX_BACKOFF_INTERVAL
    assert "too large" not in caplog.text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "Error fetching japan_sim_data IIJmio data: Could not reach IIJmio: offline"
    ]
    assert "Could not reach IIJmio" in str(coordinator.last_exception)


# -- #22.7: a rejected login is never sent again, restart or not ---------------------------------


async def test_a_rejected_login_is_not_sent_again_after_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    await _login_rejected_at_a_poll(hass, freezer, mock_iijmio)
    marker = init_integration.data[CONF_REJECTED_LOGIN]
    # A keyed fingerprint: nothing of the password is kept with it.
    assert PASSWORD not in marker
    calls = mock_iijmio.async_fetch.await_count + mock_iijmio.async_login.await_count

    for _ in range(3):
        assert await _restart(hass, init_integration) is ConfigEntryState.SETUP_ERROR
    assert mock_iijmio.async_fetch.await_count + mock_iijmio.async_login.await_count == calls
    flows = init_integration.async_get_active_flows(hass, {SOURCE_REAUTH})
    assert len(list(flows)) == 1
    assert "rejected this login before" in (init_integration.reason or "")

    # The user logs in again with a new password: the rejection is forgotten and polls resume.
    mock_iijmio.async_fetch.side_effect = None
    flow = next(iter(init_integration.async_get_active_flows(hass, {SOURCE_REAUTH})))
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_PASSWORD: "new-password"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert CONF_REJECTED_LOGIN not in init_integration.data
    assert init_integration.state is ConfigEntryState.LOADED
    assert mock_iijmio.async_fetch.await_count > calls


async def test_new_credentials_written_elsewhere_clear_the_rejection(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    await _login_rejected_at_a_poll(hass, freezer, mock_iijmio)
    await hass.config_entries.async_unload(init_integration.entry_id)
    hass.config_entries.async_update_entry(
        init_integration, data={**init_integration.data, CONF_PASSWORD: "restored-password"}
    )
    mock_iijmio.async_fetch.side_effect = None
    assert await _setup(hass, init_integration, add=False) is ConfigEntryState.LOADED
    assert CONF_REJECTED_LOGIN not in init_integration.data


async def test_refresh_inside_retry_after_sends_nothing_and_says_until_when(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    # 12:00 in Tokyo; the carrier asks for an hour and a half.
    mock_iijmio.async_fetch.side_effect = CarrierRateLimitError("HTTP 429", retry_after=5400)
    await _tick(hass, freezer, minutes=31)
    calls = mock_iijmio.async_fetch.await_count

    await _tick(hass, freezer, minutes=10)
    with pytest.raises(HomeAssistantError) as pressed:
        await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: REFRESH}, blocking=True)
    assert pressed.value.translation_key == "carrier_asked_to_wait"
    assert pressed.value.translation_placeholders is not None
    assert pressed.value.translation_placeholders["time"] == "14:01"
    assert "until 14:01 (Japan time)" in str(pressed.value)
    with pytest.raises(HomeAssistantError) as asked:
        await hass.services.async_call(
            DOMAIN, "refresh", {"config_entry_id": init_integration.entry_id}, blocking=True
        )
    assert asked.value.translation_key == "carrier_asked_to_wait"
    assert mock_iijmio.async_fetch.await_count == calls

    # Once the time has passed, Refresh asks the carrier again.
    mock_iijmio.async_fetch.side_effect = None
    freezer.tick(timedelta(minutes=81))
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: REFRESH}, blocking=True)
    assert mock_iijmio.async_fetch.await_count == calls + 1


# -- #23.7: no lines from an account that has some is an unreadable answer ----------------------


async def test_an_answer_with_no_lines_removes_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    devices = len(dr.async_entries_for_config_entry(device_registry, init_integration.entry_id))
    good = mock_iijmio.async_fetch.return_value
    mock_iijmio.async_fetch.return_value = AccountUsage()
    await _tick(hass, freezer, minutes=31)
    coordinator = init_integration.runtime_data.coordinator
    assert not coordinator.last_update_success
    assert "no lines" in str(coordinator.last_exception)
    # A day of such answers (and a restart in between) takes no SIM away.
    assert await _restart(hass, init_integration) is ConfigEntryState.SETUP_RETRY
    for _ in range(10):
        await _tick(hass, freezer, hours=4, minutes=1)
    assert (
        len(dr.async_entries_for_config_entry(device_registry, init_integration.entry_id))
        == devices
    )
    mock_iijmio.async_fetch.return_value = good
    await _tick(hass, freezer, hours=4, minutes=1)
    assert init_integration.state is ConfigEntryState.LOADED


async def test_a_new_account_without_lines_yet_is_set_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
) -> None:
    mock_iijmio.async_fetch.return_value = AccountUsage()
    assert await _setup(hass, mock_config_entry) is ConfigEntryState.LOADED


# -- #23.1: lines per answer are capped -------------------------------------------------------


async def test_an_answer_with_thousands_of_lines_is_capped(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    device_registry: dr.DeviceRegistry,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
) -> None:
    freezer.move_to("2025-11-25T12:00:00+09:00")
    sims = {f"line-{n:04}": SimUsage(sim_id=f"line-{n:04}") for n in range(3000)}
    mock_iijmio.async_fetch.return_value = AccountUsage(sims=sims)
    assert await _setup(hass, mock_config_entry) is ConfigEntryState.LOADED
    coordinator = mock_config_entry.runtime_data.coordinator
    assert list(coordinator.data.sims) == list(sims)[:MAX_LINES]
    # The SIMs' devices and the account's.
    devices = dr.async_entries_for_config_entry(device_registry, mock_config_entry.entry_id)
    assert len(devices) == MAX_LINES + 1
    await _tick(hass, freezer, minutes=31)
    capped = [r for r in caplog.records if "lines in one answer" in r.getMessage()]
    assert len(capped) == 1
    assert capped[0].levelno == logging.WARNING


# -- #22.9: when a SIM went missing survives a restart ------------------------------------------


async def test_a_missing_sim_is_removed_a_day_later_across_restarts(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
) -> None:
    freezer.move_to("2025-11-25T12:00:00+09:00")
    two = AccountUsage(sims={"line-1": _sim("line-1"), "line-2": _sim("line-2")})
    one = AccountUsage(sims={"line-1": _sim("line-1")})
    mock_iijmio.async_fetch.return_value = two
    await _setup(hass, mock_config_entry)

    def sim_devices() -> int:
        devices = dr.async_entries_for_config_entry(device_registry, mock_config_entry.entry_id)
        return len(devices) - 1

    assert sim_devices() == 2
    mock_iijmio.async_fetch.return_value = one
    await _tick(hass, freezer, minutes=31)
    # Restarts every few hours: before, each one started the day again.
    for _ in range(5):
        await _tick(hass, freezer, hours=4)
        assert await _restart(hass, mock_config_entry) is ConfigEntryState.LOADED
        assert sim_devices() == 2
    await _tick(hass, freezer, hours=4)
    await _tick(hass, freezer, minutes=31)
    assert sim_devices() == 1


async def test_a_sim_that_comes_back_is_not_missing_any_more(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    device_registry: dr.DeviceRegistry,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
) -> None:
    freezer.move_to("2025-11-25T12:00:00+09:00")
    two = AccountUsage(sims={"line-1": _sim("line-1"), "line-2": _sim("line-2")})
    mock_iijmio.async_fetch.return_value = two
    await _setup(hass, mock_config_entry)
    mock_iijmio.async_fetch.return_value = AccountUsage(sims={"line-1": _sim("line-1")})
    await _tick(hass, freezer, minutes=31)
    await _tick(hass, freezer, seconds=11)  # the delayed save
    key = f"{DOMAIN}.{mock_config_entry.entry_id}.missing_sims"
    assert len(hass_storage[key]["data"]["missing_since"]) == 1

    mock_iijmio.async_fetch.return_value = two
    await _tick(hass, freezer, minutes=31)
    await _tick(hass, freezer, seconds=11)
    assert hass_storage[key]["data"]["missing_since"] == {}
    await _tick(hass, freezer, days=2)
    assert len(dr.async_entries_for_config_entry(device_registry, mock_config_entry.entry_id)) == 3


async def test_what_is_kept_about_missing_sims_is_checked_on_load(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
) -> None:
    freezer.move_to("2025-11-25T12:00:00+09:00")
    hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}.missing_sims"] = {
        "version": 1,
        "key": f"{DOMAIN}.{mock_config_entry.entry_id}.missing_sims",
        "data": {
            "missing_since": {
                "a": "not a time",
                "b": 12,
                "c": "2025-11-20T00:00:00",  # no zone: not trusted
                "d": "2099-01-01T00:00:00+00:00",  # ahead of the clock: from now
            }
        },
    }
    assert await _setup(hass, mock_config_entry) is ConfigEntryState.LOADED
    missing = mock_config_entry.runtime_data.coordinator.missing_sims
    assert set(missing.missing_since) <= {"d"}


# -- #23.7: damaged entry data and a lost installation key ----------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"carrier": "iijmio"}, "TypeError"),
        ({"carrier": "iijmio", "username": 12, "password": None}, "TypeError"),
        ({"carrier": "no-such-carrier"}, "ValueError"),
        ({}, "KeyError"),
    ],
)
async def test_damaged_entry_data_raises_a_repair_issue_not_a_traceback(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    data: dict[str, Any],
    reason: str,
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, title="Damaged", data=data, minor_version=2)
    assert await _setup(hass, entry) is ConfigEntryState.SETUP_ERROR
    # One line that says what to do; no traceback, not even Home Assistant's.
    assert not [r for r in caplog.records if r.exc_info]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    expected = f"The stored settings of Damaged cannot be used ({reason}); reconfigure it, "
    assert errors == [expected + "or delete and add it again"]
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"entry_damaged_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"entry_title": "Damaged"}


async def test_an_unreadable_installation_key_does_not_re_key_the_entities(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    before = {
        e.entity_id: e.unique_id
        for e in er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    }
    damaged = {"secret": "damaged"}
    state = await _restart_with_key(hass, hass_storage, init_integration, damaged)
    assert state is ConfigEntryState.SETUP_ERROR
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "installation_key_unreadable")
    assert issue is not None
    assert issue.is_fixable
    # The damaged key is left for the user to restore; no entity has a new id or a `_2`.
    assert hass_storage[KEY_STORE]["data"] == {"secret": "damaged"}
    after = {
        e.entity_id: e.unique_id
        for e in er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    }
    assert after == before


async def test_the_repair_makes_a_new_key_when_the_user_accepts_new_ids(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    state = await _restart_with_key(hass, hass_storage, init_integration, {})
    assert state is ConfigEntryState.SETUP_ERROR

    assert await async_setup_component(hass, "repairs", {})
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": "installation_key_unreadable"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, "installation_key_unreadable") is None
    secret = hass_storage[KEY_STORE]["data"]["secret"]
    assert len(secret) == 64
    assert secret != INSTALLATION_SECRET


async def test_a_key_file_moved_aside_as_corrupt_is_not_replaced_silently(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
) -> None:
    """Home Assistant moves a corrupt store aside and reads nothing: not a first start."""
    del hass_storage[KEY_STORE]
    assert await _setup(hass, mock_config_entry) is ConfigEntryState.SETUP_ERROR
    assert KEY_STORE not in hass_storage
    mock_iijmio.async_fetch.assert_not_awaited()


async def test_a_first_start_makes_its_key(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
) -> None:
    """Entries from before keyed ids (1.1) are migrated with a key made for them."""
    del hass_storage[KEY_STORE]
    entry = MockConfigEntry(
        domain=DOMAIN, title="IIJmio mi***", data=dict(mock_config_entry.data), minor_version=1
    )
    assert await _setup(hass, entry) is ConfigEntryState.LOADED
    assert len(hass_storage[KEY_STORE]["data"]["secret"]) == 64


# -- #23.8: carrier text never reaches the Refresh error or the log -------------------------------

PHISHING = "アカウントが停止されました。http://evil.example/login で 09012345678 を確認"


@pytest.mark.parametrize("error", [CarrierConnectionError, CarrierAuthError])
async def test_carrier_text_in_an_error_is_not_shown(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
    error: type[Exception],
) -> None:
    mock_iijmio.async_fetch.side_effect = error(f"IIJmio answered {PHISHING}")
    with pytest.raises(HomeAssistantError) as pressed:
        await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: REFRESH}, blocking=True)
    await hass.async_block_till_done()
    shown = str(pressed.value) + str(init_integration.runtime_data.coordinator.last_exception)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for text in (shown, logged):
        for part in ("アカウント", "evil.example", "09012345678", "http"):
            assert part not in text
    assert "IIJmio answered […]" in shown


# -- #23.1: background work that fails says so ----------------------------------------------------


async def test_a_background_import_that_fails_is_logged(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
) -> None:
    freezer.move_to("2025-11-25T12:00:00+09:00")
    sim = SimUsage(sim_id="line-1", daily_usage=(DailyUsage(date(2025, 11, 24), GIB),))
    mock_iijmio.async_fetch.return_value = AccountUsage(sims={"line-1": sim})
    with patch(
        "custom_components.japan_sim_data.sensor._async_import_daily_usage",
        side_effect=RuntimeError("statistics went away"),
    ):
        assert await _setup(hass, mock_config_entry) is ConfigEntryState.LOADED
        await hass.async_block_till_done(wait_background_tasks=True)
    failed = [r for r in caplog.records if "daily usage failed" in r.getMessage()]
    assert len(failed) == 1
    assert failed[0].exc_info is not None
    assert failed[0].name == "custom_components.japan_sim_data"


async def test_a_cancelled_background_job_is_not_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def cancelled() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await logged(cancelled(), "A job")
    assert "failed" not in caplog.text


async def test_a_wait_past_midnight_names_the_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
) -> None:
    freezer.move_to("2025-11-25T23:00:00+09:00")
    await _setup(hass, mock_config_entry)
    mock_iijmio.async_fetch.side_effect = CarrierRateLimitError("HTTP 429", retry_after=3 * 3600)
    await _tick(hass, freezer, minutes=31)
    with pytest.raises(HomeAssistantError) as pressed:
        await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: REFRESH}, blocking=True)
    assert pressed.value.translation_placeholders is not None
    assert pressed.value.translation_placeholders["time"] == "2025-11-26 02:31"


async def test_a_key_store_that_cannot_be_opened_is_unreadable(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    await hass.config_entries.async_unload(init_integration.entry_id)
    hass.data.pop(f"{DOMAIN}_installation_key")
    with patch(
        "custom_components.japan_sim_data.identifiers.Store.async_load",
        side_effect=HomeAssistantError("unsupported version"),
    ):
        assert await _setup(hass, init_integration, add=False) is ConfigEntryState.SETUP_ERROR
    assert ir.async_get(hass).async_get_issue(DOMAIN, "installation_key_unreadable")
