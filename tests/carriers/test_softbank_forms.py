"""The SoftBank ID portals' forms, hosts and pure helpers: what is sent where, and what never is.

Pages follow tests/fixtures/softbank/README.md (each names the public scraper it follows).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers import softbank_login, ymobile_pages
from custom_components.japan_sim_data.carriers.base import anonymous_id
from custom_components.japan_sim_data.carriers.dates import TOKYO, end_of_day
from custom_components.japan_sim_data.carriers.errors import (
    CarrierConnectionError,
    CarrierParseError,
)
from custom_components.japan_sim_data.carriers.softbank import (
    LinemoAdapter,
    SoftBankAdapter,
    YmobileAdapter,
    _MySoftBankAdapter,
    next_reset,
)
from custom_components.japan_sim_data.carriers.softbank_login import (
    MAX_FORM_VALUE_LENGTH,
    PAGE_MAX_BYTES,
    find_hidden_inputs,
    is_login_page,
    read_form,
)
from custom_components.japan_sim_data.carriers.softbank_pages import (
    ParsedUsage,
    parse_softbank_usage,
)
from custom_components.japan_sim_data.carriers.ymobile_pages import (
    parse_ymobile_usage,
)
from tests.carriers.softbank_replay import (
    LOGIN,
    PASSWORD,
    PHONE,
    PHONE_DIGITS,
    SB_HOP,
    USAGE,
    FakeMySoftBank,
    adapter_for,
    fixture,
    on_portal,
    page,
    section,
    table,
)
from tests.conftest import ServeApp

# --- Where requests may go, and what is sent back ------------------------------------------


def test_each_brand_talks_only_to_its_own_hosts(http_session: aiohttp.ClientSession) -> None:
    def hosts(cls: type[_MySoftBankAdapter]) -> frozenset[str]:
        return cls(http_session, phone_number=PHONE, password=PASSWORD)._policy.hosts

    softbank_hosts = {"my.softbank.jp", "id.my.softbank.jp", "re11.my.softbank.jp"}
    assert hosts(SoftBankAdapter) == softbank_hosts
    assert hosts(LinemoAdapter) == softbank_hosts
    assert hosts(YmobileAdapter) == {"my.ymobile.jp", "id.my.ymobile.jp", "re61.my.ymobile.jp"}


async def test_redirect_within_the_portal_is_followed(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake, adapter = await on_portal(serve, http_session, login_redirect=SB_HOP)

    usage = await adapter.async_fetch()

    assert fake.hits == [
        f"GET {SB_HOP}",
        f"POST {LOGIN}",
        f"GET {SB_HOP}",  # the redirect, as a GET without the form
        f"GET {SB_HOP}",
        f"POST {USAGE}",
    ]
    assert usage.sims


async def test_redirect_to_another_host_sends_nothing_there(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    elsewhere: list[str] = []

    async def record(request: web.Request) -> web.Response:
        elsewhere.append(request.path)
        return web.Response(text=page(""), content_type="text/html")

    other = web.Application()
    other.router.add_route("*", "/{tail:.*}", record)
    other_url = (await serve(other)).replace("127.0.0.1", "localhost")
    _, adapter = await on_portal(serve, http_session, login_redirect=f"{other_url}/collect")

    with pytest.raises(CarrierConnectionError, match="outside its own"):
        await adapter.async_fetch()
    assert elsewhere == []


@pytest.mark.parametrize(
    "value",
    [
        "has space",
        "line\nbreak",
        "ｆｕｌｌ",
        "x" * (MAX_FORM_VALUE_LENGTH + 1),
    ],
)
async def test_unusable_hop_fields_are_never_sent_back(
    serve: ServeApp, http_session: aiohttp.ClientSession, value: str
) -> None:
    escaped = value.replace("\n", "&#10;")
    fake = FakeMySoftBank(
        hop_text=page(
            f'<form><input type="hidden" name="mfiv" value="{escaped}">'
            '<input type="hidden" name="mfsb" value="SB-1"></form>'
        )
    )
    adapter = await adapter_for(serve, http_session, fake)

    with pytest.raises(CarrierParseError, match="unusable mfiv") as raised:
        await adapter.async_fetch()
    assert f"POST {USAGE}" not in fake.hits
    assert value not in str(raised.value)
    assert raised.value.skeleton is not None


async def test_unusable_ticket_is_never_sent_back(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank(
        brand="ymobile",
        entry_text=page('<form><input type="hidden" name="ticket" value="T X"></form>'),
    )
    adapter = await adapter_for(serve, http_session, fake, YmobileAdapter)

    with pytest.raises(CarrierParseError, match="unusable ticket"):
        await adapter.async_login()
    assert fake.logins == 0


async def test_page_over_the_cap_is_not_read(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    _, adapter = await on_portal(serve, http_session, usage_text=page("x" * PAGE_MAX_BYTES))

    with pytest.raises(CarrierParseError, match="larger than"):
        await adapter.async_fetch()


async def test_pages_are_read_off_the_event_loop(
    serve: ServeApp, http_session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    threads: dict[str, set[int]] = {"form": set(), "usage": set()}

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any) -> Any:
            threads[name].add(threading.get_ident())
            return real(*args)

        return wrapped

    monkeypatch.setattr(softbank_login, "read_form", spy("form", softbank_login.read_form))
    monkeypatch.setattr(
        ymobile_pages, "find_ymobile_tables", spy("usage", ymobile_pages.find_ymobile_tables)
    )
    _, adapter = await on_portal(serve, http_session, YmobileAdapter, brand="ymobile")

    assert (await adapter.async_fetch()).sims

    assert threads["form"]
    assert threads["usage"]
    assert loop_thread not in threads["form"] | threads["usage"]


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (parse_softbank_usage, 'chartType"' + " " * 200_000),
        (parse_softbank_usage, 'chartType": ' * 100_000),
        (parse_softbank_usage, '"chartType": "pie", ' + '"remainData":' * 50_000),
        (
            parse_ymobile_usage,
            '<div class="list-toggle-content">' + "<div>" * 60_000 + "</p>" * 60_000,
        ),
        (parse_ymobile_usage, section(*(table(None, "1" * 200_000) for _ in range(4)))),
        (parse_ymobile_usage, section("<table>" * 30_000 + "</table>" * 30_000)),
    ],
)
def test_hostile_pages_are_read_in_linear_time(
    parse: Callable[[str], ParsedUsage], text: str
) -> None:
    """Inputs that make a backtracking pattern or a quadratic scan run for minutes.

    No wall-clock assertion (speed is the benchmarks' job): a reader that went quadratic
    again would not finish within the suite's per-test timeout.
    """
    with pytest.raises(CarrierParseError):
        parse(text)


# --- Pure functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "reset_day", "expected"),
    [
        (date(2025, 1, 1), 1, date(2025, 2, 1)),
        (date(2025, 1, 31), 1, date(2025, 2, 1)),
        (date(2025, 12, 1), 1, date(2026, 1, 1)),
        (date(2025, 12, 31), 1, date(2026, 1, 1)),
        (date(2025, 2, 10), 11, date(2025, 2, 11)),
        (date(2025, 2, 11), 11, date(2025, 3, 11)),
        (date(2025, 12, 11), 11, date(2026, 1, 11)),
        (date(2025, 12, 31), 11, date(2026, 1, 11)),
        (date(2025, 1, 20), 21, date(2025, 1, 21)),
        (date(2025, 1, 21), 21, date(2025, 2, 21)),
        (date(2024, 2, 29), 21, date(2024, 3, 21)),
        (date(2025, 12, 25), 21, date(2026, 1, 21)),
    ],
)
def test_next_reset(today: date, reset_day: int, expected: date) -> None:
    assert next_reset(today, reset_day) == expected


def test_next_reset_rejects_other_days() -> None:
    with pytest.raises(ValueError, match="1, 11 or 21"):
        next_reset(date(2025, 1, 1), 15)


async def test_reset_uses_the_tokyo_date(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank()
    base_url = await serve(fake.app())
    # 15:30 UTC on 31 January is already 1 February in Tokyo.
    adapter = SoftBankAdapter(
        http_session,
        phone_number=PHONE,
        password=PASSWORD,
        base_url=base_url + "/",
        clock=lambda: datetime(2025, 1, 31, 15, 30, tzinfo=UTC),
    )

    sim = next(iter((await adapter.async_fetch()).sims.values()))

    assert sim.resets_on == date(2025, 3, 1)
    assert sim.data_expires == end_of_day(date(2025, 2, 28))


async def test_default_clock_is_tokyo_now(http_session: aiohttp.ClientSession) -> None:
    adapter = SoftBankAdapter(http_session, phone_number=PHONE, password=PASSWORD)
    now = adapter._clock()
    assert now.tzinfo is TOKYO
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=1)


async def test_constructor_validation(http_session: aiohttp.ClientSession) -> None:
    with pytest.raises(ValueError, match="reset_day"):
        SoftBankAdapter(http_session, phone_number=PHONE, password=PASSWORD, reset_day=10)
    with pytest.raises(ValueError, match="phone_number") as raised:
        SoftBankAdapter(http_session, phone_number="12-", password=PASSWORD)
    assert "12-" not in str(raised.value)
    # Full-width digits and hyphens name the same account (ids stay what they always were).
    full_width = SoftBankAdapter(
        http_session, phone_number="０９０－１２３４－５６７８", password=PASSWORD
    )
    assert full_width.account_id == anonymous_id("softbank", PHONE_DIGITS)


@pytest.mark.parametrize("cls", [SoftBankAdapter, YmobileAdapter, LinemoAdapter])
async def test_sim_ids_stay_what_they_were(
    http_session: aiohttp.ClientSession, cls: type[_MySoftBankAdapter]
) -> None:
    """Existing entities keep their ids: sha256("<carrier>\\x1f<digits>"), first 16 hex."""
    adapter = cls(http_session, phone_number=PHONE, password=PASSWORD)
    digest = hashlib.sha256(f"{cls.carrier.value}\x1f{PHONE_DIGITS}".encode()).hexdigest()
    assert adapter.account_id == digest[:16]


async def test_urls(http_session: aiohttp.ClientSession) -> None:
    real = SoftBankAdapter(http_session, phone_number=PHONE, password=PASSWORD)
    url = "https://re11.my.softbank.jp/resfe/top/?a=1"
    assert real._url(url) == url
    local = SoftBankAdapter(
        http_session, phone_number=PHONE, password=PASSWORD, base_url="http://127.0.0.1:8/x/"
    )
    assert local._url(url) == "http://127.0.0.1:8/x/resfe/top/?a=1"
    assert local._policy.hosts == {"127.0.0.1"}


def test_find_hidden_inputs() -> None:
    assert find_hidden_inputs(fixture("softbank_hop.html")) == {
        "mfiv": "IV-0f9e8d7c",
        "mfsb": 'SB-"x1"',
    }
    assert find_hidden_inputs(fixture("softbank_entry.html")) == {"ticket": "TICKET-a1b2c3&d4"}
    assert find_hidden_inputs('<input type="hidden" value="x"><input type="hidden" name="e">') == {
        "e": ""
    }
    assert find_hidden_inputs("<p>no form</p>") == {}


def test_is_login_page() -> None:
    assert is_login_page(fixture("softbank_entry.html"))
    assert is_login_page(fixture("session_expired.html"))
    assert not is_login_page(fixture("softbank_hop.html"))
    assert not is_login_page(fixture("softbank_usage.html"))


def test_read_form() -> None:
    """Fields by name, as y-mobile-data-usage-app matches name="mfiv" / name="mfym"."""
    hop = read_form(fixture("ymobile_hop.html"), ("ticket", "mfiv", "mfym"))
    assert hop.fields == {"mfiv": "YIV-123", "mfym": "YM-456"}
    assert hop.has(("mfiv", "mfym"))
    assert not hop.login_form
    rejected = read_form(fixture("softbank_login_error.html"))
    assert rejected.rejected
    assert rejected.login_form
    assert rejected.fields == {}
    # The maintenance-news link of a working page is read, but only consulted on failure.
    assert read_form(fixture("softbank_usage.html")).maintenance
    assert read_form(fixture("maintenance.html")).maintenance
