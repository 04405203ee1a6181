"""The IIJmio adapter over real HTTP: the app API first, the member site when it fails.

The replay (iijmio_replay.py) serves both routes for one account, with the same lines and
figures (tests/fixtures/iijmio/README.md), so a route switch must not change what a SIM shows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from unittest.mock import patch

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers import iijmio
from custom_components.japan_sim_data.carriers.dates import HISTORY_REFRESH, TOKYO
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAppVersionError,
    CarrierAuthError,
    CarrierParseError,
    CarrierRateLimitError,
)
from custom_components.japan_sim_data.carriers.iijmio import IijmioAdapter
from custom_components.japan_sim_data.carriers.models import AccountUsage, DailyUsage
from custom_components.japan_sim_data.carriers.units import GIB, MIB
from tests.conftest import ServeApp

from .iijmio_replay import ACCOUNT_MIO_ID, APP_VERSION, MIO_ID, PASSWORD, IijmioReplay

NOW = datetime(2025, 11, 25, 12, 0, tzinfo=TOKYO)
MEMBER_LOGIN = "POST /api/member/login"
APP_READ = ["GET /lineInfo", "GET /dataTraffic", *["GET /pastDataTraffic"] * 3]


@pytest.fixture
def replay() -> IijmioReplay:
    return IijmioReplay()


@pytest.fixture
async def url(replay: IijmioReplay, serve: ServeApp) -> str:
    return await serve(replay.app())


@pytest.fixture
def adapter(url: str, http_session: aiohttp.ClientSession) -> IijmioAdapter:
    return _build(http_session, url)


def _build(
    session: aiohttp.ClientSession,
    url: str,
    *,
    app_url: str | None = None,
    login: str = MIO_ID,
    clock: Callable[[], datetime] = lambda: NOW,
) -> IijmioAdapter:
    return IijmioAdapter(
        session,
        mio_id=login,
        password=PASSWORD,
        base_url=url,
        app_base_url=app_url or url,
        clock=clock,
    )


def _figures(usage: AccountUsage) -> dict[str, tuple[int | None, int | None, bool]]:
    return {
        sim_id: (sim.remaining, sim.allowance, sim.shared_pool)
        for sim_id, sim in usage.sims.items()
    }


async def test_app_api_is_read_first(adapter: IijmioAdapter, replay: IijmioReplay) -> None:
    """/token, /lineInfo, /dataTraffic?dataDetailFlag=1, then each line's /pastDataTraffic."""
    usage = await adapter.async_fetch()

    assert replay.requests == ["POST /token", *APP_READ]
    assert replay.logins == 0
    assert adapter.active_route == "app"
    token = replay.authorizations[1].removeprefix("Bearer ").split(",")[0]
    assert replay.authorizations == [
        f"appVersion={APP_VERSION}",
        *[f"Bearer {token},appVersion={APP_VERSION}"] * 5,
    ]
    queries = dict(replay.app_queries[:2])
    assert queries["/dataTraffic"] == {
        "dataDetailFlag": "1",
        "mainLineServiceCode": "hdu11111111",
    }
    assert [query for _, query in replay.app_queries[2:]] == [
        {"serviceCode": "hdc11111111"},
        {"serviceCode": "hdc22222222"},
        {"serviceCode": "hdc33333333"},
    ]

    first = usage.sims["hdc11111111"]
    assert first.remaining == round(24.56 * GIB)
    assert first.allowance == 20 * GIB
    assert first.used == round(7.5 * GIB)
    assert first.throttled is False
    assert first.number_suffix == "5678"
    # The history's days, with the last seven days' figures winning for the 24th.
    assert first.daily_usage == (
        DailyUsage(date(2025, 11, 22), 310 * MIB),
        DailyUsage(date(2025, 11, 23), 290 * MIB),
        DailyUsage(date(2025, 11, 24), 300 * MIB),
        DailyUsage(date(2025, 11, 25), 150 * MIB),
    )
    # A share-group line with nothing of its own shows its group's pool.
    assert usage.sims["hdc33333333"].remaining == usage.sims["hdc22222222"].remaining
    assert usage.sims["hdc33333333"].shared_pool is True


async def test_both_routes_name_and_read_the_lines_alike(
    url: str, replay: IijmioReplay, serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    """Switching route keeps the same SIM ids, so the same entities, with the same figures."""
    by_app = await _build(http_session, url).async_fetch()
    member_only = IijmioReplay(app_api=False)
    by_member = await _build(http_session, await serve(member_only.app())).async_fetch()

    assert list(by_app.sims) == list(by_member.sims)
    assert _figures(by_app) == _figures(by_member)


async def test_a_poll_costs_one_request(
    url: str, http_session: aiohttp.ClientSession, replay: IijmioReplay
) -> None:
    """The token, the main line and each line's history are kept: a poll is one /dataTraffic."""
    now = [NOW]
    adapter = _build(http_session, url, clock=lambda: now[0])
    await adapter.async_fetch()
    replay.requests.clear()
    now[0] += timedelta(minutes=30)
    await adapter.async_fetch()
    assert replay.requests == ["GET /dataTraffic"]
    assert replay.app_logins == 1

    # The history holds whole days: it is asked again after six hours, or on a new day.
    replay.requests.clear()
    now[0] += HISTORY_REFRESH
    await adapter.async_fetch()
    assert replay.requests == ["GET /dataTraffic", *["GET /pastDataTraffic"] * 3]
    replay.requests.clear()
    now[0] = datetime(2025, 11, 26, 0, 5, tzinfo=TOKYO)
    await adapter.async_fetch()
    assert replay.requests == ["GET /dataTraffic", *["GET /pastDataTraffic"] * 3]


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_token_logs_in_again_once(
    adapter: IijmioAdapter, replay: IijmioReplay, status: int
) -> None:
    await adapter.async_fetch()
    replay.expire_tokens_with = lambda: web.json_response({}, status=status)
    replay.requests.clear()

    usage = await adapter.async_fetch()

    # A new session asks for the main line again; the histories it already holds are kept.
    assert replay.requests == [
        "GET /dataTraffic",
        "POST /token",
        "GET /lineInfo",
        "GET /dataTraffic",
    ]
    assert replay.app_logins == 2
    assert len(usage.sims) == 3


async def test_token_rejected_again_after_a_new_login_falls_back_not_loops(
    adapter: IijmioAdapter, replay: IijmioReplay
) -> None:
    """A token refused right after /token gave it: one login per route, then the member site."""
    replay.app_answers["/dataTraffic"] = lambda: web.json_response({}, status=401)

    usage = await adapter.async_fetch()

    assert replay.app_logins == 1
    assert replay.logins == 1
    assert adapter.active_route == "member"
    assert len(usage.sims) == 3


async def test_wrong_password_is_judged_by_the_member_site(
    adapter: IijmioAdapter, replay: IijmioReplay
) -> None:
    """/token's 401 is an invalid session (IIJWidget); the member site's 008 is the verdict.

    One login on each route, then the update ends: nothing is sent again in a loop.
    """
    replay.password = "changed-on-the-website"
    with pytest.raises(CarrierAuthError) as raised:
        await adapter.async_fetch()
    assert PASSWORD not in str(raised.value)
    assert MIO_ID not in str(raised.value)
    assert replay.app_logins == 1
    assert replay.logins == 1
    assert replay.requests[0] == "POST /token"
    assert replay.requests[-1] == MEMBER_LOGIN


async def test_wrong_password_on_the_member_site_after_the_app_failed(
    adapter: IijmioAdapter, replay: IijmioReplay
) -> None:
    """One login per route: the app API was down, the member site said the password is wrong."""
    replay.app_answers["/token"] = lambda: web.Response(status=502, text="bad gateway")
    replay.password = "changed-on-the-website"
    with pytest.raises(CarrierAuthError):
        await adapter.async_fetch()
    assert replay.app_logins == 1
    assert replay.logins == 1


@pytest.mark.parametrize(
    "answer",
    [
        lambda: web.Response(status=502, text="bad gateway"),
        lambda: web.Response(
            status=503, text="<html>メンテナンス中</html>", content_type="text/html"
        ),
        lambda: web.Response(
            text="<!DOCTYPE html><html>maintenance</html>", content_type="text/html"
        ),
        lambda: web.json_response({"unexpected": True}),
        lambda: web.json_response({"error": "moved"}, status=404),
        lambda: web.json_response({**_traffic_for("MA9999999")}),
    ],
    ids=["502", "503-page", "html-200", "unknown-shape", "404", "another-account"],
)
async def test_app_api_failures_fall_back_to_the_member_site(
    adapter: IijmioAdapter, replay: IijmioReplay, answer: Any
) -> None:
    replay.app_answers["/dataTraffic"] = answer

    usage = await adapter.async_fetch()

    assert adapter.active_route == "member"
    assert replay.logins == 1
    assert len(usage.sims) == 3
    # The member site has no usage history: the SIMs simply show none.
    assert all(sim.daily_usage == () for sim in usage.sims.values())


@pytest.mark.parametrize(
    "answer",
    [
        lambda: web.json_response({}, status=401),
        lambda: web.json_response({}, status=403),
        lambda: web.json_response({}, status=400),
        lambda: web.Response(status=401, text="<html>blocked</html>", content_type="text/html"),
        lambda: web.json_response({"mioId": "MA1", "token": "bad token"}),
    ],
    ids=["401", "403", "400", "401-page", "unusable-token"],
)
async def test_login_refusals_that_are_no_verdict_fall_back(
    adapter: IijmioAdapter, replay: IijmioReplay, answer: Any
) -> None:
    """No refusal of /token is a verdict on the password: the member site is asked.

    IIJWidget (MyIIJmioAPIClient.request @ 8a3b6e6) reads /token's 401 and 403 as an invalid
    session; here the member site accepts the same password, so it was no wrong password.
    """
    replay.app_answers["/token"] = answer
    usage = await adapter.async_fetch()
    assert adapter.active_route == "member"
    assert len(usage.sims) == 3


async def test_app_api_unreachable_falls_back(
    url: str, replay: IijmioReplay, http_session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    adapter = _build(http_session, url, app_url="http://127.0.0.1:9")
    usage = await adapter.async_fetch()
    assert adapter.active_route == "member"
    assert len(usage.sims) == 3


async def test_rate_limit_on_the_app_api_is_not_worked_around(
    adapter: IijmioAdapter, replay: IijmioReplay
) -> None:
    replay.app_answers["/dataTraffic"] = lambda: web.Response(
        status=429, headers={"Retry-After": "600"}
    )
    with pytest.raises(CarrierRateLimitError) as raised:
        await adapter.async_fetch()
    assert raised.value.retry_after == 600.0
    assert replay.logins == 0


async def test_old_app_version_falls_back_and_is_not_asked_again(
    adapter: IijmioAdapter, replay: IijmioReplay
) -> None:
    """HTTP 505: IIJmio wants a newer app (MyIIJmioAPIClient: forcedUpdate)."""
    replay.app_version = "9.9.9"

    usage = await adapter.async_fetch()
    assert adapter.active_route == "member"
    assert len(usage.sims) == 3
    assert replay.app_logins == 1

    await adapter.async_fetch()
    assert replay.app_logins == 1


async def test_old_app_version_is_reported_when_the_member_site_fails_too(
    adapter: IijmioAdapter, replay: IijmioReplay
) -> None:
    replay.app_version = "9.9.9"
    replay.top_answer = lambda: web.json_response({"unexpected": True})
    with pytest.raises(CarrierAppVersionError) as raised:
        await adapter.async_fetch()
    assert "505" in str(raised.value)
    assert not isinstance(raised.value, CarrierAuthError)


async def test_member_site_error_is_reported_when_both_fail(
    adapter: IijmioAdapter, replay: IijmioReplay
) -> None:
    replay.app_answers["/dataTraffic"] = lambda: web.json_response({"unexpected": True})
    replay.top_answer = lambda: web.json_response({"error": "ERROR_CODE_500"})
    with pytest.raises(CarrierParseError, match="ERROR_CODE_500"):
        await adapter.async_fetch()


async def test_app_api_is_tried_again_after_a_rest(
    url: str, http_session: aiohttp.ClientSession, replay: IijmioReplay
) -> None:
    now = [NOW]
    adapter = _build(http_session, url, clock=lambda: now[0])
    replay.app_answers["/dataTraffic"] = lambda: web.Response(status=502)
    await adapter.async_fetch()
    assert adapter.active_route == "member"
    del replay.app_answers["/dataTraffic"]

    # Meanwhile each poll asks the member site alone: no failing request first.
    now[0] += timedelta(hours=1)
    replay.requests.clear()
    await adapter.async_fetch()
    assert adapter.active_route == "member"
    assert replay.requests == ["POST /api/member/top"]

    now[0] += iijmio.APP_RETRY_AFTER
    await adapter.async_fetch()
    assert adapter.active_route == "app"


async def test_history_refused_keeps_the_figures(
    adapter: IijmioAdapter, replay: IijmioReplay
) -> None:
    replay.app_answers["/pastDataTraffic"] = lambda: web.json_response({}, status=404)
    usage = await adapter.async_fetch()
    first = usage.sims["hdc11111111"]
    assert adapter.active_route == "app"
    assert first.remaining == round(24.56 * GIB)
    assert first.used is None
    # Only the last seven days from /dataTraffic remain.
    assert [day.day.day for day in first.daily_usage] == [24, 25]


# --- The account's id ------------------------------------------------------------------------


async def test_account_id_is_the_mio_id_whichever_login_was_typed(
    url: str, http_session: aiohttp.ClientSession
) -> None:
    by_email = _build(http_session, url, login=MIO_ID)
    by_mio_id = _build(http_session, url, login=ACCOUNT_MIO_ID)
    before = by_email.account_id
    assert MIO_ID not in before

    await by_email.async_login()
    await by_mio_id.async_login()

    assert by_email.account_id == by_mio_id.account_id == ACCOUNT_MIO_ID
    assert before != by_email.account_id


async def test_member_site_names_the_account_too(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    """The member site's loginInfo `id_ma` gives the same mioID when the app API is away."""
    replay = IijmioReplay(app_api=False)
    adapter = _build(http_session, await serve(replay.app()))
    await adapter.async_login()
    assert adapter.active_route == "member"
    assert adapter.account_id == ACCOUNT_MIO_ID


async def test_member_site_without_login_info_keeps_the_typed_login_hash(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    replay = IijmioReplay(app_api=False)
    app = replay.app()
    adapter = _build(http_session, await serve(app))
    before = adapter.account_id
    replay.account_mio_id = ""
    await adapter.async_login()
    assert adapter.account_id == before


async def test_adapter_reads_both_base_urls_when_built(
    url: str, replay: IijmioReplay, http_session: aiohttp.ClientSession
) -> None:
    """Tests and benchmarks point the module's URLs at a replay; the adapter reads them then."""
    with (
        patch.object(iijmio, "BASE_URL", url),
        patch.object(iijmio, "APP_BASE_URL", url),
    ):
        adapter = IijmioAdapter(http_session, mio_id=MIO_ID, password=PASSWORD)
    assert adapter.active_route is None
    await adapter.async_fetch()
    assert replay.requests[0] == "POST /token"
    assert adapter.refreshed_secrets() == {}


def _traffic_for(mio_id: str) -> dict[str, Any]:
    return {"mioId": mio_id, "dataTraffic": {"hdcList": []}}
