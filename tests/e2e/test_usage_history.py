"""A real Home Assistant: the account's calendar and the Used today statistic.

The replay serves IIJmio's member site (no daily history), so the statistic read here is the
Used today sensor's own, as the recorder lists it; the import of a carrier's past days is
covered with a real recorder in tests/test_usage_statistics.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import RunningHomeAssistant

pytestmark = pytest.mark.e2e

TOKYO = ZoneInfo("Asia/Tokyo")
VOICE_LINE = "(5678)"


def _calendar(home_assistant: RunningHomeAssistant) -> str:
    """The IIJmio account's calendar (other tests of the session may add tracked SIMs)."""
    (entity_id,) = (
        entity_id
        for entity_id in home_assistant.client.integration_entities()
        if entity_id.startswith("calendar.iijmio")
    )
    return entity_id


def test_the_calendar_lists_when_carried_over_data_expires(
    home_assistant: RunningHomeAssistant, iijmio_entry: str
) -> None:
    """GET /api/calendars/<id>, as the calendar panel asks: this month's carried-over data."""
    calendar = home_assistant.wait_for_state(
        _calendar(home_assistant), lambda state: state["state"] != "unavailable", "to be ready"
    )
    now = datetime.now(TOKYO)
    start, end = now - timedelta(days=1), now + timedelta(days=45)
    events: list[dict[str, Any]] = home_assistant.client.get(
        f"/api/calendars/{calendar['entity_id']}"
        f"?start={quote(start.isoformat())}&end={quote(end.isoformat())}"
    )
    summaries = [event["summary"] for event in events]
    # The replay moves the fixture's carried-over coupon (4.56 GB) to this month.
    expiry = f"IIJmio ギガプラン {VOICE_LINE}: carried-over data expires (4.56 GB left)"
    assert expiry in summaries, summaries
    (event,) = (event for event in events if event["summary"] == expiry)
    last_day = (now.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    assert event["start"] == {"date": last_day.date().isoformat()}
    assert any(summary.endswith(f"{VOICE_LINE}: data resets") for summary in summaries)
    # The entity's state is the next event.
    assert calendar["attributes"]["message"] == summaries[0]


def test_used_today_is_a_long_term_statistic(
    home_assistant: RunningHomeAssistant, iijmio_entry: str
) -> None:
    """The recorder lists Used today as a sum in bytes: the statistics card can show it."""
    used_today = home_assistant.sim_entity(VOICE_LINE, "Used today")
    state = home_assistant.state(used_today)
    assert state["attributes"]["state_class"] == "total_increasing"
    # Unknown until two readings can be compared (other tests of the session may have polled
    # the account again): then the use since midnight, never negative.
    assert state["state"] == "unknown" or float(state["state"]) >= 0
    listed = home_assistant.client.websocket_command(
        {"type": "recorder/list_statistic_ids", "statistic_type": "sum"}
    )
    (statistic,) = (item for item in listed if item["statistic_id"] == used_today)
    assert statistic["has_sum"] is True
    assert statistic["source"] == "recorder"
    assert statistic["unit_class"] == "information"
    # Kept in the unit the sensor shows (MiB), converted by Home Assistant from bytes.
    assert statistic["statistics_unit_of_measurement"] == "MiB"
