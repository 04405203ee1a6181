"""povo 2.0: the app's daily usage history (data used per day).

Part of the povo adapter (`povo.py` names the references by commit). Pure functions only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final

from .dates import TOKYO, plausible_day
from .errors import CarrierParseError
from .models import DailyUsage
from .povo_usage import json_objects, text_field
from .units import normalize_text, to_bytes

# ==========================================================================================
# ASSUMPTIONS (usage history): each fact names the reference it follows; "Assumed" marks what
# none shows. Correct them here when a user reports a change.
# ==========================================================================================

USAGE_HISTORY_PATH: Final = "/api/v1/quilt/page/usage-history"
"""Asked with ?type=DAILY and nothing else: the app sends no date range and povo ignores one
(povo-android USAGE-HISTORY-FINDINGS.md §2-3, "実在・動作確認済み")."""
USAGE_HISTORY_QUERY: Final[Mapping[str, str]] = {"type": "DAILY"}

# povo-android docs/USAGE-HISTORY-FINDINGS.md (a device-tested finding; its figures are
# stand-ins): the quilt page usage-history?type=DAILY holds a tile of type povo-tile-graph,
# data.graph_details[] = {time: "8日", usage: 1.23, tooltip: {title: "2026年 8月 8日",
# subtitle: "データ使用量: 1.23GB"}}: a rolling window of 31 days that leaves today out.
# `usage` is GB as a float (not the usage call's KB); binary GB as on the plan page is assumed.
# The day is read from tooltip.title (the full date); an entry without one, or without a
# figure, or with no such day (30 February), is a day povo did not report (absent, never 0).
# A day from today on is dropped: it would not be whole. A day outside the plausibility rule
# (dates.plausible_day: before 2000, or years like 0001 or 9999) makes the page unreadable:
# it is a misread, never a figure. povo notes on the page that the figure counts all data used
# except overseas toppings (unlimited and bonus data included) and is only a guide, so it may
# differ from the falls in data left. The envelope (widgets[] / pageWidgets[]) is searched as
# the plan page is. Asked at most every HISTORY_REFRESH and again on a new Tokyo day; a
# failure leaves the history out of that poll, never the figures.
HISTORY_GRAPH_TILE: Final = "povo-tile-graph"

# ==========================================================================================

_HISTORY_DAY: Final = re.compile(
    r"(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日"
)
_HISTORY_UNIT: Final = "GB"


def parse_usage_history(payload: Any, now: datetime) -> tuple[DailyUsage, ...]:
    """The whole days of the usage-history page's graph, oldest first, each once.

    Raises CarrierParseError for a figure that is not a plausible amount or a day outside the
    plausibility rule.
    """
    today = now.astimezone(TOKYO).date()
    days: dict[date, DailyUsage] = {}
    for node in json_objects(payload):
        if node.get("type") != HISTORY_GRAPH_TILE:
            continue
        data = node.get("data")
        details = data.get("graph_details") if isinstance(data, dict) else None
        if not isinstance(details, list):
            raise CarrierParseError("povo's usage graph has no list of days")
        for entry in details:
            if (day := _history_day(entry, today)) is not None:
                days[day.day] = day
    return tuple(days[day] for day in sorted(days))


def _history_day(entry: Any, today: date) -> DailyUsage | None:
    if not isinstance(entry, dict):
        raise CarrierParseError("A day of povo's usage graph is not an object")
    used = to_bytes(entry.get("usage"), _HISTORY_UNIT)
    title = text_field(entry, "tooltip", "title")
    match = _HISTORY_DAY.search(normalize_text(title)) if title is not None else None
    if used is None or match is None:
        return None
    try:
        day = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None
    plausible_day(day, today=today)
    return DailyUsage(day=day, used=used) if day < today else None
