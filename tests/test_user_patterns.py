"""Users' notice patterns under one time budget per message (issue #23, item 2).

The attack: ten patterns that each stay just under the per-pattern time limit cost about 1 s of
event-loop time per crafted message, indefinitely; the speed trial never tried separators.
No test here measures wall time: a clock is injected, or the decision is one that exponential
backtracking makes whatever the machine's speed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, cast
from unittest.mock import patch

import pytest
import regex
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.japan_sim_data.carriers import notices
from custom_components.japan_sim_data.carriers.notices import (
    MAX_NOTICE_CHARS,
    USER_PATTERN_TIMEOUT,
    NoticePatternTimeout,
    parse_notice,
)
from custom_components.japan_sim_data.carriers.units import MIB
from custom_components.japan_sim_data.carriers.user_patterns import (
    HEAVY_RUNS,
    HEAVY_SHARE,
    HEAVY_WINDOW,
    USER_PATTERNS_BUDGET,
    InvalidNoticePattern,
    PatternRun,
    PatternWatch,
    _trial_texts,
    compile_user_pattern,
)
from custom_components.japan_sim_data.const import (
    CONF_NOTICE_EVENTS,
    CONF_NOTICE_PATTERNS,
    CONF_NOTICE_SENDERS,
    CONF_TRACKED_CARRIER,
    DOMAIN,
)
from custom_components.japan_sim_data.tracker import (
    digest,
    slow_pattern_issue_id,
    storage_key,
)
from tests.test_tracker import _entry as _tracker_entry
from tests.test_tracker import _setup, _sim  # _setup: at FROZEN_NOW, the sensors only

SMS = "sms.incoming_sms"
# Backtracks without end on a run of digits that no "x" follows.
EXPLODING = r"(?P<amount>(1|11)+)x(?P<unit>GB)"
CRAFTED = "1" * 40 + " 残りデータ量 500MB"


class FakeClock:
    """A clock that moves only when told to (or by ``step`` at every reading)."""

    def __init__(self, step: float = 0.0) -> None:
        """Start at 0."""
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        """Read the time; a stepping clock moves on after each reading."""
        now = self.now
        self.now += self.step
        return now


class CostlyPattern:
    """Stands for a compiled pattern that takes ``cost`` seconds of ``clock`` per search.

    Like the regex engine, it gives up with TimeoutError when ``cost`` passes the timeout.
    """

    def __init__(self, clock: FakeClock, cost: float, name: str) -> None:
        """Wrap a real pattern that never matches the texts used here."""
        self.clock = clock
        self.cost = cost
        self.pattern = rf"{name}(?P<amount>\d+)(?P<unit>GB)"
        self._real = regex.compile(self.pattern)
        self.timeouts: list[float] = []

    def search(self, text: str, pos: int = 0, *, timeout: float) -> regex.Match[str] | None:
        """Spend ``cost`` (at most ``timeout``), then search for real."""
        self.timeouts.append(timeout)
        if self.cost > timeout:
            self.clock.now += timeout
            raise TimeoutError
        self.clock.now += self.cost
        return self._real.search(text, pos)


def _costly(clock: FakeClock, costs: list[float]) -> list[regex.Pattern[str]]:
    return [
        cast("regex.Pattern[str]", CostlyPattern(clock, cost, f"P{n}"))
        for n, cost in enumerate(costs)
    ]


# -- one budget for all patterns together ----------------------------------------------------


def test_ten_slow_patterns_cost_one_budget_per_message_not_ten() -> None:
    """Each just under the old per-pattern limit: 2.4 s a message then, one budget now."""
    clock = FakeClock()
    patterns = _costly(clock, [0.24] * 10)
    run = PatternRun(patterns, clock=clock)
    assert run.share == pytest.approx(USER_PATTERNS_BUDGET / 10)
    reading = parse_notice(CRAFTED, run)
    # The built-in patterns still read the notice.
    assert reading is not None
    assert reading.remaining == 500 * MIB
    assert clock.now <= USER_PATTERNS_BUDGET + 1e-9
    assert run.ran_out == patterns
    for pattern in patterns:
        assert max(cast("CostlyPattern", pattern).timeouts) <= run.share + 1e-9
    # All ten are given up at once: the next crafted message costs them nothing.
    assert PatternWatch().verdict(run) == patterns


def test_a_pattern_within_its_share_runs_and_the_next_still_reads() -> None:
    clock = FakeClock()
    slow, light = _costly(clock, [1.0, 0.0])
    good = regex.compile(r"BAL:(?P<amount>\d+)(?P<unit>MB)")
    run = PatternRun([slow, light, good], clock=clock)
    reading = parse_notice("BAL:700MB", run)
    assert reading is not None
    assert reading.remaining == 700 * MIB
    assert run.ran_out == [slow]
    assert run.spent[light] == 0.0
    assert run.heavy() == []


def test_plain_patterns_share_the_budget_too_and_name_the_one_out_of_time() -> None:
    # Without a run, the first pattern out of its share raises, as callers expect.
    pattern = compile_user_pattern(EXPLODING, check_speed=False)
    with (
        patch.object(notices, "USER_PATTERN_TIMEOUT", 0.0),
        pytest.raises(NoticePatternTimeout) as caught,
    ):
        parse_notice(CRAFTED, [pattern])
    assert caught.value.pattern is pattern


def test_a_run_holds_the_patterns_in_the_users_order() -> None:
    patterns = [regex.compile("a"), regex.compile("b")]
    run = PatternRun(patterns)
    assert len(run) == 2
    assert run[1] is patterns[1]
    assert list(run[:1]) == patterns[:1]
    assert PatternRun([]).share == USER_PATTERNS_BUDGET


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("(?P<amount>1)(?P<unit>GB)" + "x" * 500, "too_long"),
        ("(?P<amount>", "syntax"),
        (r"(?P<amount>\d+)GB", "missing_groups"),
    ],
)
def test_an_unusable_pattern_says_why(source: str, reason: str) -> None:
    with pytest.raises(InvalidNoticePattern) as caught:
        compile_user_pattern(source)
    assert caught.value.reason == reason


# -- a pattern that keeps spending much of its share is given up -----------------------------


def _message(watch: PatternWatch, clock: FakeClock, patterns: list[regex.Pattern[str]]) -> Any:
    run = PatternRun(patterns, clock=clock)
    parse_notice("no figure here", run)
    return watch.verdict(run)


def test_a_pattern_heavy_again_and_again_is_given_up() -> None:
    clock = FakeClock()
    share = USER_PATTERNS_BUDGET / 2
    heavy, light = _costly(clock, [share * (HEAVY_SHARE + 0.1), share * (HEAVY_SHARE - 0.1)])
    watch = PatternWatch()
    verdicts = [_message(watch, clock, [heavy, light]) for _ in range(HEAVY_RUNS)]
    assert verdicts == [[]] * (HEAVY_RUNS - 1) + [[heavy]]
    # The light one is never given up, however many messages it reads.
    assert all(_message(watch, clock, [light]) == [] for _ in range(3 * HEAVY_RUNS))


def test_light_messages_between_crafted_ones_do_not_clear_the_count() -> None:
    clock = FakeClock()
    pattern = CostlyPattern(clock, USER_PATTERNS_BUDGET * 0.9, "P")
    watch = PatternWatch()
    verdicts = []
    for _ in range(HEAVY_RUNS):
        pattern.cost = USER_PATTERNS_BUDGET * 0.9  # a crafted message
        verdicts.append(_message(watch, clock, [cast("regex.Pattern[str]", pattern)]))
        pattern.cost = 0.0  # an ordinary one
        verdicts.append(_message(watch, clock, [cast("regex.Pattern[str]", pattern)]))
    assert verdicts[-2] == [pattern]
    assert all(verdict == [] for verdict in verdicts[:-2])


@pytest.mark.parametrize(("every", "given_up_at"), [(4, 9), (5, None)])
def test_heavy_runs_count_over_the_last_messages_only(every: int, given_up_at: int | None) -> None:
    """A heavy run every 4th message is an attack; every 5th, a host busy now and then."""
    clock = FakeClock()
    pattern = CostlyPattern(clock, 0.0, "P")
    watch = PatternWatch()
    verdicts = []
    for count in range(1, 5 * HEAVY_WINDOW):
        pattern.cost = USER_PATTERNS_BUDGET * 0.9 if count % every == 1 else 0.0
        verdicts.append(_message(watch, clock, [cast("regex.Pattern[str]", pattern)]))
    # (Given up, a pattern reads no more; here it goes on, and would be given up again.)
    given_up = [count for count, verdict in enumerate(verdicts, start=1) if verdict]
    assert given_up[:1] == ([] if given_up_at is None else [given_up_at])


# -- the trial tries every character class a pattern names -----------------------------------


def _texts(source: str) -> Iterator[str]:
    for text in _trial_texts(source):
        assert len(text) == MAX_NOTICE_CHARS
        yield text


@pytest.mark.parametrize(
    ("source", "tried"),
    [
        # Separators and Japanese punctuation, as runs and between digits or letters.
        (r"(?P<amount>\d+)(?P<unit>GB)", ["、", "。", ",", "-", "/", ":", "\n", "1、", "a "]),
        # A digit, a letter and a kana alternating.
        (r"(?P<amount>\d+)(?P<unit>GB)", ["1a", "a1", "あ1", "1あ"]),
        # Full-width forms, kana and kanji.
        (r"(?P<amount>\d+)(?P<unit>GB)", ["１", "\u3000", "あ", "ア", "残"]),
        # What the pattern's escapes stand for.
        (r"(?P<amount>\w+)\s(?P<unit>GB)", ["_", "\t", "あ"]),
        # The characters and literal words the pattern writes.
        (r"(?P<amount>(ギガ|ギガギガ)+)(?P<unit>GB)", ["ギ", "ギガ"]),
        (r"(?P<amount>(#|##)+)x(?P<unit>GB)", ["#"]),
        # Characters written by their code (one past Unicode's end is no character).
        (r"(?P<amount>(\u30fc|\x7e|\U0001F4F1)+)(?P<unit>GB)\UFFFFFFFF", ["ー", "~", "📱"]),
    ],
)
def test_the_trial_tries_every_class_the_pattern_names(source: str, tried: list[str]) -> None:
    texts = set(_texts(source))
    for chunk in tried:
        assert any(text.startswith(chunk * 3) for text in texts), chunk


@pytest.mark.parametrize(
    "source",
    [
        # Each passed the old trial (no separator, symbol or repeated word was tried) and
        # then spent its whole limit on every crafted notice.
        r"(?P<amount>(、|、、)+)x(?P<unit>GB)",
        r"(?P<amount>(-|--)+)x(?P<unit>GB)",
        r"(?P<amount>(ab|abab)+)x(?P<unit>GB)",
    ],
)
def test_patterns_that_explode_on_separators_are_refused(source: str) -> None:
    with pytest.raises(InvalidNoticePattern) as caught:
        compile_user_pattern(source)
    assert caught.value.reason == "too_slow"


@pytest.mark.parametrize(
    "source",
    [
        r"残り\s*(?P<amount>[\d.]+)\s*(?P<unit>ギガ|MB)",
        # Thousands of quick matches (of no width at every character) are no backtracking.
        r"(?P<amount>\d*)(?P<unit>X?)",
        r"(?P<amount>\d+)(?P<unit>GB)?",
    ],
)
def test_ordinary_patterns_pass_the_trial(source: str) -> None:
    assert compile_user_pattern(source).pattern == source


# -- in Home Assistant ------------------------------------------------------------------------


def _entry(patterns: list[str]) -> MockConfigEntry:
    """test_tracker's tracked SIM (3 GB a month), of no known carrier, reading ``patterns``."""
    return _tracker_entry(
        data={CONF_TRACKED_CARRIER: "other"},
        options={
            CONF_NOTICE_EVENTS: [SMS],
            CONF_NOTICE_SENDERS: [],
            CONF_NOTICE_PATTERNS: patterns,
        },
    )


async def _sms(hass: HomeAssistant, text: str) -> None:
    hass.bus.async_fire(SMS, {"phone": "151", "text": text})
    await hass.async_block_till_done()


def _remaining(entry: MockConfigEntry) -> int | None:
    return _sim(entry).remaining


def _given_up(caplog: pytest.LogCaptureFixture) -> int:
    return sum(
        1
        for record in caplog.records
        if record.levelno == logging.WARNING and "took too long and is skipped" in record.message
    )


async def test_ten_exploding_patterns_cost_one_budget_and_are_all_given_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Stored before the trial knew them: each used to cost its own limit, one by one."""
    sources = [f"(?:P{n})?{EXPLODING}" for n in range(10)]
    entry = _entry(sources)
    await _setup(hass, freezer, entry)
    budgets: list[float] = []
    first_amount_of = notices._first_amount_of

    def spy(pattern: regex.Pattern[str], text: str, budget: float, *args: Any) -> Any:
        if pattern.pattern in sources:
            budgets.append(budget)
        return first_amount_of(pattern, text, budget, *args)

    with patch.object(notices, "_first_amount_of", spy):
        await _sms(hass, CRAFTED)
        # The time handed to the ten patterns together is one budget, not ten limits.
        assert len(budgets) == 10
        assert sum(budgets) == pytest.approx(USER_PATTERN_TIMEOUT)
        # The notice was read all the same, and all ten are given up at once.
        assert _remaining(entry) == 500 * MIB
        assert _given_up(caplog) == 10
        issue = issue_registry.async_get_issue(DOMAIN, slow_pattern_issue_id(entry.entry_id))
        assert issue is not None
        assert issue.translation_key == "notice_pattern_slow"
        # The next crafted message costs the patterns nothing.
        await _sms(hass, "1" * 41 + " 残りデータ量 400MB")
        assert len(budgets) == 10
        assert _remaining(entry) == 400 * MIB
    await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[storage_key(entry.entry_id)]["data"]["slow_patterns"]
    assert sorted(stored) == sorted(digest(source) for source in sources)


@pytest.mark.parametrize(("share_spent", "given_up_after"), [(0.6, HEAVY_RUNS), (0.3, None)])
async def test_patterns_that_keep_spending_much_of_their_share_are_given_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
    share_spent: float,
    given_up_after: int | None,
) -> None:
    """Just under the limit, never out of time: given up after a few messages all the same.

    The clock moves by a fixed step at each reading: a pattern's search with no match costs
    three steps (start, its deadline, the search's limit), set here to ``share_spent`` of
    its share.
    """
    sources = [rf"P{n}:(?P<amount>\d+)(?P<unit>GB)" for n in range(10)]
    entry = _entry(sources)
    await _setup(hass, freezer, entry)
    share = USER_PATTERNS_BUDGET / len(sources)
    clock = FakeClock(step=share * share_spent / 3)
    issue_id = slow_pattern_issue_id(entry.entry_id)
    with patch("custom_components.japan_sim_data.carriers.user_patterns._monotonic", clock):
        for count in range(1, 2 * HEAVY_RUNS + 1):
            await _sms(hass, f"残りデータ量 {count}00MB")
            assert _remaining(entry) == count * 100 * MIB
            expected = 10 if given_up_after is not None and count >= given_up_after else 0
            assert _given_up(caplog) == expected, count
            assert (issue_registry.async_get_issue(DOMAIN, issue_id) is not None) is bool(expected)


async def test_a_pattern_entered_twice_is_given_up_whole(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same text twice compiles to one pattern: giving it up leaves no copy running."""
    entry = _entry([EXPLODING, EXPLODING])
    await _setup(hass, freezer, entry)
    calls: list[str] = []
    first_amount_of = notices._first_amount_of

    def spy(pattern: regex.Pattern[str], text: str, budget: float, *args: Any) -> Any:
        if pattern.pattern == EXPLODING:
            calls.append(text)
        return first_amount_of(pattern, text, budget, *args)

    with patch.object(notices, "_first_amount_of", spy):
        await _sms(hass, CRAFTED)
        assert _given_up(caplog) == 1
        await _sms(hass, "1" * 41 + " 残りデータ量 400MB")
    assert len(calls) == 2  # both copies on the first message, none on the second
    assert _given_up(caplog) == 1
    assert _remaining(entry) == 400 * MIB
    await hass.config_entries.async_unload(entry.entry_id)
    assert hass_storage[storage_key(entry.entry_id)]["data"]["slow_patterns"] == [digest(EXPLODING)]
