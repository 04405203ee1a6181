"""Y!mobile's usage page and flow against the local replay of the references' pages.

Every page follows a public scraper's captured shape (tests/fixtures/softbank/README.md names
repo, path and commit); the figures asserted are the ones those references report or imply.
"""

from __future__ import annotations

from datetime import date, timedelta

import aiohttp
import pytest

from custom_components.japan_sim_data.carriers.base import anonymous_id
from custom_components.japan_sim_data.carriers.dates import end_of_day
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAuthError,
    CarrierParseError,
)
from custom_components.japan_sim_data.carriers.http import MOBILE_BROWSER_USER_AGENT
from custom_components.japan_sim_data.carriers.models import BucketKind, DataBucket
from custom_components.japan_sim_data.carriers.softbank import (
    YmobileAdapter,
)
from custom_components.japan_sim_data.carriers.units import GIB
from custom_components.japan_sim_data.carriers.ymobile_pages import (
    find_ymobile_tables,
    parse_ymobile_usage,
)
from tests.carriers.softbank_replay import (
    LOGIN,
    PHONE_DIGITS,
    USAGE,
    YM_ENTRY,
    YM_HOP,
    fixture,
    gb,
    on_portal,
    section,
    table,
)
from tests.conftest import ServeApp

# --- Y!mobile ----------------------------------------------------------------------------------


async def test_ymobile_reads_the_four_tables_by_position(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    """Y-mobile-monitor-App af13d42's live run: 0.88 + 30.0 + 0.0 − 1.51 = 29.37 of 30.88 GB.

    The same four tables nairoki23/ymobile_bot reads by position (e2b4717).
    """
    fake, adapter = await on_portal(
        serve, http_session, YmobileAdapter, reset_day=11, brand="ymobile"
    )

    usage = await adapter.async_fetch()

    # No cookie of the portal yet: MWBWL0130 hands out the ticket first, no hop is tried.
    assert fake.hits == [
        f"GET {YM_ENTRY}",
        f"POST {LOGIN}",
        f"GET {YM_HOP}",
        f"POST {USAGE}",
    ]
    assert fake.forms[0]["ticket"] == "YM-TICKET-77"
    assert fake.forms[1] == {"mfiv": "YIV-123", "mfym": "YM-456"}
    assert set(fake.user_agents) == {MOBILE_BROWSER_USER_AGENT}

    sim = usage.sims[anonymous_id("ymobile", PHONE_DIGITS)]
    period_end = end_of_day(date(2025, 5, 10))
    # くりこし分 on its own, used first: the 1.51 GB used takes the 0.88 carried over, then
    # 0.63 of the base.
    assert sim.buckets == (
        DataBucket(BucketKind.CARRIED_OVER, remaining=0, total=gb("0.88"), expires=period_end),
        DataBucket(
            BucketKind.MONTHLY,
            remaining=gb("30.0") - (gb("1.51") - gb("0.88")),
            total=gb("30.0"),
            expires=period_end,
        ),
        DataBucket(BucketKind.TOPPING, remaining=0, total=0, expires=period_end),
    )
    assert sim.remaining == gb("30.0") + gb("0.88") - gb("1.51")
    assert round(sim.remaining / GIB, 2) == 29.37  # KYM's live run
    assert sim.used == gb("1.51")
    assert sim.resets_on == date(2025, 5, 11)
    assert sim.number_suffix == "5678"


def test_ymobile_labelled_tables() -> None:
    """nairoki23/discord-bot 77b44da keys the tables by label: くりこし分, 基本データ量 残り
    ("A／B", A taken), 使用量 合計, every other table granted data (here a 5th, as e63d3b0).

    1.20 + 20.00 + 0.50 + 1.00 − 3.30 = 19.40 of 22.70 GB.
    """
    parsed = parse_ymobile_usage(fixture("ymobile_usage_labelled.html"))
    # The 3.30 GB used takes the 1.20 carried over, then 2.10 of the base; the other grant
    # (page order) and the paid data are untouched.
    assert parsed.buckets == (
        DataBucket(BucketKind.CARRIED_OVER, remaining=0, total=gb("1.20")),
        DataBucket(
            BucketKind.MONTHLY,
            remaining=gb("20.00") - (gb("3.30") - gb("1.20")),
            total=gb("20.00"),
        ),
        DataBucket(BucketKind.GIFT, remaining=gb("0.50"), total=gb("0.50")),
        DataBucket(BucketKind.TOPPING, remaining=gb("1.00"), total=gb("1.00")),
    )
    assert sum(bucket.remaining or 0 for bucket in parsed.buckets) == (
        gb("1.20") + gb("20.00") + gb("0.50") + gb("1.00") - gb("3.30")
    )
    assert parsed.used == gb("3.30")


def test_ymobile_paid_figure_in_the_second_row() -> None:
    """nairoki23/discord-bot d5762ef reads the paid figure from the 2nd row, before a link.

    0.25 + 5.00 + 1.00 − 2.75 = 3.50 GB.
    """
    parsed = parse_ymobile_usage(fixture("ymobile_usage_paid_second_row.html"))
    assert parsed.buckets == (
        DataBucket(BucketKind.CARRIED_OVER, remaining=0, total=gb("0.25")),
        DataBucket(
            BucketKind.MONTHLY,
            remaining=gb("5.00") - (gb("2.75") - gb("0.25")),
            total=gb("5.00"),
        ),
        DataBucket(BucketKind.TOPPING, remaining=gb("1.00"), total=gb("1.00")),
    )
    assert parsed.used == gb("2.75")


def _remaining(text: str) -> int:
    return sum(bucket.remaining or 0 for bucket in parse_ymobile_usage(text).buckets)


def test_ymobile_labels_win_over_positions() -> None:
    shuffled = section(
        table("使用量 合計", "1.00GB"),
        table("有料データ量", "0.50GB"),
        table("くりこし分", "2.00GB"),
        table("基本データ量 残り", "3.00GB"),
    )
    assert _remaining(shuffled) == gb("4.50")


def test_ymobile_old_captions_are_still_labels() -> None:
    old = section(
        "<table><caption>使用済み</caption><tr><td>1GB</td></tr></table>",
        "<table><caption>繰越</caption><tr><td>1GB</td></tr></table>",
        "<table><caption>有料</caption><tr><td>512MB</td></tr></table>",
        "<table><caption>基本</caption><tr><td>2GB</td></tr></table>",
    )
    assert _remaining(old) == gb("2.5")


def test_ymobile_figures_full_width_and_in_mb() -> None:
    tables = section(
        table(None, "０．５０ＧＢ"),
        table(None, "―", "1,024MB"),
        table(None, "0GB"),
        table(None, "1"),
    )
    assert _remaining(tables) == gb("0.5")


def test_ymobile_first_of_a_pair_is_the_figure() -> None:
    tables = section(
        table("くりこし分", "0GB"),
        table("基本データ量 残り", "18.50GB／20.00GB"),
        table("有料", "0GB"),
        table("使用量 合計", "1.50GB"),
    )
    assert _remaining(tables) == gb("17.00")


def test_ymobile_container_by_one_class_and_the_full_one_first() -> None:
    """discord-bot 77b44da finds `.list-toggle-content`; the others need all three classes."""
    four = [table(None, "1GB"), table(None, "", "2GB"), table(None, "0GB"), table(None, "1GB")]
    assert _remaining(section(*four, classes="list-toggle-content")) == gb("2")
    decoy = section(*four[:2], table(None, "9GB"), four[3], classes="list-toggle-content")
    assert _remaining(decoy + section(*four)) == gb("2")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<table><tr><td>1GB</td></tr></table>" * 4, "no data-usage section"),
        (section(table(None, "1GB"), table(None, "1GB")), "fewer tables"),
        (
            section(*(table(None, "1GB") for _ in range(5))),
            "lacks a table",
        ),
        (
            section(
                table("くりこし分", "1GB"),
                table("基本", "1GB"),
                table("基本", "2GB"),
                table("使用量 合計", "1GB"),
            ),
            "two base tables",
        ),
        (
            section(
                table(None, "1GB"),
                table(None, "", "1GB"),
                table(None, "0GB"),
                table(None, "3GB"),
            ),
            "do not add up",
        ),
        (
            section(
                table(None, "―"), table(None, "", "1GB"), table(None, "0GB"), table(None, "1GB")
            ),
            "carried_over table holds no figure",
        ),
    ],
)
def test_ymobile_unreadable_sections(text: str, message: str) -> None:
    with pytest.raises(CarrierParseError, match=message):
        parse_ymobile_usage(text)


def test_ymobile_other_tables_count_only_amounts_with_a_unit() -> None:
    five = section(
        table("くりこし分", "1GB"),
        table("基本データ量 残り", "2GB"),
        table("ご利用期間", "2026/03/01〜2026/03/31"),
        table("有料", "1GB"),
        table("使用量 合計", "1GB"),
    )
    assert _remaining(five) == gb("3")


def test_ymobile_nested_and_unclosed_tables() -> None:
    """A nested table's text stays its own; unclosed rows and cells end as a browser ends them."""
    nested = section(
        "<table><tr><td>" + table(None, "1GB") + "</td></tr></table>",
        "<table><tbody><tr><td>―<tr><td>2GB</table>",
        "</span></td>",
    )
    tables = find_ymobile_tables(nested)
    assert [table.rows for table in tables] == [
        [[(False, "")]],
        [[(False, "1GB")]],
        [[(False, "―")], [(False, "2GB")]],
    ]


async def test_ymobile_wrong_password(serve: ServeApp, http_session: aiohttp.ClientSession) -> None:
    fake, adapter = await on_portal(
        serve, http_session, YmobileAdapter, password="nope", brand="ymobile"
    )

    with pytest.raises(CarrierAuthError):
        await adapter.async_fetch()
    assert fake.logins == 1


async def test_ymobile_page_without_the_section_is_a_parse_error(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    _, adapter = await on_portal(
        serve,
        http_session,
        YmobileAdapter,
        brand="ymobile",
        usage_page="softbank_usage_no_figures.html",
    )

    with pytest.raises(CarrierParseError, match="no data-usage section") as raised:
        await adapter.async_fetch()
    assert raised.value.skeleton is not None


async def test_ymobile_expiries_per_bucket(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    """Carried over, base and paid data end with the period; other grants' end is unknown."""
    _, adapter = await on_portal(
        serve,
        http_session,
        YmobileAdapter,
        brand="ymobile",
        usage_page="ymobile_usage_labelled.html",
    )

    sim = next(iter((await adapter.async_fetch()).sims.values()))

    period_end = end_of_day(date(2025, 4, 30))
    assert {bucket.kind: bucket.expires for bucket in sim.buckets} == {
        BucketKind.CARRIED_OVER: period_end,
        BucketKind.MONTHLY: period_end,
        BucketKind.GIFT: None,
        BucketKind.TOPPING: period_end,
    }
    # Past the period's end only the grant without an expiry is left to count.
    after = sim.valid_at(period_end + timedelta(seconds=1))
    assert [bucket.kind for bucket in after.buckets] == [BucketKind.GIFT]
    assert after.remaining == gb("0.50")
