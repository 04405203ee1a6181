"""Month turnover on both IIJmio routes, walked with the clock over real HTTP.

On the 1st IIJmio may still list last month's coupon (its expiry month has passed): it must not
count, so remaining, days left and data expires move the right way at midnight, whether the
adapter reads again or the coordinator re-evaluates the last answer (``valid_at``).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from freezegun.api import FrozenDateTimeFactory

from custom_components.japan_sim_data.carriers.dates import TOKYO, days_left
from custom_components.japan_sim_data.carriers.iijmio import IijmioAdapter
from custom_components.japan_sim_data.carriers.models import AccountUsage, BucketKind, SimUsage
from custom_components.japan_sim_data.carriers.units import GIB
from tests.conftest import ServeApp

from .iijmio_replay import MIO_ID, PASSWORD, IijmioReplay

EVENING = "2025-11-30T23:30:00+09:00"
AFTER_MIDNIGHT = "2025-12-01T00:30:00+09:00"
NOVEMBER_END = datetime(2025, 11, 30, 23, 59, 59, tzinfo=TOKYO)
DECEMBER_END = datetime(2025, 12, 31, 23, 59, 59, tzinfo=TOKYO)
SIM = "hdc11111111"


def _now() -> datetime:
    return datetime.now(TOKYO)


def _assert_sound(sim: SimUsage, now: datetime) -> None:
    """Never "0 days left" or an expiry in the past next to data that counts."""
    if sim.remaining:
        assert sim.data_expires is not None
        assert sim.data_expires >= now
        assert days_left(sim.data_expires, now) >= 1


def _assert_walk_step(usage: AccountUsage, remaining: int, expires: datetime, left: int) -> None:
    now = _now()
    for view in (usage, usage.valid_at(now)):
        sim = view.sims[SIM]
        assert sim.remaining == remaining
        assert sim.data_expires == expires
        assert days_left(expires, now) == left
        for any_sim in view.sims.values():
            _assert_sound(any_sim, now)


async def _adapter(
    replay: IijmioReplay, serve: ServeApp, session: aiohttp.ClientSession
) -> IijmioAdapter:
    url = await serve(replay.app())
    # No clock given: the adapter reads the frozen wall clock, as in Home Assistant.
    return IijmioAdapter(session, mio_id=MIO_ID, password=PASSWORD, base_url=url, app_base_url=url)


def _app_traffic_in_december(replay: IijmioReplay) -> None:
    """What IIJmio lists once it has caught up: December's and January's coupons."""
    traffic: dict[str, Any] = copy.deepcopy(replay.data_traffic)
    for line in traffic["dataTraffic"]["hdcList"]:
        for entry in line["expireList"]:
            entry["expireMonth"] = {"11": "12", "12": "1"}[str(entry["expireMonth"])]
            if entry["expireMonth"] == "1":
                entry["expireYear"] = "2026"
    replay.data_traffic = traffic


def _member_top_in_december(replay: IijmioReplay) -> None:
    top: dict[str, Any] = copy.deepcopy(replay.top_payload)
    for service in top["serviceInfoList"]:
        for coupon in service["couponData"]:
            coupon["month"] = {"202511": "202512", "202512": "202601"}[coupon["month"]]
    replay.top_payload = top


@pytest.mark.parametrize("route", ["app", "member"])
async def test_month_end_walk(
    serve: ServeApp,
    http_session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
    route: str,
) -> None:
    replay = IijmioReplay(app_api=route == "app")
    freezer.move_to(EVENING)
    adapter = await _adapter(replay, serve, http_session)

    # 23:30 on the 30th: November's 4.56 GB goes first, tonight; one day left.
    evening = await adapter.async_fetch()
    assert adapter.active_route == route
    _assert_walk_step(evening, round(4.56 * GIB) + 20 * GIB, NOVEMBER_END, 1)

    # Midnight passes with no new answer: the last one, seen now, no longer counts November.
    freezer.move_to(AFTER_MIDNIGHT)
    now = _now()
    held = evening.valid_at(now).sims[SIM]
    assert held.remaining == 20 * GIB
    assert held.data_expires == DECEMBER_END
    assert days_left(DECEMBER_END, now) == 31

    # 00:30 on the 1st: IIJmio still lists November's coupon; the adapter drops it itself.
    morning = await adapter.async_fetch()
    assert adapter.active_route == route
    _assert_walk_step(morning, 20 * GIB, DECEMBER_END, 31)
    sim = morning.sims[SIM]
    assert [bucket.expires for bucket in sim.buckets] == [DECEMBER_END]
    # December's coupon was granted in November: it is now the carried-over slice.
    assert sim.remaining_of(BucketKind.CARRIED_OVER) == 20 * GIB
    assert sim.resets_on is not None
    assert sim.resets_on.isoformat() == "2026-01-01"
    if route == "app":
        # The history still names November "this month": its 7.5 GB is not December's use.
        assert sim.used is None
    # A share-group line's pool turns over with its group.
    assert morning.sims["hdc33333333"].remaining == 5 * GIB

    # Later IIJmio catches up: December carried over, January granted.
    if route == "app":
        _app_traffic_in_december(replay)
    else:
        _member_top_in_december(replay)
    freezer.move_to("2025-12-01T09:00:00+09:00")
    caught_up = await adapter.async_fetch()
    assert adapter.active_route == route
    _assert_walk_step(caught_up, round(4.56 * GIB) + 20 * GIB, DECEMBER_END, 31)
    assert caught_up.sims[SIM].remaining_of(BucketKind.MONTHLY) == 20 * GIB

    # The last evening of December: one day left, never zero while data counts.
    freezer.move_to("2025-12-31T23:59:00+09:00")
    last = await adapter.async_fetch()
    assert adapter.active_route == route
    _assert_walk_step(last, round(4.56 * GIB) + 20 * GIB, DECEMBER_END, 1)
