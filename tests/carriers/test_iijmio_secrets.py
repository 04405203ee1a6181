"""The app API route keeps its secrets: login, token, mioID and phone numbers never reach a log
line, an error (or anything it was raised from) or the adapter's repr.

The member-site route is covered by tests/test_secrets.py; this drives the app API, then the
fallback, with sentinel values the replay hands out and echoes back in its error answers.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers import iijmio
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAppVersionError,
    CarrierAuthError,
    CarrierRateLimitError,
)
from custom_components.japan_sim_data.carriers.iijmio import IijmioAdapter
from tests.conftest import ServeApp
from tests.test_secrets import (
    ECHO,
    NOW,
    S_MIO_ID,
    S_PASSWORD,
    S_PHONE,
    S_TOKEN,
    SENTINELS,
    Attempts,
    _leaks,
    _texts,
)

from .iijmio_replay import IijmioReplay

S_ACCOUNT = "SENTINEL-MA-ACCOUNT-61d2"


class SentinelApp(IijmioReplay):
    """The replay, with the sentinel login, token, mioID and phone numbers."""

    def __init__(self) -> None:
        super().__init__(password=S_PASSWORD, login_id=S_MIO_ID, account_mio_id=S_ACCOUNT)
        for line in self.data_traffic["dataTraffic"]["hdcList"]:
            line["telNo"] = S_PHONE
            line["msIsdn"] = S_PHONE

    async def _token(self, request: web.Request) -> web.StreamResponse:
        self.app_logins += 1
        if (answer := self.app_answers.get("/token")) is not None:
            return answer()
        body = await request.json()
        if body != {"loginId": S_MIO_ID, "password": S_PASSWORD}:
            return web.json_response({"message": ECHO}, status=401)
        self.sessions.add(S_TOKEN)
        return web.json_response({"mioId": S_ACCOUNT, "token": S_TOKEN, "contractorName": ECHO})


async def test_app_route_secrets_stay_secret(
    serve: ServeApp, http_session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    replay = SentinelApp()
    url = await serve(replay.app())

    now = [NOW]

    def build(password: str = S_PASSWORD) -> IijmioAdapter:
        return IijmioAdapter(
            http_session,
            mio_id=S_MIO_ID,
            password=password,
            base_url=url,
            app_base_url=url,
            clock=lambda: now[0],
        )

    attempts = Attempts()
    adapter = build()
    assert (await adapter.async_fetch()).sims
    assert adapter.active_route == "app"
    # The token ends: a silent second login.
    replay.expire_tokens_with = lambda: web.json_response({"message": ECHO}, status=401)
    assert (await adapter.async_fetch()).sims

    echoing: list[Any] = [
        lambda: web.Response(status=502, text=ECHO),
        lambda: web.Response(text=f"<!DOCTYPE html><html>{ECHO}</html>", content_type="text/html"),
        lambda: web.json_response({"message": ECHO}, status=404),
        lambda: web.json_response({"dataTraffic": ECHO}),
    ]
    for answer in echoing:
        # Past the app API's rest after the last failure, so each answer is asked for.
        now[0] += iijmio.APP_RETRY_AFTER
        replay.app_answers["/dataTraffic"] = answer
        assert (await adapter.async_fetch()).sims  # the member site stands in
    now[0] += iijmio.APP_RETRY_AFTER
    replay.app_answers["/dataTraffic"] = lambda: web.Response(
        status=429, text=ECHO, headers={"Retry-After": "60"}
    )
    await attempts.expect(adapter.async_fetch(), CarrierRateLimitError)
    replay.app_answers.clear()

    replay.app_version = "0.0.1"
    replay.top_answer = lambda: web.json_response({"message": ECHO}, status=500)
    await attempts.expect(build().async_fetch(), CarrierAppVersionError)
    replay.app_version = "3.2.5"
    replay.top_answer = None

    await attempts.expect(build("wrong-" + S_PASSWORD).async_fetch(), CarrierAuthError)

    assert len(attempts.errors) == 3
    assert adapter.account_id == S_ACCOUNT
    secrets = (*SENTINELS, S_ACCOUNT)
    assert not _leaks(_texts(caplog, attempts.errors, [adapter]), secrets)
