"""My SoftBank's usage page: the figures in its pie chart's settings, read as [MYSB] reads them.

Also what the brands' page readers share: the parsed result and the cut-short check. The
references ([MYSB] and the rest) are described in softbank.py's assumptions block.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final

from .errors import CarrierParseError
from .models import BucketKind, DataBucket
from .units import to_bytes

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ParsedUsage:
    """What a usage page says: its data slices (without expiry) and the data used this period."""

    buckets: tuple[DataBucket, ...]
    used: int | None


# --- What this module assumes about My SoftBank's usage page ---------------------------------
# [MYSB]: the figures sit in the pie chart's settings, one flat object on one line:
#   …"chartType":  "pie", "usedGigaData": "6.34", "remainData": "0.02", …,}]};
# GB as strings, "" meaning 0. The reference matches two spaces after the colon; any
# whitespace is allowed here. Assumed: 1 GB = 1024 MB, as Japanese carriers count (units.py).
# Assumed: a chart in which no key holds a figure at all (every one absent or "") says nothing,
# not "0 GB left": [MYSB] would print 0, but a page that shows no figure is unreadable here.
SOFTBANK_CHART_MARKER: Final = 'chartType":  "pie",'
_CHART_MARKER: Final = re.compile(r'chartType"\s*:\s*"pie"\s*,')
# The object holds no nested braces ([MYSB] rebuilds it as one dict), so it ends at the first
# "}"; assumed: it is shorter than this.
_CHART_SPAN: Final = 8192
SOFTBANK_KEY_USED: Final = "usedGigaData"
"""Used this period, every slice together ([MYSB] sample: 5 + 0.98 + 0.36 = 6.34)."""
SOFTBANK_KEY_REMAIN: Final = "remainData"
"""Everything left: used + remaining = plan + carried over + additions + given ([MYSB])."""
SOFTBANK_KEY_CARRIED_OVER: Final = "stepRemainData"
"""Carried over from last period, what is left of it ([MYSB] 47e8390: 繰越データ残量)."""
SOFTBANK_KEY_ADDITIONAL: Final = "currentAdditionalData"
"""Data added this period ([MYSB] 47e8390: 追加データ量)."""
SOFTBANK_KEY_ADDITIONAL_USED: Final = "currentAdditionalUsedData"
SOFTBANK_KEY_GIVEN: Final = "currentGivenData"
"""Carried-over added data: [MYSB] 47e8390 labels it 追加繰越データ量 (and its use 追加繰越使用量).
So it is a carried-over slice, not a gift."""
SOFTBANK_KEY_GIVEN_USED: Final = "currentGivenUsedData"
# Slices: what is left of additions and of carried-over additions is granted − used; carried
# over is what the page says; the plan's own slice is what remains of remainData. They are shown
# only when every key is on the page and they fit inside remainData; otherwise remainData is
# one slice. Either way the slices add up to remainData to the byte.
# Amounts go through units.to_bytes, the library's one number grammar.
# Assumed: every usage page ends with </html>. A page without it was cut short on the way: the
# slices after the cut would be missing, and what is left would read as less data than there is.
PAGE_END: Final = "</html>"
_PAGE_END: Final = re.compile(r"</html\s*>", re.IGNORECASE)
# ----------------------------------------------------------------------------------------------


def whole_page(html: str) -> str:
    """Return the page, or raise CarrierParseError when it was cut short (see PAGE_END)."""
    if _PAGE_END.search(html) is None:
        raise CarrierParseError("The carrier's usage page was cut short")
    return html


def gb_bytes(raw: str) -> int:
    """Bytes of a figure in GB as the chart writes it ("6.34", "１．５", "" = 0 as [MYSB])."""
    amount = to_bytes(raw, "GB")
    return 0 if amount is None else amount


def _key_pattern(key: str) -> re.Pattern[str]:
    """``"key": "1.23"`` with either quotes or none, as [MYSB]'s literal_eval would take it.

    Linear: every attempt starts on the key's literal, and each part after it is bounded.
    """
    return re.compile(
        rf"""(?<![\w$])["']?{re.escape(key)}(?![\w$])["']?\s*:\s*"""
        r"""(?:"([^"\n]{0,64})"|'([^'\n]{0,64})'|([^\s,}'"]{1,64}))"""
    )


_SOFTBANK_KEYS: Final = {
    key: _key_pattern(key)
    for key in (
        SOFTBANK_KEY_USED,
        SOFTBANK_KEY_REMAIN,
        SOFTBANK_KEY_CARRIED_OVER,
        SOFTBANK_KEY_ADDITIONAL,
        SOFTBANK_KEY_ADDITIONAL_USED,
        SOFTBANK_KEY_GIVEN,
        SOFTBANK_KEY_GIVEN_USED,
    )
}


def parse_softbank_usage(html: str) -> ParsedUsage:
    """Read the figures My SoftBank embeds in its pie chart's settings (GB strings, "" = 0).

    remainData is everything left; the slices are derived so that they add up to it.
    """
    marker = _CHART_MARKER.search(html)
    if marker is None:
        raise CarrierParseError("The SoftBank usage page has no data chart")
    end = html.find("}", marker.end(), marker.end() + _CHART_SPAN)
    chart = html[marker.end() : end if end >= 0 else marker.end() + _CHART_SPAN]
    texts = {key: _softbank_text(chart, key) for key in _SOFTBANK_KEYS}
    remain = texts[SOFTBANK_KEY_REMAIN]
    if remain is None:
        raise CarrierParseError("The SoftBank usage chart does not say how much data is left")
    if not any(text and text.strip() for text in texts.values()):
        raise CarrierParseError("The SoftBank usage chart holds no figure")
    values = {key: None if text is None else gb_bytes(text) for key, text in texts.items()}
    return ParsedUsage(
        buckets=_softbank_slices(gb_bytes(remain), values), used=values[SOFTBANK_KEY_USED]
    )


def _softbank_text(chart: str, key: str) -> str | None:
    """The text after ``"key":``; None when the key is absent."""
    match = _SOFTBANK_KEYS[key].search(chart)
    if match is None:
        return None
    return next(group for group in match.groups() if group is not None)


def _softbank_slices(remain: int, values: dict[str, int | None]) -> tuple[DataBucket, ...]:
    carried = values[SOFTBANK_KEY_CARRIED_OVER]
    added, added_used = values[SOFTBANK_KEY_ADDITIONAL], values[SOFTBANK_KEY_ADDITIONAL_USED]
    given, given_used = values[SOFTBANK_KEY_GIVEN], values[SOFTBANK_KEY_GIVEN_USED]
    if (
        carried is None
        or added is None
        or added_used is None
        or given is None
        or given_used is None
    ):
        return (DataBucket(kind=BucketKind.MONTHLY, remaining=remain),)
    # Used more of a slice than it holds: nothing is left of it, never less.
    added_left = max(added - added_used, 0)
    given_left = max(given - given_used, 0)
    plan_left = remain - carried - added_left - given_left
    if plan_left < 0:
        # The keys do not mean what this module thinks: show the total only.
        _LOGGER.debug("The SoftBank slices do not fit inside remainData; showing the total")
        return (DataBucket(kind=BucketKind.MONTHLY, remaining=remain),)
    return (
        DataBucket(kind=BucketKind.MONTHLY, remaining=plan_left),
        DataBucket(kind=BucketKind.CARRIED_OVER, remaining=carried),
        DataBucket(kind=BucketKind.CARRIED_OVER, remaining=given_left, total=given),
        DataBucket(kind=BucketKind.TOPPING, remaining=added_left, total=added),
    )
