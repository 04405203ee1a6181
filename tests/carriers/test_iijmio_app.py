"""The My IIJmio app API's parsers, fed IIJWidget's samples and broken answers.

Samples: yyyywaiwai/IIJWidget Tests/Fixtures/GAPI/*.json @ 8a3b6e6 (tests/fixtures/iijmio/
iijwidget_gapi/), whose own test (Tools/IIJFetcher/Tests/IIJFetcherTests/GAPIDataTests.swift
@ efebb78) reads them on 2026-08-06.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from custom_components.japan_sim_data.carriers.base import MAX_LINES_PER_ACCOUNT
from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.errors import CarrierParseError
from custom_components.japan_sim_data.carriers.iijmio_app import (
    AppLine,
    combine,
    parse_data_traffic,
    parse_line_info,
    parse_past_data_traffic,
    parse_token,
    read_data_traffic,
)
from custom_components.japan_sim_data.carriers.models import BucketKind, DailyUsage
from custom_components.japan_sim_data.carriers.units import GIB, MIB
from tests.helpers import load_json_fixture

SAMPLE_NOW = datetime(2026, 8, 6, 12, 0, tzinfo=TOKYO)


def _sample(name: str) -> Any:
    return load_json_fixture(f"iijmio/iijwidget_gapi/{name}.json")


def _lines() -> dict[str, AppLine]:
    return {
        line.usage.sim_id: line for line in parse_data_traffic(_sample("data_traffic"), SAMPLE_NOW)
    }


def test_iijwidget_data_traffic_sample() -> None:
    """IIJWidget's data traffic sample: 7.5 GB left on the first line (GAPIDataTests asserts 7.5).

    5.0 GB expires in August (carried over), 2.5 GB in September; the plan is 10 GB; high-speed
    data is on and the line is not regulated.
    """
    lines = _lines()
    assert list(lines) == ["hdc00000001", "hdu00000002"]

    line = lines["hdc00000001"]
    sim = line.usage
    assert sim.remaining == round(7.5 * GIB)
    assert sim.remaining_of(BucketKind.CARRIED_OVER) == 5 * GIB
    assert sim.remaining_of(BucketKind.MONTHLY) == round(2.5 * GIB)
    assert sim.next_expiry == datetime(2026, 8, 31, 23, 59, 59, tzinfo=TOKYO)
    assert sim.allowance == 10 * GIB
    assert sim.throttled is False
    assert sim.shared_pool is False
    assert sim.plan_name == "ギガプラン 10GB"
    assert sim.number_suffix == "0001"
    assert sim.resets_on == date(2026, 9, 1)
    # The last seven days: 1 August, 100 MB at high speed.
    assert sim.daily_usage == (DailyUsage(date(2026, 8, 1), 100 * MIB),)
    assert line.share_group is None
    assert line.history_query == {"serviceCode": "hdc00000001"}


def test_iijwidget_share_group_sample() -> None:
    """The share group hdd00000002: its line shows the group's 12 GB of 20 GB.

    The line has no serviceCode of its own; it is named by its lineServiceCode, and its history
    is asked with the group's serviceCode plus the lineServiceCode (MyIIJmioAPIClient.fetchAll).
    """
    line = _lines()["hdu00000002"]
    sim = line.usage
    assert sim.remaining == 12 * GIB
    assert sim.allowance == 20 * GIB
    assert sim.shared_pool is True
    assert sim.throttled is False
    assert sim.number_suffix == "0002"
    assert line.share_group == "hdd00000002"
    assert line.history_query == {"serviceCode": "hdd00000002", "lineServiceCode": "hdu00000002"}


def test_iijwidget_past_data_traffic_samples() -> None:
    """August in the samples: 500 and 420 MB on the 1st and 2nd, 2.5 GB so far (1.2 GB shared)."""
    hdc = parse_past_data_traffic(_sample("past_data_traffic_hdc"), SAMPLE_NOW)
    assert hdc.days == (
        DailyUsage(date(2026, 8, 1), 500 * MIB),
        DailyUsage(date(2026, 8, 2), 420 * MIB),
    )
    assert hdc.used_this_month == round(2.5 * GIB)
    hdd = parse_past_data_traffic(_sample("past_data_traffic_hdd"), SAMPLE_NOW)
    assert hdd.used_this_month == round(1.2 * GIB)
    assert [day.used for day in hdd.days] == [120 * MIB, 140 * MIB]


def test_recent_days_win_over_the_history() -> None:
    """IIJWidget's merge: on 1 August the seven-day list's 100 MB replaces the history's 500."""
    lines = parse_data_traffic(_sample("data_traffic"), SAMPLE_NOW)
    histories = {
        "hdc00000001": parse_past_data_traffic(_sample("past_data_traffic_hdc"), SAMPLE_NOW),
        "hdu00000002": parse_past_data_traffic(_sample("past_data_traffic_hdd"), SAMPLE_NOW),
    }
    sims = combine(lines, histories).sims
    assert sims["hdc00000001"].daily_usage == (
        DailyUsage(date(2026, 8, 1), 100 * MIB),
        DailyUsage(date(2026, 8, 2), 420 * MIB),
    )
    assert sims["hdc00000001"].used == round(2.5 * GIB)
    assert sims["hdu00000002"].used == round(1.2 * GIB)
    assert sims["hdu00000002"].remaining == 12 * GIB


def test_iijwidget_line_info_sample_names_the_main_line() -> None:
    assert parse_line_info(_sample("line_info")) == "hdu00000001"
    assert parse_line_info({"lineInfo": {"hdcList": [], "hddList": []}}) is None


def test_token_answer() -> None:
    token, account_id = parse_token(load_json_fixture("iijmio/app_token.json"))
    assert token == "dummy-app-token-0001"
    assert account_id == "MA0000001"


def test_share_group_repeated_in_main_hdd_is_one_line() -> None:
    """IIJWidget GAPIDataTests: mainHdd repeats hddList's lines; each line once, in order."""
    payload = {
        "dataTraffic": {
            "hddList": [
                {
                    "serviceCode": "hdd1",
                    "lineServiceCodeList": [
                        {"lineServiceCode": "hdu1"},
                        {"lineServiceCode": "hdu2"},
                    ],
                }
            ],
            "mainHdd": [
                {"serviceCode": "hdd1", "lineServiceCodeList": [{"lineServiceCode": "hdu1"}]}
            ],
        }
    }
    assert [line.usage.sim_id for line in parse_data_traffic(payload, SAMPLE_NOW)] == [
        "hdu1",
        "hdu2",
    ]


def test_december_read_in_january_is_last_year() -> None:
    """IIJWidget GAPIDataTests: on 1 January 2027, "12/31" is 31 December 2026; 1 GB = 1024 MB."""
    payload = {
        "dataTraffic": {
            "hdcList": [
                {
                    "serviceCode": "hdc1",
                    "lineServiceCode": "hdu1",
                    "lastSevenDaysDataList": {
                        "lastSevenDaysDataHighUnit": "GB",
                        "dailyDataList": [{"month": "12", "date": "31", "high": "1"}],
                    },
                }
            ]
        }
    }
    (line,) = parse_data_traffic(payload, datetime(2027, 1, 1, 9, 0, tzinfo=TOKYO))
    assert line.usage.daily_usage == (DailyUsage(date(2026, 12, 31), 1024 * MIB),)


def _traffic(**line: Any) -> dict[str, Any]:
    return {"dataTraffic": {"hdcList": [{"serviceCode": "hdc1", **line}]}}


def test_figures_in_megabytes_and_numbers_as_either() -> None:
    payload = _traffic(
        expireList=[],
        thisMonthDataList={
            "availableDataTraffic": "512",
            "availableDataTrafficUnit": "MB",
            "maxDataTraffic": 2048,
            "maxDataTrafficUnit": "MB",
            "regulationStatus": "1",
        },
    )
    (line,) = parse_data_traffic(payload, SAMPLE_NOW)
    assert line.usage.remaining == 512 * MIB
    assert line.usage.allowance == 2 * GIB
    assert line.usage.throttled is True


def test_high_speed_switched_off_is_throttled() -> None:
    (line,) = parse_data_traffic(_traffic(thisMonthDataList={"couponStatus": 0}), SAMPLE_NOW)
    assert line.usage.throttled is True


def test_coupon_value_when_nothing_else_is_given() -> None:
    (line,) = parse_data_traffic(_traffic(couponValue="3.25"), SAMPLE_NOW)
    assert line.usage.remaining == round(3.25 * GIB)


def test_figures_the_carrier_did_not_send_are_unknown() -> None:
    (line,) = parse_data_traffic(_traffic(), SAMPLE_NOW)
    sim = line.usage
    assert sim.remaining is None
    assert sim.allowance is None
    assert sim.throttled is None
    assert sim.daily_usage == ()
    history = parse_past_data_traffic(
        {"thisMonthDailyInfo": [{"date": "1", "dataTraffic": ""}, {"date": "2"}]}, SAMPLE_NOW
    )
    assert history.days == ()
    assert history.used_this_month is None


def test_days_after_today_are_left_out() -> None:
    payload = {
        "thisMonthInfo": {"month": 8},
        "thisMonthDailyInfo": [{"date": 6, "dataTraffic": 1}, {"date": 7, "dataTraffic": 1}],
    }
    history = parse_past_data_traffic(payload, SAMPLE_NOW)
    assert [day.day for day in history.days] == [date(2026, 8, 6)]


def test_share_line_without_figures_shows_its_group_pool() -> None:
    payload = {
        "dataTraffic": {
            "hdcList": [
                {"serviceCode": "hdc1", "couponValue": 4, "thisMonthDataList": {"dataShare": 1}},
                {"serviceCode": "hdc2", "thisMonthDataList": {"dataShare": "1"}},
                {"serviceCode": "hdc3", "thisMonthDataList": {"dataShare": 0}},
            ]
        }
    }
    sims = combine(parse_data_traffic(payload, SAMPLE_NOW), {}).sims
    assert sims["hdc2"].remaining == 4 * GIB
    assert sims["hdc2"].shared_pool is True
    assert sims["hdc3"].remaining is None
    assert sims["hdc3"].shared_pool is False


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {"dataTraffic": []},
        {"dataTraffic": {"hdcList": {}}},
        {"dataTraffic": {"hdcList": ["nope"]}},
        {"dataTraffic": {"hddList": ["nope"]}},
        {"dataTraffic": {"hdcList": [{"planName": "no code"}]}},
        _traffic(thisMonthDataList=[]),
        _traffic(expireList=["nope"]),
        _traffic(expireList=[{"expireYear": "2026", "expireMonth": "13"}]),
        _traffic(expireList=[{"expireYear": "１９", "expireMonth": "8"}]),
        _traffic(
            expireList=[{"expireYear": "2026", "expireMonth": "8", "remainingDataTraffic": "x"}]
        ),
        _traffic(
            expireList=[
                {
                    "expireYear": "2026",
                    "expireMonth": "8",
                    "remainingDataTraffic": 1,
                    "dataUnit": "pc",
                }
            ]
        ),
        _traffic(couponValue=-1),
        _traffic(thisMonthDataList={"regulationStatus": "on"}),
        _traffic(thisMonthDataList={"dataShare": 0.5}),
        _traffic(lastSevenDaysDataList=[]),
        # Month turnover's dates: outside 2000 .. ten years ahead is a placeholder.
        _traffic(expireList=[{"expireYear": "1970", "expireMonth": "1"}]),
        _traffic(expireList=[{"expireYear": 9999, "expireMonth": 12}]),
        _traffic(expireList=[{"expireYear": "2037", "expireMonth": "1"}]),
        _traffic(expireList=[{"expireYear": 10**30, "expireMonth": 1}]),
        _traffic(expireList=[{"expireYear": "2026.5", "expireMonth": "8"}]),
        # The one number grammar: "1,0" is no thousand (it read as 1000 GB before).
        _traffic(
            expireList=[{"expireYear": "2026", "expireMonth": "9", "remainingDataTraffic": "1,0"}]
        ),
        _traffic(thisMonthDataList={"availableDataTraffic": "10,00"}),
        _traffic(couponValue="2,5"),
    ],
)
def test_malformed_data_traffic_raises_parse_errors(payload: Any) -> None:
    with pytest.raises(CarrierParseError):
        parse_data_traffic(payload, SAMPLE_NOW)


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"thisMonthDailyInfo": {}},
        {"thisMonthInfo": {"month": "0"}},
        {"lastFiveMonthInfo": [{"month": "8", "dataTraffic": "lots"}]},
    ],
)
def test_malformed_history_raises_parse_errors(payload: Any) -> None:
    with pytest.raises(CarrierParseError):
        parse_past_data_traffic(payload, SAMPLE_NOW)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        {"token": "abc"},
        {"token": "a b", "mioId": "MA1"},
        {"token": "abc\r\nX-Injected: 1", "mioId": "MA1"},
        {"token": "abc", "mioId": ""},
        {"token": "abc", "mioId": "M" * 65},
        {"token": 1234, "mioId": "MA1"},
    ],
)
def test_unusable_token_answers_are_refused(payload: Any) -> None:
    with pytest.raises(CarrierParseError):
        parse_token(payload)


def test_unusable_main_line_code_is_refused() -> None:
    with pytest.raises(CarrierParseError):
        parse_line_info({"lineInfo": {"hdcList": [{"lineServiceCode": "hdu 1"}]}})
    with pytest.raises(CarrierParseError):
        parse_line_info({"lineInfo": []})


def test_a_bad_day_loses_only_itself() -> None:
    """One unreadable, impossible or implausible day leaves the other days counted."""
    recent = {
        "lastSevenDaysDataHighUnit": "MB",
        "dailyDataList": [
            {"month": "8", "date": "1", "high": "100"},
            {"month": "13", "date": "1", "high": "100"},
            {"month": "2", "date": "30", "high": "100"},
            {"month": "8", "date": "2", "high": "1,0"},
            "nope",
            {"month": "8", "date": "3", "high": "300"},
        ],
    }
    (line,) = parse_data_traffic(_traffic(lastSevenDaysDataList=recent), SAMPLE_NOW)
    assert line.usage.daily_usage == (
        DailyUsage(date(2026, 8, 1), 100 * MIB),
        DailyUsage(date(2026, 8, 3), 300 * MIB),
    )
    history = parse_past_data_traffic(
        {
            "thisMonthInfo": {"month": "8"},
            "thisMonthDailyInfo": [
                "nope",
                {"date": "x", "dataTraffic": "1"},
                {"date": "1.5", "dataTraffic": "1"},
                {"date": 2**31, "dataTraffic": "1"},
                {"date": "4", "dataTraffic": "40"},
            ],
        },
        SAMPLE_NOW,
    )
    assert history.days == (DailyUsage(date(2026, 8, 4), 40 * MIB),)


def test_history_days_before_2000_are_dropped_as_implausible() -> None:
    """IIJmio names days without a year: read on 5 January 2000, "12/31" is 1999, a placeholder.

    The plausibility rule (dates.plausible_day) drops that day alone; January's stay.
    """
    now = datetime(2000, 1, 5, 12, 0, tzinfo=TOKYO)
    recent = {
        "dailyDataList": [
            {"month": "12", "date": "31", "high": "100"},
            {"month": "1", "date": "4", "high": "200"},
        ]
    }
    (line,) = parse_data_traffic(_traffic(lastSevenDaysDataList=recent), now)
    assert line.usage.daily_usage == (DailyUsage(date(2000, 1, 4), 200 * MIB),)
    history = parse_past_data_traffic(
        {
            "thisMonthInfo": {"month": "12"},
            "thisMonthDailyInfo": [{"date": "30", "dataTraffic": "1"}],
        },
        now,
    )
    assert history.days == ()


def test_last_months_total_is_not_this_periods_use() -> None:
    """On the 1st a history may still name last month: its total is not used this period."""
    payload = {
        "lastFiveMonthDataUnit": "GB",
        "lastFiveMonthInfo": [{"month": "7", "dataTraffic": "9.5"}],
        "thisMonthInfo": {"month": "7"},
        "thisMonthDailyInfo": [{"date": "31", "dataTraffic": "100"}],
    }
    history = parse_past_data_traffic(payload, datetime(2026, 8, 1, 0, 30, tzinfo=TOKYO))
    assert history.used_this_month is None
    # Last month's days are real days: they stay in the history.
    assert history.days == (DailyUsage(date(2026, 7, 31), 100 * MIB),)
    on_the_31st = parse_past_data_traffic(payload, datetime(2026, 7, 31, 23, 0, tzinfo=TOKYO))
    assert on_the_31st.used_this_month == round(9.5 * GIB)


def test_coupon_past_its_expiry_month_does_not_count() -> None:
    """On 1 September, August's 5 GB still listed is dropped: 2.5 GB left, not 7.5."""
    lines = parse_data_traffic(_sample("data_traffic"), datetime(2026, 9, 1, 0, 5, tzinfo=TOKYO))
    sim = lines[0].usage
    assert sim.remaining == round(2.5 * GIB)
    assert sim.remaining_of(BucketKind.CARRIED_OVER) == round(2.5 * GIB)
    assert sim.next_expiry == datetime(2026, 9, 30, 23, 59, 59, tzinfo=TOKYO)
    # The evening before, both count.
    before = parse_data_traffic(
        _sample("data_traffic"), datetime(2026, 8, 31, 23, 59, tzinfo=TOKYO)
    )[0].usage
    assert before.remaining == round(7.5 * GIB)


def test_only_expired_coupons_leave_the_figure_unknown_not_zero() -> None:
    payload = _traffic(
        expireList=[{"expireYear": "2026", "expireMonth": "7", "remainingDataTraffic": "3"}],
        thisMonthDataList={"availableDataTraffic": "3"},
    )
    (line,) = parse_data_traffic(payload, SAMPLE_NOW)
    assert line.usage.buckets == ()
    assert line.usage.remaining is None


def test_lines_beyond_the_cap_are_left_out_unparsed() -> None:
    """3,000 lines (and broken ones past the cap) read as the first MAX_LINES_PER_ACCOUNT."""
    lines: list[Any] = [
        {"serviceCode": f"hdc{index:08d}", "couponValue": "1"} for index in range(3000)
    ]
    lines[MAX_LINES_PER_ACCOUNT + 5] = {"broken": True}
    read, left_out = read_data_traffic({"dataTraffic": {"hdcList": lines}}, SAMPLE_NOW)
    assert len(read) == MAX_LINES_PER_ACCOUNT
    assert left_out is True
    assert read[-1].usage.sim_id == f"hdc{MAX_LINES_PER_ACCOUNT - 1:08d}"
    # Exactly the cap, or the cap with repeats, leaves nothing out.
    exact = lines[:MAX_LINES_PER_ACCOUNT] * 2
    read, left_out = read_data_traffic({"dataTraffic": {"hdcList": exact}}, SAMPLE_NOW)
    assert (len(read), left_out) == (MAX_LINES_PER_ACCOUNT, False)


def test_line_named_by_no_service_code_asks_for_no_history() -> None:
    """A share-group line whose group names no serviceCode: /pastDataTraffic has no key."""
    payload = {"dataTraffic": {"hddList": [{"lineServiceCodeList": [{"lineServiceCode": "hdu9"}]}]}}
    (line,) = parse_data_traffic(payload, SAMPLE_NOW)
    assert line.usage.sim_id == "hdu9"
    assert line.history_query is None
    assert line.share_group == ""
