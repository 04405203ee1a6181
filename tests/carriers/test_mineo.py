"""Tests of the mineo adapter against a local server replaying mineo's answers over HTTP.

The answers are the fixtures in tests/fixtures/mineo (README there names each one's source:
miutaku/mineard @ abf9f81b and yuzune27/APGifter @ 346d0524). Refresh tokens work once: the
replay counts every use and every reuse of a spent one.
"""

from __future__ import annotations

import asyncio
import functools
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
    MineoLine,
)
from custom_components.japan_sim_data.carriers.mineo_tokens import (
    CLIENT_ID,
    ID_TOKEN_LIFETIME,
)
from custom_components.japan_sim_data.carriers.models import BucketKind, Carrier
from custom_components.japan_sim_data.carriers.units import MIB
from tests.carriers.mineo_replay import (
    API_PATH,
    INITIAL_REFRESH_TOKEN,
    SUBJECT,
    TOKEN_PATH,
    MineoReplay,
)
from tests.conftest import ServeApp
from tests.helpers import Clock, load_json_fixture, load_text_fixture

AID = "E1E37924-37F5-48DB-A44B-936964D7169D"
START = datetime(2025, 11, 25, 12, 0, tzinfo=TOKYO)


# The mineo modules' fixtures, named so that the modules importing them do not shadow them.
@pytest.fixture(name="clock")
def clock_fixture() -> Clock:
    return Clock(START)


@pytest.fixture(name="replay")
def replay_fixture(clock: Clock) -> MineoReplay:
    return MineoReplay(clock=clock)


@pytest.fixture(name="base_url")
async def base_url_fixture(serve: ServeApp, replay: MineoReplay) -> str:
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


# -- stored logins and token answers over HTTP ---------------------------------------------


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
