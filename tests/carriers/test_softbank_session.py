"""What a poll costs the SoftBank ID portals, and a login handed from the config flow to setup.

Requests are counted by the local replay (tests/carriers/softbank_replay.py) over real HTTP,
across several polls and an ended session, for both shapes a portal's hop fields may have:
accepted again (a reload of the usage page) or good for one opening (no reference shows which;
see the assumptions in carriers/softbank_login.py).
"""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.japan_sim_data.carriers.errors import (
    CarrierMaintenanceError,
    CarrierRateLimitError,
    CarrierSessionExpiredError,
)
from custom_components.japan_sim_data.carriers.softbank import (
    SoftBankAdapter,
    YmobileAdapter,
    _MySoftBankAdapter,
)
from tests.carriers.softbank_replay import (
    LOGIN,
    SB_HOP,
    USAGE,
    YM_ENTRY,
    YM_HOP,
    FakeMySoftBank,
    adapter_for,
    fixture,
    on_portal,
)
from tests.conftest import ServeApp

BRANDS = [(SoftBankAdapter, "softbank"), (YmobileAdapter, "ymobile")]


async def _costs(adapter: _MySoftBankAdapter, fake: FakeMySoftBank, polls: int) -> list[int]:
    """Requests each of ``polls`` fetches sent, in order; each fetch must read figures."""
    costs = []
    for _ in range(polls):
        before = fake.requests
        assert (await adapter.async_fetch()).sims
        costs.append(fake.requests - before)
    return costs


@pytest.mark.parametrize(
    ("cls", "brand", "after_end"),
    # After the session ends: the kept fields meet a login page (1), then the hop (SoftBank's
    # offers a ticket; Y!mobile's does not, so its entry page is asked for one), the login,
    # the hop and the usage page.
    [(SoftBankAdapter, "softbank", 5), (YmobileAdapter, "ymobile", 6)],
)
async def test_requests_per_poll_when_the_fields_open_the_page_again(
    serve: ServeApp,
    http_session: aiohttp.ClientSession,
    cls: type[_MySoftBankAdapter],
    brand: str,
    after_end: int,
) -> None:
    fake, adapter = await on_portal(serve, http_session, cls, brand=brand)

    # First poll: no cookie of the portal, so straight to the login (entry, login, hop, usage).
    assert await _costs(adapter, fake, 4) == [4, 1, 1, 1]
    assert fake.logins == 1

    fake.forget_sessions()
    assert await _costs(adapter, fake, 3) == [after_end, 1, 1]
    # One silent login for the ended session, never more.
    assert fake.logins == 2


@pytest.mark.parametrize(
    ("cls", "brand", "after_end"),
    # The hop (SoftBank's with a ticket; Y!mobile's without, then its entry), login, hop, usage.
    [(SoftBankAdapter, "softbank", 4), (YmobileAdapter, "ymobile", 5)],
)
async def test_requests_per_poll_when_the_fields_open_the_page_once(
    serve: ServeApp,
    http_session: aiohttp.ClientSession,
    cls: type[_MySoftBankAdapter],
    brand: str,
    after_end: int,
) -> None:
    fake, adapter = await on_portal(serve, http_session, cls, brand=brand, one_shot_fields=True)

    # The second poll finds the kept fields refused while the session holds (1 wasted
    # request, once); from then on the hop and the usage page: the references' 2 requests.
    assert await _costs(adapter, fake, 5) == [4, 3, 2, 2, 2]
    hop = YM_HOP if brand == "ymobile" else SB_HOP
    assert fake.hits[-2:] == [f"GET {hop}", f"POST {USAGE}"]

    fake.forget_sessions()
    assert await _costs(adapter, fake, 2) == [after_end, 2]
    assert fake.logins == 2


@pytest.mark.parametrize(("cls", "brand"), BRANDS)
async def test_the_flows_login_serves_setup_without_a_second_login(
    serve: ServeApp,
    http_session: aiohttp.ClientSession,
    cls: type[_MySoftBankAdapter],
    brand: str,
) -> None:
    """The config flow logs in; setup's first poll reads the page with that login."""
    fake, flow_adapter = await on_portal(serve, http_session, cls, brand=brand)
    was_logged_in = flow_adapter.logged_in

    await flow_adapter.async_login()
    assert not was_logged_in
    assert flow_adapter.logged_in
    assert fake.logins == 1

    # Handed on as it is (the adapter), or as its session: a new adapter on the same jar.
    on_the_jar = await adapter_for(serve, http_session, fake, cls)
    assert on_the_jar.logged_in
    hop = YM_HOP if brand == "ymobile" else SB_HOP
    for adapter in (flow_adapter, on_the_jar):
        fake.hits.clear()
        assert (await adapter.async_fetch()).sims
        assert fake.hits == [f"GET {hop}", f"POST {USAGE}"]
    assert len(fake.issued) == 1  # one login, one session, for the flow and setup alike


async def test_a_session_said_to_be_logged_out_logs_in_first(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake, _ = await on_portal(serve, http_session, YmobileAdapter, polls=1, brand="ymobile")

    # Cookies in the jar, but the caller knows better (a reauthentication with new credentials).
    fresh = await adapter_for(serve, http_session, fake, YmobileAdapter, logged_in=False)
    fake.hits.clear()
    await fresh.async_fetch()

    assert fake.hits == [f"GET {YM_ENTRY}", f"POST {LOGIN}", f"GET {YM_HOP}", f"POST {USAGE}"]


async def test_a_handed_over_session_that_ended_logs_in_once(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake, adapter = await on_portal(serve, http_session)
    await adapter.async_login()
    fake.forget_sessions()
    fake.hits.clear()

    assert (await adapter.async_fetch()).sims

    assert fake.hits == [f"GET {SB_HOP}", f"POST {LOGIN}", f"GET {SB_HOP}", f"POST {USAGE}"]


async def test_maintenance_met_with_kept_fields_is_reported_by_the_hop(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    """A page without figures only says the kept fields did not work; the hop says why."""
    fake, adapter = await on_portal(serve, http_session, polls=1)
    fake.hop_page = "maintenance.html"
    fake.usage_page = "maintenance.html"
    fake.hits.clear()

    with pytest.raises(CarrierMaintenanceError):
        await adapter.async_fetch()

    assert fake.hits == [f"POST {USAGE}", f"GET {SB_HOP}"]
    # The session held: the fields are tried again once the site is back.
    fake.hop_page = fake.usage_page = None
    fake.hits.clear()
    assert (await adapter.async_fetch()).sims
    assert fake.hits == [f"POST {USAGE}"]


async def test_a_wait_asked_for_with_kept_fields_sends_nothing_more(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake, adapter = await on_portal(serve, http_session, polls=1)
    fake.usage_text = fixture("maintenance.html")
    fake.usage_status = 429
    fake.hits.clear()

    with pytest.raises(CarrierRateLimitError):
        await adapter.async_fetch()

    assert fake.hits == [f"POST {USAGE}"]


async def test_kept_fields_are_forgotten_with_the_session(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    """After a login page, no field of the ended session is posted again."""
    fake, adapter = await on_portal(serve, http_session, polls=1)
    fake.forget_sessions()
    fake.remember_sessions = False
    fake.hits.clear()

    with pytest.raises(CarrierSessionExpiredError):
        await adapter.async_fetch()
    assert not adapter.logged_in

    fake.remember_sessions = True
    fake.hits.clear()
    assert (await adapter.async_fetch()).sims
    # Straight to the login: nothing was kept from the session that ended.
    assert fake.hits == [f"GET {SB_HOP}", f"POST {LOGIN}", f"GET {SB_HOP}", f"POST {USAGE}"]
