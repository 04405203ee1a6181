"""mineo's pure parsers: capacity, lines, throttling and token answers (no network).

Shapes follow tests/fixtures/mineo/README.md (mineard's specification, APGifter).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.errors import CarrierParseError
from custom_components.japan_sim_data.carriers.mineo_figures import (
    MAX_LINES,
    MineoLine,
    parse_capacity,
    parse_telnum_list,
    parse_throttled,
)
from custom_components.japan_sim_data.carriers.mineo_tokens import (
    ID_TOKEN_LIFETIME,
    MineoTokens,
    next_refresh_token,
    parse_token_answer,
)
from custom_components.japan_sim_data.carriers.models import BucketKind
from custom_components.japan_sim_data.carriers.units import MIB
from tests.carriers.mineo_replay import fake_jwt
from tests.carriers.test_mineo import START
from tests.helpers import load_json_fixture

# -- capacity and lines -------------------------------------------------------------------------


def test_capacity_without_packet_info_is_unknown_not_zero() -> None:
    payload = load_json_fixture("mineo/capacity_no_packet_info.json")
    sim = parse_capacity(payload, MineoLine("X1"), date(2025, 11, 25))
    assert sim.buckets == ()
    assert sim.remaining is None
    assert sim.allowance is None
    assert sim.throttled is None
    assert sim.unlimited is True  # マイそく: no allowance to run out of
    assert sim.resets_on == date(2025, 12, 1)


def test_december_resets_in_january() -> None:
    sim = parse_capacity(
        load_json_fixture("mineo/capacity.json"), MineoLine("X1"), date(2025, 12, 31)
    )
    assert sim.resets_on == date(2026, 1, 1)
    monthly = next(b for b in sim.buckets if b.kind is BucketKind.MONTHLY)
    assert monthly.expires == datetime(2026, 1, 31, 23, 59, 59, tzinfo=TOKYO)


def test_capacity_reads_strings_and_leaves_out_what_is_missing() -> None:
    payload = {
        "resultCode": "00",
        "packetInfo": {"baseCapacity": "1,024", "baseRemainingCapacity": "512.5"},
        "speedFlg": "0",
    }
    sim = parse_capacity(payload, MineoLine("X1"), date(2025, 11, 1))
    assert [b.kind for b in sim.buckets] == [BucketKind.MONTHLY]
    assert sim.remaining == round(512.5 * MIB)
    assert sim.throttled is True


@pytest.mark.parametrize(
    "packet_info",
    [[], "5120", {"baseRemainingCapacity": -1}, {"baseCapacity": True}, {"giftCapacity": "x"}],
)
def test_capacity_refuses_garbage(packet_info: Any) -> None:
    with pytest.raises(CarrierParseError):
        parse_capacity({"packetInfo": packet_info}, MineoLine("X1"), date(2025, 11, 1))


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"tushinSettingStatusCode": "01", "speedFlg": "1"}, True),
        ({"tushinSettingStatusCode": "00", "speedFlg": "0"}, False),
        ({"speedFlg": "0"}, True),
        ({"speedFlg": "1"}, False),
        ({"tushinSettingStatusCode": "99"}, None),
        ({}, None),
    ],
)
def test_throttled_follows_the_mineo_switch(payload: dict[str, Any], expected: bool | None) -> None:
    assert parse_throttled(payload) is expected


def test_telnum_list_dedupes_and_caps() -> None:
    entries = [{"custId": f"C{n:04d}", "telNum": "080-0000-0000"} for n in range(MAX_LINES + 5)]
    lines = parse_telnum_list({"resultCode": "00", "telNumList": [entries[0], *entries]})
    assert len(lines) == MAX_LINES
    assert lines[0] == MineoLine("C0000", "0000")


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"telNumList": None},
        {"telNumList": [None]},
        {"telNumList": [{"custId": "has space"}]},
        {"telNumList": [{"custId": 12}]},
    ],
)
def test_telnum_list_refuses_garbage(payload: Any) -> None:
    with pytest.raises(CarrierParseError):
        parse_telnum_list(payload)


def test_token_answer_rotates_and_reads_the_sooner_expiry() -> None:
    claims_exp = int((START + timedelta(hours=2)).timestamp())
    payload = load_json_fixture("mineo/token.json") | {
        "id_token": fake_jwt({"sub": "s", "exp": claims_exp})
    }
    tokens = parse_token_answer(payload, START, refresh_token="next")
    assert tokens.refresh_token == "next"
    assert next_refresh_token(payload) == "VEweVyQQCzmTwPmBXd......"
    assert tokens.id_token_expires == START + timedelta(hours=2)


def test_token_answer_without_expiry_lives_24_hours_and_keeps_the_refresh_token() -> None:
    tokens = parse_token_answer({"id_token": "opaque-token"}, START, refresh_token="old")
    assert tokens == MineoTokens("old", "opaque-token", START + ID_TOKEN_LIFETIME)


@pytest.mark.parametrize(
    "payload",
    [
        {"refresh_token": "r"},
        {"id_token": "a b", "refresh_token": "r"},
        {"id_token": "t", "refresh_token": "r", "expires_in": "0"},
        {"id_token": "t", "refresh_token": "r", "expires_in": "1e12"},
        {"id_token": fake_jwt({"exp": int(START.timestamp()) - 60}), "refresh_token": "r"},
        [],
    ],
)
def test_token_answer_refuses_what_cannot_be_kept(payload: Any) -> None:
    with pytest.raises(CarrierParseError):
        parse_token_answer(payload, START, refresh_token="old")


@pytest.mark.parametrize("exp", [1, 253402300799, 10**30, "soon", True])
def test_an_implausible_claimed_expiry_is_ignored(exp: Any) -> None:
    """An `exp` in 1970, 9999 or unreadable shortens nothing: expires_in decides."""
    payload = {"id_token": fake_jwt({"exp": exp}), "expires_in": "3600"}
    tokens = parse_token_answer(payload, START, refresh_token="r")
    assert tokens.id_token_expires == START + timedelta(hours=1)


@pytest.mark.parametrize("value", ["line\nbreak", "a b", "", 12, "x" * 5000, ["r"]])
def test_an_unusable_next_refresh_token_is_refused(value: Any) -> None:
    with pytest.raises(CarrierParseError):
        next_refresh_token({"id_token": "t", "refresh_token": value})
    assert next_refresh_token({"id_token": "t"}) is None


def test_tokens_as_stored() -> None:
    tokens = MineoTokens("r", "i", START)
    assert tokens.as_secrets() == {
        "refresh_token": "r",
        "id_token": "i",
        "id_token_expires": START.isoformat(),
    }
    assert MineoTokens("r").as_secrets() == {"refresh_token": "r"}
