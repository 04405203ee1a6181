"""mineo's login in Home Assistant: on disk before the next request, across crashes, reloads
and damaged data, and an entry that keeps its unique id (issues 23.4 and 23.7).

The real adapter talks HTTP to tests/carriers/mineo_replay.py, which spends each refresh token
on use and counts any spent token presented again. ``hass_storage`` is what Home Assistant's
stores have written (the test plugin keeps it in memory in place of the disk).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.japan_sim_data import mineo_login
from custom_components.japan_sim_data.carriers.base import anonymous_id
from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.const import (
    CONF_ACCOUNT_ID,
    CONF_CARRIER,
    CONF_DEVICE_ID,
    CONF_ID_TOKEN,
    CONF_ID_TOKEN_EXPIRES,
    CONF_REFRESH_TOKEN,
    DOMAIN,
)
from custom_components.japan_sim_data.mineo_login import async_save_login
from tests.carriers.mineo_replay import (
    INITIAL_REFRESH_TOKEN,
    SUBJECT,
    MineoReplay,
    fake_jwt,
)
from tests.conftest import FROZEN_NOW, keyed_account_id
from tests.helpers import load_json_fixture
from tests.test_mineo import AID, FIRST, _add_account, _coordinator, _gib, _state

# isort: split
from tests.test_mineo import replay_fixture  # noqa: F401 (the shared fixtures)

UNIQUE_ID = keyed_account_id(anonymous_id("mineo", SUBJECT))


def _entry(**data: Any) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="mineo 1234",
        unique_id=UNIQUE_ID,
        minor_version=2,
        data={CONF_CARRIER: "mineo", CONF_DEVICE_ID: AID, **data},
    )


def _state_of(entry: MockConfigEntry) -> ConfigEntryState:
    """The entry's state now (a function, so type checkers do not keep an earlier reading)."""
    state: ConfigEntryState = entry.state
    return state


def _on_disk(hass_storage: dict[str, Any], entry_id: str) -> dict[str, Any]:
    record: dict[str, Any] = hass_storage[f"{DOMAIN}.{entry_id}.mineo_login"]["data"]
    return record


async def test_a_renewed_token_is_on_disk_before_the_next_request(
    hass: HomeAssistant, replay: MineoReplay, hass_storage: dict[str, Any]
) -> None:
    """When mineo hears the first data call after a renewal, the store already holds the token."""
    entry = _entry(**{CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN})
    entry.add_to_hass(hass)
    held: list[bool] = []
    replay.observer = lambda _call: held.append(
        _on_disk(hass_storage, entry.entry_id)[CONF_REFRESH_TOKEN] == replay.current_refresh_token
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert replay.calls[0] == "token"
    assert held
    assert all(held)
    stored = _on_disk(hass_storage, entry.entry_id)
    assert stored[CONF_ID_TOKEN] in replay.valid_id_tokens
    assert entry.data[CONF_ACCOUNT_ID] == anonymous_id("mineo", SUBJECT)


async def test_a_crash_before_the_entry_is_saved_keeps_the_login(
    hass: HomeAssistant,
    replay: MineoReplay,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """The entry's delayed save never happened: at the next start the store's token is used."""
    stale = {CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN}
    entry = _entry(**stale)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)

    # What the disk holds after a crash: the entry as it was before the renewal.
    hass.config_entries.async_update_entry(entry, data={**entry.data, **stale})
    for key in (CONF_ID_TOKEN, CONF_ID_TOKEN_EXPIRES):
        hass.config_entries.async_update_entry(
            entry, data={k: v for k, v in entry.data.items() if k != key}
        )
    freezer.tick(timedelta(hours=24))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert len(replay.refresh_uses) == 2
    assert replay.reused == 0
    assert entry.data[CONF_REFRESH_TOKEN] == replay.current_refresh_token


async def test_a_reload_during_a_renewal_keeps_the_new_token(
    hass: HomeAssistant, replay: MineoReplay, hass_storage: dict[str, Any]
) -> None:
    """The reload waits for the renewal in flight; the new setup uses the token it left."""
    entry = await _add_account(hass)
    coordinator = _coordinator(hass, entry.entry_id)
    replay.expire_id_tokens()
    replay.token_asked.clear()
    replay.token_gate = asyncio.Event()

    refresh = hass.async_create_task(coordinator.async_refresh())
    await replay.token_asked.wait()
    reload = hass.async_create_task(hass.config_entries.async_reload(entry.entry_id))
    for _ in range(50):  # the clock is frozen: let the reload run as far as it can
        await asyncio.sleep(0)
    assert not reload.done()  # held until the renewal is over
    replay.token_gate.set()
    assert await reload
    await refresh
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert replay.reused == 0
    assert len(replay.refresh_uses) == 2  # the flow's and the one the reload waited for
    assert _on_disk(hass_storage, entry.entry_id)[CONF_REFRESH_TOKEN] == (
        replay.current_refresh_token
    )


DAMAGED = {
    "no refresh token": {},
    "refresh token a number": {CONF_REFRESH_TOKEN: 12345},
    "refresh token with a line break": {CONF_REFRESH_TOKEN: "rt\nX-Injected: 1"},
    "refresh token too long": {CONF_REFRESH_TOKEN: "r" * 5000},
    "refresh token empty": {CONF_REFRESH_TOKEN: "   "},
    "app id missing": {CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN, CONF_DEVICE_ID: None},
    "app id garbled": {CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN, CONF_DEVICE_ID: ["x"]},
}


@pytest.mark.parametrize("data", DAMAGED.values(), ids=DAMAGED.keys())
async def test_damaged_login_data_asks_for_a_new_token(
    hass: HomeAssistant,
    replay: MineoReplay,
    caplog: pytest.LogCaptureFixture,
    data: dict[str, Any],
) -> None:
    """Setup goes to re-authentication: no traceback, nothing sent; a new token repairs it."""
    entry = _entry(**data)
    if data.get(CONF_DEVICE_ID, AID) is None:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="mineo 1234",
            unique_id=UNIQUE_ID,
            minor_version=2,
            data={CONF_CARRIER: "mineo", CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN},
        )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert replay.calls == []
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["step_id"] == "mineo_reauth"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reauth_successful")
    await hass.async_block_till_done()
    assert _state_of(entry) is ConfigEntryState.LOADED
    assert isinstance(entry.data[CONF_DEVICE_ID], str)
    assert len(entry.data[CONF_DEVICE_ID]) in (36, len(AID))


async def test_reauth_reaches_disk_at_once(
    hass: HomeAssistant, replay: MineoReplay, hass_storage: dict[str, Any]
) -> None:
    """The pasted token is spent by the check: its successor is stored before the reload."""
    entry = _entry(**{CONF_REFRESH_TOKEN: "rt-dead"})
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await hass.config_entries.flow.async_configure(flow["flow_id"])
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN}
    )
    assert result["reason"] == "reauth_successful"
    assert _on_disk(hass_storage, entry.entry_id)[CONF_REFRESH_TOKEN] == (
        replay.current_refresh_token
    )


@pytest.mark.parametrize(
    "record",
    [{CONF_REFRESH_TOKEN: 5}, {CONF_REFRESH_TOKEN: "a b"}, ["not", "a", "record"], "text"],
)
async def test_an_unreadable_saved_login_falls_back_to_the_entry(
    hass: HomeAssistant,
    replay: MineoReplay,
    hass_storage: dict[str, Any],
    record: Any,
) -> None:
    entry = _entry(**{CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN})
    hass_storage[f"{DOMAIN}.{entry.entry_id}.mineo_login"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.mineo_login",
        "data": record,
    }
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert replay.refresh_uses == [INITIAL_REFRESH_TOKEN]


async def test_a_garbled_id_token_or_expiry_is_renewed_not_fatal(
    hass: HomeAssistant, replay: MineoReplay
) -> None:
    entry = _entry(
        **{
            CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN,
            CONF_ID_TOKEN: {"not": "a token"},
            CONF_ID_TOKEN_EXPIRES: 12,
            CONF_ACCOUNT_ID: "not-an-id",
        }
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert replay.refresh_uses == [INITIAL_REFRESH_TOKEN]
    assert entry.data[CONF_ACCOUNT_ID] == anonymous_id("mineo", SUBJECT)


async def test_the_unique_id_never_follows_a_later_subject(
    hass: HomeAssistant, replay: MineoReplay
) -> None:
    """Token answers naming another `sub` re-key nothing: the name verified at the flow stays."""
    entry = await _add_account(hass)
    assert entry.unique_id == UNIQUE_ID
    assert entry.data[CONF_ACCOUNT_ID] == anonymous_id("mineo", SUBJECT)

    replay.subject = "someone-else"
    replay.expire_id_tokens()
    await _coordinator(hass, entry.entry_id).async_refresh()
    assert _coordinator(hass, entry.entry_id).last_update_success
    assert entry.unique_id == UNIQUE_ID
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    replay.expire_id_tokens()
    await _coordinator(hass, entry.entry_id).async_refresh()
    assert entry.unique_id == UNIQUE_ID


async def test_an_older_entry_keeps_its_unique_id(hass: HomeAssistant, replay: MineoReplay) -> None:
    """An entry from before the name was stored: named from its stored id_token, then kept."""
    now = int(datetime.fromisoformat(FROZEN_NOW).timestamp())
    id_token = fake_jwt({"sub": SUBJECT, "exp": now + 3600 * 20})
    replay.valid_id_tokens.add(id_token)
    replay.subject = "someone-else"  # what every later token claims
    entry = _entry(
        **{
            CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN,
            CONF_ID_TOKEN: id_token,
            CONF_ID_TOKEN_EXPIRES: datetime.fromtimestamp(now + 3600 * 20, TOKYO).isoformat(),
        }
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.data[CONF_ACCOUNT_ID] == anonymous_id("mineo", SUBJECT)

    replay.expire_id_tokens()
    await _coordinator(hass, entry.entry_id).async_refresh()
    assert replay.refresh_uses == [INITIAL_REFRESH_TOKEN]
    assert entry.unique_id == UNIQUE_ID


async def test_removing_the_entry_removes_the_saved_login(
    hass: HomeAssistant, replay: MineoReplay, hass_storage: dict[str, Any]
) -> None:
    entry = _entry(**{CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.{entry.entry_id}.mineo_login" in hass_storage
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.{entry.entry_id}.mineo_login" not in hass_storage


# -- month turnover, as a person sees it -----------------------------------------------------------


async def test_an_expired_charge_never_shows_across_the_month_end(
    hass: HomeAssistant, replay: MineoReplay, freezer: FrozenDateTimeFactory
) -> None:
    """Issue 22: 11.16 GB with a charge valid through 30 November; 8.16 GB once it expired,
    although mineo still lists it on 1 December; never 0 days left next to data."""
    freezer.move_to(datetime(2025, 11, 30, 22, 0, tzinfo=TOKYO))
    replay.telnum_list["telNumList"] = replay.telnum_list["telNumList"][:1]
    packet_info = {
        "baseCapacity": 5120,
        "baseRemainingCapacity": 5120,
        "forwardCapacity": 3236,
        "forwardRemainingCapacity": 3236,
        "chargeCapacity": 3072,
        "chargeRemainingCapacity": 3072,
    }
    replay.capacities[FIRST]["packetInfo"] = packet_info
    replay.charge_infos[FIRST] = load_json_fixture("mineo/packetcharge_info.json")
    replay.charge_infos[FIRST]["packetChargeInfo"]["chargeExpireDate"] = "20251130"
    entry = await _add_account(hass)

    assert _gib(hass, FIRST, "remaining_data") == pytest.approx(11.16, abs=0.01)
    assert _state(hass, FIRST, "days_left") == "1"
    assert _state(hass, FIRST, "data_expires") == "2025-11-30"

    # Past midnight, before the next poll: the charge and November's carry-over are gone.
    freezer.move_to(datetime(2025, 12, 1, 0, 0, 5, tzinfo=TOKYO))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _gib(hass, FIRST, "remaining_data") == pytest.approx(5.0, abs=0.01)
    assert _state(hass, FIRST, "days_left") == "31"

    # The first December poll: mineo carries over 3.16 GB, adds December's 5 GB and still
    # lists the spent charge with its old date.
    replay.capacities[FIRST]["packetInfo"] = packet_info
    freezer.move_to(datetime(2025, 12, 1, 0, 30, tzinfo=TOKYO))
    await _coordinator(hass, entry.entry_id).async_refresh()
    await hass.async_block_till_done()
    assert _gib(hass, FIRST, "remaining_data") == pytest.approx(8.16, abs=0.01)
    assert _state(hass, FIRST, "days_left") == "31"
    assert _state(hass, FIRST, "data_expires") == "2025-12-31"


async def test_saving_without_a_refresh_token_writes_nothing(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    await async_save_login(hass, "some-entry", {CONF_ID_TOKEN: "t"})
    assert f"{DOMAIN}.some-entry.mineo_login" not in hass_storage


async def test_the_saved_login_brings_the_account_name_the_entry_lost(
    hass: HomeAssistant, replay: MineoReplay, hass_storage: dict[str, Any]
) -> None:
    """A crash lost the entry's delayed save of the name too: the store's is used."""
    named = anonymous_id("mineo", SUBJECT)
    entry = _entry(**{CONF_REFRESH_TOKEN: "rt-spent-long-ago"})
    hass_storage[f"{DOMAIN}.{entry.entry_id}.mineo_login"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.mineo_login",
        "data": {CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN, CONF_ACCOUNT_ID: named},
    }
    entry.add_to_hass(hass)
    replay.subject = "someone-else"
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert replay.refresh_uses == [INITIAL_REFRESH_TOKEN]
    assert entry.data[CONF_ACCOUNT_ID] == named
    assert entry.unique_id == UNIQUE_ID


@pytest.mark.parametrize("how", ["another subject", "no key"])
async def test_an_older_entry_is_named_only_when_that_is_its_unique_id(
    hass: HomeAssistant,
    replay: MineoReplay,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    """The stored id_token names another account, or the key cannot be read: not named then;
    the first login mineo's API accepts names it."""
    now = int(datetime.fromisoformat(FROZEN_NOW).timestamp())
    id_token = fake_jwt({"sub": "stale-subject" if how == "another subject" else SUBJECT})
    if how == "no key":

        async def unreadable(_hass: HomeAssistant) -> None:
            raise HomeAssistantError("unreadable")

        monkeypatch.setattr(mineo_login, "async_get_installation_key", unreadable)
    entry = _entry(
        **{
            CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN,
            CONF_ID_TOKEN: id_token,
            CONF_ID_TOKEN_EXPIRES: datetime.fromtimestamp(now + 3600, TOKYO).isoformat(),
        }
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    # The stored id_token is not one the replay issued: renewed, and the new one names it.
    assert replay.refresh_uses == [INITIAL_REFRESH_TOKEN]
    assert entry.data[CONF_ACCOUNT_ID] == anonymous_id("mineo", SUBJECT)
