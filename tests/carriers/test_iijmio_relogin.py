"""What an expired member-site session costs: two requests, and the WAF page only when needed.

The replay's app API is off, so the adapter reads the member site (its fallback route).
"""

from __future__ import annotations

import aiohttp
from aiohttp import web

from custom_components.japan_sim_data.carriers.iijmio import IijmioAdapter
from tests.carriers.iijmio_replay import MIO_ID, PASSWORD, IijmioReplay
from tests.conftest import ServeApp


async def _adapter(
    replay: IijmioReplay, serve: ServeApp, session: aiohttp.ClientSession
) -> IijmioAdapter:
    url = await serve(replay.app())
    return IijmioAdapter(session, mio_id=MIO_ID, password=PASSWORD, base_url=url, app_base_url=url)


async def test_relogin_skips_the_waf_page(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    replay = IijmioReplay(app_api=False)
    adapter = await _adapter(replay, serve, http_session)
    await adapter.async_fetch()
    replay.expire_sessions_with = lambda: web.json_response({"error": "ERROR_CODE_032"})
    replay.requests.clear()

    await adapter.async_fetch()

    assert replay.requests == [
        "POST /api/member/top",
        "POST /api/member/login",
        "POST /api/member/top",
    ]


async def test_relogin_fetches_the_waf_page_again_when_the_waf_forgot_us(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    replay = IijmioReplay(app_api=False)
    adapter = await _adapter(replay, serve, http_session)
    await adapter.async_fetch()
    # Both the member session and the WAF cookies are gone.
    http_session.cookie_jar.clear()
    replay.requests.clear()

    usage = await adapter.async_fetch()

    assert len(usage.sims) == 3
    assert replay.requests == [
        "POST /api/member/top",
        "POST /api/member/login",
        "GET /auth/login/",
        "POST /api/member/login",
        "POST /api/member/top",
    ]
