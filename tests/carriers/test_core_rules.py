"""The library's shared rules: plausible dates, the one number grammar, page decoding, validity."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers import http
from custom_components.japan_sim_data.carriers.dates import (
    TOKYO,
    end_of_day,
    is_plausible_day,
    plausible_day,
    plausible_moment,
)
from custom_components.japan_sim_data.carriers.errors import CarrierParseError
from custom_components.japan_sim_data.carriers.models import (
    AccountUsage,
    BucketKind,
    DataBucket,
    SimUsage,
)
from custom_components.japan_sim_data.carriers.units import GIB, MIB, to_bytes, to_number
from tests.conftest import ServeApp

TODAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("day", "plausible"),
    [
        (date(1, 1, 1), False),
        (date(1900, 1, 1), False),
        (date(1970, 1, 1), False),
        (date(1999, 12, 31), False),
        (date(2000, 1, 1), True),
        (TODAY, True),
        (date(2036, 12, 6), True),
        (date(2036, 12, 7), False),
        (date(9999, 12, 31), False),
    ],
)
def test_one_plausibility_rule(day: date, plausible: bool) -> None:
    assert is_plausible_day(day, TODAY) is plausible
    if plausible:
        assert plausible_day(day, today=TODAY) == day
    else:
        with pytest.raises(CarrierParseError) as err:
            plausible_day(day, today=TODAY)
        assert str(day.year) not in str(err.value)


def test_leap_day_window() -> None:
    assert is_plausible_day(date(2034, 2, 28), date(2024, 2, 29))
    assert not is_plausible_day(date(2034, 3, 1), date(2024, 2, 29))


def test_window_follows_the_clock(freezer: object) -> None:
    freezer.move_to("2030-06-01T00:00:00+09:00")  # type: ignore[attr-defined]
    assert is_plausible_day(date(2040, 5, 31))
    assert not is_plausible_day(date(2040, 6, 2))


def test_plausible_moment() -> None:
    now = datetime(2026, 12, 6, 12, tzinfo=TOKYO)
    assert plausible_moment(end_of_day(date(2026, 12, 31)), now=now).tzinfo is TOKYO
    for moment in (
        datetime(1, 1, 1, tzinfo=TOKYO),
        datetime(9999, 12, 31, 23, 59, tzinfo=TOKYO),
        datetime(1970, 1, 1, tzinfo=TOKYO),
    ):
        with pytest.raises(CarrierParseError):
            plausible_moment(moment, now=now)
    with pytest.raises(CarrierParseError):
        plausible_moment(datetime(2026, 12, 6, 12), now=now)  # noqa: DTZ001 - the point


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("4.56", 4.56),
        ("1,024", 1024.0),
        ("1,024.5", 1024.5),
        ("12,345,678", 12345678.0),
        ("１，０２４．５", 1024.5),
        (" 20 ", 20.0),
        (".5", 0.5),
        ("", None),
        ("  ", None),
    ],
)
def test_number_grammar_accepts(text: str, number: float | None) -> None:
    assert to_number(text) == number


@pytest.mark.parametrize(
    "text",
    ["1,0", "10,00", "1,0000", ",100", "1,024,", "1.2.3", "1 000", "-1", "1e3", "nan", "inf", "GB"],
)
def test_number_grammar_refuses(text: str) -> None:
    with pytest.raises(CarrierParseError) as err:
        to_number(text)
    assert text.strip() not in str(err.value) or not text.strip()


def test_malformed_amount_is_never_a_thousand() -> None:
    with pytest.raises(CarrierParseError):
        to_bytes("1,0", "GB")
    assert to_bytes("1,000", "MB") == 1000 * MIB
    assert to_bytes("2.5", "ＧＢ") == round(2.5 * GIB)


def test_unknown_unit_is_quoted_not_echoed() -> None:
    phishing = "GB. Your account is locked: log in at https://evil.example/ now"
    with pytest.raises(CarrierParseError) as err:
        to_bytes("1", phishing)
    assert "evil" not in str(err.value)
    assert "unrecognised" in str(err.value)
    with pytest.raises(CarrierParseError, match="PB"):
        to_bytes("1", "PB")


SJIS_PAGE = '<html><head><meta charset="Shift_JIS"><title>残りデータ量</title></head></html>'
HTTP_EQUIV_PAGE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
    "</head><body>くりこし分 ①</body></html>"
)


@pytest.mark.parametrize(
    ("body", "declared", "expected"),
    [
        (SJIS_PAGE.encode("cp932"), None, "残りデータ量"),
        (HTTP_EQUIV_PAGE.encode("cp932"), None, "くりこし分 ①"),
        ("データ".encode("euc_jp"), "EUC-JP", "データ"),
        ("\ufeffデータ".encode(), None, "データ"),
        ("データ".encode("utf-16"), None, "データ"),
        ("データ".encode(), None, "データ"),
        ("データ".encode(), "no-such-charset", "データ"),
        # The header wins over a page's own claim.
        ('<meta charset="Shift_JIS">データ'.encode(), "utf-8", "データ"),
    ],
)
def test_decode_body(body: bytes, declared: str | None, expected: str) -> None:
    assert expected in http.decode_body(body, declared)


def test_undecodable_bytes_never_raise() -> None:
    assert "\ufffd" in http.decode_body(b"\xff\xfe\xfa<meta charset=utf-8>", "utf-8")


async def test_shift_jis_page_over_http(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    async def page(_request: web.Request) -> web.Response:
        # Content-Type without a charset: the page says it only in its <meta>.
        return web.Response(body=HTTP_EQUIV_PAGE.encode("cp932"), content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    reply = await http.request(http_session, "GET", f"{await serve(app)}/")
    assert "くりこし分 ①" in reply.text


NOW = datetime(2026, 12, 1, 0, 0, 1, tzinfo=TOKYO)


def _sim() -> SimUsage:
    return SimUsage(
        sim_id="hdc1",
        buckets=(
            DataBucket(BucketKind.CARRIED_OVER, 3 * GIB, expires=end_of_day(date(2026, 11, 30))),
            DataBucket(BucketKind.MONTHLY, 8 * GIB, expires=end_of_day(date(2026, 12, 31))),
            DataBucket(BucketKind.TOPPING, 1 * GIB),
        ),
    )


def test_expired_bucket_never_counts() -> None:
    sim = _sim()
    before = sim.valid_at(NOW - timedelta(seconds=2))
    assert before is sim
    assert before.remaining == 12 * GIB
    after = sim.valid_at(NOW)
    assert after.remaining == 9 * GIB
    assert after.remaining_of(BucketKind.CARRIED_OVER) is None
    assert after.data_expires == end_of_day(date(2026, 12, 31))
    assert after.next_bucket_expiry(NOW) == end_of_day(date(2026, 12, 31))


def test_account_validity_keeps_identity_when_nothing_expired() -> None:
    account = AccountUsage({"hdc1": _sim(), "hdc2": SimUsage(sim_id="hdc2")})
    assert account.valid_at(NOW - timedelta(days=1)) is account
    moved = account.valid_at(NOW)
    assert moved is not account
    assert moved.sims["hdc2"] is account.sims["hdc2"]
    assert moved.sims["hdc1"].remaining == 9 * GIB
    assert account.next_bucket_expiry(NOW - timedelta(days=1)) == end_of_day(date(2026, 11, 30))
    assert account.next_bucket_expiry(datetime(2027, 1, 1, tzinfo=TOKYO)) is None


def test_data_expiring_at_midnight_leaves_no_day_after_it() -> None:
    from custom_components.japan_sim_data.carriers.dates import days_left  # noqa: PLC0415

    midnight = datetime(2026, 6, 21, 0, 0, tzinfo=TOKYO)
    assert days_left(midnight, datetime(2026, 6, 20, 9, tzinfo=TOKYO)) == 1
    assert days_left(midnight, datetime(2026, 6, 19, 9, tzinfo=TOKYO)) == 2
    assert days_left(end_of_day(date(2026, 6, 20)), datetime(2026, 6, 20, 9, tzinfo=TOKYO)) == 1
    assert days_left(midnight, midnight) == 0
