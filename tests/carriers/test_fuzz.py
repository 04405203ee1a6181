"""Property tests: every pure parser survives whatever a carrier (or a proxy) may send.

Property: a parser returns normally or raises CarrierParseError (parsers documented to answer
None for unreadable input may do that), never any other exception; and every amount it gives
is None or an int >= 0 (never negative, never NaN or infinite, never a bool).

Numbers run over the whole range JSON can carry (json.loads gives ints of hundreds of digits,
and NaN and Infinity), and the examples at the end pin the inputs that once escaped as
OverflowError or ValueError.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.japan_sim_data.carriers.dates import TOKYO, is_plausible_day
from custom_components.japan_sim_data.carriers.errors import CarrierParseError
from custom_components.japan_sim_data.carriers.iijmio import parse_member_top
from custom_components.japan_sim_data.carriers.models import AccountUsage, DataBucket
from custom_components.japan_sim_data.carriers.povo import (
    BUCKET_NAMES,
    PLAN_DETAIL_TILE,
    PovoLine,
    PovoToken,
    parse_expiry,
    parse_plan_details,
    parse_plan_tiles,
    parse_profile,
    parse_token,
    parse_usage,
    parse_usage_history,
    parse_used,
)
from custom_components.japan_sim_data.carriers.povo_usage import build_sim
from custom_components.japan_sim_data.carriers.softbank_login import (
    find_hidden_inputs,
    is_login_page,
)
from custom_components.japan_sim_data.carriers.softbank_pages import (
    _SOFTBANK_KEYS,
    SOFTBANK_CHART_MARKER,
    ParsedUsage,
    parse_softbank_usage,
)
from custom_components.japan_sim_data.carriers.ymobile_pages import parse_ymobile_usage

NOW = datetime(2025, 11, 25, 12, 0, tzinfo=TOKYO)

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- Building blocks ---------------------------------------------------------------------------

FULL_WIDTH_DIGITS = "０１２３４５６７８９"

number_texts = st.text(
    alphabet=f"0123456789{FULL_WIDTH_DIGITS}.,．，-+eE _　", min_size=0, max_size=12
)
tricky_texts = st.sampled_from(
    [
        "",
        " ",
        "NaN",
        "nan",
        "inf",
        "-inf",
        "Infinity",
        "-1",
        "-0",
        "-0.0",
        "1e400",
        "１．５",
        "１，０２４",
        "1,024",
        "4.56",
        "20.00",
        "٣",
        "0x10",
        "1_000",
        "２０ＧＢ",
        "true",
        "null",
        "－１",
    ]
)
texts = st.one_of(st.text(max_size=20), number_texts, tricky_texts)
ints = st.one_of(
    st.integers(),
    st.integers(min_value=10**300, max_value=10**500),
    st.integers(min_value=-(10**500), max_value=-(10**300)),
)
floats = st.one_of(
    st.floats(),
    st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 5e-324, -5e-324, 1.7976931348623157e308]),
)
scalars = st.one_of(st.none(), st.booleans(), ints, floats, texts)
# What carriers put where a figure belongs: numbers, numeric strings, and garbage.
amounts = scalars

KNOWN_KEYS = (
    "serviceInfoList",
    "serviceCode",
    "couponData",
    "month",
    "couponValue",
    "totalCapacity",
    "phoneNo",
    "planName",
    "dataShareExistence",
    "error",
    "data",
    "result",
    "success",
    *BUCKET_NAMES,
    "left",
    "used",
    "plan_kb",
    "unit",
    "sin",
    "service_instance_number",
    "uuid",
    "telco_info",
    "type",
    "expiry",
    "remaining",
    "value",
)
keys = st.one_of(st.text(max_size=8), st.sampled_from(KNOWN_KEYS))

json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=25,
)


def wrapped(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The shapes povo wraps answers in: bare, {"data": …}, {"success": true, "result": …}."""
    return st.one_of(
        inner,
        inner.map(lambda value: {"data": value}),
        inner.map(lambda value: {"success": True, "result": value}),
        inner.map(lambda value: {"result": {"data": value}}),
        inner.map(lambda value: [value]),
    )


def full_width(text: str) -> str:
    return text.translate(str.maketrans("0123456789:", f"{FULL_WIDTH_DIGITS}："))


def maybe_full_width(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(strategy, strategy.map(full_width))


# --- Checking results --------------------------------------------------------------------------


def assert_amount(value: object) -> None:
    assert value is None or (type(value) is int and value >= 0), repr(value)


def assert_buckets(buckets: tuple[DataBucket, ...]) -> None:
    for bucket in buckets:
        assert isinstance(bucket, DataBucket)
        assert_amount(bucket.remaining)
        assert_amount(bucket.total)
        assert bucket.expires is None or bucket.expires.tzinfo is not None


def assert_account(usage: AccountUsage) -> None:
    assert isinstance(usage, AccountUsage)
    for sim_id, sim in usage.sims.items():
        assert sim.sim_id == sim_id
        assert isinstance(sim_id, str)
        assert sim_id
        assert_buckets(sim.buckets)
        assert_amount(sim.allowance)
        assert_amount(sim.used)
        assert_amount(sim.remaining)
        assert sim.number_suffix is None or len(sim.number_suffix) == 4


def assert_parsed(parsed: ParsedUsage) -> None:
    assert isinstance(parsed, ParsedUsage)
    assert_buckets(parsed.buckets)
    assert_amount(parsed.used)


def parse_or_refuse[T](parse: Callable[..., T], *args: Any) -> T | None:
    """Run a parser; CarrierParseError is an allowed answer, any other exception is a bug."""
    try:
        return parse(*args)
    except CarrierParseError:
        return None


# --- IIJmio -----------------------------------------------------------------------------------


coupon_months = st.one_of(
    st.builds(
        lambda year, month: f"{year:04d}{month:02d}",
        st.integers(min_value=0, max_value=9999),
        st.integers(min_value=0, max_value=99),
    ),
    st.from_regex(r"\A\d{6}\Z"),
    st.integers(min_value=-1, max_value=999999),
    st.sampled_from(["202511", "202512", "２０２５１１", "2025-11", "202511\n", " 202511", ""]),
    scalars,
)
coupons = st.fixed_dictionaries(
    {},
    optional={
        "month": coupon_months,
        "couponValue": amounts,
        "sequenceNo": scalars,
        "adjustmentCoupon": scalars,
    },
)
phone_numbers = st.one_of(
    maybe_full_width(st.from_regex(r"\A0[789]0-?\d{4}-?\d{4}\Z")),
    texts,
    scalars,
)
services = st.fixed_dictionaries(
    {"serviceCode": st.one_of(st.text(min_size=1, max_size=8), scalars)},
    optional={
        "couponData": st.one_of(st.lists(st.one_of(coupons, scalars), max_size=4), json_values),
        "totalCapacity": amounts,
        "planName": scalars,
        "phoneNo": phone_numbers,
        "dataShareExistence": st.one_of(st.booleans(), scalars),
    },
)
member_tops = st.one_of(
    st.fixed_dictionaries(
        {"serviceInfoList": st.lists(services, max_size=4)},
        optional={"error": scalars, "billSummary": json_values},
    ),
    st.fixed_dictionaries({"serviceInfoList": st.one_of(st.lists(json_values), json_values)}),
)
tokyo_nows = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 (bounds of a naive range, localised below)
    max_value=datetime(2100, 12, 31),  # noqa: DTZ001
    timezones=st.just(TOKYO),
)


@FUZZ
@given(payload=json_values)
def test_iijmio_member_top_arbitrary_json(payload: Any) -> None:
    usage = parse_or_refuse(parse_member_top, payload, NOW)
    if usage is not None:
        assert_account(usage)


@FUZZ
@given(payload=member_tops, now=st.one_of(st.just(NOW), tokyo_nows))
def test_iijmio_member_top_near_valid(payload: Any, now: datetime) -> None:
    usage = parse_or_refuse(parse_member_top, payload, now)
    if usage is not None:
        assert_account(usage)


# --- povo -------------------------------------------------------------------------------------

units = st.one_of(
    st.sampled_from(
        ["kilobytes", "KB", "kb", "MB", "GB", "B", "TB", "ＧＢ", " mb ", "KiB", "parsecs", ""]
    ),
    scalars,
)
povo_buckets = st.fixed_dictionaries(
    {},
    optional={"left": amounts, "used": amounts, "plan_kb": amounts, "unit": units},
)
bucket_containers = st.fixed_dictionaries(
    {},
    optional={name: st.one_of(povo_buckets, povo_buckets, scalars) for name in BUCKET_NAMES},
)
usage_payloads = st.one_of(wrapped(bucket_containers), json_values)


@FUZZ
@given(payload=usage_payloads)
def test_povo_usage(payload: Any) -> None:
    buckets = parse_or_refuse(parse_usage, payload)
    if buckets is not None:
        assert isinstance(buckets, tuple)
        assert_buckets(buckets)
    assert_amount(parse_or_refuse(parse_used, payload))


@FUZZ
@given(payload=json_values)
def test_povo_usage_arbitrary_json(payload: Any) -> None:
    buckets = parse_or_refuse(parse_usage, payload)
    if buckets is not None:
        assert_buckets(buckets)
    assert_amount(parse_or_refuse(parse_used, payload))


expiry_texts = st.one_of(
    maybe_full_width(
        st.builds(
            "{}年 {}月 {}日 {}{}:{}\n残り {} 日間".format,
            st.integers(min_value=0, max_value=99999),
            st.integers(min_value=0, max_value=99),
            st.integers(min_value=0, max_value=99),
            st.sampled_from(["", "午前", "午後", "午前 ", " "]),
            st.integers(min_value=0, max_value=99),
            st.from_regex(r"\A\d{1,3}\Z"),
            st.integers(min_value=-5, max_value=99999),
        )
    ),
    maybe_full_width(
        st.builds(
            "{}年{}月{}日".format,
            st.integers(min_value=0, max_value=99999),
            st.integers(min_value=0, max_value=99),
            st.integers(min_value=0, max_value=99),
        )
    ),
    st.text(max_size=40),
    st.text(alphabet="0123456789０１２３４５６７８９年月日午前後:： \n", max_size=30),
)


@FUZZ
@given(text=expiry_texts)
def test_povo_expiry(text: str) -> None:
    expires = parse_or_refuse(parse_expiry, text)
    assert expires is None or (isinstance(expires, datetime) and expires.tzinfo is TOKYO)
    # The plausibility rule: a year like 0001 or 9999 is a parse error, never an expiry.
    assert expires is None or is_plausible_day(expires.date())


tile_remaining_texts = st.one_of(
    st.builds(
        "{}{} / {}{}".format,
        number_texts,
        st.sampled_from(["GB", "MB", "KB", "TB", "ｇｂ", "ＭＢ", "", "B"]),
        number_texts,
        st.sampled_from(["GB", "MB", ""]),
    ),
    texts,
)


def value_holders(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.fixed_dictionaries({"value": inner}), inner, scalars)


tiles = st.fixed_dictionaries(
    {"type": st.one_of(st.just(PLAN_DETAIL_TILE), st.just(PLAN_DETAIL_TILE), scalars)},
    optional={
        "data": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "expiry": value_holders(st.one_of(expiry_texts, scalars)),
                    "remaining": value_holders(tile_remaining_texts),
                },
            ),
            json_values,
        ),
        "expiry": value_holders(expiry_texts),
        "remaining": value_holders(tile_remaining_texts),
    },
)
plan_detail_pages = st.one_of(
    wrapped(st.fixed_dictionaries({"pageWidgets": st.lists(tiles, max_size=4)})),
    st.lists(tiles, max_size=4),
    json_values,
)


@FUZZ
@given(payload=plan_detail_pages)
def test_povo_plan_details(payload: Any) -> None:
    expires = parse_or_refuse(parse_plan_details, payload)
    assert expires is None or (isinstance(expires, datetime) and expires.tzinfo is TOKYO)


telco_infos = st.fixed_dictionaries(
    {},
    optional={
        "service_instance_no": st.one_of(texts, scalars),
        "circles_info": st.one_of(
            st.fixed_dictionaries({}, optional={"service_instance_base_plan_name": texts}),
            scalars,
        ),
    },
)
profiles = st.one_of(
    wrapped(
        st.fixed_dictionaries(
            {}, optional={"external_id": texts, "email": texts, "telco_info": telco_infos}
        )
    ),
    json_values,
)


@FUZZ
@given(payload=profiles)
def test_povo_profile(payload: Any) -> None:
    line = parse_or_refuse(parse_profile, payload)
    if line is not None:
        assert isinstance(line, PovoLine)
        assert isinstance(line.sin, str)
        # The line is sent back in a query: visible ASCII only, never a line break.
        assert line.sin
        assert all("!" <= character <= "~" for character in line.sin)


def _jwt(claims: Any) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{body}.c2ln"


tokens = st.one_of(
    texts,
    st.builds(
        _jwt,
        st.one_of(
            st.fixed_dictionaries(
                {},
                optional={"external_id": scalars, "exp": scalars, "expiry_time": scalars},
            ),
            json_values,
        ),
    ),
)


@FUZZ
@given(value=tokens)
def test_povo_token(value: Any) -> None:
    token = parse_or_refuse(parse_token, value)
    if token is not None:
        assert isinstance(token, PovoToken)
        # Sent back in headers: visible ASCII only, never a line break.
        for text in (token.value, token.external_id):
            assert text
            assert all("!" <= character <= "~" for character in text)
        assert token.expires is None or token.expires.tzinfo is TOKYO


# --- povo over time (month turnover, plausible dates) ------------------------------------------

povo_days = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))


def _povo_expiry_text(day: date, half: str, hour: int, minute: int) -> str:
    clock = f" {half}{hour}:{minute:02d}" if half else ""
    return f"{day.year}年 {day.month}月 {day.day}日{clock}\n残り 1 日間"


povo_tiles = st.builds(
    lambda left, total, day, half, hour, minute: {
        "type": PLAN_DETAIL_TILE,
        "data": {
            "remaining": {"value": f"{left:.2f}GB / {total:.2f}GB"},
            "expiry": {"value": _povo_expiry_text(day, half, hour, minute)},
        },
    },
    st.floats(min_value=0, max_value=200, allow_nan=False),
    st.floats(min_value=0, max_value=200, allow_nan=False),
    povo_days,
    st.sampled_from(["", "午前", "午後"]),
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=0, max_value=59),
)
povo_turnover_pages = st.one_of(
    st.lists(povo_tiles, max_size=4).map(lambda tiles: {"widgets": [{"components": tiles}]}),
    plan_detail_pages,
)
povo_boosts = st.fixed_dictionaries(
    {"left": st.floats(min_value=0, max_value=2e8), "used": st.floats(min_value=0, max_value=2e8)},
    optional={"unit": st.just("kilobytes")},
)
povo_usages = st.one_of(
    st.fixed_dictionaries({"data": st.fixed_dictionaries({"boost": povo_boosts})}),
    st.fixed_dictionaries(
        {"data": st.fixed_dictionaries({"basic": povo_boosts, "boost": povo_boosts})}
    ),
    usage_payloads,
)
povo_nows = st.one_of(
    st.datetimes(
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001 (bounds of a naive range, localised)
        max_value=datetime(2028, 1, 1),  # noqa: DTZ001
        timezones=st.just(TOKYO),
    ),
    tokyo_nows,
)


@FUZZ
@given(payload=povo_usages, page=povo_turnover_pages, now=povo_nows)
def test_povo_sim_at_any_moment(payload: Any, page: Any, now: datetime) -> None:
    """Whatever the page lists and whenever: no bucket past its expiry, no data made up."""
    buckets = parse_or_refuse(parse_usage, payload)
    if buckets is None:
        return
    tiles = parse_plan_tiles(page, now=now)
    for tile in tiles:
        assert tile.expires is None or is_plausible_day(tile.expires.date(), now.date())
    sim = build_sim(PovoLine(sin="LW1"), buckets, None, tiles, now=now)
    assert_buckets(sim.buckets)
    assert all(bucket.expires is None or bucket.expires > now for bucket in sim.buckets)
    assert sim.valid_at(now) == sim
    left = sum(bucket.remaining or 0 for bucket in buckets)
    known = any(bucket.remaining is not None for bucket in buckets)
    assert (sim.remaining is not None) == known
    assert (sim.remaining or 0) <= left
    assert all((bucket.remaining or 0) >= 0 for bucket in sim.buckets)


povo_history_pages = st.builds(
    lambda entries: {
        "widgets": [
            {"components": [{"type": "povo-tile-graph", "data": {"graph_details": entries}}]}
        ]
    },
    st.lists(
        st.builds(
            lambda year, month, day, usage: {
                "usage": usage,
                "tooltip": {"title": f"{year}年 {month}月 {day}日"},
            },
            st.integers(min_value=0, max_value=9999),
            st.integers(min_value=0, max_value=13),
            st.integers(min_value=0, max_value=32),
            st.one_of(st.floats(min_value=0, max_value=100), scalars),
        ),
        max_size=5,
    ),
)


@FUZZ
@given(page=st.one_of(povo_history_pages, json_values), now=povo_nows)
def test_povo_usage_history(page: Any, now: datetime) -> None:
    """Every day read is plausible and whole (before today), or the page is a parse error."""
    days = parse_or_refuse(parse_usage_history, page, now)
    for day in days or ():
        assert is_plausible_day(day.day, now.date())
        assert day.day < now.date()
        assert_amount(day.used)


# --- SoftBank and Y!mobile -------------------------------------------------------------------

SOFTBANK_KEYS = tuple(_SOFTBANK_KEYS)  # every key the page reader looks for
softbank_raw_values = st.one_of(number_texts, tricky_texts, st.text(max_size=10))
softbank_values = st.one_of(
    softbank_raw_values.map(lambda value: f'"{value}"'),
    softbank_raw_values.map(lambda value: f"'{value}'"),
    st.from_regex(r"\A\d[\d.]{0,10}\Z"),
    softbank_raw_values,
)
softbank_pairs = st.builds(
    "{}{}{}: {}".format,
    st.sampled_from(['"', "'", ""]),
    st.sampled_from([*SOFTBANK_KEYS, "otherData"]),
    st.sampled_from(['"', "'", ""]),
    softbank_values,
)
softbank_pages = st.one_of(
    st.builds(
        lambda before, marker, pairs, after: (
            f"{before}<script>var opts = [{{{marker} {', '.join(pairs)},}}]}};</script>{after}"
        ),
        st.text(max_size=30),
        st.sampled_from([SOFTBANK_CHART_MARKER, '"chartType": "pie",', "", '"chartType": "bar",']),
        st.lists(softbank_pairs, max_size=9),
        st.text(max_size=30),
    ),
    st.text(max_size=200),
)


@FUZZ
@given(html=softbank_pages)
def test_softbank_usage(html: str) -> None:
    parsed = parse_or_refuse(parse_softbank_usage, html)
    if parsed is not None:
        assert_parsed(parsed)
        # remainData is everything left: the slices never add up to more than it says.
        assert len(parsed.buckets) in {1, 4}


ymobile_labels = st.one_of(
    st.sampled_from(
        [
            "くりこし分",
            "基本データ量 残り",
            "使用量 合計",
            "有料",
            "繰越",
            "使用済み",
            "ご利用期間",
            "",
        ]
    ),
    st.text(max_size=10),
)
ymobile_figures = st.one_of(
    st.builds(
        "{}{}{}".format,
        maybe_full_width(number_texts),
        st.sampled_from(["", " ", "　"]),
        st.sampled_from(["GB", "MB", "KB", "ＧＢ", "gb", "Mb", "", "TB", "B", "GB／30GB"]),
    ),
    st.text(max_size=15),
)
ymobile_rows = st.one_of(
    st.builds("<tr><th>{}</th><td>{}</td></tr>".format, ymobile_labels, ymobile_figures),
    st.builds("<tr><th>{}</th></tr>".format, ymobile_labels),
    st.builds("<tr><td>{}</td></tr>".format, ymobile_figures),
    st.builds("<tr><td>{}<a href='#'>{}</a></td>".format, ymobile_figures, ymobile_figures),
)
ymobile_tables = st.one_of(
    st.lists(ymobile_rows, max_size=3).map(
        lambda rows: f"<table><tbody>{''.join(rows)}</tbody></table>"
    ),
    st.builds(
        "<table><caption>{}</caption><tr><td>{}</td></tr></table>".format,
        ymobile_labels,
        ymobile_figures,
    ),
    # Unclosed and nested tables, stray cells and captions.
    st.builds(
        "<table><caption>{}<td>{}<table><tr><td>{}</td></table>".format,
        ymobile_labels,
        ymobile_figures,
        ymobile_figures,
    ),
    st.builds("<td>{}</td></caption></table>".format, ymobile_figures),
)
ymobile_pages = st.one_of(
    st.builds(
        "{}<div class='{}'>{}{}".format,
        st.text(max_size=20),
        st.sampled_from(
            ["list-toggle-content js-toggle-content m-top-20", "list-toggle-content", "other"]
        ),
        st.lists(ymobile_tables, max_size=6).map("\n".join),
        st.sampled_from(["</div>", "", "</div></div></table>"]),
    ),
    st.text(max_size=200),
)


@FUZZ
@given(html=ymobile_pages)
def test_ymobile_usage(html: str) -> None:
    parsed = parse_or_refuse(parse_ymobile_usage, html)
    if parsed is not None:
        assert_parsed(parsed)
        # One bucket per grant (carried over, base, paid, ...): each between 0 and its
        # figure, together granted − used.
        assert len(parsed.buckets) >= 3
        assert parsed.used is not None
        for bucket in parsed.buckets:
            assert bucket.remaining is not None
            assert bucket.total is not None
            assert 0 <= bucket.remaining <= bucket.total
        granted = sum(bucket.total or 0 for bucket in parsed.buckets)
        assert sum(bucket.remaining or 0 for bucket in parsed.buckets) == granted - parsed.used


html_ish_texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("<>/=\"' !-[]?&#;abcdeilmnprstuvwxyz\n")),
        st.characters(),
    ),
    max_size=200,
)
attribute_values = st.one_of(
    st.text(max_size=10), st.sampled_from(["hidden", "HIDDEN ", "password"])
)
inputs = st.builds(
    "<input type={}{}{} name={}{}{} value={}{}{}>".format,
    *(
        part
        for _ in range(3)
        for part in (st.sampled_from(['"', "'", ""]), attribute_values, st.sampled_from(['"', "'"]))
    ),
)
form_pages = st.one_of(
    st.lists(st.one_of(inputs, st.text(max_size=20)), max_size=6).map("".join),
    st.sampled_from(
        ["<input hidden name=ticket value>", "<input type=hidden name=ticket>", "<input", "<!["]
    ),
    html_ish_texts,
    st.text(max_size=200),
)


@FUZZ
@given(html=form_pages)
def test_form_helpers(html: str) -> None:
    fields = parse_or_refuse(find_hidden_inputs, html)
    if fields is not None:
        assert all(isinstance(k, str) and k and isinstance(v, str) for k, v in fields.items())
    login = parse_or_refuse(is_login_page, html)
    assert login is None or isinstance(login, bool)


@FUZZ
@given(html=st.one_of(html_ish_texts, st.text(max_size=300)))
def test_page_parsers_arbitrary_text(html: str) -> None:
    for parse in (parse_softbank_usage, parse_ymobile_usage):
        parsed = parse_or_refuse(parse, html)
        if parsed is not None:
            assert_parsed(parsed)
    assert isinstance(find_hidden_inputs(html), dict)
    assert isinstance(is_login_page(html), bool)
    parse_or_refuse(parse_expiry, html)


# --- Inputs that once escaped as bare exceptions ----------------------------------------------

HUGE_INT = 10**400  # json.loads("1" + "0" * 400) gives this; float() of it overflows
HUGE_FLOAT = 1e300  # finite, but times 1024**3 it is inf, and round(inf) overflows
HUGE_DIGITS = "1" + "0" * 300  # the same, as page text


def _top(coupon: dict[str, Any] | None = None, **service: Any) -> dict[str, Any]:
    return {
        "serviceInfoList": [
            {"serviceCode": "hdc1", "couponData": [coupon] if coupon else [], **service}
        ]
    }


HUGE_NUMBER_CALLS: list[Any] = [
    pytest.param(parse_member_top, (_top({"couponValue": HUGE_FLOAT}), NOW), id="iijmio-float"),
    pytest.param(parse_member_top, (_top({"couponValue": HUGE_INT}), NOW), id="iijmio-int"),
    pytest.param(parse_member_top, (_top({"couponValue": "1e300"}), NOW), id="iijmio-text"),
    pytest.param(parse_member_top, (_top(totalCapacity=HUGE_INT), NOW), id="iijmio-capacity"),
    pytest.param(parse_usage, ({"data": {"basic": {"left": 1e306}}},), id="povo-left-float"),
    pytest.param(parse_usage, ({"data": {"boost": {"left": HUGE_INT}}},), id="povo-left-int"),
    pytest.param(
        parse_usage, ({"data": {"basic": {"plan_kb": HUGE_FLOAT, "unit": "GB"}}},), id="povo-total"
    ),
    pytest.param(parse_used, ({"data": {"basic": {"used": HUGE_INT}}},), id="povo-used"),
    pytest.param(
        parse_softbank_usage,
        (f'{SOFTBANK_CHART_MARKER} "remainData": "1e300"',),
        id="softbank-exponent",
    ),
    pytest.param(
        parse_softbank_usage,
        (f"{SOFTBANK_CHART_MARKER} remainData: {HUGE_DIGITS}",),
        id="softbank-digits",
    ),
    pytest.param(
        parse_ymobile_usage,
        (
            "<div class='list-toggle-content'>"
            + f"<table><tr><td>{HUGE_DIGITS}GB</td></tr></table>" * 4
            + "</div>",
        ),
        id="ymobile-digits",
    ),
    pytest.param(
        parse_ymobile_usage,
        (
            "<div class='list-toggle-content'>"
            + "<table><tr><td>1048577TB</td></tr></table>" * 4
            + "</div>",
        ),
        id="ymobile-terabytes",
    ),
]


@pytest.mark.parametrize(("parse", "args"), HUGE_NUMBER_CALLS)
def test_huge_numbers_are_parse_errors(parse: Callable[..., Any], args: tuple[Any, ...]) -> None:
    with pytest.raises(CarrierParseError):
        parse(*args)


def test_povo_plan_details_huge_remaining_is_unknown() -> None:
    tile = {
        "type": PLAN_DETAIL_TILE,
        "data": {
            "expiry": {"value": "2026年 6月 1日 午前9:00"},
            "remaining": {"value": f"{HUGE_DIGITS}TB / 1TB"},
        },
    }
    # An unreadable remaining text counts as holding data: the expiry still comes through.
    assert parse_plan_details([tile]) == datetime(2026, 6, 1, 9, 0, tzinfo=TOKYO)


@pytest.mark.parametrize("month", ["000001", "000012", "999912", "０００００６"])
def test_iijmio_month_out_of_date_range(month: str) -> None:
    with pytest.raises(CarrierParseError):
        parse_member_top(_top({"month": month, "couponValue": 1}), NOW)
