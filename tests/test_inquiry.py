"""A tracked SIM asks its carrier by SMS: schedule, reply, silence, failure, limits, restarts.

A fake notify service stands in for the router or modem: it records what it was asked to send
(and may fail, or answer at once as a modem's automation would). Replies are fired as the
``sms.incoming_sms`` events the tracker already reads.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from datetime import datetime
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import Platform
from homeassistant.core import Event, HomeAssistant, ServiceCall, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.units import GIB
from custom_components.japan_sim_data.const import (
    CONF_ALLOWANCE,
    CONF_CARRIER,
    CONF_INQUIRY_ACTION,
    CONF_INQUIRY_MESSAGE,
    CONF_INQUIRY_MESSAGE_FIELD,
    CONF_INQUIRY_RECIPIENT,
    CONF_INQUIRY_RECIPIENT_FIELD,
    CONF_INQUIRY_STALE_HOURS,
    CONF_INQUIRY_TIME,
    CONF_NOTICE_EVENTS,
    CONF_NOTICE_SENDERS,
    CONF_PLAN_SHAPE,
    CONF_RESET_DAY,
    CONF_TRACKED_CARRIER,
    DOMAIN,
)
from custom_components.japan_sim_data.diagnostics import async_get_config_entry_diagnostics
from custom_components.japan_sim_data.inquirer import unanswered_issue_id
from custom_components.japan_sim_data.tracker import (
    TrackedSimUsage,
    TrackerCoordinator,
    storage_key,
)
from tests.conftest import FROZEN_NOW
from tests.test_tracker import _setup as _setup_tracker
from tests.test_tracker import _tick

TRACKER_ID = "1f1e1d1c1b1a19181716151413121110"
# A placeholder number (no carrier's): the inquiry goes to it and its replies come from it.
CARRIER_NUMBER = "0120-000-000"
SENT_TO = "0120000000"
ASK = "ZANRYO-SENTINEL-7"
"""The inquiry's text: stands for the user's own words, which must never be logged."""
REPLY = "残りデータ量は1.5GBです"
SMS_EVENT = "sms.incoming_sms"


class FakeModem:
    """notify.fake_modem: records each SMS it is asked to send; may fail or answer at once."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Register the action."""
        self.hass = hass
        self.calls: list[dict[str, Any]] = []
        self.fail: BaseException | None = None
        self.answer: str | None = None
        hass.services.async_register("notify", "fake_modem", self._send)

    async def _send(self, call: ServiceCall) -> None:
        self.calls.append(dict(call.data))
        if self.fail is not None:
            raise self.fail
        if self.answer is not None:
            self.hass.bus.async_fire(SMS_EVENT, {"phone": "+81120000000", "text": self.answer})


@pytest.fixture
def modem(hass: HomeAssistant) -> FakeModem:
    """The fake modem, registered before any entry is set up."""
    return FakeModem(hass)


def _entry(**inquiry: Any) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Modem SIM",
        unique_id=TRACKER_ID,
        data={
            CONF_CARRIER: "tracker",
            CONF_TRACKED_CARRIER: "other",
            CONF_ALLOWANCE: 3.0,
            CONF_PLAN_SHAPE: "monthly",
            CONF_RESET_DAY: 1,
        },
        options={
            CONF_NOTICE_EVENTS: [SMS_EVENT],
            CONF_NOTICE_SENDERS: [CARRIER_NUMBER],
            CONF_INQUIRY_ACTION: "notify.fake_modem",
            CONF_INQUIRY_RECIPIENT: SENT_TO,
            CONF_INQUIRY_MESSAGE: ASK,
            **inquiry,
        },
    )


def _store_inquiry(
    hass: HomeAssistant, hass_storage: dict[str, Any], entry: MockConfigEntry, inquiry: Any
) -> None:
    """Add the entry with ``inquiry`` as the inquiry state on disk, as a restart finds it."""
    entry.add_to_hass(hass)
    hass_storage[storage_key(entry.entry_id)] = {
        "version": 1,
        "minor_version": 1,
        "key": storage_key(entry.entry_id),
        "data": {"inquiry": inquiry},
    }


async def _start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    now: str = FROZEN_NOW,
) -> None:
    """Set up the added entry at ``now`` with every platform, as Home Assistant starts."""
    freezer.move_to(now)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _setup(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    now: str = FROZEN_NOW,
) -> TrackerCoordinator:
    """The tracked SIM set up at ``now``, with its refresh button."""
    return await _setup_tracker(hass, freezer, entry, now, [Platform.SENSOR, Platform.BUTTON])


def _sim(entry: MockConfigEntry) -> TrackedSimUsage:
    sim = entry.runtime_data.coordinator.data.sims[TRACKER_ID]
    assert isinstance(sim, TrackedSimUsage)
    return sim


def _entity_id(hass: HomeAssistant, key: str, domain: str = "sensor") -> str | None:
    return next(
        (
            entity.entity_id
            for entity in er.async_get(hass).entities.values()
            if entity.platform == DOMAIN
            and entity.domain == domain
            and (entity.translation_key == key)
        ),
        None,
    )


def _last_inquiry(hass: HomeAssistant) -> tuple[str, Any]:
    entity_id = _entity_id(hass, "last_inquiry")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state, state.attributes.get("replied")


async def _reply(
    hass: HomeAssistant, text: str = REPLY, phone: str | None = "+81120000000"
) -> None:
    data = {"text": text} if phone is None else {"phone": phone, "text": text}
    hass.bus.async_fire(SMS_EVENT, data)
    await hass.async_block_till_done()


async def _refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await hass.services.async_call(
        DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
    )


async def _refused_refresh(hass: HomeAssistant, entry: MockConfigEntry) -> HomeAssistantError:
    """The error a refresh is refused with."""
    with pytest.raises(HomeAssistantError) as caught:
        await _refresh(hass, entry)
    return caught.value


async def _send_failure(hass: HomeAssistant, entry: MockConfigEntry) -> str | None:
    """A refresh refused because the SMS could not be sent: the failure it names."""
    error = await _refused_refresh(hass, entry)
    assert error.translation_key == "inquiry_failed"
    return (error.translation_placeholders or {}).get("error")


def _moments(stored: list[str]) -> list[str]:
    """Stored moments as Japan's time, whatever zone Home Assistant wrote them in."""
    return [datetime.fromisoformat(text).astimezone(TOKYO).isoformat() for text in stored]


THREE_SILENCES = {"entry_title": "Modem SIM", "count": "3", "minutes": "10"}
"""The unanswered issue's placeholders after three inquiries of the 10-minute window."""


def _assert_three_silences_raised(issue_registry: ir.IssueRegistry, issue_id: str) -> None:
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "inquiry_unanswered"
    assert issue.translation_placeholders == THREE_SILENCES


def _no_secrets(caplog: pytest.LogCaptureFixture) -> None:
    assert ASK not in caplog.text
    assert SENT_TO not in caplog.text


# -- the schedule and the reply --------------------------------------------------------------


async def test_daily_inquiry_sends_the_message_and_takes_the_reply(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    modem: FakeModem,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.japan_sim_data")
    entry = _entry(**{CONF_INQUIRY_TIME: "09:00:00"})
    await _setup(hass, freezer, entry, "2025-11-25T08:59:00+09:00")
    assert modem.calls == []
    assert _last_inquiry(hass) == ("unknown", None)

    await _tick(hass, freezer, "2025-11-25T09:00:00+09:00")
    assert modem.calls == [{"message": ASK, "target": SENT_TO}]
    assert _last_inquiry(hass) == ("2025-11-25T00:00:00+00:00", None)
    assert _sim(entry).remaining is None

    await _tick(hass, freezer, "2025-11-25T09:01:00+09:00")
    await _reply(hass)
    assert _sim(entry).remaining == round(1.5 * GIB)
    assert _last_inquiry(hass) == ("2025-11-25T00:00:00+00:00", True)

    # Once a day: nothing more until tomorrow's 09:00 in Japan.
    await _tick(hass, freezer, "2025-11-25T23:59:00+09:00")
    assert len(modem.calls) == 1
    await _tick(hass, freezer, "2025-11-26T09:00:00+09:00")
    assert len(modem.calls) == 2
    assert _last_inquiry(hass) == ("2025-11-26T00:00:00+00:00", None)
    _no_secrets(caplog)


async def test_a_reply_during_the_action_counts(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, modem: FakeModem
) -> None:
    """A modem whose automation fires the reply while the action still runs."""
    modem.answer = "残りデータ量 512MB"
    entry = _entry()
    await _setup(hass, freezer, entry)
    await _refresh(hass, entry)
    await hass.async_block_till_done()
    assert len(modem.calls) == 1
    assert _sim(entry).remaining == 512 * 1024 * 1024
    assert _last_inquiry(hass) == ("2025-11-25T03:00:00+00:00", True)


async def test_an_old_notice_repeated_during_the_window_is_no_reply(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, modem: FakeModem
) -> None:
    """Issue #23, item 5: an old notice sent again while a reply is awaited undid a correction.

    A text seen before the send is no reply, and a reply that comes twice is read once.
    """
    entry = _entry()
    await _setup(hass, freezer, entry)
    await _reply(hass)
    assert _sim(entry).remaining == round(1.5 * GIB)
    # The user checks the carrier's app and corrects the figure; then asks.
    await _tick(hass, freezer, "2025-11-25T15:00:00+09:00")
    await hass.services.async_call(
        DOMAIN, "set_remaining", {"config_entry_id": entry.entry_id, "amount": 2}, blocking=True
    )
    await _refresh(hass, entry)
    await _tick(hass, freezer, "2025-11-25T15:01:00+09:00")
    await _reply(hass)  # yesterday's notice again, word for word
    assert _sim(entry).remaining == 2 * GIB
    assert _sim(entry).last_notice == datetime.fromisoformat("2025-11-25T12:00:00+09:00")
    assert _last_inquiry(hass)[1] is None
    assert entry.runtime_data.coordinator._state.inquiry.awaiting_since is not None

    # What arrived after the send is the reply; the same text once more is not news.
    await _reply(hass, "残りデータ量は1.9GBです")
    assert _sim(entry).remaining == round(1.9 * GIB)
    assert _last_inquiry(hass)[1] is True
    await hass.services.async_call(
        DOMAIN, "set_remaining", {"config_entry_id": entry.entry_id, "amount": 1}, blocking=True
    )
    await _reply(hass, "残りデータ量は1.9GBです")
    assert _sim(entry).remaining == 1 * GIB


async def test_replies_only_from_the_configured_senders(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    modem: FakeModem,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = _entry()
    await _setup(hass, freezer, entry)
    await _refresh(hass, entry)
    # A forged answer from another number, and one that names no sender, change nothing.
    await _reply(hass, "残りデータ量は100GBです", phone="+819012345678")
    await _reply(hass, "残りデータ量は100GBです", phone=None)
    assert _sim(entry).remaining is None
    assert _last_inquiry(hass)[1] is None
    # The window closes: no reply came.
    await _tick(hass, freezer, "2025-11-25T12:10:00+09:00")
    assert _last_inquiry(hass)[1] is False
    assert caplog.text.count("got no reply to its SMS inquiry") == 1
    # A late reply is still read as a notice; it answers no inquiry.
    await _reply(hass)
    assert _sim(entry).remaining == round(1.5 * GIB)
    assert _last_inquiry(hass)[1] is False


async def test_silence_warns_once_then_raises_an_issue_without_a_storm(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    modem: FakeModem,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Asked whenever the figure is an hour old: a silent carrier is asked hourly, 4 a day."""
    entry = _entry(**{CONF_INQUIRY_STALE_HOURS: 1})
    await _setup(hass, freezer, entry)
    # No figure yet: asked at once.
    assert len(modem.calls) == 1
    issue_id = unanswered_issue_id(entry.entry_id)
    for hour in (12, 13, 14):
        await _tick(hass, freezer, f"2025-11-25T{hour}:10:00+09:00")
        await _tick(hass, freezer, f"2025-11-25T{hour + 1}:00:00+09:00")
        assert len(modem.calls) == hour - 10
        has_issue = issue_registry.async_get_issue(DOMAIN, issue_id) is not None
        assert has_issue is (hour == 14)
    assert caplog.text.count("got no reply to its SMS inquiry") == 1
    _assert_three_silences_raised(issue_registry, issue_id)
    # Four today: the cap holds until midnight in Japan, whatever the age of the figure.
    for moment in ("15:10", "16:00", "18:00", "23:59"):
        await _tick(hass, freezer, f"2025-11-25T{moment}:00+09:00")
    assert len(modem.calls) == 4
    await _tick(hass, freezer, "2025-11-26T00:00:00+09:00")
    assert len(modem.calls) == 5
    # A reply clears the issue and the count of silences.
    await _reply(hass)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert entry.runtime_data.coordinator._state.inquiry.silences == 0
    _no_secrets(caplog)


async def test_the_unanswered_issue_survives_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    modem: FakeModem,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
) -> None:
    """Issue #22, item 9: the "no reply" repair was kept in memory only; a restart lost it."""
    entry = _entry(**{CONF_INQUIRY_STALE_HOURS: 1})
    await _setup(hass, freezer, entry)
    issue_id = unanswered_issue_id(entry.entry_id)
    for moment in ("12:10", "13:00", "13:10", "14:00", "14:10"):
        await _tick(hass, freezer, f"2025-11-25T{moment}:00+09:00")
    assert len(modem.calls) == 3
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    await hass.config_entries.async_unload(entry.entry_id)
    assert hass_storage[storage_key(entry.entry_id)]["data"]["inquiry"]["silences"] == 3
    # Home Assistant keeps no issue that is not persistent across a restart.
    ir.async_delete_issue(hass, DOMAIN, issue_id)
    await _start(hass, freezer, entry, "2025-11-25T14:20:00+09:00")
    _assert_three_silences_raised(issue_registry, issue_id)
    assert len(modem.calls) == 3

    # The next inquiry is answered: the issue goes, and stays gone after a restart.
    await _tick(hass, freezer, "2025-11-25T15:00:00+09:00")
    assert len(modem.calls) == 4
    await _reply(hass)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await hass.config_entries.async_unload(entry.entry_id)
    assert hass_storage[storage_key(entry.entry_id)]["data"]["inquiry"]["silences"] == 0
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_an_issue_left_over_without_silences_goes_at_start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    modem: FakeModem,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
) -> None:
    """What is stored decides: an issue from before that no silence backs is removed."""
    entry = _entry()
    _store_inquiry(hass, hass_storage, entry, {"silences": 1})
    issue_id = unanswered_issue_id(entry.entry_id)
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        is_persistent=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key="inquiry_unanswered",
        translation_placeholders=THREE_SILENCES,
    )
    await _start(hass, freezer, entry)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


# -- failures and limits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        HomeAssistantError(f"router refused {SENT_TO}: {ASK}"),
        RuntimeError(f"modem crashed on {ASK}"),
    ],
)
async def test_a_failing_action_is_a_translated_error_and_loses_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    modem: FakeModem,
    caplog: pytest.LogCaptureFixture,
    failure: Exception,
) -> None:
    entry = _entry()
    await _setup(hass, freezer, entry)
    await hass.services.async_call(
        DOMAIN, "set_remaining", {"config_entry_id": entry.entry_id, "amount": 2}, blocking=True
    )
    modem.fail = failure
    error = await _refused_refresh(hass, entry)
    assert error.translation_key == "inquiry_failed"
    assert error.translation_placeholders == {
        "entry_title": "Modem SIM",
        "action": "notify.fake_modem",
        "error": type(failure).__name__,
    }
    assert ASK not in str(error)
    assert _sim(entry).remaining == 2 * GIB
    assert _last_inquiry(hass) == ("unknown", None)
    assert not entry.runtime_data.coordinator._state.inquiry.awaiting_since
    assert "could not send its SMS inquiry through notify.fake_modem" in caplog.text
    _no_secrets(caplog)


async def test_a_scheduled_failure_is_not_retried_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    modem: FakeModem,
    caplog: pytest.LogCaptureFixture,
) -> None:
    modem.fail = HomeAssistantError("offline")
    entry = _entry(**{CONF_INQUIRY_STALE_HOURS: 2})
    await _setup(hass, freezer, entry)
    assert len(modem.calls) == 1
    await _tick(hass, freezer, "2025-11-25T13:59:00+09:00")
    assert len(modem.calls) == 1
    modem.fail = None
    await _tick(hass, freezer, "2025-11-25T14:00:00+09:00")
    assert len(modem.calls) == 2
    assert _last_inquiry(hass) == ("2025-11-25T05:00:00+00:00", None)
    assert caplog.text.count("could not send its SMS inquiry") == 1


async def test_a_vanished_action_is_a_translated_error(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, modem: FakeModem
) -> None:
    entry = _entry()
    await _setup(hass, freezer, entry)
    hass.services.async_remove("notify", "fake_modem")
    assert await _send_failure(hass, entry) == "ServiceNotFound"


async def test_a_stopped_script_is_a_failure_and_the_schedule_goes_on(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue #23, item 5: a script stopped mid-call stopped every scheduled inquiry.

    The stopped script raises CancelledError into its caller, whose own task is not cancelled:
    that is a failed send, and the next inquiry is still scheduled.
    """
    freezer.move_to("2025-11-25T08:00:00+09:00")
    sending = asyncio.Event()
    sent: list[Event] = []

    @callback
    def on_sent(event: Event) -> None:
        sent.append(event)
        sending.set()

    hass.bus.async_listen("fake_sms_sent", on_sent)

    async def modem_busy(_call: ServiceCall) -> None:
        await asyncio.Event().wait()  # the modem never answers

    hass.services.async_register("fake_modem", "send", modem_busy)
    # A script stopped while one of its actions runs raises CancelledError into its caller.
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "send_sms": {
                    "sequence": [{"event": "fake_sms_sent"}, {"action": "fake_modem.send"}]
                }
            }
        },
    )
    entry = _entry(**{CONF_INQUIRY_ACTION: "script.send_sms", CONF_INQUIRY_TIME: "09:00:00"})
    coordinator = await _setup(hass, freezer, entry, "2025-11-25T08:59:00+09:00")

    async def send_and_stop(moment: str) -> None:
        sending.clear()
        freezer.move_to(moment)
        async_fire_time_changed(hass)
        await sending.wait()
        await hass.services.async_call(
            "script", "turn_off", {"entity_id": "script.send_sms"}, blocking=True
        )
        await hass.async_block_till_done()

    await send_and_stop("2025-11-25T09:00:00+09:00")
    assert len(sent) == 1
    assert (
        caplog.text.count("could not send its SMS inquiry through script.send_sms (CancelledError)")
        == 1
    )
    state = coordinator._state.inquiry
    assert state.awaiting_since is None
    assert state.last_sent is None
    assert len(state.attempts) == 1
    # The schedule goes on: tomorrow's inquiry goes, and the day after's.
    await send_and_stop("2025-11-26T09:00:00+09:00")
    assert len(sent) == 2
    await send_and_stop("2025-11-27T09:00:00+09:00")
    assert len(sent) == 3


async def test_a_cancelled_manual_send_is_a_translated_error(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, modem: FakeModem
) -> None:
    entry = _entry()
    await _setup(hass, freezer, entry)
    modem.fail = asyncio.CancelledError()
    assert await _send_failure(hass, entry) == "CancelledError"


async def test_the_integration_cancelled_mid_send_stops_and_keeps_the_attempt(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Home Assistant stopping (the inquirer's own task cancelled) is no failure to handle."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def hang(_call: ServiceCall) -> None:
        entered.set()
        await release.wait()

    hass.services.async_register("notify", "fake_modem", hang)
    entry = _entry()
    coordinator = await _setup(hass, freezer, entry)
    inquirer = coordinator._inquirer
    assert inquirer is not None
    task = hass.async_create_task(inquirer.async_ask(manual=False))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    saved = hass_storage[storage_key(entry.entry_id)]["data"]["inquiry"]
    assert _moments(saved["attempts"]) == ["2025-11-25T12:00:00+09:00"]
    # Nothing is logged as a failed send, and another ask is not blocked.
    assert not inquirer._sending


async def test_the_attempt_is_on_disk_before_the_sms_goes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Issue #23, item 5: the attempt was saved 5 s after sending; a crash then sent it twice."""
    on_disk: list[Any] = []

    async def send(_call: ServiceCall) -> None:
        saved = hass_storage.get(storage_key(entry.entry_id))
        on_disk.append(copy.deepcopy(saved))

    hass.services.async_register("notify", "fake_modem", send)
    entry = _entry(**{CONF_INQUIRY_TIME: "09:00:00"})
    await _setup(hass, freezer, entry, "2025-11-25T08:59:00+09:00")
    await _tick(hass, freezer, "2025-11-25T09:00:00+09:00")
    assert len(on_disk) == 1
    disk = on_disk[0]
    assert disk is not None
    inquiry = disk["data"]["inquiry"]
    assert _moments(inquiry["attempts"]) == ["2025-11-25T09:00:00+09:00"]
    assert _moments([inquiry["awaiting_since"]]) == ["2025-11-25T09:00:00+09:00"]

    # Home Assistant dies right after the SMS went: only what was on disk then is left.
    await hass.config_entries.async_unload(entry.entry_id)
    hass_storage[storage_key(entry.entry_id)] = disk
    await _start(hass, freezer, entry, "2025-11-25T09:00:30+09:00")
    assert len(on_disk) == 1
    # The reply is still awaited after the restart.
    await _reply(hass)
    assert _last_inquiry(hass) == ("2025-11-25T00:00:00+00:00", True)


async def test_the_refresh_button_asks_within_the_limits(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, modem: FakeModem
) -> None:
    entry = _entry()
    await _setup(hass, freezer, entry)
    button = _entity_id(hass, "refresh", "button")
    assert button is not None

    async def press() -> None:
        await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)

    await press()
    assert len(modem.calls) == 1
    # A double press sends one SMS.
    with pytest.raises(HomeAssistantError) as caught:
        await press()
    assert caught.value.translation_key == "inquiry_too_soon"
    assert (caught.value.translation_placeholders or {}).get("time") == "12:10"
    for moment in ("12:10", "12:20", "12:30"):
        await _tick(hass, freezer, f"2025-11-25T{moment}:00+09:00")
        await press()
    assert len(modem.calls) == 4
    await _tick(hass, freezer, "2025-11-25T18:00:00+09:00")
    with pytest.raises(HomeAssistantError) as caught:
        await press()
    assert caught.value.translation_key == "inquiry_daily_cap"
    assert (caught.value.translation_placeholders or {}).get("limit") == "4"
    assert len(modem.calls) == 4
    await _tick(hass, freezer, "2025-11-26T00:00:00+09:00")
    await press()
    assert len(modem.calls) == 5


async def test_without_an_inquiry_refresh_sends_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, modem: FakeModem
) -> None:
    entry = _entry(**{CONF_INQUIRY_ACTION: None})
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=entry.title,
        unique_id=TRACKER_ID,
        data=dict(entry.data),
        options={k: v for k, v in entry.options.items() if v is not None},
    )
    await _setup(hass, freezer, entry)
    await _refresh(hass, entry)
    assert modem.calls == []
    assert _entity_id(hass, "last_inquiry") is None
    assert not entry.runtime_data.coordinator.asks_by_sms


# -- restarts --------------------------------------------------------------------------------


async def test_an_awaited_reply_survives_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    modem: FakeModem,
    hass_storage: dict[str, Any],
) -> None:
    entry = _entry()
    await _setup(hass, freezer, entry)
    await _refresh(hass, entry)
    await hass.config_entries.async_unload(entry.entry_id)
    saved = hass_storage[storage_key(entry.entry_id)]["data"]["inquiry"]
    assert datetime.fromisoformat(saved["awaiting_since"]) == datetime.fromisoformat(
        "2025-11-25T12:00:00+09:00"
    )

    await _start(hass, freezer, entry, "2025-11-25T12:05:00+09:00")
    assert _last_inquiry(hass) == ("2025-11-25T03:00:00+00:00", None)
    # The limits survived too.
    error = await _refused_refresh(hass, entry)
    assert error.translation_key == "inquiry_too_soon"
    await _reply(hass)
    assert _last_inquiry(hass)[1] is True
    assert _sim(entry).remaining == round(1.5 * GIB)


async def test_a_window_that_closed_while_stopped_is_a_silence(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    modem: FakeModem,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = _entry()
    await _setup(hass, freezer, entry)
    await _refresh(hass, entry)
    await hass.config_entries.async_unload(entry.entry_id)
    await _start(hass, freezer, entry, "2025-11-25T13:00:00+09:00")
    assert _last_inquiry(hass) == ("2025-11-25T03:00:00+00:00", False)
    assert "got no reply to its SMS inquiry" in caplog.text


async def test_a_daily_time_missed_while_stopped_is_caught_up_that_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    modem: FakeModem,
    hass_storage: dict[str, Any],
) -> None:
    entry = _entry(**{CONF_INQUIRY_TIME: "09:00:00"})
    _store_inquiry(hass, hass_storage, entry, {"attempts": ["2025-11-24T09:00:00+09:00"]})
    await _start(hass, freezer, entry, "2025-11-25T10:30:00+09:00")
    assert len(modem.calls) == 1
    # Restarted again the same day: today's inquiry has gone, none more.
    await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert len(modem.calls) == 1


async def test_a_broken_stored_inquiry_state_is_validated_on_load(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    modem: FakeModem,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Moments in the future (a clock that went back, a hand edit) would block inquiries."""
    entry = _entry()
    broken = {
        "attempts": ["2099-01-01T00:00:00+09:00"] * 4,
        "last_sent": "not a date",
        "awaiting_since": "2099-01-01T00:00:00+09:00",
        "replied": "maybe",
        "silences": 1e300,
    }
    _store_inquiry(hass, hass_storage, entry, broken)
    await _start(hass, freezer, entry)
    assert "inquiry.attempts" in caplog.text
    assert "inquiry.awaiting_since" in caplog.text
    await _refresh(hass, entry)
    assert len(modem.calls) == 1


async def test_an_unusable_stored_setting_turns_the_inquiry_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    modem: FakeModem,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = _entry(**{CONF_INQUIRY_RECIPIENT: "not a number " + SENT_TO + SENT_TO})
    await _setup(hass, freezer, entry)
    assert not entry.runtime_data.coordinator.asks_by_sms
    assert "its setting inquiry_recipient is invalid" in caplog.text
    _no_secrets(caplog)


async def test_diagnostics_leave_out_the_number_and_the_text(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, modem: FakeModem
) -> None:
    entry = _entry()
    await _setup(hass, freezer, entry)
    await _refresh(hass, entry)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    text = str(diagnostics)
    assert ASK not in text
    assert SENT_TO not in text
    assert diagnostics["entry"]["options"][CONF_INQUIRY_ACTION] == "notify.fake_modem"


# -- the options form ------------------------------------------------------------------------


async def test_inquiry_options(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, modem: FakeModem
) -> None:
    entry = _entry()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=entry.title,
        unique_id=TRACKER_ID,
        data=dict(entry.data),
        options={CONF_NOTICE_EVENTS: [SMS_EVENT], CONF_NOTICE_SENDERS: [CARRIER_NUMBER]},
    )
    await _setup(hass, freezer, entry)
    hass.services.async_register("esphome", "modem_send_sms", lambda _call: None)

    async def open_form() -> ConfigFlowResult:
        result = await hass.config_entries.options.async_init(entry.entry_id)
        assert result["type"] is FlowResultType.MENU
        assert "inquiry" in result["menu_options"]
        return await hass.config_entries.options.async_configure(
            result["flow_id"], {"next_step_id": "inquiry"}
        )

    form = await open_form()
    assert form["step_id"] == "inquiry"
    schema = form["data_schema"]
    assert schema is not None
    offered = schema.schema[CONF_INQUIRY_ACTION].config["options"]
    assert "notify.fake_modem" in offered
    assert "esphome.modem_send_sms" in offered
    assert "notify.persistent_notification" not in offered
    assert f"{DOMAIN}.refresh" not in offered

    async def submit(user_input: dict[str, Any]) -> ConfigFlowResult:
        return await hass.config_entries.options.async_configure(form["flow_id"], user_input)

    for user_input, errors in (
        ({CONF_INQUIRY_ACTION: "notify.fake_modem"}, {"base": "inquiry_incomplete"}),
        ({CONF_INQUIRY_TIME: "09:00:00"}, {"base": "inquiry_incomplete"}),
        (
            {
                CONF_INQUIRY_ACTION: "notify.no_such_router",
                CONF_INQUIRY_RECIPIENT: CARRIER_NUMBER,
                CONF_INQUIRY_MESSAGE: ASK,
            },
            {CONF_INQUIRY_ACTION: "inquiry_action_not_found"},
        ),
        (
            {
                CONF_INQUIRY_ACTION: "notify.fake_modem",
                CONF_INQUIRY_RECIPIENT: "12",
                CONF_INQUIRY_MESSAGE: ASK,
            },
            {CONF_INQUIRY_RECIPIENT: "inquiry_recipient_invalid"},
        ),
        (
            {
                CONF_INQUIRY_ACTION: "notify.fake_modem",
                CONF_INQUIRY_RECIPIENT: CARRIER_NUMBER,
                CONF_INQUIRY_MESSAGE: ASK,
                CONF_INQUIRY_RECIPIENT_FIELD: "message",
            },
            {"base": "inquiry_fields_same"},
        ),
    ):
        result = await submit(user_input)
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors
    result = await submit(
        {
            CONF_INQUIRY_ACTION: "esphome.modem_send_sms",
            CONF_INQUIRY_RECIPIENT: " 0120 000 000 ",
            CONF_INQUIRY_MESSAGE: f" {ASK} ",
            CONF_INQUIRY_TIME: "07:30:00",
            CONF_INQUIRY_STALE_HOURS: 12.0,
            CONF_INQUIRY_RECIPIENT_FIELD: "recipient",
            CONF_INQUIRY_MESSAGE_FIELD: "message",
        }
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_NOTICE_EVENTS: [SMS_EVENT],
        CONF_NOTICE_SENDERS: [CARRIER_NUMBER],
        CONF_INQUIRY_ACTION: "esphome.modem_send_sms",
        CONF_INQUIRY_RECIPIENT: SENT_TO,
        CONF_INQUIRY_MESSAGE: ASK,
        CONF_INQUIRY_TIME: "07:30:00",
        CONF_INQUIRY_STALE_HOURS: 12,
        CONF_INQUIRY_RECIPIENT_FIELD: "recipient",
        CONF_INQUIRY_MESSAGE_FIELD: "message",
    }
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinator.asks_by_sms
    assert _entity_id(hass, "last_inquiry") is not None

    # Emptied: the inquiry, its sensor and its keys go; the other options stay.
    form = await open_form()
    result = await submit({})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_NOTICE_EVENTS: [SMS_EVENT],
        CONF_NOTICE_SENDERS: [CARRIER_NUMBER],
    }
    await hass.async_block_till_done()
    assert not entry.runtime_data.coordinator.asks_by_sms
    assert _entity_id(hass, "last_inquiry") is None


async def test_a_press_as_the_window_closes_counts_the_silence_first(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    modem: FakeModem,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The reply's timer and a press at the same moment: the silence is counted, then asked."""
    entry = _entry()
    await _setup(hass, freezer, entry)
    await _refresh(hass, entry)
    freezer.move_to("2025-11-25T12:10:00+09:00")  # no timer has run yet
    await _refresh(hass, entry)
    assert len(modem.calls) == 2
    assert entry.runtime_data.coordinator._state.inquiry.silences == 1
    assert "got no reply to its SMS inquiry" in caplog.text
    assert _last_inquiry(hass) == ("2025-11-25T03:10:00+00:00", None)


async def test_a_scheduled_inquiry_held_back_by_a_press_waits(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, modem: FakeModem
) -> None:
    entry = _entry(**{CONF_INQUIRY_STALE_HOURS: 3})
    coordinator = await _setup(hass, freezer, entry)
    assert len(modem.calls) == 1
    await _tick(hass, freezer, "2025-11-25T12:30:00+09:00")
    inquirer = coordinator._inquirer
    assert inquirer is not None
    # A scheduled inquiry that finds the limits closed sends nothing and waits.
    await inquirer.async_ask(manual=False)
    assert len(modem.calls) == 1
    await _tick(hass, freezer, "2025-11-25T15:00:00+09:00")
    assert len(modem.calls) == 2
