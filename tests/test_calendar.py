"""The account's calendar: every expiry, reset and plan end, in get_events and as a trigger."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock, patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.calendar import CalendarEvent
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.japan_sim_data.calendar import (
    Texts,
    _day_event,
    _overlapping,
    _plausible,
    amount_text,
    sim_events,
)
from custom_components.japan_sim_data.carriers.dates import TOKYO, end_of_day
from custom_components.japan_sim_data.carriers.errors import CarrierConnectionError
from custom_components.japan_sim_data.carriers.models import (
    AccountUsage,
    BucketKind,
    DataBucket,
    SimUsage,
)
from custom_components.japan_sim_data.carriers.units import GIB, MIB
from custom_components.japan_sim_data.const import (
    CONF_ALLOWANCE,
    CONF_CARRIER,
    CONF_END_DATE,
    CONF_PLAN_SHAPE,
    CONF_START_DATE,
    CONF_TRACKED_CARRIER,
    DOMAIN,
)

from .conftest import FROZEN_NOW
from .test_state_writes import Writes

CALENDAR = "calendar.iijmio_mi_data_calendar"
TRANSLATIONS = Path(__file__).parents[1] / "custom_components" / "japan_sim_data" / "translations"
FIRST_SIM = "hdc11111111"


@pytest.fixture
def platforms() -> list[Platform]:
    return [Platform.CALENDAR]


@pytest.fixture(autouse=True)
async def tokyo_time_zone(hass: HomeAssistant) -> None:
    """Home Assistant in Japan: all-day events begin at midnight in Tokyo."""
    await hass.config.async_set_time_zone("Asia/Tokyo")


def _first_sim_only(*buckets: DataBucket, resets_on: date | None = None) -> AccountUsage:
    """The account with only the SIM ending in 5678, holding ``buckets``."""
    sim = SimUsage(
        sim_id=FIRST_SIM,
        plan_name="ギガプラン",
        number_suffix="5678",
        buckets=buckets,
        resets_on=resets_on,
    )
    return AccountUsage(sims={FIRST_SIM: sim})


async def _events(
    hass: HomeAssistant, entity_id: str = CALENDAR, days: int = 60
) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": entity_id, "duration": {"days": days}},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    found = response[entity_id]
    assert isinstance(found, dict)
    events = found["events"]
    assert isinstance(events, list)
    return [event for event in events if isinstance(event, dict)]


async def test_every_bucket_with_an_expiry_and_every_reset_is_an_event(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    events = await _events(hass)
    sims = init_integration.runtime_data.coordinator.data.sims.values()
    dated = sum(1 for sim in sims for bucket in sim.buckets if bucket.expires is not None)
    resets = sum(1 for sim in sims if sim.resets_on is not None)
    assert len(events) == dated + resets == 3 * 2 + 3
    summaries = [event["summary"] for event in events]
    # The carried-over data of the SIM ending in 5678 goes first, with what it still holds.
    assert "IIJmio ギガプラン (5678): carried-over data expires (4.56 GiB left)" in summaries
    first = events[0]
    assert (first["start"], first["end"]) == ("2025-11-30", "2025-12-01")
    assert "IIJmio ギガプラン (5678): data resets" in summaries
    assert sum(event["start"] == "2025-12-31" for event in events) == 3
    # The phone number never appears, only its last four digits.
    assert not any("1234" in summary for summary in summaries)


@pytest.mark.usefixtures("init_integration")
async def test_state_is_the_next_event(hass: HomeAssistant) -> None:
    state = hass.states.get(CALENDAR)
    assert state is not None
    assert state.state == STATE_OFF
    assert state.attributes["all_day"] is True
    assert state.attributes["start_time"] == "2025-11-30 00:00:00"
    assert "expires" in state.attributes["message"]


async def test_a_moment_and_an_unknown_amount_and_unavailable(
    hass: HomeAssistant, mock_iijmio: MagicMock, init_integration: MockConfigEntry
) -> None:
    expires = datetime(2025, 11, 27, 14, 0, tzinfo=TOKYO)
    mock_iijmio.async_fetch.return_value = _first_sim_only(
        DataBucket(BucketKind.TOPPING, 300 * MIB, expires=expires),
        DataBucket(BucketKind.TOPPING, None, expires=expires),
        DataBucket(BucketKind.GIFT, 2 * GIB, expires=end_of_day(date(2025, 12, 5))),
        DataBucket(BucketKind.GIFT, GIB, expires=end_of_day(date(2025, 12, 5))),
        DataBucket(BucketKind.MONTHLY, GIB),
    )
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    events = await _events(hass)
    assert [event["summary"] for event in events] == [
        # Two toppings expiring together, one of unknown size: the amount is not guessed.
        "IIJmio ギガプラン (5678): topping data expires",
        "IIJmio ギガプラン (5678): gifted data expires (3.00 GiB left)",
    ]
    assert events[0]["start"] == events[0]["end"] == "2025-11-27T14:00:00+09:00"
    state = hass.states.get(CALENDAR)
    assert state is not None
    assert state.attributes["start_time"] == "2025-11-27 14:00:00"

    mock_iijmio.async_fetch.side_effect = CarrierConnectionError("offline")
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(CALENDAR)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE


async def test_unchanged_dates_write_nothing_and_a_changed_amount_updates_the_events(
    hass: HomeAssistant, mock_iijmio: MagicMock, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    calendar = hass.data["entity_components"]["calendar"].get_entity(CALENDAR)
    assert calendar is not None
    with (
        patch.object(calendar, "async_write_ha_state") as write,
        patch.object(calendar, "async_update_event_listeners") as push,
    ):
        # A later event's amount moves (a SIM's December data): the next event stays.
        usage: AccountUsage = mock_iijmio.async_fetch.return_value
        sim = usage.sims["hdc33333333"]
        december = replace(sim.buckets[1], remaining=GIB)
        mock_iijmio.async_fetch.return_value = AccountUsage(
            sims={**usage.sims, "hdc33333333": replace(sim, buckets=(sim.buckets[0], december))}
        )
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        assert write.call_count == 0
        assert push.call_count == 1
        # The same figures again: not even the panels are told.
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        assert push.call_count == 1
        # The next event's amount (the first SIM by name, 0002) moves: the panels are told,
        # the state (which names the event without its amount) is not written.
        usage = mock_iijmio.async_fetch.return_value
        sim_id, sim = next((k, v) for k, v in usage.sims.items() if v.number_suffix == "0002")
        drained = replace(sim.buckets[0], remaining=GIB)
        mock_iijmio.async_fetch.return_value = AccountUsage(
            sims={**usage.sims, sim_id: replace(sim, buckets=(drained, *sim.buckets[1:]))}
        )
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        assert write.call_count == 0
        assert push.call_count == 2
        # That bucket gone (used up and no longer listed): the next event is another one.
        usage = mock_iijmio.async_fetch.return_value
        mock_iijmio.async_fetch.return_value = AccountUsage(
            sims={**usage.sims, sim_id: replace(sim, buckets=sim.buckets[1:])}
        )
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        assert write.call_count == 1


async def test_the_state_names_the_next_event_and_the_listed_event_its_amount(
    hass: HomeAssistant, mock_iijmio: MagicMock, init_integration: MockConfigEntry
) -> None:
    """The amount moves with every poll: in the state it would be a recorder row each time."""
    state = hass.states.get(CALENDAR)
    assert state is not None
    message = state.attributes["message"]
    assert message == "IIJmio ギガプラン (0002): carried-over data expires"
    listed = [event["summary"] for event in await _events(hass)]
    assert "IIJmio ギガプラン (0002): carried-over data expires (1.25 GiB left)" in listed
    coordinator = init_integration.runtime_data.coordinator
    usage: AccountUsage = mock_iijmio.async_fetch.return_value
    sim_id, sim = next((k, v) for k, v in usage.sims.items() if v.number_suffix == "0002")
    drained = replace(sim.buckets[0], remaining=GIB // 2)
    mock_iijmio.async_fetch.return_value = AccountUsage(
        sims={**usage.sims, sim_id: replace(sim, buckets=(drained, *sim.buckets[1:]))}
    )
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    after = hass.states.get(CALENDAR)
    assert after is not None
    assert after.last_updated == state.last_updated
    listed = [event["summary"] for event in await _events(hass)]
    assert "IIJmio ギガプラン (0002): carried-over data expires (512 MiB left)" in listed


async def test_a_started_event_is_not_written_again_by_the_next_update(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    """Home Assistant's own timer writes the state as an event starts: an update after it
    (here with the same figures) writes nothing more, not even an unchanged state."""
    calendar = hass.data["entity_components"]["calendar"].get_entity(CALENDAR)
    assert calendar is not None
    # The event's start, before any timer of this integration runs: the calendar's own alarm
    # writes the state, as Home Assistant's calendar does at an event's start or end.
    freezer.move_to("2025-11-30T00:00:00.500+09:00")
    calendar.async_write_ha_state()
    state = hass.states.get(CALENDAR)
    assert state is not None
    assert state.state == STATE_ON
    writes = Writes(hass)
    init_integration.runtime_data.coordinator.async_update_listeners()
    await hass.async_block_till_done()
    assert CALENDAR not in writes.changed + writes.reported


# The calendar trigger polls every 15 minutes until Home Assistant stops.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_a_calendar_trigger_fires_one_day_before_the_data_expires(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    fired = async_capture_events(hass, "data_expires_tomorrow")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": {
                    "trigger": "calendar",
                    "entity_id": CALENDAR,
                    "event": "start",
                    "offset": "-24:00:00",
                },
                "conditions": {
                    "condition": "template",
                    # Language-independent: the uid says what the event is.
                    "value_template": "{{ '_expires_' in trigger.calendar_event.uid }}",
                },
                "actions": {
                    "event": "data_expires_tomorrow",
                    "event_data": {"summary": "{{ trigger.calendar_event.summary }}"},
                },
            }
        },
    )
    await hass.async_block_till_done()
    moment = datetime.fromisoformat("2025-11-28T23:00:00+09:00")
    while moment < datetime.fromisoformat("2025-11-29T00:30:00+09:00"):
        moment += timedelta(minutes=5)
        freezer.move_to(moment)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        if moment < datetime.fromisoformat("2025-11-29T00:00:00+09:00"):
            assert fired == []
    # At midnight, a day before 30 November: the carried-over data of all three SIMs.
    assert sorted(event.data["summary"] for event in fired) == [
        "IIJmio ギガプラン (0002): carried-over data expires (1.25 GiB left)",
        "IIJmio ギガプラン (4321): carried-over data expires (1.25 GiB left)",
        "IIJmio ギガプラン (5678): carried-over data expires (4.56 GiB left)",
    ]


async def test_a_fixed_validity_plan_shows_its_last_day(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(FROZEN_NOW)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Travel eSIM",
        unique_id="0f0e0d0c0b0a09080706050403020100",
        data={
            CONF_CARRIER: "tracker",
            CONF_TRACKED_CARRIER: "travel",
            CONF_ALLOWANCE: 3.0,
            CONF_PLAN_SHAPE: "validity",
            CONF_START_DATE: "2025-11-20",
            CONF_END_DATE: "2025-12-03",
        },
        options={},
    )
    entry.add_to_hass(hass)
    with patch("custom_components.japan_sim_data.PLATFORMS", [Platform.CALENDAR]):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    (entity_id,) = (
        entity.entity_id
        for entity in er.async_get(hass).entities.values()
        if entity.platform == DOMAIN and entity.domain == "calendar"
    )
    events = await _events(hass, entity_id)
    # Titled with the SIM's own name, so two tracked SIMs are told apart (not "Travel SIM …").
    assert events
    assert all(event["summary"].startswith("Travel eSIM: ") for event in events)
    last_days = [event for event in events if event["summary"].endswith("last day of the plan")]
    assert [(event["start"], event["end"]) for event in last_days] == [("2025-12-03", "2025-12-04")]
    # No reset: a validity plan does not start again by itself.
    assert not any("resets" in event["summary"] for event in events)


async def test_events_in_japanese(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
) -> None:
    hass.config.language = "ja"
    freezer.move_to(FROZEN_NOW)
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.japan_sim_data.PLATFORMS", [Platform.CALENDAR]):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    calendar_id = next(iter(hass.states.async_entity_ids("calendar")))
    summaries = [event["summary"] for event in await _events(hass, calendar_id)]
    # Built from ja.json's own texts, whatever wording the glossary settles on.
    ja = json.loads((TRANSLATIONS / "ja.json").read_text(encoding="utf-8"))["selector"]
    expires = ja["calendar_event"]["options"]["bucket_expires"]
    kind = ja["bucket_kind"]["options"]["carried_over"]
    sim = "IIJmio ギガプラン (5678)"
    expected = expires.replace("{sim}", sim).replace("{kind}", kind).replace("{amount}", "4.56 GiB")
    assert expected in summaries
    assert not any("expires" in summary for summary in summaries)
    resets = ja["calendar_event"]["options"]["data_resets"].replace("{sim}", sim)
    assert resets in summaries


def test_texts_amounts_and_windows() -> None:
    # Without translations, English; braces in a SIM's name stay as they are.
    texts = Texts({})
    assert texts.get("calendar_event.data_resets", sim="{x}") == "{x}: data resets"
    assert amount_text(GIB) == "1.00 GiB"
    assert amount_text(512 * MIB) == "512 MiB"
    moment = datetime(2025, 11, 27, 14, tzinfo=TOKYO)
    event = CalendarEvent(start=moment, end=moment, summary="a moment")
    assert list(_overlapping([event], moment, moment + timedelta(hours=1))) == [event]
    assert list(_overlapping([event], moment - timedelta(hours=1), moment)) == []
    assert (
        list(_overlapping([event], moment + timedelta(seconds=1), moment + timedelta(days=1))) == []
    )


async def test_placeholder_dates_never_stop_the_calendar(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
) -> None:
    """An expiry on 9999-12-31 once raised OverflowError and the calendar was never added."""
    freezer.move_to(FROZEN_NOW)
    mock_iijmio.async_fetch.return_value = _first_sim_only(
        DataBucket(BucketKind.TOPPING, GIB, expires=end_of_day(date.max)),
        DataBucket(BucketKind.GIFT, GIB, expires=datetime(1, 1, 1, 12, tzinfo=TOKYO)),
        DataBucket(BucketKind.MONTHLY, GIB, expires=end_of_day(date(2025, 11, 30))),
        resets_on=date(1970, 1, 1),
    )
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.japan_sim_data.PLATFORMS", [Platform.CALENDAR]):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    state = hass.states.get(CALENDAR)
    assert state is not None
    assert state.attributes["start_time"] == "2025-11-30 00:00:00"
    # Only the plausible date is an event, whatever window is asked for.
    events = await _events(hass, days=365 * 30)
    assert [event["summary"] for event in events] == [
        "IIJmio ギガプラン (5678): this period's data expires (1.00 GiB left)"
    ]


def test_an_expiry_near_the_ends_of_time_is_no_date() -> None:
    today = date(2025, 11, 25)
    # 9999-12-31 23:00 UTC is already year 10000 in Tokyo: no error, just not a date.
    assert not _plausible(datetime(9999, 12, 31, 23, 0, tzinfo=UTC), today)
    assert not _plausible(datetime(1, 1, 1, 12, 0, tzinfo=TOKYO), today)
    assert _plausible(datetime(2025, 11, 30, 14, 0, tzinfo=UTC), today)


def test_the_last_day_there_is_ends_with_itself() -> None:
    event = _day_event(date.max, "end", "uid")
    assert (event.start, event.end) == (date.max, date.max)
    assert _day_event(date(2025, 11, 30), "a", "b").end == date(2025, 12, 1)


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_a_passed_month_end_is_no_event_to_come(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    """IIJmio still lists November's coupon on 1 December: it is neither counted nor next."""
    state = hass.states.get(CALENDAR)
    assert state is not None
    assert state.attributes["start_time"] == "2025-11-30 00:00:00"
    freezer.move_to("2025-11-30T23:59:00+09:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    state = hass.states.get(CALENDAR)
    assert state is not None
    assert state.state == "on"  # the last day of November's data is under way
    # Past midnight, the carrier's answer is the same (the November coupon still listed).
    freezer.move_to("2025-12-01T00:00:05+09:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(CALENDAR)
    assert state is not None
    # Under way now: December's reset, not November's expiry.
    assert state.state == "on"
    assert state.attributes["start_time"] == "2025-12-01 00:00:00"
    assert "resets" in state.attributes["message"]
    calendar = hass.data["entity_components"]["calendar"].get_entity(CALENDAR)
    assert calendar is not None
    assert [event.uid for event in calendar.planned if "2025-11-30" in event.uid] == []
    assert all(event.end_local > datetime.now(TOKYO) for event in calendar.planned)
    # Asked for the day that passed, the expired coupon is no event either: it held no data
    # a person could still use.
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            "entity_id": CALENDAR,
            "start_date_time": "2025-11-30T00:00:00+09:00",
            "end_date_time": "2025-12-01T00:00:00+09:00",
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    found = response[CALENDAR]
    assert isinstance(found, dict)
    assert found["events"] == []


async def test_an_expired_bucket_leaves_the_plan_even_before_new_figures(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
) -> None:
    topping = datetime(2025, 11, 27, 14, 0, tzinfo=TOKYO)
    usage = _first_sim_only(
        DataBucket(BucketKind.TOPPING, 300 * MIB, expires=topping),
        DataBucket(BucketKind.MONTHLY, GIB, expires=end_of_day(date(2025, 11, 30))),
    )
    sim = usage.sims[FIRST_SIM]
    mock_iijmio.async_fetch.return_value = usage
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    calendar = hass.data["entity_components"]["calendar"].get_entity(CALENDAR)
    assert calendar is not None
    assert [event.start for event in calendar.planned] == [topping, date(2025, 11, 30)]
    # A second after the topping expired, before any timer or poll: the plan follows the clock.
    freezer.move_to(topping + timedelta(seconds=1))
    assert [event.start for event in calendar.planned] == [date(2025, 11, 30)]
    # The same, as the library gives it: the expired topping is no event.
    events = sim_events(sim, "SIM", "uid", Texts({}), now=topping + timedelta(seconds=1))
    assert [event.uid for event in events] == ["uid_expires_monthly_2025-11-30T23:59:59+09:00"]
