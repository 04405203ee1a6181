"""What mineo sees, and figures across a month end: over real HTTP to the replay.

- Issue 22.11: the list of lines is read once a Tokyo day (or when a figure says it is out of
  date), so a normal poll costs one request per line.
- Issue 22 (month turnover): bought data (チャージ) still listed after its expiry counts no
  more; every date mineo gives passes the plausibility rule.
- Issue 23.4: the account's name comes from an answer mineo's API accepted, and stays.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers.base import anonymous_id
from custom_components.japan_sim_data.carriers.dates import TOKYO, days_left
from custom_components.japan_sim_data.carriers.errors import (
    CarrierParseError,
    CarrierSessionExpiredError,
)
from custom_components.japan_sim_data.carriers.mineo_figures import (
    parse_charge_expiry,
    parse_traffic_history,
)
from custom_components.japan_sim_data.carriers.models import BucketKind, Carrier, SimUsage
from custom_components.japan_sim_data.carriers.units import MIB
from tests.carriers.mineo_replay import SUBJECT, MineoReplay
from tests.carriers.test_mineo import make_adapter
from tests.helpers import Clock, load_json_fixture

# isort: split
from tests.carriers.test_mineo import base_url_fixture, clock_fixture, replay_fixture  # noqa: F401 (the shared fixtures)

FIRST, SECOND = "ABC12DE345", "FGH67IJ890"


def _one_line(replay: MineoReplay) -> None:
    replay.telnum_list["telNumList"] = replay.telnum_list["telNumList"][:1]


async def _poll(adapter: Any, replay: MineoReplay, clock: Clock, at: datetime) -> list[str]:
    """One poll at ``at``: the calls it cost."""
    clock.now = at
    before = len(replay.calls)
    await adapter.async_fetch()
    return replay.calls[before:]


async def test_a_normal_poll_is_one_request(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """Over a day and into the next, at the real 30-minute interval, one line."""
    _one_line(replay)
    adapter = make_adapter(http_session, base_url, clock)
    start = datetime(2025, 11, 25, 9, 0, tzinfo=TOKYO)

    first = await _poll(adapter, replay, clock, start)
    assert first == ["token", "get_telnum_list", "get_capacity", "get_traffic_history"]

    costs: dict[str, list[int]] = {"within six hours": [], "after": []}
    for step in range(1, 30):  # 09:30 … 23:30
        calls = await _poll(adapter, replay, clock, start + timedelta(minutes=30 * step))
        assert "get_telnum_list" not in calls
        if calls == ["get_capacity"]:
            costs["within six hours"].append(len(calls))
        else:
            # The daily history, every six hours: the figures and it.
            assert calls == ["get_capacity", "get_traffic_history"]
            costs["after"].append(len(calls))
    assert len(costs["within six hours"]) == 27
    assert costs["after"] == [2, 2]  # at 15:00 and 21:00

    # A new Tokyo day: the list of lines again, once, and yesterday becomes a whole day.
    calls = await _poll(adapter, replay, clock, datetime(2025, 11, 26, 0, 0, tzinfo=TOKYO))
    assert calls == ["get_telnum_list", "get_capacity", "get_traffic_history"]
    calls = await _poll(adapter, replay, clock, datetime(2025, 11, 26, 0, 30, tzinfo=TOKYO))
    assert calls == ["get_capacity"]
    assert replay.calls.count("get_telnum_list") == 2
    assert replay.calls.count("token") == 1


async def test_bought_data_costs_one_more_request_a_day(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """The second line has a charge left: its expiry is asked once a day, or after a new one."""
    replay.charge_infos[SECOND] = _charge_info("20251231")
    adapter = make_adapter(http_session, base_url, clock)
    start = datetime(2025, 11, 25, 9, 0, tzinfo=TOKYO)
    await _poll(adapter, replay, clock, start)
    assert replay.calls.count("get_packetcharge_info") == 1
    assert await _poll(adapter, replay, clock, start + timedelta(minutes=30)) == [
        "get_capacity",
        "get_capacity",
    ]
    # A new charge changes the charged amount: asked again at once.
    replay.capacities[SECOND] = load_json_fixture("mineo/capacity_switch_on.json")
    replay.capacities[SECOND]["packetInfo"] |= {
        "chargeCapacity": 200,
        "chargeRemainingCapacity": 150,
    }
    calls = await _poll(adapter, replay, clock, start + timedelta(hours=1))
    assert calls == ["get_capacity", "get_capacity", "get_packetcharge_info"]
    calls = await _poll(adapter, replay, clock, datetime(2025, 11, 26, 0, 0, tzinfo=TOKYO))
    assert calls.count("get_packetcharge_info") == 1


async def test_a_line_mineo_no_longer_knows_reads_the_list_again(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """0022 for a listed line: the lines are read again at once, and the line is gone."""
    adapter = make_adapter(http_session, base_url, clock)
    start = datetime(2025, 11, 25, 9, 0, tzinfo=TOKYO)
    await _poll(adapter, replay, clock, start)

    replay.telnum_list["telNumList"] = replay.telnum_list["telNumList"][:1]
    del replay.capacities[SECOND]
    clock.now = start + timedelta(minutes=30)
    before = len(replay.calls)
    usage = await adapter.async_fetch()
    assert replay.calls[before:] == [
        "get_capacity",
        "get_capacity",  # 0022: unknown custId (mineard §1)
        "get_telnum_list",
        "get_capacity",
    ]
    assert set(usage.sims) == {FIRST}


async def test_an_unknown_line_right_after_the_list_is_unreadable(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """mineo lists a line and then does not know it: an error, not a loop of lists."""
    del replay.capacities[SECOND]
    adapter = make_adapter(http_session, base_url, clock)
    with pytest.raises(CarrierParseError, match="0022"):
        await adapter.async_fetch()
    assert replay.calls.count("get_telnum_list") == 1


async def test_no_line_for_an_eo_id_that_had_lines_is_unreadable(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """Issue 23.7: an empty list must not take every SIM away."""
    adapter = make_adapter(http_session, base_url, clock)
    await _poll(adapter, replay, clock, datetime(2025, 11, 25, 9, 0, tzinfo=TOKYO))
    replay.telnum_list = {"resultCode": "00", "messages": [None], "telNumList": []}
    clock.now = datetime(2025, 11, 26, 9, 0, tzinfo=TOKYO)
    with pytest.raises(CarrierParseError, match="no line"):
        await adapter.async_fetch()
    assert [line.cust_id for line in adapter.lines] == [FIRST, SECOND]


# -- month turnover -----------------------------------------------------------------------------

# 5 GB of this month, 3.16 GB carried over and 3 GB bought (a charge valid through 30 November):
# 11.16 GB on the month's last evening, 8.16 GB once the charge and the carried-over data
# have gone. mineo keeps listing the charge on 1 December.
_NOVEMBER = {"baseCapacity": 5120, "baseRemainingCapacity": 5120}
_CARRIED = {"forwardCapacity": 3236, "forwardRemainingCapacity": 3236}
_CHARGE = {"chargeCapacity": 3072, "chargeRemainingCapacity": 3072}


def _capacity(**packet_info: int) -> dict[str, Any]:
    payload: dict[str, Any] = load_json_fixture("mineo/capacity.json")
    payload["packetInfo"] = {
        "giftCapacity": 0,
        "giftRemainingCapacity": 0,
        **packet_info,
    }
    return payload


def _charge_info(expires: Any) -> dict[str, Any]:
    payload: dict[str, Any] = load_json_fixture("mineo/packetcharge_info.json")
    payload["packetChargeInfo"]["chargeExpireDate"] = expires
    return payload


def _left(sim: SimUsage, now: datetime) -> tuple[int | None, int]:
    """Data left (MB) and days left, as a person sees them at ``now``."""
    valid = sim.valid_at(now)
    expires = valid.data_expires
    assert expires is not None
    remaining = valid.remaining
    return (None if remaining is None else remaining // MIB), days_left(expires, now)


async def test_an_expired_charge_still_listed_counts_no_more(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    _one_line(replay)
    replay.capacities[FIRST] = _capacity(**_NOVEMBER, **_CARRIED, **_CHARGE)
    replay.charge_infos[FIRST] = _charge_info("20251130")
    adapter = make_adapter(http_session, base_url, clock)

    # The month's last evening: everything counts, one day left for the charge and carry-over.
    evening = datetime(2025, 11, 30, 22, 0, tzinfo=TOKYO)
    clock.now = evening
    usage = await adapter.async_fetch()
    sim = usage.sims[FIRST]
    (charge,) = (b for b in sim.buckets if b.kind is BucketKind.TOPPING)
    assert charge.expires == datetime(2025, 11, 30, 23, 59, 59, tzinfo=TOKYO)
    assert _left(sim, evening) == (5120 + 3236 + 3072, 1)

    # Ten past midnight, before any poll: the charge and the carried-over data have expired.
    # What is left is November's allowance, carried into December (expiring at its end).
    after_midnight = datetime(2025, 12, 1, 0, 10, tzinfo=TOKYO)
    assert _left(sim, after_midnight) == (5120, 31)

    # The first December poll: mineo now carries November's 5 GB over, adds December's, and
    # still lists the charge. The adapter dates it (through 30 November): it counts no more.
    replay.capacities[FIRST] = _capacity(
        baseCapacity=5120,
        baseRemainingCapacity=5120,
        forwardCapacity=5120,
        forwardRemainingCapacity=5120,
        **_CHARGE,
    )
    clock.now = datetime(2025, 12, 1, 0, 30, tzinfo=TOKYO)
    usage = await adapter.async_fetch()
    sim = usage.sims[FIRST]
    (charge,) = (b for b in sim.buckets if b.kind is BucketKind.TOPPING)
    assert charge.remaining == 3072 * MIB  # as listed
    assert charge.expires == datetime(2025, 11, 30, 23, 59, 59, tzinfo=TOKYO)
    assert _left(sim, clock.now) == (5120 + 5120, 31)
    assert sim.remaining == (5120 + 5120 + 3072) * MIB  # the raw answer, before validity
    # December's allowance lasts into January; the carried-over 5 GB go at December's end.
    assert sim.valid_at(clock.now).data_expires == datetime(2025, 12, 31, 23, 59, 59, tzinfo=TOKYO)

    # 1 January: December's charge-free figures; the old charge is still not counted.
    clock.now = datetime(2026, 1, 1, 9, 0, tzinfo=TOKYO)
    usage = await adapter.async_fetch()
    assert _left(usage.sims[FIRST], clock.now)[0] == 5120 + 5120
    assert replay.calls.count("get_packetcharge_info") == 3  # once each day


@pytest.mark.parametrize("expires", ["99991231", "19700101", "20251332", "2025-12-31", "soon", 5])
async def test_an_unreadable_charge_expiry_leaves_it_unknown(
    http_session: aiohttp.ClientSession,
    base_url: str,
    replay: MineoReplay,
    clock: Clock,
    expires: Any,
) -> None:
    """An implausible or unreadable date dates nothing; the poll and its figures go on."""
    replay.charge_infos[SECOND] = _charge_info(expires)
    adapter = make_adapter(http_session, base_url, clock)
    usage = await adapter.async_fetch()
    (charge,) = (b for b in usage.sims[SECOND].buckets if b.kind is BucketKind.TOPPING)
    assert charge.expires is None
    assert charge.remaining == 100 * MIB


def test_charge_expiry_shapes() -> None:
    today = date(2025, 11, 25)
    sample = load_json_fixture("mineo/packetcharge_info.json")
    assert parse_charge_expiry(sample, today) == datetime(2025, 12, 31, 23, 59, 59, tzinfo=TOKYO)
    # Full-width digits read as the app shows them; no info or no date: unknown, not an error.
    assert parse_charge_expiry(_charge_info("２０２５１２０１"), today) == datetime(
        2025, 12, 1, 23, 59, 59, tzinfo=TOKYO
    )
    assert parse_charge_expiry({"resultCode": "00"}, today) is None
    assert parse_charge_expiry(_charge_info(""), today) is None
    broken_answers: list[Any] = [[], {"packetChargeInfo": []}, _charge_info("20361201")]
    for broken in broken_answers:
        with pytest.raises(CarrierParseError):
            parse_charge_expiry(broken, today)


def test_history_days_pass_the_plausibility_rule() -> None:
    """A history read on 5 January 2000 whose December would be 1999's: refused, not stored."""
    day = {"dataTrafficHighSpeed": 5, "targetDay": "31"}
    payload = {
        "resultCode": "00",
        "monthlyTrafficHistoryList": [{"targetMonth": "12", "dailyTrafficHistoryList": [day]}],
    }
    with pytest.raises(CarrierParseError, match="plausible"):
        parse_traffic_history(payload, date(2000, 1, 5))
    assert len(parse_traffic_history(payload, date(2001, 1, 5))) == 1


# -- the account's name -------------------------------------------------------------------------


async def test_the_account_name_never_follows_a_later_token(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """Named by the first login mineo's API accepted; a renewal's other `sub` renames nothing."""
    adapter = make_adapter(http_session, base_url, clock)
    await adapter.async_fetch()
    named = anonymous_id(Carrier.MINEO, SUBJECT)
    assert adapter.account_id == named
    assert adapter.refreshed_secrets()["account_id"] == named

    replay.subject = "someone-else"
    replay.expire_id_tokens()
    await adapter.async_fetch()
    assert adapter.account_id == named

    # Built with the stored name (after a restart): kept whatever the tokens say.
    stored = make_adapter(
        http_session,
        base_url,
        clock,
        refresh_token=replay.current_refresh_token,
        account_id=named,
    )
    await stored.async_fetch()
    assert stored.account_id == named
    assert "account_id" not in stored.refreshed_secrets()


async def test_a_token_the_api_refuses_names_nothing(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    adapter = make_adapter(http_session, base_url, clock)
    replay.api_answer = lambda: web.json_response(
        load_json_fixture("mineo/invalid_jwt.json"), status=401
    )
    with pytest.raises(CarrierSessionExpiredError):
        await adapter.async_fetch()
    assert "account_id" not in adapter.refreshed_secrets()
