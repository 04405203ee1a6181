"""Reading carrier notices (SMS and e-mail) in carrier Japanese, and users' own patterns.

The texts are modelled on the phrasing carriers use (carriers.md, "Notifications"): no verbatim
carrier templates were found in public sources.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.japan_sim_data.carriers.notices import (
    MAX_NOTICE_CHARS,
    InvalidNoticePattern,
    NoticeReading,
    compile_user_pattern,
    parse_notice,
)
from custom_components.japan_sim_data.carriers.units import GIB, MIB

KIB = 1024


@pytest.mark.parametrize(
    ("text", "remaining"),
    [
        ("データ量残り500MBのお知らせ", 500 * MIB),
        ("ご利用可能なデータ量の残りが1.5GBになりました。", round(1.5 * GIB)),
        ("残りデータ容量：0.8GB", round(0.8 * GIB)),
        ("残り１．５ＧＢ", round(1.5 * GIB)),
        ("残りデータ量は１，０２４ＭＢです", GIB),
        ("残りデータ量は1,024MBです", GIB),
        ("データ残量は 2 GB です", 2 * GIB),
        ("今月の残容量:300MB", 300 * MIB),
        ("ご利用可能なデータ量は3GBです。", 3 * GIB),
        ("500MBが残っています。", 500 * MIB),
        ("あと500MBで速度制限がかかります。", 500 * MIB),
        ("残り512KB", 512 * KIB),
        ("残り2ギガです", 2 * GIB),
        ("データ量残り0MBのお知らせ", 0),
        ("remaining 1.2GB", round(1.2 * GIB)),
        ("Data left: 500MB", 500 * MIB),
        ("Data balance: 2 GB", 2 * GIB),
        ("You have 1.2 GB of data left. Top up 3GB now!", round(1.2 * GIB)),
        ("500MB of 3GB remaining", 500 * MIB),
        ("800 MB remaining on your plan", 800 * MIB),
    ],
)
def test_remaining_figures(text: str, remaining: int) -> None:
    reading = parse_notice(text)
    assert reading is not None
    assert reading.remaining == remaining
    assert reading.used is None


@pytest.mark.parametrize(
    ("text", "used"),
    [
        ("今月のご利用データ量:2.5GB", round(2.5 * GIB)),
        ("今月の使用量は800MBです", 800 * MIB),
        ("データ通信量 3GB", 3 * GIB),
        ("2.5GBを使用しました", round(2.5 * GIB)),
        ("2GB of 3GB used", 2 * GIB),
        ("You've used 2.1GB this month", round(2.1 * GIB)),
        ("Data used: 700 MB", 700 * MIB),
        ("1.5 GB used", round(1.5 * GIB)),
    ],
)
def test_used_figures(text: str, used: int) -> None:
    reading = parse_notice(text)
    assert reading is not None
    assert reading.used == used
    assert reading.remaining is None


def test_used_and_remaining_in_one_notice() -> None:
    text = "【楽天モバイル】今月のご利用データ量は2,560MB、残りデータ量は0.5GBです。"
    assert parse_notice(text) == NoticeReading(
        remaining=round(0.5 * GIB), used=2560 * MIB, throttled=None
    )


def test_a_remaining_cue_is_not_a_used_cue() -> None:
    # 「通信量」 reads as usage, but here it is the remaining amount it speaks of.
    reading = parse_notice("今月のデータ通信量の残りは500MBです")
    assert reading == NoticeReading(remaining=500 * MIB, used=None, throttled=None)
    # ... and a used figure next to 「残り」 is not a remaining one.
    reading = parse_notice("残りデータ量のご案内:ご利用データ量 2.5GB")
    assert reading == NoticeReading(remaining=None, used=round(2.5 * GIB), throttled=None)


@pytest.mark.parametrize(
    "text",
    [
        "ご契約のデータ量3GBを超えたため、送受信最大128kbpsに制限しました。",
        "データ容量の上限に達しました。",
        "ご利用データ量が上限を超過しました",
        "【速度制限のお知らせ】",
        "通信速度を制限しております。",
        "現在、最大1Mbpsでご利用いただけます。",
        "高速データ容量を使い切りました。",
        "Your speed has been reduced.",
        "You have reached your data limit.",
        "Data limit reached",
        "You are throttled",
        # Lifting that has not happened yet leaves the line throttled.
        "速度制限中です。翌月1日に制限が解除されます。",
    ],
)
def test_throttled(text: str) -> None:
    reading = parse_notice(text)
    assert reading is not None
    assert reading.throttled is True
    assert reading.remaining is None


def test_limit_notice_keeps_a_stated_remaining() -> None:
    reading = parse_notice("3GBを超えたため速度制限中です。残り0MB")
    assert reading == NoticeReading(remaining=0, used=None, throttled=True)


@pytest.mark.parametrize(
    "text",
    [
        "速度制限を解除しました。",
        "通信速度の制限を解除いたしました。引き続きご利用ください。",
        "【制限解除のお知らせ】",
        "通常の通信速度に戻りました",
        "Your speed has been restored.",
        "You are no longer throttled.",
    ],
)
def test_throttling_lifted(text: str) -> None:
    reading = parse_notice(text)
    assert reading is not None
    assert reading.throttled is False


def test_last_stated_throttle_state_wins() -> None:
    reading = parse_notice(
        "上限に達しました。その後、データを追加購入されたため制限を解除しました。"
    )
    assert reading is not None
    assert reading.throttled is False


def test_warnings_are_not_a_throttle_state() -> None:
    reading = parse_notice("残り500MBです。3GBを超えると送受信最大128kbpsとなります。")
    assert reading == NoticeReading(remaining=500 * MIB, used=None, throttled=None)
    reading = parse_notice("If you exceed 3GB, your speed will be limited. 1GB left.")
    assert reading == NoticeReading(remaining=GIB, used=None, throttled=None)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "お荷物のお届け予定日は11月25日です。残り2件の配達があります。",
        "【楽天モバイル】認証コード 123456 を入力してください。",
        "Your verification code is 123456",
        "今なら20GBプレゼント!",
        "ご契約のデータ量は3GBです。",
        "速度制限なしで使い放題!",
        "容量 1,024MB のファイルを受信しました",
        "有効期限まで残り3日です。",
        # A speed is not an amount.
        "残り速度 300Mbps",
    ],
)
def test_unrelated_messages_are_ignored(text: str) -> None:
    assert parse_notice(text) is None


def test_only_the_beginning_of_a_long_text_is_examined() -> None:
    padding = "あ" * MAX_NOTICE_CHARS
    assert parse_notice(padding + "残り500MB") is None
    assert parse_notice("残り500MB" + padding) == NoticeReading(
        remaining=500 * MIB, used=None, throttled=None
    )


def test_huge_numbers_are_not_read() -> None:
    # More digits than any real amount: not a figure, and no overflow.
    assert parse_notice("残り" + "9" * 40 + "GB") is None


def test_user_pattern_reads_remaining_first() -> None:
    pattern = compile_user_pattern(r"のこり\s*(?P<amount>[\d.]+)\s*(?P<unit>ギガ|MB)")
    assert parse_notice("のこり２ギガ", [pattern]) == NoticeReading(
        remaining=2 * GIB, used=None, throttled=None
    )
    # Tried before the built-in patterns, which still read throttling and usage.
    reading = parse_notice("残り1GB のこり 300mb 速度制限中 ご利用データ量 2GB", [pattern])
    assert reading == NoticeReading(remaining=300 * MIB, used=2 * GIB, throttled=True)


def test_user_pattern_with_unusable_match_falls_back() -> None:
    optional = compile_user_pattern(r"X(?P<amount>\d+)?(?P<unit>GB)")
    odd_unit = compile_user_pattern(r"Y(?P<amount>\d+)(?P<unit>parsecs)")
    huge = compile_user_pattern(r"Z(?P<amount>\d+)(?P<unit>TB)")
    text = "XGB Y3parsecs Z" + "9" * 320 + "TB 残り400MB"
    assert parse_notice(text, [optional, odd_unit, huge]) == NoticeReading(
        remaining=400 * MIB, used=None, throttled=None
    )


def test_user_pattern_sees_normalised_text() -> None:
    pattern = compile_user_pattern(r"balance=(?P<amount>\d+)(?P<unit>MB)")
    reading = parse_notice("ＢＡＬＡＮＣＥ＝２，０４８ＭＢ", [pattern])
    assert reading is not None
    assert reading.remaining == 2048 * MIB


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"残り(?P<amount>[\d.]+(?P<unit>GB)", "syntax"),
        (r"(?P<amount>\d+)(?P<amount>GB)", "syntax"),
        (r"残り([\d.]+)(GB|MB)", "missing_groups"),
        (r"残り(?P<amount>[\d.]+)GB", "missing_groups"),
    ],
)
def test_invalid_user_patterns(pattern: str, reason: str) -> None:
    with pytest.raises(InvalidNoticePattern) as caught:
        compile_user_pattern(pattern)
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError)
    # The message names the reason, never the user's text.
    assert pattern not in str(caught.value)


def test_user_patterns_ignore_case() -> None:
    pattern = compile_user_pattern(r"left (?P<amount>\d+) ?(?P<unit>gb)")
    assert pattern.flags & re.IGNORECASE
    reading = parse_notice("LEFT 2 GB", [pattern])
    assert reading is not None
    assert reading.remaining == 2 * GIB


_NOTICE_WORDS = st.sampled_from(
    [
        "残り",
        "残量",
        "ご利用データ量",
        "使用量",
        "あと",
        "GB",
        "MB",
        "ＧＢ",
        "１",
        "0.5",
        ",",
        "-",
        "速度制限",
        "解除しました",
        "超えると",
        "remaining",
        "used",
        "of",
        "left",
        "。",
        "\n",
        " ",
        "999999999999999",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300) | st.lists(_NOTICE_WORDS | st.text(max_size=3)).map("".join))
def test_parse_notice_never_raises_nor_goes_negative(text: str) -> None:
    reading = parse_notice(text)
    if reading is not None:
        assert reading.remaining is None or reading.remaining >= 0
        assert reading.used is None or reading.used >= 0
        assert (reading.remaining, reading.used, reading.throttled) != (None, None, None)
