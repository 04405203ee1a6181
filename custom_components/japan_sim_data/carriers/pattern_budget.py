"""One time budget per message for all of a user's notice patterns together.

Each user pattern runs under the ``regex`` engine's time limit. Limited one by one, ten patterns
that each stay just under the limit cost ten limits per message, and a crafted message sent
again and again costs that every time. Here the patterns share one budget per message (each
gets an equal share of it), and a pattern that keeps spending a large part of its share is
given up, as one that runs out of it is at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Final, overload

import regex

USER_PATTERNS_BUDGET: Final = 0.25
"""Seconds all the user's patterns together may spend on one message."""
HEAVY_SHARE: Final = 0.5
"""A pattern that spends more than this part of its share on one message ran heavy."""
HEAVY_RUNS: Final = 3
"""Heavy runs after which a pattern is given up; counted while Home Assistant runs."""

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

    def __init__(self, heavy_runs: int = HEAVY_RUNS) -> None:
        """Give a pattern up at its ``heavy_runs``-th heavy run."""
        self._heavy_runs = heavy_runs
        self._heavy: dict[str, int] = {}

    def verdict(self, run: PatternRun) -> list[regex.Pattern[str]]:
        """The patterns to give up after ``run``: out of their share, or heavy too often.

        A message on which a pattern stays light does not clear its count: a crafted message
        sent between ordinary ones would never count up otherwise.
        """
        given_up = list(run.ran_out)
        for pattern in run.heavy():
            count = self._heavy.get(pattern.pattern, 0) + 1
            self._heavy[pattern.pattern] = count
            if count >= self._heavy_runs:
                given_up.append(pattern)
        for pattern in given_up:
            self._heavy.pop(pattern.pattern, None)
        return given_up
