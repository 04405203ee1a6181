"""What the IIJmio adapter loses on the member site, and says so; bounded work per answer.

The member site reports neither Throttled nor Used this period: while it stands in for the app
API, the app API's last figures are kept with the moment they were read (``carried_from``),
for a while, then unknown with the reason in ``route_details``. The plan name stays the app
API's. The route change is logged once at WARNING.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers import iijmio
from custom_components.japan_sim_data.carriers.base import MAX_LINES_PER_ACCOUNT
from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.errors import CarrierParseError
from custom_components.japan_sim_data.carriers.iijmio import IijmioAdapter
from custom_components.japan_sim_data.carriers.units import GIB
from tests.conftest import ServeApp
from tests.helpers import Clock

from .iijmio_replay import MIO_ID, PASSWORD, IijmioReplay

NOW = datetime(2025, 11, 25, 12, 0, tzinfo=TOKYO)
SIM = "hdc11111111"
LOGGER = "custom_components.japan_sim_data.carriers.iijmio"


@pytest.fixture
def replay() -> IijmioReplay:
    return IijmioReplay()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def adapter(
    replay: IijmioReplay, serve: ServeApp, http_session: aiohttp.ClientSession, clock: Clock
) -> IijmioAdapter:
    url = await serve(replay.app())
    return IijmioAdapter(
        http_session, mio_id=MIO_ID, password=PASSWORD, base_url=url, app_base_url=url, clock=clock
    )


def _app_down(replay: IijmioReplay) -> None:
    replay.app_answers["/dataTraffic"] = lambda: web.Response(status=502, text="bad gateway")


def _route_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == LOGGER and record.levelno == logging.WARNING
    ]


async def test_member_site_keeps_the_app_figures_with_their_age(
    adapter: IijmioAdapter, replay: IijmioReplay, clock: Clock
) -> None:
    by_app = (await adapter.async_fetch()).sims[SIM]
    assert by_app.throttled is False
    assert by_app.used == round(7.5 * GIB)
    assert by_app.carried_from is None
    assert adapter.route_details is None

    _app_down(replay)
    clock.now = NOW + timedelta(minutes=30)
    by_member = (await adapter.async_fetch()).sims[SIM]

    assert adapter.active_route == "member"
    # The figures the member site cannot give, as of the app API's last read.
    assert by_member.throttled is False
    assert by_member.used == round(7.5 * GIB)
    assert by_member.carried_from == NOW
    # The plan name stays the app API's, not the member site's "ギガプラン".
    assert by_member.plan_name == by_app.plan_name == "ギガプラン 20GB"
    # The figures the member site does give are its own.
    assert by_member.remaining == by_app.remaining
    assert adapter.route_details == {
        "reason": "CarrierConnectionError",
        "app_failed_at": clock.now.isoformat(),
        "app_retry_at": (clock.now + iijmio.APP_RETRY_AFTER).isoformat(),
        "throttled_and_used": "carried",
    }


async def test_a_line_the_app_api_never_named_keeps_the_member_sites_figures(
    adapter: IijmioAdapter, replay: IijmioReplay
) -> None:
    await adapter.async_fetch()
    replay.top_payload["serviceInfoList"].append(
        {"serviceCode": "hdc44444444", "planName": "ギガプラン", "couponData": []}
    )
    _app_down(replay)
    sims = (await adapter.async_fetch()).sims
    assert sims["hdc44444444"].plan_name == "ギガプラン"
    assert sims["hdc44444444"].carried_from is None
    assert sims[SIM].carried_from == NOW


async def test_carried_figures_turn_unknown_after_a_day(
    adapter: IijmioAdapter, replay: IijmioReplay, clock: Clock
) -> None:
    await adapter.async_fetch()
    _app_down(replay)
    clock.now = NOW + iijmio.CARRIED_FIGURES_LAST  # still shown at exactly the limit
    assert (await adapter.async_fetch()).sims[SIM].carried_from == NOW

    clock.now = NOW + iijmio.CARRIED_FIGURES_LAST + timedelta(minutes=1)
    sim = (await adapter.async_fetch()).sims[SIM]
    assert adapter.active_route == "member"
    assert sim.throttled is None
    assert sim.used is None
    assert sim.carried_from is None
    assert sim.plan_name == "ギガプラン 20GB"
    details = adapter.route_details
    assert details is not None
    assert details["throttled_and_used"] == "unknown_too_old"


async def test_carried_figures_end_with_the_month(
    adapter: IijmioAdapter, replay: IijmioReplay, clock: Clock
) -> None:
    """November's use and throttling say nothing of December, however recent."""
    clock.now = datetime(2025, 11, 30, 23, 0, tzinfo=TOKYO)
    await adapter.async_fetch()
    _app_down(replay)
    clock.now = datetime(2025, 11, 30, 23, 50, tzinfo=TOKYO)
    assert (await adapter.async_fetch()).sims[SIM].used is not None

    clock.now = datetime(2025, 12, 1, 0, 10, tzinfo=TOKYO)
    sim = (await adapter.async_fetch()).sims[SIM]
    assert (sim.used, sim.throttled, sim.carried_from) == (None, None, None)


async def test_member_site_first_has_nothing_to_carry(
    serve: ServeApp, http_session: aiohttp.ClientSession, clock: Clock
) -> None:
    replay = IijmioReplay()
    _app_down(replay)
    url = await serve(replay.app())
    adapter = IijmioAdapter(
        http_session, mio_id=MIO_ID, password=PASSWORD, base_url=url, app_base_url=url, clock=clock
    )
    sim = (await adapter.async_fetch()).sims[SIM]
    assert (sim.used, sim.throttled, sim.carried_from) == (None, None, None)
    assert sim.plan_name == "ギガプラン"
    details = adapter.route_details
    assert details is not None
    assert details["throttled_and_used"] == "never_read_on_app"


async def test_route_change_is_logged_once_at_warning(
    adapter: IijmioAdapter,
    replay: IijmioReplay,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await adapter.async_fetch()
    _app_down(replay)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        # Polls every 30 minutes through two rests of the app API (it fails again after each).
        for _ in range(30):
            clock.now += timedelta(minutes=30)
            await adapter.async_fetch()
    assert adapter.active_route == "member"
    warnings = _route_warnings(caplog)
    assert warnings == [
        (
            "IIJmio's app API failed (CarrierConnectionError); reading the member site for the "
            "next 6:00:00, which reports neither Throttled nor Used this period"
        )
    ]
    text = caplog.text
    assert PASSWORD not in text
    assert MIO_ID not in text

    # Back on the app API: said once at INFO, and a later fall back is news again.
    del replay.app_answers["/dataTraffic"]
    clock.now += iijmio.APP_RETRY_AFTER
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        await adapter.async_fetch()
        await adapter.async_fetch()
    assert adapter.active_route == "app"
    assert adapter.route_details is None
    infos = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert infos == ["IIJmio's app API answers again; reading it, not the member site"]
    _app_down(replay)
    caplog.clear()
    await adapter.async_fetch()
    assert len(_route_warnings(caplog)) == 1


async def test_old_app_version_details(adapter: IijmioAdapter, replay: IijmioReplay) -> None:
    replay.app_version = "9.9.9"
    await adapter.async_fetch()
    details = adapter.route_details
    assert details is not None
    assert details["reason"] == "app_version_refused"
    assert details["app_retry_at"] is None


async def test_token_refused_is_retried_after_the_rest_not_a_stop(
    adapter: IijmioAdapter, replay: IijmioReplay, clock: Clock
) -> None:
    """/token's 401 with a password the member site accepts: an invalid session (IIJWidget)."""
    replay.app_answers["/token"] = lambda: web.json_response({}, status=401)
    usage = await adapter.async_fetch()
    assert adapter.active_route == "member"
    assert len(usage.sims) == 3
    details = adapter.route_details
    assert details is not None
    assert details["reason"] == "CarrierSessionExpiredError"

    clock.now += timedelta(hours=1)
    await adapter.async_fetch()
    assert replay.app_logins == 1  # resting, not asked at every poll

    del replay.app_answers["/token"]
    clock.now += iijmio.APP_RETRY_AFTER
    await adapter.async_fetch()
    assert adapter.active_route == "app"
    assert replay.app_logins == 2


# --- Bounded work: an answer listing 3,000 lines ------------------------------------------


def _many_app_lines(count: int) -> dict[str, Any]:
    line = {
        "expireList": [
            {"expireYear": "2025", "expireMonth": "12", "remainingDataTraffic": "1"},
        ],
        "thisMonthDataList": {"maxDataTraffic": "2", "regulationStatus": "0"},
    }
    return {
        "dataTraffic": {
            "hdcList": [
                {"serviceCode": f"hdc{index:08d}", "lineServiceCode": f"hdu{index:08d}", **line}
                for index in range(count)
            ]
        }
    }


def _many_member_lines(count: int) -> dict[str, Any]:
    return {
        "serviceInfoList": [
            {
                "serviceCode": f"hdc{index:08d}",
                "totalCapacity": 2,
                "couponData": [{"month": "202512", "couponValue": 1}],
            }
            for index in range(count)
        ]
    }


@pytest.mark.parametrize("route", ["app", "member"])
async def test_three_thousand_lines_are_read_as_a_bounded_few(
    serve: ServeApp,
    http_session: aiohttp.ClientSession,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    route: str,
) -> None:
    replay = IijmioReplay(app_api=route == "app")
    replay.data_traffic = _many_app_lines(3000)
    replay.top_payload = _many_member_lines(3000)
    url = await serve(replay.app())
    adapter = IijmioAdapter(
        http_session, mio_id=MIO_ID, password=PASSWORD, base_url=url, app_base_url=url, clock=clock
    )

    usage = await adapter.async_fetch()
    assert adapter.active_route == route
    assert len(usage.sims) == MAX_LINES_PER_ACCOUNT
    # The history is asked for the lines read, not for 3,000.
    assert replay.requests.count("GET /pastDataTraffic") == (
        MAX_LINES_PER_ACCOUNT if route == "app" else 0
    )
    clock.now += timedelta(minutes=30)
    await adapter.async_fetch()
    warnings = [w for w in _route_warnings(caplog) if "lines" in w]
    assert warnings == [
        (
            f"IIJmio listed more than {MAX_LINES_PER_ACCOUNT} lines for one account; only the "
            f"first {MAX_LINES_PER_ACCOUNT} are read"
        )
    ]


# --- One number grammar ---------------------------------------------------------------------


def _malformed_app_traffic(replay: IijmioReplay) -> Callable[[], web.StreamResponse]:
    traffic = replay.data_traffic
    traffic["dataTraffic"]["hdcList"][0]["expireList"][1]["remainingDataTraffic"] = "1,0"
    return lambda: web.json_response({**traffic, "mioId": replay.account_mio_id})


async def test_a_malformed_amount_is_a_parse_error_on_both_routes(
    adapter: IijmioAdapter, replay: IijmioReplay
) -> None:
    """ "1,0" (GB) once read as 1000 GB: now the app API's answer is refused, and so is the
    member site's, so no figure is made of it.
    """
    replay.app_answers["/dataTraffic"] = _malformed_app_traffic(replay)
    replay.top_payload["serviceInfoList"][0]["couponData"][1]["couponValue"] = "1,0"
    with pytest.raises(CarrierParseError):
        await adapter.async_fetch()
    assert adapter.route_details is None  # no route gave figures


async def test_a_malformed_amount_on_the_app_api_falls_back(
    adapter: IijmioAdapter, replay: IijmioReplay
) -> None:
    replay.app_answers["/dataTraffic"] = _malformed_app_traffic(replay)
    usage = await adapter.async_fetch()
    assert adapter.active_route == "member"
    assert usage.sims[SIM].remaining == round(4.56 * GIB) + 20 * GIB
