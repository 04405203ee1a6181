"""Tests of the mineo adapter against a local server replaying mineo's answers over HTTP.

The answers are the fixtures in tests/fixtures/mineo (README there names each one's source:
miutaku/mineard @ abf9f81b and yuzune27/APGifter @ 346d0524). Refresh tokens work once: the
replay counts every use and every reuse of a spent one.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import date, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers.base import anonymous_id
from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAuthError,
    CarrierConnectionError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierRateLimitError,
    CarrierSessionExpiredError,
)
from custom_components.japan_sim_data.carriers.mineo import APP_ID, APP_VERSION, MineoAdapter
from custom_components.japan_sim_data.carriers.mineo_figures import (
    MAX_LINES,
    MineoLine,
    parse_capacity,
    parse_telnum_list,
    parse_throttled,
    parse_traffic_history,
)
from custom_components.japan_sim_data.carriers.mineo_tokens import (
    CLIENT_ID,
    ID_TOKEN_LIFETIME,
    MineoTokens,
    next_refresh_token,
    parse_token_answer,
)
from custom_components.japan_sim_data.carriers.models import BucketKind, Carrier, DailyUsage
from custom_components.japan_sim_data.carriers.units import MIB
from tests.carriers.mineo_replay import (
    API_PATH,
    INITIAL_REFRESH_TOKEN,
    SUBJECT,
    TOKEN_PATH,
    MineoReplay,
    fake_jwt,
)
from tests.conftest import ServeApp
from tests.helpers import load_json_fixture, load_text_fixture

AID = "E1E37924-37F5-48DB-A44B-936964D7169D"
START = datetime(2025, 11, 25, 12, 0, tzinfo=TOKYO)


class Clock:
    """A clock the adapter and the replay share; tests move it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def replay(clock: Clock) -> MineoReplay:
    return MineoReplay(clock=clock)


@pytest.fixture
async def base_url(serve: ServeApp, replay: MineoReplay) -> str:
    return await serve(replay.app())


def make_adapter(
    session: aiohttp.ClientSession, base_url: str, clock: Clock, **stored: Any
) -> MineoAdapter:
    return MineoAdapter(
        session,
        refresh_token=stored.pop("refresh_token", INITIAL_REFRESH_TOKEN),
        aid=AID,
        token_url=f"{base_url}{TOKEN_PATH}",
        api_base_url=f"{base_url}{API_PATH}",
        clock=clock,
        **stored,
    )


async def test_fetch_reads_every_line(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """A pasted refresh token is spent once; both lines come back in bytes, with their month."""
    replay.charge_infos["FGH67IJ890"] = load_json_fixture("mineo/packetcharge_info.json")
    adapter = make_adapter(http_session, base_url, clock)
    usage = await adapter.async_fetch()

    # Each line's figures, then its history (this replay keeps none: mineo says 0098); the
    # second line has bought data left, so its expiry is asked for (mineard §4.5).
    assert replay.calls == [
        "token",
        "get_telnum_list",
        "get_capacity",
        "get_traffic_history",
        "get_capacity",
        "get_packetcharge_info",
        "get_traffic_history",
    ]
    assert replay.refresh_uses == [INITIAL_REFRESH_TOKEN]
    assert set(usage.sims) == {"ABC12DE345", "FGH67IJ890"}

    first = usage.sims["ABC12DE345"]
    # mineard §4.1 sample: base 5120/5120 MB, carried over 67254/33563 MB, no charge, no gift.
    assert first.remaining_of(BucketKind.MONTHLY) == 5120 * MIB
    assert first.remaining_of(BucketKind.CARRIED_OVER) == 33563 * MIB
    assert first.remaining_of(BucketKind.TOPPING) == 0
    assert first.remaining_of(BucketKind.GIFT) == 0
    assert first.remaining == (5120 + 33563) * MIB
    assert first.allowance == 5120 * MIB
    assert first.plan_name == "Dプラン デュアルタイプ (5GB)"
    assert first.number_suffix == "1234"
    assert first.throttled is False
    assert first.resets_on == date(2025, 12, 1)
    assert first.unlimited is False
    assert first.shared_pool is False
    # Carried-over data goes first, at this month's end.
    assert first.data_expires == datetime(2025, 11, 30, 23, 59, 59, tzinfo=TOKYO)

    second = usage.sims["FGH67IJ890"]
    assert second.throttled is True  # mineo switch on: tushinSettingStatusCode "01"
    assert second.remaining == (300 + 100 + 10) * MIB
    assert second.remaining_of(BucketKind.CARRIED_OVER) == 0
    # The charge's chargeExpireDate "20251231", valid through that day.
    (charge,) = (b for b in second.buckets if b.kind is BucketKind.TOPPING)
    assert charge.expires == datetime(2025, 12, 31, 23, 59, 59, tzinfo=TOKYO)
    # Nothing carried over is left: this month's allowance expires at next month's end.
    assert second.next_expiry == datetime(2025, 12, 31, 23, 59, 59, tzinfo=TOKYO)


async def test_requests_carry_exactly_the_reference_fields(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """Token form and data-call headers as mineard's client and APGifter send them."""
    adapter = make_adapter(http_session, base_url, clock)
    await adapter.async_fetch()

    token_body, telnum_body, capacity_body, history_body, *_ = replay.bodies_seen
    assert token_body == {
        "grant_type": "refresh_token",
        "refresh_token": INITIAL_REFRESH_TOKEN,
        "client_id": CLIENT_ID,
    }
    assert telnum_body == {}  # get_telnum_list takes no custId (mineard §3.1)
    assert capacity_body == {"custId": "ABC12DE345"}
    assert history_body == {"custId": "ABC12DE345"}  # mineard §7.3: custId only
    for headers in replay.headers_seen:
        assert headers["appId"] == APP_ID
        assert headers["appVersion"] == APP_VERSION
        assert headers["aid"] == AID
        assert headers["Authorization"].startswith("Bearer ")
        assert headers["Authorization"].removeprefix("Bearer ") in replay.valid_id_tokens
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"


async def test_new_tokens_are_handed_over_before_the_next_request(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """The rotation listener runs right after the token answer, before any data call.

    First with the next refresh token alone (kept before the rest of the answer is read),
    then with the whole login.
    """
    adapter = make_adapter(http_session, base_url, clock)
    seen: list[tuple[list[str], dict[str, str]]] = []
    adapter.set_rotation_listener(
        lambda: seen.append((list(replay.calls), adapter.refreshed_secrets()))
    )
    await adapter.async_fetch()

    assert [calls for calls, _ in seen] == [["token"], ["token"]]
    assert seen[0][1] == {"refresh_token": replay.current_refresh_token}
    secrets = seen[1][1]
    assert secrets["refresh_token"] == replay.current_refresh_token
    assert secrets["id_token"] in replay.valid_id_tokens
    expires = datetime.fromisoformat(secrets["id_token_expires"])
    assert expires == START + ID_TOKEN_LIFETIME
    # After the lines were listed, the account's name joins what is to be kept.
    assert adapter.refreshed_secrets() == secrets | {
        "account_id": anonymous_id(Carrier.MINEO, SUBJECT)
    }


async def test_a_valid_stored_id_token_is_used_without_renewing(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    first = make_adapter(http_session, base_url, clock)
    await first.async_fetch()
    stored = first.refreshed_secrets()

    # A restart: the adapter is built again from what the entry stored.
    clock.now += timedelta(hours=12)
    second = make_adapter(http_session, base_url, clock, **stored)
    await second.async_fetch()

    assert replay.refresh_uses == [INITIAL_REFRESH_TOKEN]
    assert second.refreshed_secrets() == {}
    assert second.account_id == first.account_id == anonymous_id(Carrier.MINEO, SUBJECT)


async def test_an_old_id_token_is_renewed_with_the_stored_refresh_token(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """23.5 hours on, the login is renewed with the refresh token the first renewal gave."""
    first = make_adapter(http_session, base_url, clock)
    await first.async_fetch()
    stored = first.refreshed_secrets()

    clock.now += timedelta(hours=23, minutes=30)
    second = make_adapter(http_session, base_url, clock, **stored)
    await second.async_fetch()

    assert replay.refresh_uses == [INITIAL_REFRESH_TOKEN, stored["refresh_token"]]
    assert replay.reused == 0
    assert second.refreshed_secrets()["refresh_token"] == replay.current_refresh_token


async def test_an_id_token_mineo_refuses_is_renewed_once(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """Invalid JWT (401) → one renewal and the call again; the figures come back."""
    adapter = make_adapter(http_session, base_url, clock)
    await adapter.async_login()
    replay.expire_id_tokens()
    replay.calls.clear()

    usage = await adapter.async_fetch()

    # The lines were listed today already: the figures are asked for at once.
    assert replay.calls == [
        "get_capacity",
        "token",
        "get_capacity",
        "get_traffic_history",
        "get_capacity",
        "get_packetcharge_info",
        "get_traffic_history",
    ]
    assert len(replay.refresh_uses) == 2
    assert len(usage.sims) == 2


async def test_a_freshly_renewed_id_token_refused_again_is_not_a_reauth(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    adapter = make_adapter(http_session, base_url, clock)
    await adapter.async_login()
    replay.api_answer = lambda: web.json_response(
        load_json_fixture("mineo/invalid_jwt.json"), status=401
    )
    with pytest.raises(CarrierSessionExpiredError):
        await adapter.async_fetch()
    assert len(replay.refresh_uses) == 2  # one renewal, not a loop


@pytest.mark.parametrize("how", ["unknown", "spent"])
async def test_a_rejected_refresh_token_asks_for_a_new_one(
    http_session: aiohttp.ClientSession,
    base_url: str,
    replay: MineoReplay,
    clock: Clock,
    how: str,
) -> None:
    """invalid_token ("refresh token is not exists") and invalid_grant are rejections."""
    if how == "unknown":
        replay.reject_all_refresh_tokens()
        token = INITIAL_REFRESH_TOKEN
    else:
        replay.spent_refresh_tokens.add(token := "rt-spent-elsewhere")
    adapter = make_adapter(http_session, base_url, clock, refresh_token=token)
    with pytest.raises(CarrierAuthError) as caught:
        await adapter.async_fetch()
    assert token not in str(caught.value)
    assert adapter.refreshed_secrets() == {}


async def test_another_token_endpoint_error_is_not_a_rejection(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """invalid_client means mineo changed something: reported, the login is kept."""
    replay.token_answer = lambda: web.json_response(
        load_json_fixture("mineo/token_invalid_client.json"), status=401
    )
    adapter = make_adapter(http_session, base_url, clock)
    with pytest.raises(CarrierParseError, match="invalid_client") as caught:
        await adapter.async_fetch()
    assert not isinstance(caught.value, CarrierAuthError)


@pytest.mark.parametrize("where", ["token", "api"])
async def test_maintenance_keeps_the_refresh_token(
    http_session: aiohttp.ClientSession,
    base_url: str,
    replay: MineoReplay,
    clock: Clock,
    where: str,
) -> None:
    page = load_text_fixture("mineo/maintenance.html")

    def maintenance() -> web.Response:
        return web.Response(text=page, content_type="text/html", status=503)

    if where == "token":
        replay.token_answer = maintenance
    else:
        replay.api_answer = lambda: web.Response(text=page, content_type="text/html")
    adapter = make_adapter(http_session, base_url, clock)
    with pytest.raises(CarrierMaintenanceError):
        await adapter.async_fetch()
    if where == "token":
        assert replay.valid_refresh_tokens == {INITIAL_REFRESH_TOKEN}
        assert adapter.refreshed_secrets() == {}


@pytest.mark.parametrize("where", ["token", "api"])
async def test_429_is_a_rate_limit_with_its_wait(
    http_session: aiohttp.ClientSession,
    base_url: str,
    replay: MineoReplay,
    clock: Clock,
    where: str,
) -> None:
    def slow_down() -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "120"})

    if where == "token":
        replay.token_answer = slow_down
    else:
        replay.api_answer = slow_down
    adapter = make_adapter(http_session, base_url, clock)
    with pytest.raises(CarrierRateLimitError) as caught:
        await adapter.async_fetch()
    assert caught.value.retry_after == 120


async def test_a_result_code_other_than_00_is_unreadable(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    replay.api_answer = lambda: web.json_response(
        load_json_fixture("mineo/result_system_error.json")
    )
    adapter = make_adapter(http_session, base_url, clock)
    with pytest.raises(CarrierParseError, match="0098") as caught:
        await adapter.async_fetch()
    assert caught.value.skeleton is not None
    assert "システム" not in str(caught.value.skeleton)


async def test_concurrent_updates_renew_once(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """Poll, button and action at once with an expired login: one renewal, no reuse."""
    adapter = make_adapter(http_session, base_url, clock)
    results = await asyncio.gather(*(adapter.async_fetch() for _ in range(5)))
    assert all(len(usage.sims) == 2 for usage in results)
    assert replay.refresh_uses == [INITIAL_REFRESH_TOKEN]

    replay.expire_id_tokens()
    await asyncio.gather(*(adapter.async_fetch() for _ in range(5)))
    assert len(replay.refresh_uses) == 2
    assert replay.reused == 0


def _save(adapter: MineoAdapter, stored: dict[str, str]) -> None:
    stored.update(adapter.refreshed_secrets())


async def test_many_renewals_never_reuse_a_spent_token(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """A month of daily renewals across restarts: every use is of a fresh token."""
    stored: dict[str, str] = {}
    for _day in range(30):
        adapter = make_adapter(http_session, base_url, clock, **stored)
        adapter.set_rotation_listener(functools.partial(_save, adapter, stored))
        await adapter.async_fetch()
        clock.now += timedelta(days=1)
    assert len(replay.refresh_uses) == 30
    assert len(set(replay.refresh_uses)) == 30
    assert replay.reused == 0
    assert stored["refresh_token"] == replay.current_refresh_token


async def test_a_transport_failure_on_renewal_keeps_the_old_token(
    http_session: aiohttp.ClientSession, clock: Clock, socket_enabled: None
) -> None:
    """Nothing answered: the stored token is kept (and no half-read token replaces it)."""
    adapter = MineoAdapter(
        http_session,
        refresh_token=INITIAL_REFRESH_TOKEN,
        aid=AID,
        token_url="http://127.0.0.1:9/oidc/v1/token",
        api_base_url="http://127.0.0.1:9/mineo/v1",
        clock=clock,
    )
    with pytest.raises(CarrierConnectionError):
        await adapter.async_fetch()
    assert adapter.refreshed_secrets() == {}


async def test_login_lists_the_lines(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    adapter = make_adapter(http_session, base_url, clock)
    await adapter.async_login()
    assert adapter.lines == (
        MineoLine("ABC12DE345", "1234"),
        MineoLine("FGH67IJ890", "5678"),
    )
    assert adapter.aid == AID
    assert "get_capacity" not in replay.calls


# -- parsers ------------------------------------------------------------------------------------


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


async def test_an_unreadable_stored_expiry_means_renew(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    for expiry in ("not a date", "2025-11-26T12:00:00", ""):
        adapter = make_adapter(
            http_session,
            base_url,
            clock,
            refresh_token=replay.current_refresh_token,
            id_token="stale",
            id_token_expires=expiry,
        )
        await adapter.async_login()
    assert len(replay.refresh_uses) == 3
    assert replay.reused == 0


def test_account_id_falls_back_without_a_subject(clock: Clock) -> None:
    session: Any = None
    adapter = MineoAdapter(session, refresh_token="r", aid=AID, id_token="opaque", clock=clock)
    assert adapter.account_id == anonymous_id(Carrier.MINEO, AID)


@pytest.mark.parametrize(
    ("answer", "message", "kept"),
    [
        (lambda: web.json_response(["not", "an", "object"]), "unknown shape", {}),
        # Another status than 200 with a next refresh token: mineo may have rotated, so the
        # token is kept; no login is read from such an answer.
        (
            lambda: web.json_response({"id_token": "t", "refresh_token": "r"}, status=201),
            "201",
            {"refresh_token": "r"},
        ),
    ],
)
async def test_token_answers_that_are_not_tokens(
    http_session: aiohttp.ClientSession,
    base_url: str,
    replay: MineoReplay,
    clock: Clock,
    answer: Any,
    message: str,
    kept: dict[str, str],
) -> None:
    replay.token_answer = answer
    adapter = make_adapter(http_session, base_url, clock)
    with pytest.raises(CarrierParseError, match=message):
        await adapter.async_login()
    assert adapter.refreshed_secrets() == kept


async def test_a_bare_401_is_an_expired_id_token(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """A 401 without mineo's JSON (a proxy's text) is treated like Invalid JWT: renew once."""
    adapter = make_adapter(http_session, base_url, clock)
    await adapter.async_login()

    def once() -> web.Response:
        replay.api_answer = None
        return web.Response(status=401, text="Unauthorized")

    replay.api_answer = once
    await adapter.async_login()
    assert len(replay.refresh_uses) == 2
    assert adapter.lines


def test_an_unreadable_id_token_names_the_account_by_its_app_id(clock: Clock) -> None:
    session: Any = None
    for token in ("a.!!!.c", "a.bm90IGpzb24.c", "a.WzFd.c"):  # bad base64, not JSON, a list
        adapter = MineoAdapter(session, refresh_token="r", aid=AID, id_token=token, clock=clock)
        assert adapter.account_id == anonymous_id(Carrier.MINEO, AID)


# -- usage history (get_traffic_history) -------------------------------------------------------

# tests/fixtures/mineo/traffic_history.json, read on 25 November 2025 (START): the high-speed
# MB of every whole day; 2 November has no figure (absent), 25 November is today (not whole).
HISTORY_DAYS = (
    DailyUsage(day=date(2025, 10, 30), used=150 * MIB),
    DailyUsage(day=date(2025, 10, 31), used=90 * MIB),
    DailyUsage(day=date(2025, 11, 1), used=round(512.5 * MIB)),
    DailyUsage(day=date(2025, 11, 3), used=0),
    DailyUsage(day=date(2025, 11, 24), used=round(170.5 * MIB)),
)


def _history_calls(replay: MineoReplay) -> int:
    return replay.calls.count("get_traffic_history")


async def test_fetch_reads_each_lines_daily_usage(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    replay.histories["ABC12DE345"] = load_json_fixture("mineo/traffic_history.json")
    adapter = make_adapter(http_session, base_url, clock)
    usage = await adapter.async_fetch()

    first = usage.sims["ABC12DE345"]
    assert first.daily_usage == HISTORY_DAYS
    # The figures are the capacity call's, untouched.
    assert first.remaining == (5120 + 33563) * MIB
    # The other line has no history (mineo answers 0098): its figures stand alone.
    second = usage.sims["FGH67IJ890"]
    assert second.daily_usage == ()
    assert second.remaining == (300 + 100 + 10) * MIB
    history_bodies = [
        body
        for call, body in zip(replay.calls, replay.bodies_seen, strict=True)
        if call == "get_traffic_history"
    ]
    assert history_bodies == [{"custId": "ABC12DE345"}, {"custId": "FGH67IJ890"}]


async def test_daily_usage_is_asked_at_most_every_six_hours_and_on_a_new_day(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    replay.histories["ABC12DE345"] = load_json_fixture("mineo/traffic_history.json")
    clock.now = datetime(2025, 11, 25, 9, 0, tzinfo=TOKYO)
    adapter = make_adapter(http_session, base_url, clock)
    await adapter.async_fetch()
    assert _history_calls(replay) == 2  # one per line

    for later in (timedelta(minutes=30), timedelta(hours=5, minutes=59)):
        clock.now = datetime(2025, 11, 25, 9, 0, tzinfo=TOKYO) + later
        usage = await adapter.async_fetch()
        assert usage.sims["ABC12DE345"].daily_usage == HISTORY_DAYS
    assert _history_calls(replay) == 2
    assert replay.calls.count("get_capacity") == 6  # the figures, every poll

    clock.now = datetime(2025, 11, 25, 15, 0, tzinfo=TOKYO)
    await adapter.async_fetch()
    assert _history_calls(replay) == 4

    # A new Tokyo day an hour later: asked again, and 25 November is now whole.
    clock.now = datetime(2025, 11, 26, 0, 5, tzinfo=TOKYO)
    usage = await adapter.async_fetch()
    assert _history_calls(replay) == 6
    assert usage.sims["ABC12DE345"].daily_usage == (
        *HISTORY_DAYS,
        DailyUsage(day=date(2025, 11, 25), used=12 * MIB),
    )


@pytest.mark.parametrize(
    "answer",
    [
        lambda: web.json_response(load_json_fixture("mineo/result_system_error.json")),
        lambda: web.json_response({"resultCode": "0022", "messages": [None]}),
        lambda: web.json_response({"message": "Internal Server Error"}, status=500),
        lambda: web.Response(
            text=load_text_fixture("mineo/maintenance.html"), content_type="text/html"
        ),
        lambda: web.json_response({}, status=429, headers={"Retry-After": "60"}),
        lambda: web.json_response(load_json_fixture("mineo/invalid_jwt.json"), status=401),
        lambda: web.Response(text="{not json", content_type="application/json"),
    ],
)
async def test_a_failing_history_leaves_the_figures(
    http_session: aiohttp.ClientSession,
    base_url: str,
    replay: MineoReplay,
    clock: Clock,
    answer: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    replay.history_answer = answer
    adapter = make_adapter(http_session, base_url, clock)
    usage = await adapter.async_fetch()

    assert set(usage.sims) == {"ABC12DE345", "FGH67IJ890"}
    assert usage.sims["ABC12DE345"].remaining == (5120 + 33563) * MIB
    assert all(sim.daily_usage == () for sim in usage.sims.values())
    ours = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.japan_sim_data")
    )
    assert "usage history" in ours
    for secret in (*replay.issued, INITIAL_REFRESH_TOKEN, AID, "ABC12DE345", "FGH67IJ890"):
        assert secret not in ours
    assert replay.reused == 0

    # Not asked again within six hours; asked (and read) after them.
    asked = _history_calls(replay)
    clock.now = START + timedelta(hours=1)
    await adapter.async_fetch()
    assert _history_calls(replay) == asked
    replay.history_answer = None
    replay.histories["ABC12DE345"] = load_json_fixture("mineo/traffic_history.json")
    clock.now = START + timedelta(hours=6)
    usage = await adapter.async_fetch()
    assert usage.sims["ABC12DE345"].daily_usage == HISTORY_DAYS


def _month(days: Any, month: Any = "11") -> dict[str, Any]:
    return {
        "resultCode": "00",
        "monthlyTrafficHistoryList": [{"targetMonth": month, "dailyTrafficHistoryList": days}],
    }


def _day(high: Any, day: Any = "1") -> dict[str, Any]:
    return {"dataTraffic": 1, "dataTrafficHighSpeed": high, "targetDay": day}


@pytest.mark.parametrize(
    "payload",
    [
        {"resultCode": "00", "monthlyTrafficHistoryList": {"11": []}},
        _month({"1": 100}),
        _month([_day(-1)]),
        _month([_day("-5")]),
        _month([_day(1e30)]),
        _month([_day("lots")]),
        _month([_day(True)]),
        _month([_day({"MB": 1})]),
        _month([_day(100, "32")]),
        _month([_day(100, "0")]),
        _month([_day(100, "1.5")]),
        _month([_day(100, 10**30)]),
        _month([_day(100, None)]),
        _month(["1: 100 MB"]),
        _month([_day(100)], month="13"),
        _month([_day(100)], month=None),
        _month([_day(100)], month="十一"),
        ["not", "an", "object"],
        "deep",
    ],
)
async def test_malformed_history_is_dropped(
    http_session: aiohttp.ClientSession,
    base_url: str,
    replay: MineoReplay,
    clock: Clock,
    payload: Any,
) -> None:
    if payload == "deep":
        text = '{"resultCode": "00", "monthlyTrafficHistoryList": ' + "[" * 100_000
        replay.history_answer = lambda: web.Response(text=text, content_type="application/json")
    else:
        replay.histories["ABC12DE345"] = payload
    adapter = make_adapter(http_session, base_url, clock)
    usage = await adapter.async_fetch()
    assert usage.sims["ABC12DE345"].daily_usage == ()
    assert usage.sims["ABC12DE345"].remaining == (5120 + 33563) * MIB


def test_parse_traffic_history_reads_whole_days_in_their_year() -> None:
    payload = load_json_fixture("mineo/traffic_history.json")
    assert parse_traffic_history(payload, date(2025, 11, 25)) == HISTORY_DAYS
    # In January, November and December are last year's (targetMonth has no year).
    january = {
        "resultCode": "00",
        "monthlyTrafficHistoryList": [
            {"targetMonth": "12", "dailyTrafficHistoryList": [_day(10, "31")]},
            {"targetMonth": "01", "dailyTrafficHistoryList": [_day("２０", "１"), _day(5, "9")]},
        ],
    }
    assert parse_traffic_history(january, date(2026, 1, 9)) == (
        DailyUsage(day=date(2025, 12, 31), used=10 * MIB),
        DailyUsage(day=date(2026, 1, 1), used=20 * MIB),
    )
    # Nothing listed, or a month without days: no day, not an error.
    assert parse_traffic_history({"resultCode": "00"}, date(2026, 1, 9)) == ()
    assert parse_traffic_history(_month(None), date(2026, 1, 9)) == ()
