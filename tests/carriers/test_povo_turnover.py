"""povo 2.0 over time, against the local replay of tests/carriers/test_povo.py (FakePovo).

A walk across a topping's expiry at a month end (the fixtures plan_details_turnover*.json and
usage_turnover*.json: README there), and the requests a day of 30-minute polls costs.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from custom_components.japan_sim_data.carriers.dates import TOKYO, days_left
from custom_components.japan_sim_data.carriers.models import AccountUsage, BucketKind, SimUsage
from custom_components.japan_sim_data.carriers.povo import (
    PLAN_DETAILS_PATH,
    PLAN_PAGE_REFRESH,
    PROFILE_PATH,
    TOKEN_PATH,
    USAGE_HISTORY_PATH,
    USAGE_PATH,
    PlanTile,
    PovoAdapter,
    PovoLine,
    parse_usage,
)
from custom_components.japan_sim_data.carriers.povo_usage import build_sim, expired_leftover
from custom_components.japan_sim_data.carriers.units import GIB, KIB, MIB
from tests.carriers.test_povo import LINE, START, FakePovo, MakeAdapter, fixture, only_sim, reply
from tests.helpers import Clock

# isort: split
from tests.carriers.test_povo import clock_fixture, make_adapter_fixture, povo_fixture  # noqa: F401 (the shared fixtures)

THREE_GB_ENDS = datetime(2026, 5, 31, 23, 59, tzinfo=TOKYO)
"""The 3 GB topping's expiry: "2026年 5月 31日 午後11:59", the last minute of May."""
TWENTY_GB_ENDS = datetime(2026, 6, 21, 0, 0, tzinfo=TOKYO)
"""The 20 GB topping's expiry, midnight written "2026年 6月 21日 午前0:00"."""
LEFT = round(14606663.68 * KIB)  # usage_turnover.json: boost left, 13.93 GB
LEFT_DROPPED = round(11460935.68 * KIB)  # usage_turnover_dropped.json: 10.93 GB


def figures(sim: SimUsage, now: datetime) -> tuple[int | None, int | None, datetime | None]:
    """(remaining, days left, data expires) as the sensors show them."""
    expires = sim.data_expires
    return sim.remaining, None if expires is None else days_left(expires, now), expires


def assert_honest(sim: SimUsage, now: datetime) -> None:
    """No bucket past its expiry, so nothing downstream drops or counts data it should not."""
    assert all(bucket.expires is None or bucket.expires > now for bucket in sim.buckets)
    assert sim.valid_at(now) == sim
    if sim.remaining and sim.data_expires is not None:
        assert days_left(sim.data_expires, now) > 0


async def polled_at(
    make_adapter: MakeAdapter, clock: Clock, at: datetime
) -> tuple[PovoAdapter, AccountUsage]:
    """The adapter on the replay, and what its first poll at ``at`` read."""
    adapter = await make_adapter()
    clock.now = at
    return adapter, await adapter.async_fetch()


def plan_calls(povo: FakePovo) -> int:
    return sum(1 for _, path in povo.calls if path == PLAN_DETAILS_PATH)


async def plan_calls_after_a_poll(adapter: PovoAdapter, povo: FakePovo, clock: Clock) -> int:
    """Poll 30 minutes on; how many times the plan page has been read by then."""
    clock.now += timedelta(minutes=30)
    await adapter.async_fetch()
    return plan_calls(povo)


@pytest.fixture
def turnover(povo: FakePovo) -> FakePovo:
    povo.answers[USAGE_PATH] = fixture("usage_turnover.json")
    povo.answers[PLAN_DETAILS_PATH] = fixture("plan_details_turnover.json")
    return povo


async def test_month_end_with_the_expired_topping_still_listed(
    turnover: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    """povo lists a topping that expired at the end of May with its 3 GB still left; the day
    after, it must not count (it showed Days left 0 next to 13.93 GB)."""
    povo = turnover
    adapter, usage = await polled_at(
        make_adapter, clock, datetime(2026, 5, 30, 12, 0, tzinfo=TOKYO)
    )
    sim = only_sim(usage)
    assert figures(sim, clock.now) == (LEFT, 2, THREE_GB_ENDS)
    # One slice per topping, each with its own expiry: the 20 GB one as the page shows it,
    # the soonest the rest (povo spends it first).
    toppings = [bucket for bucket in sim.buckets if bucket.kind is BucketKind.TOPPING]
    assert [(b.remaining, b.expires) for b in toppings] == [
        (LEFT - round(10.93 * GIB), THREE_GB_ENDS),
        (round(10.93 * GIB), TWENTY_GB_ENDS),
    ]
    assert sim.allowance == 23 * GIB
    assert_honest(sim, clock.now)
    # The coordinator drops the 3 GB slice the moment it expires, without a poll: the rest
    # still counts, with its own expiry.
    after = sim.valid_at(THREE_GB_ENDS + timedelta(seconds=1))
    assert figures(after, THREE_GB_ENDS + timedelta(seconds=1))[1:] == (21, TWENTY_GB_ENDS)
    assert after.remaining == round(10.93 * GIB)

    clock.now = datetime(2026, 5, 31, 23, 58, tzinfo=TOKYO)
    sim = only_sim(await adapter.async_fetch())
    assert figures(sim, clock.now) == (LEFT, 1, THREE_GB_ENDS)
    assert_honest(sim, clock.now)
    asked = plan_calls(povo)

    # Past midnight, 1 June: povo still lists the topping and still counts its 3 GB.
    clock.now = datetime(2026, 6, 1, 0, 0, 30, tzinfo=TOKYO)
    sim = only_sim(await adapter.async_fetch())
    assert plan_calls(povo) == asked + 1  # a topping expired since the page was read
    assert figures(sim, clock.now) == (LEFT - 3 * GIB, 20, TWENTY_GB_ENDS)
    assert sim.allowance == 20 * GIB
    assert_honest(sim, clock.now)

    # povo took the 3 GB away from the figures, the page still lists it: nothing more is
    # taken away (the figures no longer hold it).
    povo.answers[USAGE_PATH] = fixture("usage_turnover_dropped.json")
    clock.now = datetime(2026, 6, 1, 0, 30, tzinfo=TOKYO)
    sim = only_sim(await adapter.async_fetch())
    assert plan_calls(povo) == asked + 2  # a bucket's size changed: read again
    assert figures(sim, clock.now) == (LEFT_DROPPED, 20, TWENTY_GB_ENDS)
    assert_honest(sim, clock.now)

    # The page no longer lists it either.
    povo.answers[PLAN_DETAILS_PATH] = fixture("plan_details_turnover_dropped.json")
    clock.now = datetime(2026, 6, 1, 3, 0, tzinfo=TOKYO)
    sim = only_sim(await adapter.async_fetch())
    assert figures(sim, clock.now) == (LEFT_DROPPED, 20, TWENTY_GB_ENDS)
    assert_honest(sim, clock.now)

    # The 20 GB topping ends at midnight (午前0:00); povo lists it a while longer.
    clock.now = datetime(2026, 6, 20, 23, 59, tzinfo=TOKYO)
    sim = only_sim(await adapter.async_fetch())
    assert sim.remaining == LEFT_DROPPED
    assert sim.data_expires == TWENTY_GB_ENDS
    clock.now = datetime(2026, 6, 21, 0, 0, 30, tzinfo=TOKYO)
    sim = only_sim(await adapter.async_fetch())
    assert figures(sim, clock.now) == (0, None, None)
    assert_honest(sim, clock.now)


async def test_month_end_when_povo_already_dropped_the_figures(
    turnover: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    """The usage answer no longer counts the expired topping while the page lists it: the
    figures stand, only the expiry moves on."""
    turnover.answers[USAGE_PATH] = fixture("usage_turnover_dropped.json")
    _, usage = await polled_at(make_adapter, clock, datetime(2026, 6, 1, 9, 0, tzinfo=TOKYO))
    sim = only_sim(usage)
    assert figures(sim, clock.now) == (LEFT_DROPPED, 20, TWENTY_GB_ENDS)
    assert sim.allowance == 20 * GIB
    assert_honest(sim, clock.now)


def _tile(remaining: int | None, expires: datetime | None, *, total: int | None = None) -> PlanTile:
    return PlanTile(
        name=None, status=None, remaining=remaining, total=total, unlimited=False, expires=expires
    )


def test_expired_leftover_needs_figures_that_match_the_page() -> None:
    """Data is taken away only on evidence that the usage figures still hold it."""
    now = datetime(2026, 6, 1, 0, 0, 30, tzinfo=TOKYO)
    buckets = only_sim_buckets(LEFT)
    expired = _tile(3 * GIB, THREE_GB_ENDS)
    valid = _tile(round(10.93 * GIB), TWENTY_GB_ENDS)
    assert expired_leftover(buckets, (expired, valid), now) == 3 * GIB
    # Figures that hold more than the page lists (bonus data without a tile): unknown share.
    assert expired_leftover(only_sim_buckets(LEFT + GIB), (expired, valid), now) == 0
    # A tile that cannot be read, or no figure at all: nothing to compare.
    assert expired_leftover(buckets, (expired, _tile(None, TWENTY_GB_ENDS)), now) == 0
    assert expired_leftover(only_sim_buckets(None), (expired, valid), now) == 0
    # Nothing expired, or it expired empty.
    assert expired_leftover(buckets, (valid,), now) == 0
    assert expired_leftover(buckets, (_tile(0, THREE_GB_ENDS), valid), now) == 0


def only_sim_buckets(left: int | None) -> Any:
    payload = fixture("usage_turnover.json")
    payload["data"]["boost"]["left"] = None if left is None else left / KIB
    return parse_usage(payload)


def test_an_expired_tile_never_dates_the_data() -> None:
    """Every tile expired: the data is undated, never "0 days left" next to data."""
    now = datetime(2026, 6, 2, 12, 0, tzinfo=TOKYO)
    buckets = only_sim_buckets(LEFT)
    # The page lists only an expired tile, the figures hold more than it: nothing is taken.
    sim = build_sim(PovoLine(sin=LINE), buckets, None, (_tile(GIB, THREE_GB_ENDS),), now=now)
    assert sim.remaining == LEFT
    assert sim.data_expires is None
    assert_honest(sim, now)
    # An unreadable tile: every bucket takes the soonest valid expiry.
    sim = build_sim(
        PovoLine(sin=LINE),
        buckets,
        None,
        (_tile(None, TWENTY_GB_ENDS), _tile(GIB, THREE_GB_ENDS)),
        now=now,
    )
    assert {bucket.expires for bucket in sim.buckets} == {TWENTY_GB_ENDS}
    assert_honest(sim, now)


def test_expired_leftover_taken_from_toppings_first() -> None:
    """The expired topping's 3 GB, still counted across basic and boost: taken from boost
    (a topping) first, then from the rest; never below 0."""
    now = datetime(2026, 6, 1, 0, 0, 30, tzinfo=TOKYO)
    payload = {
        "data": {
            "basic": {"left": 1024 * 1024, "used": 0, "unit": "kilobytes"},
            "boost": {"left": 2 * 1024 * 1024, "used": 1024 * 1024, "unit": "kilobytes"},
        }
    }
    buckets = parse_usage(payload)
    sim = build_sim(PovoLine(sin=LINE), buckets, None, (_tile(3 * GIB, THREE_GB_ENDS),), now=now)
    assert [(b.kind, b.remaining, b.total) for b in sim.buckets] == [
        (BucketKind.MONTHLY, 0, 0),
        (BucketKind.TOPPING, 0, GIB),
    ]
    assert sim.allowance == GIB
    assert_honest(sim, now)


def test_a_drained_topping_never_dates_data_it_does_not_hold() -> None:
    """The page lists only a spent 1 GB topping; the figures hold 1 GB of bonus data: the
    spent topping's expiry dates the empty buckets (the line's end), not the bonus."""
    now = datetime(2026, 5, 30, 12, 0, tzinfo=TOKYO)
    payload = {
        "data": {
            "boost": {"left": 0, "used": 1024 * 1024, "unit": "kilobytes"},
            "bonus": {"left": 1024 * 1024, "used": 0, "unit": "kilobytes"},
        }
    }
    tiles = (_tile(0, THREE_GB_ENDS, total=GIB),)
    sim = build_sim(PovoLine(sin=LINE), parse_usage(payload), None, tiles, now=now)
    assert [(b.kind, b.remaining, b.expires) for b in sim.buckets] == [
        (BucketKind.TOPPING, 0, THREE_GB_ENDS),
        (BucketKind.GIFT, GIB, None),
    ]
    assert sim.valid_at(THREE_GB_ENDS + timedelta(seconds=1)).remaining == GIB


def test_data_without_a_readable_end_is_not_dated_by_another_topping() -> None:
    """A topping whose expiry cannot be read: dating all the data by the other topping would
    have it dropped at that moment; its end is unknown instead."""
    now = datetime(2026, 5, 30, 12, 0, tzinfo=TOKYO)
    tiles = (_tile(3 * GIB, THREE_GB_ENDS), _tile(round(10.93 * GIB), None))
    sim = build_sim(PovoLine(sin=LINE), only_sim_buckets(LEFT), None, tiles, now=now)
    assert sim.remaining == LEFT
    assert all(bucket.expires is None for bucket in sim.buckets)
    assert sim.valid_at(THREE_GB_ENDS + timedelta(seconds=1)).remaining == LEFT


# -- requests per poll ---------------------------------------------------------------------------


def spend(povo: FakePovo, amount: int) -> None:
    """The line uses ``amount`` bytes between polls (binary KB in the answer, as povo's)."""
    usage = json.loads(json.dumps(povo.answers[USAGE_PATH]))
    boost = usage["data"]["boost"]
    boost["left"] -= amount / KIB
    boost["used"] += amount / KIB
    povo.answers[USAGE_PATH] = usage


async def test_requests_per_poll_over_a_day(
    povo: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    """48 polls at Home Assistant's 30-minute interval, the line spending data in between.

    The token lives 1200 s, so it has expired at every poll: renewal and usage, 2 requests.
    The plan page is read again every PLAN_PAGE_REFRESH (2 h), the history every 6 h and on a
    new Tokyo day. Before: 3 requests a poll (renewal, usage, plan page) plus the history.
    """
    adapter = await make_adapter()
    clock.now = START
    per_poll: list[list[str]] = []
    for _ in range(48):
        spend(povo, 50 * MIB)
        before = len(povo.calls)
        await adapter.async_fetch()
        per_poll.append([path for _, path in povo.calls[before:]])
        clock.now += timedelta(minutes=30)

    assert per_poll[0] == [
        TOKEN_PATH,
        PROFILE_PATH,
        USAGE_PATH,
        PLAN_DETAILS_PATH,
        USAGE_HISTORY_PATH,
    ]
    for index, paths in enumerate(per_poll[1:], start=1):
        extra = []
        if index % 4 == 0:  # PLAN_PAGE_REFRESH
            extra.append(PLAN_DETAILS_PATH)
        if index % 12 == 0:  # HISTORY_REFRESH; poll 24 is midnight, a new Tokyo day
            extra.append(USAGE_HISTORY_PATH)
        assert paths == [TOKEN_PATH, USAGE_PATH, *extra], index
    counts = [len(paths) for paths in per_poll]
    assert counts.count(2) == 36
    assert sum(counts) == 113  # 2.35 requests a poll; 2.30 after the first
    assert timedelta(hours=2) == PLAN_PAGE_REFRESH


async def test_a_refresh_while_the_token_lives_is_one_request(
    povo: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    adapter, usage = await polled_at(make_adapter, clock, START)
    first = only_sim(usage)
    povo.calls.clear()
    clock.now += timedelta(minutes=10)  # a manual Refresh
    assert only_sim(await adapter.async_fetch()) == first
    assert povo.calls == [("GET", USAGE_PATH)]


async def test_plan_page_read_again_when_a_topping_is_bought(
    povo: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    adapter, _ = await polled_at(make_adapter, clock, START)
    asked = plan_calls(povo)
    usage = json.loads(json.dumps(povo.answers[USAGE_PATH]))
    usage["data"]["boost"]["left"] += 3 * 1024 * 1024  # a 3 GB topping, in KB
    povo.answers[USAGE_PATH] = usage
    assert await plan_calls_after_a_poll(adapter, povo, clock) == asked + 1
    # A bucket that appears is a change too.
    usage = json.loads(json.dumps(usage))
    usage["data"]["bonus"] = None
    povo.answers[USAGE_PATH] = usage
    assert await plan_calls_after_a_poll(adapter, povo, clock) == asked + 2


async def test_plan_page_read_again_when_the_soonest_topping_may_be_spent(
    turnover: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    """povo spends the soonest-expiring topping first: once its 3 GB may be gone, the next
    topping's expiry dates the data, and the page says so."""
    adapter, _ = await polled_at(make_adapter, clock, datetime(2026, 5, 30, 12, 0, tzinfo=TOKYO))
    asked = plan_calls(turnover)
    spend(turnover, 2 * GIB)
    assert await plan_calls_after_a_poll(adapter, turnover, clock) == asked
    spend(turnover, GIB)
    assert await plan_calls_after_a_poll(adapter, turnover, clock) == asked + 1


async def test_a_running_unlimited_topping_shows_within_the_refresh(
    povo: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    """The usage answer shows no trace of an unlimited topping: the page, read again within
    PLAN_PAGE_REFRESH, does; its end is an expiry that makes the page be read again."""
    adapter, usage = await polled_at(make_adapter, clock, datetime(2026, 9, 5, 9, 0, tzinfo=TOKYO))
    assert only_sim(usage).unlimited_until is None
    povo.answers[PLAN_DETAILS_PATH] = fixture("plan_details_unlimited.json")
    clock.now += PLAN_PAGE_REFRESH
    sim = only_sim(await adapter.async_fetch())
    assert sim.unlimited_until == datetime(2026, 9, 5, 16, 42, tzinfo=TOKYO)
    asked = plan_calls(povo)
    clock.now = datetime(2026, 9, 5, 16, 45, tzinfo=TOKYO)
    await adapter.async_fetch()
    assert plan_calls(povo) == asked + 1


async def test_a_refused_plan_page_is_not_asked_at_every_poll(
    povo: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    refused = reply(404, {"message": "no Route matched with those values"})
    povo.once[PLAN_DETAILS_PATH] = [refused]
    adapter, usage = await polled_at(make_adapter, clock, START)
    assert only_sim(usage).next_expiry is None
    assert await plan_calls_after_a_poll(adapter, povo, clock) == 1
    clock.now = START + PLAN_PAGE_REFRESH
    assert only_sim(await adapter.async_fetch()).next_expiry is not None
    assert plan_calls(povo) == 2


async def test_a_clock_set_back_reads_the_page_again(
    povo: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    adapter, _ = await polled_at(make_adapter, clock, START)
    clock.now = START - timedelta(minutes=5)
    await adapter.async_fetch()
    assert plan_calls(povo) == 2
