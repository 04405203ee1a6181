"""A user's own notice patterns: checked when entered, run within one time budget per message.

Each user pattern runs under the ``regex`` engine's time limit. Limited one by one, ten patterns
that each stay just under the limit cost ten limits per message, and a crafted message sent
again and again costs that every time. Here the patterns share one budget per message (each
gets an equal share of it), and a pattern that keeps spending a large part of its share is
given up, as one that runs out of it is at once. When a pattern is entered it is tried on texts
of every character class it may meet or names, and refused when one of them makes it explode.
Reading a notice with the patterns is ``notices.parse_notice``'s work.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Final, Literal, overload

import regex

MAX_TEXT_CHARS: Final = 2000
"""The longest text any pattern runs on (the beginning of a notice, notices.MAX_NOTICE_CHARS)."""
# A user's pattern is a line of a form, not a program.
MAX_PATTERN_CHARS: Final = 500
USER_PATTERNS_BUDGET: Final = 0.25
"""Seconds all the user's patterns together may spend on one message."""
HEAVY_SHARE: Final = 0.5
"""A pattern that spends more than this part of its share on one message ran heavy."""
HEAVY_RUNS: Final = 3
"""Heavy runs, among a pattern's last HEAVY_WINDOW messages, after which it is given up."""
HEAVY_WINDOW: Final = 10
"""Messages a pattern's heavy runs are counted over (while Home Assistant runs): a crafted
message between a few ordinary ones still counts up, a rare slow moment (a busy host) does not."""

type Clock = Callable[[], float]


def _monotonic() -> float:
    """The default clock, looked up when a run starts so that a test may replace it."""
    return time.monotonic()


class PatternRun(Sequence[regex.Pattern[str]]):
    """The user's patterns as one message reads them: their shares, what each spent.

    The reader notes what each pattern spent (``note``); ``clock`` is injectable, so the
    decisions can be tested without measuring real time.
    """

    def __init__(
        self,
        patterns: Iterable[regex.Pattern[str]],
        *,
        budget: float = USER_PATTERNS_BUDGET,
        clock: Clock | None = None,
    ) -> None:
        """Split ``budget`` seconds equally among ``patterns``."""
        self._patterns = tuple(patterns)
        self.share = budget / max(1, len(self._patterns))
        """Seconds each pattern may spend on this message."""
        self.clock: Clock = clock if clock is not None else _monotonic
        self.spent: dict[regex.Pattern[str], float] = {}
        self.ran_out: list[regex.Pattern[str]] = []

    @overload
    def __getitem__(self, index: int) -> regex.Pattern[str]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[regex.Pattern[str]]: ...

    def __getitem__(self, index: int | slice) -> regex.Pattern[str] | Sequence[regex.Pattern[str]]:
        """The patterns in the user's order."""
        return self._patterns[index]

    def __len__(self) -> int:
        """How many patterns share the budget."""
        return len(self._patterns)

    def __iter__(self) -> Iterator[regex.Pattern[str]]:
        """The patterns in the user's order."""
        return iter(self._patterns)

    def note(self, pattern: regex.Pattern[str], spent: float, *, ran_out: bool = False) -> None:
        """Record what ``pattern`` spent on this message, and whether its share ran out."""
        self.spent[pattern] = self.spent.get(pattern, 0.0) + spent
        if ran_out and pattern not in self.ran_out:
            self.ran_out.append(pattern)

    def heavy(self) -> list[regex.Pattern[str]]:
        """The patterns that spent more than HEAVY_SHARE of their share without running out."""
        limit = self.share * HEAVY_SHARE
        return [
            pattern
            for pattern, spent in self.spent.items()
            if spent > limit and pattern not in self.ran_out
        ]


class PatternWatch:
    """Which of the user's patterns to give up, judged over the messages they read."""

    def __init__(self) -> None:
        """Remember nothing yet."""
        self._runs: dict[str, deque[bool]] = {}
        """Per pattern text, whether each of its last messages ran heavy."""

    def verdict(self, run: PatternRun) -> list[regex.Pattern[str]]:
        """The patterns to give up after ``run``: out of their share, or heavy too often.

        Too often is HEAVY_RUNS of its last HEAVY_WINDOW messages; a light message does not
        clear the count, or crafted messages sent between ordinary ones would never count up.
        """
        given_up = list(run.ran_out)
        heavy = run.heavy()
        for pattern in run.spent:
            if pattern in given_up:
                continue
            runs = self._runs.setdefault(pattern.pattern, deque(maxlen=HEAVY_WINDOW))
            runs.append(pattern in heavy)
            if sum(runs) >= HEAVY_RUNS:
                given_up.append(pattern)
        for pattern in given_up:
            self._runs.pop(pattern.pattern, None)
        return given_up


# -- when a pattern is entered --------------------------------------------------------------

# When a pattern is entered it is tried on texts that make backtracking patterns explode: each
# try may take this long, all of them together at most PATTERN_TRIAL_BUDGET.
PATTERN_TRIAL_TIMEOUT: Final = 0.05
PATTERN_TRIAL_BUDGET: Final = 0.5

type PatternProblem = Literal["syntax", "missing_groups", "too_long", "too_slow"]


class InvalidNoticePattern(ValueError):  # noqa: N818 - the name the integration uses
    """A user's notice pattern cannot be used; ``reason`` names why, for a translated error."""

    def __init__(self, reason: PatternProblem) -> None:
        """Keep the reason as a stable key; the message never repeats the user's text."""
        super().__init__(f"Invalid notice pattern: {reason}")
        self.reason: PatternProblem = reason


REQUIRED_GROUPS: Final = frozenset({"amount", "unit"})


def compile_user_pattern(pattern: str, *, check_speed: bool = True) -> regex.Pattern[str]:
    """Compile a user's regular expression, checked when entered rather than on every notice.

    It must name the groups ``amount`` and ``unit``; it is matched against the normalised text
    (ASCII digits and units, no thousands separators), ignoring case. Unless told otherwise it
    is also tried on texts that make backtracking patterns explode, and refused when one of
    those tries runs out of time.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        raise InvalidNoticePattern("too_long")
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE)
    except (regex.error, RecursionError, OverflowError, ValueError) as err:
        raise InvalidNoticePattern("syntax") from err
    if not compiled.groupindex.keys() >= REQUIRED_GROUPS:
        raise InvalidNoticePattern("missing_groups")
    if check_speed:
        _check_speed(compiled)
    return compiled


# What notices are made of, one character of each class: digits, letters, separators and
# punctuation (ASCII and Japanese), full-width forms, kana and kanji, spaces and line breaks.
_TRIAL_CHARACTERS: Final = "10aGB_ .,:;/-+()[]%!?~\n\t、。・「」：１ａＢ\u3000，．あアｱ残量"
# The classes a pattern may name by an escape, and characters each matches.
_TRIAL_ESCAPES: Final = {"d": "1", "s": " \t\n", "w": "a_あ", "p": "あア残", "h": " \t"}
# Characters a pattern writes by their code (\x41, \u3001, \U0001F4F1).
_TRIAL_CODES: Final = regex.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))")
# Literal words in a pattern: runs of characters that are not syntax.
_TRIAL_LITERALS: Final = regex.compile(r"[^\\()\[\]{}.*+?|^$<>=!:,\-\d]{2,8}")
# Enough for the characters above, the escapes' and a pattern's own; each costs a few tries.
_TRIAL_MAX_CHARACTERS: Final = 80
# Matches sought in each trial text.
_TRIAL_MATCHES: Final = 32


def _trial_texts(source: str) -> Iterator[str]:
    """Texts of the longest notice length that make a backtracking pattern explode.

    Long runs of every character class the pattern may name (the characters of notices, those
    the pattern's escapes stand for, every character written in it), with and without one
    that breaks the match at the end; a digit, a letter or a kana alternating with each
    separator or symbol and with each other; and each literal word of the pattern repeated.
    """
    escaped = "".join(
        _TRIAL_ESCAPES.get(char.casefold(), "") for char in regex.findall(r"\\(.)", source)
    )
    codes = [int(code, 16) for found in _TRIAL_CODES.findall(source) for code in found if code]
    escaped += "".join(chr(code) for code in codes if code <= sys.maxunicode)
    alphabet = list(dict.fromkeys(_TRIAL_CHARACTERS + escaped + source))[:_TRIAL_MAX_CHARACTERS]
    for char in alphabet:
        run = char * MAX_TEXT_CHARS
        yield run
        yield run[:-1] + ("?" if char == "!" else "!")
    bases = ("1", "a", "あ")
    partners = [char for char in alphabet if not char.isalnum()] + list(bases)
    for base in bases:
        for partner in partners:
            if partner != base:
                yield (base + partner) * (MAX_TEXT_CHARS // 2)
    for word in dict.fromkeys(_TRIAL_LITERALS.findall(source)[:8]):
        yield (word * (MAX_TEXT_CHARS // len(word) + 1))[:MAX_TEXT_CHARS]


def _check_speed(compiled: regex.Pattern[str]) -> None:
    """Refuse a pattern that runs out of time on any of the trial texts.

    Only the first matches of each text are sought: a pattern that backtracks does so on
    them, while thousands of quick matches (one of no width at every character) cost the same
    on any text, and at run time the pattern's share of the budget bounds them.
    """
    deadline = time.monotonic() + PATTERN_TRIAL_BUDGET
    try:
        for text in _trial_texts(compiled.pattern):
            # A trial gets what is left of the budget, so many slow-ish tries add up to a no.
            budget = min(PATTERN_TRIAL_TIMEOUT, deadline - time.monotonic())
            for _ in itertools.islice(matches_within(compiled, text, budget), _TRIAL_MATCHES):
                pass
    except TimeoutError as err:
        raise InvalidNoticePattern("too_slow") from err


# -- running a pattern ----------------------------------------------------------------------


def matches_within(
    pattern: regex.Pattern[str], text: str, budget: float, clock: Clock = time.monotonic
) -> Iterator[regex.Match[str]]:
    """Every match of ``pattern`` in ``text``, all of them found within ``budget`` seconds.

    TimeoutError when the budget runs out (``finditer``'s own limit is per match).
    """
    deadline = clock() + budget
    pos = 0
    while pos <= len(text):
        left = deadline - clock()
        if left <= 0:
            raise TimeoutError
        match = pattern.search(text, pos, timeout=left)
        if match is None:
            return
        yield match
        pos = max(match.end(), match.start() + 1)
