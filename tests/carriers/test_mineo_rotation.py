"""mineo's token rotation cannot lose the login (issue 23.4), over real HTTP to the replay.

A refresh token works once: an answer that hands out a good next refresh token but anything
else unusable must still leave that token kept (and persisted before the next request), the
spent one is never sent again, and a renewal whose caller gives up still finishes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers.errors import (
    CarrierAuthError,
    CarrierConnectionError,
    CarrierError,
    CarrierParseError,
)
from custom_components.japan_sim_data.carriers.mineo import MineoAdapter
from tests.carriers.mineo_replay import INITIAL_REFRESH_TOKEN, MineoReplay, fake_jwt
from tests.carriers.test_mineo import START, make_adapter
from tests.helpers import Clock

# isort: split
from tests.carriers.test_mineo import base_url_fixture, clock_fixture, replay_fixture  # noqa: F401 (the shared fixtures)

NEXT = "rt-next-from-a-broken-answer"


def _presented(replay: MineoReplay) -> list[str]:
    """Every refresh token sent to the token endpoint, whatever it answered."""
    return [body["refresh_token"] for body in replay.bodies_seen if "grant_type" in body]


def _answer(body: Any, status: int = 200) -> Callable[[], web.Response]:
    return lambda: web.json_response(body, status=status)


def _persisting(
    session: aiohttp.ClientSession, base_url: str, clock: Clock
) -> tuple[MineoAdapter, dict[str, str]]:
    """An adapter whose rotation listener writes its secrets to the returned "disk"."""
    adapter = make_adapter(session, base_url, clock)
    disk: dict[str, str] = {}

    def persist() -> None:
        disk.clear()
        disk.update(adapter.refreshed_secrets())

    adapter.set_rotation_listener(persist)
    return adapter, disk


_EXPIRED = fake_jwt({"sub": "s", "exp": int((START - timedelta(minutes=5)).timestamp())})

BROKEN_BUT_ROTATED = {
    "no id_token": {"refresh_token": NEXT, "expires_in": "86400"},
    "id_token with a space": {"refresh_token": NEXT, "id_token": "a b"},
    "id_token a number": {"refresh_token": NEXT, "id_token": 12},
    "id_token too long": {"refresh_token": NEXT, "id_token": "x" * 5000},
    "lifetime zero": {"refresh_token": NEXT, "id_token": "t", "expires_in": "0"},
    "lifetime absurd": {"refresh_token": NEXT, "id_token": "t", "expires_in": "1e12"},
    "lifetime unreadable": {"refresh_token": NEXT, "id_token": "t", "expires_in": "soon"},
    "already expired": {"refresh_token": NEXT, "id_token": _EXPIRED},
    "access token garbage": {"refresh_token": NEXT, "access_token": {"x": 1}, "id_token": "a b"},
}


@pytest.mark.parametrize("body", BROKEN_BUT_ROTATED.values(), ids=BROKEN_BUT_ROTATED.keys())
@pytest.mark.parametrize("status", [200, 201])
async def test_a_broken_answer_with_a_good_next_token_keeps_that_token(
    http_session: aiohttp.ClientSession,
    base_url: str,
    replay: MineoReplay,
    clock: Clock,
    body: dict[str, Any],
    status: int,
) -> None:
    """The poll fails; the next refresh token is persisted, and the next renewal sends it."""
    adapter, disk = _persisting(http_session, base_url, clock)
    replay.token_answer = _answer(body, status)

    with pytest.raises(CarrierParseError):
        await adapter.async_fetch()
    assert disk == {"refresh_token": NEXT}
    assert replay.calls == ["token"]  # nothing else was asked with a half-read login

    # mineo honours the token it handed out; the next poll renews with it, never the spent one.
    replay.token_answer = None
    replay.spent_refresh_tokens.add(INITIAL_REFRESH_TOKEN)
    replay.valid_refresh_tokens = {NEXT}
    usage = await adapter.async_fetch()
    assert len(usage.sims) == 2
    assert _presented(replay) == [INITIAL_REFRESH_TOKEN, NEXT]
    assert replay.reused == 0
    assert disk["refresh_token"] == replay.current_refresh_token


async def test_a_restart_after_a_broken_answer_uses_the_kept_token(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    first, disk = _persisting(http_session, base_url, clock)
    replay.token_answer = _answer(BROKEN_BUT_ROTATED["no id_token"])
    with pytest.raises(CarrierParseError):
        await first.async_fetch()

    replay.token_answer = None
    replay.spent_refresh_tokens.add(INITIAL_REFRESH_TOKEN)
    replay.valid_refresh_tokens = {NEXT}
    second = make_adapter(http_session, base_url, clock, **disk)
    await second.async_fetch()
    assert _presented(replay) == [INITIAL_REFRESH_TOKEN, NEXT]
    assert replay.reused == 0


@pytest.mark.parametrize("value", ["a b", "line\nbreak", "", 42, "é" * 3, "x" * 5000])
async def test_an_unusable_next_token_means_a_new_login_and_nothing_is_sent_again(
    http_session: aiohttp.ClientSession,
    base_url: str,
    replay: MineoReplay,
    clock: Clock,
    value: Any,
) -> None:
    """The spent token is worthless and the next one cannot be kept: ask the user, send nothing."""
    adapter, disk = _persisting(http_session, base_url, clock)
    replay.token_answer = _answer({"refresh_token": value, "id_token": "t"})

    with pytest.raises(CarrierAuthError):
        await adapter.async_fetch()
    with pytest.raises(CarrierAuthError):
        await adapter.async_fetch()
    assert replay.calls == ["token"]
    assert disk == {}


async def test_an_answer_without_a_refresh_token_keeps_the_old_one(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """RFC 6749 §6: no new refresh token issued, the old one stays valid."""
    adapter = make_adapter(http_session, base_url, clock)
    replay.token_answer = _answer({"id_token": "t", "expires_in": "86400"})
    with pytest.raises(CarrierError):
        await adapter.async_fetch()  # the replay does not know this id_token: Invalid JWT
    assert adapter.refreshed_secrets()["refresh_token"] == INITIAL_REFRESH_TOKEN


async def test_the_listener_is_awaited_before_the_next_request(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """A slow disk write holds the poll: no data call goes out before the token is on disk."""
    adapter = make_adapter(http_session, base_url, clock)
    written: list[tuple[str, list[str]]] = []

    async def persist() -> None:
        await asyncio.sleep(0.05)
        written.append((adapter.refreshed_secrets()["refresh_token"], list(replay.calls)))

    adapter.set_rotation_listener(persist)
    seen_at_call: list[int] = []
    replay.observer = lambda _call: seen_at_call.append(len(written))
    await adapter.async_fetch()

    assert [calls for _, calls in written] == [["token"], ["token"]]
    assert written[-1][0] == replay.current_refresh_token
    assert seen_at_call
    assert min(seen_at_call) == 2  # every data call came after both writes


async def test_a_caller_that_gives_up_does_not_cut_the_renewal(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """A time budget cancels the poll mid-renewal: the answer is still read and kept."""
    adapter, disk = _persisting(http_session, base_url, clock)
    replay.token_gate = asyncio.Event()

    poll = asyncio.create_task(adapter.async_fetch())
    await replay.token_asked.wait()
    poll.cancel()
    with pytest.raises(asyncio.CancelledError):
        await poll
    assert disk == {}  # mineo has not answered yet

    replay.token_gate.set()
    await adapter.async_settle()
    assert disk["refresh_token"] == replay.current_refresh_token

    # The next poll uses the login that renewal left: no second renewal, no reuse.
    await adapter.async_fetch()
    assert len(replay.refresh_uses) == 1
    assert replay.reused == 0


async def test_a_poll_waits_for_a_renewal_whose_caller_gave_up(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """The next caller waits for the renewal in flight instead of spending the token again."""
    adapter = make_adapter(http_session, base_url, clock)
    replay.token_gate = asyncio.Event()
    first = asyncio.create_task(adapter.async_fetch())
    await replay.token_asked.wait()
    first.cancel()
    second = asyncio.create_task(adapter.async_fetch())
    await asyncio.sleep(0.01)
    replay.token_gate.set()
    usage = await second
    assert len(usage.sims) == 2
    assert len(replay.refresh_uses) == 1
    assert replay.reused == 0
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_settled_for_an_unload_no_renewal_starts(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """Once settled (the entry unloads, its session closes), a poll still running may use the
    login it has, but sends no refresh token: its answer would be lost with the session."""
    adapter = make_adapter(http_session, base_url, clock)
    await adapter.async_fetch()
    await adapter.async_settle()  # nothing in flight: returns at once
    assert len((await adapter.async_fetch()).sims) == 2  # the id_token still serves
    replay.expire_id_tokens()
    with pytest.raises(CarrierConnectionError):
        await adapter.async_fetch()
    assert replay.refresh_uses == [INITIAL_REFRESH_TOKEN]


async def test_a_failed_renewal_in_the_background_is_not_left_unread(
    http_session: aiohttp.ClientSession, base_url: str, replay: MineoReplay, clock: Clock
) -> None:
    """A renewal whose caller gave up and which then fails: its error is read, the login kept."""
    adapter = make_adapter(http_session, base_url, clock)
    replay.token_gate = asyncio.Event()
    replay.token_answer = _answer({"error": "invalid_client"}, 400)
    poll = asyncio.create_task(adapter.async_fetch())
    await replay.token_asked.wait()
    poll.cancel()
    replay.token_gate.set()
    await adapter._login.settle()  # the renewal alone, not the unload's close
    assert adapter.refreshed_secrets() == {}
    replay.token_answer = None
    replay.token_gate = None
    assert len((await adapter.async_fetch()).sims) == 2
    assert _presented(replay) == [INITIAL_REFRESH_TOKEN, INITIAL_REFRESH_TOKEN]
