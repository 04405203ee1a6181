"""mineo's daily usage history (get_traffic_history), over real HTTP to the replay.

mineard's specification §7.3 names the call and its fields; no reference shows values, so every
figure of tests/fixtures/mineo/traffic_history.json is invented (its README says so).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.mineo_figures import parse_traffic_history
from custom_components.japan_sim_data.carriers.models import DailyUsage
from custom_components.japan_sim_data.carriers.units import MIB
from tests.carriers.mineo_replay import INITIAL_REFRESH_TOKEN, MineoReplay
from tests.carriers.test_mineo import AID, START, make_adapter
from tests.helpers import Clock, load_json_fixture, load_text_fixture

# isort: split
from tests.carriers.test_mineo import base_url_fixture, clock_fixture, replay_fixture  # noqa: F401 (the shared fixtures)

# -- usage history (get_traffic_history) -------------------------------------------------------

# tests/fixtures/mineo/traffic_history.json, read on 25 November 2025 (START): the high-speed
# MB of every whole day; 2 November has no figure (absent), 25 November is today (not whole).
HISTORY_DAYS = (
    DailyUsage(day=date(2025, 10, 30), used=150 * MIB),
    DailyUsage(day=date(2025, 10, 31), used=90 * MIB),
    DailyUsage(day=date(2025, 11, 1), used=round(512.5 * MIB)),
    DailyUsage(day=date(2025, 11, 3), used=0),
    DailyUsage(day=date(2025, 11, 24), used=round(170.5 * MIB)),
)


def _history_calls(replay: MineoReplay) -> int:
    return replay.calls.count("get_traffic_history")


async def test_fetch_reads_each_lines_daily_usage(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    replay.histories["ABC12DE345"] = load_json_fixture("mineo/traffic_history.json")
    adapter = make_adapter(http_session, base_url, clock)
    usage = await adapter.async_fetch()

    first = usage.sims["ABC12DE345"]
    assert first.daily_usage == HISTORY_DAYS
    # The figures are the capacity call's, untouched.
    assert first.remaining == (5120 + 33563) * MIB
    # The other line has no history (mineo answers 0098): its figures stand alone.
    second = usage.sims["FGH67IJ890"]
    assert second.daily_usage == ()
    assert second.remaining == (300 + 100 + 10) * MIB
    history_bodies = [
        body
        for call, body in zip(replay.calls, replay.bodies_seen, strict=True)
        if call == "get_traffic_history"
    ]
    assert history_bodies == [{"custId": "ABC12DE345"}, {"custId": "FGH67IJ890"}]


async def test_daily_usage_is_asked_at_most_every_six_hours_and_on_a_new_day(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    replay.histories["ABC12DE345"] = load_json_fixture("mineo/traffic_history.json")
    clock.now = datetime(2025, 11, 25, 9, 0, tzinfo=TOKYO)
    adapter = make_adapter(http_session, base_url, clock)
    await adapter.async_fetch()
    assert _history_calls(replay) == 2  # one per line

    for later in (timedelta(minutes=30), timedelta(hours=5, minutes=59)):
        clock.now = datetime(2025, 11, 25, 9, 0, tzinfo=TOKYO) + later
        usage = await adapter.async_fetch()
        assert usage.sims["ABC12DE345"].daily_usage == HISTORY_DAYS
    assert _history_calls(replay) == 2
    assert replay.calls.count("get_capacity") == 6  # the figures, every poll

    clock.now = datetime(2025, 11, 25, 15, 0, tzinfo=TOKYO)
    await adapter.async_fetch()
    assert _history_calls(replay) == 4

    # A new Tokyo day an hour later: asked again, and 25 November is now whole.
    clock.now = datetime(2025, 11, 26, 0, 5, tzinfo=TOKYO)
    usage = await adapter.async_fetch()
    assert _history_calls(replay) == 6
    assert usage.sims["ABC12DE345"].daily_usage == (
        *HISTORY_DAYS,
        DailyUsage(day=date(2025, 11, 25), used=12 * MIB),
    )


@pytest.mark.parametrize(
    "answer",
    [
        lambda: web.json_response(load_json_fixture("mineo/result_system_error.json")),
        lambda: web.json_response({"resultCode": "0022", "messages": [None]}),
        lambda: web.json_response({"message": "Internal Server Error"}, status=500),
        lambda: web.Response(
            text=load_text_fixture("mineo/maintenance.html"), content_type="text/html"
        ),
        lambda: web.json_response({}, status=429, headers={"Retry-After": "60"}),
        lambda: web.json_response(load_json_fixture("mineo/invalid_jwt.json"), status=401),
        lambda: web.Response(text="{not json", content_type="application/json"),
    ],
)
async def test_a_failing_history_leaves_the_figures(
    http_session: aiohttp.ClientSession,
    base_url: str,
    replay: MineoReplay,
    clock: Clock,
    answer: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    replay.history_answer = answer
    adapter = make_adapter(http_session, base_url, clock)
    usage = await adapter.async_fetch()

    assert set(usage.sims) == {"ABC12DE345", "FGH67IJ890"}
    assert usage.sims["ABC12DE345"].remaining == (5120 + 33563) * MIB
    assert all(sim.daily_usage == () for sim in usage.sims.values())
    ours = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.japan_sim_data")
    )
    assert "usage history" in ours
    for secret in (*replay.issued, INITIAL_REFRESH_TOKEN, AID, "ABC12DE345", "FGH67IJ890"):
        assert secret not in ours
    assert replay.reused == 0

    # Not asked again within six hours; asked (and read) after them.
    asked = _history_calls(replay)
    clock.now = START + timedelta(hours=1)
    await adapter.async_fetch()
    assert _history_calls(replay) == asked
    replay.history_answer = None
    replay.histories["ABC12DE345"] = load_json_fixture("mineo/traffic_history.json")
    clock.now = START + timedelta(hours=6)
    usage = await adapter.async_fetch()
    assert usage.sims["ABC12DE345"].daily_usage == HISTORY_DAYS


def _month(days: Any, month: Any = "11") -> dict[str, Any]:
    return {
        "resultCode": "00",
        "monthlyTrafficHistoryList": [{"targetMonth": month, "dailyTrafficHistoryList": days}],
    }


def _day(high: Any, day: Any = "1") -> dict[str, Any]:
    return {"dataTraffic": 1, "dataTrafficHighSpeed": high, "targetDay": day}


@pytest.mark.parametrize(
    "payload",
    [
        {"resultCode": "00", "monthlyTrafficHistoryList": {"11": []}},
        _month({"1": 100}),
        _month([_day(-1)]),
        _month([_day("-5")]),
        _month([_day(1e30)]),
        _month([_day("lots")]),
        _month([_day(True)]),
        _month([_day({"MB": 1})]),
        _month([_day(100, "32")]),
        _month([_day(100, "0")]),
        _month([_day(100, "1.5")]),
        _month([_day(100, 10**30)]),
        _month([_day(100, None)]),
        _month(["1: 100 MB"]),
        _month([_day(100)], month="13"),
        _month([_day(100)], month=None),
        _month([_day(100)], month="十一"),
        ["not", "an", "object"],
        "deep",
    ],
)
async def test_malformed_history_is_dropped(
    http_session: aiohttp.ClientSession,
    base_url: str,
    replay: MineoReplay,
    clock: Clock,
    payload: Any,
) -> None:
    if payload == "deep":
        text = '{"resultCode": "00", "monthlyTrafficHistoryList": ' + "[" * 100_000
        replay.history_answer = lambda: web.Response(text=text, content_type="application/json")
    else:
        replay.histories["ABC12DE345"] = payload
    adapter = make_adapter(http_session, base_url, clock)
    usage = await adapter.async_fetch()
    assert usage.sims["ABC12DE345"].daily_usage == ()
    assert usage.sims["ABC12DE345"].remaining == (5120 + 33563) * MIB


def test_parse_traffic_history_reads_whole_days_in_their_year() -> None:
    payload = load_json_fixture("mineo/traffic_history.json")
    assert parse_traffic_history(payload, date(2025, 11, 25)) == HISTORY_DAYS
    # In January, November and December are last year's (targetMonth has no year).
    january = {
        "resultCode": "00",
        "monthlyTrafficHistoryList": [
            {"targetMonth": "12", "dailyTrafficHistoryList": [_day(10, "31")]},
            {"targetMonth": "01", "dailyTrafficHistoryList": [_day("２０", "１"), _day(5, "9")]},
        ],
    }
    assert parse_traffic_history(january, date(2026, 1, 9)) == (
        DailyUsage(day=date(2025, 12, 31), used=10 * MIB),
        DailyUsage(day=date(2026, 1, 1), used=20 * MIB),
    )
    # Nothing listed, or a month without days: no day, not an error.
    assert parse_traffic_history({"resultCode": "00"}, date(2026, 1, 9)) == ()
    assert parse_traffic_history(_month(None), date(2026, 1, 9)) == ()
