"""The app API's parsers never crash: any answer is read into sound models or refused.

"Refused" is CarrierParseError and nothing else; "sound" is what tests/carriers/test_fuzz.py
checks for every carrier, plus daily usage in bytes, oldest first, none after today.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.errors import CarrierParseError
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


def _assert_usage(usage: AccountUsage, now: datetime) -> None:
    assert_account(usage)
    for sim in usage.sims.values():
        _assert_days(sim.daily_usage, now)


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
