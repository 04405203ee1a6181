"""The IIJmio member-site route over real HTTP, and its parser fed the references' samples.

The app API is switched off in the replay (it answers 404), so every update falls back to the
member site, as it does when the app API has moved.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers.base import MAX_LINES_PER_ACCOUNT
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
from custom_components.japan_sim_data.carriers.iijmio_member import read_member_top
from custom_components.japan_sim_data.carriers.models import BucketKind
from custom_components.japan_sim_data.carriers.units import GIB
from tests.conftest import ServeApp
from tests.helpers import load_json_fixture

from .iijmio_replay import MIO_ID, PASSWORD, IijmioReplay

NOW = datetime(2025, 11, 25, 12, 0, tzinfo=TOKYO)


@pytest.fixture
def replay() -> IijmioReplay:
    return IijmioReplay(app_api=False)


@pytest.fixture
async def adapter(
    replay: IijmioReplay, serve: ServeApp, http_session: aiohttp.ClientSession
) -> IijmioAdapter:
    return _build(http_session, await serve(replay.app()), clock=lambda: NOW)


def _build(session: aiohttp.ClientSession, url: str, **kwargs: Any) -> IijmioAdapter:
    """An adapter whose two routes both point at ``url``."""
    return IijmioAdapter(
        session, mio_id=MIO_ID, password=PASSWORD, base_url=url, app_base_url=url, **kwargs
    )


async def test_fetch_reads_every_line(adapter: IijmioAdapter, replay: IijmioReplay) -> None:
    usage = await adapter.async_fetch()

    assert replay.requests == [
        "GET /auth/login/",
        "POST /api/member/login",
        "POST /api/front/loginInfo",
        "POST /api/member/top",
    ]
    assert adapter.active_route == "member"
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
    assert len(replay.requests) == 5


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


@pytest.mark.parametrize("code", ["ERROR_CODE_008", "WARNING_CODE_008"])
async def test_both_wrong_password_codes_are_auth_errors(
    serve: ServeApp, http_session: aiohttp.ClientSession, code: str
) -> None:
    """WARNING_CODE_008 is a wrong password too (IIJWidget ThirtyDayUsageClient.swift)."""
    app = web.Application()
    app.router.add_get("/auth/login/", _handler(lambda: web.Response(text="ok")))
    app.router.add_post("/api/member/login", _handler(lambda: web.json_response({"error": code})))
    adapter = _build(http_session, await serve(app))
    with pytest.raises(CarrierAuthError):
        await adapter.async_login()


async def test_unknown_login_error_is_not_a_credential_rejection(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    app = web.Application()
    app.router.add_get("/auth/login/", _handler(lambda: web.Response(text="ok")))
    app.router.add_post(
        "/api/member/login", _handler(lambda: web.json_response({"error": "ERROR_CODE_999"}))
    )
    adapter = _build(http_session, await serve(app))
    with pytest.raises(CarrierParseError, match="ERROR_CODE_999"):
        await adapter.async_login()


async def test_login_refused_without_error_code(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    app = web.Application()
    app.router.add_get("/auth/login/", _handler(lambda: web.Response(text="ok")))
    app.router.add_post("/api/member/login", _handler(lambda: web.json_response({}, status=400)))
    adapter = _build(http_session, await serve(app))
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
    adapter = _build(http_session, await serve(app))
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
    adapter = _build(http_session, "http://127.0.0.1:9")
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
        # Dates outside 2000 .. ten years ahead are placeholders, not expiries.
        _top(couponData=[{"month": "197001", "couponValue": 1}]),
        _top(couponData=[{"month": "199912", "couponValue": 1}]),
        _top(couponData=[{"month": "203601", "couponValue": 1}]),
        # The one number grammar: "1,0" is no thousand (it read as 1000 GB before).
        _top(couponData=[{"month": "202512", "couponValue": "1,0"}]),
        _top(couponData=[{"month": "202512", "couponValue": "1,00.5"}]),
        _top(totalCapacity="2,0"),
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


# --- The references' own samples --------------------------------------------------------------


def test_yananob_share_group_sample() -> None:
    """yananob/iijmio-usage-check tests/data/usage_data.json: one pool of 18.56 GB.

    The first line holds the group's coupons (4.56 + 14.00 + two zero placeholders) and says
    `dataShareExistence: true`; the other two come with `couponData: []` and no such key. The
    tool reports the first line's coupons as the account's "Left".
    """
    payload = load_json_fixture("iijmio/yananob_usage_data.json")
    usage = parse_member_top(payload, datetime(2025, 2, 15, 12, 0, tzinfo=TOKYO))

    pool = round(4.56 * GIB) + 14 * GIB
    assert list(usage.sims) == ["hdc12345678", "hdc22345678", "hdc32345678"]
    for sim in usage.sims.values():
        assert sim.remaining == pool
        assert sim.shared_pool is True
        assert sim.remaining_of(BucketKind.CARRIED_OVER) == round(4.56 * GIB)
        assert sim.next_expiry == datetime(2025, 2, 28, 23, 59, 59, tzinfo=TOKYO)
    assert [sim.allowance for sim in usage.sims.values()] == [2 * GIB, 2 * GIB, 5 * GIB]
    # One pool, however many lines show it.
    assert len({sim.buckets for sim in usage.sims.values()}) == 1


def test_iijwidget_mock_member_top_sample() -> None:
    """IIJWidget docs/mock_aggregate_payload.json (top), fetched 2025-12-19: 1.8 GB left.

    The December coupon (carried over, expiring this month) is used up; January's holds 1.8 GB;
    February and March are zero placeholders.
    """
    payload = load_json_fixture("iijmio/iijwidget_member_top.json")
    usage = parse_member_top(payload, datetime(2025, 12, 19, 21, 8, tzinfo=TOKYO))

    (sim,) = usage.sims.values()
    assert sim.sim_id == "hdc90000001"
    assert sim.remaining == round(1.8 * GIB)
    assert sim.remaining_of(BucketKind.CARRIED_OVER) == 0
    assert sim.allowance == 10 * GIB
    assert sim.next_expiry == datetime(2026, 1, 31, 23, 59, 59, tzinfo=TOKYO)
    assert sim.number_suffix == "7491"
    assert sim.shared_pool is False


def test_identical_coupon_lists_are_one_pool() -> None:
    coupons = [{"month": "202511", "couponValue": 1.5}, {"month": "202512", "couponValue": 3}]
    payload = {
        "serviceInfoList": [
            {"serviceCode": "hdc1", "couponData": coupons},
            {"serviceCode": "hdc2", "couponData": copy.deepcopy(coupons)},
            {"serviceCode": "hdc3", "couponData": [{"month": "202512", "couponValue": 2}]},
        ]
    }
    sims = parse_member_top(payload, NOW).sims
    assert sims["hdc1"].shared_pool is True
    assert sims["hdc2"].shared_pool is True
    assert sims["hdc1"].remaining == sims["hdc2"].remaining == round(4.5 * GIB)
    assert sims["hdc3"].shared_pool is False


def test_line_that_says_it_does_not_share_keeps_no_data() -> None:
    payload = {
        "serviceInfoList": [
            {"serviceCode": "hdc1", "dataShareExistence": True, "couponData": _COUPONS},
            {"serviceCode": "hdc2", "dataShareExistence": False, "couponData": []},
        ]
    }
    sim = parse_member_top(payload, NOW).sims["hdc2"]
    assert sim.remaining is None
    assert sim.shared_pool is False


def test_two_pools_leave_a_member_line_unknown() -> None:
    other = [{"month": "202512", "couponValue": 9}]
    payload = {
        "serviceInfoList": [
            {"serviceCode": "hdc1", "dataShareExistence": True, "couponData": _COUPONS},
            {"serviceCode": "hdc2", "dataShareExistence": True, "couponData": other},
            {"serviceCode": "hdc3", "couponData": []},
        ]
    }
    assert parse_member_top(payload, NOW).sims["hdc3"].remaining is None


def test_member_line_without_a_pool_on_the_account_stays_unknown() -> None:
    payload = {"serviceInfoList": [{"serviceCode": "hdc1", "couponData": []}]}
    sim = parse_member_top(payload, NOW).sims["hdc1"]
    assert sim.remaining is None
    assert sim.shared_pool is False


_COUPONS = [{"month": "202511", "couponValue": 1}, {"month": "202512", "couponValue": 2}]


def test_a_thousands_separator_in_groups_of_three_still_reads() -> None:
    usage = parse_member_top(_top(couponData=[{"month": "202512", "couponValue": "1,024"}]), NOW)
    assert usage.sims["hdc1"].remaining == 1024 * GIB


def test_coupon_past_its_expiry_month_does_not_count() -> None:
    """On 1 December November's coupon, still listed, is dropped: 20 GB left, not 24.56."""
    payload = load_json_fixture("iijmio/member_top.json")
    sim = parse_member_top(payload, datetime(2025, 12, 1, 0, 0, 1, tzinfo=TOKYO)).sims[
        "hdc11111111"
    ]
    assert sim.remaining == 20 * GIB
    assert sim.remaining_of(BucketKind.CARRIED_OVER) == 20 * GIB
    assert sim.next_expiry == datetime(2025, 12, 31, 23, 59, 59, tzinfo=TOKYO)
    assert sim.valid_at(datetime(2025, 12, 1, 0, 0, 1, tzinfo=TOKYO)) == sim


def test_lines_beyond_the_cap_are_left_out_unparsed() -> None:
    services: list[Any] = [
        {"serviceCode": f"hdc{index:08d}", "couponData": [{"month": "202512", "couponValue": 1}]}
        for index in range(3000)
    ]
    services[MAX_LINES_PER_ACCOUNT + 1] = "not a line"
    usage, left_out = read_member_top({"serviceInfoList": services}, NOW)
    assert len(usage.sims) == MAX_LINES_PER_ACCOUNT
    assert left_out is True
    usage, left_out = read_member_top(
        {"serviceInfoList": services[:MAX_LINES_PER_ACCOUNT] * 2}, NOW
    )
    assert (len(usage.sims), left_out) == (MAX_LINES_PER_ACCOUNT, False)
