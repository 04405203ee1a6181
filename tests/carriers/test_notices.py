"""Reading carrier notices (SMS and e-mail) in carrier Japanese, and users' own patterns.

The texts are modelled on the phrasing carriers use (carriers.md, "Notifications"): no verbatim
carrier templates were found in public sources. No test here measures wall time: the time limits
are shown applied (the limit each search is handed, a clock injected, a limit patched to nothing)
and the decisions taken are ones exponential backtracking makes whatever the machine's speed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, cast
from unittest.mock import patch

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.japan_sim_data.carriers import notices, user_patterns
from custom_components.japan_sim_data.carriers.dates import TOKYO, end_of_day
from custom_components.japan_sim_data.carriers.notices import (
    _EXPIRY_PATTERNS,
    _LIFTED,
    _REMAINING_PATTERNS,
    _THROTTLED,
    _USED_PATTERNS,
    BUILTIN_TIMEOUT,
    MAX_NOTICE_CHARS,
    USER_PATTERN_TIMEOUT,
    NoticePatternTimeout,
    NoticeReading,
    _search,
    parse_notice,
)
from custom_components.japan_sim_data.carriers.tracking_evidence import Evidence, NoticeKind
from custom_components.japan_sim_data.carriers.units import GIB, MIB
from custom_components.japan_sim_data.carriers.user_patterns import (
    MAX_PATTERN_CHARS,
    PATTERN_TRIAL_BUDGET,
    PATTERN_TRIAL_TIMEOUT,
    InvalidNoticePattern,
    PatternRun,
    compile_user_pattern,
)

KIB = 1024


@pytest.mark.parametrize(
    ("text", "remaining"),
    [
        ("データ量残り500MBのお知らせ", 500 * MIB),
        ("ご利用可能なデータ量の残りが1.5GBになりました。", round(1.5 * GIB)),
        ("残りデータ容量：0.8GB", round(0.8 * GIB)),
        ("データ残量：残り１．５ＧＢ", round(1.5 * GIB)),
        ("残りデータ量は１，０２４ＭＢです", GIB),
        ("残りデータ量は1,024MBです", GIB),
        ("データ残量は 2 GB です", 2 * GIB),
        ("今月のパケット残容量:300MB", 300 * MIB),
        ("ご利用可能なデータ量は3GBです。", 3 * GIB),
        ("データ量は500MBが残っています。", 500 * MIB),
        ("あと500MBで速度制限がかかります。", 500 * MIB),
        ("パケット残り512KB", 512 * KIB),
        ("データ量 残り2ギガです", 2 * GIB),
        ("データ量残り0MBのお知らせ", 0),
        ("Data remaining 1.2GB", round(1.2 * GIB)),
        ("Data left: 500MB", 500 * MIB),
        ("Data balance: 2 GB", 2 * GIB),
        ("You have 1.2 GB of data left. Top up 3GB now!", round(1.2 * GIB)),
        ("eSIM: 500MB of 3GB remaining", 500 * MIB),
        ("800 MB remaining on your data plan", 800 * MIB),
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
        ("今月のデータ使用量は800MBです", 800 * MIB),
        ("データ通信量 3GB", 3 * GIB),
        ("データ通信で2.5GBを使用しました", round(2.5 * GIB)),
        ("Mobile data: 2GB of 3GB used", 2 * GIB),
        ("You've used 2.1GB of your data this month", round(2.1 * GIB)),
        ("Data used: 700 MB", 700 * MIB),
        ("eSIM 1.5 GB used", round(1.5 * GIB)),
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
    # "Passed 3 GB" is read as what it is: a lower bound on use, not the use.
    assert reading == NoticeReading(remaining=0, used=None, throttled=True, exceeded=3 * GIB)


@pytest.mark.parametrize(
    "text",
    [
        "速度制限を解除しました。",
        "通信速度の制限を解除いたしました。引き続きご利用ください。",
        "【速度制限解除のお知らせ】",
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
    assert parse_notice(padding + "データ量残り500MB") is None
    assert parse_notice("データ量残り500MB" + padding) == NoticeReading(
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
    text = "XGB Y3parsecs Z" + "9" * 320 + "TB データ量残り400MB"
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
        (r"(?P<amount>*)(?P<unit>GB)", "syntax"),
        # The regex engine allows a name twice; the unit is still missing.
        (r"(?P<amount>\d+)(?P<amount>GB)", "missing_groups"),
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
    assert pattern.flags & regex.IGNORECASE
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


# -- patterns cannot freeze their caller (issue #12, item 4) -----------------------------------

# The pattern the options form used to accept; a 29-character SMS then blocked the event loop
# for 20 s with Python's re (and four times longer for every two more characters).
ISSUE_PATTERN = r"(?P<amount>(\d+)+)x(?P<unit>GB)"
# One that backtracks without end even in the regex engine.
EXPLODING_PATTERN = r"(?P<amount>(1|11)+)x(?P<unit>GB)"
# Exponential backtracking does not finish a notice's worth of text within any limit; one this
# generous keeps a busy machine from failing a pattern that is linear. How fast the linear ones
# are is for a benchmark to measure, not a test.
EXPLOSION_LIMIT = 10.0

_SEARCHES = frozenset({"search", "match", "fullmatch", "finditer", "findall", "split", "sub"})


class Watched:
    """Stands for a compiled pattern, noting the time limit each search on it is handed."""

    def __init__(self, real: regex.Pattern[str], limits: list[float | None]) -> None:
        """Wrap ``real``; ``limits`` receives each call's ``timeout`` (None when none)."""
        self._real = real
        self._limits = limits

    def __getattr__(self, name: str) -> Any:
        """The real pattern's attribute; a search notes its time limit first."""
        attribute = getattr(self._real, name)
        if name not in _SEARCHES:
            return attribute

        def searched(*args: Any, **kwargs: Any) -> Any:
            self._limits.append(kwargs.get("timeout"))
            return attribute(*args, **kwargs)

        return searched


def _watched(real: regex.Pattern[str], limits: list[float | None]) -> regex.Pattern[str]:
    return cast("regex.Pattern[str]", Watched(real, limits))


def test_the_issue_pattern_reads_a_long_text_at_once() -> None:
    # It passes the trial when entered: long runs of digits do not make it explode.
    limits: list[float | None] = []
    pattern = _watched(compile_user_pattern(ISSUE_PATTERN), limits)
    for length in (29, 31, 33, MAX_NOTICE_CHARS):
        run = PatternRun([pattern], budget=EXPLOSION_LIMIT)
        assert parse_notice("1" * length, run) is None
        # The engine does not backtrack on it at all: its time limit never fired.
        assert run.ran_out == []
    assert len(limits) == 4
    assert all(limit is not None and 0 < limit <= EXPLOSION_LIMIT for limit in limits)
    # Read as the integration reads it, every search is bounded by the patterns' budget.
    limits.clear()
    assert parse_notice("残り 12xGB", [pattern]) == NoticeReading(
        remaining=12 * GIB, used=None, throttled=None
    )
    assert limits
    assert all(limit is not None and 0 < limit <= USER_PATTERN_TIMEOUT for limit in limits)


@pytest.mark.parametrize(
    "pattern",
    [
        EXPLODING_PATTERN,
        r"(?P<amount>(a|aa)+)(?P<unit>GB)$",
        # Characters the pattern itself names are tried too, not only digits and letters.
        r"(?P<amount>(z|zz)+)y(?P<unit>GB)",
    ],
)
def test_patterns_that_explode_are_refused_when_entered(pattern: str) -> None:
    handed: list[float] = []
    timed_out: list[int] = []
    real_matches = user_patterns.matches_within

    def trial(
        compiled: regex.Pattern[str], text: str, budget: float, *args: Any
    ) -> Iterator[regex.Match[str]]:
        handed.append(budget)
        try:
            yield from real_matches(compiled, text, budget, *args)
        except TimeoutError:
            timed_out.append(len(handed))
            raise

    with (
        patch.object(user_patterns, "matches_within", trial),
        pytest.raises(InvalidNoticePattern) as caught,
    ):
        compile_user_pattern(pattern)
    assert caught.value.reason == "too_slow"
    assert pattern not in str(caught.value)
    # Refused because a try ran out of its time limit, and none was tried after it ...
    assert isinstance(caught.value.__cause__, TimeoutError)
    assert timed_out == [len(handed)]
    # ... each try bounded by its own limit (the whole trial's, below).
    assert all(0 < budget <= PATTERN_TRIAL_TIMEOUT for budget in handed)


class ManualClock:
    """A clock that moves only when the test moves it."""

    def __init__(self) -> None:
        """Start at 0."""
        self.now = 0.0

    def __call__(self) -> float:
        """Read the time."""
        return self.now


def test_the_trial_gives_each_try_what_is_left_of_its_budget() -> None:
    """Tries that each spend all they are given add up to a no once the budget is spent."""
    clock = ManualClock()
    handed: list[float] = []
    real_matches = user_patterns.matches_within

    def slow_try(
        compiled: regex.Pattern[str], text: str, budget: float, *args: Any
    ) -> Iterator[regex.Match[str]]:
        handed.append(budget)
        clock.now += max(budget, 0.0)
        # On the same clock the real reader refuses a try that is handed nothing.
        yield from real_matches(compiled, text, budget, clock)

    with (
        patch.object(user_patterns, "time", SimpleNamespace(monotonic=clock)),
        patch.object(user_patterns, "matches_within", slow_try),
        pytest.raises(InvalidNoticePattern, match="too_slow"),
    ):
        compile_user_pattern(r"(?P<amount>\d+)(?P<unit>GB)")
    # Each try its own limit while the budget lasts, then what was left of it: nothing.
    assert all(budget <= PATTERN_TRIAL_TIMEOUT for budget in handed)
    full = [budget for budget in handed if budget == pytest.approx(PATTERN_TRIAL_TIMEOUT)]
    assert len(full) == round(PATTERN_TRIAL_BUDGET / PATTERN_TRIAL_TIMEOUT)
    assert handed[-1] == pytest.approx(0, abs=1e-9)
    # The whole trial took its budget and no more, however many texts were left to try.
    assert clock.now == pytest.approx(PATTERN_TRIAL_BUDGET)


def test_overlong_patterns_are_refused() -> None:
    with pytest.raises(InvalidNoticePattern) as caught:
        compile_user_pattern("(?P<amount>1)(?P<unit>GB)" + "x" * MAX_PATTERN_CHARS)
    assert caught.value.reason == "too_long"


def test_a_pattern_that_runs_out_of_time_is_named_and_given_up() -> None:
    # Stored before the check existed (or slow only on this machine): bounded at run time.
    pattern = compile_user_pattern(EXPLODING_PATTERN, check_speed=False)
    with pytest.raises(NoticePatternTimeout) as caught:
        parse_notice("1" * 29 + " 残り500MB", [pattern])
    # (What it may spend is shown without a clock in tests/test_user_patterns.py.)
    assert caught.value.pattern is pattern
    assert EXPLODING_PATTERN not in str(caught.value)


def test_the_time_limit_covers_all_matches_of_a_pattern() -> None:
    # Each match is quick, but a text with many of them must not add up past the limit.
    pattern = compile_user_pattern(r"(?P<amount>\d)(?P<unit>Q)?", check_speed=False)
    with (
        patch("custom_components.japan_sim_data.carriers.notices.USER_PATTERN_TIMEOUT", 0.0),
        pytest.raises(NoticePatternTimeout),
    ):
        parse_notice("1" * 10, [pattern])


def test_a_trial_budget_spent_refuses_the_pattern() -> None:
    with (
        patch("custom_components.japan_sim_data.carriers.user_patterns.PATTERN_TRIAL_BUDGET", -1.0),
        pytest.raises(InvalidNoticePattern, match="too_slow"),
    ):
        compile_user_pattern(r"(?P<amount>\d+)(?P<unit>GB)")


def test_a_built_in_pattern_out_of_time_reads_nothing() -> None:
    # A safety net only: the built-in patterns are linear (see the next test).
    with patch("custom_components.japan_sim_data.carriers.notices.BUILTIN_TIMEOUT", 0.0):
        assert parse_notice("残り500MB。速度制限中。ご利用データ量 2GB") is None


# The compiled patterns of notices.py, one by one or in tuples.
_BUILT_IN_PATTERNS = frozenset(
    {
        "_REMAINING_PATTERNS",
        "_USED_PATTERNS",
        "_EXCEEDED_PATTERNS",
        "_TOP_UP_PATTERNS",
        "_EXPIRY_PATTERNS",
        "_PLAN_CONTEXT",
        "_DATA_NAMED",
        "_NOT_A_PLAN",
        "_LIFTED",
        "_THROTTLED",
        "_CONDITIONAL",
        "_SENTENCE_END",
        "_NUMBER_RUN",
    }
)


def test_every_built_in_pattern_is_watched() -> None:
    compiled = {
        name
        for name, value in vars(notices).items()
        if isinstance(value, regex.Pattern)
        or (isinstance(value, tuple) and value and isinstance(value[0], regex.Pattern))
    }
    assert compiled == _BUILT_IN_PATTERNS


@pytest.mark.parametrize(
    "text",
    [
        "残り" * (MAX_NOTICE_CHARS // 2),
        "残り" + "あ" * MAX_NOTICE_CHARS,
        "1" * MAX_NOTICE_CHARS,
        "1." * (MAX_NOTICE_CHARS // 2),
        "1," * (MAX_NOTICE_CHARS // 2),
        "あと" * (MAX_NOTICE_CHARS // 2),
        "速度制限" * (MAX_NOTICE_CHARS // 4),
        "remaining " * (MAX_NOTICE_CHARS // 10),
        "used of " * (MAX_NOTICE_CHARS // 8),
        "1GB of " * (MAX_NOTICE_CHARS // 7),
        "有効期限" + "1/" * MAX_NOTICE_CHARS,
        "残り1GB " + "12/31まで" * (MAX_NOTICE_CHARS // 7),
        " " * MAX_NOTICE_CHARS + "!",
    ],
)
def test_built_in_patterns_stay_bounded_on_hostile_texts(text: str) -> None:
    """No built-in pattern explodes on the worst texts, and every search has its time limit."""
    prepared = text[:MAX_NOTICE_CHARS]
    for pattern in (*_REMAINING_PATTERNS, *_USED_PATTERNS, *_EXPIRY_PATTERNS, _THROTTLED, _LIFTED):
        # Alone, each reads the text to its end (a TimeoutError fails the test).
        for _ in pattern.finditer(prepared, timeout=EXPLOSION_LIMIT):
            pass
    # Reading the notice, every search a built-in pattern makes is limited to BUILTIN_TIMEOUT.
    limits: list[float | None] = []
    watched: dict[str, Any] = {
        name: (
            tuple(_watched(pattern, limits) for pattern in value)
            if isinstance(value, tuple)
            else _watched(value, limits)
        )
        for name, value in vars(notices).items()
        if name in _BUILT_IN_PATTERNS
    }
    with patch.multiple(notices, **watched):
        parse_notice(text, now=NOW)
    assert limits
    assert all(limit is not None and 0 < limit <= BUILTIN_TIMEOUT for limit in limits)


# -- expiry dates stated next to an amount (issue #17, item 7) --------------------------------

NOW = datetime(2025, 11, 25, 12, 0, tzinfo=TOKYO)


@pytest.mark.parametrize(
    ("text", "expires"),
    [
        ("データ量残り1.2GB（有効期限：2026年12月31日）", date(2026, 12, 31)),
        ("【povo】データ残り１．２ＧＢ（有効期限：２０２６年１２月３１日）", date(2026, 12, 31)),
        ("データ残量 500MB 有効期限 12/31", date(2025, 12, 31)),
        # A day already past this year is next year's.
        ("データ量残り500MB 有効期限 1/15", date(2026, 1, 15)),
        ("有効期限:2026/01/31 データ残量3GB", date(2026, 1, 31)),
        ("データ量残り3GB(2026/1/31まで)", date(2026, 1, 31)),
        ("データ量残り3GBは2026年1月31日 23:59までご利用いただけます。", date(2026, 1, 31)),
        ("データ量残り3GB。令和8年2月28日まで有効です。", date(2026, 2, 28)),
        ("You have 2 GB of data left, valid until 2026-03-01.", date(2026, 3, 1)),
        ("Data left: 2GB. Expires on 2026/03/01", date(2026, 3, 1)),
    ],
)
def test_expiry_next_to_the_remaining_amount(text: str, expires: date) -> None:
    reading = parse_notice(text, now=NOW)
    assert reading is not None
    assert reading.remaining is not None
    assert reading.expires == end_of_day(expires)


@pytest.mark.parametrize(
    "text",
    [
        # No day, or not a real one: ignored, never a crash.
        "データ量残り1GB 有効期限：2026年2月30日",
        "データ量残り1GB 有効期限：2026年13月1日",
        "データ量残り1GB 有効期限：9999年12月31日",
        "データ量残り1GB 有効期限：1999/12/31",
        "データ量残り1GB 有効期限：未定",
        "データ量残り1GB 有効期限：99/99",
        # A payment due date is not the data's expiry.
        "残り1GB。お支払期限：12/31",
        "残り1GB。12/31までにお支払いください。",
        # Too far from the amount to be about it.
        "残り1GB" + "あ" * 80 + "有効期限：2026/12/31",
        # A date with no amount to belong to.
        "有効期限：2026年12月31日",
        "速度制限中です。有効期限：2026年12月31日",
    ],
)
def test_no_expiry_without_a_usable_date_next_to_the_amount(text: str) -> None:
    reading = parse_notice(text, now=NOW)
    assert reading is None or reading.expires is None


def test_a_date_without_a_year_needs_today() -> None:
    reading = parse_notice("データ量残り500MB 有効期限 12/31")
    assert reading == NoticeReading(remaining=500 * MIB, used=None, throttled=None)
    dated = parse_notice("データ量残り500MB 有効期限 2026/12/31")
    assert dated is not None
    assert dated.expires == end_of_day(date(2026, 12, 31))


def test_a_user_pattern_amount_takes_its_expiry_too() -> None:
    pattern = compile_user_pattern(r"BAL:(?P<amount>[\d.]+)(?P<unit>MB)")
    reading = parse_notice("BAL:700MB EXP 有効期限2026/02/01", [pattern], now=NOW)
    assert reading is not None
    assert reading.remaining == 700 * MIB
    assert reading.expires == datetime(2026, 2, 1, 23, 59, 59, tzinfo=TOKYO)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "残り",
                "1GB",
                "有効期限",
                ":",
                "2026",
                "年",
                "月",
                "日",
                "/",
                "12",
                "31",
                "0",
                "まで",
                "有効",
                "令和",
                "元",
                "(",
                ")",
                "valid until",
                "-",
                " ",
                "99",
                "9999",
            ]
        )
        | st.text(max_size=3)
    ).map("".join),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
)
def test_expiry_parsing_never_raises(text: str, today: date) -> None:
    reading = parse_notice(text, now=end_of_day(today))
    if reading is not None and reading.expires is not None:
        assert reading.remaining is not None
        assert 2000 <= reading.expires.year <= 2100


def test_a_built_in_search_out_of_time_finds_nothing() -> None:
    exploding = regex.compile(r"(a|aa)+$")
    with patch("custom_components.japan_sim_data.carriers.notices.BUILTIN_TIMEOUT", 0.01):
        assert _search(exploding, "a" * 40 + "b") is None


def test_a_pattern_matching_empty_text_ends_at_the_text_end() -> None:
    # Matches of no width at every position, the last one past the last character.
    pattern = compile_user_pattern(r"(?P<amount>\d*)(?P<unit>X?)")
    assert parse_notice("ab", [pattern]) is None


# -- typed evidence, data-plan context, the number grammar (#22 items 2 and 4) ----------------


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        (
            "ご利用のデータ量が1GBを超えました。",
            (Evidence(NoticeKind.USAGE_EXCEEDED, GIB),),
        ),
        (
            "Mobile data: you have exceeded 20GB this month.",
            (Evidence(NoticeKind.USAGE_EXCEEDED, 20 * GIB),),
        ),
        (
            "ご利用データ量が3GBを超えたため、送受信最大128kbpsに制限しました。",
            (Evidence(NoticeKind.USAGE_EXCEEDED, 3 * GIB), Evidence(NoticeKind.THROTTLED)),
        ),
        (
            "データ量を1GB追加しました。有効期限：2026年1月31日",
            (Evidence(NoticeKind.TOP_UP, GIB, end_of_day(date(2026, 1, 31))),),
        ),
        (
            # 「利用可能な…」 is no remaining figure when the amount is the one added.
            "ご利用可能なデータ量に500MBを追加しました。残り1.5GBです。",
            (
                Evidence(NoticeKind.TOP_UP, 500 * MIB),
                Evidence(NoticeKind.REMAINING, round(1.5 * GIB)),
            ),
        ),
        ("1GB of data has been added to your eSIM.", (Evidence(NoticeKind.TOP_UP, GIB),)),
        (
            "データ容量の有効期限は2026/12/31です。",
            (Evidence(NoticeKind.EXPIRY, expires=end_of_day(date(2026, 12, 31))),),
        ),
        ("速度制限を解除しました。", (Evidence(NoticeKind.UNTHROTTLED),)),
        (
            "今月のご利用データ量は2,560MB、残りデータ量は0.5GBです。",
            (
                Evidence(NoticeKind.USED, 2560 * MIB),
                Evidence(NoticeKind.REMAINING, round(0.5 * GIB)),
            ),
        ),
    ],
)
def test_each_statement_has_its_kind(text: str, evidence: tuple[Evidence, ...]) -> None:
    reading = parse_notice(text, now=NOW)
    assert reading is not None
    assert reading.evidence == evidence


@pytest.mark.parametrize(
    "text",
    [
        # Storage and app notices state an amount next to 残り, and are no data notices.
        "iCloudストレージの残り容量が2GBになりました。",
        "Googleドライブの残り容量：1.5GB",
        "Your iCloud storage has 2 GB left.",
        "メールボックスの残り容量が500MBです",
        "アプリのダウンロード：残り300MB",
        "残り500MB",
        # A use "if you pass" is a warning, never a lower bound.
        "データ量が3GBを超過した場合、速度を制限します。",
        "データ量が3GBを超えたら通知します。",
    ],
)
def test_built_in_patterns_need_a_data_plan(text: str) -> None:
    reading = parse_notice(text, now=NOW)
    assert reading is None or (reading.remaining is None and reading.exceeded is None)


def test_a_users_pattern_reads_whatever_the_text() -> None:
    pattern = compile_user_pattern(r"BAL:(?P<amount>\d+)(?P<unit>MB)")
    reading = parse_notice("BAL:700MB", [pattern])
    assert reading is not None
    assert reading.remaining == 700 * MIB
    assert reading.evidence == (Evidence(NoticeKind.REMAINING, 700 * MIB),)


@pytest.mark.parametrize(
    ("text", "remaining"),
    [
        ("残りデータ量は1,024MBです", GIB),
        ("残りデータ量は１，０２４．５ＭＢです", round(1024.5 * MIB)),
        # Separators out of groups of three are no number (once "1,0 GB" read as 1000 GB).
        ("残りデータ量は1,0GBです", None),
        ("残りデータ量は1234,567MBです", None),
        # ... and their tail is no figure either ("00MB" is not 0 MB).
        ("残りデータ量は10,000,00MBです", None),
        ("Data left: 10,000,00MB", None),
    ],
)
def test_amounts_follow_the_one_number_grammar(text: str, remaining: int | None) -> None:
    reading = parse_notice(text)
    assert (None if reading is None else reading.remaining) == remaining


def test_notice_dates_follow_the_plausibility_rule() -> None:
    far = parse_notice("データ量残り1GB 有効期限：2040年1月1日", now=NOW)
    assert far is not None
    assert far.expires is None
    near = parse_notice("データ量残り1GB 有効期限：2035年11月25日", now=NOW)
    assert near is not None
    assert near.expires == end_of_day(date(2035, 11, 25))


def test_sentence_searches_out_of_time_read_nothing_more() -> None:
    class Stalled:
        def split(self, *_: object, **__: object) -> list[str]:
            raise TimeoutError

        def finditer(self, *_: object, **__: object) -> list[str]:
            raise TimeoutError

        def sub(self, *_: object, **__: object) -> str:
            raise TimeoutError

    module = "custom_components.japan_sim_data.carriers.notices"
    with patch(f"{module}._SENTENCE_END", Stalled()), patch(f"{module}._NUMBER_RUN", Stalled()):
        reading = parse_notice("データ量が1GBを超えました、1,024MB", now=NOW)
        expiry = parse_notice("データ容量の有効期限は2026/12/31です。", now=NOW)
    assert reading is not None
    assert reading.exceeded == GIB
    assert reading.throttled is None
    assert expiry is None
