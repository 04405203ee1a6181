"""The app API's parsers never crash: any answer is read into sound models or refused.

"Refused" is CarrierParseError and nothing else; "sound" is what tests/carriers/test_fuzz.py
checks for every carrier, plus daily usage in bytes, oldest first, none after today, every day
plausible, and no bucket past its expiry (month turnover).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from custom_components.japan_sim_data.carriers.dates import TOKYO, is_plausible_day
from custom_components.japan_sim_data.carriers.errors import CarrierParseError
from custom_components.japan_sim_data.carriers.iijmio import parse_member_top
from custom_components.japan_sim_data.carriers.iijmio_app import (
    combine,
    parse_data_traffic,
    parse_line_info,
    parse_past_data_traffic,
    parse_token,
)
from custom_components.japan_sim_data.carriers.models import AccountUsage, DailyUsage
from tests.carriers.test_fuzz import (
    FUZZ,
    NOW,
    amounts,
    assert_account,
    json_values,
    scalars,
    tokyo_nows,
)

month_numbers = st.one_of(st.integers(min_value=-1, max_value=14), st.sampled_from(["8", "１２"]))
expiries = st.fixed_dictionaries(
    {},
    optional={
        "expireYear": st.one_of(st.integers(min_value=1990, max_value=3100), scalars),
        "expireMonth": st.one_of(month_numbers, scalars),
        "remainingDataTraffic": amounts,
        "dataUnit": st.one_of(st.sampled_from(["GB", "MB", "ＧＢ", ""]), scalars),
    },
)
# Coupons around the clock's month, so that month turnover is met often.
turnover_expiries = st.fixed_dictionaries(
    {
        "expireYear": st.integers(min_value=2024, max_value=2027),
        "expireMonth": st.integers(min_value=1, max_value=12),
        "remainingDataTraffic": st.floats(min_value=0, max_value=100),
    }
)
this_months = st.fixed_dictionaries(
    {},
    optional={
        "availableDataTraffic": amounts,
        "availableDataTrafficUnit": st.one_of(st.sampled_from(["GB", "MB"]), scalars),
        "maxDataTraffic": amounts,
        "couponStatus": scalars,
        "regulationStatus": scalars,
        "dataShare": st.one_of(st.sampled_from([0, 1, "0", "1"]), scalars),
    },
)
days = st.fixed_dictionaries(
    {},
    optional={
        "month": st.one_of(month_numbers, scalars),
        "date": st.one_of(st.integers(min_value=-1, max_value=32), scalars),
        "high": amounts,
        "dataTraffic": amounts,
        "dataTrafficUnit": st.one_of(st.sampled_from(["MB", "GB"]), scalars),
    },
)
lines = st.fixed_dictionaries(
    {"serviceCode": st.one_of(st.sampled_from(["hdc1", "hdc2", ""]), scalars)},
    optional={
        "lineServiceCode": st.one_of(st.sampled_from(["hdu1", "hdu2"]), scalars),
        "couponValue": amounts,
        "expireList": st.one_of(st.lists(expiries, max_size=3), json_values),
        "thisMonthDataList": st.one_of(this_months, json_values),
        "lastSevenDaysDataList": st.one_of(
            st.fixed_dictionaries({"dailyDataList": st.lists(days, max_size=3)}), json_values
        ),
        "telNo": scalars,
    },
)
traffic = st.fixed_dictionaries(
    {
        "dataTraffic": st.fixed_dictionaries(
            {},
            optional={
                "hdcList": st.lists(lines, max_size=3),
                "hddList": st.lists(
                    st.fixed_dictionaries(
                        {"serviceCode": scalars, "lineServiceCodeList": st.lists(lines, max_size=2)}
                    ),
                    max_size=2,
                ),
            },
        )
    }
)
histories = st.fixed_dictionaries(
    {},
    optional={
        "thisMonthInfo": st.one_of(st.fixed_dictionaries({"month": month_numbers}), json_values),
        "thisMonthDailyInfo": st.one_of(st.lists(days, max_size=4), json_values),
        "lastFiveMonthInfo": st.lists(
            st.fixed_dictionaries({"month": month_numbers, "dataTraffic": amounts}), max_size=3
        ),
        "lastFiveMonthDataUnit": scalars,
    },
)


def _refuse_or(parse: Any, *args: Any) -> Any:
    try:
        return parse(*args)
    except CarrierParseError:
        return None


def _assert_days(daily: tuple[DailyUsage, ...], now: datetime) -> None:
    assert [day.day for day in daily] == sorted({day.day for day in daily})
    for day in daily:
        assert isinstance(day.used, int)
        assert day.used >= 0
        assert day.day <= now.astimezone(TOKYO).date()
        assert is_plausible_day(day.day, now.astimezone(TOKYO).date())


def _assert_usage(usage: AccountUsage, now: datetime) -> None:
    assert_account(usage)
    for sim in usage.sims.values():
        _assert_days(sim.daily_usage, now)
        assert usage.valid_at(now) == usage


@FUZZ
@given(payload=json_values)
def test_app_parsers_on_arbitrary_json(payload: Any) -> None:
    if (lines_read := _refuse_or(parse_data_traffic, payload, NOW)) is not None:
        _assert_usage(combine(lines_read, {}), NOW)
    if (history := _refuse_or(parse_past_data_traffic, payload, NOW)) is not None:
        _assert_days(history.days, NOW)
    _refuse_or(parse_line_info, payload)
    _refuse_or(parse_token, payload)


@FUZZ
@given(payload=traffic, history=histories, now=st.one_of(st.just(NOW), tokyo_nows))
# Found by this test on a clean clone: a day number beyond C's int overflowed date().
@example(payload={"dataTraffic": {}}, history={"thisMonthDailyInfo": [{"date": 2**31}]}, now=NOW)
def test_app_parsers_on_near_valid_answers(
    payload: dict[str, Any], history: dict[str, Any], now: datetime
) -> None:
    lines_read = _refuse_or(parse_data_traffic, payload, now)
    past = _refuse_or(parse_past_data_traffic, history, now)
    if past is not None:
        _assert_days(past.days, now)
        assert past.used_this_month is None or past.used_this_month >= 0
    if lines_read is not None:
        histories_read = {line.usage.sim_id: past for line in lines_read}
        _assert_usage(combine(lines_read, histories_read), now)


coupons = st.fixed_dictionaries(
    {},
    optional={
        "month": st.one_of(
            # Mostly months around the clock's, so that turnover is met often.
            st.builds(
                "{}{:02d}".format,
                st.integers(min_value=2024, max_value=2027),
                st.integers(min_value=1, max_value=12),
            ),
            st.builds(
                "{}{:02d}".format,
                st.integers(min_value=1990, max_value=2040),
                st.integers(min_value=0, max_value=13),
            ),
        ),
        "couponValue": st.floats(min_value=0, max_value=100),
    },
)
member_tops = st.fixed_dictionaries(
    {
        "serviceInfoList": st.lists(
            st.fixed_dictionaries(
                {"serviceCode": st.sampled_from(["hdc1", "hdc2", "hdc3"])},
                optional={
                    "couponData": st.lists(coupons, max_size=4),
                    "dataShareExistence": st.booleans(),
                    "totalCapacity": st.one_of(st.just(2), amounts),
                },
            ),
            max_size=4,
        )
    }
)


@FUZZ
@given(payload=member_tops, now=st.one_of(st.just(NOW), tokyo_nows))
def test_member_top_never_counts_an_expired_coupon(payload: dict[str, Any], now: datetime) -> None:
    usage = _refuse_or(parse_member_top, payload, now)
    if usage is not None:
        _assert_usage(usage, now)


turnover_traffic = st.fixed_dictionaries(
    {
        "dataTraffic": st.fixed_dictionaries(
            {
                "hdcList": st.lists(
                    st.fixed_dictionaries(
                        {
                            "serviceCode": st.sampled_from(["hdc1", "hdc2"]),
                            "expireList": st.lists(turnover_expiries, max_size=3),
                        }
                    ),
                    max_size=2,
                )
            }
        )
    }
)
nows_around_the_coupons = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 (bounds of a naive range, localised below)
    max_value=datetime(2028, 1, 1),  # noqa: DTZ001
    timezones=st.just(TOKYO),
)


@FUZZ
@given(payload=turnover_traffic, now=nows_around_the_coupons)
def test_app_never_counts_an_expired_coupon(payload: dict[str, Any], now: datetime) -> None:
    lines_read = _refuse_or(parse_data_traffic, payload, now)
    if lines_read is not None:
        _assert_usage(combine(lines_read, {}), now)
