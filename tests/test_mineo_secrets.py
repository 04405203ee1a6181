"""mineo's tokens, app id, line ids and numbers never reach a log line, an error or diagnostics.

The mineo part of tests/test_secrets.py (its helpers are shared): the real adapter talks to
the replay, which hands out sentinel refresh tokens and echoes the user's identity in every
failure it can produce.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.japan_sim_data.carriers import mineo as mineo_module
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAuthError,
    CarrierConnectionError,
    CarrierError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierRateLimitError,
    CarrierSessionExpiredError,
)
from custom_components.japan_sim_data.carriers.mineo import MineoAdapter
from custom_components.japan_sim_data.const import CONF_REFRESH_TOKEN, DOMAIN
from tests.carriers.mineo_replay import API_PATH, TOKEN_PATH, MineoReplay
from tests.conftest import ServeApp
from tests.test_secrets import ECHO, NOW, SENTINELS, Attempts, _leaks, _texts

S_REFRESH = "SENTINEL-REFRESH-TOKEN-5e1b"
S_AID = "SENTINEL-AID-0b7c"
S_CUST = "SENTINEL-CUST-91d2"
S_PHONE_DIGITS = "08011112222"
S_LINE_NAME = "SENTINEL-LINE-NAME-77aa"
S_SUBJECT = "SENTINEL-SUBJECT-3f08"
S_PREFIX = "SENTINEL-ROTATED"


def _replay(*, frozen: bool = True) -> MineoReplay:
    replay = MineoReplay(
        subject=S_SUBJECT,
        token_prefix=S_PREFIX,
        valid_refresh_tokens={S_REFRESH},
        telnum_list={
            "resultCode": "00",
            "messages": [None],
            "telNumList": [{"custId": S_CUST, "lineName": S_LINE_NAME, "telNum": S_PHONE_DIGITS}],
        },
        capacities={
            S_CUST: {
                "resultCode": "00",
                "packetInfo": {"baseCapacity": 1024, "baseRemainingCapacity": 512},
                "serviceName": ECHO,
            }
        },
    )
    if frozen:
        replay.clock = lambda: NOW
    return replay


def _json(status: int, body: Any, **headers: str) -> Any:
    return lambda: web.json_response(body, status=status, headers=headers)


def _text(status: int, body: str) -> Any:
    return lambda: web.Response(status=status, text=body, content_type="text/html")


async def _run_mineo(
    serve: ServeApp, session: aiohttp.ClientSession, attempts: Attempts
) -> tuple[MineoReplay, list[MineoAdapter]]:
    replay = _replay()
    base_url = await serve(replay.app())

    def build(refresh_token: str = S_REFRESH) -> MineoAdapter:
        return MineoAdapter(
            session,
            refresh_token=refresh_token,
            aid=S_AID,
            token_url=f"{base_url}{TOKEN_PATH}",
            api_base_url=f"{base_url}{API_PATH}",
            clock=lambda: NOW,
        )

    adapter = build()
    assert (await adapter.async_fetch()).sims
    data_failures: list[tuple[Any, type[CarrierError]]] = [
        (_json(429, {"message": ECHO}, **{"Retry-After": "60"}), CarrierRateLimitError),
        (_json(500, {"message": ECHO}), CarrierConnectionError),
        (_text(200, f"<!DOCTYPE html><html>メンテナンス {ECHO}</html>"), CarrierMaintenanceError),
        (_json(200, {"resultCode": "0098", "messages": [ECHO]}), CarrierParseError),
        (_json(200, {"resultCode": ECHO, "messages": [ECHO]}), CarrierParseError),
        (_json(200, [ECHO]), CarrierParseError),
        (_json(401, {"statusCode": 401, "message": ECHO}), CarrierSessionExpiredError),
    ]
    for answer, error in data_failures:
        replay.api_answer = answer
        await attempts.expect(adapter.async_fetch(), error)
    replay.api_answer = None

    # A line list and figures that cannot be read, echoing the user's data.
    replay.telnum_list = {"resultCode": "00", "telNumList": [{"custId": f"{S_CUST} {ECHO}"}]}
    await attempts.expect(build(replay.current_refresh_token).async_login(), CarrierParseError)
    replay.telnum_list = _replay().telnum_list
    replay.capacities[S_CUST] = {"resultCode": "00", "packetInfo": {"baseCapacity": ECHO}}
    await attempts.expect(adapter.async_fetch(), CarrierParseError)

    token_failures: list[tuple[Any, type[CarrierError]]] = [
        (_json(400, {"error": "invalid_grant", "error_description": ECHO}), CarrierAuthError),
        (_json(400, {"error": ECHO, "error_description": ECHO}), CarrierParseError),
        (_json(200, {"id_token": f"x\r\n{ECHO}", "refresh_token": "r"}), CarrierParseError),
        # A next refresh token that cannot be kept: the login is lost (nothing sent again).
        (_json(200, {"id_token": "x", "refresh_token": f"{S_REFRESH}\n{ECHO}"}), CarrierAuthError),
        (_text(503, f"<html>{ECHO}</html>"), CarrierMaintenanceError),
    ]
    for answer, error in token_failures:
        replay.token_answer = answer
        await attempts.expect(build(replay.current_refresh_token).async_login(), error)
    replay.token_answer = None
    replay.reject_all_refresh_tokens()
    await attempts.expect(build(S_REFRESH).async_login(), CarrierAuthError)
    return replay, [adapter]


async def test_mineo_secrets_stay_secret(
    serve: ServeApp, http_session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    attempts = Attempts()
    replay, adapters = await _run_mineo(serve, http_session, attempts)

    assert len(attempts.errors) == 15
    assert any(r.name.startswith("custom_components.japan_sim_data") for r in caplog.records)
    skeletons = [
        json.dumps(err.skeleton, ensure_ascii=False)
        for err in attempts.errors
        if isinstance(err, CarrierParseError) and err.skeleton is not None
    ]
    assert skeletons
    secrets = (*SENTINELS, *replay.issued, S_PHONE_DIGITS, S_SUBJECT)
    texts = [*_texts(caplog, attempts.errors, adapters), *skeletons]
    assert not _leaks(texts, secrets)


async def test_mineo_logs_and_diagnostics_keep_tokens_secret(
    hass: HomeAssistant,
    serve: ServeApp,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    hass_client: ClientSessionGenerator,
) -> None:
    caplog.set_level(logging.DEBUG)
    replay = _replay(frozen=False)  # Home Assistant runs on the real clock here
    base_url = await serve(replay.app())
    monkeypatch.setattr(mineo_module, "TOKEN_URL", f"{base_url}{TOKEN_PATH}")
    monkeypatch.setattr(mineo_module, "API_BASE_URL", f"{base_url}{API_PATH}")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "mineo"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REFRESH_TOKEN: S_REFRESH}
    )
    entry = result["result"]
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    replay.expire_id_tokens()
    await coordinator.async_refresh()  # renews: a second rotated token to keep secret
    replay.api_answer = _json(200, {"resultCode": "0098", "messages": [ECHO]})
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    diagnostics = json.dumps(
        await get_diagnostics_for_config_entry(hass, hass_client, entry),
        default=str,
        ensure_ascii=False,
    )
    # The test plugin's stand-in for storage logs what it is given; Home Assistant's does not.
    messages = [
        record.getMessage()
        for record in caplog.records
        if record.name != "pytest_homeassistant_custom_component.common"
    ]
    secrets = (S_REFRESH, *replay.issued, entry.data["device_id"], S_CUST, S_PHONE_DIGITS)
    assert len(replay.issued) == 4
    assert any("mineo" in message for message in messages)
    assert not _leaks(messages, secrets)
    assert not _leaks([diagnostics], secrets)
