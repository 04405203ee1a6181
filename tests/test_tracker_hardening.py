"""The plan tracker under attack: slow patterns, broken storage, wild arguments, forged senders.

Each test reproduces an attack from issue #12 (items 4, 5, 6 and 11) on a real Home Assistant
and shows what happens now; the last group shows notices' expiry dates (issue #17, item 7).
No test here measures wall time: the patterns' time limits are shown handed to each search and
taken (the pattern given up, the repair issue raised), on patterns whose backtracking runs out
of any limit whatever the machine's speed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from unittest.mock import patch

import pytest
import regex
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.japan_sim_data.carriers import notices, user_patterns
from custom_components.japan_sim_data.carriers.dates import TOKYO, end_of_day
from custom_components.japan_sim_data.carriers.models import AccountUsage, BucketKind, SimUsage
from custom_components.japan_sim_data.carriers.notices import (
    USER_PATTERN_TIMEOUT,
)
from custom_components.japan_sim_data.carriers.tracking_presets import official_senders
from custom_components.japan_sim_data.carriers.units import GIB, MIB
from custom_components.japan_sim_data.carriers.user_patterns import PATTERN_TRIAL_TIMEOUT
from custom_components.japan_sim_data.const import (
    CONF_END_DATE,
    CONF_NOTICE_ENTITIES,
    CONF_NOTICE_EVENTS,
    CONF_NOTICE_PATTERNS,
    CONF_NOTICE_SENDERS,
    CONF_PLAN_SHAPE,
    CONF_START_DATE,
    CONF_TRACKED_CARRIER,
    CONF_USAGE_SENSORS,
    DOMAIN,
)
from custom_components.japan_sim_data.history import SimHistories
from custom_components.japan_sim_data.tracker import (
    SenderFilter,
    digest,
    slow_pattern_issue_id,
    storage_key,
)
from custom_components.japan_sim_data.tracker_flow import notice_defaults

from .conftest import FROZEN_NOW
from .test_tracker import (
    DOWNLOAD,
    TRACKER_ID,
    _counter,
    _entity_state,
    _entry,
    _imap_event,
    _setup,
    _sim,
    _tick,
)

EXPLODING_PATTERN = r"(?P<amount>(1|11)+)x(?P<unit>GB)"
ISSUE_PATTERN = r"(?P<amount>(\d+)+)x(?P<unit>GB)"
SMS = "sms.incoming_sms"


def _sms(hass: HomeAssistant, text: str, phone: str = "151") -> None:
    hass.bus.async_fire(SMS, {"phone": phone, "date": "2025-11-25 12:00:00", "text": text})


def _store(hass_storage: dict[str, Any], entry: MockConfigEntry, data: Any) -> None:
    hass_storage[storage_key(entry.entry_id)] = {
        "version": 1,
        "minor_version": 1,
        "key": storage_key(entry.entry_id),
        "data": data,
    }


def _warnings(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(
        1
        for record in caplog.records
        if record.levelno == logging.WARNING and text in record.message
    )


# -- A. user patterns cannot freeze Home Assistant (#12, item 4) -------------------------------


class Searches:
    """Watches a module's ``matches_within``: the budget each pattern is handed, who ran out.

    Running out is the TimeoutError the module's reader then handles.
    """

    def __init__(self, module: Any) -> None:
        """Wrap ``module.matches_within``; the test puts this in its place."""
        self._real = module.matches_within
        self.handed: list[tuple[str, float]] = []
        self.ran_out: list[str] = []
        self.out_at: list[int] = []
        """How many searches had been handed a budget when each ran out."""

    def __call__(
        self, pattern: regex.Pattern[str], text: str, budget: float, *args: Any
    ) -> Iterator[regex.Match[str]]:
        """Note the budget, then search for real; note a TimeoutError on its way out."""
        self.handed.append((pattern.pattern, budget))
        try:
            yield from self._real(pattern, text, budget, *args)
        except TimeoutError:
            self.ran_out.append(pattern.pattern)
            self.out_at.append(len(self.handed))
            raise

    def of(self, source: str) -> list[float]:
        """The budgets the pattern ``source`` was handed, in order."""
        return [budget for pattern, budget in self.handed if pattern == source]


def _watch_notices(monkeypatch: pytest.MonkeyPatch) -> Searches:
    """Watch the searches notices make, the patterns' runs on a clock that never moves.

    A run then counts nothing spent, so only the regex engine's own time limit can give a
    pattern up: exponential backtracking reaches it whatever the machine's speed, a busy
    host's slow moment does not.
    """
    searches = Searches(notices)
    monkeypatch.setattr(notices, "matches_within", searches)
    monkeypatch.setattr(user_patterns, "_monotonic", lambda: 0.0)
    return searches


async def test_the_issue_pattern_no_longer_blocks_the_loop(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pattern the form accepted, and the 29-character SMS that blocked the loop 20 s."""
    entry = _entry(
        options={
            CONF_NOTICE_EVENTS: [SMS],
            CONF_NOTICE_SENDERS: [],
            CONF_NOTICE_PATTERNS: [ISSUE_PATTERN],
        }
    )
    await _setup(hass, freezer, entry)
    searches = _watch_notices(monkeypatch)
    _sms(hass, "1" * 29)
    _sms(hass, "1" * 1000)
    await hass.async_block_till_done()
    # Each notice bounded the pattern by the whole budget (it is the only one), no more ...
    assert searches.of(ISSUE_PATTERN) == [USER_PATTERN_TIMEOUT] * 2
    # ... and the engine does not backtrack on it: it never ran out, nor was it given up.
    assert searches.ran_out == []
    assert _warnings(caplog, "Notice pattern 1 of") == 0
    assert issue_registry.async_get_issue(DOMAIN, slow_pattern_issue_id(entry.entry_id)) is None
    _sms(hass, "残高 12xGB")
    await hass.async_block_till_done()
    assert _sim(entry).remaining == 12 * GIB


async def test_a_pattern_that_times_out_is_reported_once_and_skipped(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Saved before patterns were tried for speed, or slow only on this machine: stored
    # patterns are not tried again at start-up, so only the time limit stands in the way.
    options = {
        CONF_NOTICE_EVENTS: [SMS],
        CONF_NOTICE_SENDERS: [],
        CONF_NOTICE_PATTERNS: [r"BAL:(?P<amount>\d+)(?P<unit>MB)", EXPLODING_PATTERN],
    }
    entry = _entry(options=options)
    issue_id = slow_pattern_issue_id(entry.entry_id)
    await _setup(hass, freezer, entry)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    searches = _watch_notices(monkeypatch)
    balance = options[CONF_NOTICE_PATTERNS][0]

    _sms(hass, "1" * 29 + " データ量残り500MB")
    await hass.async_block_till_done()
    # The pattern was bounded by its share of the budget, ran out of it once, and the notice
    # was still read without it.
    assert searches.of(EXPLODING_PATTERN) == [USER_PATTERN_TIMEOUT / 2]
    assert searches.ran_out == [EXPLODING_PATTERN]
    assert _sim(entry).remaining == 500 * MIB
    assert _warnings(caplog, "Notice pattern 2 of") == 1
    assert EXPLODING_PATTERN not in caplog.text
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "notice_pattern_slow"
    assert issue.translation_placeholders == {"entry_title": "Router SIM"}

    # Never retried: the next notices do not search with it (the other pattern has the whole
    # budget), and log nothing more.
    for length in (29, 31, 33):
        _sms(hass, "1" * length + f" データ量残り{length}MB")
    await hass.async_block_till_done()
    assert len(searches.of(EXPLODING_PATTERN)) == 1
    assert searches.of(balance) == [USER_PATTERN_TIMEOUT / 2] + [USER_PATTERN_TIMEOUT] * 3
    assert _sim(entry).remaining == 33 * MIB
    assert _warnings(caplog, "Notice pattern 2 of") == 1
    # The other pattern still works.
    _sms(hass, "BAL:700MB")
    await hass.async_block_till_done()
    assert _sim(entry).remaining == 700 * MIB

    # Not after a restart either, while the pattern stays the same.
    await hass.config_entries.async_unload(entry.entry_id)
    assert hass_storage[storage_key(entry.entry_id)]["data"]["slow_patterns"] == [
        digest(EXPLODING_PATTERN)
    ]
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    _sms(hass, "1" * 29 + " 残り300MB")
    await hass.async_block_till_done()
    assert len(searches.of(EXPLODING_PATTERN)) == 1
    assert searches.of(balance)[-1] == USER_PATTERN_TIMEOUT
    assert searches.ran_out == [EXPLODING_PATTERN]
    assert _warnings(caplog, "Notice pattern 2 of") == 1
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    # Changing the pattern in the options tries afresh, and the issue goes.
    hass.config_entries.async_update_entry(
        entry, options={**options, CONF_NOTICE_PATTERNS: [r"BAL:(?P<amount>\d+)(?P<unit>MB)"]}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await hass.config_entries.async_unload(entry.entry_id)
    assert hass_storage[storage_key(entry.entry_id)]["data"]["slow_patterns"] == []

    # Removing the entry removes its issue too.
    await hass.config_entries.async_remove(entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.parametrize(
    ("patterns", "error", "tried"),
    [
        ([EXPLODING_PATTERN], "pattern_too_slow", True),
        # Refused before any of them is tried.
        (["(?P<amount>1)(?P<unit>GB)" + "x" * 500], "pattern_too_long", False),
        ([rf"P{n}(?P<amount>\d+)(?P<unit>GB)" for n in range(11)], "pattern_too_many", False),
    ],
)
async def test_the_options_refuse_patterns_that_could_freeze(
    hass: HomeAssistant, patterns: list[str], error: str, tried: bool
) -> None:
    entry = _entry(options={})
    entry.add_to_hass(hass)
    trials = Searches(user_patterns)
    with (
        patch("custom_components.japan_sim_data.async_setup_entry", return_value=True),
        patch.object(user_patterns, "matches_within", trials),
    ):
        result = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"next_step_id": "notices"}
        )
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_NOTICE_PATTERNS: patterns}
        )
    assert result["errors"] == {CONF_NOTICE_PATTERNS: error}
    # The form's trial is bounded: each try by its own limit, and the first try out of time
    # ends it (the whole trial's budget: tests/carriers/test_notices.py).
    assert all(0 < budget <= PATTERN_TRIAL_TIMEOUT for _, budget in trials.handed)
    assert bool(trials.handed) is tried
    assert trials.ran_out == ([EXPLODING_PATTERN] if tried else [])
    assert trials.out_at == ([len(trials.handed)] if tried else [])
    assert CONF_NOTICE_PATTERNS not in entry.options


# -- B. stored state and history validated field by field (#12, item 5) ----------------------

GOOD_STATE: dict[str, Any] = {
    "period": "2025-11-01",
    "counter": {"used": 1024 * MIB, "baselines": {DOWNLOAD: 4000 * MIB}},
    "charged": 1024 * MIB,
    "plan_left": 1536 * MIB,
    "used": 1024 * MIB,
    "allowance": 3 * GIB,
    "top_ups": [{"amount": GIB, "left": 512 * MIB, "expires": "2025-12-10T23:59:59+09:00"}],
    "throttled": True,
    "last_notice": "2025-11-20T08:00:00+09:00",
    "seen": ["abc"],
}


@pytest.mark.parametrize(
    ("broken", "dropped"),
    [
        ({"allowance": "x"}, "allowance"),
        ({"allowance": float("nan")}, "allowance"),
        ({"used": "1GB"}, "used"),
        ({"used": float("inf")}, "used"),
        ({"charged": []}, "charged"),
        ({"throttled": "yes"}, "throttled"),
        ({"last_notice": "2025-11-20T08:00:00"}, "last_notice"),
        ({"last_notice": 1764036000}, "last_notice"),
        ({"seen": "abc"}, "seen"),
        ({"seen": ["abc", 42, {"x": 1}]}, "seen"),
        ({"plan_expires": "9999-12-31T23:59:59+09:00"}, "plan_expires"),
        ({"slow_patterns": [None, "../x"]}, "slow_patterns"),
    ],
)
async def test_one_unreadable_field_costs_that_field_alone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    broken: dict[str, Any],
    dropped: str,
) -> None:
    _counter(hass, DOWNLOAD, "4000")
    entry = _entry(options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    _store(hass_storage, entry, {**GOOD_STATE, **broken})
    await _setup(hass, freezer, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert _warnings(caplog, "were unreadable and were dropped") == 1
    assert dropped in caplog.text
    # The rest is kept, and the entities show it.
    sim = _sim(entry)
    assert sim.remaining_of(BucketKind.MONTHLY) == 1536 * MIB
    assert sim.remaining_of(BucketKind.TOPPING) == 512 * MIB
    assert float(_entity_state(hass, "remaining_data")) == pytest.approx(2.0)
    if dropped != "used":
        assert sim.used == 1024 * MIB


@pytest.mark.parametrize("period", [5, "2025-13-01", "2025-11-01T00:00", "9999-01-01"])
async def test_an_unreadable_period_starts_a_new_one(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    period: object,
) -> None:
    # Figures that cannot be placed in time are not carried into the current period; what
    # outlives a period (top-ups, the counters' baselines) is kept.
    _counter(hass, DOWNLOAD, "4000")
    entry = _entry(options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    _store(hass_storage, entry, {**GOOD_STATE, "period": period})
    await _setup(hass, freezer, entry)
    assert "period" in caplog.text
    sim = _sim(entry)
    assert sim.used == 0
    assert sim.remaining_of(BucketKind.MONTHLY) == 3 * GIB
    assert sim.remaining_of(BucketKind.TOPPING) == 512 * MIB


async def test_an_unreadable_allowance_shifts_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    # Were the old allowance read as 0, the whole 3 GB would be added to what is left.
    entry = _entry(options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    _store(hass_storage, entry, {**GOOD_STATE, "allowance": "x", "top_ups": []})
    await _setup(hass, freezer, entry)
    assert _sim(entry).remaining == 1536 * MIB


@pytest.mark.parametrize(
    ("broken", "plan_left"),
    [
        # The counter's total unreadable: nothing already charged is charged again.
        ({"counter": []}, 1536 * MIB),
        ({"counter": {"used": "x", "baselines": {DOWNLOAD: 4000 * MIB}}}, 1536 * MIB),
        # A bad baseline: that source starts a new one, nothing is counted from garbage.
        ({"counter": {"used": 1024 * MIB, "baselines": {DOWNLOAD: -5}}}, 1536 * MIB),
        # Numbers out of range are no figures: unknown, not 0, not the allowance.
        ({"plan_left": 10**30}, None),
        ({"plan_left": -1}, None),
    ],
)
async def test_broken_counters_and_figures(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    broken: dict[str, Any],
    plan_left: int | None,
) -> None:
    _counter(hass, DOWNLOAD, "4000")
    entry = _entry(options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    _store(hass_storage, entry, {**GOOD_STATE, **broken})
    await _setup(hass, freezer, entry)
    assert entry.state is ConfigEntryState.LOADED
    sim = _sim(entry)
    assert sim.used == 1024 * MIB
    assert sim.remaining_of(BucketKind.MONTHLY) == plan_left
    # Growth from here on is counted once, from the counter's value at start-up.
    _counter(hass, DOWNLOAD, "4100")
    await hass.async_block_till_done()
    assert _sim(entry).used == 1124 * MIB


@pytest.mark.parametrize(
    "top_ups",
    [
        [{"amount": "1GB", "left": 1, "expires": None}],
        [{"amount": GIB, "left": 2 * GIB, "expires": None}],
        [{"amount": GIB, "left": GIB, "expires": "2025-12-10T23:59:59"}],
        [{"amount": GIB, "left": GIB, "expires": "soon"}],
        [{"amount": 0, "left": 0, "expires": None}],
        ["x"],
        "x",
    ],
)
async def test_unreadable_top_ups_are_dropped_one_by_one(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    top_ups: Any,
) -> None:
    good = {"amount": GIB, "left": 256 * MIB, "expires": None}
    entry = _entry(options={})
    items = [*top_ups, good] if isinstance(top_ups, list) else top_ups
    _store(hass_storage, entry, {**GOOD_STATE, "top_ups": items})
    await _setup(hass, freezer, entry)
    assert "top_ups" in caplog.text
    expected = 256 * MIB if isinstance(top_ups, list) else None
    assert _sim(entry).remaining_of(BucketKind.TOPPING) == expected


@pytest.mark.parametrize("stored", [[1, 2, 3], "not a state", 42])
async def test_a_store_that_is_no_mapping_starts_afresh(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    stored: Any,
) -> None:
    _counter(hass, DOWNLOAD, "0")
    entry = _entry(options={CONF_USAGE_SENSORS: [DOWNLOAD]})
    _store(hass_storage, entry, stored)
    await _setup(hass, freezer, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert _warnings(caplog, "were unreadable and were dropped") == 1
    assert _sim(entry).remaining == 3 * GIB
    assert float(_entity_state(hass, "remaining_data")) == pytest.approx(3.0)


def _history_key(entry: MockConfigEntry) -> str:
    return f"{DOMAIN}.{entry.entry_id}.history"


@pytest.mark.parametrize(
    ("stored", "kept"),
    [
        ([1, 2], 0),
        ("history", 0),
        ({TRACKER_ID: "x"}, 0),
        ({TRACKER_ID: {"readings": "x"}}, 0),
        ({42: {"readings": []}}, 0),
        (
            {
                TRACKER_ID: {
                    "readings": [
                        ["2025-11-24T12:00:00+09:00", 3 * GIB],
                        ["2025-11-24T13:00:00", 3 * GIB],  # no offset
                        ["2025-11-24T14:00:00+09:00", "x"],
                        ["2025-11-24T15:00:00+09:00", float("nan")],
                        ["2025-11-24T16:00:00+09:00", 10**30],
                        ["9999-12-31T00:00:00+09:00", GIB],
                        ["2025-11-24T11:00:00+09:00", 2 * GIB],  # before the one before
                        ["2025-11-24T17:00:00+09:00"],
                        "x",
                        ["2025-11-24T18:00:00+09:00", 2 * GIB],
                    ]
                }
            },
            2,
        ),
    ],
)
async def test_an_unreadable_history_still_sets_up_every_sensor(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    stored: Any,
    kept: int,
) -> None:
    """A history store holding a list or a string used to leave the entry with no sensors."""
    # No usage source: the figures stay unknown, so no new reading joins the stored ones.
    entry = _entry(options={})
    hass_storage[_history_key(entry)] = {"version": 1, "key": _history_key(entry), "data": stored}
    coordinator = await _setup(hass, freezer, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert _warnings(caplog, "unreadable usage readings") == 1
    # Every sensor is there (without a counter, no forecast is made: test_tracker_steps.py).
    assert _entity_state(hass, "remaining_data") == "unknown"
    assert _entity_state(hass, "days_left") == "6"
    readings = coordinator.history.get(TRACKER_ID).readings
    assert [reading.remaining for reading in readings] == [3 * GIB, 2 * GIB][:kept]
    assert all(reading.at.utcoffset() is not None for reading in readings)


async def test_a_readable_history_is_kept_whole(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = _entry(options={})
    readings = [["2025-11-24T12:00:00+09:00", 3 * GIB], ["2025-11-25T00:00:00+09:00", 2 * GIB]]
    hass_storage[_history_key(entry)] = {
        "version": 1,
        "key": _history_key(entry),
        "data": {TRACKER_ID: {"readings": readings}},
    }
    coordinator = await _setup(hass, freezer, entry)
    assert "unreadable" not in caplog.text
    assert [r.remaining for r in coordinator.history.get(TRACKER_ID).readings] == [3 * GIB, 2 * GIB]


# -- C. every action argument bounded, with translated errors (#12, item 6) --------------------


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        # Raised OverflowError before.
        ("set_remaining", {"amount": 1e300}, "invalid_amount"),
        ("set_remaining", {"amount": "inf"}, "invalid_amount"),
        ("set_remaining", {"amount": "-inf"}, "invalid_amount"),
        ("set_remaining", {"amount": 10_001}, "invalid_amount"),
        ("set_remaining", {"amount": "lots"}, "invalid_amount"),
        ("add_data", {"amount": "nan"}, "invalid_amount"),
        ("add_data", {"amount": 1, "expires": "9999-12-31"}, "invalid_date"),
        ("add_data", {"amount": 1, "expires": "not a day"}, "invalid_date"),
        ("start_period", {"start": "9999-12-31"}, "invalid_date"),
        ("start_period", {"start": "1999-12-31"}, "invalid_date"),
        ("start_period", {"start": "2025-02-30"}, "invalid_date"),
    ],
)
async def test_actions_refuse_wild_arguments_in_the_users_language(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    service: str,
    data: dict[str, Any],
    key: str,
) -> None:
    entry = _entry(options={})
    await _setup(hass, freezer, entry)
    before = _sim(entry)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, service, {"config_entry_id": entry.entry_id, **data}, blocking=True
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    # A message in words, not an OverflowError's.
    # (The amount's unit is written GB or GiB as the translations name it.)
    assert any(bound in str(err.value) for bound in ("2100-12-31", "10000 GB", "10000 GiB"))
    assert _sim(entry) == before


async def test_start_period_refuses_a_period_ending_past_the_calendar(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = _entry(
        data={
            CONF_PLAN_SHAPE: "validity",
            CONF_START_DATE: "2025-11-01",
            CONF_END_DATE: "2026-10-31",
        },
        options={},
    )
    await _setup(hass, freezer, entry)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "start_period",
            {"config_entry_id": entry.entry_id, "start": "2100-06-01"},
            blocking=True,
        )
    assert err.value.translation_key == "period_out_of_range"
    assert "2100-06-01" in str(err.value)
    assert entry.data[CONF_START_DATE] == "2025-11-01"
    # The last start that still fits is taken.
    await hass.services.async_call(
        DOMAIN,
        "start_period",
        {"config_entry_id": entry.entry_id, "start": "2100-01-01"},
        blocking=True,
    )
    assert entry.data[CONF_END_DATE] == "2100-12-31"


async def test_bounds_that_still_work(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    entry = _entry(options={})
    await _setup(hass, freezer, entry)
    for amount in (0, "0", 10_000, "2.5"):
        await hass.services.async_call(
            DOMAIN,
            "set_remaining",
            {"config_entry_id": entry.entry_id, "amount": amount},
            blocking=True,
        )
    assert _sim(entry).remaining == round(2.5 * GIB)
    await hass.services.async_call(
        DOMAIN,
        "add_data",
        {"config_entry_id": entry.entry_id, "amount": 1, "expires": "2100-12-31"},
        blocking=True,
    )
    assert _sim(entry).remaining_of(BucketKind.TOPPING) == GIB


async def test_an_overlong_entry_id_is_not_echoed(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = _entry(options={})
    await _setup(hass, freezer, entry)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "set_remaining", {"config_entry_id": "x" * 100_000, "amount": 1}, blocking=True
        )
    assert err.value.translation_key == "entry_not_found"
    assert len(str(err.value)) < 200


# -- D. notice senders (#12, item 11) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("filter_entries", "sender", "accepted"),
    [
        (["docomo"], "docomo <evil@attacker.example>", False),
        (["docomo"], "docomo", True),
        (["docomo"], "NTT docomo", False),
        (["docomo"], None, False),
        (["docomo"], "", False),
        (["docomo-bill.ne.jp"], "DoCoMo@docomo-bill.ne.jp", True),
        (["docomo-bill.ne.jp"], "ドコモ <DoCoMo@Docomo-Bill.ne.jp>", True),
        (["docomo-bill.ne.jp"], "x@mail.docomo-bill.ne.jp", True),
        (["docomo-bill.ne.jp"], "x@docomo-bill.ne.jp.attacker.example", False),
        (["docomo-bill.ne.jp"], "x@evildocomo-bill.ne.jp", False),
        (["docomo-bill.ne.jp"], "DoCoMo@docomo-bill.ne.jp <evil@attacker.example>", False),
        (["docomo-bill.ne.jp"], "a@docomo-bill.ne.jp, b@attacker.example", False),
        (["docomo-bill.ne.jp"], "docomo-bill.ne.jp", False),
        (["info@docomo.ne.jp"], "Info@Docomo.ne.jp", True),
        (["info@docomo.ne.jp"], "other@docomo.ne.jp", False),
        (["info@docomo.ne.jp"], "@", False),
        (["+81 80-0000-0000"], "080-0000-0000", True),
        (["+81 80-0000-0000"], "+818000000000", True),
        (["+81 80-0000-0000"], "+8180000000001", False),
        (["151"], "151", True),
        (["151"], "0151", False),
        (["Rakuten Mobile"], "rakuten mobile", True),
        (["Rakuten Mobile"], "Rakuten Mobile <x@attacker.example>", False),
        ([], None, True),
        ([" ", ""], "anyone", True),
    ],
)
def test_sender_filter(filter_entries: list[str], sender: str | None, accepted: bool) -> None:
    assert SenderFilter.of(filter_entries).accepts(sender) is accepted


async def test_docomo_offers_its_senders_and_forgeries_are_ignored(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    # An entry whose sender filter was never set takes the carrier's own senders.
    entry = _entry(options={CONF_NOTICE_EVENTS: ["imap_content"]})
    await _setup(hass, freezer, entry)
    for sender in (
        "docomo <evil@attacker.example>",
        "DoCoMo@docomo-bill.ne.jp.attacker.example",
        "someone@docomo.ne.jp",  # any docomo customer sends from docomo.ne.jp
    ):
        hass.bus.async_fire("imap_content", _imap_event(sender, "残り100GB", "残り100GBです"))
    hass.bus.async_fire("imap_content", {**_imap_event("x", "残り100GB", "y"), "sender": None})
    await hass.async_block_till_done()
    assert _sim(entry).remaining is None

    hass.bus.async_fire(
        "imap_content",
        _imap_event("ドコモ <DoCoMo@docomo-bill.ne.jp>", "データ量残り500MBのお知らせ", ""),
    )
    await hass.async_block_till_done()
    assert _sim(entry).remaining == 500 * MIB


async def test_with_no_filter_every_message_is_read(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    # What the form warns about: the user emptied the filter.
    entry = _entry(options={CONF_NOTICE_EVENTS: [SMS], CONF_NOTICE_SENDERS: []})
    await _setup(hass, freezer, entry)
    hass.bus.async_fire(SMS, {"text": "データ量残り100GB"})
    await hass.async_block_till_done()
    assert _sim(entry).remaining == 100 * GIB


async def test_an_entity_without_a_sender_does_not_pass_a_filter(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    hass.states.async_set("sensor.modem_sms", "")
    entry = _entry(
        options={CONF_NOTICE_ENTITIES: ["sensor.modem_sms"], CONF_NOTICE_SENDERS: ["151"]}
    )
    await _setup(hass, freezer, entry)
    hass.states.async_set("sensor.modem_sms", "データ量残り800MBです")
    await hass.async_block_till_done()
    assert _sim(entry).remaining is None
    hass.states.async_set("sensor.modem_sms", "データ量残り700MBです", {"from": "151"})
    await hass.async_block_till_done()
    assert _sim(entry).remaining == 700 * MIB


def test_the_notices_form_offers_the_carriers_senders() -> None:
    assert official_senders("docomo") == ["docomo-bill.ne.jp"]
    # No public source names the others': nothing is invented.
    assert official_senders("povo") == []
    assert official_senders(None) == []
    docomo = {CONF_TRACKED_CARRIER: "docomo"}
    assert notice_defaults(docomo, {})[CONF_NOTICE_SENDERS] == ["docomo-bill.ne.jp"]
    # What the user set, even an emptied filter, is what the form shows.
    assert notice_defaults(docomo, {CONF_NOTICE_SENDERS: []})[CONF_NOTICE_SENDERS] == []
    assert notice_defaults(docomo, {CONF_NOTICE_SENDERS: ["151"]})[CONF_NOTICE_SENDERS] == ["151"]


async def test_the_form_says_plainly_what_no_filter_means(hass: HomeAssistant) -> None:
    entry = _entry(options={})
    entry.add_to_hass(hass)
    with patch("custom_components.japan_sim_data.async_setup_entry", return_value=True):
        result = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"next_step_id": "notices"}
        )
    assert result["step_id"] == "notices"
    translations = await _translations(hass)
    for prefix in ("options.step.notices", "config.step.tracker_sources"):
        description = translations[f"component.{DOMAIN}.{prefix}.description"]
        assert "Without any sender filter, every message that arrives is read" in description


async def _translations(hass: HomeAssistant) -> dict[str, str]:
    config = await async_get_translations(hass, "en", "config", [DOMAIN])
    options = await async_get_translations(hass, "en", "options", [DOMAIN])
    return {**config, **options}


# -- E. expiry dates in notices (#17, item 7) --------------------------------------------------


async def test_a_notice_states_the_expiry_of_its_data(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    entry = _entry(options={CONF_NOTICE_EVENTS: [SMS], CONF_NOTICE_SENDERS: []})
    await _setup(hass, freezer, entry)
    assert _entity_state(hass, "data_expires") == "2025-11-30"

    _sms(hass, "【povo】データ容量残り１．２ＧＢ（有効期限：２０２５年１１月２７日）")
    await hass.async_block_till_done()
    sim = _sim(entry)
    assert sim.remaining == round(1.2 * GIB)
    assert sim.data_expires == end_of_day(date(2025, 11, 27))
    assert _entity_state(hass, "data_expires") == "2025-11-27"
    assert _entity_state(hass, "days_left") == "3"

    # Kept across a restart.
    await hass.config_entries.async_unload(entry.entry_id)
    saved = hass_storage[storage_key(entry.entry_id)]["data"]
    assert saved["plan_expires"] == "2025-11-27T23:59:59+09:00"
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert _sim(entry).data_expires == end_of_day(date(2025, 11, 27))

    # Once past, the data is gone; the next period brings the allowance and its own expiry.
    await _tick(hass, freezer, "2025-11-28T00:00:02+09:00")
    assert _sim(entry).remaining == 0
    await _tick(hass, freezer, "2025-12-01T00:00:02+09:00")
    assert _sim(entry).data_expires == end_of_day(date(2025, 12, 31))


async def test_a_notice_without_a_year_and_unreadable_dates(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = _entry(options={CONF_NOTICE_EVENTS: [SMS], CONF_NOTICE_SENDERS: []})
    await _setup(hass, freezer, entry)
    _sms(hass, "データ残量 500MB 有効期限 11/29")
    await hass.async_block_till_done()
    assert _sim(entry).data_expires == end_of_day(date(2025, 11, 29))
    # An unreadable date updates the amount, never the expiry; a figure of data that expired
    # already is stale (an old notice arriving late) and moves nothing.
    for text in ("データ残量 400MB 有効期限：2025年2月30日", "データ残量 300MB 有効期限：2025/1/1"):
        _sms(hass, text)
        await hass.async_block_till_done()
    assert _sim(entry).remaining == 400 * MIB
    assert _sim(entry).data_expires == end_of_day(date(2025, 11, 29))


async def test_a_travel_plan_lasts_as_long_as_its_notice_says(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = _entry(
        data={
            CONF_TRACKED_CARRIER: "travel",
            CONF_PLAN_SHAPE: "validity",
            CONF_START_DATE: "2025-11-20",
            CONF_END_DATE: "2025-11-27",
        },
        options={CONF_NOTICE_EVENTS: [SMS], CONF_NOTICE_SENDERS: []},
    )
    await _setup(hass, freezer, entry)
    _sms(hass, "Data left: 2GB, valid until 2025-12-05.")
    await hass.async_block_till_done()
    await _tick(hass, freezer, "2025-11-28T00:00:02+09:00")
    sim = _sim(entry)
    assert sim.remaining == 2 * GIB
    assert sim.data_expires == datetime(2025, 12, 5, 23, 59, 59, tzinfo=TOKYO)
    await _tick(hass, freezer, "2025-12-06T00:00:02+09:00")
    assert _sim(entry).remaining == 0


async def test_freezer_is_at_the_fixtures_moment(freezer: FrozenDateTimeFactory) -> None:
    """The dates above are written for FROZEN_NOW (2025-11-25 in Tokyo)."""
    assert FROZEN_NOW.startswith("2025-11-25")


async def test_histories_follow_the_sims_of_the_account(hass: HomeAssistant) -> None:
    histories = SimHistories(hass, "entry")
    await histories.async_load()
    histories.async_record(AccountUsage(sims={"a": SimUsage(sim_id="a"), "b": SimUsage("b")}))
    assert histories.get("a").readings == ()
    histories.get("b").add(datetime(2025, 11, 25, tzinfo=TOKYO), GIB)
    histories.async_record(AccountUsage(sims={"a": SimUsage(sim_id="a")}))
    # The SIM that left took its readings with it.
    assert histories.get("b").readings == ()


async def test_an_ended_plan_is_restored_as_ended(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = _entry(
        data={
            CONF_PLAN_SHAPE: "validity",
            CONF_START_DATE: "2025-11-01",
            CONF_END_DATE: "2025-11-08",
        },
        options={},
    )
    _store(
        hass_storage,
        entry,
        {**GOOD_STATE, "period": "expired", "plan_left": 0, "used": None, "top_ups": []},
    )
    await _setup(hass, freezer, entry)
    assert "unreadable" not in caplog.text
    assert _sim(entry).remaining == 0
