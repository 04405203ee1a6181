"""The rules of an SMS inquiry, without Home Assistant: settings, stored state, when to ask."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.const import (
    CONF_INQUIRY_ACTION,
    CONF_INQUIRY_MESSAGE,
    CONF_INQUIRY_MESSAGE_FIELD,
    CONF_INQUIRY_RECIPIENT,
    CONF_INQUIRY_RECIPIENT_FIELD,
    CONF_INQUIRY_STALE_HOURS,
    CONF_INQUIRY_TIME,
)
from custom_components.japan_sim_data.inquiry import (
    DAILY_CAP,
    MIN_SPACING,
    InquiryConfig,
    InquiryState,
    InvalidInquiryError,
    allowed_from,
    attempts_today,
    clean_number,
    next_due,
)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


def _config(**changes: Any) -> InquiryConfig:
    options: dict[str, Any] = {
        CONF_INQUIRY_ACTION: "notify.router",
        CONF_INQUIRY_RECIPIENT: "0120-000-000",
        CONF_INQUIRY_MESSAGE: "ZANRYO",
        **changes,
    }
    config = InquiryConfig.from_options(options)
    assert config is not None
    return config


# -- settings --------------------------------------------------------------------------------


def test_settings_are_read_and_tidied() -> None:
    config = _config(**{CONF_INQUIRY_TIME: "09:30:00", CONF_INQUIRY_STALE_HOURS: 6.0})
    assert config.action == "notify.router"
    assert config.recipient == "0120000000"
    assert config.daily_at == time(9, 30)
    assert config.stale_after == timedelta(hours=6)
    assert config.domain_and_service == ("notify", "router")
    assert config.service_data() == {"message": "ZANRYO", "target": "0120000000"}
    esphome = _config(
        **{
            CONF_INQUIRY_ACTION: " esphome.modem_send_sms ",
            CONF_INQUIRY_RECIPIENT_FIELD: "recipient",
            CONF_INQUIRY_MESSAGE_FIELD: "text",
        }
    )
    assert esphome.service_data() == {"text": "ZANRYO", "recipient": "0120000000"}


def test_no_action_means_no_inquiry() -> None:
    assert InquiryConfig.from_options({}) is None
    assert InquiryConfig.from_options({CONF_INQUIRY_ACTION: ""}) is None


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("0120-000-000", "0120000000"),
        ("+81 120 000 000", "+81120000000"),
        ("(0120) 000-000", "0120000000"),
        ("０１２０－０００－０００", "0120000000"),  # full-width, as a Japanese IME types it
        ("151", "151"),
    ],
)
def test_numbers(number: str, expected: str) -> None:
    assert clean_number(number) == expected


@pytest.mark.parametrize(
    ("changes", "key", "reason"),
    [
        ({CONF_INQUIRY_ACTION: "notify"}, CONF_INQUIRY_ACTION, "inquiry_action_invalid"),
        ({CONF_INQUIRY_ACTION: "notify.a b"}, CONF_INQUIRY_ACTION, "inquiry_action_invalid"),
        (
            {CONF_INQUIRY_ACTION: "japan_sim_data.refresh"},
            CONF_INQUIRY_ACTION,
            "inquiry_action_invalid",
        ),
        ({CONF_INQUIRY_RECIPIENT: "12"}, CONF_INQUIRY_RECIPIENT, "inquiry_recipient_invalid"),
        ({CONF_INQUIRY_RECIPIENT: "1" * 16}, CONF_INQUIRY_RECIPIENT, "inquiry_recipient_invalid"),
        ({CONF_INQUIRY_RECIPIENT: "0120+000"}, CONF_INQUIRY_RECIPIENT, "inquiry_recipient_invalid"),
        ({CONF_INQUIRY_RECIPIENT: "call me"}, CONF_INQUIRY_RECIPIENT, "inquiry_recipient_invalid"),
        ({CONF_INQUIRY_RECIPIENT: None}, CONF_INQUIRY_RECIPIENT, "inquiry_recipient_invalid"),
        ({CONF_INQUIRY_MESSAGE: "  "}, CONF_INQUIRY_MESSAGE, "inquiry_message_invalid"),
        ({CONF_INQUIRY_MESSAGE: "x" * 161}, CONF_INQUIRY_MESSAGE, "inquiry_message_invalid"),
        ({CONF_INQUIRY_MESSAGE: "two\nlines"}, CONF_INQUIRY_MESSAGE, "inquiry_message_invalid"),
        (
            {CONF_INQUIRY_RECIPIENT_FIELD: "Target"},
            CONF_INQUIRY_RECIPIENT_FIELD,
            "inquiry_field_invalid",
        ),
        (
            {CONF_INQUIRY_MESSAGE_FIELD: "target"},
            CONF_INQUIRY_MESSAGE_FIELD,
            "inquiry_fields_same",
        ),
        ({CONF_INQUIRY_TIME: "25:00"}, CONF_INQUIRY_TIME, "inquiry_time_invalid"),
        ({CONF_INQUIRY_TIME: "09:00+09:00"}, CONF_INQUIRY_TIME, "inquiry_time_invalid"),
        ({CONF_INQUIRY_TIME: 9}, CONF_INQUIRY_TIME, "inquiry_time_invalid"),
        ({CONF_INQUIRY_STALE_HOURS: 0}, CONF_INQUIRY_STALE_HOURS, "inquiry_stale_hours_invalid"),
        ({CONF_INQUIRY_STALE_HOURS: 169}, CONF_INQUIRY_STALE_HOURS, "inquiry_stale_hours_invalid"),
        ({CONF_INQUIRY_STALE_HOURS: 1.5}, CONF_INQUIRY_STALE_HOURS, "inquiry_stale_hours_invalid"),
        ({CONF_INQUIRY_STALE_HOURS: True}, CONF_INQUIRY_STALE_HOURS, "inquiry_stale_hours_invalid"),
    ],
)
def test_unusable_settings_are_refused(changes: dict[str, Any], key: str, reason: str) -> None:
    with pytest.raises(InvalidInquiryError) as caught:
        _config(**changes)
    assert (caught.value.key, caught.value.reason) == (key, reason)


# -- stored state ----------------------------------------------------------------------------


def test_state_round_trips() -> None:
    now = _at("2025-11-25T12:00:00")
    state = InquiryState(
        attempts=[now - timedelta(hours=2), now - timedelta(hours=1)],
        last_sent=now - timedelta(hours=1),
        awaiting_since=now - timedelta(minutes=5),
        replied=None,
        silences=2,
    )
    restored, dropped = InquiryState.salvage(state.as_dict(), now)
    assert dropped == []
    assert restored == state


def test_unreadable_stored_fields_are_dropped_alone() -> None:
    now = _at("2025-11-25T12:00:00")
    stored = {
        "attempts": ["2025-11-25T10:00:00+09:00", "yesterday", "2025-11-25T09:00:00"],
        "last_sent": "2025-11-25T10:00:00+09:00",
        "awaiting_since": 12,
        "replied": "yes",
        "silences": -1,
    }
    restored, dropped = InquiryState.salvage(stored, now)
    assert restored.attempts == [_at("2025-11-25T10:00:00")]
    assert restored.last_sent == _at("2025-11-25T10:00:00")
    assert restored.awaiting_since is None
    assert restored.replied is None
    assert restored.silences == 0
    assert sorted(dropped) == [
        "inquiry.attempts",
        "inquiry.awaiting_since",
        "inquiry.replied",
        "inquiry.silences",
    ]
    assert InquiryState.salvage(["not", "a", "mapping"], now) == (InquiryState(), ["inquiry"])
    assert InquiryState.salvage({"attempts": "2025"}, now)[1] == ["inquiry.attempts"]


def test_moments_in_the_future_are_dropped() -> None:
    """A stored attempt in 2099 would otherwise hold every inquiry back until then."""
    now = _at("2025-11-25T12:00:00")
    stored = {
        "attempts": ["2099-01-01T00:00:00+09:00", "2025-11-25T08:00:00+09:00"],
        "last_sent": "2099-01-01T00:00:00+09:00",
        "awaiting_since": "2025-11-25T12:00:01+09:00",
    }
    restored, dropped = InquiryState.salvage(stored, now)
    assert restored.attempts == [_at("2025-11-25T08:00:00")]
    assert restored.last_sent is None
    assert restored.awaiting_since is None
    assert sorted(dropped) == ["inquiry.attempts", "inquiry.awaiting_since", "inquiry.last_sent"]
    assert allowed_from(restored, now, MIN_SPACING) == now


def test_only_the_last_attempts_are_kept() -> None:
    state = InquiryState()
    start = _at("2025-11-25T00:00:00")
    for hour in range(10):
        state.record_attempt(start + timedelta(hours=hour))
    assert len(state.attempts) == DAILY_CAP
    assert state.last_attempt == start + timedelta(hours=9)


# -- when ------------------------------------------------------------------------------------


def test_no_schedule_without_a_time_or_an_age() -> None:
    assert next_due(_config(), InquiryState(), None, _at("2025-11-25T12:00:00")) is None


def test_daily_time_today_then_tomorrow() -> None:
    config = _config(**{CONF_INQUIRY_TIME: "09:00:00"})
    state = InquiryState()
    assert next_due(config, state, None, _at("2025-11-25T08:00:00")) == _at("2025-11-25T09:00:00")
    # Missed today (Home Assistant was stopped at 09:00): at once, the same day.
    now = _at("2025-11-25T11:00:00")
    assert next_due(config, state, None, now) == now
    state.record_attempt(_at("2025-11-25T09:00:00"))
    assert next_due(config, state, None, now) == _at("2025-11-26T09:00:00")


def test_daily_time_across_midnight() -> None:
    """23:30 in Japan is 14:30 UTC: the day is Japan's, whatever the clock's zone."""
    config = _config(**{CONF_INQUIRY_TIME: "23:30:00"})
    state = InquiryState()
    state.record_attempt(_at("2025-11-25T23:30:00"))
    just_after_midnight = _at("2025-11-26T00:10:00").astimezone(UTC)
    assert next_due(config, state, None, just_after_midnight) == _at("2025-11-26T23:30:00")


def test_daily_time_with_an_age_skips_a_fresh_figure() -> None:
    config = _config(**{CONF_INQUIRY_TIME: "09:00:00", CONF_INQUIRY_STALE_HOURS: 12})
    now = _at("2025-11-25T09:00:00")
    fresh, old = now - timedelta(hours=2), now - timedelta(hours=13)
    assert next_due(config, InquiryState(), fresh, now) == _at("2025-11-26T09:00:00")
    assert next_due(config, InquiryState(), old, now) == now
    assert next_due(config, InquiryState(), None, now) == now


def test_age_alone_counts_from_the_figure_or_the_last_silence() -> None:
    config = _config(**{CONF_INQUIRY_STALE_HOURS: 6})
    now = _at("2025-11-25T12:00:00")
    assert next_due(config, InquiryState(), None, now) == now
    figure = _at("2025-11-25T10:00:00")
    assert next_due(config, InquiryState(), figure, now) == _at("2025-11-25T16:00:00")
    # Asked at 11:00 without a reply: the next one six hours after that, not at once.
    state = InquiryState()
    state.record_attempt(_at("2025-11-25T11:00:00"))
    assert next_due(config, state, _at("2025-11-24T00:00:00"), now) == _at("2025-11-25T17:00:00")


def test_spacing_and_daily_cap() -> None:
    config = _config(**{CONF_INQUIRY_STALE_HOURS: 1})
    state = InquiryState()
    for moment in ("06:00", "08:00", "10:00", "12:00"):
        state.record_attempt(_at(f"2025-11-25T{moment}:00"))
    now = _at("2025-11-25T13:30:00")
    assert attempts_today(state, now) == DAILY_CAP
    # The cap holds until midnight in Japan, when a new day's inquiries begin.
    assert next_due(config, state, None, now) == _at("2025-11-26T00:00:00")
    assert attempts_today(state, _at("2025-11-26T00:00:00")) == 0
    spaced = InquiryState(attempts=[_at("2025-11-25T13:00:00")])
    assert allowed_from(spaced, now, MIN_SPACING) == _at("2025-11-25T14:00:00")


def test_a_daily_time_tomorrow_is_not_held_by_todays_cap() -> None:
    config = _config(**{CONF_INQUIRY_TIME: "07:00:00"})
    state = InquiryState()
    for moment in ("06:00", "08:00", "10:00", "12:00"):
        state.record_attempt(_at(f"2025-11-25T{moment}:00"))
    assert next_due(config, state, None, _at("2025-11-25T13:00:00")) == _at("2025-11-26T07:00:00")
