"""Usage from cumulative counters, read the way Home Assistant reads a ``total_increasing`` sensor.

A source (a router's download counter, the companion app's ``mobile_rx_gb``) only reports a
running total. Home Assistant's statistics (``sensor/recorder.py``, ``reset_detected``) take a
decrease of more than 10 % as a reset, a new cycle counted from 0, and a smaller dip as noise.
The counter here follows the same rule, so the tracker and the energy-style statistics of the
same sensor agree: a dip is ignored until the total passes its previous high (counting the
whole total again after a 1 MB dip once added 1.57 GiB of use that never happened), a reset
counts the new total from 0, and an unavailable source keeps its high, so a gap loses nothing
and counts nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .stored import is_count

# sensor/recorder.py: ``fstate < 0.9 * previous_fstate`` is a reset. Kept as a ratio of
# integers so bytes never pass through a float.
RESET_NUMERATOR: Final = 9
RESET_DENOMINATOR: Final = 10
WRAP_32_BIT: Final = 2**32
"""Where a 32-bit byte counter wraps to 0 (UPnP IGD's ``GetTotalBytesReceived`` is a ui4)."""


def is_reset(value: int, high: int) -> bool:
    """Tell whether ``value`` after ``high`` is a new cycle by Home Assistant's rule."""
    return value * RESET_DENOMINATOR < high * RESET_NUMERATOR


class UsageCounter:
    """Bytes used since the period began, summed over cumulative source counters."""

    __slots__ = ("_highs", "_used")

    def __init__(self) -> None:
        """Start a period with no usage and no sources seen."""
        self._used = 0
        self._highs: dict[str, int] = {}

    @property
    def used(self) -> int:
        """Bytes used since the period began."""
        return self._used

    def update(self, source_id: str, value: int | None, *, wraps_at: int | None = None) -> int:
        """Take a source's latest running total; return the bytes it adds to the usage.

        None or a negative value means unavailable: nothing changes. The first value of a
        source is its baseline. ``wraps_at`` names where a fixed-width counter rolls over to 0
        (``WRAP_32_BIT`` for UPnP): a drop from below it is then the traffic up to the wrap plus
        the new total, not a reset that forgets the traffic before it.
        """
        if value is None or value < 0:
            return 0
        high = self._highs.get(source_id)
        if high is None:
            self._highs[source_id] = value
            return 0
        if value >= high:
            added = value - high
        elif not is_reset(value, high):
            # Noise (a counter rounded differently, a late sample): wait until it passes its high.
            return 0
        elif wraps_at is not None and high < wraps_at and value < wraps_at:
            added = wraps_at - high + value
        else:
            added = value
        self._highs[source_id] = value
        self._used += added
        return added

    def reset(self) -> None:
        """Begin a new period; the sources' highs stay, so their next growth is new usage."""
        self._used = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the state as plain JSON types, to survive a restart."""
        # "baselines": the key of the first stored version, whose values were the last totals.
        return {"used": self._used, "baselines": dict(self._highs)}

    @classmethod
    def salvage(cls, data: object) -> tuple[UsageCounter, list[str]]:
        """Rebuild what can be read of a saved counter, field by field, and name what cannot.

        The one restore path. An unreadable total starts at 0; an unreadable high is dropped,
        so that source's next value becomes its baseline again (a little usage lost, nothing
        counted twice).
        """
        counter, dropped = cls(), []
        if not isinstance(data, Mapping):
            return counter, ["counter"]
        used = data.get("used")
        if is_count(used):
            counter._used = used
        else:
            dropped.append("counter.used")
        highs = data.get("baselines")
        if not isinstance(highs, Mapping):
            return counter, [*dropped, "counter.baselines"]
        for source_id, value in highs.items():
            if isinstance(source_id, str) and is_count(value):
                counter._highs[source_id] = value
            elif "counter.baselines" not in dropped:
                dropped.append("counter.baselines")
        return counter, dropped
