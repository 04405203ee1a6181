"""A real Home Assistant: the accounts' data calendars and the carriers' past days of use.

Two IIJmio accounts are read here. The suite's member-site account (no daily history) has its
calendar read as the calendar panel asks. A second account answers on the My IIJmio app API
(tests/e2e/replay_server.py, the history account), whose /pastDataTraffic and /dataTraffic
give a day's use for every day of this month and the last seven: the integration imports
those days as an external statistic, which is read back over the websocket API the statistics
card uses, checked figure by figure against what the replay served, and read again after the
carrier corrects a day and the account is refreshed (rewritten, never added). With Chromium,
the README's two pictures are taken from this Home Assistant (JSD_E2E_DOCS, see browser.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import pytest_socket

from tests.e2e.browser import CHROMEDRIVER, CHROMIUM, Browser, chromium, keep_for_docs
from tests.e2e.conftest import OWNER, RunningHomeAssistant
from tests.e2e.harness import DOMAIN, ReplayProcess, RestClient, wait_for
from tests.e2e.replay_server import HISTORY_LOGIN, HISTORY_PASSWORD

pytestmark = pytest.mark.e2e

TOKYO = ZoneInfo("Asia/Tokyo")
VOICE_LINE = "(5678)"
HISTORY_LINE = "(2468)"
"""The history account's one line (replay_server.HISTORY_TEL)."""
MIB = 1024**2
"""IIJmio's "MB": 1 GB = 1024 MB (carriers/iijmio_app.py), stored in bytes."""
IMPORT_TIMEOUT = 60.0
"""The recorder writes imported rows from its own queue, committing every few seconds."""
DASHBOARD = "usage-history"
# How many bars (non-empty values) the chart's first series draws; 0 until it has drawn.
_CHART_BARS = """
const chart = arguments[0].chart;
if (!chart || chart.isDisposed()) return 0;
const series = chart.getOption().series || [];
if (!series.length) return 0;
return series[0].data.filter((point) => point && point[1] !== null && point[1] !== undefined)
  .length;
"""
# The first day after the calendar's view (FullCalendar's own, which the frontend keeps).
_VIEW_END = "return arguments[0].calendar.view.currentEnd.toISOString();"
_CLICK_NEXT = "arguments[0].shadowRoot.querySelector('ha-icon-button-next.next').click();"
needs_chromium = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="Debian's chromium and chromium-driver are not installed (scripts/setup does it)",
)


@pytest.fixture(scope="module")
def history_entry(home_assistant: RunningHomeAssistant) -> str:
    """The history account, added through the config flow; its entry id."""
    pytest_socket.enable_socket()
    client = home_assistant.client
    menu = client.start_flow()
    form = client.flow_step(menu["flow_id"], {"next_step_id": "iijmio"})
    result = client.flow_step(
        form["flow_id"], {"username": HISTORY_LOGIN, "password": HISTORY_PASSWORD}
    )
    assert result["type"] == "create_entry", result
    assert result["result"]["state"] == "loaded", result
    return str(result["result"]["entry_id"])


def _entry_entity(client: RestClient, entry_id: str, domain: str) -> str:
    """The one entity of ``domain`` that an entry's account device has (calendar, button)."""

    def probe() -> str | None:
        found = [
            entity["entity_id"]
            for entity in client.websocket_command({"type": "config/entity_registry/list"})
            if entity["config_entry_id"] == entry_id and entity["entity_id"].startswith(domain)
        ]
        return found[0] if len(found) == 1 else None

    return wait_for(probe, timeout=30, what=f"the {domain} entity of entry {entry_id}")


def _served_days(
    replay: ReplayProcess, correction: dict[str, str] | None = None
) -> dict[date, int]:
    """The history account's days before today, in bytes, as the replay serves them now."""
    served = replay.control("history", correction or {})["days"]
    today = datetime.now(TOKYO).date()
    days = {date.fromisoformat(day): round(float(mb) * MIB) for day, mb in served.items()}
    return {day: used for day, used in days.items() if day < today}


def _daily_statistic(client: RestClient) -> dict[str, Any]:
    """The history line's imported statistic, as the statistics card's picker lists it."""

    def probe() -> dict[str, Any] | None:
        listed = client.websocket_command(
            {"type": "recorder/list_statistic_ids", "statistic_type": "sum"}
        )
        found = [
            item
            for item in listed
            if item["statistic_id"].startswith(f"{DOMAIN}:") and HISTORY_LINE in str(item["name"])
        ]
        return found[0] if len(found) == 1 else None

    return wait_for(probe, timeout=IMPORT_TIMEOUT, what="the imported daily usage statistic")


def _daily_rows(client: RestClient, statistic_id: str, first: date) -> dict[date, dict[str, Any]]:
    """One row per day from ``first`` on, with its change and running sum, by Tokyo day."""
    start = datetime.combine(first - timedelta(days=1), datetime.min.time(), tzinfo=TOKYO)
    answer = client.websocket_command(
        {
            "type": "recorder/statistics_during_period",
            "start_time": start.isoformat(),
            "statistic_ids": [statistic_id],
            "period": "day",
            "types": ["change", "sum"],
        }
    )
    # The rows are in MiB; in bytes they compare exactly with what the replay served.
    return {
        datetime.fromtimestamp(row["start"] / 1000, TOKYO).date(): {
            **row,
            "change": round(row["change"] * MIB),
            "sum": round(row["sum"] * MIB),
        }
        for row in answer.get(statistic_id, [])
    }


def _wait_for_rows(
    client: RestClient, statistic_id: str, expected: dict[date, int]
) -> dict[date, dict[str, Any]]:
    """Wait until every expected day has its row with the expected change."""
    first = min(expected)

    def probe() -> dict[date, dict[str, Any]] | None:
        rows = _daily_rows(client, statistic_id, first)
        changes = {day: row["change"] for day, row in rows.items()}
        return rows if changes == expected else None

    return wait_for(probe, timeout=IMPORT_TIMEOUT, what=f"{len(expected)} days of usage")


def test_the_calendar_lists_when_carried_over_data_expires(
    home_assistant: RunningHomeAssistant, iijmio_entry: str
) -> None:
    """GET /api/calendars/<id>, as the calendar panel asks: this month's carried-over data."""
    calendar = home_assistant.wait_for_state(
        _entry_entity(home_assistant.client, iijmio_entry, "calendar."),
        lambda state: state["state"] != "unavailable",
        "to be ready",
    )
    now = datetime.now(TOKYO)
    start, end = now - timedelta(days=1), now + timedelta(days=45)
    events: list[dict[str, Any]] = home_assistant.client.get(
        f"/api/calendars/{calendar['entity_id']}"
        f"?start={quote(start.isoformat())}&end={quote(end.isoformat())}"
    )
    summaries = [event["summary"] for event in events]
    # The replay moves the fixture's carried-over coupon (4.56 GB, binary) to this month.
    expiry = f"IIJmio ギガプラン {VOICE_LINE}: carried-over data expires (4.56 GiB left)"
    assert expiry in summaries, summaries
    (event,) = (event for event in events if event["summary"] == expiry)
    last_day = (now.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    assert event["start"] == {"date": last_day.date().isoformat()}
    assert any(summary.endswith(f"{VOICE_LINE}: data resets") for summary in summaries)
    # The entity's state is the next event, named without the amount that moves with use.
    assert summaries[0].startswith(calendar["attributes"]["message"])
    assert "left)" not in calendar["attributes"]["message"]


def test_used_today_is_a_long_term_statistic(
    home_assistant: RunningHomeAssistant, iijmio_entry: str
) -> None:
    """The recorder lists Used today as a sum in bytes: the statistics card can show it."""
    used_today = home_assistant.sim_entity(VOICE_LINE, "Used today")
    state = home_assistant.state(used_today)
    assert state["attributes"]["state_class"] == "total_increasing"
    # Unknown on the day the account is added (its midnight was not watched), unless the
    # carrier gives today's figure: then the use since midnight, never negative.
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


def test_past_days_are_imported_as_the_carrier_served_them(
    home_assistant: RunningHomeAssistant, history_entry: str, replay: ReplayProcess
) -> None:
    """Every day before today that IIJmio's app gave is one row: its bytes, a running sum."""
    client = home_assistant.client
    expected = _served_days(replay)
    statistic = _daily_statistic(client)
    assert statistic["statistic_id"].endswith("_daily_usage")
    # Keyed: the id names neither the line's service code nor its number.
    assert "hdc44444444" not in statistic["statistic_id"]
    assert "2468" not in statistic["statistic_id"]
    assert statistic["name"] == f"IIJmio ギガプラン 15GB {HISTORY_LINE}: data used per day"
    assert (statistic["source"], statistic["has_sum"]) == (DOMAIN, True)
    # In the unit the Used today sensor shows, so a card reads MiB, not nine-digit bytes.
    assert statistic["statistics_unit_of_measurement"] == "MiB"
    assert statistic["unit_class"] == "information"

    rows = _wait_for_rows(client, statistic["statistic_id"], expected)
    assert sorted(rows) == sorted(expected)  # nothing for today: its figure still grows
    total = 0
    for day in sorted(expected):
        total += expected[day]
        assert rows[day]["sum"] == total, day
    # Home Assistant's own Used today sensor of the line is a statistic of its own.
    used_today = home_assistant.sim_entity(HISTORY_LINE, "Used today")
    assert used_today != statistic["statistic_id"]


def test_a_corrected_day_is_written_again_never_added(
    home_assistant: RunningHomeAssistant, history_entry: str, replay: ReplayProcess
) -> None:
    """IIJmio corrects yesterday; Refresh: that day's row changes, no day is added or doubled."""
    client = home_assistant.client
    before_served = _served_days(replay)
    statistic_id = _daily_statistic(client)["statistic_id"]
    before = _wait_for_rows(client, statistic_id, before_served)

    yesterday = datetime.now(TOKYO).date() - timedelta(days=1)
    corrected_mb = before_served[yesterday] / MIB + 64.5  # late traffic counted
    expected = _served_days(replay, {"day": yesterday.isoformat(), "mb": str(corrected_mb)})
    assert expected[yesterday] == before_served[yesterday] + round(64.5 * MIB)
    button = _entry_entity(client, history_entry, "button.")
    client.post("/api/services/button/press", {"entity_id": button})

    after = _wait_for_rows(client, statistic_id, expected)
    assert sorted(after) == sorted(before)
    for day in sorted(before):
        if day != yesterday:
            assert after[day]["change"] == before[day]["change"], day
            if day < yesterday:
                assert after[day]["sum"] == before[day]["sum"], day
    last = max(after)
    assert after[last]["sum"] == sum(expected.values())
    assert after[last]["sum"] == (
        before[last]["sum"] - before_served[yesterday] + expected[yesterday]
    )


# --- The README's pictures -------------------------------------------------------------------


@pytest.fixture(scope="module")
def history_dashboard(home_assistant: RunningHomeAssistant, history_entry: str) -> str:
    """A dashboard with the README's statistics-graph card and the account's calendar."""
    pytest_socket.enable_socket()
    client = home_assistant.client
    statistic_id = _daily_statistic(client)["statistic_id"]
    calendar = _entry_entity(client, history_entry, "calendar.")
    views = [
        {
            "title": "Usage",
            "path": "statistics",
            "panel": True,
            "cards": [
                {
                    "type": "statistics-graph",
                    "title": "Data used per day",
                    "chart_type": "bar",
                    "period": "day",
                    "days_to_show": 30,
                    "stat_types": ["change"],
                    "entities": [statistic_id],
                }
            ],
        },
        {
            "title": "Calendar",
            "path": "calendar",
            "panel": True,
            "cards": [
                {
                    "type": "calendar",
                    "title": "Data calendar",
                    "initial_view": "listWeek",
                    "entities": [calendar],
                }
            ],
        },
    ]
    client.websocket_command(
        {
            "type": "lovelace/dashboards/create",
            "url_path": DASHBOARD,
            "title": "Usage",
            "icon": "mdi:chart-bar",
            "mode": "storage",
            "show_in_sidebar": True,
            "require_admin": False,
        }
    )
    client.websocket_command(
        {"type": "lovelace/config/save", "url_path": DASHBOARD, "config": {"views": views}}
    )
    return f"{home_assistant.base_url}/{DASHBOARD}"


@pytest.fixture(scope="module")
def browser(home_assistant: RunningHomeAssistant, e2e_dir: Path) -> Iterator[Browser]:
    """Chromium, logged in, in a window the size of a README picture."""
    pytest_socket.enable_socket()
    shots = e2e_dir / "screenshots-history"
    shots.mkdir(exist_ok=True)
    with chromium(shots) as started:
        try:
            started.log_in(home_assistant.base_url, OWNER["username"], OWNER["password"])
            yield started
        finally:
            pytest_socket.enable_socket()


@pytest.mark.browser
@needs_chromium
def test_statistics_card_shows_the_imported_days(
    home_assistant: RunningHomeAssistant,
    replay: ReplayProcess,
    history_dashboard: str,
    browser: Browser,
) -> None:
    """The README's card: a bar per imported day, under the statistic's name."""
    statistic = _daily_statistic(home_assistant.client)
    _wait_for_rows(home_assistant.client, statistic["statistic_id"], _served_days(replay))
    browser.driver.get(f"{history_dashboard}/statistics")
    browser.wait_for_text("Data used per day", statistic["name"])
    chart = browser.wait_for_element("ha-chart-base")
    bars = wait_for(
        lambda: browser.driver.execute_script(_CHART_BARS, chart) or None,
        timeout=30,
        what="the chart's bars",
    )
    assert bars == len(_served_days(replay)), bars
    card = browser.wait_for_element("hui-statistics-graph-card")
    keep_for_docs(browser.element_screenshot(card, "statistics"), "statistics.png")


@pytest.mark.browser
@needs_chromium
def test_calendar_card_shows_the_data_calendar(
    home_assistant: RunningHomeAssistant, history_dashboard: str, browser: Browser
) -> None:
    """The account's calendar as a list: this month's carried-over data expiring, the reset."""
    browser.driver.get(f"{history_dashboard}/calendar")
    browser.wait_for_text("Data calendar")
    calendar = browser.wait_for_element("ha-full-calendar")
    # The list shows a week: step forward, as with its arrow, to the week of the month's end.
    today = datetime.now(TOKYO).date()
    month_end = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    for _ in range(6):
        week_end = date.fromisoformat(browser.driver.execute_script(_VIEW_END, calendar)[:10])
        if week_end > month_end:
            break
        browser.driver.execute_script(_CLICK_NEXT, calendar)
    text = browser.wait_for_text(
        f"IIJmio ギガプラン 15GB {HISTORY_LINE}: carried-over data expires (2.10 GiB left)"
    )
    assert "No events" not in text
    card = browser.wait_for_element("hui-calendar-card")
    keep_for_docs(browser.element_screenshot(card, "calendar"), "calendar.png")
