"""Property tests of the mineo parsers: any answer is read soundly or refused.

The mineo part of tests/carriers/test_fuzz.py, whose building blocks and property it shares:
a parser returns or raises CarrierParseError, never anything else; every amount is None or an
int >= 0; a token that is kept can be sent back in a header.
"""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.japan_sim_data.carriers import mineo_tokens
from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAuthError,
    CarrierError,
    CarrierParseError,
)
from custom_components.japan_sim_data.carriers.http import check_token
from custom_components.japan_sim_data.carriers.mineo_figures import (
    MineoLine,
    parse_capacity,
    parse_telnum_list,
    parse_throttled,
)
from custom_components.japan_sim_data.carriers.mineo_tokens import (
    MineoLogin,
    MineoTokens,
    parse_token_answer,
)
from custom_components.japan_sim_data.carriers.models import SimUsage
from tests.carriers.test_fuzz import (
    FUZZ,
    NOW,
    amounts,
    assert_amount,
    assert_buckets,
    json_values,
    maybe_full_width,
    parse_or_refuse,
    scalars,
    texts,
)

PACKET_KEYS = (
    "baseCapacity",
    "baseRemainingCapacity",
    "chargeCapacity",
    "chargeRemainingCapacity",
    "forwardCapacity",
    "forwardRemainingCapacity",
    "giftCapacity",
    "giftRemainingCapacity",
)
codes = st.one_of(st.sampled_from(["00", "01", "0", "1", "", "２"]), scalars)
packet_infos = st.one_of(
    st.fixed_dictionaries({}, optional=dict.fromkeys(PACKET_KEYS, amounts)),
    json_values,
)
capacities = st.one_of(
    st.fixed_dictionaries(
        {"resultCode": st.just("00"), "packetInfo": packet_infos},
        optional={
            "serviceName": st.one_of(texts, scalars),
            "speedFlg": codes,
            "tushinSettingStatusCode": codes,
            "mySokuFlg": codes,
            "lowSpeedDisp": scalars,
            "messages": json_values,
        },
    ),
    json_values,
)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


def assert_sim(sim: SimUsage, today: date) -> None:
    assert_buckets(sim.buckets)
    assert_amount(sim.allowance)
    assert_amount(sim.remaining)
    assert sim.throttled in {None, True, False}
    assert sim.resets_on is not None
    assert sim.resets_on > today
    assert sim.plan_name is None or (0 < len(sim.plan_name) <= 100)


@FUZZ
@given(payload=capacities, today=days)
def test_mineo_capacity(payload: Any, today: date) -> None:
    sim = parse_or_refuse(parse_capacity, payload, MineoLine("C1", "1234"), today)
    if sim is not None:
        assert_sim(sim, today)
        if not isinstance(payload.get("packetInfo"), dict):
            # No figures sent: unknown, never 0.
            assert sim.remaining is None
            assert sim.allowance is None


@FUZZ
@given(payload=st.dictionaries(st.sampled_from(["speedFlg", "tushinSettingStatusCode"]), codes))
def test_mineo_throttled(payload: dict[str, Any]) -> None:
    assert parse_throttled(payload) in {None, True, False}


phone_numbers = st.one_of(maybe_full_width(st.from_regex(r"\A0[789]0-?\d{4}-?\d{4}\Z")), scalars)
lines = st.fixed_dictionaries(
    {"custId": st.one_of(st.text(min_size=1, max_size=12), scalars)},
    optional={"telNum": phone_numbers, "lineName": scalars},
)
telnum_lists = st.one_of(
    st.fixed_dictionaries(
        {"resultCode": st.just("00"), "telNumList": st.lists(st.one_of(lines, scalars), max_size=6)}
    ),
    json_values,
)


@FUZZ
@given(payload=telnum_lists)
def test_mineo_telnum_list(payload: Any) -> None:
    parsed = parse_or_refuse(parse_telnum_list, payload)
    if parsed is not None:
        assert len({line.cust_id for line in parsed}) == len(parsed)
        for line in parsed:
            assert check_token(line.cust_id, "line id") == line.cust_id
            assert line.number_suffix is None or (
                len(line.number_suffix) == 4 and line.number_suffix.isdigit()
            )


def _jwt(claims: Any) -> str:
    raw = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJSUzI1NiJ9.{raw}.sig"


token_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["t", "a b", "x\r\ny", "é", "x" * 5000]),
    st.builds(_jwt, st.fixed_dictionaries({}, optional={"exp": scalars, "sub": scalars})),
    st.builds(_jwt, json_values),
    scalars,
)
token_answers = st.one_of(
    st.fixed_dictionaries(
        {"id_token": token_values},
        optional={
            "refresh_token": token_values,
            "expires_in": amounts,
            "access_token": scalars,
            "token_type": scalars,
        },
    ),
    json_values,
)


def _read_tokens(payload: Any) -> MineoTokens:
    return parse_token_answer(payload, NOW, refresh_token="previous")


@FUZZ
@given(payload=token_answers)
def test_mineo_token_answer(payload: Any) -> None:
    tokens = parse_or_refuse(_read_tokens, payload)
    if tokens is not None:
        assert isinstance(tokens, MineoTokens)
        # Whatever is kept can go back into a header or a form as it is.
        assert check_token(tokens.refresh_token, "refresh token") == tokens.refresh_token
        assert tokens.id_token is not None
        assert check_token(tokens.id_token, "id token") == tokens.id_token
        assert tokens.id_token_expires is not None
        assert NOW < tokens.id_token_expires <= NOW + timedelta(days=366)
        stored = tokens.as_secrets()
        assert datetime.fromisoformat(stored["id_token_expires"]) == tokens.id_token_expires


# Refresh tokens as a server could hand them out: usable ones (visible ASCII) as often as
# broken ones, so that "good next token, everything else unusable" is drawn again and again.
usable_tokens = st.from_regex(r"\A[!-~]{1,60}\Z")
rotation_answers = st.one_of(
    st.fixed_dictionaries(
        {"refresh_token": st.one_of(usable_tokens, token_values)},
        optional={
            "id_token": st.one_of(usable_tokens, token_values),
            "expires_in": amounts,
            "access_token": st.one_of(token_values, json_values),
            "token_type": scalars,
        },
    ),
    token_answers,
)
SPENT = "rt-spent-by-this-renewal"


def _rotate(payload: Any, status: int) -> tuple[MineoLogin, dict[str, str], BaseException | None]:
    """Hand ``payload`` to a login as its renewal would; what reached "disk", and the error."""
    session: Any = None  # nothing may be sent: a request would fail on it
    login = MineoLogin(
        session, MineoTokens(SPENT), token_url=mineo_tokens.TOKEN_URL, clock=lambda: NOW
    )
    disk: dict[str, str] = {}

    def persist() -> None:
        disk.clear()
        disk.update(login.tokens.as_secrets())

    login.set_listener(persist)
    try:
        asyncio.run(login.accept(payload, status=status))
    except CarrierError as err:
        return login, disk, err
    return login, disk, None


def _usable(value: Any) -> bool:
    try:
        check_token(value, "refresh token")
    except CarrierParseError:
        return False
    return True


@FUZZ
@given(payload=rotation_answers, status=st.sampled_from([200, 200, 200, 201, 400]))
def test_mineo_rotation_keeps_every_usable_next_token(payload: Any, status: int) -> None:
    """Whatever else the answer holds, a usable next refresh token is what is stored after it.

    And the spent token is never what a later renewal would send: either the next one is
    kept, or (no next token at all) the old one stays valid, or the login is given up.
    """
    login, disk, error = _rotate(payload, status)
    if not isinstance(payload, dict):
        # Not a token answer at all: nothing was handed out, the login stays as it was.
        assert isinstance(error, CarrierParseError)
        assert not isinstance(error, CarrierAuthError)
        assert disk == {}
        assert login.tokens == MineoTokens(SPENT)
        return
    raw = payload.get("refresh_token")
    if _usable(raw):
        assert disk["refresh_token"] == raw
        assert login.tokens.refresh_token == raw
    elif raw is not None:
        # Unusable: the old token is spent and nothing is sent with it again.
        assert isinstance(error, CarrierAuthError)
        assert disk == {}
        with pytest.raises(CarrierAuthError):
            asyncio.run(login.id_token())
    if error is None:
        # A complete login was read: it is what was stored, and it can be sent as it is.
        assert disk == login.tokens.as_secrets()
        assert login.tokens.id_token is not None
        assert check_token(login.tokens.id_token, "id token") == login.tokens.id_token
        assert login.tokens.id_token_expires is not None
        assert NOW < login.tokens.id_token_expires <= NOW + timedelta(days=366)
    else:
        assert isinstance(error, CarrierParseError | CarrierAuthError)


def test_huge_capacity_is_refused() -> None:
    """A figure of 10**400 MB (json.loads gives such ints) is a misread, not data."""
    payload = {"resultCode": "00", "packetInfo": {"baseRemainingCapacity": 10**400}}
    assert parse_or_refuse(parse_capacity, payload, MineoLine("C1"), NOW.date()) is None


def test_stored_expiry_round_trips() -> None:
    tokens = MineoTokens("r", "i", datetime(2025, 11, 26, 12, 0, tzinfo=TOKYO))
    assert datetime.fromisoformat(tokens.as_secrets()["id_token_expires"]) == (
        tokens.id_token_expires
    )
