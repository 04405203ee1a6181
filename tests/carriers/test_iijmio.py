"""The IIJmio adapter over real HTTP against a local replay of the member-site API."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAuthError,
    CarrierConnectionError,
    CarrierError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierRateLimitError,
    CarrierSessionExpiredError,
)
from custom_components.japan_sim_data.carriers.iijmio import IijmioAdapter, parse_member_top
from custom_components.japan_sim_data.carriers.models import BucketKind
from custom_components.japan_sim_data.carriers.units import GIB
from tests.conftest import ServeApp

from .iijmio_replay import MIO_ID, PASSWORD, IijmioReplay

NOW = datetime(2025, 11, 25, 12, 0, tzinfo=TOKYO)


@pytest.fixture
def replay() -> IijmioReplay:
    return IijmioReplay()


@pytest.fixture
async def adapter(
    replay: IijmioReplay, serve: ServeApp, http_session: aiohttp.ClientSession
) -> IijmioAdapter:
    base_url = await serve(replay.app())
    return IijmioAdapter(
        http_session, mio_id=MIO_ID, password=PASSWORD, base_url=base_url, clock=lambda: NOW
    )


async def test_fetch_reads_every_line(adapter: IijmioAdapter, replay: IijmioReplay) -> None:
    usage = await adapter.async_fetch()

    assert replay.requests == ["GET /auth/login/", "POST /api/member/login", "POST /api/member/top"]
    assert list(usage.sims) == ["hdc11111111", "hdc22222222", "hdc33333333"]

    first = usage.sims["hdc11111111"]
    assert first.plan_name == "ギガプラン"
    assert first.number_suffix == "5678"
    assert first.allowance == 20 * GIB
    assert first.remaining == round(4.56 * GIB) + 20 * GIB
    assert first.remaining_of(BucketKind.CARRIED_OVER) == round(4.56 * GIB)
    assert first.remaining_of(BucketKind.MONTHLY) == 20 * GIB
    # The carried-over coupon expires at the end of this month and goes first.
    assert first.next_expiry == datetime(2025, 11, 30, 23, 59, 59, tzinfo=TOKYO)
    assert first.resets_on is not None
    assert first.resets_on.isoformat() == "2025-12-01"
    assert first.shared_pool is False

    # Numbers sent as strings read the same as numbers.
    second = usage.sims["hdc22222222"]
    assert second.allowance == 5 * GIB
    assert second.remaining == round(1.25 * GIB) + 5 * GIB
    assert second.shared_pool is True


async def test_share_group_line_shows_the_pool(adapter: IijmioAdapter) -> None:
    usage = await adapter.async_fetch()
    pooled = usage.sims["hdc33333333"]
    assert pooled.shared_pool is True
    assert pooled.remaining == usage.sims["hdc22222222"].remaining
    assert pooled.remaining != 0
    assert pooled.allowance == 2 * GIB


async def test_session_is_reused_across_polls(adapter: IijmioAdapter, replay: IijmioReplay) -> None:
    await adapter.async_fetch()
    await adapter.async_fetch()
    assert replay.logins == 1
    assert replay.requests[-1] == "POST /api/member/top"
    assert len(replay.requests) == 4


@pytest.mark.parametrize(
    "expiry",
    [
        lambda: web.json_response({"error": "ERROR_CODE_032"}),
        lambda: web.json_response({"error": "ERROR_CODE_023"}),
        lambda: web.Response(status=401),
        lambda: web.Response(status=403),
        lambda: web.Response(status=419),
    ],
    ids=["ERROR_CODE_032", "ERROR_CODE_023", "401", "403", "419"],
)
async def test_expired_session_logs_in_again_once(
    adapter: IijmioAdapter,
    replay: IijmioReplay,
    expiry: Callable[[], web.StreamResponse],
) -> None:
    await adapter.async_fetch()
    replay.expire_sessions_with = expiry

    usage = await adapter.async_fetch()

    assert replay.logins == 2
    assert len(usage.sims) == 3


async def test_session_that_keeps_expiring_is_an_error_not_a_loop(
    adapter: IijmioAdapter, replay: IijmioReplay
) -> None:
    await adapter.async_fetch()
    replay.expire_sessions_with = lambda: web.json_response({"error": "ERROR_CODE_032"})
    replay.expire_always = True

    with pytest.raises(CarrierSessionExpiredError):
        await adapter.async_fetch()
    assert replay.logins == 2

    # A fresh login that is expired straight away is not retried either.
    with pytest.raises(CarrierSessionExpiredError):
        await adapter.async_fetch()
    assert replay.logins == 3


async def test_wrong_password_is_an_auth_error(
    adapter: IijmioAdapter, replay: IijmioReplay
) -> None:
    replay.password = "changed-on-the-website"
    with pytest.raises(CarrierAuthError) as raised:
        await adapter.async_fetch()
    assert PASSWORD not in str(raised.value)
    assert MIO_ID not in str(raised.value)
    assert replay.logins == 1


async def test_unknown_login_error_is_not_a_credential_rejection(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    app = web.Application()
    app.router.add_get("/auth/login/", _handler(lambda: web.Response(text="ok")))
    app.router.add_post(
        "/api/member/login", _handler(lambda: web.json_response({"error": "ERROR_CODE_999"}))
    )
    adapter = IijmioAdapter(
        http_session, mio_id=MIO_ID, password=PASSWORD, base_url=await serve(app)
    )
    with pytest.raises(CarrierParseError, match="ERROR_CODE_999"):
        await adapter.async_login()


async def test_login_refused_without_error_code(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    app = web.Application()
    app.router.add_get("/auth/login/", _handler(lambda: web.Response(text="ok")))
    app.router.add_post("/api/member/login", _handler(lambda: web.json_response({}, status=400)))
    adapter = IijmioAdapter(
        http_session, mio_id=MIO_ID, password=PASSWORD, base_url=await serve(app)
    )
    with pytest.raises(CarrierParseError, match="HTTP 400"):
        await adapter.async_login()


async def test_login_page_blocked_by_the_waf_is_not_a_credential_rejection(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    app = web.Application()
    app.router.add_get("/auth/login/", _handler(lambda: web.Response(text="ok")))
    app.router.add_post(
        "/api/member/login",
        _handler(lambda: web.Response(status=403, text="<html>Forbidden</html>")),
    )
    adapter = IijmioAdapter(
        http_session, mio_id=MIO_ID, password=PASSWORD, base_url=await serve(app)
    )
    with pytest.raises(CarrierMaintenanceError):
        await adapter.async_login()


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (lambda: web.Response(status=500, text='{"message": "boom"}'), CarrierConnectionError),
        (
            lambda: web.Response(status=502, text="<html>Bad gateway</html>"),
            CarrierMaintenanceError,
        ),
        (lambda: web.Response(status=503, text="down"), CarrierMaintenanceError),
        (
            lambda: web.Response(
                text="<!DOCTYPE html><html><body>ただいまメンテナンス中です</body></html>",
                content_type="text/html",
            ),
            CarrierMaintenanceError,
        ),
        (
            lambda: web.Response(text='{"serviceInfoList": [', content_type="application/json"),
            CarrierParseError,
        ),
        (lambda: web.json_response({"error": "ERROR_CODE_500"}), CarrierParseError),
        (lambda: web.json_response({"serviceInfoList": []}, status=404), CarrierParseError),
        (lambda: web.json_response({"unexpected": True}), CarrierParseError),
        (lambda: web.json_response([1, 2, 3]), CarrierParseError),
    ],
    ids=[
        "500",
        "502-html",
        "503",
        "maintenance-page",
        "truncated-json",
        "unknown-error-code",
        "404",
        "missing-key",
        "not-an-object",
    ],
)
async def test_bad_answers_raise_the_library_errors(
    adapter: IijmioAdapter,
    replay: IijmioReplay,
    answer: Callable[[], web.StreamResponse],
    error: type[CarrierError],
) -> None:
    replay.top_answer = answer
    with pytest.raises(error):
        await adapter.async_fetch()


async def test_rate_limit_carries_retry_after(adapter: IijmioAdapter, replay: IijmioReplay) -> None:
    replay.top_answer = lambda: web.Response(status=429, headers={"Retry-After": "120"})
    with pytest.raises(CarrierRateLimitError) as raised:
        await adapter.async_fetch()
    assert raised.value.retry_after == 120.0


async def test_connection_refused(
    socket_enabled: None, http_session: aiohttp.ClientSession
) -> None:
    # Port 9 (discard) is closed on the loopback interface of a test machine.
    adapter = IijmioAdapter(
        http_session, mio_id=MIO_ID, password=PASSWORD, base_url="http://127.0.0.1:9"
    )
    with pytest.raises(CarrierConnectionError) as raised:
        await adapter.async_fetch()
    assert "127.0.0.1" not in str(raised.value)


def _handler(answer: Callable[[], web.StreamResponse]) -> Any:
    """Wrap a canned answer in the coroutine aiohttp wants as a handler."""

    async def handle(_request: web.Request) -> web.StreamResponse:
        return answer()

    return handle


def _top(**service: Any) -> dict[str, Any]:
    base = {"serviceCode": "hdc1", "couponData": [{"month": "202511", "couponValue": 1}]}
    return {"serviceInfoList": [{**base, **service}]}


@pytest.mark.parametrize(
    "payload",
    [
        {"serviceInfoList": "nope"},
        {"serviceInfoList": ["nope"]},
        {"serviceInfoList": [{"couponData": []}]},
        _top(serviceCode=""),
        _top(couponData={"month": "202511"}),
        _top(couponData=["nope"]),
        _top(couponData=[{"month": "2025-11", "couponValue": 1}]),
        _top(couponData=[{"month": "202513", "couponValue": 1}]),
        _top(couponData=[{"month": "202511", "couponValue": "lots"}]),
        _top(couponData=[{"month": "202511", "couponValue": -1}]),
        _top(totalCapacity=[20]),
    ],
)
def test_malformed_payloads_raise_parse_errors(payload: Any) -> None:
    with pytest.raises(CarrierParseError):
        parse_member_top(payload, NOW)


def test_figures_the_carrier_did_not_send_are_unknown() -> None:
    usage = parse_member_top({"serviceInfoList": [{"serviceCode": "hdc1", "phoneNo": "12"}]}, NOW)
    sim = usage.sims["hdc1"]
    assert sim.allowance is None
    assert sim.remaining is None
    assert sim.number_suffix is None
    assert sim.plan_name is None


def test_coupon_without_month_has_no_expiry() -> None:
    usage = parse_member_top(_top(couponData=[{"couponValue": "0.5"}]), NOW)
    (bucket,) = usage.sims["hdc1"].buckets
    assert bucket.expires is None
    assert bucket.kind is BucketKind.MONTHLY


def test_share_group_without_any_coupons_stays_unknown() -> None:
    payload = copy.deepcopy(_top(dataShareExistence=True, couponData=[]))
    sim = parse_member_top(payload, NOW).sims["hdc1"]
    assert sim.shared_pool is True
    assert sim.remaining is None


def test_account_id_is_stable_and_anonymous(http_session: aiohttp.ClientSession) -> None:
    first = IijmioAdapter(http_session, mio_id=MIO_ID, password="a")
    again = IijmioAdapter(http_session, mio_id=f" {MIO_ID.upper()} ", password="b")
    assert first.account_id == again.account_id
    assert MIO_ID not in first.account_id
    assert first.refreshed_secrets() == {}
