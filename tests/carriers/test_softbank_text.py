"""The SoftBank family's pages as text: charsets, the number grammar, and pages with no figure.

Pages follow tests/fixtures/softbank/README.md (each names the public scraper it follows).
"""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.japan_sim_data.carriers.errors import CarrierParseError
from custom_components.japan_sim_data.carriers.models import BucketKind
from custom_components.japan_sim_data.carriers.softbank import (
    SoftBankAdapter,
    YmobileAdapter,
    _MySoftBankAdapter,
)
from custom_components.japan_sim_data.carriers.softbank_pages import parse_softbank_usage
from custom_components.japan_sim_data.carriers.ymobile_pages import parse_ymobile_usage
from tests.carriers.softbank_replay import fixture, gb, on_portal
from tests.conftest import ServeApp

UTF8_META = '<meta charset="UTF-8">'
SHIFT_JIS_DECLARATIONS = [
    '<meta charset="Shift_JIS">',
    '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">',
]


def _shift_jis(name: str, declaration: str) -> bytes:
    text = fixture(name)
    assert UTF8_META in text
    return text.replace(UTF8_META, declaration).encode("cp932")


@pytest.mark.parametrize("declaration", SHIFT_JIS_DECLARATIONS)
async def test_ymobile_page_declaring_shift_jis_only_in_its_markup(
    serve: ServeApp, http_session: aiohttp.ClientSession, declaration: str
) -> None:
    """Labels are read by their Japanese words: misdecoded, five tables could not be placed."""
    body = _shift_jis("ymobile_usage_labelled.html", declaration)
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    _, adapter = await on_portal(
        serve, http_session, YmobileAdapter, brand="ymobile", usage_bytes=body
    )

    sim = next(iter((await adapter.async_fetch()).sims.values()))

    assert sim.remaining_of(BucketKind.CARRIED_OVER) == 0
    assert sim.remaining == gb("1.20") + gb("20.00") + gb("0.50") + gb("1.00") - gb("3.30")
    assert sim.used == gb("3.30")


@pytest.mark.parametrize("declaration", SHIFT_JIS_DECLARATIONS)
async def test_softbank_page_declaring_shift_jis_only_in_its_markup(
    serve: ServeApp, http_session: aiohttp.ClientSession, declaration: str
) -> None:
    body = _shift_jis("softbank_usage.html", declaration)
    _, adapter = await on_portal(serve, http_session, usage_bytes=body)

    sim = next(iter((await adapter.async_fetch()).sims.values()))

    assert sim.remaining == gb("0.02")
    assert sim.used == gb("6.34")


@pytest.mark.parametrize(
    ("cls", "brand", "page", "message"),
    [
        (SoftBankAdapter, "softbank", "softbank_usage_empty_chart.html", "holds no figure"),
        (SoftBankAdapter, "softbank", "softbank_usage_no_figures.html", "how much data is left"),
        (YmobileAdapter, "ymobile", "softbank_usage_empty_chart.html", "no data-usage section"),
    ],
)
async def test_a_page_without_a_figure_is_unreadable_never_0_left(
    serve: ServeApp,
    http_session: aiohttp.ClientSession,
    cls: type[_MySoftBankAdapter],
    brand: str,
    page: str,
    message: str,
) -> None:
    _, adapter = await on_portal(serve, http_session, cls, brand=brand, usage_page=page)

    with pytest.raises(CarrierParseError, match=message) as raised:
        await adapter.async_fetch()
    assert raised.value.skeleton is not None


def test_softbank_empty_values_are_0_only_beside_a_figure() -> None:
    """[MYSB] reads "" as 0: kept, as long as the chart holds some figure at all."""
    parsed = parse_softbank_usage('"chartType": "pie", "remainData": "", "usedGigaData": "7.5"}')
    assert [bucket.remaining for bucket in parsed.buckets] == [0]
    assert parsed.used == gb("7.5")
    for blank in ('""', '"  "', "''", '"　"'):
        with pytest.raises(CarrierParseError, match="holds no figure"):
            parse_softbank_usage(f'"chartType": "pie", "remainData": {blank}, "usedGigaData": ""}}')


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1,024.5", "1024.5"), ("１，０２４", "1024"), ("123,456.75", "123456.75")],
)
def test_softbank_thousands_separators_in_groups_of_three(value: str, expected: str) -> None:
    parsed = parse_softbank_usage(f'"chartType": "pie", "remainData": "{value}"}}')
    assert parsed.buckets[0].remaining == gb(expected)


@pytest.mark.parametrize("value", ["1,0", "10,00", "1,0000", ",100", "1,024,5", "1.024,5"])
def test_softbank_misplaced_separators_are_a_parse_error(value: str) -> None:
    """Once read as 10 or 1000 GB left; a separator outside groups of three is no number."""
    with pytest.raises(CarrierParseError):
        parse_softbank_usage(f'"chartType": "pie", "remainData": "{value}"}}')


def _ymobile(carried: str, base: str = "2GB") -> str:
    tables = "".join(
        f"<table><tbody><tr><th>{label}</th><td>{figure}</td></tr></tbody></table>"
        for label, figure in (
            ("くりこし分", carried),
            ("基本データ量 残り", base),
            ("有料データ量", "0GB"),
            ("使用量 合計", "1GB"),
        )
    )
    return f'<div class="list-toggle-content js-toggle-content m-top-20">{tables}</div>'


@pytest.mark.parametrize("figure", ["1,0GB", "1,00GB", "10,00MB", "1,0000MB"])
def test_ymobile_misplaced_separators_are_a_parse_error(figure: str) -> None:
    with pytest.raises(CarrierParseError):
        parse_ymobile_usage(_ymobile(figure))


def test_ymobile_separators_in_groups_of_three() -> None:
    parsed = parse_ymobile_usage(_ymobile("1,024MB", "2,048.5MB"))
    carried, base, paid = parsed.buckets
    # The 1 GB used is the 1,024 MB carried over, all of it; the base is untouched.
    assert (carried.kind, carried.remaining, carried.total) == (BucketKind.CARRIED_OVER, 0, gb("1"))
    assert (base.kind, base.remaining) == (BucketKind.MONTHLY, gb("2.00048828125"))
    assert (paid.kind, paid.remaining) == (BucketKind.TOPPING, 0)
