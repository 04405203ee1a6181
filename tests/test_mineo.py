"""mineo in Home Assistant: the flow, the figures, and a login that survives every rotation.

The real adapter talks HTTP to the replay in tests/carriers/mineo_replay.py, which spends each
refresh token on use and counts any spent token presented again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.japan_sim_data.carriers import mineo as mineo_module
from custom_components.japan_sim_data.carriers.base import anonymous_id
from custom_components.japan_sim_data.carriers.units import GIB, MIB
from custom_components.japan_sim_data.const import (
    CONF_CARRIER,
    CONF_DEVICE_ID,
    CONF_ID_TOKEN,
    CONF_REFRESH_TOKEN,
    DOMAIN,
)
from custom_components.japan_sim_data.polling import JapanSimDataCoordinator
from tests.carriers.mineo_replay import (
    API_PATH,
    INITIAL_REFRESH_TOKEN,
    SUBJECT,
    TOKEN_PATH,
    MineoReplay,
)
from tests.conftest import FROZEN_NOW, ServeApp, keyed_account_id, sim_identifier

FIRST, SECOND = "ABC12DE345", "FGH67IJ890"
AID = "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"


# Named so that tests/test_mineo_login.py can import it without shadowing it.
@pytest.fixture(name="replay")
async def replay_fixture(
    hass: HomeAssistant,
    serve: ServeApp,
    monkeypatch: pytest.MonkeyPatch,
    freezer: FrozenDateTimeFactory,
) -> MineoReplay:
    """The replay, with the adapter's two base addresses pointed at it."""
    freezer.move_to(FROZEN_NOW)
    replay = MineoReplay()
    base = await serve(replay.app())
    monkeypatch.setattr(mineo_module, "TOKEN_URL", f"{base}{TOKEN_PATH}")
    monkeypatch.setattr(mineo_module, "API_BASE_URL", f"{base}{API_PATH}")
    return replay


async def _start_flow(hass: HomeAssistant) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert "mineo" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "mineo"}
    )
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "mineo")
    placeholders = result.get("description_placeholders") or {}
    assert placeholders["guide"].endswith("#mineo")
    return result


async def _add_account(hass: HomeAssistant, token: str = INITIAL_REFRESH_TOKEN) -> Any:
    result = await _start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REFRESH_TOKEN: f"  {token}\n"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    return result["result"]


def _entity(hass: HomeAssistant, sim_id: str, key: str, domain: str = "sensor") -> str:
    unique_id = f"{sim_identifier('mineo', sim_id)[1]}_{key}"
    entity_id = er.async_get(hass).async_get_entity_id(domain, DOMAIN, unique_id)
    assert entity_id is not None, key
    return entity_id


def _state(hass: HomeAssistant, sim_id: str, key: str, domain: str = "sensor") -> str:
    state = hass.states.get(_entity(hass, sim_id, key, domain))
    assert state is not None, key
    return state.state


def _gib(hass: HomeAssistant, sim_id: str, key: str) -> float:
    return float(_state(hass, sim_id, key))


def _coordinator(hass: HomeAssistant, entry_id: str) -> JapanSimDataCoordinator:
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    coordinator = entry.runtime_data.coordinator
    assert isinstance(coordinator, JapanSimDataCoordinator)
    return coordinator


async def test_flow_adds_the_account_with_the_rotated_token(
    hass: HomeAssistant, replay: MineoReplay
) -> None:
    """The pasted token is spent by the check; the entry keeps the next one, not the pasted."""
    entry = await _add_account(hass)

    assert entry.title == "mineo 1234"
    assert entry.unique_id == keyed_account_id(anonymous_id("mineo", SUBJECT))
    assert entry.data[CONF_CARRIER] == "mineo"
    assert entry.data[CONF_REFRESH_TOKEN] == replay.current_refresh_token
    assert INITIAL_REFRESH_TOKEN not in entry.data.values()
    assert entry.data[CONF_ID_TOKEN] in replay.valid_id_tokens
    assert len(entry.data[CONF_DEVICE_ID]) == 36
    assert entry.state is ConfigEntryState.LOADED
    # Setup used the id_token the flow obtained: one renewal in all.
    assert replay.refresh_uses == [INITIAL_REFRESH_TOKEN]


async def test_every_figure_is_shown(hass: HomeAssistant, replay: MineoReplay) -> None:
    """mineard's sample line and a line with the mineo switch on."""
    await _add_account(hass)

    assert _gib(hass, FIRST, "remaining_data") == pytest.approx((5120 + 33563) * MIB / GIB, 0.01)
    assert _gib(hass, FIRST, "base_data") == pytest.approx(5.0, 0.01)
    assert _gib(hass, FIRST, "carried_over_data") == pytest.approx(33563 * MIB / GIB, 0.01)
    assert _gib(hass, FIRST, "data_allowance") == pytest.approx(5.0, 0.01)
    assert _gib(hass, FIRST, "topping_data") == 0
    assert _gib(hass, FIRST, "gifted_data") == 0
    # 2025-11-25: carried-over data goes at the month's end, six days counting today.
    assert _state(hass, FIRST, "days_left") == "6"
    assert _state(hass, FIRST, "data_expires") == "2025-11-30"
    assert _state(hass, FIRST, "data_resets_on") == "2025-12-01"
    assert _state(hass, FIRST, "plan") == "Dプラン デュアルタイプ (5GB)"
    assert _state(hass, FIRST, "throttled", "binary_sensor") == "off"

    assert _state(hass, SECOND, "throttled", "binary_sensor") == "on"
    assert _gib(hass, SECOND, "topping_data") == pytest.approx(100 * MIB / GIB, 0.01)
    assert _gib(hass, SECOND, "gifted_data") == pytest.approx(10 * MIB / GIB, 0.01)
    assert _gib(hass, SECOND, "carried_over_data") == 0


async def test_a_renewed_token_is_saved_before_the_next_request(
    hass: HomeAssistant, replay: MineoReplay
) -> None:
    """When mineo hears the first data call after a renewal, the entry already holds the token."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="mineo 1234",
        unique_id=keyed_account_id(anonymous_id("mineo", SUBJECT)),
        minor_version=2,
        data={
            CONF_CARRIER: "mineo",
            CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN,
            CONF_DEVICE_ID: AID,
        },
    )
    entry.add_to_hass(hass)
    held: list[bool] = []
    replay.observer = lambda _call: held.append(
        entry.data[CONF_REFRESH_TOKEN] == replay.current_refresh_token
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert replay.calls[0] == "token"
    assert held
    assert all(held)


async def test_restarts_need_no_new_login_and_never_reuse_a_token(
    hass: HomeAssistant, replay: MineoReplay, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _add_account(hass)

    # A restart within the day: the stored id_token is used, nothing is renewed.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert len(replay.refresh_uses) == 1

    # A restart a day later: renewed with the token the first renewal stored.
    freezer.tick(timedelta(hours=24))
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert len(replay.refresh_uses) == 2

    # mineo drops the id_token early; the poll renews, and the next restart uses that token.
    replay.expire_id_tokens()
    await _coordinator(hass, entry.entry_id).async_refresh()
    assert entry.data[CONF_REFRESH_TOKEN] == replay.current_refresh_token
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    replay.expire_id_tokens()
    await _coordinator(hass, entry.entry_id).async_refresh()

    assert entry.state is ConfigEntryState.LOADED
    assert len(replay.refresh_uses) == 4
    assert len(set(replay.refresh_uses)) == 4
    assert replay.reused == 0
    assert entry.data[CONF_REFRESH_TOKEN] == replay.current_refresh_token


async def test_poll_button_and_action_share_one_renewal(
    hass: HomeAssistant, replay: MineoReplay
) -> None:
    """All three reach the entry's one adapter, whose lock lets one renewal through.

    That the lock is what keeps concurrent renewals apart is shown in
    tests/carriers/test_mineo.py::test_concurrent_updates_renew_once.
    """
    entry = await _add_account(hass)
    coordinator = _coordinator(hass, entry.entry_id)
    button = er.async_get(hass).async_get_entity_id("button", DOMAIN, f"{entry.entry_id}_refresh")
    replay.expire_id_tokens()

    await asyncio.gather(
        coordinator.async_refresh(),
        coordinator.async_refresh(),
        hass.services.async_call("button", "press", {"entity_id": button}, blocking=True),
        hass.services.async_call(
            DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
        ),
    )
    await hass.async_block_till_done()

    assert len(replay.refresh_uses) == 2  # the flow's and one for all four
    assert replay.reused == 0
    assert coordinator.last_update_success


async def test_a_rejected_token_asks_for_a_new_one(
    hass: HomeAssistant, replay: MineoReplay
) -> None:
    """invalid_token from eo ID: reauth; a newly pasted token brings the entry back."""
    entry = await _add_account(hass)
    replay.reject_all_refresh_tokens()
    replay.expire_id_tokens()
    coordinator = _coordinator(hass, entry.entry_id)
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert coordinator.credentials_rejected
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["step_id"] == "mineo_reauth"
    assert (result.get("description_placeholders") or {})["account"] == "mineo 1234"

    replay.valid_refresh_tokens.add("rt-pasted-again")
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_REFRESH_TOKEN: "rt-pasted-again"}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reauth_successful")
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_REFRESH_TOKEN] == replay.current_refresh_token
    assert replay.reused == 0


async def test_reauth_with_another_eo_id_is_refused(
    hass: HomeAssistant, replay: MineoReplay
) -> None:
    entry = await _add_account(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "mineo_reauth"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REFRESH_TOKEN: "rt-never-issued"}
    )
    assert result["errors"] == {"base": "invalid_refresh_token"}
    replay.subject = "someone-else"
    replay.valid_refresh_tokens.add("rt-other-account")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REFRESH_TOKEN: "rt-other-account"}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "wrong_account")


async def test_the_same_account_cannot_be_added_twice(
    hass: HomeAssistant, replay: MineoReplay
) -> None:
    await _add_account(hass)
    replay.valid_refresh_tokens.add("rt-second-paste")
    result = await _start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REFRESH_TOKEN: "rt-second-paste"}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "already_configured")


@pytest.mark.parametrize(
    ("token", "prepare", "error"),
    [
        ("has\x00control", None, "invalid_refresh_token"),
        ("rt-never-issued", None, "invalid_refresh_token"),
        (INITIAL_REFRESH_TOKEN, "maintenance", "maintenance"),
        (INITIAL_REFRESH_TOKEN, "rate_limited", "rate_limited"),
    ],
)
async def test_flow_errors(
    hass: HomeAssistant,
    replay: MineoReplay,
    token: str,
    prepare: str | None,
    error: str,
) -> None:
    from aiohttp import web  # noqa: PLC0415 - only these answers need it

    answers: dict[str, Callable[[], web.StreamResponse]] = {
        "maintenance": lambda: web.Response(status=503, text="<html></html>"),
        "rate_limited": lambda: web.Response(status=429),
    }
    if prepare is not None:
        replay.token_answer = answers[prepare]
    result = await _start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REFRESH_TOKEN: token}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}


async def test_the_same_token_again_after_a_later_failure_is_not_spent_twice(
    hass: HomeAssistant, replay: MineoReplay
) -> None:
    """The check renewed, then listing the lines failed: sending the token again works."""
    from aiohttp import web  # noqa: PLC0415

    replay.api_answer = lambda: web.Response(status=503, text="<html>メンテナンス</html>")
    result = await _start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN}
    )
    assert result["errors"] == {"base": "maintenance"}
    replay.api_answer = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REFRESH_TOKEN: INITIAL_REFRESH_TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert replay.refresh_uses == [INITIAL_REFRESH_TOKEN]
    assert replay.reused == 0
